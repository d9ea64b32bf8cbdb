"""Numerical kernel of the Fine-Gray subdistribution hazards model (as ``cmprsk::crr``).

Data sorted by time; ``status`` 1 = event of interest, 2 = competing event, 0 = censored.
At a time ``u`` the risk set holds everyone still in follow-up (``t >= u``, weight
``exp(x'b)``) and everyone who had the competing event earlier, weighted by
``G(u-)/G(t-)`` (``G`` the Kaplan-Meier curve of censoring, at left limits, as ``crr``).
So with ``A(u) = sum_{t_j >= u} exp(x_j'b)`` and ``B(u) = sum_{competing, t_j < u}
exp(x_j'b) / G(t_j-)``, the weighted sum is ``S0(u) = A(u) + G(u-) B(u)`` (and likewise
``S1``, ``S2`` with ``x`` and ``x x'``): two cumulative sums, no n-by-n loop.

The sandwich variance is ``crr``'s: ``H^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') H^-1``,
``eta_i`` the subject's score residual and ``psi_i`` the correction for estimating ``G``
(Fine and Gray 1999, section 4), each reduced to cumulative sums over the distinct times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FineGrayData:
    """Sorted data and the per-time structure shared by every evaluation."""

    X: np.ndarray  # (n, p) sorted by time
    status: np.ndarray  # (n,) 0/1/2
    tidx: np.ndarray  # (n,) index of each row's distinct time
    times: np.ndarray  # (T,) distinct times
    g_minus: np.ndarray  # (T,) censoring KM just before each distinct time
    d1: np.ndarray  # (T,) events of interest
    n_cens: np.ndarray  # (T,) censorings
    n_risk: np.ndarray  # (T,) number with time >= t
    order: np.ndarray  # sorting permutation of the input rows


def prepare(time: np.ndarray, status: np.ndarray, X: np.ndarray) -> FineGrayData:
    """Sort once and compute the censoring curve ``G(t-)`` at the distinct times."""
    order = np.argsort(time, kind="stable")
    t = time[order]
    st = status[order]
    times, tidx = np.unique(t, return_inverse=True)
    T = times.size
    n_at = np.bincount(tidx, minlength=T).astype(float)
    n_cens = np.bincount(tidx, weights=(st == 0).astype(float), minlength=T)
    d1 = np.bincount(tidx, weights=(st == 1).astype(float), minlength=T)
    n_risk = np.cumsum(n_at[::-1])[::-1]
    g = np.cumprod(1.0 - n_cens / n_risk)
    g_minus = np.concatenate(([1.0], g[:-1]))
    return FineGrayData(np.ascontiguousarray(X[order], dtype=float), st, tidx, times, g_minus, d1, n_cens,
                        n_risk, order)


def _sums(fd: FineGrayData, beta: np.ndarray, second: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray, np.ndarray | None]:
    """``S0, S1, S2`` at every distinct time, and ``B0, B1, B2`` (competing, strictly earlier)."""
    X = fd.X
    T = fd.times.size
    eta = X @ beta
    w = np.exp(eta)
    comp = (fd.status == 2).astype(float) / fd.g_minus[fd.tidx]
    a0 = np.bincount(fd.tidx, weights=w, minlength=T)
    b0 = np.bincount(fd.tidx, weights=w * comp, minlength=T)
    a1 = np.zeros((T, X.shape[1]))
    b1 = np.zeros((T, X.shape[1]))
    np.add.at(a1, fd.tidx, w[:, None] * X)
    np.add.at(b1, fd.tidx, (w * comp)[:, None] * X)
    # A: reverse cumulative (t_j >= u); B: cumulative over strictly earlier times
    A0 = np.cumsum(a0[::-1])[::-1]
    A1 = np.cumsum(a1[::-1], axis=0)[::-1]
    B0 = np.concatenate(([0.0], np.cumsum(b0)[:-1]))
    B1 = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(b1, axis=0)[:-1]])
    S0 = A0 + fd.g_minus * B0
    S1 = A1 + fd.g_minus[:, None] * B1
    S2 = B2 = None
    if second:
        outer = (w[:, None, None] * X[:, :, None] * X[:, None, :])
        a2 = np.zeros((T, X.shape[1], X.shape[1]))
        b2 = np.zeros_like(a2)
        np.add.at(a2, fd.tidx, outer)
        np.add.at(b2, fd.tidx, outer * comp[:, None, None])
        A2 = np.cumsum(a2[::-1], axis=0)[::-1]
        B2 = np.concatenate([np.zeros((1,) + a2.shape[1:]), np.cumsum(b2, axis=0)[:-1]])
        S2 = A2 + fd.g_minus[:, None, None] * B2
    return S0, S1, S2, B0, B1, B2


def objective(fd: FineGrayData, beta: np.ndarray, derivatives: bool = True
              ) -> tuple[float, np.ndarray, np.ndarray]:
    """Minus the log pseudo-partial likelihood, its gradient and Hessian (``crr``'s ``crrfsv``).

    Ties (several events of interest at one time) are handled as Breslow's.
    """
    S0, S1, S2, *_ = _sums(fd, beta, derivatives)
    ev = fd.d1 > 0
    x_ev = fd.X[fd.status == 1]
    f = -float(np.sum(x_ev @ beta)) + float(np.sum(fd.d1[ev] * np.log(S0[ev])))
    if not derivatives:
        return f, np.zeros(0), np.zeros((0, 0))
    xbar = S1[ev] / S0[ev, None]
    grad = -x_ev.sum(axis=0) + (fd.d1[ev, None] * xbar).sum(axis=0)
    assert S2 is not None
    hess = np.einsum("t,tij->ij", fd.d1[ev] / S0[ev], S2[ev]) - np.einsum("t,ti,tj->ij", fd.d1[ev], xbar, xbar)
    return f, grad, hess


def sandwich(fd: FineGrayData, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``crr``'s information matrix ``H`` and the middle of the sandwich ``sum (eta+psi)(eta+psi)'``."""
    S0, S1, S2, B0, B1, _ = _sums(fd, beta, True)
    assert S2 is not None
    X, st, ti = fd.X, fd.status, fd.tidx
    p = X.shape[1]
    d1 = fd.d1
    ev = d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = np.where(ev[:, None], S1 / S0[:, None], 0.0)
        inv0 = np.where(ev, d1 / S0, 0.0)  # d_k / S0_k
    hess = np.einsum("t,tij->ij", inv0, S2) - np.einsum("t,ti,tj->ij", d1, xbar, xbar)
    w = np.exp(X @ beta)
    # (a) event times u_k <= t_i, subject at risk with weight w_i
    cA = np.cumsum(inv0)
    cB = np.cumsum(inv0[:, None] * xbar, axis=0)
    eta_res = -w[:, None] * (X * cA[ti, None] - cB[ti])
    # (b) competing event before u_k: weight w_i G(u_k-)/G(t_i-), u_k > t_i
    gk = inv0 * fd.g_minus
    tailA = np.cumsum(gk[::-1])[::-1]  # sum over u_k >= t
    tailB = np.cumsum((gk[:, None] * xbar)[::-1], axis=0)[::-1]
    nextA = np.concatenate((tailA[1:], [0.0]))  # strictly later
    nextB = np.vstack([tailB[1:], np.zeros((1, p))])
    comp = st == 2
    scale = (w / fd.g_minus[ti])[comp]
    eta_res[comp] -= scale[:, None] * (X[comp] * nextA[ti[comp], None] - nextB[ti[comp]])
    # dN part
    one = st == 1
    eta_res[one] += X[one] - xbar[ti[one]]
    # psi: censoring-distribution correction, q(s) at the censoring times s
    q = B1 * tailA[:, None] - B0[:, None] * tailB  # u_k >= s, competing t_j < s
    cens = fd.n_cens > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = np.where(cens[:, None], fd.n_cens[:, None] * q / fd.n_risk[:, None] ** 2, 0.0)
        own = np.where(cens[:, None], q / fd.n_risk[:, None], 0.0)
    psi = -np.cumsum(jump, axis=0)[ti]
    zero = st == 0
    psi[zero] += own[ti[zero]]
    resid = eta_res + psi
    return hess, resid.T @ resid
