"""Cox partial likelihood on per-time aggregates: the numerical engine behind :func:`sarcohort.stats.cox.cox`.

Plain numpy, no pandas. The data are sorted once (stratum, then stop time; a radix sort
when the keys are small integers). Every Newton step then needs only

* ``w = exp(X b + offset)`` (times the case weights),
* per event time sums of ``w`` and ``w x`` over the risk set: sums per group of rows with the
  same "last event time at risk" (one ``np.add.reduceat`` on the sorted rows), reverse
  cumulative sums within each stratum, minus the rows not yet entered for (start, stop] data,
* the information matrix without any n x p x p array: the risk-set part
  ``sum_t sum_k h_tk S2(t)`` equals ``X' diag(w * H) X`` where ``H`` is each row's cumulative
  hazard over the event times at which it is at risk (one BLAS product); Efron's correction
  for tied deaths has the same form (a row weight for the deaths), and the ``a a'`` part is one
  small product over (event time, k) pairs.

This is survival's ``coxfit6``/``agfit4`` arithmetic (Efron and Breslow, case weights), with
R's Newton-Raphson and step-halving. Column centering follows R: the mean of every column
except those whose values all lie in {-1, 0, 1}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from sarcohort.stats._cox_efron import (
    _SERIES_MIN_PAIRS,
    efron_power_sums,
    efron_sums_pairs,
    efron_sums_series,
)
from sarcohort.stats._cox_prepare import (
    _means_and_bound,
    _sorted_transpose,
    sorted_rows,
    sorts_to,
)


class EntryRuns(NamedTuple):
    """The rows of counting-process data by the event groups before their entry."""

    order: np.ndarray  # rows sorted by e_idx1 (stable)
    starts: np.ndarray  # starts of its runs of equal bounds
    first: np.ndarray  # (m,) first run with group >= g + 1
    next: np.ndarray  # (m,) first run of the next stratum's groups


@dataclass(eq=False)
class CoxSetup:
    """Sorted data and the per-time structure (built once, used by every Newton step).

    Rows are sorted by (stratum, stop time); ``order`` maps sorted rows to input rows.
    Event groups are the distinct (stratum, event time) pairs, in the same order.
    """

    order: np.ndarray  # sorted position -> input row
    means: np.ndarray  # (p,) centering values
    offset: np.ndarray  # (n,) sorted
    cw: np.ndarray | None  # case weights, sorted (None = all 1)
    stop: np.ndarray  # sorted
    entry: np.ndarray | None  # sorted
    event: np.ndarray  # bool, sorted
    strata: np.ndarray  # int codes, sorted
    ties: str  # "efron" | "breslow" (the exact partial likelihood starts from "breslow")
    # event groups
    m: int
    g_time: np.ndarray  # (m,)
    g_stratum: np.ndarray  # (m,)
    g_deaths: np.ndarray  # (m,) unweighted death counts
    g_wdeaths: np.ndarray  # (m,) case-weighted death counts
    g_first: np.ndarray  # (m,) first group of the group's stratum
    g_next: np.ndarray  # (m,) first group of the next stratum (m if last)
    # rows
    seg_starts: np.ndarray  # starts of runs of rows with equal (s_idx1, event) (sorted rows)
    seg_group: np.ndarray  # group index + 1 of each run (0 = the rows are never at risk)
    seg_len: np.ndarray  # rows in each run
    seg_death: np.ndarray  # bool: the run holds the deaths of its group
    death_seg: np.ndarray  # (m,) the run of each group's deaths (its first run)
    g_next_seg: np.ndarray  # (m,) first run of the next stratum (nseg if none)
    dense: np.ndarray | None  # small data: (2m, n) risk-set and death indicators (else None)
    dense_t: np.ndarray | None  # its contiguous transpose
    series_q: np.ndarray | None  # (SERIES_TERMS + 3, m) normalised power sums (Efron, big data)
    xmax: float  # sum over columns of max |x| (bounds |x b| by max|b| * xmax)
    nstrata_groups: int  # number of strata with events
    XT: np.ndarray  # (p, n) contiguous transpose of X (fast column-wise products)
    offd_sum: float  # sum over deaths of cw * offset
    has_offset: bool
    seg_base: np.ndarray  # (nseg,) base (groups of earlier strata) of each run
    all_valid: bool  # every row is at risk at one event time at least
    base: np.ndarray  # (n,) number of event groups in earlier strata
    death_gstart: np.ndarray  # start of each group in death_rows
    death_rows: np.ndarray  # sorted positions of deaths
    death_group: np.ndarray  # their group
    xd_sum: np.ndarray  # (p,) sum over deaths of cw * x (centered)
    # what evaluators derive from the time structure alone (the compiled kernel's entry order,
    # the per-row group bounds below), kept for the next setup of the same remembered
    # structure (one dict shared by them)
    memo: dict = field(default_factory=dict)

    @cached_property
    def work(self) -> np.ndarray:
        """(p + 1, n) scratch buffer reused by every evaluation of the numpy evaluator (not
        thread-safe; built on first use: the compiled Newton kernels do not need it)."""
        return np.empty((self.p + 1, self.n))

    def _remembered(self, key: str, make: Callable[[], object]) -> Any:
        got = self.memo.get(key)
        if got is None:
            got = self.memo[key] = make()
        return got

    @property
    def s_idx1(self) -> np.ndarray:
        """(n,) index + 1 of each row's last event group (same stratum) at or before its stop
        time; ``base`` when there is none. Built on first use (the numpy evaluator, residuals,
        the zph test) and kept: the compiled Newton kernels read none of the per-row bounds
        (a registry's split rows: 0.1 GB each)."""
        return self._remembered("s_idx1", lambda: row_groups(self.stop, self.strata, self.g_time,
                                                             self.g_stratum, self.base))

    @property
    def e_idx1(self) -> np.ndarray | None:
        """(n,) the same bound for the entry time (counting process; None without entry
        times): the event groups before the row entered the risk set."""
        entry = self.entry
        if entry is None:
            return None
        return self._remembered("e_idx1", lambda: entry_groups(entry, self.strata, self.g_time,
                                                               self.g_stratum, self.base))

    @property
    def entry_runs(self) -> EntryRuns | None:
        """The rows by their entry bound, in runs (:class:`EntryRuns`); None without entry
        times or with the dense indicators."""
        e_idx1 = self.e_idx1
        if e_idx1 is None or self.dense is not None:
            return None

        def make() -> EntryRuns:
            # rows that entered before the first event time of their stratum subtract nothing
            e_target = np.where(e_idx1 > self.base, e_idx1, 0)
            order = np.argsort(e_target, kind="stable")
            es = e_target[order]
            brk = np.ones(self.n, dtype=bool)
            brk[1:] = es[1:] != es[:-1]
            starts = np.flatnonzero(brk)
            group = es[starts]
            return EntryRuns(order, starts, np.searchsorted(group, np.arange(1, self.m + 1), side="left"),
                             np.searchsorted(group, self.g_next + 1, side="left"))

        return self._remembered("entry_runs", make)

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (event time, k) pairs of the Efron/Breslow sums (built on first use: the compiled
        Newton kernels do not need them): group, k / d, multiplier and each group's first pair."""
        m = self.m
        if self.ties == "efron":
            d_int = self.g_deaths.astype(np.int64)
            pair_group = np.repeat(np.arange(m), d_int)
            starts = np.repeat(np.cumsum(d_int) - d_int, d_int)
            kk = np.arange(pair_group.size) - starts
            pair_frac = kk / self.g_deaths[pair_group]
            pair_mult = (self.g_wdeaths / self.g_deaths)[pair_group]
            return pair_group, pair_frac, pair_mult, (np.cumsum(d_int) - d_int).astype(np.intp)
        return np.arange(m), np.zeros(m), self.g_wdeaths.copy(), np.arange(m)

    @property
    def pair_group(self) -> np.ndarray:
        """Event group of each (event time, k) pair."""
        return self._pairs[0]

    @property
    def pair_frac(self) -> np.ndarray:
        """k / d of each pair (Efron), or 0 (Breslow)."""
        return self._pairs[1]

    @property
    def pair_mult(self) -> np.ndarray:
        """Weight of each pair (mean death weight, or all deaths for Breslow)."""
        return self._pairs[2]

    @property
    def pair_starts(self) -> np.ndarray:
        """Start of each event group's pairs."""
        return self._pairs[3]

    @property
    def X(self) -> np.ndarray:
        """(n, p) centered covariates in sorted order (a view of ``XT``)."""
        return self.XT.T

    @property
    def n(self) -> int:
        return int(self.stop.shape[0])

    @property
    def p(self) -> int:
        return int(self.XT.shape[0])


def setup(
    stop: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    ties: str = "efron",
    means: np.ndarray | None = None,
    copy_X: bool = True,
) -> CoxSetup:
    """Sort once and build the per-event-time structure. Inputs must already be validated.
    ``copy_X=False``: ``XT`` is ``X.T`` itself when the rows are in sorted order already, ``X``
    is Fortran-ordered and no column is centered (never written to)."""
    n = stop.shape[0]
    X = np.asarray(X, dtype=float).reshape(n, -1)
    tm = _times(stop, np.asarray(event, dtype=bool), strata, entry, offset, weights, ties)
    held = not copy_X and X.T.flags.c_contiguous and _is_identity(tm["order"])
    XT = X.T if held else _sorted_transpose(X, tm["order"])
    cw = tm["cw"]
    if means is None:
        means, xmax = _means_and_bound(XT, cw)
    else:
        xmax = float("inf")  # given centering: keep the overflow guard
    if held and np.any(means != 0):
        XT = XT.copy()  # centered below: the caller's rows are never written
    if n <= 5000:
        XT -= means[:, None]
    else:
        for j in np.flatnonzero(means != 0):
            XT[j] -= means[j]
    m, death_rows, seg_starts, death_seg = tm["m"], tm["death_rows"], tm["seg_starts"], tm["death_seg"]
    # sums over the deaths, by the runs of deaths (no n x p gather)
    src = XT if cw is None else XT * cw
    if m and (n <= 5000 or tm["dense"] is not None):
        xd_sum = src[:, death_rows].sum(axis=1)
    elif m:
        xd_sum = np.add.reduceat(src, seg_starts, axis=1)[:, death_seg].sum(axis=1)
    else:
        xd_sum = np.zeros(XT.shape[0])
    if offset is not None and n:
        xmax = float("inf")  # offsets: always guard
    return CoxSetup(**tm, xmax=xmax, means=np.asarray(means, dtype=float), XT=XT, xd_sum=xd_sum)


def _is_identity(order: np.ndarray, block: int = 1 << 20) -> bool:
    """Whether ``order`` is ``0, 1, ..., n - 1`` (checked a block at a time: no n-sized temporary)."""
    for s in range(0, order.shape[0], block):
        e = min(order.shape[0], s + block)
        if not np.array_equal(order[s:e], np.arange(s, e)):
            return False
    return True


#: The last time structures of big data without offsets or case weights, ``(ties, stratified,
#: counting, fields)``: the models of one endpoint (univariable, multivariable, naive) share
#: their times, events and strata, and only their covariates differ; so do the adjusted and
#: unadjusted time-dependent models of an exposure (the same split rows, entry times
#: included), with a landmark model fitted between them (:func:`_times`).
_RECENT_TIMES: list[tuple[str, bool, bool, dict]] = []
_TIMES_MIN_ROWS = 100_000
_TIMES_KEPT = 2  # the current model and the one before (a million rows: about 90 MB each)


def _times(stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None, entry: np.ndarray | None,
           offset: np.ndarray | None, weights: np.ndarray | None, ties: str) -> dict:
    """The fields of :class:`CoxSetup` that do not depend on the covariates (the sort, the event
    groups, the runs of rows, the risk-set bounds). Big data without offsets or case weights:
    remembered for the same (stop, event, strata, entry) values and ties (compared whole,
    through the remembered sort: :func:`_sorts_to`), and the same arrays handed to every setup
    (never written to: every use reads)."""
    strata_in = None if strata is None else np.asarray(strata, dtype=np.int64)
    entry_in = None if entry is None else np.asarray(entry, dtype=float)
    cacheable = stop.shape[0] >= _TIMES_MIN_ROWS and offset is None and weights is None
    if cacheable:
        for t, stratified, counting, fields in _RECENT_TIMES:
            if (t == ties and stratified == (strata_in is not None) and counting == (entry_in is not None)
                    and _sorts_to(fields, stop, event, strata_in, entry_in)):
                return dict(fields)
    fields = _build_times(stop, event, strata, strata_in, entry, offset, weights, ties)
    if cacheable:
        _RECENT_TIMES.insert(0, (ties, strata_in is not None, entry_in is not None, fields))
        del _RECENT_TIMES[_TIMES_KEPT:]
    return dict(fields)


def _sorts_to(fields: dict, stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None,
              entry: np.ndarray | None = None) -> bool:
    """Whether the remembered ``fields`` are those of (``stop``, ``event``, ``strata``,
    ``entry``): :func:`~sarcohort.stats._cox_prepare.sorts_to`, and the entry times in the
    remembered order the remembered ones (compared without keeping a copy of the inputs)."""
    order = fields["order"]
    return (sorts_to(order, fields["stop"], fields["event"], None if strata is None else fields["strata"],
                     stop, event, strata)
            and (entry is None or bool(np.array_equal(entry[order], fields["entry"]))))


def _build_times(stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None,
                 strata_in: np.ndarray | None, entry: np.ndarray | None, offset: np.ndarray | None,
                 weights: np.ndarray | None, ties: str) -> dict:
    """:func:`_times` computed."""
    n = stop.shape[0]
    order, st, ev = sorted_rows(stop, event, strata_in)
    cw = None if weights is None else np.asarray(weights, dtype=float)[order]
    sk = np.zeros(n, dtype=np.int64) if strata_in is None else strata_in[order]
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)[order]
    en = None if entry is None else np.asarray(entry, dtype=float)[order]

    # event groups: distinct (stratum, time) among deaths, in sorted order
    death_rows = np.flatnonzero(ev)
    if death_rows.size:
        dt, ds = st[death_rows], sk[death_rows]
        new = np.ones(death_rows.size, dtype=bool)
        new[1:] = dt[1:] != dt[:-1]
        if strata is not None:
            new[1:] |= ds[1:] != ds[:-1]
        gstart = np.flatnonzero(new)
        death_group = np.cumsum(new) - 1
    else:
        gstart = np.zeros(0, dtype=np.intp)
        death_group = np.zeros(0, dtype=np.intp)
    m = gstart.size
    g_time = st[death_rows[gstart]] if m else np.zeros(0)
    g_stratum = sk[death_rows[gstart]] if m else np.zeros(0, dtype=np.int64)
    g_deaths = np.bincount(death_group, minlength=m).astype(float)
    g_wdeaths = g_deaths if cw is None else np.bincount(death_group, cw[death_rows], minlength=m)
    if strata is None or m == 0:  # one stratum
        sfirst = np.zeros(min(m, 1), dtype=np.intp)
        nexts = np.full(sfirst.size, m, dtype=np.intp)
        g_first = np.zeros(m, dtype=np.intp)
        g_next = np.full(m, m, dtype=np.intp)
    else:
        newstrat = np.ones(m, dtype=bool)
        newstrat[1:] = g_stratum[1:] != g_stratum[:-1]
        sfirst = np.flatnonzero(newstrat)
        g_first = sfirst[np.cumsum(newstrat) - 1]
        nexts = np.append(sfirst[1:], m)
        g_next = nexts[np.cumsum(newstrat) - 1]

    # ``base`` per row: the number of event groups of earlier strata (rows of a stratum are
    # contiguous, sk is sorted); with one stratum, zeros that are never written
    if strata is None:
        base = np.zeros(n, dtype=np.intp)
    else:
        row_bounds, first, _ = _stratum_bounds(sk, g_stratum)
        base = np.repeat(first, np.diff(row_bounds)) if n else np.zeros(0, dtype=np.intp)
    # each row's last event group at or before its time (+ 1, ``base`` when none): only the
    # runs of rows and the risk-set bounds are kept from it (:attr:`CoxSetup.s_idx1`)
    s_idx1 = row_groups(st, sk, g_time, g_stratum, base)
    s_valid = s_idx1 > base
    use_dense = 0 < n * m <= _DENSE_MAX  # small data: dense indicators, no run structure
    if n and not use_dense:
        brk = np.ones(n, dtype=bool)
        brk[1:] = (s_idx1[1:] != s_idx1[:-1]) | (ev[1:] != ev[:-1])
        if strata is not None:
            brk[1:] |= sk[1:] != sk[:-1]
        seg_starts = np.flatnonzero(brk)
        del brk
        seg_group = np.where(s_valid[seg_starts], s_idx1[seg_starts], 0)
        seg_len = np.diff(np.append(seg_starts, n))
        seg_death = ev[seg_starts]
    else:
        seg_starts = np.zeros(0, dtype=np.intp)
        seg_group = np.zeros(0, dtype=np.intp)
        seg_len = np.zeros(0, dtype=np.intp)
        seg_death = np.zeros(0, dtype=bool)
    all_valid = bool(s_valid.all())
    death_seg = np.zeros(m, dtype=np.intp)
    if m and not use_dense:
        dseg = np.flatnonzero(seg_death)
        death_seg[seg_group[dseg] - 1] = dseg

    if offset is None:
        offd_sum = 0.0
    else:
        cwd = np.ones(death_rows.size) if cw is None else cw[death_rows]
        offd_sum = float(cwd @ off[death_rows]) if death_rows.size else 0.0
    seg_stratum = sk[seg_starts]
    g_next_seg = np.searchsorted(seg_stratum, g_stratum, side="right") if m and not use_dense else death_seg
    dense = dense_t = None
    memo: dict = {}
    if use_dense:
        g = np.arange(m)
        start = base if en is None else entry_groups(en, sk, g_time, g_stratum, base)
        dense_t = np.zeros((n, 2 * m))
        dense_t[:, :m] = (g >= start[:, None]) & (g < s_idx1[:, None])
        dense_t[death_rows, m + death_group] = 1.0
        dense = dense_t.T
        memo["s_idx1"] = s_idx1  # small: kept
    del s_idx1, s_valid
    return dict(
        dense=dense, dense_t=dense_t,
        series_q=efron_power_sums(g_deaths) if ties == "efron" and death_rows.size > _SERIES_MIN_PAIRS else None,
        g_next_seg=g_next_seg,
        order=order, offset=off, cw=cw, stop=st,
        entry=en, event=ev, strata=sk, ties=ties, m=m, g_time=g_time, g_stratum=g_stratum,
        g_deaths=g_deaths, g_wdeaths=g_wdeaths, g_first=g_first, g_next=g_next,
        seg_starts=seg_starts, seg_group=seg_group, seg_len=seg_len, seg_death=seg_death,
        death_seg=death_seg, nstrata_groups=int(sfirst.size),
        offd_sum=offd_sum, has_offset=offset is not None,
        seg_base=base[seg_starts] if n else np.zeros(0, dtype=np.intp), all_valid=all_valid,
        base=base, death_gstart=gstart, death_rows=death_rows, death_group=death_group, memo=memo,
    )


