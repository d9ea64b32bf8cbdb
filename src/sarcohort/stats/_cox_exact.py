"""Exact partial likelihood for tied event times (R's ``ties = "exact"``, survival's ``coxexact``).

At an event time with d deaths among the risk set R the contribution is the conditional
(discrete logistic) likelihood ``exp(sum_deaths eta) / sum_{S subset R, |S| = d} exp(sum_S eta)``.
The denominator and its first and second derivatives are elementary symmetric sums, built by
the recursion ``E_k <- E_k + w E_{k-1}`` over the members of the risk set (Gail, Lubin and
Rubinstein 1981). At times with one death this is the ordinary (Breslow) term. The loop over
event times and risk-set members is compiled (:mod:`sarcohort.stats._cox_exact_kernel`).

As R, exact fits refuse case weights, robust (sandwich) variances and the score, Schoenfeld
and dfbeta residuals (R: "not available for the exact method").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sarcohort.exceptions import InputError
from sarcohort.stats._cox_kernel import CoxSetup, Evaluation, evaluate


def _risk_rows(cs: CoxSetup, g: int) -> np.ndarray:
    t = cs.g_time[g]
    at = (cs.strata == cs.g_stratum[g]) & (cs.stop >= t)
    if cs.entry is not None:
        at &= cs.entry < t
    return np.flatnonzero(at)


def exact_terms(cs: CoxSetup, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Log exact partial likelihood, score and information at ``beta`` (centered X): the
    compiled kernel (:mod:`sarcohort.stats._cox_exact_kernel`), or a Python loop without numba."""
    try:
        from sarcohort.stats._cox_exact_kernel import exact_terms_jit, exact_terms_nested
    except ImportError:  # pragma: no cover - numba is a dependency
        return exact_terms_python(cs, beta)
    eta = cs.X @ beta + cs.offset
    g_end = np.searchsorted(cs.strata, cs.g_stratum, side="right").astype(np.int64)
    gstart = np.r_[cs.death_gstart, cs.death_rows.size].astype(np.int64)
    if cs.entry is None:  # nested risk sets: one backward pass per stratum
        loglik, u, imat = exact_terms_nested(cs.XT, eta, cs.death_rows.astype(np.int64), gstart, g_end)
        return float(loglik), u, imat
    entry = cs.entry
    loglik, u, imat = exact_terms_jit(cs.XT, eta, cs.stop, entry, cs.death_rows.astype(np.int64), gstart,
                                      cs.g_time, g_end)
    return float(loglik), u, imat


def exact_terms_python(cs: CoxSetup, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The same as :func:`exact_terms`, a Python loop over event times and risk-set members."""
    p = cs.p
    X = cs.X
    eta = X @ beta + cs.offset
    loglik = 0.0
    u = np.zeros(p)
    imat = np.zeros((p, p))
    starts = np.r_[cs.death_gstart, cs.death_rows.size]
    for g in range(cs.m):
        deaths = cs.death_rows[starts[g]:starts[g + 1]]
        d = deaths.size
        rows = _risk_rows(cs, g)
        shift = eta[rows].max()
        w = np.exp(eta[rows] - shift)
        xr = X[rows]
        if d == 1:  # a single death: the ordinary term, no recursion needed
            s0 = w.sum()
            mean = (w @ xr) / s0
            loglik += float(eta[deaths].sum() - (np.log(s0) + shift))
            u += X[deaths].sum(axis=0) - mean
            imat += (xr * w[:, None]).T @ xr / s0 - np.outer(mean, mean)
            continue
        E = np.zeros(d + 1)
        E[0] = 1.0
        F = np.zeros((d + 1, p))
        G = np.zeros((d + 1, p, p))
        for wi, xi in zip(w, xr, strict=True):
            xx = np.outer(xi, xi)
            # update k = d..1 from the previous values (copy-free: slices on the old arrays)
            G[1:] = G[1:] + wi * (G[:-1] + xi[None, :, None] * F[:-1, None, :]
                                  + F[:-1, :, None] * xi[None, None, :] + xx[None] * E[:-1, None, None])
            F[1:] = F[1:] + wi * (F[:-1] + xi[None, :] * E[:-1, None])
            E[1:] = E[1:] + wi * E[:-1]
        loglik += float(eta[deaths].sum() - (np.log(E[d]) + d * shift))
        mean = F[d] / E[d]
        u += X[deaths].sum(axis=0) - mean
        imat += G[d] / E[d] - np.outer(mean, mean)
    return loglik, u, (imat + imat.T) / 2


def exact_evaluator(cs: CoxSetup) -> Callable[..., Evaluation]:
    """An evaluator for :func:`sarcohort.stats._cox_newton.newton` using the exact likelihood.

    The returned :class:`Evaluation` carries the Breslow per-time pieces at the same beta
    (what R uses for residuals, baseline hazard and ``cox.zph`` after an exact fit).
    """
    if cs.cw is not None:
        raise InputError("case weights are not supported with ties='exact'", argument="weights",
                         fix="use ties='efron' or 'breslow'")

    def _eval(setup: CoxSetup, beta: np.ndarray, *, info: bool = True) -> Evaluation:
        base = evaluate(setup, beta, info=False)
        loglik, u, imat = exact_terms(setup, beta)
        return replace(base, loglik=loglik, u=u, imat=imat)

    return _eval
