"""Per-(stratum, distinct time) sufficient statistics: the spine of the survival core.

Every right-censored (and left-truncated) survival computation in sarcohort reduces to
counts per (stratum, distinct time) -- events, censorings, number at risk -- followed by
cumulative sums or products over time.  This module produces those counts from arrays:

* :func:`distinct_times` -- the sorted distinct times and the position of every element
  among them, with R's near-tie merge (``aeqSurv``, ``timefix = TRUE``);
* :func:`risk_table` -- a :class:`RiskTable`: for each (stratum, distinct exit time)
  row the events, censorings and number at risk per group (columns);
* :func:`segment_cumsum`, :func:`segment_reverse_cumsum`, :func:`segment_cumprod` --
  cumulative operations restarted at each stratum, for consumers (KM, log-rank, Cox).

Two producers of the same table live here.  Integer-valued times over a modest range
(days from dates) are aggregated with :func:`numpy.bincount` on a dense
(stratum, time, group) grid -- no sort at all.  Anything else goes through one sort
(:func:`numpy.unique`), then the same dense grid over distinct times, or, when that grid
would be larger than the data, a sparse (stratum, time) key.  Both give identical counts.

Conventions follow R's ``survival``: a subject with entry (start) time ``s`` and exit
(stop) time ``t`` is at risk at time ``u`` when ``s < u <= t``; rows exist only at exit
times (entries do not create rows; they lower the number at risk at and before their
start).  Times within ``sqrt(eps)`` of each other (absolutely, or relative to the mean
absolute time) are merged to the first of them, exactly as ``aeqSurv`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sarcohort.stats._unique import unique_inverse

#: R's ``all.equal`` tolerance, used by ``aeqSurv`` to merge near-equal times.
TIME_TOLERANCE = float(np.sqrt(np.finfo(float).eps))

# Integer-valued times are binned directly when their range is at most this many times
# the number of observations (plus a constant): bincount over the range then costs about
# as much as reading the data.
_DENSE_FACTOR = 4
_DENSE_MIN = 1 << 20
# Integer times below this magnitude can never be merged by the aeqSurv rule
# (a gap of 1 relative to a mean below 6e7 exceeds sqrt(eps) ~ 1.49e-8).
_INT_SAFE = 6.0e7


def merge_near_ties(values: np.ndarray, *, sorted_unique: bool = False) -> np.ndarray:
    """The cut points R's ``aeqSurv`` uses: sorted distinct values, near-ties merged.

    Parameters
    ----------
    values
        All time values of the data (exit and entry times together), any order.
    sorted_unique
        ``values`` are already sorted and distinct (skips a sort).

    Returns
    -------
    numpy.ndarray
        Sorted distinct values; when two consecutive distinct values differ by at most
        ``sqrt(eps)``, or by at most ``sqrt(eps)`` times the mean absolute distinct value,
        the later one is dropped (a run of near-ties maps to its first value).

    Notes
    -----
    Every time ``x`` is then replaced by the largest cut ``<= x``
    (R: ``cuts[findInterval(x, cuts)]``).
    """
    y = values if sorted_unique else np.unique(values)
    y = y[np.isfinite(y)]
    if y.size < 2:
        return y
    dy = np.diff(y)
    scale = np.mean(np.abs(y))
    with np.errstate(divide="ignore", invalid="ignore"):
        tied = (dy <= TIME_TOLERANCE) | (dy / scale <= TIME_TOLERANCE)
    if not tied.any():
        return y
    return y[np.concatenate(([True], ~tied))]


def never_merged(values: np.ndarray) -> bool:
    """True when R's near-tie merge cannot change ``values``: whole numbers below 6e7 in
    magnitude (e.g. days), whose distinct values differ by 1 or more, far above the tolerance."""
    if values.size == 0:
        return True
    if values.dtype.kind in "iub":
        return bool(max(abs(int(values.min())), abs(int(values.max()))) < _INT_SAFE)
    lo, hi = float(values.min()), float(values.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or max(abs(lo), abs(hi)) >= _INT_SAFE:
        return False
    return bool(np.array_equal(np.floor(values), values))


def _integer_span(values: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """``(min, max, values - min as int64)`` when every value is an integer of modest size.

    None when a value is fractional or too large for the dense path (see ``_INT_SAFE``).
    """
    if values.size == 0:
        return None
    if values.dtype.kind in "iub":
        lo, hi = int(values.min()), int(values.max())
        if max(abs(lo), abs(hi)) >= _INT_SAFE:
            return None
        as_int = values.astype(np.int64)
    else:
        lo_f, hi_f = float(values.min()), float(values.max())
        if not (np.isfinite(lo_f) and np.isfinite(hi_f)):
            return None
        if max(abs(lo_f), abs(hi_f)) >= _INT_SAFE:
            return None
        as_int = values.astype(np.int64)
        if not np.array_equal(as_int, values):
            return None
        lo, hi = int(lo_f), int(hi_f)
    if lo != 0:
        as_int -= lo
    return lo, hi, as_int


def distinct_times(
    time: np.ndarray, *, also: np.ndarray | None = None, timefix: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct times and the index of each element among them.

    Parameters
    ----------
    time
        1-d array of (exit) times.
    also
        Further times (entry times of counting-process data) that take part in R's
        near-tie merge but do not themselves become distinct times.
    timefix
        Merge near-equal times as R's ``aeqSurv`` does (``survfit(timefix = TRUE)``,
        the default in R).

    Returns
    -------
    times : numpy.ndarray
        Sorted distinct values of ``time`` (float64), after merging near-ties.
    index : numpy.ndarray
        int64 array, ``times[index]`` is each element's (merged) time.

    Examples
    --------
    >>> t, i = distinct_times(np.array([5.0, 3.0, 5.0, 1.0]))
    >>> t.tolist(), i.tolist()
    ([1.0, 3.0, 5.0], [2, 1, 2, 0])
    """
    time = np.asarray(time)
    span = _integer_span(time) if also is None else None
    if span is not None and (span[1] - span[0]) <= _DENSE_FACTOR * time.size + _DENSE_MIN:
        # Integer times below _INT_SAFE are never merged by the aeqSurv rule.
        lo, hi, offset = span
        present = np.bincount(offset, minlength=hi - lo + 1) > 0
        lookup = np.cumsum(present) - 1
        times = (np.flatnonzero(present) + lo).astype(np.float64)
        return times, lookup[offset]
    times, index = unique_inverse(time)
    if timefix:
        if also is None:
            cuts = merge_near_ties(times, sorted_unique=True)
        else:
            cuts = merge_near_ties(np.concatenate((times, np.asarray(also, float))))
        if also is not None or cuts.size < times.size:
            mapped = cuts[np.searchsorted(cuts, times, side="right") - 1]
            times, inverse = np.unique(mapped, return_inverse=True)
            index = inverse.reshape(-1)[index]
    return times.astype(np.float64), index


