"""Frozen result objects of the Kaplan-Meier and log-rank estimators.

Plain data with a few derived quantities (median, quantiles, RMST, numbers at risk) and
``to_frame()``; no I/O, no printing.  pandas is imported only inside ``to_frame``.

Exports :class:`KaplanMeierResult` (one :class:`KaplanMeierCurve` per group;
:class:`KaplanMeierSummary` at chosen times), :class:`LogRankResult`, and the option types
:data:`MedianMethod`, :data:`ConfType` and :data:`Ties`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from sarcohort.exceptions import InputError
from sarcohort.stats._quantiles import median_ci_spss, median_r, quantile_r
from sarcohort.stats._rmst import rmst_r

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "KaplanMeierCurve",
    "KaplanMeierResult",
    "KaplanMeierSummary",
    "LogRankResult",
    "MedianMethod",
    "ConfType",
    "Ties",
]

#: Methods of the median's confidence interval (:meth:`KaplanMeierCurve.median_ci`).
MedianMethod = Literal["brookmeyer-crowley", "spss"]
#: Transformations of the pointwise band of S(t) (R's ``conf.type``).
ConfType = Literal["log-log", "log", "plain"]
#: Methods for tied event times of the Cox model (R's ``ties``).
Ties = Literal["efron", "breslow", "exact"]
#: How the covariates of a multivariable model are chosen (exported by :mod:`.validate_cox`;
#: defined here so that reading a protocol imports no model code).
Selection = Literal["explicit", "univariable"]


@dataclass(frozen=True, eq=False)
class KaplanMeierCurve:
    """One Kaplan-Meier curve, over all its distinct times (censoring times included).

    Attributes
    ----------
    label
        R-style label: ``"sex=1"``, ``"All"`` for a single curve.
    time, n_risk, n_event, n_censor
        Distinct exit times; number at risk just before, events and censorings at each.
    survival
        Kaplan-Meier estimate S(t).
    std_err
        Greenwood standard error of ``log S(t)`` (R's ``fit$std.err``); ``Inf`` once
        S = 0.
    lower, upper
        Pointwise confidence band of ``conf_type`` at ``conf_level``, as R computes and
        clips it; NaN where R has ``NA``/``NaN`` (e.g. ``log`` at S = 0, ``log-log`` at
        S = 1 or 0, ``plain`` at S = 0).
    cumhaz, cumhaz_se
        Nelson-Aalen cumulative hazard and its standard error (R's ``cumhaz``,
        ``std.chaz``).
    n
        Records used (R's ``n``/``records``).
    conf_type, conf_level
        The band's transformation and level.
    start_time
        Start of the time axis (0; R's ``min(0, time)``), the value of quantile 0.
    """

    label: str
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cumhaz: np.ndarray
    cumhaz_se: np.ndarray
    n: int
    conf_type: str
    conf_level: float
    start_time: float = 0.0
    robust: bool = False  # SEs are R's infinitesimal jackknife (sampling weights), not Greenwood

    @property
    def n_start(self) -> float:
        """Number at risk at the first time (R's ``n.start``)."""
        return float(self.n_risk[0]) if self.n_risk.size else 0.0

    @property
    def n_max(self) -> float:
        """Largest number at risk (R's ``n.max``)."""
        return float(self.n_risk.max()) if self.n_risk.size else 0.0

    @property
    def events(self) -> float:
        """Total number of events."""
        return float(self.n_event.sum())

    @property
    def median(self) -> float:
        """Median survival time (NaN if the curve never reaches 0.5), as R prints it."""
        return median_r(self.time, self.survival, self.lower, self.upper)[0]

    def median_ci(self, method: MedianMethod = "brookmeyer-crowley") -> tuple[float, float]:
        """Confidence interval of the median at the curve's ``conf_level``.

        Parameters
        ----------
        method
            ``"brookmeyer-crowley"``: R's interval (``print(survfit)``), the times where the
            pointwise band of the curve's ``conf_type`` crosses 0.5 (NaN: not reached).
            ``"spss"``: the symmetric ``median +- z * SE`` interval, see
            :func:`sarcohort.stats._quantiles.median_ci_spss`.
        """
        if method == "brookmeyer-crowley":
            _, lo, hi = median_r(self.time, self.survival, self.lower, self.upper)
            return lo, hi
        if method == "spss":
            return median_ci_spss(
                self.time, self.survival, self.std_err, self.n_event, self.median, self.conf_level
            )
        raise InputError(
            "unknown median interval method",
            argument="method",
            value=method,
            fix='use "brookmeyer-crowley" (as R) or "spss"',
        )

    def quantile(self, p: float) -> tuple[float, float, float]:
        """Time by which a fraction ``p`` had the event, with its CI (R's ``quantile.survfit``).

        Returns ``(value, lower, upper)``; NaN where not reached.
        """
        if not 0.0 <= float(p) <= 1.0:
            raise InputError("probability must lie in [0, 1]", argument="p", value=p,
                             fix="pass e.g. 0.25 for the first quartile")
        # R (quantile.survfit) reports 0 for p = 0 whatever the time axis.
        return quantile_r(self.time, self.survival, self.lower, self.upper, float(p), 0.0)

    def rmst(self, tau: float | None = None) -> tuple[float, float]:
        """Restricted mean survival time up to ``tau`` and its SE (R's ``rmean``).

        ``tau=None`` uses the curve's own last time; beyond it the curve is held flat.
        """
        if tau is None:
            tau = float(self.time[-1])
        if not np.isfinite(tau):
            raise InputError("tau must be a finite time", argument="tau", value=tau,
                             fix="pass the horizon in the data's time unit")
        if self.robust:
            raise InputError("the RMST's SE is not available for a curve with non-integer case weights",
                             argument="tau", fix="R uses a jackknife variance there; not implemented")
        return rmst_r(self.time, self.survival, self.n_risk, self.n_event, float(tau), self.start_time)

    def at_risk(self, times: np.ndarray | float) -> np.ndarray:
        """Number at risk at each of ``times`` (for the risk table under a plot).

        As R's ``summary(fit, times = ...)``: the number at risk at the first curve time
        ``>= t``, and 0 after the last time.  (With delayed entry, subjects entering
        between ``t`` and that curve time are counted too, as in R.)
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.time, t, side="left")
        out = np.zeros(t.shape, dtype=float)
        inside = idx < self.time.size
        out[inside] = self.n_risk[idx[inside]]
        return out

    def survival_at(self, times: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """S(t) with its pointwise band at each of ``times`` (landmark tables).

        The step function is right-continuous: S = 1 (band 1, 1) before the first time;
        NaN after the last time (not observed; R's ``summary(extend = FALSE)`` drops them).
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        k = np.searchsorted(self.time, t, side="right") - 1
        surv = np.ones(t.shape)
        lo = np.ones(t.shape)
        hi = np.ones(t.shape)
        seen = k >= 0
        surv[seen] = self.survival[k[seen]]
        lo[seen] = self.lower[k[seen]]
        hi[seen] = self.upper[k[seen]]
        after = t > (self.time[-1] if self.time.size else -np.inf)
        surv[after] = lo[after] = hi[after] = np.nan
        return surv, lo, hi

    def summary(self, times: np.ndarray | float) -> KaplanMeierSummary:
        """The curve at chosen times, as R's ``summary(fit, times = times)`` (``extend = FALSE``).

        Times after the last curve time are dropped; ``n_risk`` is the number at risk at the
        first curve time at or after each time; ``n_event`` and ``n_censor`` count the
        events and censorings since the previous requested time (from the start for the
        first); ``std_err`` is R's printed SE of S (``S`` times the SE of ``log S``); before
        the first curve time S = 1 with SE 0 and limits 1.
        """
        t = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if not np.isfinite(t).all():
            raise InputError("times must be finite", argument="times", value=times)
        last = self.time[-1] if self.time.size else -np.inf
        t = t[t <= last]
        k = np.searchsorted(self.time, t, side="right") - 1  # last curve time <= t
        seen = k >= 0
        kk = np.where(seen, k, 0)
        surv = np.where(seen, self.survival[kk], 1.0)
        se = np.where(seen, self.survival[kk] * self.std_err[kk], 0.0)
        lower = np.where(seen, self.lower[kk], 1.0)
        upper = np.where(seen, self.upper[kk], 1.0)
        ce = np.r_[0.0, np.cumsum(self.n_event)]
        cc = np.r_[0.0, np.cumsum(self.n_censor)]
        upto = k + 1  # curve times <= t
        prev = np.r_[0, upto[:-1]]
        return KaplanMeierSummary(
            label=self.label, time=t, n_risk=self.at_risk(t), n_event=ce[upto] - ce[prev],
            n_censor=cc[upto] - cc[prev], survival=surv, std_err=se, lower=lower, upper=upper,
            conf_type=self.conf_type, conf_level=self.conf_level)

    def to_frame(self) -> pd.DataFrame:
        """The curve as a DataFrame, one row per distinct time."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
                "cumhaz": self.cumhaz,
                "cumhaz_se": self.cumhaz_se,
            }
        )


@dataclass(frozen=True, eq=False)
class KaplanMeierSummary:
    """One curve at chosen times (R's ``summary(fit, times = )``); see
    :meth:`KaplanMeierCurve.summary`."""

    label: str
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray  # SE of S (R's summary column), not of log S
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per requested time."""
        import pandas as pd

        return pd.DataFrame({"curve": self.label, "time": self.time, "n_risk": self.n_risk,
                             "n_event": self.n_event, "n_censor": self.n_censor, "survival": self.survival,
                             "std_err": self.std_err, "lower": self.lower, "upper": self.upper})


@dataclass(frozen=True, eq=False)
class KaplanMeierResult:
    """Kaplan-Meier curves, one per group, keyed by R-style label.

    Attributes
    ----------
    curves
        ``{label: KaplanMeierCurve}`` in R's order of the groups.
    conf_type, conf_level
        The pointwise bands' transformation and level.
    n_missing
        Rows dropped for a missing value (formula input, R's ``na.omit``).
    """

    curves: Mapping[str, KaplanMeierCurve]
    conf_type: str
    conf_level: float
    n_missing: int = 0

    @property
    def labels(self) -> tuple[str, ...]:
        """Curve labels in order."""
        return tuple(self.curves)

    def rmst(
        self, tau: float | Literal["common", "individual"] = "common"
    ) -> dict[str, tuple[float, float]]:
        """Restricted mean survival ``(value, se)`` of every curve, as R's ``summary(rmean=)``.

        ``"common"``: up to the largest time over all curves (R's default);
        ``"individual"``: each curve up to its own last time; a number: that horizon.
        """
        if tau == "common":
            horizon: float | None = max(float(c.time[-1]) for c in self.curves.values())
        elif tau == "individual":
            horizon = None
        elif isinstance(tau, str):
            raise InputError("unknown rmst horizon", argument="tau", value=tau,
                             fix='use "common", "individual" or a time')
        else:
            horizon = float(tau)
        return {label: c.rmst(horizon) for label, c in self.curves.items()}

    def summary_frame(self, median_method: MedianMethod = "brookmeyer-crowley") -> pd.DataFrame:
        """One row per curve: n, events, median and its CI (R's ``print(survfit)`` table)."""
        import pandas as pd

        rows = []
        for label, c in self.curves.items():
            lo, hi = c.median_ci(median_method)
            rows.append({"curve": label, "n": c.n, "events": c.events, "median": c.median,
                         "median_lower": lo, "median_upper": hi})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """All curves in long format, with a leading ``curve`` column."""
        import pandas as pd

        frames = [c.to_frame().assign(curve=label) for label, c in self.curves.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["curve", *[col for col in out.columns if col != "curve"]]]


@dataclass(frozen=True, eq=False)
class LogRankResult:
    """A k-sample log-rank / G-rho test (R's ``survdiff``).

    Attributes
    ----------
    groups
        Group labels, R-style (``"sex=1"``).
    n
        Records per group.
    observed, expected
        (Weighted) observed and expected events per group, summed over strata.
    var
        k x k variance matrix of ``observed - expected``.
    chisq, df, p
        Test statistic, degrees of freedom (groups with ``expected > 0``, minus 1) and
        p-value (``chi2.sf``).
    rho
        The G-rho weight exponent (0: log-rank, 1: Peto-Peto).
    strata
        Stratum labels of a stratified test, else empty.
    strata_n
        Records per stratum (empty when not stratified).
    observed_by_strata, expected_by_strata
        (k, n_strata) arrays, or None when not stratified.
    """

    groups: tuple[str, ...]
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    var: np.ndarray
    chisq: float
    df: int
    p: float
    rho: float
    strata: tuple[str, ...] = ()
    strata_n: np.ndarray = field(default_factory=lambda: np.zeros(0))
    observed_by_strata: np.ndarray | None = None
    expected_by_strata: np.ndarray | None = None
    n_missing: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per group: N, observed, expected, (O-E)^2/E, (O-E)^2/V (R's printout)."""
        import pandas as pd

        o, e = self.observed, self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame(
                {
                    "group": list(self.groups),
                    "n": self.n,
                    "observed": o,
                    "expected": e,
                    "o_minus_e_sq_over_e": (o - e) ** 2 / e,
                    "o_minus_e_sq_over_v": (o - e) ** 2 / np.diag(self.var),
                }
            )
