"""Compiled (numba) batched Newton-Raphson for many Cox fits with frequency weights.

One replicate's evaluation is survival's ``coxfit6`` arithmetic on rows sorted by (stratum,
time, deaths first): a backward pass accumulating the risk-set sums ``S0, S1, S2`` of
``w = c exp(x'b)``; at each event time the ``d = sum c`` tied deaths give Efron's ``d`` terms
``den_k = S0 - (k/d) D0`` (``k = 0..d-1``) or Breslow's one term with multiplicity ``d``. The
replicates are independent: a parallel loop over them (``prange``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _evaluate(beta, X, c, stop, dead, sbreak, efron, u, imat):
    """loglik at beta; fills the score ``u`` and the information ``imat`` (p x p)."""
    n, p = X.shape
    eta = np.empty(n)
    top = -1e300
    for i in range(n):
        s = 0.0
        for j in range(p):
            s += X[i, j] * beta[j]
        eta[i] = s
        if c[i] > 0 and s > top:
            top = s
    if top == -1e300:
        top = 0.0
    s1 = np.empty(p)
    d1 = np.empty(p)
    s2 = np.empty((p, p))
    d2 = np.empty((p, p))
    a = np.empty(p)
    for j in range(p):
        u[j] = 0.0
        for k in range(p):
            imat[j, k] = 0.0
    loglik = 0.0
    end = n
    for st in range(sbreak.shape[0] - 1, -1, -1):
        start = sbreak[st]
        s0 = 0.0
        for j in range(p):
            s1[j] = 0.0
            for k in range(p):
                s2[j, k] = 0.0
        i = end - 1
        while i >= start:
            t = stop[i]
            d0 = 0.0
            dcount = 0.0
            for j in range(p):
                d1[j] = 0.0
                for k in range(p):
                    d2[j, k] = 0.0
            while i >= start and stop[i] == t:
                ci = c[i]
                if ci > 0:
                    w = ci * math.exp(eta[i] - top)
                    s0 += w
                    for j in range(p):
                        xj = X[i, j]
                        s1[j] += w * xj
                        for k in range(j + 1):
                            s2[j, k] += w * xj * X[i, k]
                    if dead[i]:
                        d0 += w
                        dcount += ci
                        loglik += ci * (eta[i] - top)
                        for j in range(p):
                            xj = X[i, j]
                            u[j] += ci * xj
                            d1[j] += w * xj
                            for k in range(j + 1):
                                d2[j, k] += w * xj * X[i, k]
                i -= 1
            if dcount > 0:
                nd = int(dcount + 0.5)
                if efron and nd > 1:
                    for kk in range(nd):
                        f = kk / nd
                        den = s0 - f * d0
                        loglik -= math.log(den)
                        for j in range(p):
                            a[j] = (s1[j] - f * d1[j]) / den
                            u[j] -= a[j]
                        for j in range(p):
                            for k in range(j + 1):
                                imat[j, k] += (s2[j, k] - f * d2[j, k]) / den - a[j] * a[k]
                else:
                    loglik -= dcount * math.log(s0)
                    for j in range(p):
                        a[j] = s1[j] / s0
                        u[j] -= dcount * a[j]
                    for j in range(p):
                        for k in range(j + 1):
                            imat[j, k] += dcount * (s2[j, k] / s0 - a[j] * a[k])
        end = start
    for j in range(p):
        for k in range(j + 1, p):
            imat[j, k] = imat[k, j]
    return loglik


@njit(cache=True)
def _inverse(m, out):
    """Inverse of a symmetric positive definite matrix by Cholesky; False when not positive."""
    p = m.shape[0]
    L = np.zeros((p, p))
    for j in range(p):
        s = m[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not (s > 1e-12 * max(abs(m[j, j]), 1e-300)):
            return False
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, p):
            s = m[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / L[j, j]
    # inverse of L, then L^-T L^-1
    Li = np.zeros((p, p))
    for i in range(p):
        Li[i, i] = 1.0 / L[i, i]
        for j in range(i):
            s = 0.0
            for k in range(j, i):
                s -= L[i, k] * Li[k, j]
            Li[i, j] = s / L[i, i]
    for i in range(p):
        for j in range(i + 1):
            s = 0.0
            for k in range(i, p):
                s += Li[k, i] * Li[k, j]
            out[i, j] = s
            out[j, i] = s
    return True


@njit(cache=True, parallel=True)
def batch_newton(X3, counts, stop, dead, sbreak, efron, init, max_iter, step_tol,
                 coef, var, loglik, loglik0, iters, conv):
    """Fit every replicate (row of ``counts``); X3 is (1 or B, n, p). Results in the out arrays."""
    B = counts.shape[0]
    p = X3.shape[2]
    for b in prange(B):
        X = X3[0] if X3.shape[0] == 1 else X3[b]
        c = counts[b]
        u = np.empty(p)
        imat = np.empty((p, p))
        v = np.empty((p, p))
        beta = np.zeros(p)
        loglik0[b] = _evaluate(beta, X, c, stop, dead, sbreak, efron, u, imat)
        for j in range(p):
            beta[j] = init[b, j]
        cur = _evaluate(beta, X, c, stop, dead, sbreak, efron, u, imat)
        ok = _inverse(imat, v)
        conv[b] = False
        iters[b] = 0
        if not ok:
            for j in range(p):
                coef[b, j] = np.nan
            loglik[b] = cur
            continue
        step = v @ u
        trial = beta + step
        fresh = True
        for it in range(1, max_iter + 1):
            if fresh:
                r = 0.0
                for j in range(p):
                    q = abs(step[j]) / math.sqrt(v[j, j])
                    if q > r:
                        r = q
                if r <= step_tol:
                    for j in range(p):
                        coef[b, j] = trial[j]
                        for k in range(p):
                            var[b, j, k] = v[j, k]
                    conv[b] = True
                    iters[b] = it - 1
                    break
            new = _evaluate(trial, X, c, stop, dead, sbreak, efron, u, imat)
            iters[b] = it
            if math.isfinite(new) and new >= cur - 1e-12 * abs(cur):
                ok = _inverse(imat, v)
                if not ok:
                    for j in range(p):
                        coef[b, j] = np.nan
                    break
                beta[:] = trial
                cur = new
                step = v @ u
                trial = beta + step
                fresh = True
            else:
                trial = (trial + beta) / 2
                fresh = False
        if not conv[b]:
            for j in range(p):
                if math.isfinite(coef[b, j]):
                    coef[b, j] = beta[j]
        loglik[b] = _evaluate(coef[b] if conv[b] else beta, X, c, stop, dead, sbreak, efron, u, imat)