def integer_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of the distinct values, in sorted order, and the distinct values.

    Small non-negative integer (or boolean) arrays are coded with :func:`numpy.bincount`
    (no sort); anything else with :func:`numpy.unique`.

    Returns
    -------
    codes : numpy.ndarray
        int64 codes, ``uniques[codes] == values``.
    uniques : numpy.ndarray
        The sorted distinct values.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iub" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= _DENSE_FACTOR * values.size + 1024:
            if lo == 0 and values.dtype == np.int64:
                offset = values  # read only below; returned as the codes when all present
            else:
                offset = values.astype(np.int64)
                offset -= lo
            present = np.bincount(offset, minlength=hi - lo + 1) > 0
            uniques = (np.flatnonzero(present) + lo).astype(values.dtype)
            if present.all():  # codes are the offsets themselves
                return offset, uniques
            lookup = np.cumsum(present) - 1
            return lookup[offset], uniques
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64).reshape(-1), uniques


@dataclass(frozen=True, eq=False)
class RiskTable:
    """Counts per (stratum, distinct exit time) row and group column.

    Rows are sorted by stratum, then time; a row exists where at least one record of the
    stratum (any group) exits.  For stratum ``s`` the rows are
    ``offsets[s]:offsets[s + 1]``.

    Attributes
    ----------
    time : (r,) float64
        The distinct exit time of each row.
    stratum : (r,) int64
        The stratum code of each row.
    offsets : (n_strata + 1,) int64
        Row range of each stratum.
    n_event : (r, g) float64
        Events (weighted) per group at the row's time.
    n_censor : (r, g) float64
        Censored exits per group at the row's time.
    n_risk : (r, g) float64
        Number (weight) at risk per group just before the row's time:
        records with ``entry < time <= exit``.
    n_records : (n_strata, g) float64
        Records (weight) per stratum and group.
    row : (n,) int64 or None
        Row of each input record (its exit), when requested.
    """

    time: np.ndarray
    stratum: np.ndarray
    offsets: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n_risk: np.ndarray
    n_records: np.ndarray
    row: np.ndarray | None = None

    @property
    def n_strata(self) -> int:
        """Number of strata."""
        return int(self.offsets.shape[0] - 1)

    @property
    def n_groups(self) -> int:
        """Number of group columns."""
        return int(self.n_event.shape[1])

    def segment(self, s: int) -> slice:
        """Row slice of stratum ``s``."""
        return slice(int(self.offsets[s]), int(self.offsets[s + 1]))


