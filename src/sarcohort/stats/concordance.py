"""Harrell's concordance of a Cox model, with R's definitions (survival 3.x ``concordancefit``,
``timewt = "n"``, computed within strata) and its infinitesimal-jackknife standard error.

A pair (i, j) is comparable when i has an event at t_i and j is still at risk after it: j's
time is later, or equal and censored (censorings at t count as after the deaths at t), and
for (start, stop] data j entered before t_i. The pair is concordant when the event has the
larger linear predictor, discordant when smaller, ``tied.x`` when equal. Two events at the
same time are ``tied.y`` (``tied.xy`` when their predictors are equal too) and are not
comparable. ``concordance = (concordant + tied.x / 2) / (concordant + discordant + tied.x)``.
The standard error is R's: ``sqrt(sum dfbeta_i^2)`` with
``dfbeta_i = ((C_i - D_i) - (C_i + D_i + T_i) * somers_d) / (2 * npair)``, C_i, D_i, T_i the
concordant, discordant and tied.x pairs involving row i (summed within clusters first).

With case weights a pair counts ``w_i w_j`` and the influence of row i is multiplied by
``w_i`` (R's ``concordancefit``).

The pairs are counted in O(n log n) by one compiled pass with Fenwick trees over the ranks of
the predictor (:mod:`sarcohort.stats._concordance_kernel`), as R's balanced tree; without
numba, a vectorised merge-sort tree (unweighted only) does the same counting.

Exports :func:`concordance` and its result, :class:`Concordance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sarcohort.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats.cox_result import CoxResult

__all__ = ["concordance", "Concordance"]


@dataclass(frozen=True)
class Concordance:
    """Concordance index with R's counts (``fit$concordance``)."""

    value: float
    se: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float

    def to_frame(self) -> pd.DataFrame:
        """One row: the index, its SE and the pair counts."""
        import pandas as pd

        return pd.DataFrame([self.__dict__])


def _dominance(key: np.ndarray, lp_rank: np.ndarray, is_query: np.ndarray) -> np.ndarray:
    """For items (inserts and queries) count, for each item, pairs with the other kind.

    A query q and an insert j form a pair when ``key[j] > key[q]``. Returns an (N, 3) array:
    for a query, the numbers of paired inserts with smaller / larger / equal ``lp_rank``; for an
    insert, the numbers of paired queries with larger / smaller / equal ``lp_rank`` (so that
    column 0 is always "concordant" from the event's point of view).
    """
    N = key.shape[0]
    out = np.zeros((N, 3))
    if N == 0:
        return out
    # processing order: key descending, queries before inserts at equal key
    order = np.lexsort((~is_query, -key))
    pos = np.empty(N, dtype=np.int64)
    pos[order] = np.arange(N)
    # arrangement: sorted by lp rank, queries before inserts at equal rank
    arr = np.lexsort((~is_query, lp_rank))
    size = 1
    while size < N:
        size *= 2
    q_all = is_query
    while size > 1:
        half = size // 2
        p = pos[arr]
        block = p // size
        right = (p % size) >= half
        q = q_all[arr]
        rank = lp_rank[arr]
        left_ins = (~right) & (~q)
        right_q = right & q
        # block starts in the arrangement (blocks are contiguous)
        bstart = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
        bid = np.cumsum(np.r_[True, block[1:] != block[:-1]]) - 1
        cl = np.cumsum(left_ins)
        cl_before = cl - left_ins
        cl_base = (cl - left_ins)[bstart][bid]
        left_before = cl_before - cl_base  # left inserts before me in my block
        nleft_block = np.add.reduceat(left_ins.astype(np.int64), bstart)[bid]
        cr = np.cumsum(right_q)
        cr_base = (cr - right_q)[bstart][bid]
        right_upto = cr - cr_base
        nright_block = np.add.reduceat(right_q.astype(np.int64), bstart)[bid]
        # runs of equal lp rank within a block
        newrun = np.r_[True, (block[1:] != block[:-1]) | (rank[1:] != rank[:-1])]
        run = np.cumsum(newrun) - 1
        run_left = np.bincount(run, left_ins)[run]
        run_rightq = np.bincount(run, right_q)[run]
        # queries in the right half
        iq = np.flatnonzero(right_q)
        less = left_before[iq]
        eq = run_left[iq]
        out_idx = arr[iq]
        out[out_idx, 0] += less
        out[out_idx, 2] += eq
        out[out_idx, 1] += nleft_block[iq] - less - eq
        # inserts in the left half
        il = np.flatnonzero(left_ins)
        after = nright_block[il] - right_upto[il]  # right queries after me: larger lp
        eqi = run_rightq[il]
        out_idx = arr[il]
        out[out_idx, 0] += after
        out[out_idx, 2] += eqi
        out[out_idx, 1] += nright_block[il] - after - eqi
        # stable partition of each block into its two halves
        nl_all = np.add.reduceat((~right).astype(np.int64), bstart)[bid]
        cleft: np.ndarray = np.cumsum(~right)
        cleft_b: np.ndarray = (cleft - (~right))[bstart][bid]
        cright: np.ndarray = np.cumsum(right)
        cright_b: np.ndarray = (cright - right)[bstart][bid]
        bst = bstart[bid]
        dest = np.where(right, bst + nl_all + (cright - right - cright_b), bst + (cleft - (~right) - cleft_b))
        new_arr = np.empty_like(arr)
        new_arr[dest] = arr
        arr = new_arr
        size = half
    return out


