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
from numba import njit, prange

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


_CHUNKS = 8  # fixed chunks of the score order counted in parallel (not the thread count)
_RUN_SORT = 32  # runs of equal truncated keys longer than this are sorted by argsort


@njit(cache=True)
def _pack(u, bits):  # pragma: no cover
    """Order-preserving unsigned keys of float64 bit patterns ``u``, their low ``bits`` bits
    replaced by the row index."""
    n = u.shape[0]
    out = np.empty(n, dtype=np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    b = np.uint64(bits)
    for i in range(n):
        v = u[i]
        m = ~v if v & sign else v | sign
        out[i] = ((m >> b) << b) | np.uint64(i)
    return out


@njit(cache=True)
def _unpack_ranks(packed, u, bits):  # pragma: no cover
    """Rows by increasing score from the sorted packed keys, and the dense rank of each
    position's score.

    Rows whose keys agree above the index bits (exact ties, or scores within about
    2^(bits - 52) relative) are put in exact order by their full keys; keys that differ above
    the index bits belong to different scores, so no score is read again."""
    n = packed.shape[0]
    b = np.uint64(bits)
    mask = (np.uint64(1) << b) - np.uint64(1)
    sign = np.uint64(1) << np.uint64(63)
    order = np.empty(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    for q in range(n):
        order[q] = np.int64(packed[q] & mask)
    r = -1
    q0 = 0
    while q0 < n:
        q1 = q0 + 1
        top = packed[q0] >> b
        while q1 < n and packed[q1] >> b == top:
            q1 += 1
        if q1 - q0 == 1:
            r += 1
            rank[q0] = r
            q0 = q1
            continue
        full = np.empty(q1 - q0, dtype=np.uint64)
        for k in range(q0, q1):
            v = u[order[k]]
            full[k - q0] = ~v if v & sign else v | sign
        if q1 - q0 <= _RUN_SORT:  # insertion sort (runs are almost always exact ties)
            for k in range(1, q1 - q0):
                fk = full[k]
                ok = order[q0 + k]
                j = k - 1
                while j >= 0 and full[j] > fk:
                    full[j + 1] = full[j]
                    order[q0 + j + 1] = order[q0 + j]
                    j -= 1
                full[j + 1] = fk
                order[q0 + j + 1] = ok
        else:
            idx = np.argsort(full, kind="mergesort")
            seg = order[q0:q1].copy()
            sfull = full.copy()
            for k in range(q1 - q0):
                order[q0 + k] = seg[idx[k]]
                full[k] = sfull[idx[k]]
        for k in range(q1 - q0):
            if k == 0 or full[k] != full[k - 1]:
                r += 1
            rank[q0 + k] = r
        q0 = q1
    return order, rank


def score_order(lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows by increasing score and the dense rank of the score at each position.

    Equivalent to ``np.argsort(lp)`` (the order within equal scores aside) with ranks by
    exact equality, but faster: the order-preserving 64-bit keys of the scores, their low bits
    replaced by the row index, are sorted as plain integers (numpy's vectorised sort); rows
    whose keys then agree above the index bits are put in exact order by their full keys.

    Parameters
    ----------
    lp
        Scores (float64, no NaN).

    Returns
    -------
    order, rank
        int64 arrays: ``lp[order]`` is nondecreasing; ``rank[q]`` counts the distinct scores
        below ``lp[order[q]]``.
    """
    n = lp.shape[0]
    u = np.ascontiguousarray(lp + 0.0).view(np.uint64)  # + 0.0: -0 and 0 get one key
    bits = max(1, (n - 1).bit_length())
    packed = _pack(u, bits)
    packed.sort()
    return _unpack_ranks(packed, u, bits)


@njit(cache=True)
def time_keys(stop, event, strata):  # pragma: no cover
    """Time keys of rows sorted by (stratum, time, deaths first) for :func:`concordance_by_time`.

    Returns ``skey`` (each row's run of equal (stratum, time, status), numbered from 0),
    ``hikey`` (the last key of the row's stratum), ``enkey`` (the key before the row's
    stratum's first: the entry key of right-censored data) and the number of keys."""
    n = stop.shape[0]
    skey = np.empty(n, dtype=np.int64)
    hikey = np.empty(n, dtype=np.int64)
    enkey = np.empty(n, dtype=np.int64)
    k = -1
    first = 0
    for i in range(n + 1):
        if i == n or i == 0 or strata[i] != strata[i - 1]:
            for j in range(first, i):  # close the stratum [first, i)
                hikey[j] = k
                enkey[j] = skey[first] - 1
            first = i
        if i == n:
            break
        if i == 0 or stop[i] != stop[i - 1] or event[i] != event[i - 1] or strata[i] != strata[i - 1]:
            k += 1
        skey[i] = k
    return skey, hikey, enkey, k + 1


@njit(cache=True, parallel=True)
def sorted_scores(XT, coef, offset):  # pragma: no cover
    """Risk scores ``sum_j XT[j] coef[j] + offset`` of the (p, n) covariates, the columns
    added one by one in order (the arithmetic of the numpy column loop: rows with equal
    covariates get exactly equal scores)."""
    p, n = XT.shape
    lp = np.empty(n)
    for i in prange(n):
        s = 0.0
        for j in range(p):
            s += XT[j, i] * coef[j]
        lp[i] = s + offset[i]
    return lp


@njit(cache=True, parallel=True)
def dfbeta(infl, somer, denom):  # pragma: no cover
    """R's concordance influence ``((C - D) - (C + D + T) * somer) / denom`` of each row of
    ``infl`` (n, 3), the arithmetic of the numpy expression in ``concordance._finish``."""
    n = infl.shape[0]
    out = np.empty(n)
    for i in prange(n):
        out[i] = ((infl[i, 0] - infl[i, 1]) - (infl[i, 0] + infl[i, 1] + infl[i, 2]) * somer) / denom
    return out


@njit(cache=True, inline="always")
def _tbuild(tree: np.ndarray) -> None:  # pragma: no cover
    """Turn the point values in ``tree`` into a Fenwick tree in place (linear time)."""
    n = tree.shape[0]
    for k in range(1, n + 1):
        par = k + (k & (-k))
        if par <= n:
            tree[par - 1] += tree[k - 1]


@njit(cache=True, parallel=True)
def concordance_by_time(by_rank, rk, wt, event, skey, enkey, hikey, nkey, has_entry):  # pragma: no cover
    """The same counts with the roles swapped: rows visited by increasing risk score, Fenwick
    trees indexed by time keys (small and cache-resident when there are far fewer distinct
    times than scores, e.g. follow-up in days).

    Keys: the runs of sorted rows with equal (stratum, time, censored) numbered 0..nkey-1 in
    order (deaths before censorings at a time). Row j has ``skey`` (its run; for an event also
    the key of its event time), ``enkey`` (the largest key whose time is at most its entry, or
    the key before its stratum's first) and ``hikey`` (the last key of its stratum). Row j is
    at risk at event i when ``enkey[j] < skey[i] < skey[j]`` (same stratum). ``by_rank``: the
    rows by increasing score, ``rk`` the dense rank of the score at each position of
    ``by_rank`` (:func:`score_order`); ``wt``: case weights, or empty for weights 1. Returns
    counts (5) and the influence (n, 3) as :func:`concordance_counts`, but with the rows in
    ``by_rank`` order.

    The score order is cut into ``_CHUNKS`` fixed chunks (at changes of score) counted in
    parallel; each chunk's trees start from the rows of the earlier chunks (per-chunk key
    histograms, summed in chunk order), so the sums do not depend on the thread count (and
    are exact for whole-number weights).
    """
    n = rk.shape[0]
    unit = wt.shape[0] == 0
    # gather the rows into score order once: one record (one cache line) per row
    rec = np.empty((n, 4), dtype=np.int64)
    for j in prange(n):
        rec[j, 0] = skey[j]
        rec[j, 1] = enkey[j]
        rec[j, 2] = hikey[j]
        rec[j, 3] = event[j]
    sk = np.empty(n, dtype=np.int64)
    ek = np.empty(n, dtype=np.int64)
    hk = np.empty(n, dtype=np.int64)
    ev = np.empty(n, dtype=np.uint8)
    w = np.ones(n)
    for q in prange(n):
        j = by_rank[q]
        sk[q] = rec[j, 0]
        ek[q] = rec[j, 1]
        hk[q] = rec[j, 2]
        ev[q] = rec[j, 3]
        if not unit:
            w[q] = wt[j]
    rall = np.zeros(nkey + 1)  # all rows: rall[k] = weight with skey < k
    eall = np.zeros(nkey + 1)  # all rows: eall[k] = weight with enkey < k
    dall = np.zeros(nkey + 1)  # all events: dall[k] = weight with key < k
    dw2 = np.zeros(nkey)
    for j in range(n):
        wj = 1.0 if unit else wt[j]
        rall[skey[j] + 1] += wj
        eall[enkey[j] + 1] += wj
        if event[j]:
            dall[skey[j] + 1] += wj
            dw2[skey[j]] += wj * wj
    tied_y = 0.0
    for k in range(nkey):
        dk = dall[k + 1]
        tied_y += (dk * dk - dw2[k]) / 2
    for k in range(nkey):
        rall[k + 1] += rall[k]
        eall[k + 1] += eall[k]
        dall[k + 1] += dall[k]
    # chunks of the score order, cut where the score changes
    nchunk = min(_CHUNKS, max(n, 1))
    cuts = np.empty(nchunk + 1, dtype=np.int64)
    cuts[0] = 0
    for c in range(1, nchunk):
        q = max(cuts[c - 1], c * n // nchunk)
        while 0 < q < n and rk[q] == rk[q - 1]:
            q += 1
        cuts[c] = q
    cuts[nchunk] = n
    # each chunk's starting trees: the rows of the earlier chunks (point values by key)
    start = np.zeros((nchunk, 3, nkey + 1))  # by stop key, by entry key + 1, events by key
    tot0 = np.zeros(nchunk)
    for c in prange(nchunk - 1):
        for q in range(cuts[c], cuts[c + 1]):
            start[c + 1, 0, sk[q]] += w[q]
            if has_entry:
                start[c + 1, 1, ek[q] + 1] += w[q]
            if ev[q]:
                start[c + 1, 2, sk[q]] += w[q]
            tot0[c + 1] += w[q]
    for c in range(2, nchunk):
        tot0[c] += tot0[c - 1]
        for t in range(3):
            for k in range(nkey + 1):
                start[c, t, k] += start[c - 1, t, k]
    part = np.zeros((nchunk, 4))  # concordant, discordant, tied.x, tied.xy of each chunk
    infl = np.zeros((n, 3))
    last = nkey - 1
    for c in prange(nchunk):
        rtree = start[c, 0, :nkey].copy()  # visited rows, by stop key
        etree = start[c, 1].copy()  # visited rows, by entry key + 1
        dtree = start[c, 2, :nkey].copy()  # visited events, by event key
        _tbuild(rtree)
        _tbuild(etree)
        _tbuild(dtree)
        rtot = tot0[c]  # weight in rtree: its prefix sum up to the last key
        _count_chunk(cuts[c], cuts[c + 1], sk, ek, hk, rk, ev, w, rtree, etree, dtree, rtot, rall, eall, dall,
                     last, has_entry, infl, part[c])
    counts = np.zeros(5)
    for c in range(nchunk):
        counts[0] += part[c, 0]
        counts[1] += part[c, 1]
        counts[2] += part[c, 2]
        counts[4] += part[c, 3]
    counts[3] = tied_y - counts[4]
    return counts, infl


@njit(cache=True)
def _count_chunk(q0, q1, sk, ek, hk, rk, ev, w, rtree, etree, dtree, rtot, rall, eall, dall, last, has_entry,
                 infl, out):  # pragma: no cover
    """Count the pairs of the rows ``q0:q1`` of the score order (whole groups of equal score)
    against the rows of lower score (already in the trees) and within their group; adds the
    chunk's concordant, discordant, tied.x and tied.xy sums to ``out``."""
    bufk = np.empty(q1 - q0, dtype=np.int64)
    bufw = np.empty(q1 - q0)
    g0 = q0
    while g0 < q1:
        g1 = g0 + 1
        r = rk[g0]
        while g1 < q1 and rk[g1] == r:
            g1 += 1
        if g1 == g0 + 1:  # one row with this score: no ties in the score, half the tree walks
            j = g0
            less = _tupto(dtree, sk[j] - 1) - _tupto(dtree, ek[j])
            e = sk[j]
            h = hk[j]
            if ev[j]:
                lr = (rtot if h == last else _tupto(rtree, h)) - _tupto(rtree, e)
                tot = rall[h + 1] - rall[e + 1]
                if has_entry:
                    lr -= _tupto(etree, h) - _tupto(etree, e)
                    tot -= eall[h] - eall[e]
                gt = tot - lr
                infl[j, 0] += lr
                infl[j, 1] += gt
                out[0] += w[j] * lr
                out[1] += w[j] * gt
                _tadd(dtree, e, w[j])
            _tadd(rtree, e, w[j])
            rtot += w[j]
            if has_entry:
                _tadd(etree, ek[j] + 1, w[j])
            infl[j, 1] += less
            infl[j, 0] += dall[sk[j]] - dall[ek[j] + 1] - less
            g0 = g1
            continue
        for j in range(g0, g1):  # pairs with strictly smaller scores
            bufw[j - g0] = _tupto(dtree, sk[j] - 1) - _tupto(dtree, ek[j])  # the rows' "less"
            if ev[j]:
                e = sk[j]
                h = hk[j]
                lr = (rtot if h == last else _tupto(rtree, h)) - _tupto(rtree, e)
                if has_entry:
                    lr -= _tupto(etree, h) - _tupto(etree, e)
                infl[j, 0] += lr
                out[0] += w[j] * lr
        for j in range(g0, g1):  # the group joins the trees
            _tadd(rtree, sk[j], w[j])
            rtot += w[j]
            if has_entry:
                _tadd(etree, ek[j] + 1, w[j])
            if ev[j]:
                _tadd(dtree, sk[j], w[j])
        nev = 0
        for j in range(g0, g1):  # equal scores (the group itself); larger ones from the totals
            less = bufw[j - g0]
            if ev[j]:
                e = sk[j]
                h = hk[j]
                le = (rtot if h == last else _tupto(rtree, h)) - _tupto(rtree, e)
                tot = rall[h + 1] - rall[e + 1]
                if has_entry:
                    le -= _tupto(etree, h) - _tupto(etree, e)
                    tot -= eall[h] - eall[e]
                eq = le - infl[j, 0]
                gt = tot - le
                infl[j, 2] += eq
                infl[j, 1] += gt
                out[1] += w[j] * gt
                out[2] += w[j] * eq
            le_d = _tupto(dtree, sk[j] - 1) - _tupto(dtree, ek[j])
            tot_d = dall[sk[j]] - dall[ek[j] + 1]
            infl[j, 2] += le_d - less
            infl[j, 1] += less
            infl[j, 0] += tot_d - le_d
        for j in range(g0, g1):  # events with equal scores and times: tied.xy
            if ev[j]:
                bufk[nev] = sk[j]
                bufw[nev] = w[j]
                nev += 1
        if nev > 1:
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
                out[3] += (gw * gw - gw2) / 2
                k = g
        g0 = g1
