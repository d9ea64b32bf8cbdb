"""Compiled (numba) pair counting for Harrell's concordance, as survival's ``concordance3/4``.

One pass over the rows in reverse time order with two Fenwick (binary indexed) trees over the
ranks of the risk score, kept side by side (two columns) so that they share cache lines, and
built over buckets of 16 ranks with exact per-rank sums inside a bucket (the trees stay in cache
at n = 1e6). Column 0 holds the case weights of the rows at risk (later exits, censorings at the
same time, and for (start, stop] data rows already entered), column 1 the weights of the events
already counted. O(n log n) time, O(n) memory.

Inputs (plain arrays, no pandas):

* ``order``: the rows in processing order: stratum by stratum (contiguous), exit time
  descending, and at equal times the censored rows before the events;
* ``sbounds``: ``order[sbounds[k]:sbounds[k + 1]]`` are the rows of stratum k;
* ``stop``, ``event`` (uint8), ``rank`` (int64, 0..K-1, equal scores equal ranks), ``wt``;
* for (start, stop] data ``entry`` and ``eorder`` (the same strata bounds, entry descending
  within each stratum); otherwise empty arrays.

Outputs: ``counts`` = weighted (concordant, discordant, tied.x, tied.y, tied.xy) pair sums
(pair weight ``w_i w_j``) and ``infl`` (n, 3): for every row the weighted sums of its
concordant, discordant and tied.x partners (its own weight excluded), as R's influence matrix.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SHIFT = 4  # ranks are grouped in buckets of 16: a Fenwick tree over buckets, exact sums inside


@njit(cache=True, inline="always")
def _add(tree: np.ndarray, point: np.ndarray, c: int, i: int, v: float) -> None:  # pragma: no cover
    point[i, c] += v
    k = (i >> _SHIFT) + 1
    n = tree.shape[0]
    while k <= n:
        tree[k - 1, c] += v
        k += k & (-k)


@njit(cache=True, inline="always")
def _below(tree: np.ndarray, point: np.ndarray, c: int, i: int) -> float:  # pragma: no cover
    """Sum over ranks < i: whole buckets from the tree, the rest of i's bucket from ``point``."""
    s = 0.0
    k = i >> _SHIFT
    for j in range(k << _SHIFT, i):
        s += point[j, c]
    while k > 0:
        s += tree[k - 1, c]
        k -= k & (-k)
    return s


@njit(cache=True, inline="always")
def _clear(tree: np.ndarray, point: np.ndarray, i: int) -> None:  # pragma: no cover
    point[i, 0] = 0.0
    point[i, 1] = 0.0
    k = (i >> _SHIFT) + 1
    n = tree.shape[0]
    while k <= n:
        tree[k - 1, 0] = 0.0
        tree[k - 1, 1] = 0.0
        k += k & (-k)