def _stratum_counts(stop, event, entry, lp_rank):
    """Counts (C, D, T, tied.y, tied.xy) and per-row influence (n, 3) within one stratum."""
    n = stop.shape[0]
    ev_rows = np.flatnonzero(event)
    infl = np.zeros((n, 3))
    if ev_rows.size == 0:
        return np.zeros(5), infl
    alltimes = stop if entry is None else np.concatenate([stop, entry])
    uniq = np.unique(alltimes)
    srank = np.searchsorted(uniq, stop)
    ins_key = 2 * srank + (~event)
    q_key = 2 * srank[ev_rows]
    key = np.concatenate([ins_key, q_key])
    ranks = np.concatenate([lp_rank, lp_rank[ev_rows]])
    isq = np.r_[np.zeros(n, dtype=bool), np.ones(ev_rows.size, dtype=bool)]
    res = _dominance(key, ranks, isq)
    infl += res[:n]
    np.add.at(infl, ev_rows, res[n:])
    counts = np.zeros(5)
    counts[:3] = res[n:].sum(axis=0)  # from the events' side: every pair once
    if entry is not None:
        erank = np.searchsorted(uniq, entry)
        key = np.concatenate([2 * erank + 1, q_key])
        res = _dominance(key, ranks, isq)
        infl -= res[:n]
        np.add.at(infl, ev_rows, -res[n:])
        counts[:3] -= res[n:].sum(axis=0)
    # events tied in time
    et, er = stop[ev_rows], lp_rank[ev_rows]
    _, tcount = np.unique(et, return_counts=True)
    pairs_y = float(np.sum(tcount * (tcount - 1) / 2))
    _, xycount = np.unique(np.column_stack([et, er]), axis=0, return_counts=True)
    pairs_xy = float(np.sum(xycount * (xycount - 1) / 2))
    counts[3] = pairs_y - pairs_xy
    counts[4] = pairs_xy
    return counts, infl


