"""Many Cox fits at once: bootstrap replicates as frequency weights, one batched Newton-Raphson.

A bootstrap replicate of n rows is a vector of counts ``c`` (how often each original row was
drawn). A fit to the resampled rows is a fit to the original rows with frequency weights ``c``:
the Breslow likelihood is the weighted one, and Efron's tie correction counts ``d = sum c`` tied
deaths (a row drawn twice is two tied deaths, as in the resampled data set; R's case weights
would not do that). All replicates are fitted together: the data are sorted once, and every
Newton step computes, for all replicates at once, the risk-set sums of ``w``, ``w x`` and
``w x x'`` (``w = c exp(x'b)``) as reverse cumulative sums over the sorted rows, laid out
(rows, replicates, terms) so that each sum is one vectorised pass.

Convergence is per replicate, as :func:`sarcohort.stats.cox_newton.newton`: step-halving when
the log-likelihood decreases, and a final Newton step once the step is below ``1e-9``
standard errors, so each replicate equals ``sc.cox`` on the resampled rows to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchFit", "cox_batch"]


@dataclass(frozen=True)
class BatchFit:
    """Coefficients and log-likelihoods of B fits (one row per replicate)."""

    coef: np.ndarray  # (B, p)
    loglik: np.ndarray  # (B,) at the estimate
    loglik_null: np.ndarray  # (B,) at 0
    var: np.ndarray  # (B, p, p) inverse information at the estimate
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool (False: no convergence, or a singular information)


@dataclass(frozen=True)
class _Layout:
    order: np.ndarray
    first: np.ndarray  # (m,) first sorted row at risk at each event group (its deaths first)
    dend: np.ndarray  # (m,) end of the group's death rows
    send: np.ndarray  # (m,) end of the group's stratum
    dead: np.ndarray  # (n,) bool, sorted


def _layout(time: np.ndarray, event: np.ndarray, strata: np.ndarray | None) -> _Layout:
    n = time.shape[0]
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    order = np.lexsort((~event, time, s))
    t, e, ss = time[order], event[order], s[order]
    rows = np.flatnonzero(e)
    new = np.ones(rows.size, dtype=bool)
    new[1:] = (t[rows[1:]] != t[rows[:-1]]) | (ss[rows[1:]] != ss[rows[:-1]])
    first = rows[new]
    # deaths of a group are contiguous from ``first``: count them
    gid = np.cumsum(new) - 1
    nd = np.bincount(gid, minlength=first.size)
    dend = first + nd
    sbreak = np.flatnonzero(np.append(ss[1:] != ss[:-1], True)) + 1  # end of each stratum run
    send = sbreak[np.searchsorted(sbreak, first, side="right")]
    return _Layout(order=order, first=first, dend=dend, send=send, dead=e)


class _Problem:
    """Sorted data of a batch; evaluates loglik, score and information for a set of replicates.

    Rows are held in DEcreasing (stratum, time) order, so the risk-set sums (suffix sums of the
    increasing order) are prefix sums: one forward ``cumsum`` over contiguous rows. The
    information needs no p x p sums over the risk sets: ``sum_g a_g S2_g = X' diag(w H) X``
    with ``H`` each row's hazard over the event times at which it is at risk (less Efron's
    share for its own death), as in :mod:`sarcohort.stats._cox_kernel`.
    """

    def __init__(self, time, event, X, counts, strata, ties):
        time = np.asarray(time, dtype=float)
        event = np.asarray(event, dtype=bool)
        self.lay = lay = _layout(time, event, strata)
        n = time.shape[0]
        o = lay.order[::-1]  # decreasing
        self.shared = X.ndim == 2
        if self.shared:
            Xs = np.ascontiguousarray(X[o] - X.mean(axis=0))
            iu, ju = np.triu_indices(Xs.shape[1])
            self.XX = np.ascontiguousarray(Xs[:, iu] * Xs[:, ju])  # (n, p(p+1)/2)
        else:  # (B, n, p) -> (n, B, p), per-replicate centering
            Xs = np.ascontiguousarray((X - X.mean(axis=1, keepdims=True))[:, o].transpose(1, 0, 2))
        self.X = Xs
        self.p = p = X.shape[-1]
        self.iu, self.ju = np.triu_indices(p)
        self.c = np.ascontiguousarray(counts[:, o].T)  # (n, B)
        self.efron = ties == "efron"
        dead = lay.dead[::-1]
        ce = self.c * dead[:, None]
        # positions in the decreasing order: sorted row i -> n - 1 - i; a suffix [i, e) of the
        # increasing order is the prefix range [n - e, n - i)
        self.hi = n - lay.first  # prefix end of each group's risk set
        self.lo = n - lay.send  # prefix start (end of the stratum)
        self.dlo = n - lay.dend  # prefix start of the group's deaths
        P = np.vstack([np.zeros((1, ce.shape[1])), np.cumsum(ce, axis=0)])
        self.d = P[self.hi] - P[self.dlo]  # (m, B) tied deaths per group and replicate
        if self.shared:
            self.xd = ce.T @ Xs  # (B, p)
        else:
            self.xd = np.einsum("nb,nbp->bp", ce, Xs)
        m = lay.first.size
        # each row (decreasing order): groups at risk = (base, last]; own death group
        inc = np.arange(n)  # increasing position
        last = np.searchsorted(lay.first, inc, side="right")  # groups with first <= i
        gs = np.searchsorted(lay.send, inc, side="right")  # groups whose stratum ends before i
        self.row_last = last[::-1].copy()
        self.row_base = np.minimum(gs, last)[::-1].copy()
        gid = np.full(n, -1)
        for g in range(m):
            gid[lay.first[g]:lay.dend[g]] = g
        self.row_death = gid[::-1].copy()
        self.death_rows = np.flatnonzero(self.row_death >= 0)
        self.K = int(self.d.max()) if self.d.size else 0

    def evaluate(self, beta: np.ndarray, idx: np.ndarray, info: bool = True):
        """loglik (b,), score (b, p), information (b, p, p) for replicates ``idx``."""
        p = self.p
        c = self.c[:, idx]
        X = self.X if self.shared else self.X[:, idx]
        eta = X @ beta.T if self.shared else np.einsum("nbp,bp->nb", X, beta)
        shift = eta.max(axis=0)
        r = c * np.exp(eta - shift)  # (n, b)
        n, nb = r.shape
        Z = np.empty((n + 1, 1 + p, nb))
        Z[0] = 0.0
        Z[1:, 0] = r
        if self.shared:
            np.multiply(X[:, :, None], r[:, None, :], out=Z[1:, 1:])
        else:
            np.multiply(X.transpose(0, 2, 1), r[:, None, :], out=Z[1:, 1:])
        np.cumsum(Z, axis=0, out=Z)
        S = Z[self.hi] - Z[self.lo]  # (m, 1 + p, b)
        d = self.d[:, idx]
        S0 = S[:, 0]
        D = None
        if self.efron and self.K > 1:
            D = Z[self.hi] - Z[self.dlo]
            a1, af, b0, bf, bff, logsum = _efron_sums(S0, D[:, 0], d, self.K)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                S0 = np.where(d > 0, S0, 1.0)
                a1 = d / S0
                logsum = d * np.log(S0)
            af = bf = bff = None
            b0 = a1 / S0
        # sum c e eta = xd . beta (X centered); the log terms used eta - shift: add it back
        loglik = np.einsum("bp,bp->b", self.xd[idx], beta) - logsum.sum(axis=0) - shift * d.sum(axis=0)
        S1 = S[:, 1:]  # (m, p, b)
        u = self.xd[idx] - np.einsum("mpb,mb->bp", S1, a1)
        if D is not None:
            D1 = D[:, 1:]
            u += np.einsum("mpb,mb->bp", D1, af)
        if not info:
            return loglik, u, None
        # each row's hazard over its risk sets, less Efron's share at its own death
        cum = np.vstack([np.zeros((1, nb)), np.cumsum(a1, axis=0)])  # (m + 1, b)
        H = cum[self.row_last] - cum[self.row_base]  # (n, b)
        if af is not None:
            dr = self.death_rows
            H[dr] -= af[self.row_death[dr]]
        rh = r * H
        imat = np.empty((nb, p, p))
        if self.shared:
            s2 = rh.T @ self.XX  # (b, p(p+1)/2)
            imat[:, self.iu, self.ju] = s2
            imat[:, self.ju, self.iu] = s2
        else:
            imat[:] = np.einsum("nb,nbi,nbj->bij", rh, X, X)
        S1b = S1.transpose(2, 0, 1)  # (b, m, p)
        imat -= np.matmul(S1b.transpose(0, 2, 1) * b0.T[:, None, :], S1b)
        if D is not None:
            D1b = D1.transpose(2, 0, 1)
            t1 = np.matmul(S1b.transpose(0, 2, 1) * bf.T[:, None, :], D1b)
            imat += t1 + t1.transpose(0, 2, 1) - np.matmul(D1b.transpose(0, 2, 1) * bff.T[:, None, :], D1b)
        return loglik, u, imat


def _efron_sums(S0, D0, d, K):
    """Efron's sums over k < d of 1/den, k/d/den, 1/den^2, (k/d)/den^2, (k/d)^2/den^2 and
    log den, den = S0 - (k/d) D0, for (m, b) arrays; only the entries with ties loop over k."""
    with np.errstate(divide="ignore", invalid="ignore"):
        S0s = np.where(d > 0, S0, 1.0)
        a1 = np.minimum(d, 1) / S0s
        logsum = np.where(d > 0, np.log(S0s), 0.0)
    af = np.zeros_like(a1)
    b0 = a1 / S0s
    bf = np.zeros_like(a1)
    bff = np.zeros_like(a1)
    tied = np.nonzero(d > 1)
    if tied[0].size:
        dt, s0, d0 = d[tied], S0[tied], D0[tied]
        A1, AF, B0, BF, BFF, LS = (np.zeros(dt.size) for _ in range(6))
        for k in range(1, K):
            sel = np.flatnonzero(dt > k)
            if not sel.size:
                break
            f = k / dt[sel]
            inv = 1.0 / (s0[sel] - f * d0[sel])
            inv2 = inv * inv
            A1[sel] += inv
            AF[sel] += f * inv
            B0[sel] += inv2
            BF[sel] += f * inv2
            BFF[sel] += f * f * inv2
            LS[sel] -= np.log(inv)
        a1[tied] += A1
        af[tied] = AF
        b0[tied] += B0
        bf[tied] = BF
        bff[tied] = BFF
        logsum[tied] += LS
    return a1, af, b0, bf, bff, logsum


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
    prob = _Problem(time, event, X, counts, strata, ties)
    p = prob.p
    ll0 = prob.evaluate(np.zeros((B, p)), np.arange(B), info=False)[0]
    beta = np.zeros((B, p)) if init is None else np.broadcast_to(np.asarray(init, dtype=float), (B, p)).copy()
    ll, u, imat = prob.evaluate(beta, np.arange(B))
    coef = np.zeros((B, p))
    var = np.full((B, p, p), np.nan)
    iters = np.zeros(B, dtype=np.int64)
    conv = np.zeros(B, dtype=bool)
    active = np.arange(B)
    cur_b, cur_ll = beta, ll
    step, v = _steps(imat, u)
    fresh = np.ones(B, dtype=bool)  # step and v were computed at cur_b (not halving)
    trial = cur_b + step
    for it in range(1, max_iter + 1):
        size = np.where(fresh, _size(step, v), np.inf)
        done = fresh & (size <= step_tol)
        bad = fresh & np.isnan(size)  # singular information: left unconverged
        if done.any():
            rows = active[done]
            coef[rows], var[rows], conv[rows], iters[rows] = trial[done], v[done], True, it - 1
        if bad.any():
            coef[active[bad]] = np.nan
        keep = ~done & ~bad
        active, cur_b, cur_ll, trial = active[keep], cur_b[keep], cur_ll[keep], trial[keep]
        step, v = step[keep], v[keep]
        if active.size == 0:
            break
        ll_t, u_t, i_t = prob.evaluate(trial, active)
        worse = ~np.isfinite(ll_t) | (ll_t < cur_ll - 1e-12 * np.abs(cur_ll))
        ok = ~worse
        fresh = ok
        if ok.any():
            cur_b[ok], cur_ll[ok] = trial[ok], ll_t[ok]
            step[ok], v[ok] = _steps(i_t[ok], u_t[ok])
        trial = np.where(worse[:, None], (trial + cur_b) / 2, cur_b + step)
        iters[active] = it
    if active.size:
        coef[active] = cur_b
    final_ll, _, _ = prob.evaluate(np.nan_to_num(coef), np.arange(B), info=False)
    good = conv & np.isfinite(final_ll)
    return BatchFit(coef=coef, loglik=final_ll, loglik_null=ll0, var=np.where(good[:, None, None], var, np.nan),
                    iterations=iters, converged=good)


def _steps(imat: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps and inverse informations (NaN where the information is singular)."""
    try:
        v = np.linalg.inv(imat)
    except np.linalg.LinAlgError:
        v = np.empty_like(imat)
        for b in range(imat.shape[0]):
            try:
                v[b] = np.linalg.inv(imat[b])
            except np.linalg.LinAlgError:
                v[b] = np.nan
    v = (v + v.transpose(0, 2, 1)) / 2
    return np.einsum("bij,bj->bi", v, u), v


def _size(step: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Largest step in standard errors per replicate (inf/NaN when undefined)."""
    d = np.diagonal(v, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.abs(step) / np.sqrt(d)
    out = r.max(axis=1) if r.shape[1] else np.zeros(r.shape[0])
    return np.where((d > 0).all(axis=1), out, np.nan)
