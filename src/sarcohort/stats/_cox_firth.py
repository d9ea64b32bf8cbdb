"""Firth-penalised Cox regression (Heinze & Schemper 2001; what R's ``coxphf`` reports).

The estimate maximises the penalised log partial likelihood ``log L(b) + 1/2 log det I(b)``
(:mod:`sarcohort.stats._firth_kernel`), which stays finite under monotone likelihood (e.g. no
event in one category), where the ordinary estimate runs to infinity. As ``coxphf``:

* Newton-Raphson on the penalised score (its derivative by central differences, where coxphf
  uses ``I(b)``: the same maximum, reached in fewer steps), step-halving on the penalised
  likelihood;
* standard errors: ``I(b_hat)^-1`` (the information at the penalised estimate);
* confidence intervals: profile penalised likelihood (the values ``b`` where
  ``2 (pl(b_hat) - max pl given b_j = b)`` equals the chi-square quantile), found by root
  finding, not by Venzon-Moolgavkar iterations (the same limits to the root tolerance);
* p-values per coefficient: penalised likelihood-ratio tests against ``b_j = 0`` (the other
  coefficients re-maximised); per term (all columns of a factor at 0) in ``lr_terms``; global:
  ``2 (pl(b_hat) - pl(0))``.

``loglik``/``loglik_null`` of the result are the ordinary log partial likelihoods at the
estimate and at 0; the penalised ones are ``penalized_loglik``/``penalized_loglik_null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize as _opt
from scipy import special as _sp

from sarcohort.exceptions import ConvergenceWarning, InputError
from sarcohort.stats import _firth_kernel as F
from sarcohort.stats.cox_result import CoxResult, CoxState, TestResult


@dataclass(frozen=True)
class FirthCoxResult(CoxResult):
    """A Firth-penalised Cox fit: :class:`CoxResult` with profile-likelihood CIs and penalised
    likelihood-ratio p-values, plus:

    Attributes
    ----------
    penalized_loglik_null, penalized_loglik
        Penalised log partial likelihood at 0 and at the estimate.
    lr_coef
        Penalised likelihood-ratio test of each coefficient (the source of ``p``).
    lr_terms
        The same per term (all columns of a factor set to 0 together), in ``term_labels`` order.
    wald_lower, wald_upper
        Wald hazard-ratio limits from ``se`` (for comparison; the report uses the profile ones).
    """

    penalized_loglik_null: float = math.nan
    penalized_loglik: float = math.nan
    lr_coef: tuple[TestResult, ...] = ()
    lr_terms: tuple[TestResult, ...] = ()
    wald_lower: np.ndarray | None = None
    wald_upper: np.ndarray | None = None

    @property
    def firth(self) -> bool:
        """True: the estimate is Firth-penalised."""
        return True


def _chi2(stat: float, df: int) -> TestResult:
    stat = max(float(stat), 0.0)  # a profile maximum cannot exceed the global one
    return TestResult(stat, int(df), float(_sp.chdtrc(df, stat)) if df > 0 else math.nan)


def _hessian(fd: F.FirthData, cur: F.Penalized, free: np.ndarray) -> np.ndarray:
    """Minus the derivative of the free part of the penalised score (central differences),
    or the information ``I_ff`` where that is not positive definite."""
    idx = np.flatnonzero(free)
    H = np.empty((idx.size, idx.size))
    for a, j in enumerate(idx):
        h = 1e-5 * max(1.0, abs(cur.beta[j]))
        up, dn = cur.beta.copy(), cur.beta.copy()
        up[j] += h
        dn[j] -= h
        su, sd = F.penalized(fd, up).ustar, F.penalized(fd, dn).ustar
        if su is None or sd is None:
            return cur.imat[np.ix_(free, free)]
        H[:, a] = -(su[free] - sd[free]) / (2 * h)
    H = (H + H.T) / 2
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return cur.imat[np.ix_(free, free)]
    return H


def maximise(fd: F.FirthData, beta0: np.ndarray, free: np.ndarray, *, max_iter: int = 100,
             tol: float = 1e-10, max_step: float = 5.0, exact: bool = True) -> tuple[F.Penalized, int, bool]:
    """Maximise the penalised likelihood over the ``free`` coefficients (the others fixed).

    Newton steps on the penalised score: the metric is minus its derivative (central
    differences; the information ``I_ff`` where that is not positive definite, as coxphf uses
    throughout), the step capped at ``max_step`` (largest change) and halved while the
    penalised likelihood decreases beyond rounding; stops when the largest change is below
    ``tol`` (relative to ``max(1, |b|)``). ``exact=False`` uses ``I_ff`` throughout (cheaper
    steps, linear convergence: the profiles, warm-started near their optimum). Returns the last evaluation, the iterations and
    whether it converged.
    """
    beta = np.asarray(beta0, dtype=float).copy()
    cur = F.penalized(fd, beta)
    if not free.any():
        return cur, 0, True
    if not math.isfinite(cur.pl):
        raise np.linalg.LinAlgError("the information matrix is not positive definite at the start")
    for it in range(1, max_iter + 1):
        assert cur.ustar is not None
        step = np.zeros_like(beta)
        metric = _hessian(fd, cur, free) if exact else cur.imat[np.ix_(free, free)]
        step[free] = np.linalg.solve(metric, cur.ustar[free])
        big = np.abs(step).max()
        if big > max_step:
            step *= max_step / big
        if (np.abs(step) <= tol * np.maximum(1.0, np.abs(beta))).all():
            return cur, it, True
        slack = 1e-12 * max(1.0, abs(cur.pl))
        for _ in range(60):
            new = F.penalized(fd, beta + step)
            if math.isfinite(new.pl) and new.pl >= cur.pl - slack and new.ustar is not None:
                break
            step /= 2
        else:
            return cur, it, False
        beta, cur = beta + step, new
    return cur, max_iter, False


def firth_estimate(fd: F.FirthData, *, max_iter: int = 100) -> tuple[F.Penalized, int, bool]:
    """The penalised estimate from 0 (all coefficients free)."""
    return maximise(fd, np.zeros(fd.p), np.ones(fd.p, dtype=bool), max_iter=max_iter)


class _Profile:
    """Profile penalised likelihood of a set of coefficients, warm-started at the last optimum."""

    def __init__(self, fd: F.FirthData, best: F.Penalized, cols: Sequence[int], max_iter: int):
        self.fd, self.best, self.max_iter = fd, best, max_iter
        self.cols = np.asarray(cols, dtype=np.intp)
        self.free = np.ones(fd.p, dtype=bool)
        self.free[self.cols] = False
        self.start = best.beta.copy()
        self.failed = False

    def deviance(self, value: float | np.ndarray) -> float:
        beta = self.start.copy()
        beta[self.cols] = value
        ev, _, ok = maximise(self.fd, beta, self.free, max_iter=self.max_iter, exact=False)
        self.failed |= not ok
        if math.isfinite(ev.pl):
            self.start = ev.beta.copy()
        return 2.0 * (self.best.pl - ev.pl)


def _profile_limit(prof: _Profile, j: int, se: float, crit: float, side: int) -> float:
    """The profile limit of coefficient ``j`` on one side (+1 upper, -1 lower); +-inf when the
    penalised profile does not fall to the critical value within 60 standard errors."""
    b0 = float(prof.best.beta[j])
    step = max(2.0 * se, 1e-3) if math.isfinite(se) and se > 0 else 1.0
    prof.start = prof.best.beta.copy()
    inner = b0
    for k in range(1, 31):
        outer = b0 + side * step * k
        if prof.deviance(outer) - crit > 0:
            break
        inner = outer
    else:
        return side * math.inf
    prof.start = prof.best.beta.copy()
    lo, hi = sorted((inner, outer))
    return float(_opt.brentq(lambda b: prof.deviance(b) - crit, lo, hi, xtol=1e-12, rtol=4e-15,
                             maxiter=200))


def fit_firth(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    *,
    names: tuple[str, ...],
    term_labels: tuple[str, ...],
    assign: tuple[tuple[int, ...], ...],
    ties: str,
    state: CoxState,
    means: np.ndarray,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    strata_labels: tuple[str, ...] = (),
    n_missing: int = 0,
    conf_level: float = 0.95,
    max_iter: int = 200,
    warn: Any = None,
) -> FirthCoxResult:
    """Fit the Firth-penalised Cox model on validated arrays (called by :func:`sarcohort.cox`).

    ``state`` carries the sorted data of the ordinary fit's setup (for concordance, residuals
    and predictions at the penalised estimate); ``warn`` is ``warnings.warn``-like.
    """
    n, p = X.shape
    if ties not in ("efron", "breslow"):
        raise InputError("Firth's correction is available for Efron and Breslow ties", argument="ties",
                         value=ties, fix="use ties='efron' or ties='breslow'")
    fd = F.build(time, event, X, entry=entry, strata=strata, offset=offset, weights=weights, ties=ties)
    if fd.R.size > F.DENSE_LIMIT:
        raise InputError(f"too large for Firth's correction ({n} rows x {fd.R.shape[0]} event terms)",
                         argument="firth", fix="Firth's correction is meant for small series; fit without it")
    try:
        best, iterations, converged = firth_estimate(fd, max_iter=max_iter)
    except np.linalg.LinAlgError:
        raise InputError("the covariates carry no information at the event times", argument="X",
                         fix="remove covariates that do not vary among patients with events") from None
    if not converged and warn is not None:
        warn(f"the Firth-penalised fit did not converge in {max_iter} iterations", ConvergenceWarning)
    beta = best.beta
    var = np.linalg.inv(best.imat)
    var = (var + var.T) / 2
    se = np.sqrt(np.diag(var))
    crit = float(_sp.chdtri(1, 1 - conf_level))
    lower = np.empty(p)
    upper = np.empty(p)
    lr_coef = []
    failed = False
    for j in range(p):
        prof = _Profile(fd, best, [j], max_iter)
        lower[j] = _profile_limit(prof, j, se[j], crit, -1)
        upper[j] = _profile_limit(prof, j, se[j], crit, +1)
        prof.start = beta.copy()
        lr_coef.append(_chi2(prof.deviance(0.0), 1))
        failed |= prof.failed
    lr_terms = []
    for cols in assign:
        if len(cols) == 1:
            lr_terms.append(lr_coef[cols[0]])
        else:
            prof = _Profile(fd, best, cols, max_iter)
            lr_terms.append(_chi2(prof.deviance(np.zeros(len(cols))), len(cols)))
            failed |= prof.failed
    if failed and warn is not None:
        warn("a profile of the Firth-penalised likelihood did not converge; its limits may be inexact",
             ConvergenceWarning)
    null = F.penalized(fd, np.zeros(p), score=False)
    zq = _sp.ndtri(0.5 + conf_level / 2)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta / se
        hr = np.exp(beta)
        lo, hi = np.exp(lower), np.exp(upper)
        wlo, whi = np.exp(beta - zq * se), np.exp(beta + zq * se)
    pv = np.array([t.p for t in lr_coef])
    u0, i0 = null.u, null.imat
    try:
        score0 = float(u0 @ np.linalg.solve(i0, u0)) if p else 0.0
    except np.linalg.LinAlgError:
        score0 = math.nan
    wald = float(beta @ np.linalg.solve(var, beta)) if p else 0.0
    state = replace(state, beta=beta)
    return FirthCoxResult(
        terms=tuple(names), coef=beta, se=se, robust_se=None, hr=hr, hr_lower=lo, hr_upper=hi,
        z=z, p=pv, var=var, naive_var=var, n=int(n), n_event=int(np.asarray(event, bool).sum()),
        n_missing=int(n_missing), loglik_null=null.loglik, loglik=best.loglik,
        iterations=iterations, converged=converged,
        lr_test=_chi2(2 * (best.pl - null.pl), p), wald_test=_chi2(wald, p),
        score_test=_chi2(score0, p), robust_score_test=None, ties=ties, means=means,
        conf_level=conf_level, term_labels=tuple(term_labels), assign=tuple(assign),
        strata_labels=tuple(strata_labels), _state=state,
        penalized_loglik_null=null.pl, penalized_loglik=best.pl, lr_coef=tuple(lr_coef),
        lr_terms=tuple(lr_terms), wald_lower=wlo, wald_upper=whi,
    )
