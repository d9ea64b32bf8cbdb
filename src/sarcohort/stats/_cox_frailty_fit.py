"""The shared gamma frailty Cox fit behind ``cox("Surv(t, e) ~ x + frailty(centre)")``.

:func:`fit_frailty` takes the validated arrays of :func:`sarcohort.stats.cox.cox`, fits the
model with :mod:`sarcohort.stats._cox_frailty` and returns a :class:`FrailtyCoxResult`.

Which estimate: R's ``coxph`` chooses ``theta`` by a search (``frailty.controlgam``) that stops
when its integrated log-likelihood changes by less than 1e-5 relative (or, silently, at
``outer.max = 10``), so R's ``theta`` is only near the maximiser (0.4122 against 0.4078 on
``kidney``). We return the **exact maximiser** of R's integrated log-likelihood, which equals R's
fit with ``frailty(centre, theta = <that maximiser>)``; ``frailty(centre, theta = t)`` fits
``t`` as given, identical to R's fixed-``theta`` fit. A search that does not converge (the
likelihood still increasing at ``theta = 1000``) warns :class:`ConvergenceWarning`.

Deliberate differences from R: R's ``frailty.gammacon`` switches to an approximation twice
too large once ``theta < 1e-7 / max(d)``, a jump that makes a spurious maximum near ``theta =
0`` when the groups do not differ; we keep its exact expression (see
:func:`sarcohort.stats._cox_frailty.gammacon`), and a maximum that gains nothing over
``theta = 0`` beyond rounding is reported as ``theta = 0``. At ``theta = 0`` we report the
plain Cox fit with a frailty test of 0 on 0 df (R prints ``df = G``); the follow-up methods
of a Cox fit that would need the frailties of new data (baseline hazard, predictions,
residuals, ``zph``, concordance) raise :class:`InputError`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import ConvergenceWarning, InputError
from sarcohort.stats import _cox_frailty as F
from sarcohort.stats import _cox_kernel as K
from sarcohort.stats.cox_result import CoxResult, CoxState, TestResult

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class FrailtyTest:
    """A chi-square test on (effective, non-integer) degrees of freedom."""

    statistic: float
    df: float
    p: float


@dataclass(frozen=True)
class FrailtyCoxResult(CoxResult):
    """A shared gamma frailty Cox fit (R's ``coxph(... + frailty(group))``).

    The inherited fields are R's: ``coef``; ``se`` (and ``z``, ``p``, CIs) from ``var``, R's
    ``fit$var`` (``se(coef)``); ``loglik_null`` and ``loglik`` R's ``fit$loglik`` (the partial
    likelihood with the frailties in the linear predictor); ``wald_test`` on ``var``.
    ``lr_test`` is R's likelihood-ratio test on the effective degrees of freedom (``df`` its
    rounded sum; exact value in ``lr_test_df``); ``score_test`` is not available (NaN).

    Attributes
    ----------
    theta
        Variance of the frailty: the exact maximiser of the integrated likelihood, or the
        fixed value of ``frailty(g, theta = t)`` (``theta_fixed``).
    var2
        R's ``fit$var2`` (sandwich-type variance ``H^-1 I H^-1``); ``se2`` its root diagonal.
    loglik_penalized, penalty
        R's penalised log-likelihood (``fit$loglik[2] - fit$penalty[2]``) and ``fit$penalty[2]``.
    loglik_integrated
        R's integrated log-likelihood (``fit$history[[1]]$c.loglik``; "I-likelihood").
    frailty_term, frailty_levels, frailty, frailty_var
        The term as written, its groups (sorted), the fitted log-frailties (R's ``fit$frail``,
        ``mean(exp(frailty)) = 1``) and their variances (``fit$fvar``).
    frailty_test
        R's test of the frailty term (chisq, effective df, p), as ``print(fit)`` shows it.
    df_terms
        Effective degrees of freedom of the other terms (``term_labels`` order), R's ``fit$df``.
    lr_test_df
        Sum of all effective degrees of freedom (R's LR test df).
    sparse
        R's sparse frailty (more than 5 groups by default).
    theta_converged, theta_history
        Whether the search over ``theta`` converged; every ``(theta, loglik_integrated)`` it
        evaluated (empty for a fixed ``theta``).
    """

    theta: float = math.nan
    theta_fixed: bool = False
    var2: np.ndarray | None = None
    se2: np.ndarray | None = None
    loglik_penalized: float = math.nan
    penalty: float = math.nan
    loglik_integrated: float = math.nan
    frailty_term: str = ""
    frailty_levels: tuple[Any, ...] = ()
    frailty: np.ndarray | None = None
    frailty_var: np.ndarray | None = None
    frailty_test: FrailtyTest | None = None
    df_terms: np.ndarray | None = None
    lr_test_df: float = math.nan
    sparse: bool = True
    theta_converged: bool = True
    theta_history: tuple[tuple[float, float], ...] = ()

    @property
    def aic(self) -> float:
        """R's ``AIC(fit)`` of a penalised fit: ``-2 loglik + 2 sum(df)`` (effective df)."""
        return float(-2 * self.loglik + 2 * self.lr_test_df)

    def _unavailable(self, what: str) -> NoReturn:
        raise InputError(f"{what} is not available for a frailty fit ({self.frailty_term})",
                         argument="formula", fix="refit without the frailty() term for it")

    @property
    def concordance(self) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("the concordance")

    def baseline_hazard(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("the baseline hazard")

    def predict_survival(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("a predicted survival curve")

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("prediction")

    def residuals(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("residuals")

    def zph(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for a frailty fit (raises :class:`InputError`)."""
        self._unavailable("the proportional-hazards test (zph)")

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient (coef, HR, CI, se, se2, z, p), as :meth:`CoxResult.to_frame`
        plus R's ``se2``."""
        frame = super().to_frame()
        frame.insert(frame.columns.get_loc("se") + 1, "se2", self.se2)
        return frame

    def frailty_frame(self) -> pd.DataFrame:
        """One row per group: the log-frailty, its variance and the frailty ``exp(frailty)``."""
        import pandas as pd

        assert self.frailty is not None and self.frailty_var is not None
        return pd.DataFrame({"frailty": self.frailty, "var": self.frailty_var, "exp": np.exp(self.frailty)},
                            index=pd.Index(list(self.frailty_levels), name=self.frailty_term))

    def summary(self) -> str:
        """R's ``print(fit)`` table in words: coefficients, the frailty row, theta and likelihoods."""
        lines = [f"{'':<24}{'coef':>10}{'se(coef)':>10}{'se2':>10}{'Chisq':>10}{'DF':>6}{'p':>10}"]
        assert self.se2 is not None and self.df_terms is not None and self.frailty_test is not None
        for j, name in enumerate(self.terms):  # R prints DF 1 for each unpenalised coefficient
            chisq = self.z[j] ** 2
            lines.append(f"{name[:24]:<24}{self.coef[j]:>10.4g}{self.se[j]:>10.4g}{self.se2[j]:>10.4g}"
                         f"{chisq:>10.4g}{1:>6}{self.p[j]:>10.3g}")
        ft = self.frailty_test
        lines.append(f"{self.frailty_term[:24]:<24}{'':>30}{ft.statistic:>10.4g}{ft.df:>6.3g}{ft.p:>10.3g}")
        how = "fixed" if self.theta_fixed else "maximising the integrated likelihood"
        lines.append(f"Variance of random effect = {self.theta:.6g} ({how}); "
                     f"I-likelihood = {self.loglik_integrated:.10g}")
        lines.append(f"Likelihood ratio test = {self.lr_test.statistic:.4g} on {self.lr_test_df:.2f} df, "
                     f"p = {self.lr_test.p:.3g}; n = {self.n}, events = {self.n_event}")
        return "\n".join(lines)


def fit_frailty(t: np.ndarray, ev: np.ndarray, Xa: np.ndarray, group: np.ndarray, levels: tuple[Any, ...], *,
                term: Any, names: tuple[str, ...], term_labels: tuple[str, ...],
                assign: tuple[tuple[int, ...], ...], ties: str, strata: np.ndarray | None,
                strata_labels: tuple[str, ...], n_missing: int, conf_level: float, design: Any,
                strata_names: tuple[str, ...], strata_levels: tuple[Any, ...], stacklevel: int = 4) -> FrailtyCoxResult:
    """Fit ``frailty(group)`` on validated, na-omitted arrays (see the module notes)."""
    G = len(levels)
    if G < 2:
        raise InputError(f"{term.text} needs at least two groups among the analysed rows (found {G})",
                         argument="formula", value=term.text, fix="remove the frailty() term")
    sparse = term.sparse if term.sparse is not None else G > 5
    prob = F.FrailtyProblem(t, ev, Xa, group, G, strata=strata, ties=ties)
    history: tuple[tuple[float, float], ...] = ()
    converged = True
    if term.theta is not None:
        fit = prob.fit_fixed(float(term.theta))
        if not fit.converged:
            converged = False
            warnings.warn(f"the penalised fit of {term.text} did not converge", ConvergenceWarning,
                          stacklevel=stacklevel)
    else:
        prof = F.profile(prob)
        fit, history, converged = prof.best, prof.history, prof.converged
        if not converged:
            warnings.warn(f"{term.text}: {prof.message}; theta = {fit.theta:.6g} is the best value found",
                          ConvergenceWarning, stacklevel=stacklevel)
    sm = F.summarise(fit, sparse=sparse)
    p = Xa.shape[1]
    beta = fit.beta
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(sm.var))
        se2 = np.sqrt(np.diag(sm.var2))
    zq = _sp.ndtri(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = beta / se
        pv = 2 * _sp.ndtr(-np.abs(z))
    df_terms = F.term_df(sm.var, sm.var2, assign) if p else np.zeros(0)
    lr_df = float(df_terms.sum() + sm.frailty_df)
    loglik_null = prob.loglik_null()
    lr_stat = 2 * (fit.loglik - loglik_null)
    lr = TestResult(float(lr_stat), int(round(lr_df)), float(_sp.chdtrc(lr_df, lr_stat)) if lr_df > 0 else math.nan)
    wald = float(beta @ np.linalg.solve(sm.var, beta)) if p else 0.0
    cs = K.setup(t, ev, Xa, strata=strata, ties=ties)
    state = CoxState(setup=cs, beta=beta, design=design, cluster=None, strata_labels=tuple(strata_labels),
                     strata_names=tuple(strata_names), strata_levels=tuple(strata_levels), offset_mean=0.0,
                     has_offset=False)
    nan = TestResult(math.nan, p, math.nan)
    return FrailtyCoxResult(
        terms=names, coef=beta, se=se, robust_se=None, hr=np.exp(beta), hr_lower=np.exp(beta - zq * se),
        hr_upper=np.exp(beta + zq * se), z=z, p=pv, var=sm.var, naive_var=sm.var, n=int(t.size),
        n_event=int(ev.sum()), n_missing=int(n_missing), loglik_null=loglik_null, loglik=fit.loglik,
        iterations=fit.iterations, converged=bool(fit.converged and converged), lr_test=lr,
        wald_test=TestResult(wald, p, float(_sp.chdtrc(p, wald)) if p else math.nan), score_test=nan,
        robust_score_test=None, ties=ties, means=cs.means, conf_level=conf_level, term_labels=term_labels,
        assign=assign, strata_labels=tuple(strata_labels), _state=state,
        theta=fit.theta, theta_fixed=term.theta is not None, var2=sm.var2, se2=se2,
        loglik_penalized=fit.loglik - fit.penalty, penalty=fit.penalty, loglik_integrated=fit.loglik_integrated,
        frailty_term=term.text, frailty_levels=tuple(levels), frailty=fit.omega, frailty_var=sm.fvar,
        frailty_test=FrailtyTest(sm.frailty_chisq, sm.frailty_df, sm.frailty_p), df_terms=df_terms,
        lr_test_df=lr_df, sparse=sparse, theta_converged=converged, theta_history=history,
    )
