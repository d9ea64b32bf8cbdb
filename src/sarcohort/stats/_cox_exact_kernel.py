"""Compiled (numba) exact partial likelihood for tied event times (survival's ``coxexact``).

Inputs, all from :class:`sarcohort.stats._cox_kernel.CoxSetup` (rows sorted by stratum, then
stop time, deaths first at equal times): ``XT`` (p, n) centred covariates, ``eta`` (n) the
linear predictor, ``stop``, ``entry`` (empty when there is none), ``death_rows`` and
``gstart`` (the deaths of event group g are ``death_rows[gstart[g]:gstart[g + 1]]``), ``g_time``
and ``g_end`` (one past the last sorted row of the group's stratum).

At an event time with d deaths the risk-set rows are visited once, updating the elementary
symmetric sums ``E_k`` (k <= d) of the risks and their first and second derivatives
``F_k`` (p) and ``G_k`` (p x p) (Gail, Lubin and Rubinstein 1981), each order kept with its
own scale (no overflow for large d). Cost: the risk-set size
times d times p^2 per event time. Output: log-likelihood, score (p) and information (p x p).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _add_row(E, F, G, S, r, w, x, top):  # pragma: no cover
    """Add one risk-set member (risk w, covariates x) to the symmetric sums of order <= top.

    ``E_k = E'_k exp(S_k)`` (F, G alike) with one scale per order, ``r_k = exp(S_(k-1) - S_k)``;
    an order whose stored value leaves [1e-100, 1e100] is rescaled (no overflow or underflow
    whatever the number of deaths)."""
    p = x.shape[0]
    if E[top] == 0.0:  # a new order: start it at the scale of the one below
        S[top] = S[top - 1]
        r[top] = 1.0
    for k in range(top, 0, -1):
        f = w * r[k]
        ek = E[k - 1]
        for a in range(p):
            fa = F[k - 1, a]
            xa = x[a]
            for b in range(a, p):
                G[k, a, b] += f * (G[k - 1, a, b] + xa * F[k - 1, b] + fa * x[b] + xa * x[b] * ek)
        for a in range(p):
            F[k, a] += f * (F[k - 1, a] + x[a] * ek)
        E[k] += f * ek
    for k in range(1, top + 1):
        if E[k] > 1e100 or E[k] < 1e-100:
            sc = math.log(E[k])
            q = math.exp(-sc)
            E[k] *= q
            for a in range(p):
                F[k, a] *= q
                for b in range(a, p):
                    G[k, a, b] *= q
            S[k] += sc
            r[k] = math.exp(S[k - 1] - S[k])
            if k + 1 <= top:  # orders above top start at this scale when they appear
                r[k + 1] = math.exp(S[k] - S[k + 1])


@njit(cache=True)
def exact_terms_jit(XT, eta, stop, entry, death_rows, gstart, g_time, g_end):  # pragma: no cover
    p, n = XT.shape
    m = g_time.shape[0]
    has_entry = entry.shape[0] > 0
    loglik = 0.0
    u = np.zeros(p)
    imat = np.zeros((p, p))
    x = np.empty(p)
    for g in range(m):
        t = g_time[g]
        d0, d1 = gstart[g], gstart[g + 1]
        d = d1 - d0
        first = death_rows[d0]
        end = g_end[g]
        shift = -np.inf
        for i in range(first, end):
            if has_entry and entry[i] >= t:
                continue
            if eta[i] > shift:
                shift = eta[i]
        E = np.zeros(d + 1)
        F = np.zeros((d + 1, p))
        G = np.zeros((d + 1, p, p))
        S = np.zeros(d + 1)
        r = np.ones(d + 1)
        E[0] = 1.0
        seen = 0
        for i in range(first, end):
            if has_entry and entry[i] >= t:
                continue
            for j in range(p):
                x[j] = XT[j, i]
            seen += 1
            _add_row(E, F, G, S, r, math.exp(eta[i] - shift), x, seen if seen < d else d)
        ed = E[d]
        for k in range(d0, d1):
            r = death_rows[k]
            loglik += eta[r]
            for a in range(p):
                u[a] += XT[a, r]
        loglik -= math.log(ed) + S[d] + d * shift
        for a in range(p):
            ma = F[d, a] / ed
            u[a] -= ma
            for b in range(a, p):
                imat[a, b] += G[d, a, b] / ed - ma * F[d, b] / ed
    for a in range(p):
        for b in range(a):
            imat[a, b] = imat[b, a]
    return loglik, u, imat


@njit(cache=True)
def exact_terms_nested(XT, eta, death_rows, gstart, g_end):  # pragma: no cover
    """The same without entry times, in one backward pass per stratum.

    Without (start, stop] data the risk sets of a stratum are nested: the risk set of event
    group g is every row from its first death to the end of the stratum. Visiting the rows
    backwards, the symmetric sums of order up to D (the most deaths at one time) are read off
    at each group's first death: the cost is n D p^2 instead of the sum over event times of
    the risk-set size times d.
    """
    p, n = XT.shape
    m = gstart.shape[0] - 1
    loglik = 0.0
    u = np.zeros(p)
    imat = np.zeros((p, p))
    x = np.empty(p)
    g_hi = m - 1
    while g_hi >= 0:
        end = g_end[g_hi]
        g_lo = g_hi
        while g_lo > 0 and g_end[g_lo - 1] == end:
            g_lo -= 1
        D = 0
        for g in range(g_lo, g_hi + 1):
            dd = gstart[g + 1] - gstart[g]
            if dd > D:
                D = dd
        start_row = death_rows[gstart[g_lo]]
        shift = -np.inf
        for i in range(start_row, end):
            if eta[i] > shift:
                shift = eta[i]
        E = np.zeros(D + 1)
        F = np.zeros((D + 1, p))
        G = np.zeros((D + 1, p, p))
        S = np.zeros(D + 1)
        rr = np.ones(D + 1)
        E[0] = 1.0
        seen = 0
        g = g_hi
        for i in range(end - 1, start_row - 1, -1):
            for j in range(p):
                x[j] = XT[j, i]
            seen += 1
            _add_row(E, F, G, S, rr, math.exp(eta[i] - shift), x, seen if seen < D else D)
            while g >= g_lo and death_rows[gstart[g]] == i:
                d0, d1 = gstart[g], gstart[g + 1]
                d = d1 - d0
                ed = E[d]
                for k in range(d0, d1):
                    r = death_rows[k]
                    loglik += eta[r]
                    for a in range(p):
                        u[a] += XT[a, r]
                loglik -= math.log(ed) + S[d] + d * shift
                for a in range(p):
                    ma = F[d, a] / ed
                    u[a] -= ma
                    for b in range(a, p):
                        imat[a, b] += G[d, a, b] / ed - ma * F[d, b] / ed
                g -= 1
        g_hi = g_lo - 1
    for a in range(p):
        for b in range(a):
            imat[a, b] = imat[b, a]
    return loglik, u, imat