def concordance(time: np.ndarray, event: np.ndarray, lp: np.ndarray, *, entry: np.ndarray | None = None,
                strata: np.ndarray | None = None, cluster: np.ndarray | None = None,
                weights: np.ndarray | None = None) -> Concordance:
    """Concordance of a risk score ``lp`` (higher = shorter survival) with survival data.

    Parameters
    ----------
    time, event
        Exit times and event indicators.
    lp
        Risk score (linear predictor); ties are exact equality.
    entry
        Entry times of (start, stop] data.
    strata
        Integer stratum codes: pairs are formed within strata only.
    cluster
        Integer cluster codes: the influence terms are summed within clusters for the SE.
    weights
        Case weights: a pair counts ``w_i w_j`` and the influence of row i is multiplied by
        ``w_i``, as R's ``concordancefit``.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    n = time.shape[0]
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    asc = np.lexsort((~event, time, strata))  # stratum, time, deaths first
    return _concordance_sorted(time[asc], event[asc], strata[asc], None if entry is None else np.asarray(entry)[asc],
                               np.asarray(lp, dtype=float)[asc], None if cluster is None else np.asarray(cluster)[asc],
                               None if weights is None else np.asarray(weights, dtype=float)[asc])


_BY_TIME_FACTOR = 8  # count by score order when the time keys are fewer than n / 8


def _concordance_sorted(stop: np.ndarray, event: np.ndarray, strata: np.ndarray, entry: np.ndarray | None,
                        lp: np.ndarray, cluster: np.ndarray | None, weights: np.ndarray | None) -> Concordance:
    """Rows sorted by stratum, time, deaths first. With far fewer distinct (stratum, time,
    status) runs than rows, the pairs are counted by score order with trees over the time
    keys; otherwise in reverse time order with trees over the score ranks (as R)."""
    n = stop.shape[0]
    try:
        from sarcohort.stats._concordance_kernel import concordance_by_time, score_order, time_keys
    except ImportError:  # pragma: no cover - numba is a dependency
        compiled = False
    else:
        compiled = True
    if n == 0 or not compiled:
        order = np.arange(n - 1, -1, -1)
        return _concordance_ordered(order, strata[order], stop, event, lp, entry, cluster, weights)
    skey, hikey, enkey, nkey = time_keys(stop, event, strata)
    if _BY_TIME_FACTOR * nkey > n:
        order = np.arange(n - 1, -1, -1)
        return _concordance_ordered(order, strata[order], stop, event, lp, entry, cluster, weights)
    if entry is not None:
        sbreak = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
        send = np.r_[sbreak[1:], n]  # rows of stratum k: [sbreak[k], send[k])
        for a, b in zip(sbreak, send, strict=True):  # last row of the stratum with time <= entry
            pos = a + np.searchsorted(stop[a:b], entry[a:b], side="right") - 1
            enkey[a:b] = np.where(pos >= a, skey[np.maximum(pos, a)], skey[a] - 1)
    if np.isnan(lp).any():  # (a diverged fit) numpy's order: NaN scores last
        by_rank = np.argsort(lp).astype(np.int64)
        lps = lp[by_rank]
        rank = np.cumsum(np.r_[False, lps[1:] != lps[:-1]])
    else:
        by_rank, rank = score_order(lp)  # order within equal scores does not matter
    wt = np.zeros(0) if weights is None else np.asarray(weights, dtype=float)
    counts, infl = concordance_by_time(by_rank, rank, wt, event.view(np.uint8), skey, enkey, hikey, nkey,
                                       entry is not None)
    # the influence rows are in score order: so are the clusters and weights they go with
    return _finish(counts, infl, None if cluster is None else np.asarray(cluster)[by_rank],
                   None if weights is None else wt[by_rank])


def _concordance_ordered(order: np.ndarray, strata_in_order: np.ndarray, time: np.ndarray, event: np.ndarray,
                         lp: np.ndarray, entry: np.ndarray | None, cluster: np.ndarray | None,
                         weights: np.ndarray | None) -> Concordance:
    """The counts and SE, given the processing order (strata contiguous, time descending,
    censored rows before events at equal times) and the stratum of each position."""
    n = time.shape[0]
    _, lp_rank = np.unique(np.asarray(lp, dtype=float), return_inverse=True)
    lp_rank = lp_rank.reshape(-1).astype(np.int64)
    try:
        from sarcohort.stats._concordance_kernel import concordance_counts
    except ImportError:  # numba missing: the vectorised merge-sort tree (unweighted only)
        if weights is not None:
            raise InputError("weighted concordance needs numba", argument="weights",
                             fix="install numba (a dependency of sarcohort)") from None
        counts, infl = _numpy_counts(time, event, entry, strata_in_order, order, lp_rank)
    else:
        brk = np.flatnonzero(strata_in_order[1:] != strata_in_order[:-1]) + 1
        sbounds = np.concatenate(([0], brk, [n])).astype(np.int64)
        wt = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if entry is not None:
            en = np.asarray(entry, dtype=float)
            pos = np.empty(n, dtype=np.int64)
            pos[order] = np.arange(n)
            sid = np.repeat(np.arange(sbounds.size - 1), np.diff(sbounds))[pos]  # stratum index per row
            eorder = np.lexsort((-en, sid)).astype(np.int64)
        else:
            en = np.zeros(0)
            eorder = np.zeros(0, dtype=np.int64)
        counts, infl = concordance_counts(order.astype(np.int64), sbounds, time, event.astype(np.uint8),
                                          lp_rank, wt, en, eorder, int(lp_rank.max()) + 1 if n else 1)
    return _finish(counts, infl, cluster, weights)


def _finish(counts: np.ndarray, infl: np.ndarray, cluster: np.ndarray | None,
            weights: np.ndarray | None) -> Concordance:
    """The index and R's infinitesimal-jackknife SE from the pair counts and influence."""
    npair = counts[:3].sum()
    if npair == 0:
        return Concordance(float("nan"), float("nan"), *map(float, counts))
    somer = (counts[0] - counts[1]) / npair
    try:
        from sarcohort.stats._concordance_kernel import dfbeta as compiled_dfbeta
    except ImportError:  # pragma: no cover - numba is a dependency
        dfbeta = ((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somer) / (2 * npair)
    else:
        dfbeta = compiled_dfbeta(np.ascontiguousarray(infl), float(somer), float(2 * npair))
    if weights is not None:
        dfbeta = dfbeta * np.asarray(weights, dtype=float)
    if cluster is not None:
        dfbeta = np.bincount(np.asarray(cluster), dfbeta)
    se = float(np.sqrt(np.sum(dfbeta**2)))
    return Concordance(float((somer + 1) / 2), se, *map(float, counts))


def _numpy_counts(time, event, entry, strata_in_order, order, lp_rank):
    strata = np.empty_like(strata_in_order)
    strata[order] = strata_in_order
    counts = np.zeros(5)
    infl = np.zeros((time.shape[0], 3))
    for k in np.unique(strata):
        rows = np.flatnonzero(strata == k)
        c, f = _stratum_counts(time[rows], event[rows], None if entry is None else entry[rows], lp_rank[rows])
        counts += c
        infl[rows] = f
    return counts, infl


def cox_concordance(fit: CoxResult) -> Concordance:
    """``fit$concordance`` of R's ``coxph`` (within strata; cluster-collapsed SE)."""
    st = fit._state
    cs = st.setup
    try:
        from sarcohort.stats._concordance_kernel import sorted_scores
    except ImportError:  # pragma: no cover - numba is a dependency
        lp = np.zeros(cs.n)
        # column by column, so that rows with equal covariates get exactly equal predictors
        for j in range(cs.p):
            lp += cs.X[:, j] * fit.coef[j]
        lp += cs.offset
    else:
        lp = sorted_scores(cs.XT, np.ascontiguousarray(fit.coef, dtype=float), cs.offset)
    cl = None if st.cluster is None else st.cluster[cs.order]
    return _concordance_sorted(cs.stop, cs.event, cs.strata, cs.entry, lp, cl, cs.cw)
