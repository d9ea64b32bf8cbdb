"""Comparing nested Cox models: the likelihood-ratio table of R's ``anova(fit0, fit1, ...)``.

``chisq = |2 (loglik_k - loglik_(k-1))|`` on ``|df_k - df_(k-1)|`` degrees of freedom, each
model against the one before it (R's ``anova.coxphlist``). As R: the models must share the
ties method and the analysed rows (same number of rows; refit the larger model's complete
cases for the smaller one), and robust (sandwich) fits are refused: their log-likelihood
ratio has no chi-square distribution. :attr:`CoxResult.aic` is R's ``AIC(fit)``.

Exports :func:`cox_anova` (R's ``anova(fit0, fit)``) and its result, :class:`CoxAnova`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats.cox_result import CoxResult

__all__ = ["cox_anova", "CoxAnova"]


@dataclass(frozen=True)
class CoxAnova:
    """One row per model: log partial likelihood, and the test against the previous model."""

    loglik: np.ndarray
    df: np.ndarray  # number of coefficients of each model
    chisq: np.ndarray  # NaN for the first model
    test_df: np.ndarray
    p: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Columns loglik, chisq, df, p (R's ``anova`` table), models numbered from 1."""
        import pandas as pd

        return pd.DataFrame({"loglik": self.loglik, "chisq": self.chisq, "df": self.test_df, "p": self.p},
                            index=pd.RangeIndex(1, self.loglik.size + 1, name="model"))


def cox_anova(*fits: CoxResult) -> CoxAnova:
    """Likelihood-ratio tests of nested Cox models, as R's ``anova(fit0, fit1, ...)``.

    Raises
    ------
    InputError
        Fewer than two models, robust fits, different ties methods or analysed rows.
    """
    if len(fits) < 2:
        raise InputError("needs two or more nested models", argument="fits", value=len(fits),
                         fix="e.g. cox_anova(smaller_fit, larger_fit)")
    if any(f.robust for f in fits):
        raise InputError("likelihood-ratio tables are not available for robust (sandwich) fits (as in R)",
                         argument="fits", fix="compare models fitted without cluster() or sampling weights")
    if len({f.ties for f in fits}) > 1:
        raise InputError("all models must use the same ties method", argument="fits",
                         value=[f.ties for f in fits])
    if len({f.n for f in fits}) > 1:
        raise InputError("the models were not fitted to the same rows", argument="fits", value=[f.n for f in fits],
                         fix="fit the smaller model on the larger model's complete cases")
    loglik = np.array([f.loglik for f in fits])
    df = np.array([f.coef.size for f in fits])
    chisq = np.r_[np.nan, np.abs(2 * np.diff(loglik))]
    test_df = np.r_[np.nan, np.abs(np.diff(df))].astype(float)
    with np.errstate(invalid="ignore"):
        p = _sp.chdtrc(test_df, chisq)
    return CoxAnova(loglik, df, chisq, test_df, p)
