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


@njit(cache=True)
def cox_pass(XT, beta, offset, cw, event, stop, strata, efron, entry, e_order, want_info):  # pragma: no cover
    p, n = XT.shape
    has_entry = entry.shape[0] > 0
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
            w = cw[i] * math.exp(eta)
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
                wd += cw[i]
                loglik += cw[i] * eta
                D0 += w
                for a in range(p):
                    u[a] += cw[i] * x[a]
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


# Right-censored data with few event times (e.g. follow-up in days): the per-row work (exp(x'b),
# w x, w x x') is binned by the event group each row joins, in _NCHUNK fixed row chunks run in
# parallel (numba threads; a fixed chunk count so that the sums do not depend on the thread
# count), then the risk-set sums are cumulated over the groups in one short sequential pass.
_NCHUNK = 4


@njit(cache=True, parallel=True)
def _bin_rows(XT, beta, offset, cw, event, gidx, m, want_d2):  # pragma: no cover
    p, n = XT.shape
    npk = p * p
    width = 1 + p + npk
    allb = np.zeros((_NCHUNK, m, width))
    deathb = np.zeros((_NCHUNK, m, width))
    ll = np.zeros(_NCHUNK)
    uu = np.zeros((_NCHUNK, p))
    step = (n + _NCHUNK - 1) // _NCHUNK
    for c in prange(_NCHUNK):
        x = np.empty(p)
        wx = np.empty(p)
        lo = c * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            g = gidx[i]
            if g < 0:
                continue
            eta = offset[i]
            for a in range(p):
                x[a] = XT[a, i]
                eta += x[a] * beta[a]
            w = cw[i] * math.exp(eta)
            row = allb[c, g]
            row[0] += w
            for a in range(p):
                wx[a] = w * x[a]
                row[1 + a] += wx[a]
            for a in range(p):
                wa = wx[a]
                base = 1 + p + a * p
                for b in range(p):
                    row[base + b] += wa * x[b]
            if event[i]:
                ll[c] += cw[i] * eta
                for a in range(p):
                    uu[c, a] += cw[i] * x[a]
                drow = deathb[c, g]
                drow[0] += w
                for a in range(p):
                    drow[1 + a] += wx[a]
                # the deaths of a group come first among its rows: at the chunk's last one, the
                # group's w x x' sums so far are the deaths' (no second accumulation)
                if want_d2 and (i + 1 == hi or not event[i + 1] or gidx[i + 1] != g):
                    for q in range(1 + p, width):
                        drow[q] = row[q]
    return allb, deathb, ll, uu


@njit(cache=True)
def cox_pass_binned(XT, beta, offset, cw, event, gidx, g_stratum, g_deaths, g_wdeaths, efron,
                    want_info):  # pragma: no cover
    """:func:`cox_pass` for right-censored data from per-event-group bins (``gidx``: each row's
    event group, the last one at or before its time in its stratum, -1 for none)."""
    p = XT.shape[0]
    m = g_stratum.shape[0]
    allb, deathb, ll, uu = _bin_rows(XT, beta, offset, cw, event, gidx, m, want_info and efron)
    loglik = 0.0
    u = np.zeros(p)
    for c in range(_NCHUNK):
        loglik += ll[c]
        for a in range(p):
            u[a] += uu[c, a]
    imat = np.zeros((p, p))
    width = allb.shape[2]
    S = np.zeros(width)
    D = np.zeros(width)
    for g in range(m - 1, -1, -1):
        if g == m - 1 or g_stratum[g] != g_stratum[g + 1]:
            for q in range(width):
                S[q] = 0.0
        for q in range(width):
            D[q] = 0.0
        for c in range(_NCHUNK):
            for q in range(width):
                S[q] += allb[c, g, q]
                D[q] += deathb[c, g, q]
        nd = int(g_deaths[g])
        S0 = S[0]
        D0 = D[0]
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
            u[a] -= S[1 + a] * c0 - D[1 + a] * c1
        if want_info:
            for a in range(p):
                for b in range(a, p):
                    q = 1 + p + a * p + b
                    imat[a, b] += (S[q] * c0 - D[q] * c1 - S[1 + a] * S[1 + b] * q0
                                   + (S[1 + a] * D[1 + b] + D[1 + a] * S[1 + b]) * q1 - D[1 + a] * D[1 + b] * q2)
    for a in range(p):
        for b in range(a):
            imat[a, b] = imat[b, a]
    return loglik, u, imat
