"""Cumulative incidence of competing risks with Gray's test, identical to ``cmprsk::cuminc``.

For each group and cause, the Aalen-Johansen cumulative incidence function (CIF)
``F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j`` (``S`` the all-cause Kaplan-Meier curve) with
Gray's (1988) variance; for each cause, Gray's K-sample test comparing the groups'
subdistribution hazards (stratified when strata are given), as ``cmprsk::cuminc`` computes
them (:mod:`sarcohort.stats._cuminc_kernel`). The estimates are also those of survival's
multi-state ``survfit(Surv(time, factor(status)) ~ group)`` (its ``pstate``).

Conventions as ``cmprsk``: times are compared exactly (no near-tie merging); censored
subjects are at risk at their censoring time (a censoring tied with an event counts after
it); the variance changes only at the cause's own event times; the estimate is undefined
(NaN) after the group's last follow-up time. The pointwise confidence band is sarcohort's
addition (``cmprsk`` gives none): ``log-log`` (default) is ``F^exp(+-z se / (F log F))``,
computed on ``log(-log F)``; ``plain`` is ``F +- z se`` clipped to [0, 1].

Example
-------
>>> ci = cuminc([1, 2, 3, 4], [1, 2, 1, 0])
>>> ci.curves["All", 1].at([1, 3]).estimate.round(4).tolist()
[0.25, 0.5]

Exports :func:`cuminc` and its results: :class:`CumincResult`, one :class:`CumincCurve` per
group and cause, :class:`CumincPoints` (``.at(times)``) and :class:`GrayTest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy.special import chdtrc, ndtri

from sarcohort.exceptions import InputError
from sarcohort.stats._competing_data import competing_inputs, resolve_cause
from sarcohort.stats._cuminc_kernel import aalen_johansen, gray_stratum

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["cuminc", "CumincResult", "CumincCurve", "CumincPoints", "GrayTest"]

ConfType = Literal["log-log", "plain"]


def cif_band(estimate: np.ndarray, variance: np.ndarray, conf_type: str, conf_level: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band of a CIF (``log-log`` or ``plain``); NaN where undefined.

    ``log-log``: on ``g = log(-log F)`` with ``se(g) = se / |F log F|``, back-transformed
    (NaN where F is 0 or 1). ``plain``: ``F -+ z se`` clipped to [0, 1].
    """
    z = float(ndtri(1 - (1 - conf_level) / 2))
    se = np.sqrt(np.maximum(variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            return np.clip(estimate - z * se, 0.0, 1.0), np.clip(estimate + z * se, 0.0, 1.0)
        f = np.where((estimate <= 0) | (estimate >= 1), np.nan, estimate)
        g = np.log(-np.log(f))
        sg = se / np.abs(f * np.log(f))
        return np.exp(-np.exp(g + z * sg)), np.exp(-np.exp(g - z * sg))


@dataclass(frozen=True)
class CumincPoints:
    """A CIF read at chosen times (:meth:`CumincCurve.at`); NaN after the last follow-up."""

    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per requested time."""
        import pandas as pd

        return pd.DataFrame({"time": self.time, "estimate": self.estimate, "variance": self.variance,
                             "lower": self.lower, "upper": self.upper})


@dataclass(frozen=True, eq=False)
class CumincCurve:
    """Cumulative incidence of one cause in one group, over the group's distinct times.

    Attributes
    ----------
    group, cause
        The group label (``"trt=1"``, ``"All"``) and the cause (as coded in the data).
    time
        Distinct follow-up times of the group (censoring and other-cause times included).
    n_risk, n_event, n_other, n_censor
        At risk just before, events of this cause, of other causes, and censorings, at each.
    estimate
        The CIF ``F(t)`` (right-continuous).
    variance
        Gray's variance of ``F(t)``, as ``cmprsk`` (updated at this cause's event times).
    lower, upper
        Pointwise confidence band (``conf_type`` at ``conf_level``).
    n
        Rows of the group.
    """

    group: str
    cause: Any
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_other: np.ndarray
    n_censor: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    conf_type: str
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """Standard error of the estimate (square root of the variance)."""
        return np.sqrt(self.variance)

    @property
    def events(self) -> int:
        """Number of events of this cause in the group."""
        return int(self.n_event.sum())

    def at(self, times: Any) -> CumincPoints:
        """The step function at ``times``, as ``cmprsk::timepoints``.

        0 (variance 0) before the first event, the last value up to the group's last
        follow-up time, NaN after it (and before 0).
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        k = np.searchsorted(self.time, t, side="right") - 1
        est = np.where(k >= 0, self.estimate[np.maximum(k, 0)], 0.0)
        var = np.where(k >= 0, self.variance[np.maximum(k, 0)], 0.0)
        outside = (t < 0) | (t > (self.time[-1] if self.time.size else -np.inf))
        est = np.where(outside, np.nan, est)
        var = np.where(outside, np.nan, var)
        lower, upper = cif_band(est, var, self.conf_type, self.conf_level)
        return CumincPoints(t, est, var, lower, upper)

    def at_risk(self, times: Any) -> np.ndarray:
        """Number at risk at each of ``times`` (first curve time >= t; 0 after the last)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.time, t, side="left")
        out = np.zeros(t.shape)
        inside = idx < self.time.size
        out[inside] = self.n_risk[idx[inside]]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per distinct time of the group."""
        import pandas as pd

        return pd.DataFrame({"time": self.time, "n_risk": self.n_risk, "n_event": self.n_event,
                             "n_other": self.n_other, "n_censor": self.n_censor, "estimate": self.estimate,
                             "variance": self.variance, "lower": self.lower, "upper": self.upper})


@dataclass(frozen=True)
class GrayTest:
    """Gray's K-sample test for one cause: chi-square ``statistic`` on ``df``, p-value ``p``.

    ``score`` and ``var`` are the scores of the first K-1 groups and their variance; the
    statistic is ``score' var^-1 score`` (NaN when ``var`` is singular; ``cmprsk`` prints -1).
    """

    cause: Any
    statistic: float
    df: int
    p: float
    score: np.ndarray
    var: np.ndarray


@dataclass(frozen=True, eq=False)
class CumincResult:
    """Cumulative incidence per group and cause, and Gray's test per cause.

    Attributes
    ----------
    curves
        ``{(group, cause): CumincCurve}``.
    groups, causes
        Group labels and causes, in order.
    tests
        ``{cause: GrayTest}`` (empty with one group).
    strata
        Stratum labels of a stratified test (empty otherwise).
    rho
        Weight exponent of the test.
    n_missing
        Rows dropped for a missing value.
    """

    curves: Mapping[tuple[str, Any], CumincCurve]
    groups: tuple[str, ...]
    causes: tuple[Any, ...]
    tests: Mapping[Any, GrayTest]
    strata: tuple[str, ...]
    rho: float
    conf_type: str
    conf_level: float
    n: int
    n_missing: int

    def curve(self, group: str, cause: Any) -> CumincCurve:
        """The curve of ``group`` and ``cause`` (the cause may be given as a string)."""
        if group not in self.groups:
            raise InputError("unknown group", argument="group", value=group, fix=f"use one of {list(self.groups)}")
        return self.curves[group, self.causes[resolve_cause(cause, self.causes) - 1]]

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, with ``group`` and ``cause`` columns."""
        import pandas as pd

        frames = []
        for (group, cause), c in self.curves.items():
            f = c.to_frame()
            f.insert(0, "cause", cause)
            f.insert(0, "group", group)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def tests_frame(self) -> pd.DataFrame:
        """Gray's tests, one row per cause."""
        import pandas as pd

        return pd.DataFrame([{"cause": c, "statistic": t.statistic, "df": t.df, "p": t.p}
                             for c, t in self.tests.items()])


def _counts(time: np.ndarray, cause: np.ndarray, n_causes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times, number at risk, and (T, 1 + C) counts per cause (column 0 = censored)."""
    uniq, inv = np.unique(time, return_inverse=True)
    counts = np.zeros((uniq.size, n_causes + 1))
    np.add.at(counts, (inv, cause), 1.0)
    n_risk = np.cumsum(counts.sum(axis=1)[::-1])[::-1]
    return uniq, n_risk, counts


def cuminc(
    time_or_formula: Any,
    status: Any = None,
    group: Any = None,
    *,
    strata: Any = None,
    data: Any = None,
    cencode: Any = 0,
    rho: float = 0.0,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
) -> CumincResult:
    """Cumulative incidence functions and Gray's test (R's ``cmprsk::cuminc``).

    Parameters
    ----------
    time_or_formula
        Follow-up times, or a formula ``"Surv(time, status) ~ group + strata(s)"`` on ``data``.
    status
        Status per row (arrays): ``cencode`` for censored, any other value a cause; or a
        pandas Categorical whose first level is censoring.
    group
        Optional groups (arrays); the CIFs are per group and Gray's test compares them.
    strata
        Optional strata of the test (arrays; ``strata()`` in a formula).
    data
        pandas DataFrame for a formula.
    cencode
        The status value of censored rows (default 0).
    rho
        Gray's weight exponent (``(1 - F(t-))^rho``; 0 as ``cmprsk``'s default).
    conf_type, conf_level
        The pointwise band of the curves (``"log-log"`` or ``"plain"``).

    Returns
    -------
    CumincResult

    Raises
    ------
    InputError
        Bad times or status, no events, unknown ``conf_type``.
    """
    if conf_type not in ("log-log", "plain"):
        raise InputError("unknown confidence band type", argument="conf_type", value=conf_type,
                         fix='use "log-log" or "plain"')
    if not 0 < float(conf_level) < 1:
        raise InputError("must lie strictly between 0 and 1", argument="conf_level", value=conf_level)
    try:
        rho = float(rho)
    except (TypeError, ValueError):
        rho = float("nan")
    if not np.isfinite(rho):
        raise InputError("rho must be a finite number", argument="rho", value=rho, fix="0 (default) or 1")
    cd = competing_inputs(time_or_formula, status, group, strata=strata, data=data, cencode=cencode)
    n_causes = len(cd.causes)
    k = len(cd.group_labels)
    curves: dict[tuple[str, Any], CumincCurve] = {}
    for c in range(n_causes):
        for g, label in enumerate(cd.group_labels):
            rows = cd.group == g
            if not rows.any():
                continue
            uniq, n_risk, counts = _counts(cd.time[rows], cd.cause[rows], n_causes)
            d1 = counts[:, c + 1]
            d2 = counts[:, 1:].sum(axis=1) - d1
            arr = aalen_johansen(uniq, n_risk, d1, d2, counts[:, 0])
            lower, upper = cif_band(arr.estimate, arr.variance, conf_type, float(conf_level))
            curves[label, cd.causes[c]] = CumincCurve(
                label, cd.causes[c], arr.time, arr.n_risk, arr.n_event, arr.n_other, arr.n_censor,
                arr.estimate, arr.variance, lower, upper, int(rows.sum()), conf_type, float(conf_level))
    tests: dict[Any, GrayTest] = {}
    if k > 1:
        for c in range(n_causes):
            tests[cd.causes[c]] = _gray(cd, c + 1, k, rho)
    return CumincResult(curves=curves, groups=cd.group_labels, causes=cd.causes, tests=tests,
                        strata=cd.strata_labels, rho=rho, conf_type=conf_type, conf_level=float(conf_level),
                        n=int(cd.time.size), n_missing=cd.n_missing)


def _gray(cd: Any, code: int, k: int, rho: float) -> GrayTest:
    """Gray's test for cause ``code``, summed over strata."""
    strata = cd.strata if cd.strata is not None else np.zeros(cd.time.size, dtype=np.int64)
    score = np.zeros(k - 1)
    var = np.zeros((k - 1, k - 1))
    for s in np.unique(strata):
        rows = strata == s
        t, c, g = cd.time[rows], cd.cause[rows], cd.group[rows]
        uniq, inv = np.unique(t, return_inverse=True)
        total = np.zeros((uniq.size, k))
        d1 = np.zeros((uniq.size, k))
        d2 = np.zeros((uniq.size, k))
        np.add.at(total, (inv, g), 1.0)
        np.add.at(d1, (inv[c == code], g[c == code]), 1.0)
        other = (c > 0) & (c != code)
        np.add.at(d2, (inv[other], g[other]), 1.0)
        n_risk = np.cumsum(total[::-1], axis=0)[::-1]
        ev = (d1 + d2).sum(axis=1) > 0
        if not ev.any():
            continue
        sc, vv = gray_stratum(n_risk[ev], d1[ev], d2[ev], rho)
        score += sc
        var += vv
    df = k - 1
    rank = np.linalg.matrix_rank(var) if var.size else 0
    if rank == df:
        stat = float(score @ np.linalg.solve(var, score))
        p = float(chdtrc(df, stat))
    else:
        stat, p = float("nan"), float("nan")
    return GrayTest(cause=cd.causes[code - 1], statistic=stat, df=df, p=p, score=score, var=var)
