"""Newton-Raphson for the Cox partial likelihood, as R's ``coxfit6`` (step-halving, R's
stopping rule and its infinite-coefficient check), converged tighter than R.

The function evaluated at each step is :func:`sarcohort.stats._cox_kernel.evaluate` (or the
exact-likelihood evaluator of :mod:`sarcohort.stats._cox_exact`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sarcohort.stats._cox_efron import efron_power_sums
from sarcohort.stats._cox_kernel import CoxSetup, Evaluation, evaluate, row_groups


@dataclass(frozen=True)
class NewtonResult:
    beta: np.ndarray  # coefficients (same for centered and raw X)
    var: np.ndarray  # inverse information at beta
    loglik_init: float
    loglik: float
    score_test: float
    iterations: int  # iterations R would report (its 1e-9 rule)
    converged: bool
    infinite: np.ndarray  # bool per coefficient: monotone likelihood suspected (R's rule)
    u_init: np.ndarray
    imat_init: np.ndarray


@dataclass(frozen=True)
class Step:
    """What a Newton step needs from an evaluation (the compiled kernel returns only this)."""

    beta: np.ndarray
    loglik: float
    u: np.ndarray
    imat: np.ndarray | None


def compiled_evaluator(cs: CoxSetup) -> Callable[..., Step] | None:
    """The compiled one-pass kernel (:mod:`sarcohort.stats._cox_jit`) as an evaluator for
    :func:`newton`, or None when numba cannot be imported."""
    try:
        from sarcohort.stats._cox_jit import cox_pass, cox_pass_binned
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    n = cs.n
    cw = np.zeros(0) if cs.cw is None else np.ascontiguousarray(cs.cw)  # empty: every weight 1
    event = cs.event.view(np.uint8)
    strata = np.ascontiguousarray(cs.strata, dtype=np.int64)
    efron = cs.ties == "efron"
    if cs.entry is None:
        entry = np.zeros(0)
        e_order = np.zeros(0, dtype=np.int64)
    else:
        entry = cs.entry
        remembered = cs.memo.get("entry_order")  # a remembered time structure: computed once
        if remembered is None:
            remembered = cs.memo["entry_order"] = entry_order(entry, strata)
        e_order = remembered
    offset = np.ascontiguousarray(cs.offset, dtype=float)
    if cs.entry is None and n >= _BINNED_MIN_ROWS and cs.m * (1 + cs.p) <= _BINNED_MAX_CELLS:
        gidx = binned_groups(cs)
        cuts = _group_cuts(gidx, _BINNED_CHUNKS)
        g_stratum = np.ascontiguousarray(cs.g_stratum, dtype=np.int64)
        g_deaths = np.ascontiguousarray(cs.g_deaths, dtype=float)
        g_wdeaths = np.ascontiguousarray(cs.g_wdeaths, dtype=float)
        xd_sum = np.ascontiguousarray(cs.xd_sum, dtype=float)
        off_b = offset if cs.has_offset else np.zeros(0)
        cw_b = cw if cs.cw is not None else np.zeros(0)
        scratch = np.empty(n)
        q = cs.series_q if cs.series_q is not None or not efron else efron_power_sums(cs.g_deaths)
        series_q = np.zeros((0, 3)) if q is None else np.ascontiguousarray(q.T)

        def _eval_binned(setup: CoxSetup, beta: np.ndarray, *, info: bool = True) -> Step:
            b = np.ascontiguousarray(beta, dtype=float)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loglik, u, imat = cox_pass_binned(setup.XT, b, off_b, cw_b, event, gidx, cuts, g_stratum, g_deaths,
                                                  g_wdeaths, xd_sum, float(cs.offd_sum), efron, info, scratch,
                                                  series_q)
            return Step(b.copy(), float(loglik), u, imat if info else None)

        return _eval_binned

    def _eval(setup: CoxSetup, beta: np.ndarray, *, info: bool = True) -> Step:
        b = np.ascontiguousarray(beta, dtype=float)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loglik, u, imat = cox_pass(setup.XT, b, offset, cw, event, setup.stop, strata, efron, entry, e_order,
                                       info)
        return Step(b.copy(), float(loglik), u, imat if info else None)

    return _eval


def binned_groups(cs: CoxSetup) -> np.ndarray:
    """Each sorted row's last event group at or before its stop time (0-based), -1 for a row
    at risk at no event time: :attr:`~sarcohort.stats._cox_kernel.CoxSetup.s_idx1` less one,
    built in place from a copy not kept with the setup (a registry's rows: one n-sized array
    held by the fit, not two)."""
    s_idx1 = cs.memo.get("s_idx1")
    gidx = (row_groups(cs.stop, cs.strata, cs.g_time, cs.g_stratum, cs.base) if s_idx1 is None
            else s_idx1.copy()).astype(np.int64, copy=False)
    outside = gidx <= cs.base
    gidx -= 1
    gidx[outside] = -1
    return gidx


def entry_order(entry: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Rows by stratum, then entry time, both decreasing (stable): the order in which the
    compiled pass removes rows from the risk set at their entry. One stratum (``strata``
    sorted and equal at both ends): the stable sort of the entry times alone, the same order
    without the strata's negated copy."""
    if strata.shape[0] == 0 or strata[0] == strata[-1]:
        return np.argsort(-entry, kind="stable").astype(np.int64, copy=False)
    return np.lexsort((-entry, -strata)).astype(np.int64, copy=False)


_BINNED_MIN_ROWS = 50_000  # below this the one sequential pass is as fast
_BINNED_MAX_CELLS = 4_000_000  # event groups x (1 + p): the two per-group bins stay small
_BINNED_CHUNKS = 8  # fixed row chunks (the sums do not depend on the thread count)