def _stratum_bounds(strata: np.ndarray, g_stratum: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of each stratum of the sorted rows (``strata`` nondecreasing): its rows
    ``[bounds[k], bounds[k + 1])`` and its event groups ``[first[k], end[k])``."""
    n, m = strata.shape[0], g_stratum.shape[0]
    if n == 0 or strata[0] == strata[-1]:  # one stratum
        starts = np.zeros(min(n, 1), dtype=np.intp)
    else:
        starts = np.flatnonzero(np.concatenate(([True], strata[1:] != strata[:-1])))
    row_strata = strata[starts] if n else np.zeros(0, dtype=np.int64)
    if m == 0:
        none = np.zeros(starts.size, dtype=np.intp)
        return np.append(starts, n), none, none
    return (np.append(starts, n), np.searchsorted(g_stratum, row_strata, side="left"),
            np.searchsorted(g_stratum, row_strata, side="right"))


def row_groups(stop: np.ndarray, strata: np.ndarray, g_time: np.ndarray, g_stratum: np.ndarray,
               base: np.ndarray) -> np.ndarray:
    """For each sorted row, index + 1 of the last event group of its stratum at or before
    ``stop``; ``base`` (the groups of earlier strata) when there is none. Nondecreasing along
    the rows, so runs of equal values are contiguous."""
    n, m = stop.shape[0], g_time.shape[0]
    if m == 0:
        return np.zeros(n, dtype=np.intp)
    bounds, first, end = _stratum_bounds(strata, g_stratum)
    if n <= 5000 and first.size == 1:
        return np.searchsorted(g_time, stop, side="right")
    # stop times are sorted within strata: mark where each event time starts, cumulate
    marks = np.zeros(n + 1, dtype=np.intp)
    for k in range(first.size):
        if end[k] > first[k]:
            r0, r1 = int(bounds[k]), int(bounds[k + 1])
            marks[r0 + np.searchsorted(stop[r0:r1], g_time[first[k]:end[k]], side="left")] += 1
    return np.cumsum(marks[:n], out=marks[:n])


def entry_groups(entry: np.ndarray, strata: np.ndarray, g_time: np.ndarray, g_stratum: np.ndarray,
                 base: np.ndarray) -> np.ndarray:
    """:func:`row_groups` of the entry times (not sorted within strata): the event groups
    each row's stratum had before the row entered."""
    if g_time.shape[0] == 0:
        return np.zeros(entry.shape[0], dtype=np.intp)
    out = base.copy()
    bounds, first, end = _stratum_bounds(strata, g_stratum)
    for k in range(first.size):
        if end[k] > first[k]:  # written, then shifted in place (no second n-sized temporary)
            r0, r1 = int(bounds[k]), int(bounds[k + 1])
            out[r0:r1] = np.searchsorted(g_time[first[k]:end[k]], entry[r0:r1], side="right")
            out[r0:r1] += first[k]
    return np.maximum(out, base, out=out)


_DENSE_MAX = 40_000  # n * m below which the risk sets are held as a dense indicator matrix


def _revcum_pad(a: np.ndarray) -> np.ndarray:
    """Reverse cumulative sums along the last axis, with a trailing 0 column."""
    out = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a[:, ::-1], axis=1, out=out[:, -2::-1] if a.shape[1] else out[:, :0])
    return out