def _bincount(key: np.ndarray, size: int, weights: np.ndarray | None) -> np.ndarray:
    return np.bincount(key, weights=weights, minlength=size).astype(np.float64, copy=False)


def risk_table(
    time: np.ndarray,
    event: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    n_strata: int | None = None,
    group: np.ndarray | None = None,
    n_groups: int | None = None,
    weights: np.ndarray | None = None,
    timefix: bool = True,
    row_index: bool = False,
) -> RiskTable:
    """Aggregate survival records into a :class:`RiskTable`.

    Parameters
    ----------
    time
        Exit (stop) times, float or integer, validated (finite).
    event
        Boolean event indicator.
    entry
        Entry (start) times of counting-process data, ``entry < time``; None for
        right-censored data (everyone at risk from the origin).
    strata
        Stratum codes ``0..n_strata-1`` (int); None for one stratum.  Times are
        aggregated within each stratum; every stratum code should occur.
    group
        Group (column) codes ``0..n_groups-1``; None for one column.
    weights
        Case weights (default 1).
    timefix
        Merge near-equal times as R's ``aeqSurv``.
    row_index
        Also return the row of every record (:attr:`RiskTable.row`), e.g. to sum
        covariates per row for a Cox model.

    Returns
    -------
    RiskTable
    """
    time = np.asarray(time)
    n = time.shape[0]
    n_s = 1 if strata is None else (int(n_strata) if n_strata is not None else int(strata.max()) + 1)
    n_g = 1 if group is None else (int(n_groups) if n_groups is not None else int(group.max()) + 1)
    event = np.asarray(event, dtype=bool)
    strata = None if strata is None else np.asarray(strata, dtype=np.int64)
    group = None if group is None else np.asarray(group, dtype=np.int64)
    weights = None if weights is None else np.asarray(weights, dtype=np.float64)

    # Position of every exit on a time axis, and the axis values.  Integer times (and
    # integer entries) are binned over their whole range; others by their distinct values.
    span = _integer_span(time)
    if span is not None and entry is not None and timefix and _integer_span(np.asarray(entry)) is None:
        span = None  # a fractional entry could be near-tied to an exit: take the general path
    if span is not None and (span[1] - span[0] + 1) * n_s * n_g <= _DENSE_FACTOR * n + _DENSE_MIN:
        lo, hi, pos = span
        axis = np.arange(lo, hi + 1, dtype=np.float64)
        dense = True
    else:
        also = None if entry is None else np.asarray(entry, dtype=np.float64)
        axis, pos = distinct_times(time, also=also, timefix=timefix)
        dense = axis.shape[0] * n_s * n_g <= _DENSE_FACTOR * n + _DENSE_MIN

    if entry is not None:
        # Last axis position whose time is <= the entry time (-1: before every time).
        # The record is not at risk at that position or any earlier one.
        epos = np.searchsorted(axis, np.asarray(entry, dtype=np.float64), side="right") - 1
    else:
        epos = None

    if dense:
        return _dense_table(axis, pos, event, epos, strata, n_s, group, n_g, weights, row_index)
    return _sparse_table(axis, pos, event, epos, strata, n_s, group, n_g, weights, row_index)


