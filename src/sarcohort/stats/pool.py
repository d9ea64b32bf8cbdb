"""Rubin's rules: pool the fits of m multiply imputed data sets, as R's ``mice::pool``.

For each coefficient, with ``q_i`` the estimates and ``u_i`` their variances in the m fits::

    estimate = mean(q_i)                       ubar = mean(u_i)        (within)
    b = var(q_i) (denominator m - 1)           (between)
    t = ubar + (1 + 1/m) b                     (total)
    riv = (1 + 1/m) b / ubar                   (relative increase in variance)
    lambda = (1 + 1/m) b / t                   (proportion of variance due to missingness)
    df: Barnard & Rubin (1999), with the complete-data df ``dfcom``:
        dfold = (m - 1) / lambda^2,  dfobs = (dfcom + 1) / (dfcom + 3) dfcom (1 - lambda),
        df = dfold dfobs / (dfold + dfobs)     (lambda floored at 1e-4, as mice)
    fmi = (riv + 2 / (df + 3)) / (riv + 1)     (fraction of missing information)

Tests and intervals use Student's t with ``df``. For Cox fits mice takes ``dfcom`` as the
number of events minus the number of coefficients (``broom::glance``'s ``nobs`` is the
number of events), and so do we unless ``dfcom`` is given.

Exports :func:`pool`, :func:`rubin` (Rubin's rules on arrays) and :class:`PooledResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["pool", "rubin", "PooledResult"]


@dataclass(frozen=True)
class PooledResult:
    """Pooled coefficients (``mice::pool(...)$pooled`` and its ``summary``).

    ``hr``, ``hr_lower``, ``hr_upper`` are ``exp`` of the estimate and of its t-based limits.
    """

    terms: tuple[str, ...]
    m: int
    estimate: np.ndarray
    ubar: np.ndarray
    b: np.ndarray
    t: np.ndarray
    dfcom: float
    df: np.ndarray
    riv: np.ndarray
    lambda_: np.ndarray
    fmi: np.ndarray
    std_error: np.ndarray
    statistic: np.ndarray
    p: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_level: float

    @property
    def hr(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(self.estimate)

    @property
    def hr_lower(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(self.lower)

    @property
    def hr_upper(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(self.upper)

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient, mice's column names."""
        import pandas as pd

        return pd.DataFrame({
            "estimate": self.estimate, "ubar": self.ubar, "b": self.b, "t": self.t, "dfcom": self.dfcom,
            "df": self.df, "riv": self.riv, "lambda": self.lambda_, "fmi": self.fmi,
            "std.error": self.std_error, "statistic": self.statistic, "p.value": self.p,
            "lower": self.lower, "upper": self.upper}, index=pd.Index(self.terms, name="term"))


def rubin(q: np.ndarray, u: np.ndarray, dfcom: float = np.inf, conf_level: float = 0.95,
          terms: Sequence[str] | None = None) -> PooledResult:
    """Rubin's rules on an (m, p) array of estimates ``q`` and of their variances ``u``."""
    q = np.atleast_2d(np.asarray(q, dtype=float))
    u = np.atleast_2d(np.asarray(u, dtype=float))
    m, p = q.shape
    if m < 2:
        raise InputError("pooling needs at least 2 imputed data sets", argument="fits", value=m)
    if not 0 < conf_level < 1:
        raise InputError("must be between 0 and 1", argument="conf_level", value=conf_level)
    if dfcom <= 0:
        raise InputError("the complete-data degrees of freedom must be positive", argument="dfcom", value=dfcom)
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
        lam_df = np.maximum(lam, 1e-4)
        dfold = (m - 1) / lam_df**2
        if np.isinf(dfcom):
            df = dfold
        else:
            dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam_df)
            df = dfold * dfobs / (dfold + dfobs)
        fmi = (riv + 2 / (df + 3)) / (riv + 1)
        se = np.sqrt(t)
        stat = qbar / se
    pv = 2 * _sp.stdtr(df, -np.abs(stat))
    # scipy.stats here, not at the top: its import (~0.4 s) would delay every analysis, and
    # only a multiple imputation reaches this line
    from scipy import stats as _st

    crit = _st.t.ppf(0.5 + conf_level / 2, df)
    names = tuple(terms) if terms is not None else tuple(f"x{j + 1}" for j in range(p))
    return PooledResult(terms=names, m=m, estimate=qbar, ubar=ubar, b=b, t=t, dfcom=float(dfcom), df=df,
                        riv=riv, lambda_=lam, fmi=fmi, std_error=se, statistic=stat, p=pv,
                        lower=qbar - crit * se, upper=qbar + crit * se, conf_level=conf_level)


def pool(fits: Sequence[Any], *, dfcom: float | None = None, conf_level: float = 0.95) -> PooledResult:
    """Pool model fits from m imputed data sets by Rubin's rules (``mice::pool``).

    Parameters
    ----------
    fits
        Fits with ``terms``, ``coef`` and ``var`` (e.g. :func:`sarcohort.cox` results), one per
        completed data set, all with the same terms. ``var`` is the variance in use (the robust
        one for robust fits), as mice pools ``vcov()``.
    dfcom
        Complete-data degrees of freedom; default: events minus coefficients of the first fit
        (mice's choice for ``coxph``), or infinite when the fits carry no event count.
    conf_level
        Level of the t-based confidence limits.

    Returns
    -------
    PooledResult
    """
    fits = list(fits)
    if len(fits) < 2:
        raise InputError("pooling needs at least 2 fits (one per imputed data set)", argument="fits",
                         value=len(fits))
    terms = tuple(fits[0].terms)
    for i, f in enumerate(fits[1:], start=2):
        if tuple(f.terms) != terms:
            raise InputError(f"fit {i} has terms {tuple(f.terms)}, the first has {terms}", argument="fits",
                             fix="fit the same model to every completed data set")
    q = np.array([np.asarray(f.coef, dtype=float) for f in fits])
    u = np.array([np.diag(np.asarray(f.var, dtype=float)) for f in fits])
    if dfcom is None:
        n_event = getattr(fits[0], "n_event", None)
        dfcom = float(n_event - len(terms)) if n_event is not None else np.inf
        dfcom = max(dfcom, 1.0)
    return rubin(q, u, dfcom=dfcom, conf_level=conf_level, terms=terms)