def _group_cuts(gidx: np.ndarray, k: int) -> np.ndarray:
    """``k`` chunk boundaries over the rows, each moved forward to the next start of a run of
    equal ``gidx`` (the rows of an event group are contiguous), so no group spans two chunks."""
    n = gidx.shape[0]
    starts = np.flatnonzero(gidx[1:] != gidx[:-1]) + 1
    targets = np.arange(1, k) * n // k
    inner = np.append(starts, n)[np.searchsorted(starts, targets, side="left")]
    return np.concatenate(([0], inner, [n])).astype(np.int64)


class SingularInformation(np.linalg.LinAlgError):
    """The information matrix is not positive definite (collinear or constant covariates)."""


def check_information(imat: np.ndarray, toler: float = 1e-12) -> None:
    """Raise :class:`SingularInformation` unless ``imat`` is numerically positive definite
    (Cholesky pivots relative to the diagonal above ``toler``, as R's ``toler.chol``)."""
    if imat.size == 0:
        return
    d = imat.diagonal()
    try:
        L = np.linalg.cholesky(imat)  # fails on NaN and on matrices that are not positive
    except np.linalg.LinAlgError as exc:
        raise SingularInformation("information matrix is singular") from exc
    if not (L.diagonal() ** 2 >= toler * d).all():
        raise SingularInformation("information matrix is singular")


def _info(ev: Evaluation | Step) -> np.ndarray:
    if ev.imat is None:  # evaluators called by newton always compute it
        raise RuntimeError("the evaluation has no information matrix")
    return ev.imat


def _inverse(imat: np.ndarray) -> np.ndarray:
    """Inverse of the (symmetric) information; pseudo-inverse when it is singular."""
    if imat.shape[0] == 0:
        return np.zeros((0, 0))
    try:
        var = np.linalg.inv(imat)
    except np.linalg.LinAlgError:
        var = np.linalg.pinv(imat)
    var += var.T
    var *= 0.5
    return var


def newton(
    cs: CoxSetup,
    init: np.ndarray | None = None,
    *,
    max_iter: int = 30,
    eps: float = 1e-9,
    step_tol: float = 1e-10,
    evaluator: Callable[..., Evaluation | Step] = evaluate,
) -> tuple[NewtonResult, Evaluation | Step]:
    """Newton-Raphson with step-halving, as R's ``coxfit6``, converged tighter than R.

    As R: start at ``init`` (0), halve the step while the log-likelihood decreases, stop when
    ``|1 - loglik_old / loglik_new| <= eps`` (1e-9). R's stopping point can leave errors of a few
    1e-9 in the coefficients; we also stop, earlier or later, when the error left after the
    next Newton step, predicted from the quadratic convergence of the last two steps
    (``r_k^3 / r_(k-1)^2`` with ``r`` the largest step in standard errors), is below
    ``step_tol`` standard errors, and take that step; the variance, score and log-likelihood are
    then evaluated once more at the returned coefficients (R's ``var`` is taken at its returned
    ``coef``). The coefficients then equal R's tightly converged fit (``coxph.control(eps = 1e-12)``). At R's stopping point a coefficient whose
    step stays large relative to its value is flagged as infinite (R's ``toler.inf`` rule:
    monotone likelihood). ``iterations`` counts our Newton iterations.
    """
    p = cs.p
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    ev = evaluator(cs, beta)
    loglik_init, u_init, imat_init = ev.loglik, ev.u, _info(ev)
    if p == 0:
        return NewtonResult(beta, np.zeros((0, 0)), loglik_init, loglik_init, 0.0, 0, True,
                            np.zeros(0, dtype=bool), u_init, imat_init), ev
    check_information(imat_init)
    var = _inverse(imat_init)
    step = var @ ev.u
    score_test = float(ev.u @ step)
    infinite = np.zeros(p, dtype=bool)

    def done(b, v, e, it, conv):
        if not np.array_equal(b, e.beta):  # the last Newton step was taken without evaluation:
            e = evaluator(cs, b)  # the variance and log-likelihood at the returned coefficients
            v = _inverse(_info(e))
        return NewtonResult(beta=b, var=v, loglik_init=loglik_init, loglik=e.loglik, score_test=score_test,
                            iterations=it, converged=conv, infinite=infinite, u_init=u_init,
                            imat_init=imat_init), e

    def size(st, v):  # largest step in standard errors (NaN when v is not positive)
        d = v.diagonal()
        if not (d > 0).all():
            return float("nan")
        return float((np.abs(st) / np.sqrt(d)).max())

    prev = size(step, var)
    if prev <= step_tol:
        return done(beta + step, var, ev, 0, True)
    cur = ev
    newbeta = beta + step
    halving = 0
    for it in range(1, max_iter + 1):
        new = evaluator(cs, newbeta)
        finite = math.isfinite(new.loglik)
        r_conv = finite and halving == 0 and abs(1 - cur.loglik / new.loglik) <= eps
        if not r_conv and (not finite or new.loglik < cur.loglik):
            halving += 1
            newbeta = (newbeta + beta) / 2
            continue
        halving = 0
        var = _inverse(_info(new))
        step = var @ new.u
        if r_conv:
            infs = np.abs(step)
            infinite = ~np.isfinite(new.u) | ((infs > eps) & (infs > np.sqrt(eps) * np.abs(newbeta)))
            if infinite.any():
                return done(newbeta, var, new, it, True)
        r = size(step, var)
        if r <= step_tol or r**3 <= step_tol * prev**2:
            return done(newbeta + step, var, new, it, True)
        prev = r
        if r_conv and new.loglik <= cur.loglik:  # R's rule met, no further progress possible
            return done(newbeta, var, new, it, True)
        cur, beta = new, newbeta
        newbeta = beta + step
    return done(beta, _inverse(_info(cur)), cur, max_iter, False)
