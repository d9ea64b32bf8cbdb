"""Numerical kernels of competing-risks estimation: Aalen-Johansen CIF and Gray's test.

Plain numpy on sorted per-time counts; the arithmetic is that of Gray (1988) as
``cmprsk::cuminc`` computes it (its Fortran routines ``cinc`` and ``crstm``), written
here as cumulative sums over the distinct times instead of loops.

Notation at the distinct times ``t_j`` of one group: ``n_j`` at risk (time >= t_j),
``d1_j`` events of the cause of interest, ``d2_j`` of the other causes, ``d_j = d1_j +
d2_j``; ``S(t_j-)`` the all-cause Kaplan-Meier curve just before ``t_j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CifArrays:
    """CIF of one cause in one group over the group's distinct times."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_other: np.ndarray
    n_censor: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray


def _tie_factor(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``1 - (d - 1)/(n - 1)`` for ``d > 1``, else 1 (Gray's correction for tied events)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 1, 1.0 - (d - 1.0) / (n - 1.0), 1.0)


def aalen_johansen(
    time: np.ndarray, n_risk: np.ndarray, d1: np.ndarray, d2: np.ndarray, n_censor: np.ndarray
) -> CifArrays:
    """Aalen-Johansen cumulative incidence and Gray's variance (``cmprsk``'s ``cinc``).

    ``F(t) = sum_{t_j <= t} S(t_j-) d1_j / n_j``. The variance is Gray's (1988) delta-method
    estimate ``v1 + F^2 v3 - 2 F v2``, with, at every event time and ``S_j = S(t_j)``,
    ``w = S(t_j-)^2 c d / n^2`` (``c`` the tie factor ``1 - (d-1)/(n-1)`` of those events):

    * other-cause events (``d2 > 0``, ``S_j > 0``): ``a = F_j / S_j``, ``b = 1 / S_j``;
    * cause events (``d1 > 0``): ``a = 1 + F_j / S_j``, ``b = 1 / S_j`` (0 when ``S_j = 0``);
    * ``v1 += a^2 w``, ``v2 += a b w``, ``v3 += b^2 w``.

    As ``cmprsk`` reports it, the variance is evaluated at the cause's event times and held
    until the next one (other-cause events in between change it only from then on).

    Parameters
    ----------
    time, n_risk, d1, d2, n_censor
        Distinct times (ascending) of one group with their counts.
    """
    d = d1 + d2
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, (n_risk - d) / n_risk, 1.0)
    surv = np.cumprod(factor)
    surv_minus = np.concatenate(([1.0], surv[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = np.where(d1 > 0, surv_minus * d1 / n_risk, 0.0)
    cif = np.cumsum(jump)
    positive = surv > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(positive, 1.0 / surv, 0.0)
        base = surv_minus**2 / n_risk**2
    w2 = np.where((d2 > 0) & positive, base * _tie_factor(d2, n_risk) * d2, 0.0)
    a2 = cif * inv_s
    w1 = np.where(d1 > 0, base * _tie_factor(d1, n_risk) * d1, 0.0)
    a1 = 1.0 + inv_s * cif
    v1 = np.cumsum(a2 * a2 * w2 + a1 * a1 * w1)
    v2 = np.cumsum(inv_s * a2 * w2 + inv_s * a1 * w1)
    v3 = np.cumsum(inv_s * inv_s * (w2 + w1))
    at_cause = v1 + cif * cif * v3 - 2.0 * cif * v2
    # held constant between the cause's event times (0 before the first one)
    idx = np.maximum.accumulate(np.where(d1 > 0, np.arange(time.size), -1))
    variance = np.where(idx >= 0, at_cause[np.maximum(idx, 0)], 0.0)
    return CifArrays(time, n_risk, d1, d2, n_censor, cif, variance)


def gray_stratum(
    n_risk: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score and variance of Gray's K-sample test within one stratum (``cmprsk``'s ``crst``).

    Parameters
    ----------
    n_risk, d1, d2
        (T, K) numbers at risk, events of the cause of interest and of other causes per
        group, at the stratum's distinct times with at least one event (ascending).
    rho
        Weight exponent: the weight is ``(1 - F(t-))^rho`` of the pooled CIF estimate.

    Returns
    -------
    score : (K-1,)
        ``sum fb (d1_k - D1 R_k / R)`` over the first K-1 groups, with ``R_k = n_k (1 -
        F_k(t-)) / S_k(t-)`` and ``R = sum R_k``.
    var : (K-1, K-1)
        Its variance, Gray's (1988) estimate, with ``cmprsk``'s tie corrections.
    """
    T, K = n_risk.shape
    at_risk = n_risk > 0
    d = d1 + d2
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk, (n_risk - d) / n_risk, 1.0)
    skm = np.cumprod(factor, axis=0)
    skmm = np.vstack([np.ones((1, K)), skm[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.cumsum(np.where(at_risk, skmm * d1 / n_risk, 0.0), axis=0)
    f1m = np.vstack([np.zeros((1, K)), f1[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(at_risk, n_risk / skmm, 0.0)  # h_k in Gray's notation
    tr = t1.sum(axis=1)
    tq = (t1 * (1.0 - f1m)).sum(axis=1)
    nd1 = d1.sum(axis=1)
    nd2 = d2.sum(axis=1)
    f = np.cumsum(nd1 / tr)  # pooled CIF
    fm = np.concatenate(([0.0], f[:-1]))
    fb = (1.0 - fm) ** rho
    # a_t = fb (diag(h) - h h' / R);  c_t = cumsum a_t D1 / (R (1 - F(t-)))
    a = fb[:, None, None] * (t1[:, :, None] * np.eye(K)[None] - t1[:, :, None] * t1[:, None, :] / tr[:, None, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(nd1 > 0, nd1 / (tr * (1.0 - fm)), 0.0)
    c = np.cumsum(a * step[:, None, None], axis=0)
    k1 = K - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(at_risk, nd1[:, None] * n_risk * (1.0 - f1m) / (skmm * tq[:, None]), 0.0)
    score = (fb[:, None] * np.where(at_risk, d1 - expected, 0.0))[:, :k1].sum(axis=0)

    # cause-of-interest events
    e1 = (nd1 > 0)[:, None] & at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0)
        t3 = np.where(e1, t5 * skmm * nd1[:, None] / (tr[:, None] * n_risk), 0.0)
    t4 = np.where(e1, t4, 0.0)
    # u[t, k, i] = a[t, i, k] - t4[t, k] c[t, i, k], first K-1 rows i
    ac = np.swapaxes(a, 1, 2)[:, :, :k1]
    cc = np.swapaxes(c, 1, 2)[:, :, :k1]
    u = ac - t4[:, :, None] * cc
    var = np.einsum("tk,tki,tkj->ij", t3, u, u)
    v3 = (t4 * t4 * t3).sum(axis=0)
    v2 = np.einsum("tk,tki->ik", t4 * t3, u)

    # other-cause events
    e2 = (nd2 > 0)[:, None] & (skm > 0) & (d2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s4 = np.where(e2, (1.0 - f[:, None]) / skm, 0.0)
        s5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (n_risk - 1.0), 1.0)
        s3 = np.where(e2, s5 * skmm**2 * d2 / n_risk**2, 0.0)
    w = s4[:, :, None] * cc  # t4 c[:, i, k]
    v3 = v3 + (s4 * s4 * s3).sum(axis=0)
    v2 = v2 - np.einsum("tk,tki->ik", s4 * s3, w)
    var = var + np.einsum("tk,tki,tkj->ij", s3, w, w)

    cf = c[-1, :k1, :]  # final c(i, k), i < K
    var = var + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, var