def _risk_sums_T(cs: CoxSetup, WT: np.ndarray, seg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Risk-set sums (q, m) and death sums (q, m) of the rows of ``WT`` (q, n).

    Rows are summed in runs (sorted order); the risk set of event group g is every run from
    the group's first run (its deaths) to the end of its stratum, so one reverse cumulative
    sum over the runs gives all of them. Rows before the first event of their stratum sit
    at the start of the stratum and are never included.
    """
    if seg is None:
        seg = np.add.reduceat(WT, cs.seg_starts, axis=1) if cs.n else np.zeros((WT.shape[0], 0))
    rc = _revcum_pad(seg)
    out = rc[:, cs.death_seg] - rc[:, cs.g_next_seg]
    runs = cs.entry_runs
    if runs is not None:
        pe = np.add.reduceat(WT[:, runs.order], runs.starts, axis=1)
        rce = _revcum_pad(pe)
        out = out - (rce[:, runs.first] - rce[:, runs.next])
    return out, seg[:, cs.death_seg]


def _cum_at_rows(cs: CoxSetup, per_group: np.ndarray) -> np.ndarray:
    """For each row, the sum of ``per_group`` (m,) or (m, q) over the event times it is at risk."""
    pg = per_group if per_group.ndim == 2 else per_group[:, None]
    cum = np.vstack([np.zeros((1, pg.shape[1])), np.cumsum(pg, axis=0)])
    out = cum[cs.s_idx1] - cum[cs.base]
    if cs.e_idx1 is not None:
        out = out - (cum[cs.e_idx1] - cum[cs.base])
    return out if per_group.ndim == 2 else out[:, 0]


@dataclass(eq=False)
class Evaluation:
    """Log partial likelihood, score and information at one beta, with the per-time pieces."""

    beta: np.ndarray
    loglik: float
    u: np.ndarray
    imat: np.ndarray | None
    eta: np.ndarray  # sorted rows, centered X b + offset
    risk: np.ndarray  # exp(eta) (no case weight)
    s0: np.ndarray  # (m,) risk-set sums of w
    s1: np.ndarray  # (m, p)
    d0: np.ndarray  # (m,) sums of w over the deaths
    d1: np.ndarray  # (m, p)
    hazard: np.ndarray  # (m,) hazard increment (Efron-type for Efron fits): sum_k mult/denom
    hazard_frac: np.ndarray  # (m,) sum_k mult*frac/denom (Efron correction for the deaths)
    pair_group: np.ndarray
    pair_frac: np.ndarray

    @cached_property
    def pair_denom(self) -> np.ndarray:
        """(npairs,) Efron denominators S0 - (k/d) D0 (S0 for Breslow)."""
        return self.s0[self.pair_group] - self.pair_frac * self.d0[self.pair_group]

    @cached_property
    def pair_xbar(self) -> np.ndarray:
        """(npairs, p) weighted covariate means of every (event time, k) risk set."""
        pg = self.pair_group
        out = self.s1[pg]  # in place, the same operations: one (npairs, p) temporary, not three
        dk = self.d1[pg]
        dk *= self.pair_frac[:, None]
        out -= dk
        del dk
        out /= self.pair_denom[:, None]
        return out

    def forget_pairs(self) -> None:
        """Drop the per-pair arrays built on first use (:attr:`pair_denom`, :attr:`pair_xbar`;
        built again if read): a registry's deaths, 0.3 GB held by the fit otherwise."""
        self.__dict__.pop("pair_denom", None)
        self.__dict__.pop("pair_xbar", None)


def evaluate(cs: CoxSetup, beta: np.ndarray, *, info: bool = True, offset: bool = True) -> Evaluation:
    """Loglik, score and (optionally) information at ``beta`` (coefficients of the centered X).

    A trial beta far out (diverging coefficient) can overflow ``exp``; the non-finite
    log-likelihood then makes ``cox_newton.newton`` halve the step, so the warnings are silenced here.
    """
    if cs.p and cs.xmax < 1e300 and np.abs(beta).max() * cs.xmax < 300:  # no overflow possible
        return _evaluate(cs, beta, info, offset)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        return _evaluate(cs, beta, info, offset)


def _evaluate(cs: CoxSetup, beta: np.ndarray, info: bool, use_offset: bool) -> Evaluation:
    p, m = cs.p, cs.m
    XT = cs.XT
    if p:
        eta = beta @ XT
        if cs.has_offset and use_offset:
            eta += cs.offset
    else:
        eta = cs.offset.copy() if use_offset else np.zeros(cs.n)
    # released after the fit: a buffer of this evaluation only (an evaluation at the estimate
    # would otherwise keep (p + 1) x n floats alive with the fit)
    WT: np.ndarray = cs.work if cs.work.shape == (p + 1, cs.n) else np.empty((p + 1, cs.n))
    unit = cs.dense is None and cs.cw is None and cs.entry_runs is None and p and not beta.any() and (
        not (cs.has_offset and use_offset))
    if unit:  # beta = 0, no weights: w = 1, so the run sums are run sizes and sums of x
        risk = w = np.ones(cs.n)
        seg = np.empty((p + 1, cs.seg_starts.size))
        seg[0] = cs.seg_len
        seg[1:] = np.add.reduceat(XT, cs.seg_starts, axis=1)
    else:
        risk = np.exp(eta)
        w = risk if cs.cw is None else risk * cs.cw
        WT[0] = w
        np.multiply(XT, w, out=WT[1:])
    if unit:
        sums, dsums = _risk_sums_T(cs, WT, seg)
        s0, s1 = sums[0], sums[1:]
        d0, d1 = dsums[0], dsums[1:]
    elif cs.dense is not None:  # small data: one product with the indicator matrices
        both = WT @ cs.dense_t
        s0, s1, d0, d1 = both[0, :m], both[1:, :m], both[0, m:], both[1:, m:]
    else:
        sums, dsums = _risk_sums_T(cs, WT)
        s0, s1 = sums[0], sums[1:]
        d0, d1 = dsums[0], dsums[1:]
    pg, frac, mult = cs.pair_group, cs.pair_frac, cs.pair_mult
    q1: np.ndarray | None
    q2: np.ndarray | None
    if cs.ties == "efron" and pg.size != m:
        if cs.series_q is not None:
            c, hf, q0, q1, q2, logsum = efron_sums_series(cs, s0, d0)
        else:
            c, hf, q0, q1, q2, logsum = efron_sums_pairs(cs, s0, d0)
    else:  # Breslow, or Efron without tied deaths: one term per event time
        den = s0 if pg.size == m else s0[pg]
        inv = mult / den
        c = inv
        hf = np.zeros(m)
        logsum = float(mult @ np.log(den))
        q0 = inv / den
        q1 = q2 = None
    offd = cs.offd_sum if use_offset else 0.0
    loglik = float(cs.xd_sum @ beta + offd - logsum) if p else float(offd - logsum)
    u = cs.xd_sum - s1 @ c + (d1 @ hf if q1 is not None else 0.0)
    imat = None
    if info:
        if cs.dense is not None:
            H = np.concatenate((c, -hf)) @ cs.dense
        else:
            H = _row_hazard(cs, c, hf)
        # X' diag(w H) X: WT[1:] holds w x (sums are done), scale it by H in place
        WX = WT[1:]
        if unit:
            np.multiply(XT, H, out=WX)
        else:
            WX *= H
        imat = WX @ XT.T - (s1 * q0) @ s1.T
        if q1 is not None:
            t1 = (s1 * q1) @ d1.T
            imat += t1 + t1.T - (d1 * q2) @ d1.T
        imat = (imat + imat.T) / 2
    return Evaluation(beta=beta, loglik=loglik, u=u, imat=imat, eta=eta, risk=risk, s0=s0, s1=s1.T,
                      d0=d0, d1=d1.T, hazard=c, hazard_frac=hf, pair_group=pg,
                      pair_frac=frac)


def _row_hazard(cs: CoxSetup, c: np.ndarray, hf: np.ndarray) -> np.ndarray:
    """Each row's hazard over the event times at which it is at risk, less the Efron share
    its own death does not receive (sorted rows)."""
    m = cs.m
    cum = np.empty(m + 1)
    cum[0] = 0.0
    np.cumsum(c, out=cum[1:])
    hseg = cum[cs.seg_group]
    if cs.nstrata_groups > 1 or not cs.all_valid:
        hseg = np.where(cs.seg_group > 0, hseg - cum[cs.seg_base], 0.0)
    hseg[cs.death_seg] -= hf
    H = np.repeat(hseg, cs.seg_len)
    if cs.e_idx1 is not None:
        H -= cum[cs.e_idx1] - cum[cs.base]
    return H
