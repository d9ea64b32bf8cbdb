"""Compiled (numba) passes of ``cox.zph``'s score test (:func:`sarcohort.stats._zph.zph_score`).

Imported lazily, compiled once and cached on disk. Each gives what the numpy expressions it
replaces give, operation for operation (bit for bit, tested): a registry's model has a million
rows and hundreds of thousands of deaths, and numpy's column sums of (rows, p) arrays and its
per-power passes over the rows cost more than the fit.

* :func:`score_sums`: the score vector's sums over the deaths and the (event time, k) pairs,
  as numpy's ``(rows x p).sum(axis=0)`` of C-ordered rows (one addition per row, in row order,
  starting from the first row);
* :func:`risk_weights`: the row weights ``v`` of the information's risk-set part for the
  powers 0, 1, 2 of g(t) in one pass: ``np.bincount`` of the pair hazards, their cumulative
  sums over the event times at risk (``_cox_kernel._cum_at_rows``), ``w H`` less the deaths'
  Efron share.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _column_sums(XT, rows, scale, has_scale, g, gidx):  # pragma: no cover
    """Per column j: sum_i c_ij and sum_i c_ij g[gidx_i] in row order from the first row,
    with c_ij = XT[j, rows_i] (times scale_i when has_scale)."""
    p = XT.shape[0]
    n = rows.shape[0]
    s = np.zeros(p)
    sg = np.zeros(p)
    if n == 0:
        return s, sg
    for j in range(p):
        c = XT[j, rows[0]] * scale[0] if has_scale else XT[j, rows[0]]
        a = c
        b = c * g[gidx[0]]
        for i in range(1, n):
            c = XT[j, rows[i]] * scale[i] if has_scale else XT[j, rows[i]]
            a += c
            b += c * g[gidx[i]]
        s[j] = a
        sg[j] = b
    return s, sg


@njit(cache=True)
def score_sums(XT, dr, dg, cwd, has_cw, gt, pxbT, mult, pg):  # pragma: no cover
    """``u1, u2`` of :func:`sarcohort.stats._zph.zph_score`: the deaths' ``x cw`` (and times
    ``gt`` of their event time) less the pairs' ``xbar mult`` (and times ``gt``), each a
    column sum in row order. ``pxbT``: the pairs' xbar transposed (p, npairs)."""
    sd, sdg = _column_sums(XT, dr, cwd, has_cw, gt, dg)
    npair = pg.shape[0]
    ident = np.arange(npair)
    sp, spg = _column_sums(pxbT, ident, mult, True, gt, pg)
    return sd - sp, sdg - spg


@njit(cache=True)
def risk_weights(h, frac, pg, gps, s_idx1, base, e_idx1, has_entry, w, dr, dg):  # pragma: no cover
    """``v`` (3, n) of :func:`sarcohort.stats._zph.zph_score` for the powers in ``gps`` (3, m):
    ``haz = bincount(pg, h gp[pg])``, ``hfrac = bincount(pg, h frac gp[pg])``,
    ``H = cum[s_idx1] - cum[base]`` (less ``cum[e_idx1] - cum[base]`` with entry times; cum:
    0 then the cumulative sums of haz), ``v = w H`` and ``v[dr] -= w[dr] hfrac[dg]``."""
    q, m = gps.shape
    n = w.shape[0]
    haz = np.zeros((q, m))
    hfr = np.zeros((q, m))
    for k in range(pg.shape[0]):
        g = pg[k]
        hk = h[k]
        hf = hk * frac[k]
        for a in range(q):
            gp = gps[a, g]
            haz[a, g] += hk * gp
            hfr[a, g] += hf * gp
    cum = np.zeros((q, m + 1))
    for a in range(q):
        if m:
            cum[a, 1] = haz[a, 0]  # np.cumsum starts from the first value
        for g in range(1, m):
            cum[a, g + 1] = cum[a, g] + haz[a, g]
    v = np.empty((q, n))
    for a in range(q):
        for i in range(n):
            H = cum[a, s_idx1[i]] - cum[a, base[i]]
            if has_entry:
                H = H - (cum[a, e_idx1[i]] - cum[a, base[i]])
            v[a, i] = w[i] * H
        for k in range(dr.shape[0]):
            r = dr[k]
            v[a, r] -= w[r] * hfr[a, dg[k]]
    return v
