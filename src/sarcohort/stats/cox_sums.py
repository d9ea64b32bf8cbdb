"""Cox partial likelihood from per-(stratum, time) sums: the Newton step of an out-of-core fit.

A database cannot hold the sorted rows that :mod:`sarcohort.stats._cox_kernel` works on, but it
can compute, for a given ``b``, one GROUP BY over (stratum, exact exit time) of the weighted
sums with ``w = case weight * exp((x - m)' b)``:

* over the records exiting at ``t``: ``sum w``, ``sum w x``, ``sum w x x'``;
* over the events at ``t``: the same three sums, the number of events and their case weights;
* for (start, stop] data, the same three sums over the records *entering* at ``t``.

Everything else is here, in numpy: reverse cumulative sums within each stratum give the
risk-set sums ``S0, S1, S2`` at every event time (records with ``entry < t <= exit``),
Efron's (or Breslow's) tie handling gives the log partial likelihood, score and information,
and R's Newton-Raphson (:func:`sarcohort.stats._cox_newton.newton`, shared with the in-memory
fit) finds the estimate. The numbers equal :func:`sarcohort.stats.cox.cox` to rounding.

Exports, for engines that aggregate rows elsewhere: :class:`CoxTimeSums` (the per-time sums),
:func:`evaluate_sums`, :func:`fit_from_sums` and its result :class:`CoxSumsFit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.special as _sp

from sarcohort.exceptions import InputError
from sarcohort.stats._aggregates import merge_near_ties, never_merged
from sarcohort.stats._cox_newton import SingularInformation, newton
from sarcohort.stats.cox_result import TestResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CoxTimeSums", "CoxSumsFit", "evaluate_sums", "fit_from_sums"]


@dataclass(frozen=True)
class CoxTimeSums:
    """Weighted sums per (stratum, exact time) cell at one coefficient vector.

    Attributes
    ----------
    stratum, time : (r,)
        The cell of each row (stratum code, exit time); any order.
    s0, s1, s2 : (r,), (r, p), (r, p, p)
        ``sum w``, ``sum w x``, ``sum w x x'`` over the records exiting in the cell.
    d0, d1, d2
        The same sums over the events of the cell.
    n_event, w_event : (r,)
        Events in the cell (a count) and the sum of their case weights.
    entry_stratum, entry_time, e0, e1, e2
        The sums over records entering at ``entry_time`` ((start, stop] data), or None.
    """

    stratum: np.ndarray
    time: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    n_event: np.ndarray
    w_event: np.ndarray
    entry_stratum: np.ndarray | None = None
    entry_time: np.ndarray | None = None
    e0: np.ndarray | None = None
    e1: np.ndarray | None = None
    e2: np.ndarray | None = None


@dataclass(frozen=True)
class _Evaluation:
    beta: np.ndarray
    loglik: float
    u: np.ndarray
    imat: np.ndarray


@dataclass(frozen=True)
class _Problem:
    """What :func:`sarcohort.stats._cox_newton.newton` reads of its set-up."""

    p: int
    g_wdeaths: np.ndarray


def near_tie_cuts(sums: CoxTimeSums) -> np.ndarray | None:
    """R's ``aeqSurv`` cut points of the cells' exit and entry times; None when nothing merges."""
    t = sums.time
    en = sums.entry_time
    if never_merged(t) and (en is None or never_merged(en)):
        return None
    cuts = merge_near_ties(t if en is None else np.concatenate((t, en)))
    n_distinct = np.unique(t if en is None else np.concatenate((t, en))).size
    return cuts if cuts.size < n_distinct else None


def merge_cells(sums: CoxTimeSums, cuts: np.ndarray) -> CoxTimeSums:
    """Each cell's times replaced by the first of their run of near-equal times (R's ``timefix``),
    cells that then share (stratum, time) added together."""

    def collapse(stratum, time, arrays):
        mapped = cuts[np.searchsorted(cuts, time, side="right") - 1]
        keys = np.stack((stratum.astype(float), mapped), axis=1)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        out = []
        for a in arrays:
            acc = np.zeros((uniq.shape[0], *a.shape[1:]))
            np.add.at(acc, inv, a)
            out.append(acc)
        return uniq[:, 0].astype(np.int64), uniq[:, 1], out

    st, tt, (s0, s1, s2, d0, d1, d2, ne, we) = collapse(
        sums.stratum, sums.time, (sums.s0, sums.s1, sums.s2, sums.d0, sums.d1, sums.d2,
                                  sums.n_event, sums.w_event))
    es = et = e0 = e1 = e2 = None
    if sums.entry_time is not None and sums.entry_stratum is not None:
        es, et, (e0, e1, e2) = collapse(sums.entry_stratum, sums.entry_time,
                                        (sums.e0, sums.e1, sums.e2))
    return CoxTimeSums(stratum=st, time=tt, s0=s0, s1=s1, s2=s2, d0=d0, d1=d1, d2=d2, n_event=ne,
                       w_event=we, entry_stratum=es, entry_time=et, e0=e0, e1=e1, e2=e2)


def _risk_sums(sums: CoxTimeSums) -> tuple[np.ndarray, ...]:
    """Risk-set sums at the event cells: (S0, S1, S2, D0, D1, D2, deaths, weighted deaths)."""
    order = np.lexsort((sums.time, sums.stratum))
    st, tt = sums.stratum[order], sums.time[order]
    s0, s1, s2 = sums.s0[order], sums.s1[order], sums.s2[order]
    new_s = np.ones(st.shape[0], dtype=bool)
    new_s[1:] = st[1:] != st[:-1]
    starts = np.flatnonzero(new_s)
    bounds = np.append(starts, st.shape[0])

    def revcum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.empty_like(a, dtype=np.float64)
        for lo, hi in zip(b[:-1], b[1:], strict=True):
            out[lo:hi] = np.cumsum(a[lo:hi][::-1], axis=0)[::-1]
        return out

    r0, r1, r2 = revcum(s0, bounds), revcum(s1, bounds), revcum(s2, bounds)
    if sums.entry_time is not None and sums.entry_stratum is not None:
        eorder = np.lexsort((sums.entry_time, sums.entry_stratum))
        es, et = sums.entry_stratum[eorder], sums.entry_time[eorder]
        e_new = np.ones(es.shape[0], dtype=bool)
        e_new[1:] = es[1:] != es[:-1]
        ebounds = np.append(np.flatnonzero(e_new), es.shape[0])
        c0 = revcum(sums.e0[eorder], ebounds)  # type: ignore[index]
        c1 = revcum(sums.e1[eorder], ebounds)  # type: ignore[index]
        c2 = revcum(sums.e2[eorder], ebounds)  # type: ignore[index]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            s = st[lo]
            a, b = np.searchsorted(es, s, side="left"), np.searchsorted(es, s, side="right")
            if b == a:
                continue
            # entries of the stratum with entry time >= t are not yet at risk at t
            k = a + np.searchsorted(et[a:b], tt[lo:hi], side="left")
            inside = k < b
            rows = np.arange(lo, hi)[inside]
            r0[rows] -= c0[k[inside]]
            r1[rows] -= c1[k[inside]]
            r2[rows] -= c2[k[inside]]
    ev = np.flatnonzero(sums.n_event[order] > 0)
    pick = order[ev]
    return (r0[ev], r1[ev], r2[ev], sums.d0[pick], sums.d1[pick], sums.d2[pick],
            sums.n_event[pick], sums.w_event[pick])


def evaluate_sums(sums: CoxTimeSums, beta: np.ndarray, xd_sum: np.ndarray, ties: str) -> _Evaluation:
    """Log partial likelihood, score and information at ``beta`` from the cell sums.

    ``xd_sum`` is the case-weighted sum of the (centered) covariates over all events.
    """
    S0, S1, S2, D0, D1, D2, nd, wd = _risk_sums(sums)
    m = S0.shape[0]
    if ties == "efron":
        d_int = np.rint(nd).astype(np.int64)
        pair_group = np.repeat(np.arange(m), d_int)
        first = np.repeat(np.cumsum(d_int) - d_int, d_int)
        frac = (np.arange(pair_group.shape[0]) - first) / nd[pair_group]
        mult = (wd / nd)[pair_group]
    else:
        pair_group = np.arange(m)
        frac = np.zeros(m)
        mult = wd
    denom = S0[pair_group] - frac * D0[pair_group]
    a = (S1[pair_group] - frac[:, None] * D1[pair_group]) / denom[:, None]
    loglik = float(xd_sum @ beta - mult @ np.log(denom))
    u = xd_sum - mult @ a
    c = np.bincount(pair_group, weights=mult / denom, minlength=m)
    h = np.bincount(pair_group, weights=mult * frac / denom, minlength=m)
    imat = np.einsum("g,gij->ij", c, S2) - np.einsum("g,gij->ij", h, D2) - (a * mult[:, None]).T @ a
    return _Evaluation(beta=beta, loglik=loglik, u=u, imat=(imat + imat.T) / 2)


@dataclass(frozen=True)
class CoxSumsFit:
    """A Cox model fitted from per-time sums (coefficients, their variance and the tests).

    The numbers are those of :class:`sarcohort.stats.cox_result.CoxResult` for the same
    data; residuals, concordance and predictions need the rows and are not available.
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    hr: np.ndarray
    hr_lower: np.ndarray
    hr_upper: np.ndarray
    z: np.ndarray
    p: np.ndarray
    var: np.ndarray
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
    ties: str
    conf_level: float
    engine: str = field(default="memory")

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: coef, HR with its confidence interval, SE, z, p."""
        import pandas as pd  # only here: the numerical core imports no pandas

        return pd.DataFrame({"coef": self.coef, "hr": self.hr, "hr_lower": self.hr_lower,
                             "hr_upper": self.hr_upper, "se": self.se, "z": self.z, "p": self.p},
                            index=pd.Index(self.terms, name="term"))


def _chi2(stat: float, df: int) -> TestResult:
    return TestResult(float(stat), int(df), float(_sp.chdtrc(df, stat)) if df > 0 else float("nan"))


def fit_from_sums(
    sums_at: Callable[[np.ndarray], CoxTimeSums],
    names: tuple[str, ...],
    xd_sum: np.ndarray,
    *,
    n: int,
    n_event: int,
    n_missing: int = 0,
    ties: str = "efron",
    conf_level: float = 0.95,
    max_iter: int = 30,
    timefix: bool = True,
    engine: str = "memory",
) -> CoxSumsFit:
    """Fit a Cox model whose per-time sums at any ``b`` come from ``sums_at(b)``.

    Parameters
    ----------
    sums_at
        Returns the :class:`CoxTimeSums` at a coefficient vector (one GROUP BY in a database).
    names
        Coefficient names.
    xd_sum
        Case-weighted sum of the centered covariates over the events.
    n, n_event, n_missing
        Rows analysed, events, rows dropped for missing values (reported).
    ties
        ``"efron"`` or ``"breslow"``.
    timefix
        Merge near-equal times as R's ``coxph(timefix = TRUE)`` (:func:`merge_cells`). Unlike
        the in-memory fit, an interval that merging shortens to length 0 is not detected.
    """
    if ties not in ("efron", "breslow"):
        raise InputError("ties must be 'efron' or 'breslow' for a fit from aggregates",
                         argument="ties", value=ties, fix="use ties='efron' (R's default)")
    p = len(names)
    cache: dict[bytes, _Evaluation] = {}
    first = sums_at(np.zeros(p))
    cuts = near_tie_cuts(first) if timefix else None
    if cuts is not None:
        first = merge_cells(first, cuts)

    def sums(b: np.ndarray) -> CoxTimeSums:
        return sums_at(b) if cuts is None else merge_cells(sums_at(b), cuts)

    problem = _Problem(p=p, g_wdeaths=first.w_event[first.n_event > 0])

    def evaluator(_problem: _Problem, beta: np.ndarray) -> _Evaluation:
        key = np.asarray(beta, float).tobytes()
        if key not in cache:
            s = first if not np.any(beta) else sums(np.asarray(beta, float))
            cache[key] = evaluate_sums(s, np.asarray(beta, float), xd_sum, ties)
        return cache[key]

    try:
        nr, _ = newton(problem, max_iter=max_iter, evaluator=evaluator)  # type: ignore[arg-type]
    except SingularInformation:
        raise InputError("the covariates carry no information at the event times (e.g. a covariate "
                         "constant among the subjects at risk)", argument="covariates",
                         fix="remove covariates that do not vary among patients with events") from None
    beta, var = nr.beta, nr.var
    zq = _sp.ndtri(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se = np.sqrt(np.diag(var))
        z = beta / se
        pv = 2 * _sp.ndtr(-np.abs(z))
        hr, lo, hi = np.exp(beta), np.exp(beta - zq * se), np.exp(beta + zq * se)
    wald = float(beta @ np.linalg.solve(var, beta)) if p else 0.0
    return CoxSumsFit(
        terms=tuple(names), coef=beta, se=se, hr=hr, hr_lower=lo, hr_upper=hi, z=z, p=pv, var=var,
        n=int(n), n_event=int(n_event), n_missing=int(n_missing), loglik_null=nr.loglik_init,
        loglik=nr.loglik, iterations=nr.iterations, converged=nr.converged,
        lr_test=_chi2(2 * (nr.loglik - nr.loglik_init), p), wald_test=_chi2(wald, p),
        score_test=_chi2(nr.score_test, p), ties=ties, conf_level=conf_level, engine=engine)
