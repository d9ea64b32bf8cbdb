"""Result of a Cox proportional hazards fit (:func:`sarcohort.stats.cox.cox`).

:class:`CoxResult` is frozen plain data (coefficients, standard errors, hazard ratios with
confidence intervals, tests) plus the sorted data of the fit, kept privately so that the
follow-up quantities R derives from a ``coxph`` object can be computed on request:
:attr:`CoxResult.concordance`, :meth:`CoxResult.baseline_hazard`,
:meth:`CoxResult.predict_survival`, :meth:`CoxResult.residuals` and :meth:`CoxResult.zph`.

Exports :class:`CoxResult` and :class:`TestResult` (one of its three global tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats._cox_kernel import CoxSetup, Evaluation
    from sarcohort.stats._cox_predict import BaselineHazard, CoxPrediction, CoxSurvival
    from sarcohort.stats._zph import ZphResult
    from sarcohort.stats.concordance import Concordance
    from sarcohort.stats.design import Design

__all__ = ["CoxResult", "TestResult"]


@dataclass(frozen=True)
class TestResult:
    """A chi-square test: statistic, degrees of freedom and p-value (``chi2.sf``)."""

    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class CoxState:
    """What the follow-up computations need: the sorted data and the estimate."""

    setup: CoxSetup
    beta: np.ndarray
    design: Design | None
    cluster: np.ndarray | None  # input-order codes over analysed rows
    strata_labels: tuple[str, ...]
    strata_names: tuple[str, ...]  # variables of strata(), to find the stratum of new data
    strata_levels: tuple[Any, ...]  # raw value tuples of each stratum (formula fits)
    offset_mean: float
    has_offset: bool
    offset_expr: str | None = None  # formula fits: to evaluate the offset of new data
    surv_exprs: tuple[str, ...] = ()  # formula fits: Surv()'s expressions, for new data's times
    final_evaluation: Evaluation | None = None  # the Newton loop's evaluation at ``beta``

    @cached_property
    def final(self) -> Evaluation:
        """Per-time sums at the estimate (Breslow's after an exact fit, as R uses them)."""
        if self.final_evaluation is not None and np.array_equal(self.final_evaluation.beta, self.beta):
            return self.final_evaluation
        from sarcohort.stats._cox_kernel import evaluate

        return evaluate(self.setup, self.beta, info=False)


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model, with R ``coxph``'s numbers.

    Attributes
    ----------
    terms
        Coefficient names as R writes them (``age``, ``factor(grade)2``, ``age:sex``).
    coef, se, hr, hr_lower, hr_upper, z, p
        Per coefficient. For robust (sandwich) fits ``z``, ``p`` and the confidence interval
        use ``robust_se``, as ``summary.coxph`` does.
    robust_se
        Sandwich standard errors (cluster-collapsed when ``cluster`` was given); None otherwise.
    var
        Variance matrix of ``coef`` (the robust one for robust fits); ``naive_var`` is the
        inverse information.
    n, n_event, n_missing
        Rows analysed, events, rows dropped for missing values.
    loglik_null, loglik
        Log partial likelihood at beta = 0 and at the estimate.
    iterations, converged
        Newton-Raphson iterations and convergence. We converge tighter than R's default (the
        coefficients equal R's ``coxph.control(eps = 1e-12)`` refit), so the count can differ
        from R's ``fit$iter`` by one.
    lr_test, wald_test, score_test, robust_score_test
        Global tests (``robust_score_test`` only for robust fits; the Wald test uses the
        robust variance there).
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    robust_se: np.ndarray | None
    hr: np.ndarray
    hr_lower: np.ndarray
    hr_upper: np.ndarray
    z: np.ndarray
    p: np.ndarray
    var: np.ndarray
    naive_var: np.ndarray
    n: int
    n_event: int
    n_missing: int
    loglik_null: float
    loglik: float
    iterations: int
    converged: bool
    lr_test: TestResult
    wald_test: TestResult
    score_test: TestResult
    robust_score_test: TestResult | None
    ties: str
    means: np.ndarray
    conf_level: float
    term_labels: tuple[str, ...]
    assign: tuple[tuple[int, ...], ...]
    strata_labels: tuple[str, ...]
    _state: CoxState = field(repr=False, compare=False)

    @property
    def robust(self) -> bool:
        """True for a sandwich-variance fit (``robust=True`` or ``cluster``)."""
        return self.robust_se is not None

    @property
    def aic(self) -> float:
        """Akaike's criterion, R's ``AIC(fit)``: ``-2 loglik + 2 p``."""
        return float(-2 * self.loglik + 2 * self.coef.size)

    @property
    def linear_predictors(self) -> np.ndarray:
        """``X b + offset`` centered at ``means`` (R's ``fit$linear.predictors``), input row order."""
        st = self._state.setup
        out = np.empty(st.n)
        out[st.order] = self._state.final.eta
        return out

    @cached_property
    def concordance(self) -> Concordance:
        """Harrell's concordance with R's definition (``timewt = "n"``, within strata)."""
        from sarcohort.stats.concordance import cox_concordance

        return cox_concordance(self)

    def baseline_hazard(self, kind: Literal["efron", "breslow"] | None = None,
                        centered: bool = False) -> BaselineHazard:
        """Cumulative baseline hazard, as R's ``basehaz(fit, centered)``.

        ``kind`` = ``"efron"`` (R's default for Efron fits, ctype 2) or ``"breslow"`` (ctype 1);
        the default follows the fit's ties method.
        """
        from sarcohort.stats._cox_predict import baseline_hazard

        return baseline_hazard(self, kind=kind, centered=centered)

    def predict_survival(self, newdata: Any, *, conf_level: float | None = None,
                         conf_type: str = "log") -> CoxSurvival:
        """Survival curve(s) for covariate profile(s), as ``survfit(fit, newdata, conf.type)``."""
        from sarcohort.stats._cox_predict import predict_survival

        return predict_survival(self, newdata, conf_level=conf_level, conf_type=conf_type)

    def predict(self, newdata: Any = None, *, kind: Literal["lp", "risk", "expected"] = "lp",
                se_fit: bool = False, reference: Literal["strata", "sample", "zero"] = "strata",
                time: Any = None, entry: Any = None) -> CoxPrediction:
        """Linear predictor, risk or expected events, as R's ``predict(fit, newdata, type, se.fit)``
        (see :func:`sarcohort.stats._cox_predict.predict`; ``time``/``entry``: the follow-up of
        new rows for ``kind="expected"`` after an array fit)."""
        from sarcohort.stats._cox_predict import predict

        return predict(self, newdata, kind=kind, se_fit=se_fit, reference=reference, time=time, entry=entry)

    def residuals(self, kind: Literal["martingale", "deviance", "score", "schoenfeld",
                                      "dfbeta", "dfbetas"] = "martingale") -> np.ndarray:
        """Residuals as R's ``residuals(fit, type=kind)`` (rows in input order; Schoenfeld:
        one row per event, in time order)."""
        from sarcohort.stats._cox_residuals import residuals

        return residuals(self, kind)

    def zph(self, transform: Literal["km", "identity", "rank", "log"] = "km") -> ZphResult:
        """Test of proportional hazards, as survival 3.x ``cox.zph`` (per term and GLOBAL)."""
        from sarcohort.stats._zph import cox_zph

        return cox_zph(self, transform=transform)

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: coef, HR, CI, SE (robust SE for robust fits), z, p."""
        import pandas as pd

        lo = f"lower {self.conf_level:.0%}"
        hi = f"upper {self.conf_level:.0%}"
        cols: dict[str, Any] = {"coef": self.coef, "hr": self.hr, "se": self.se}
        if self.robust_se is not None:
            cols["robust_se"] = self.robust_se
        cols.update({"z": self.z, "p": self.p, lo: self.hr_lower, hi: self.hr_upper})
        return pd.DataFrame(cols, index=pd.Index(self.terms, name="term"))
