"""Efron's tie correction: the sums over k = 0..d-1 at each event time, two ways.

With d tied deaths at an event time, Efron's denominators are ``D_k = S0 - (k/d) D0``. A
Newton step needs, per event time, ``sum_k 1/D_k``, ``sum_k (k/d)/D_k``, ``sum_k 1/D_k^2``,
``sum_k (k/d)/D_k^2``, ``sum_k (k/d)^2/D_k^2`` and ``sum_k log D_k``.

* :func:`efron_sums_pairs` evaluates them term by term over the (event time, k) pairs: exact,
  the arithmetic of R's ``coxfit6``; its cost is the number of deaths.
* :func:`efron_sums_series` (big data) writes ``D_k = (D0/d)(c - k)`` with ``c = d S0/D0`` and
  expands ``1/(c - k)``, ``1/(c - k)^2`` and ``log(1 - k/c)`` in powers of ``x = d/c = D0/S0``:
  every sum becomes a polynomial in x whose coefficients are normalised power sums
  ``Q_m(d) = sum_{k<d} k^m / d^(m+1)`` (computed once). All terms are positive, so there is no
  cancellation; with ``x <= 0.35`` and 40 terms the truncation error is below 1e-18 relative.
  Event times with larger x (deaths a large part of the risk set) use the pairs.
  The cost is then the number of event times, not of deaths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sarcohort.stats._cox_kernel import CoxSetup

SERIES_TERMS = 40
_SERIES_MAX_X = 0.35
_SERIES_MIN_PAIRS = 50_000  # below this the pairs are cheap (and the reference arithmetic)

Sums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]


def efron_power_sums(g_deaths: np.ndarray) -> np.ndarray | None:
    """``Q[m, g] = sum_{k=0}^{d_g - 1} k^m / d_g^(m+1)`` for m = 0..SERIES_TERMS + 2
    (None when some d is so large that the power sums would overflow)."""
    d = g_deaths.astype(np.int64)
    dmax = int(d.max()) if d.size else 1
    if dmax > 100_000:
        return None
    powers = np.arange(SERIES_TERMS + 3, dtype=float)[:, None]
    k = np.arange(dmax, dtype=float)[None, :]
    with np.errstate(under="ignore"):
        table = np.cumsum(k**powers, axis=1)  # table[m, j] = sum_{k <= j} k^m
    df = d.astype(float)
    return table[:, d - 1] / df[None, :] ** (powers + 1)


def efron_sums_pairs(cs: CoxSetup, s0: np.ndarray, d0: np.ndarray,
                     groups: np.ndarray | None = None) -> Sums:
    """The six Efron sums, term by term over the (event time, k) pairs of ``groups``
    (all event times when None); arrays are over ``groups``."""
    if groups is None:
        dcount = cs.g_deaths.astype(np.intp)
        den = np.repeat(s0, dcount)
        den -= cs.pair_frac * np.repeat(d0, dcount)
        frac, mult, starts = cs.pair_frac, cs.pair_mult, cs.pair_starts
    else:
        lens = cs.g_deaths[groups].astype(np.intp)
        total = int(lens.sum())
        starts = np.cumsum(lens) - lens
        pidx = np.repeat(cs.pair_starts[groups] - starts, lens) + np.arange(total)
        frac, mult = cs.pair_frac[pidx], cs.pair_mult[pidx]
        den = np.repeat(s0[groups], lens) - frac * np.repeat(d0[groups], lens)
    if den.size == 0:
        z = np.zeros(0)
        return z, z, z, z, z, 0.0
    parts = np.empty((5, den.size))
    inv = parts[0]
    if cs.cw is None:  # unit weights: mult = 1
        np.reciprocal(den, out=inv)
        logsum = float(np.log(den).sum())
        np.multiply(inv, inv, out=parts[2])
    else:
        np.divide(mult, den, out=inv)
        logsum = float(mult @ np.log(den))
        np.divide(inv, den, out=parts[2])
    np.multiply(inv, frac, out=parts[1])
    np.multiply(parts[2], frac, out=parts[3])
    np.multiply(parts[3], frac, out=parts[4])
    c, hf, q0, q1, q2 = np.add.reduceat(parts, starts, axis=1)
    return c, hf, q0, q1, q2, logsum


def _horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_m coef[m] * x^m for each column (coef is terms x groups)."""
    out = coef[-1].copy()
    for row in coef[-2::-1]:
        out *= x
        out += row
    return out


def efron_sums_series(cs: CoxSetup, s0: np.ndarray, d0: np.ndarray) -> Sums:
    """The six Efron sums from the power series in x = D0/S0 (pairs where x > 0.35)."""
    q = cs.series_q
    if q is None:  # internal: only called when the power sums were prepared
        raise RuntimeError("Efron power sums were not prepared")
    m = s0.size
    x = d0 / s0
    ok = x <= _SERIES_MAX_X
    c, hf, q0, q1, q2 = (np.empty(m) for _ in range(5))
    logsum = 0.0
    rest = np.flatnonzero(~ok)
    if rest.size:
        rc, rhf, rq0, rq1, rq2, rlog = efron_sums_pairs(cs, s0, d0, rest)
        c[rest], hf[rest], q0[rest], q1[rest], q2[rest] = rc, rhf, rq0, rq1, rq2
        logsum += rlog
    idx = np.flatnonzero(ok)
    if idx.size:
        M = SERIES_TERMS
        xs, d, D0, S0 = x[idx], cs.g_deaths[idx], d0[idx], s0[idx]
        mult = cs.g_wdeaths[idx] / d
        Q = q[:, idx]
        k1 = np.arange(1, M + 2, dtype=float)[:, None]  # m + 1
        F0 = _horner(Q[: M + 1], xs)
        F1 = _horner(Q[1 : M + 2], xs)
        G0 = _horner(k1 * Q[: M + 1], xs)
        G1 = _horner(k1 * Q[1 : M + 2], xs)
        G2 = _horner(k1 * Q[2 : M + 3], xs)
        Lp = _horner(np.vstack([np.zeros((1, idx.size)), Q[1 : M + 1] / k1[:M]]), xs)
        A0 = xs * F0  # sum_k 1/(c - k)
        A1 = d * xs * F1  # sum_k k/(c - k)
        x2 = xs * xs
        B0 = x2 * G0 / d  # sum_k 1/(c - k)^2
        B1 = x2 * G1  # sum_k k/(c - k)^2
        B2 = d * x2 * G2  # sum_k k^2/(c - k)^2
        c[idx] = mult * d / D0 * A0
        hf[idx] = mult * A1 / D0
        q0[idx] = mult * (d / D0) ** 2 * B0
        q1[idx] = mult * d / D0**2 * B1
        q2[idx] = mult * B2 / D0**2
        logsum += float(np.sum(mult * d * (np.log(S0) - Lp)))
    return c, hf, q0, q1, q2, logsum