@njit(cache=True)
def concordance_counts(order, sbounds, stop, event, rank, wt, entry, eorder, nrank):  # pragma: no cover
    n = stop.shape[0]
    counts = np.zeros(5)
    infl = np.zeros((n, 3))
    snap = np.zeros((n, 3))  # event-tree sums when the row entered the risk tree
    nb = (nrank >> _SHIFT) + 1
    # column 0: weights of the rows at risk; column 1: of the events already processed
    # (side by side, so that the two trees share cache lines)
    tree = np.zeros((nb, 2))  # by bucket of ranks (Fenwick)
    point = np.zeros((nrank, 2))  # per rank
    inside = np.zeros(n, dtype=np.uint8)
    has_entry = entry.shape[0] > 0
    bufr = np.empty(n, dtype=np.int64)
    bufw = np.empty(n)
    for s in range(sbounds.shape[0] - 1):
        a, b = sbounds[s], sbounds[s + 1]
        total = 0.0
        dtotal = 0.0
        e = a
        i = a
        while i < b:
            t = stop[order[i]]
            if has_entry:  # rows whose entry is at or after t are no longer at risk
                while e < b and entry[eorder[e]] >= t:
                    j = eorder[e]
                    e += 1
                    if inside[j]:
                        r = rank[j]
                        below = _below(tree, point, 1, r)
                        eq = point[r, 1]
                        infl[j, 0] += dtotal - below - eq - snap[j, 0]
                        infl[j, 1] += below - snap[j, 1]
                        infl[j, 2] += eq - snap[j, 2]
                        _add(tree, point, 0, r, -wt[j])
                        total -= wt[j]
                        inside[j] = 0
            # censored rows at t join the risk set of the events at t
            while i < b and stop[order[i]] == t and not event[order[i]]:
                j = order[i]
                r = rank[j]
                below = _below(tree, point, 1, r)
                snap[j, 0] = dtotal - below - point[r, 1]
                snap[j, 1] = below
                snap[j, 2] = point[r, 1]
                _add(tree, point, 0, r, wt[j])
                total += wt[j]
                inside[j] = 1
                i += 1
            d0 = i
            while i < b and stop[order[i]] == t:
                i += 1
            nd = i - d0
            if nd == 0:
                continue
            for k in range(d0, i):  # events at t against the rows at risk after them
                j = order[k]
                r = rank[j]
                less = _below(tree, point, 0, r)
                eq = point[r, 0]
                more = total - less - eq
                infl[j, 0] += less
                infl[j, 1] += more
                infl[j, 2] += eq
                counts[0] += wt[j] * less
                counts[1] += wt[j] * more
                counts[2] += wt[j] * eq
            if nd > 1:  # events tied in time: tied.y, and tied.xy when the scores are equal too
                for k in range(nd):
                    bufr[k] = rank[order[d0 + k]]
                    bufw[k] = wt[order[d0 + k]]
                idx = np.argsort(bufr[:nd], kind="mergesort")
                sw = 0.0
                sw2 = 0.0
                xy = 0.0
                k = 0
                while k < nd:
                    g = k
                    gw = 0.0
                    gw2 = 0.0
                    while g < nd and bufr[idx[g]] == bufr[idx[k]]:
                        gw += bufw[idx[g]]
                        gw2 += bufw[idx[g]] * bufw[idx[g]]
                        g += 1
                    xy += (gw * gw - gw2) / 2
                    sw += gw
                    sw2 += gw2
                    k = g
                counts[3] += (sw * sw - sw2) / 2 - xy
                counts[4] += xy
            for k in range(d0, i):  # count the events, then let them join the risk set
                j = order[k]
                r = rank[j]
                _add(tree, point, 1, r, wt[j])
                dtotal += wt[j]
            for k in range(d0, i):
                j = order[k]
                r = rank[j]
                below = _below(tree, point, 1, r)
                snap[j, 0] = dtotal - below - point[r, 1]
                snap[j, 1] = below
                snap[j, 2] = point[r, 1]
                _add(tree, point, 0, r, wt[j])
                total += wt[j]
                inside[j] = 1
        # end of the stratum: close the rows still at risk, then clear both trees exactly
        for k in range(a, b):
            j = order[k]
            r = rank[j]
            if inside[j]:
                below = _below(tree, point, 1, r)
                eq = point[r, 1]
                infl[j, 0] += dtotal - below - eq - snap[j, 0]
                infl[j, 1] += below - snap[j, 1]
                infl[j, 2] += eq - snap[j, 2]
                inside[j] = 0
        for k in range(a, b):
            r = rank[order[k]]
            _clear(tree, point, r)
    return counts, infl


@njit(cache=True, inline="always")
def _tadd(tree: np.ndarray, i: int, v: float) -> None:  # pragma: no cover
    k = i + 1
    n = tree.shape[0]
    while k <= n:
        tree[k - 1] += v
        k += k & (-k)


@njit(cache=True, inline="always")
def _tupto(tree: np.ndarray, i: int) -> float:  # pragma: no cover
    """Sum over keys <= i (0 when i < 0)."""
    s = 0.0
    k = i + 1
    while k > 0:
        s += tree[k - 1]
        k -= k & (-k)
    return s


