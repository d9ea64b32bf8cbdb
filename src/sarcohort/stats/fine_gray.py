"""Fine-Gray regression of the subdistribution hazard, identical to ``cmprsk::crr``.

::

    sc.fine_gray("Surv(time, status) ~ age + factor(stage)", data=df, cause=1)
    sc.fine_gray(time, status, X, cause=1)

``status`` codes the causes as in :func:`sarcohort.stats.cuminc.cuminc` (``cencode``, 0 by
default, is censored; or a factor whose first level is censoring). The estimate maximises
``crr``'s weighted partial likelihood (censoring weights from the Kaplan-Meier curve of the
censoring times at left limits; :mod:`sarcohort.stats._fine_gray_kernel`), converged tighter
than ``crr``'s default (equal to ``crr(..., gtol = 1e-10)``); the variance is ``crr``'s
sandwich with the correction for the estimated censoring distribution.

Deliberate differences: no time-varying covariates (``cov2``/``tf``) and one censoring group
(``cengroup``); a constant or collinear covariate is an error naming it. survival's
``finegray()`` + weighted ``coxph`` is a slightly different estimator (it weights by ``G``
at right limits and handles ties differently); sarcohort follows ``crr``.

Exports :func:`fine_gray` and its result, :class:`FineGrayResult`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri

from sarcohort.exceptions import ConvergenceWarning, FormulaError, InputError
from sarcohort.stats import _fine_gray_kernel as K
from sarcohort.stats._competing_data import competing_inputs, resolve_cause

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["fine_gray", "FineGrayResult"]


@dataclass(frozen=True)
class FineGrayResult:
    """A fitted Fine-Gray model, with ``cmprsk::crr``'s numbers.

    Attributes
    ----------
    terms
        Coefficient names as R's ``model.matrix`` writes them.
    coef, se, shr, lower, upper, z, p
        Per coefficient: log subdistribution hazard ratio, its (sandwich) SE, the ratio
        ``exp(coef)`` with its CI at ``conf_level``, Wald z and two-sided P.
    var
        Sandwich variance (``crr``'s ``var``); ``naive_var`` is the inverse information.
    cause, causes
        The event of interest and all causes; ``n_event``, ``n_competing``, ``n_censored``
        count the analysed rows.
    loglik, loglik_null
        Log pseudo-partial likelihood at the estimate and at 0 (``crr``'s ``loglik``,
        ``loglik.null``); ``lr_test`` is their likelihood-ratio statistic (``summary.crr``).
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    shr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    z: np.ndarray
    p: np.ndarray
    var: np.ndarray
    naive_var: np.ndarray
    cause: Any
    causes: tuple[Any, ...]
    n: int
    n_event: int
    n_competing: int
    n_censored: int
    n_missing: int
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: int
    lr_p: float
    iterations: int
    converged: bool
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient."""
        import pandas as pd

        return pd.DataFrame({"term": self.terms, "coef": self.coef, "se": self.se, "shr": self.shr,
                             "lower": self.lower, "upper": self.upper, "z": self.z, "p": self.p})


def _newton(fd: K.FineGrayData, p: int, max_iter: int, gtol: float) -> tuple[np.ndarray, int, bool, float]:
    """Newton-Raphson with step halving (as ``crr``), to ``crr``'s criterion with ``gtol``."""
    beta = np.zeros(p)
    f, grad, hess = K.objective(fd, beta)
    for it in range(max_iter + 1):
        if np.max(np.abs(grad) * np.maximum(np.abs(beta), 1.0)) < max(abs(f), 1.0) * gtol:
            return beta, it, True, f
        if it == max_iter:
            break
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if np.max(np.abs(step)) <= 1e-12 * max(1.0, float(np.max(np.abs(beta)))):
            return beta, it, True, f  # at the optimum to rounding
        # below rounding of f the decrease cannot be seen: take the full Newton step
        tiny = -float(step @ grad) < 1e-10 * max(abs(f), 1.0)
        for _ in range(30):
            new = beta + step
            f_new = K.objective(fd, new, derivatives=False)[0]
            if tiny or (np.isfinite(f_new) and f_new <= f + 1e-4 * float(step @ grad)):
                break
            step = step / 2
        else:
            break
        beta = new
        f, grad, hess = K.objective(fd, beta)
    return beta, max_iter, False, f


def fine_gray(
    time_or_formula: Any,
    status: Any = None,
    X: Any = None,
    *,
    data: Any = None,
    cause: Any = 1,
    cencode: Any = 0,
    names: Any = None,
    conf_level: float = 0.95,
    max_iter: int = 50,
) -> FineGrayResult:
    """Fit a Fine-Gray subdistribution hazards model (R's ``cmprsk::crr``).

    Parameters
    ----------
    time_or_formula
        Follow-up times, or a formula ``"Surv(time, status) ~ x1 + factor(x2)"`` on ``data``.
    status
        Status per row (arrays): ``cencode`` for censored, other values causes.
    X
        Covariates (n x p array or DataFrame), with arrays.
    data
        pandas DataFrame for a formula.
    cause
        The event of interest (``crr``'s ``failcode``); every other cause competes.
    cencode
        The status of censored rows.
    names
        Coefficient names for an array ``X``.
    conf_level
        Level of the confidence intervals.
    max_iter
        Newton-Raphson iterations.

    Returns
    -------
    FineGrayResult

    Warns
    -----
    ConvergenceWarning
        When the fit did not converge (e.g. a covariate with no events in one category).
    """
    if not 0 < float(conf_level) < 1:
        raise InputError("must lie strictly between 0 and 1", argument="conf_level", value=conf_level)
    if isinstance(time_or_formula, str):
        if X is not None or names is not None:
            raise InputError("with a formula, give covariates inside the formula", argument="X")
        cd = competing_inputs(time_or_formula, status, data=data, cencode=cencode, allow_terms=False)
        from sarcohort.stats.design import build_design
        from sarcohort.stats.formula import parse_formula

        parsed = parse_formula(time_or_formula)
        if parsed.strata:
            raise FormulaError("strata() is not part of a Fine-Gray model", argument="formula",
                               value=time_or_formula, fix="remove strata(); crr has no stratified form")
        if parsed.rhs.strip() in ("", "1"):
            raise FormulaError("a Fine-Gray model needs at least one covariate", argument="formula",
                               value=time_or_formula)
        assert cd.kept is not None
        design = build_design(parsed.rhs, data.loc[cd.kept])
        Xa, terms = np.asarray(design.X, dtype=float), tuple(design.columns)
        t, codes, n_missing = cd.time, cd.cause, cd.n_missing
    else:
        cd = competing_inputs(time_or_formula, status, cencode=cencode)
        if X is None:
            raise InputError("arrays need time, status and X", argument="X",
                             fix="call fine_gray(time, status, X) or fine_gray('Surv(time, status) ~ ...', data=df)")
        if hasattr(X, "columns") and names is None:
            names = [str(c) for c in X.columns]
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim == 1:
            Xa = Xa[:, None]
        if Xa.shape[0] != cd.time.size:
            raise InputError(f"must have one row per observation ({cd.time.size})", argument="X", value=Xa.shape)
        terms = tuple(str(s) for s in names) if names is not None else tuple(f"x{j + 1}" for j in range(Xa.shape[1]))
        if len(terms) != Xa.shape[1]:
            raise InputError(f"needs one name per column of X ({Xa.shape[1]})", argument="names", value=len(terms))
        t, codes, n_missing = cd.time, cd.cause, 0
    bad = ~np.isfinite(Xa).all(axis=1)
    if bad.any():  # e.g. log() of a non-positive value: dropped as R's na.omit
        t, codes, Xa = t[~bad], codes[~bad], Xa[~bad]
        n_missing += int(bad.sum())
    k = resolve_cause(cause, cd.causes)
    st = np.where(codes == k, 1, np.where(codes > 0, 2, 0))
    if not (st == 1).any():
        raise InputError("no events of this cause among the analysed rows", argument="cause", value=cause)
    _check_columns(Xa, terms)
    fd = K.prepare(t, st, Xa)
    p = Xa.shape[1]
    beta, iterations, converged, f = _newton(fd, p, int(max_iter), 1e-12)
    if not converged:
        warnings.warn(f"the Fine-Gray fit did not converge in {max_iter} iterations (a covariate may have no "
                      "events in one category); estimates are not reliable", ConvergenceWarning, stacklevel=2)
    f0 = K.objective(fd, np.zeros(p), derivatives=False)[0]
    hess, middle = K.sandwich(fd, beta)
    try:
        h_inv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        raise InputError("the information matrix is singular", argument="X",
                         fix="remove covariates that do not vary among the patients at risk") from None
    var = h_inv @ middle @ h_inv.T
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        se = np.sqrt(np.diag(var))
        z = beta / se
        pv = 2.0 * ndtr(-np.abs(z))
        zq = float(ndtri(0.5 + float(conf_level) / 2))
        lower, upper = np.exp(beta - zq * se), np.exp(beta + zq * se)
    lr = 2.0 * (f0 - f)
    return FineGrayResult(
        terms=terms, coef=beta, se=se, shr=np.exp(beta), lower=lower, upper=upper, z=z, p=pv, var=var,
        naive_var=h_inv, cause=cd.causes[k - 1], causes=cd.causes, n=int(t.size), n_event=int((st == 1).sum()),
        n_competing=int((st == 2).sum()), n_censored=int((st == 0).sum()), n_missing=int(n_missing),
        loglik=-f, loglik_null=-f0, lr_statistic=lr, lr_df=p, lr_p=float(chdtrc(p, lr)),
        iterations=iterations, converged=converged, conf_level=float(conf_level),
    )


def _check_columns(Xa: np.ndarray, terms: tuple[str, ...]) -> None:
    if Xa.shape[1] == 0:
        raise InputError("a Fine-Gray model needs at least one covariate", argument="X")
    const = np.flatnonzero(np.ptp(Xa, axis=0) == 0)
    if const.size:
        raise InputError("covariate is constant in the analysed rows (its effect cannot be estimated)",
                         argument=terms[const[0]], fix="remove it from the model")
    r = np.linalg.qr((Xa - Xa.mean(axis=0)) / Xa.std(axis=0), mode="r")
    d = np.abs(np.diag(r))
    if np.any(d < 1e-9 * max(d.max(), 1.0)):
        raise InputError("covariate is collinear with the preceding ones",
                         argument=terms[int(np.flatnonzero(d < 1e-9 * max(d.max(), 1.0))[0])],
                         fix="remove it (or a redundant factor level) from the model")