def _dense_table(
    axis: np.ndarray,
    pos: np.ndarray,
    event: np.ndarray,
    epos: np.ndarray | None,
    strata: np.ndarray | None,
    n_s: int,
    group: np.ndarray | None,
    n_g: int,
    weights: np.ndarray | None,
    row_index: bool,
) -> RiskTable:
    m = axis.shape[0]
    size = n_s * m * n_g
    # ``pos`` was computed by the caller for this call only: the keys are built in place
    # (fresh 8-byte-per-row arrays cost more than the arithmetic at n = 1e6).
    if strata is None:
        cell = pos
    else:
        cell = strata * m
        cell += pos
    saved_cell = cell.copy() if row_index else None
    key = cell
    if group is not None:
        key *= n_g
        key += group
    if weights is None:
        # One pass: bin (cell, group, event) and split the last axis into censored/events.
        key *= 2
        key += event
        counts = np.bincount(key, minlength=2 * size).reshape(n_s, m, n_g, 2).astype(np.float64)
        events = counts[..., 1]
        records = counts[..., 0] + events
    else:
        records = _bincount(key, size, weights).reshape(n_s, m, n_g)
        events = _bincount(key, size, np.where(event, weights, 0.0)).reshape(n_s, m, n_g)
    # Number at risk: records exiting at or after t, minus those entering at or after t.
    at_risk = np.cumsum(records[:, ::-1, :], axis=1)[:, ::-1, :]
    if epos is not None:
        inside = epos >= 0
        ecell = epos[inside] if strata is None else strata[inside] * m + epos[inside]
        ekey = ecell if group is None else ecell * n_g + group[inside]
        entries = _bincount(ekey, size, None if weights is None else weights[inside])
        entries = entries.reshape(n_s, m, n_g)
        at_risk = at_risk - np.cumsum(entries[:, ::-1, :], axis=1)[:, ::-1, :]
    present = _row_sum(records.reshape(n_s * m, n_g)) > 0  # flat over (stratum, time)
    counts = present.reshape(n_s, m).sum(axis=1)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    flat_index = np.flatnonzero(present)
    stratum, tpos = np.divmod(flat_index, m)
    n_event = events.reshape(n_s * m, n_g)[present]
    n_records_rows = records.reshape(n_s * m, n_g)[present]
    row = None
    if row_index:
        lookup = np.cumsum(present) - 1
        row = lookup[saved_cell]
    return RiskTable(
        time=axis[tpos],
        stratum=stratum.astype(np.int64),
        offsets=offsets,
        n_event=n_event,
        n_censor=n_records_rows - n_event,
        n_risk=at_risk.reshape(n_s * m, n_g)[present],
        n_records=records.sum(axis=1),
        row=row,
    )


def _sparse_table(
    axis: np.ndarray,
    pos: np.ndarray,
    event: np.ndarray,
    epos: np.ndarray | None,
    strata: np.ndarray | None,
    n_s: int,
    group: np.ndarray | None,
    n_g: int,
    weights: np.ndarray | None,
    row_index: bool,
) -> RiskTable:
    m = axis.shape[0]
    if strata is None:
        cell = pos
    else:
        cell = strata.astype(np.int64) * m + pos
    keys, row = np.unique(cell, return_inverse=True)
    row = row.reshape(-1)
    r = keys.shape[0]
    key = row if group is None else row * n_g + group
    records = _bincount(key, r * n_g, weights).reshape(r, n_g)
    ev_w = event if weights is None else event * weights
    n_event = _bincount(key, r * n_g, ev_w.astype(np.float64)).reshape(r, n_g)
    stratum = keys // m
    counts = np.bincount(stratum, minlength=n_s)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    at_risk = segment_reverse_cumsum(records, offsets)
    if epos is not None:
        inside = epos >= 0
        s_in = np.zeros(int(inside.sum()), np.int64) if strata is None else strata[inside].astype(np.int64)
        ekey_time = s_in * m + epos[inside]
        # Last row of the same stratum with time <= entry; none -> no effect.
        erow = np.searchsorted(keys, ekey_time, side="right") - 1
        ok = (erow >= 0) & (erow >= offsets[s_in])
        g_in = None if group is None else group[inside][ok]
        ekey = erow[ok] if g_in is None else erow[ok] * n_g + g_in
        w_in = None if weights is None else weights[inside][ok]
        entries = _bincount(ekey, r * n_g, w_in).reshape(r, n_g)
        at_risk = at_risk - segment_reverse_cumsum(entries, offsets)
    n_records = np.column_stack(
        [np.bincount(stratum, weights=records[:, j], minlength=n_s) for j in range(n_g)]
    ).reshape(n_s, n_g)
    return RiskTable(
        time=axis[keys % m],
        stratum=stratum.astype(np.int64),
        offsets=offsets,
        n_event=n_event,
        n_censor=records - n_event,
        n_risk=at_risk,
        n_records=n_records,
        row=row if row_index else None,
    )


def _row_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the (few) columns of a tall 2-d array; faster than ``sum(axis=1)``."""
    out = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        out += values[:, j]
    return out


def row_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the group columns of a :class:`RiskTable` array, e.g. all events per row."""
    return _row_sum(np.asarray(values, dtype=np.float64).reshape(values.shape[0], -1))


