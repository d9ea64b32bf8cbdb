"""Compiled (numba) Cox partial likelihood: one pass over the sorted rows per Newton step.

This is the kernel that :func:`sarcohort.stats._cox_newton.newton` calls at every iteration
when numba is available (imported lazily, compiled once and cached on disk); the numpy
evaluation of :mod:`sarcohort.stats._cox_kernel` stays for the per-time pieces the follow-up
quantities need (residuals, baseline hazard, predictions) and as the fallback without numba.

Kernel API (:func:`cox_pass`), all arrays from :class:`sarcohort.stats._cox_kernel.CoxSetup`:

Inputs
    ``XT`` (p, n) centred covariates of the sorted rows (sorted by stratum, stop time, deaths
    first); ``beta`` (p); ``offset`` (n, zeros when none); ``cw`` (n case weights, ones when
    none); ``event`` (n, uint8); ``stop`` (n); ``strata`` (n, int64, nondecreasing);
    ``efron`` (bool); ``entry`` (n, or empty for right-censored data) and ``e_order``
    (int64: the rows by stratum descending, then entry descending; empty without entry);
    ``want_info`` (bool: compute the information matrix).
Outputs
    ``loglik`` (float), ``u`` (p score vector), ``imat`` (p, p information; zeros unless
    ``want_info``).

The rows are visited from the last to the first. The risk-set sums ``S0 = sum w``,
``S1 = sum w x`` and ``S2 = sum w x x'`` (``w = cw exp(x'b + offset)``) grow as rows are
added at their stop time and, for (start, stop] data, shrink when the pass reaches a row's
entry time (``entry >= t``: not at risk at t). At each event time with d deaths (death sums
``D0, D1, D2``, death weight ``wd``) Efron's terms for k = 0..d-1 use
``S - (k/d) D`` with multiplier ``wd/d`` (Breslow: one term, ``k = 0``, multiplier ``wd``);
this is survival's ``coxfit6``/``agfit4`` arithmetic in one pass, without the n x m structures
(``D2`` is taken as the change of ``S2`` over the deaths' rows, not summed separately).
Strata restart the sums. Other helpers (Firth, bootstrap refits) can call :func:`cox_pass`
directly with their own ``beta``, ``offset`` or ``cw``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sarcohort.stats._cox_efron import _SERIES_MAX_X

# exp of the linear predictor, remembered by value: a registry's covariates are mostly yes/no,
# so x'b takes a handful of values over a million rows (2 in a univariable model). A small
# direct-mapped table (slot from the bits of x'b) returns the exp computed for the same value:
# the very same math.exp result (equal values: the same bits, or +-0, whose exp is 1), so the
# sums are bit for bit those of one exp per row; distinct values (a continuous covariate) only
# miss and compute it.
EXP_SLOTS = 64  # a power of 2
_EXP_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of bits * this
_EXP_SHIFT = np.uint64(58)  # 64 - log2(EXP_SLOTS)


@njit(cache=True, inline="always")
def exp_cached(x, bits, keys, vals):  # pragma: no cover
    """``math.exp(x)``, from ``keys``/``vals`` (EXP_SLOTS each; keys start NaN: no match) when
    ``x`` was seen in its slot (``bits``: ``x``'s bits as uint64)."""
    slot = np.intp((bits * _EXP_MULT) >> _EXP_SHIFT)
    if keys[slot] == x:
        return vals[slot]
    v = math.exp(x)
    keys[slot] = x
    vals[slot] = v
    return v


@njit(cache=True)
def cox_pass(XT, beta, offset, cw, event, stop, strata, efron, entry, e_order, want_info):  # pragma: no cover
    p, n = XT.shape
    has_entry = entry.shape[0] > 0
    has_cw = cw.shape[0] > 0  # no case weights: every weight 1 (not an array of ones)
    loglik = 0.0
    u = np.zeros(p)
    imat = np.zeros((p, p))
    S1 = np.zeros(p)
    npk = p * p
    S2 = np.zeros(npk)  # full p x p, row-major (the inner loops run over whole rows: SIMD)
    D1 = np.zeros(p)
    D2 = np.zeros(npk)
    x = np.zeros(p)
    wx = np.zeros(p)
    wrow = np.empty(n)  # each row's weight, kept for its removal at entry (counting process)
    keys = np.full(EXP_SLOTS, np.nan)  # exp of the linear predictor by value (exp_cached)
    vals = np.empty(EXP_SLOTS)
    eta_box = np.empty(1)
    eta_bits = eta_box.view(np.uint64)
    S0 = 0.0
    ep = 0
    i = n - 1
    cur = -1 if n == 0 else strata[n - 1]
    while i >= 0:
        s = strata[i]
        if s != cur:  # a new stratum: the risk set starts empty
            cur = s
            S0 = 0.0
            for a in range(p):
                S1[a] = 0.0
            for q in range(npk):
                S2[q] = 0.0
        t = stop[i]
        if has_entry:
            while ep < n and strata[e_order[ep]] > s:
                ep += 1
            while ep < n and strata[e_order[ep]] == s and entry[e_order[ep]] >= t:
                j = e_order[ep]
                ep += 1
                w = wrow[j]
                S0 -= w
                for a in range(p):
                    x[a] = XT[a, j]
                for a in range(p):
                    wa = w * x[a]
                    S1[a] -= wa
                    if want_info:
                        for b in range(p):
                            S2[a * p + b] -= wa * x[b]
        # the rows at (stratum, t): censored ones come last in the sorted order, deaths first
        nd = 0
        wd = 0.0
        D0 = 0.0
        while i >= 0 and stop[i] == t and strata[i] == s:
            eta = offset[i]
            for a in range(p):
                x[a] = XT[a, i]
                eta += x[a] * beta[a]
            eta_box[0] = eta
            ci = cw[i] if has_cw else 1.0
            w = ci * exp_cached(eta, eta_bits[0], keys, vals)
            wrow[i] = w
            S0 += w
            for a in range(p):
                wx[a] = w * x[a]
                S1[a] += wx[a]
            if want_info:
                for a in range(p):
                    wa = wx[a]
                    for b in range(p):
                        S2[a * p + b] += wa * x[b]
            if event[i]:
                if nd == 0:
                    D0 = 0.0
                    for a in range(p):
                        D1[a] = 0.0
                    if want_info and efron:  # D2 = S2 after the deaths - S2 before them
                        for q in range(npk):
                            D2[q] = S2[q] - wx[q // p] * x[q % p]
                nd += 1
                wd += ci
                loglik += ci * eta
                D0 += w
                for a in range(p):
                    u[a] += ci * x[a]
                    D1[a] += wx[a]

            i -= 1
        if nd == 0:
            continue
        if want_info and efron:
            for q in range(npk):
                D2[q] = S2[q] - D2[q]
        # Efron: sum over k of the terms with den_k = S0 - (k/d) D0, by five scalar sums
        # (c0 = sum 1/den, c1 = sum f/den, q0 = sum 1/den^2, q1 = sum f/den^2, q2 = sum f^2/den^2)
        terms = nd if efron and nd > 1 else 1
        mult = wd / terms
        c0 = 0.0
        c1 = 0.0
        q0 = 0.0
        q1 = 0.0
        q2 = 0.0
        for k in range(terms):
            f = k / nd
            den = S0 - f * D0
            inv = 1.0 / den
            loglik -= mult * math.log(den)
            c0 += inv
            c1 += f * inv
            inv2 = inv * inv
            q0 += inv2
            q1 += f * inv2
            q2 += f * f * inv2
        c0 *= mult
        c1 *= mult
        q0 *= mult
        q1 *= mult
        q2 *= mult
        for a in range(p):
            u[a] -= S1[a] * c0 - D1[a] * c1
        if want_info:
            for a in range(p):
                for b in range(a, p):
                    q = a * p + b
                    imat[a, b] += (S2[q] * c0 - D2[q] * c1 - S1[a] * S1[b] * q0
                                   + (S1[a] * D1[b] + D1[a] * S1[b]) * q1 - D1[a] * D1[b] * q2)
    for a in range(p):
        for b in range(a):
            imat[a, b] = imat[b, a]
    return loglik, u, imat


# Right-censored data, big n (the parallel path): two passes over the rows instead of one, no
# p x p sums per event time. Every Newton step needs, per event group g, the risk-set sums S0, S1
# and the death sums D0, D1; the information's risk-set part sum_g (c0_g S2_g - c1_g D2_g) equals
# sum_i v_i x_i x_i' with v_i = w_i (H_i - [death] c1_g(i)), H_i the sum of c0 over the groups at
# which row i is at risk (survival's own rewriting, as the numpy evaluation of _cox_kernel does).
# Pass 1 (_group_sums) bins w and w x by the event group each row closes (rows of a group are
# contiguous: the chunks are cut at group boundaries, so every group is summed in row order by
# one thread); a short sequential pass over the groups (_group_terms) gives the Efron terms,
# loglik, score, the small part of the information and the per-group row multipliers; pass 2
# (_weighted_gram) sums v x x' with the rows in blocks, lanes over rows (vectorised, no
# reassociation). Chunks are fixed (not the thread count): the sums do not depend on the threads.
_GRAM_BLOCK = 256  # rows per block of the weighted Gram sums

@njit(cache=True, parallel=True)
def _group_sums(XT, beta, offset, cw, event, gidx, cuts, m, w):  # pragma: no cover
    """Per event group: S (m, 1 + p) = sums of (w, w x) over the rows closing at the group,
    D (m, 1 + p) = the same over its deaths (the first rows of the group). Writes each row's
    w = cw exp(x'b + offset) into ``w`` (0 for rows in no group).

    Each chunk goes in blocks of rows: first the block's weights (the linear predictor column
    by column, vectorised over the rows, with the same additions per row as a row loop; no
    exp at b = 0 without offsets), then the sums, row after row in order."""
    p = XT.shape[0]
    width = 1 + p
    has_off = offset.shape[0] > 0
    has_cw = cw.shape[0] > 0
    unit = not has_off
    for a in range(p):
        if beta[a] != 0.0:
            unit = False
    S = np.empty((m, width))
    D = np.empty((m, width))
    nchunk = cuts.shape[0] - 1
    wbits = w.view(np.uint64)
    for c in prange(nchunk):
        acc = np.zeros(width)
        keys = np.full(EXP_SLOTS, np.nan)
        vals = np.empty(EXP_SLOTS)
        g_cur = -1
        dead = True
        lo = cuts[c]
        hi = cuts[c + 1]
        for s in range(lo, hi, _GRAM_BLOCK):
            e = min(hi, s + _GRAM_BLOCK)
            if unit:  # exp(0) = 1
                for i in range(s, e):
                    w[i] = cw[i] if has_cw else 1.0
            else:
                for i in range(s, e):
                    w[i] = offset[i] if has_off else 0.0
                for a in range(p):
                    b = beta[a]
                    for i in range(s, e):
                        w[i] += XT[a, i] * b
                for i in range(s, e):
                    w[i] = exp_cached(w[i], wbits[i], keys, vals)
                if has_cw:
                    for i in range(s, e):
                        w[i] *= cw[i]
            for i in range(s, e):
                g = gidx[i]
                if g != g_cur:
                    if g_cur >= 0:
                        _close_group(S, D, g_cur, acc, dead)
                    g_cur = g
                    dead = True
                    for q in range(width):
                        acc[q] = 0.0
                if g < 0:
                    w[i] = 0.0
                    continue
                if dead and not event[i]:  # the deaths come first: their sums are the sums so far
                    dead = False
                    for q in range(width):
                        D[g, q] = acc[q]
                wi = w[i]
                acc[0] += wi
                for a in range(p):
                    acc[1 + a] += wi * XT[a, i]
        if g_cur >= 0:
            _close_group(S, D, g_cur, acc, dead)
    return S, D


@njit(cache=True, inline="always")
def _close_group(S, D, g, acc, dead):  # pragma: no cover
    """Store the sums of group g (and its death sums when all its rows were deaths)."""
    for q in range(acc.shape[0]):
        S[g, q] = acc[q]
        if dead:
            D[g, q] = acc[q]


_SERIES_MIN_D = 8  # fewer tied deaths: the d terms are as cheap as the series


@njit(cache=True, inline="always")
def _efron_series(q, M, x, d, D0, S0, mult):  # pragma: no cover
    """Efron's six sums at one event time from the power series in x = D0/S0, the arithmetic of
    :func:`sarcohort.stats._cox_efron.efron_sums_series` (``q``: the time's power sums)."""
    F0 = q[M]
    F1 = q[M + 1]
    G0 = (M + 1) * q[M]
    G1 = (M + 1) * q[M + 1]
    G2 = (M + 1) * q[M + 2]
    Lp = q[M] / M
    for j in range(M - 1, -1, -1):
        F0 = F0 * x + q[j]
        F1 = F1 * x + q[j + 1]
        G0 = G0 * x + (j + 1) * q[j]
        G1 = G1 * x + (j + 1) * q[j + 1]
        G2 = G2 * x + (j + 1) * q[j + 2]
        Lp = Lp * x + (q[j] / j if j > 0 else 0.0)
    x2 = x * x
    A0 = x * F0
    A1 = d * x * F1
    B0 = x2 * G0 / d
    B1 = x2 * G1
    B2 = d * x2 * G2
    c0 = mult * d / D0 * A0
    c1 = mult * A1 / D0
    q0 = mult * (d / D0) ** 2 * B0
    q1 = mult * d / D0**2 * B1
    q2 = mult * B2 / D0**2
    return c0, c1, q0, q1, q2, mult * d * (math.log(S0) - Lp)


@njit(cache=True)
def _group_terms(S, D, g_stratum, g_deaths, g_wdeaths, efron, want_info, Q):  # pragma: no cover
    """The sequential pass over the event groups (last to first): risk-set sums, Efron's terms,
    the log partial likelihood's and score's sums, the information's small part (the S1 S1',
    S1 D1', D1 D1' products) and the row multipliers ``h`` (m, 2): column 0 for a row that
    closes at group g and is not a death there (H = sum of c0 over its risk sets), column 1 for
    a death at g (H - c1_g). ``Q`` (m, SERIES_TERMS + 3): Efron's normalised power sums
    (:func:`sarcohort.stats._cox_efron.efron_power_sums`, transposed), or empty: event times with
    more than _SERIES_MIN_D deaths and x = D0/S0 <= 0.35 then take Efron's sums from the power
    series in x (truncation below 1e-18 relative) instead of d terms with a logarithm each."""
    m, width = S.shape
    use_series = Q.shape[0] > 0
    M = Q.shape[1] - 3
    p = width - 1
    logsum = 0.0
    us = np.zeros(p)
    small = np.zeros((p, p))
    c0g = np.empty(m)
    c1g = np.empty(m)
    R = np.zeros(width)
    for g in range(m - 1, -1, -1):
        if g == m - 1 or g_stratum[g] != g_stratum[g + 1]:
            for q in range(width):
                R[q] = 0.0
        for q in range(width):
            R[q] += S[g, q]
        nd = int(g_deaths[g])
        S0 = R[0]
        D0 = D[g, 0]
        x = D0 / S0
        if efron and use_series and nd > _SERIES_MIN_D and x <= _SERIES_MAX_X:
            c0, c1, q0, q1, q2, lg = _efron_series(Q[g], M, x, float(nd), D0, S0, g_wdeaths[g] / nd)
            logsum += lg
        else:
            terms = nd if efron and nd > 1 else 1
            mult = g_wdeaths[g] / terms
            c0 = 0.0
            c1 = 0.0
            q0 = 0.0
            q1 = 0.0
            q2 = 0.0
            for k in range(terms):
                f = k / nd
                den = S0 - f * D0
                inv = 1.0 / den
                logsum += mult * math.log(den)
                c0 += inv
                c1 += f * inv
                inv2 = inv * inv
                q0 += inv2
                q1 += f * inv2
                q2 += f * f * inv2
            c0 *= mult
            c1 *= mult
            q0 *= mult
            q1 *= mult
            q2 *= mult
        c0g[g] = c0
        c1g[g] = c1
        for a in range(p):
            us[a] += R[1 + a] * c0 - D[g, 1 + a] * c1
        if want_info:
            for a in range(p):
                s1a = R[1 + a]
                d1a = D[g, 1 + a]
                for b in range(a, p):
                    s1b = R[1 + b]
                    d1b = D[g, 1 + b]
                    small[a, b] += -s1a * s1b * q0 + (s1a * d1b + d1a * s1b) * q1 - d1a * d1b * q2
    h = np.empty((m, 2))
    H = 0.0
    for g in range(m):
        if g == 0 or g_stratum[g] != g_stratum[g - 1]:
            H = 0.0
        H += c0g[g]
        h[g, 0] = H
        h[g, 1] = H - c1g[g]
    return logsum, us, small, h


@njit(cache=True, parallel=True)
def _weighted_gram(XT, w, event, gidx, h, cuts):  # pragma: no cover
    """Lower triangle of sum_i v_i x_i x_i' (v_i = w_i h[g_i, death_i]), one partial sum per chunk
    (nchunk, p (p + 1) / 2). Rows in blocks: per (a, b) pair a vector of per-row-lane partial
    sums, added to elementwise (vectorised), reduced once at the end of the chunk."""
    p = XT.shape[0]
    nchunk = cuts.shape[0] - 1
    npair = p * (p + 1) // 2
    out = np.zeros((nchunk, npair))
    B = _GRAM_BLOCK
    for c in prange(nchunk):
        accv = np.zeros((npair, B))
        vx = np.empty((p, B))
        vb = np.empty(B)
        lo = cuts[c]
        hi = cuts[c + 1]
        s = lo
        while s + B <= hi:
            for r in range(B):
                g = gidx[s + r]
                vb[r] = 0.0 if g < 0 else w[s + r] * h[g, 1 if event[s + r] else 0]
            for a in range(p):
                xa = XT[a, s:s + B]
                va = vx[a]
                for r in range(B):
                    va[r] = vb[r] * xa[r]
            k = 0
            for a in range(p):
                va = vx[a]
                for b in range(a + 1):
                    xb = XT[b, s:s + B]
                    ak = accv[k]
                    for r in range(B):
                        ak[r] += va[r] * xb[r]
                    k += 1
            s += B
        tot = np.zeros(npair)
        for k in range(npair):
            for r in range(B):
                tot[k] += accv[k, r]
        while s < hi:
            g = gidx[s]
            if g >= 0:
                v = w[s] * h[g, 1 if event[s] else 0]
                k = 0
                for a in range(p):
                    va = v * XT[a, s]
                    for b in range(a + 1):
                        tot[k] += va * XT[b, s]
                        k += 1
            s += 1
        out[c] = tot
    return out


@njit(cache=True)
def _assemble(xd_sum, offd_sum, beta, logsum, us, small, gram, want_info):  # pragma: no cover
    p = xd_sum.shape[0]
    loglik = offd_sum - logsum
    u = np.empty(p)
    for a in range(p):
        loglik += xd_sum[a] * beta[a]
        u[a] = xd_sum[a] - us[a]
    imat = np.zeros((p, p))
    if want_info:
        for c in range(gram.shape[0]):
            k = 0
            for a in range(p):
                for b in range(a + 1):
                    imat[b, a] += gram[c, k]
                    k += 1
        for a in range(p):
            for b in range(a, p):
                imat[a, b] += small[a, b]
                imat[b, a] = imat[a, b]
    return loglik, u, imat


def cox_pass_binned(XT, beta, offset, cw, event, gidx, cuts, g_stratum, g_deaths, g_wdeaths, xd_sum, offd_sum,
                    efron, want_info, w, Q):
    """:func:`cox_pass` for right-censored data by the two parallel passes above.

    ``gidx``: each row's event group (the last one at or before its time in its stratum, -1 for
    none; nondecreasing within a stratum, so a group's rows are contiguous); ``cuts``: chunk
    boundaries (int64, 0 .. n) at group boundaries; ``offset`` and ``cw``: empty arrays when
    absent; ``xd_sum``, ``offd_sum``: sums over the deaths of cw x and cw offset (the score's
    and log-likelihood's linear parts); ``w``: scratch (n); ``Q``: Efron's power sums (m, 43) or
    empty (see :func:`_group_terms`). Returns (loglik, u, imat).
    """
    S, D = _group_sums(XT, beta, offset, cw, event, gidx, cuts, g_stratum.shape[0], w)
    logsum, us, small, h = _group_terms(S, D, g_stratum, g_deaths, g_wdeaths, efron, want_info, Q)
    gram = _weighted_gram(XT, w, event, gidx, h, cuts) if want_info else np.zeros((0, 0))
    return _assemble(xd_sum, offd_sum, beta, logsum, us, small, gram, want_info)
