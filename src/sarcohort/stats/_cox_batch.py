"""Many Cox fits at once: bootstrap replicates as frequency weights, one batched Newton-Raphson.

A bootstrap replicate of n rows is a vector of counts ``c`` (how often each original row was
drawn). A fit to the resampled rows is a fit to the original rows with frequency weights ``c``:
the Breslow likelihood is the weighted one, and Efron's tie correction counts ``d = sum c`` tied
deaths (a row drawn twice is two tied deaths, as in the resampled data set; R's case weights
would not do that). All replicates are fitted in one call of a compiled kernel
(:mod:`sarcohort.stats._cox_batch_kernel`): the data are sorted once, and each replicate's
Newton-Raphson runs survival's ``coxfit6`` arithmetic on the sorted rows with its weights, the
replicates in parallel.

Convergence is per replicate, as :func:`sarcohort.stats._cox_newton.newton`: step-halving when
the log-likelihood decreases, and a final Newton step once the step is below ``1e-9``
standard errors, so each replicate equals ``sc.cox`` on the resampled rows to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sarcohort.stats._cox_batch_kernel import batch_newton


@dataclass(frozen=True)
class BatchFit:
    """Coefficients and log-likelihoods of B fits (one row per replicate)."""

    coef: np.ndarray  # (B, p)
    loglik: np.ndarray  # (B,) at the estimate
    loglik_null: np.ndarray  # (B,) at 0
    var: np.ndarray  # (B, p, p) inverse information at the estimate
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool (False: no convergence, or a singular information)



def cox_batch(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    counts: np.ndarray | None = None,
    *,
    strata: np.ndarray | None = None,
    ties: str = "efron",
    max_iter: int = 30,
    step_tol: float = 1e-9,
    init: np.ndarray | None = None,
) -> BatchFit:
    """Fit B Cox models at once.

    Parameters
    ----------
    time, event
        Follow-up times and event indicators of the n original rows.
    X
        Covariates: (n, p) shared by all replicates, or (B, n, p), one design per replicate.
    counts
        (B, n) frequency weights: how often each row enters each replicate (bootstrap draws);
        None = all 1 (B from ``X``).
    strata
        Integer stratum codes (pairs and risk sets within strata).
    ties
        ``"efron"`` (tied deaths counted with their frequencies) or ``"breslow"``.
    max_iter, step_tol
        Newton iterations allowed; the final-step rule in standard errors.
    init
        (p,) or (B, p) starting values (e.g. the full-data estimate for bootstrap replicates:
        fewer iterations, the same maximum); 0 by default, as R.
    """
    X = np.asarray(X, dtype=float)
    n = np.asarray(time).shape[0]
    if X.ndim == 2:
        X = X.reshape(n, -1)
    if counts is None:
        if X.ndim != 3:
            raise ValueError("counts are needed with a shared X")
        counts = np.ones((X.shape[0], n))
    counts = np.asarray(counts, dtype=float)
    B = counts.shape[0]
    if ties == "efron" and np.any(counts != np.round(counts)):
        raise ValueError("Efron ties need whole-number frequency weights (bootstrap counts)")
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    sk = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    order = np.lexsort((~event, time, sk))
    sks = sk[order]
    sbreak = np.flatnonzero(np.concatenate(([True], sks[1:] != sks[:-1]))).astype(np.int64)
    if X.ndim == 2:
        X3 = np.ascontiguousarray((X - X.mean(axis=0))[order][None])
    else:
        X3 = np.ascontiguousarray((X - X.mean(axis=1, keepdims=True))[:, order])
    p = X3.shape[2]
    init_b = np.zeros((B, p)) if init is None else np.ascontiguousarray(
        np.broadcast_to(np.asarray(init, dtype=float), (B, p)))
    coef = np.zeros((B, p))
    var = np.full((B, p, p), np.nan)
    loglik = np.empty(B)
    loglik0 = np.empty(B)
    iters = np.zeros(B, dtype=np.int64)
    conv = np.zeros(B, dtype=np.bool_)
    batch_newton(X3, np.ascontiguousarray(counts[:, order]), np.ascontiguousarray(time[order]),
                 np.ascontiguousarray(event[order]), sbreak, ties == "efron", init_b, int(max_iter),
                 float(step_tol), coef, var, loglik, loglik0, iters, conv)
    good = conv & np.isfinite(loglik)
    return BatchFit(coef=coef, loglik=loglik, loglik_null=loglik0,
                    var=np.where(good[:, None, None], var, np.nan), iterations=iters, converged=good)