def segment_cumsum(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Cumulative sum along axis 0, restarted at every segment ``offsets[s]:offsets[s+1]``."""
    out = np.empty_like(values, dtype=np.float64)
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if b > a:
            np.cumsum(values[a:b], axis=0, out=out[a:b])
    return out


def segment_reverse_cumsum(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum from each row to the end of its segment (axis 0), e.g. the risk-set sums."""
    out = np.empty_like(values, dtype=np.float64)
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if b > a:
            out[a:b] = np.cumsum(values[a:b][::-1], axis=0)[::-1]
    return out


def segment_cumprod(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Cumulative product along axis 0, restarted at every segment."""
    out = np.empty_like(values, dtype=np.float64)
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if b > a:
            np.cumprod(values[a:b], axis=0, out=out[a:b])
    return out


def risk_table_from_counts(
    time: np.ndarray,
    n_records: np.ndarray,
    n_event: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    n_strata: int | None = None,
    group: np.ndarray | None = None,
    n_groups: int | None = None,
    entry_time: np.ndarray | None = None,
    entry_count: np.ndarray | None = None,
    entry_strata: np.ndarray | None = None,
    entry_group: np.ndarray | None = None,
    timefix: bool = True,
) -> RiskTable:
    """The :class:`RiskTable` of :func:`risk_table`, from counts already grouped elsewhere.

    A database (DuckDB, Spark) groups the records by (stratum, group, exact exit time) and,
    for counting-process data, by (stratum, group, exact entry time); this function does the
    rest exactly as :func:`risk_table` does on the records: R's near-tie merge over the
    distinct exit (and entry) times, one row per (stratum, merged exit time), and the number
    at risk ``entry < t <= exit`` by reverse cumulative sums.

    Parameters
    ----------
    time, n_records, n_event
        One element per grouped cell: its exact exit time, the records (weight) exiting
        there and the events among them.
    strata, group
        Stratum and group codes of each cell (None: one stratum / one group).
    entry_time, entry_count, entry_strata, entry_group
        Counting-process data: the cells of entries, by exact entry time.
    timefix
        Merge near-equal times as R's ``aeqSurv``.

    Returns
    -------
    RiskTable
        Without :attr:`RiskTable.row` (there are no records).
    """
    time = np.asarray(time, dtype=np.float64)
    n_s = 1 if strata is None else (int(n_strata) if n_strata is not None else int(strata.max()) + 1)
    n_g = 1 if group is None else (int(n_groups) if n_groups is not None else int(group.max()) + 1)
    s = np.zeros(time.shape[0], np.int64) if strata is None else np.asarray(strata, np.int64)
    g = np.zeros(time.shape[0], np.int64) if group is None else np.asarray(group, np.int64)
    times_u = np.unique(time)
    if timefix:
        if entry_time is None:
            cuts = merge_near_ties(times_u, sorted_unique=True)
        else:
            cuts = merge_near_ties(np.concatenate((times_u, np.asarray(entry_time, np.float64))))
        mapped = cuts[np.searchsorted(cuts, times_u, side="right") - 1]
        axis = np.unique(mapped)
        pos = np.searchsorted(axis, mapped)[np.searchsorted(times_u, time)]
    else:
        axis = times_u
        pos = np.searchsorted(axis, time)
    m = axis.shape[0]
    keys, row = np.unique(s * m + pos, return_inverse=True)
    row = row.reshape(-1)
    r = keys.shape[0]
    key = row * n_g + g
    records = _bincount(key, r * n_g, np.asarray(n_records, np.float64)).reshape(r, n_g)
    events = _bincount(key, r * n_g, np.asarray(n_event, np.float64)).reshape(r, n_g)
    stratum = keys // m
    offsets = np.concatenate(([0], np.cumsum(np.bincount(stratum, minlength=n_s)))).astype(np.int64)
    at_risk = segment_reverse_cumsum(records, offsets)
    if entry_time is not None and entry_count is not None:
        en = np.asarray(entry_time, np.float64)
        es = np.zeros(en.shape[0], np.int64) if entry_strata is None else np.asarray(entry_strata, np.int64)
        eg = np.zeros(en.shape[0], np.int64) if entry_group is None else np.asarray(entry_group, np.int64)
        epos = np.searchsorted(axis, en, side="right") - 1
        inside = epos >= 0
        erow = np.searchsorted(keys, es[inside] * m + epos[inside], side="right") - 1
        ok = (erow >= 0) & (erow >= offsets[es[inside]])
        ekey = erow[ok] * n_g + eg[inside][ok]
        entries = _bincount(ekey, r * n_g, np.asarray(entry_count, np.float64)[inside][ok])
        at_risk = at_risk - segment_reverse_cumsum(entries.reshape(r, n_g), offsets)
    n_rec = np.column_stack(
        [np.bincount(stratum, weights=records[:, j], minlength=n_s) for j in range(n_g)]
    ).reshape(n_s, n_g)
    return RiskTable(
        time=axis[keys % m], stratum=stratum.astype(np.int64), offsets=offsets, n_event=events,
        n_censor=records - events, n_risk=at_risk, n_records=n_rec,
    )