@njit(cache=True)
def concordance_by_time(by_rank, rank, wt, event, skey, enkey, hikey, nkey, has_entry):  # pragma: no cover
    """The same counts with the roles swapped: rows visited by increasing risk score, Fenwick
    trees indexed by time keys (small and cache-resident when there are far fewer distinct
    times than scores, e.g. follow-up in days).

    Keys: the runs of sorted rows with equal (stratum, time, censored) numbered 0..nkey-1 in
    order (deaths before censorings at a time). Row j has ``skey`` (its run; for an event also
    the key of its event time), ``enkey`` (the largest key whose time is at most its entry, or
    the key before its stratum's first) and ``hikey`` (the last key of its stratum). Row j is
    at risk at event i when ``enkey[j] < skey[i] < skey[j]`` (same stratum). ``by_rank``: the
    rows by increasing rank. Returns counts (5) and infl as :func:`concordance_counts`.
    """
    n = rank.shape[0]
    counts = np.zeros(5)
    # gather the rows into score order once (one cache miss per row), work sequentially
    sk = np.empty(n, dtype=np.int64)
    ek = np.empty(n, dtype=np.int64)
    hk = np.empty(n, dtype=np.int64)
    rk = np.empty(n, dtype=np.int64)
    ev = np.empty(n, dtype=np.uint8)
    w = np.empty(n)
    for q in range(n):
        j = by_rank[q]
        sk[q] = skey[j]
        ek[q] = enkey[j]
        hk[q] = hikey[j]
        rk[q] = rank[j]
        ev[q] = event[j]
        w[q] = wt[j]
    infl_r = np.zeros((n, 3))
    rtree = np.zeros(nkey)  # visited rows, by stop key
    etree = np.zeros(nkey + 1)  # visited rows, by entry key + 1
    dtree = np.zeros(nkey)  # visited events, by event key
    rall = np.zeros(nkey + 1)  # all rows: rall[k] = weight with skey < k
    eall = np.zeros(nkey + 1)  # all rows: eall[k] = weight with enkey < k
    dall = np.zeros(nkey + 1)  # all events: dall[k] = weight with key < k
    dw2 = np.zeros(nkey)
    for j in range(n):
        rall[skey[j] + 1] += wt[j]
        eall[enkey[j] + 1] += wt[j]
        if event[j]:
            dall[skey[j] + 1] += wt[j]
            dw2[skey[j]] += wt[j] * wt[j]
    tied_y = 0.0
    for k in range(nkey):
        dk = dall[k + 1]
        tied_y += (dk * dk - dw2[k]) / 2
    for k in range(nkey):
        rall[k + 1] += rall[k]
        eall[k + 1] += eall[k]
        dall[k + 1] += dall[k]
    less = np.zeros(n)
    rtot = 0.0  # weight in rtree: its prefix sum up to the last key (the last stratum's rows)
    last = nkey - 1
    bufk = np.empty(n, dtype=np.int64)
    bufw = np.empty(n)
    tied_xy = 0.0
    g0 = 0
    while g0 < n:
        g1 = g0
        r = rk[g0]
        while g1 < n and rk[g1] == r:
            g1 += 1
        for q in range(g0, g1):  # pairs with strictly smaller scores
            j = q
            less[j] = _tupto(dtree, sk[j] - 1) - _tupto(dtree, ek[j])
            if ev[j]:
                e = sk[j]
                h = hk[j]
                lr = (rtot if h == last else _tupto(rtree, h)) - _tupto(rtree, e)
                if has_entry:
                    lr -= _tupto(etree, h) - _tupto(etree, e)
                infl_r[j, 0] += lr
                counts[0] += w[j] * lr
        for q in range(g0, g1):  # the group joins the trees
            j = q
            _tadd(rtree, sk[j], w[j])
            rtot += w[j]
            if has_entry:
                _tadd(etree, ek[j] + 1, w[j])
            if ev[j]:
                _tadd(dtree, sk[j], w[j])
        nev = 0
        for q in range(g0, g1):  # equal scores (the group itself); larger ones from the totals
            j = q
            if ev[j]:
                e = sk[j]
                h = hk[j]
                le = (rtot if h == last else _tupto(rtree, h)) - _tupto(rtree, e)
                tot = rall[h + 1] - rall[e + 1]
                if has_entry:
                    le -= _tupto(etree, h) - _tupto(etree, e)
                    tot -= eall[h] - eall[e]
                eq = le - infl_r[j, 0]
                gt = tot - le
                infl_r[j, 2] += eq
                infl_r[j, 1] += gt
                counts[1] += w[j] * gt
                counts[2] += w[j] * eq
                bufk[nev] = e
                bufw[nev] = w[j]
                nev += 1
            le_d = _tupto(dtree, sk[j] - 1) - _tupto(dtree, ek[j])
            tot_d = dall[sk[j]] - dall[ek[j] + 1]
            infl_r[j, 2] += le_d - less[j]
            infl_r[j, 1] += less[j]
            infl_r[j, 0] += tot_d - le_d
        if nev > 1:  # events with equal scores and times: tied.xy
            idx = np.argsort(bufk[:nev], kind="mergesort")
            k = 0
            while k < nev:
                g = k
                gw = 0.0
                gw2 = 0.0
                while g < nev and bufk[idx[g]] == bufk[idx[k]]:
                    gw += bufw[idx[g]]
                    gw2 += bufw[idx[g]] * bufw[idx[g]]
                    g += 1
                tied_xy += (gw * gw - gw2) / 2
                k = g
        g0 = g1
    counts[3] = tied_y - tied_xy
    counts[4] = tied_xy
    infl = np.empty((n, 3))
    for q in range(n):
        j = by_rank[q]
        infl[j, 0] = infl_r[q, 0]
        infl[j, 1] = infl_r[q, 1]
        infl[j, 2] = infl_r[q, 2]
    return counts, infl
