"""Test of the proportional hazards assumption, as survival 3.x ``cox.zph``.

For each term, a score test at the fitted beta for adding the interaction of its covariates
with a function g(t) of time (``transform``: ``"km"`` = 1 - left-continuous Kaplan-Meier,
``"identity"``, ``"rank"``, ``"log"``), g centered at its mean over the events; a factor is
one row with as many degrees of freedom as columns; GLOBAL tests all columns together. The
information matrix of the augmented model has blocks ``sum_t g^a(t) I(t)`` (a = 0, 1, 2),
each computed on the per-time aggregates: the risk-set part is one ``X' diag(w H_a) X``
product, as for the fit. ``cluster()`` is ignored, as R ignores it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError
from sarcohort.stats._cox_kernel import CoxSetup, Evaluation, _cum_at_rows

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats.cox_result import CoxResult

_TRANSFORMS = ("km", "identity", "rank", "log")


@dataclass(frozen=True)
class ZphResult:
    """Rows: the terms, then ``GLOBAL``; chi-square, df and p-value of each."""

    rows: tuple[str, ...]
    chisq: np.ndarray
    df: np.ndarray
    p: np.ndarray
    transform: str

    def to_frame(self) -> pd.DataFrame:
        """One row per term plus GLOBAL."""
        import pandas as pd

        return pd.DataFrame({"chisq": self.chisq, "df": self.df, "p": self.p},
                            index=pd.Index(self.rows, name="term"))


def _sorted_unique(stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(stop, return_inverse=True)``; without its sort (a permutation and a sorted
    copy of the rows) when ``stop`` is already in order, as the rows of one stratum are."""
    if stop.size > 1 and bool(np.all(stop[1:] >= stop[:-1])):
        new = np.empty(stop.size, dtype=bool)
        new[0] = True
        np.not_equal(stop[1:], stop[:-1], out=new[1:])
        inv = np.cumsum(new, dtype=np.intp)
        inv -= 1
        return stop[new], inv
    return np.unique(stop, return_inverse=True)


def _km_left(cs: CoxSetup) -> np.ndarray:
    """1 - S(t-) of the pooled Kaplan-Meier (all strata together) at each row's stop time."""
    times, inv = _sorted_unique(cs.stop)
    d = np.bincount(inv, cs.event, minlength=times.size)
    out = np.bincount(inv, minlength=times.size).astype(float)
    n_risk = np.cumsum(out[::-1])[::-1]
    if cs.entry is not None:
        e = np.sort(cs.entry)
        n_risk = n_risk - (e.size - np.searchsorted(e, times, side="left"))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, 1 - d / n_risk, 1.0)
    surv = np.cumprod(factor)
    s_left = np.r_[1.0, surv[:-1]]
    return 1.0 - s_left[inv]


def _transform_times(cs: CoxSetup, transform: str) -> np.ndarray:
    if transform == "identity":
        return cs.stop.copy()
    if transform == "log":
        return np.log(cs.stop)
    if transform == "rank":
        from scipy.stats import rankdata  # rare transform: the heavy import only here

        return rankdata(cs.stop)
    return _km_left(cs)


def _score_terms(cs: CoxSetup, ev: Evaluation, gtime_rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """What both forms of :func:`zph_score` start from: the death rows and their groups, g(t)
    per event time, the tie pairs' groups, multiplicities and fractions, the hazard
    increment of each pair, and the rows' risk weights (times case weights)."""
    dr, dg = cs.death_rows, cs.death_group
    gt = np.zeros(cs.m)
    gt[dg] = gtime_rows[dr]
    pg, mult, frac = cs.pair_group, cs.pair_mult, cs.pair_frac
    w = ev.risk if cs.cw is None else ev.risk * cs.cw
    return dr, dg, gt, pg, mult, frac, mult / ev.pair_denom, w


def zph_score(cs: CoxSetup, ev: Evaluation, gtime_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score (2p) and information (2p x 2p) of the model with x * g(t) added, at (beta, 0).

    The passes over the rows are compiled (:mod:`sarcohort.stats._zph_jit`, the same numbers
    bit for bit) when numba imports; :func:`_zph_score_numpy` otherwise."""
    try:
        from sarcohort.stats._zph_jit import risk_weights, score_sums
    except ImportError:  # pragma: no cover - numba is a dependency
        return _zph_score_numpy(cs, ev, gtime_rows)
    dr, dg, gt, pg, mult, frac, h, w = _score_terms(cs, ev, gtime_rows)
    cwd = np.ones(0) if cs.cw is None else cs.cw[dr]
    X = cs.X
    pxb = ev.pair_xbar
    u1, u2 = score_sums(cs.XT, dr, dg, cwd, cs.cw is not None, gt, np.ascontiguousarray(pxb.T), mult, pg)
    gps = np.vstack([gt**power for power in (0, 1, 2)])
    e_idx1 = np.zeros(0, dtype=np.intp) if cs.e_idx1 is None else cs.e_idx1
    v = risk_weights(h, frac, pg, gps, cs.s_idx1, cs.base, e_idx1, cs.e_idx1 is not None, w, dr, dg)
    blocks = []
    for power in (0, 1, 2):
        a = weighted_cross(X, v[power]) - weighted_cross(pxb, mult * gps[power][pg])
        blocks.append((a + a.T) / 2)
    imat = np.block([[blocks[0], blocks[1]], [blocks[1], blocks[2]]])
    return np.r_[u1, u2], imat


BLOCK_ROWS = 1 << 18  # rows per block of the sums over a registry's rows (no n x p temporary)


def weighted_cross(A: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A' diag(w) A`` of the rows of ``A`` (n, p), a block of rows at a time: no n x p
    temporary (a registry's multivariable model: 0.2 GB each). Up to :data:`BLOCK_ROWS` rows,
    one product, ``(A * w[:, None]).T @ A``.

    >>> weighted_cross(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 0.5]))
    array([[ 5.5,  8. ],
           [ 8. , 12. ]])
    """
    out = np.zeros((A.shape[1], A.shape[1]))
    for s in range(0, A.shape[0], BLOCK_ROWS):
        block = A[s:s + BLOCK_ROWS]
        out += (block * w[s:s + BLOCK_ROWS, None]).T @ block
    return out


def _zph_score_numpy(cs: CoxSetup, ev: Evaluation, gtime_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`zph_score` in numpy (without numba; the oracle of the compiled passes)."""
    dr, dg, gt, pg, mult, frac, h, w = _score_terms(cs, ev, gtime_rows)
    cwd = np.ones(dr.size) if cs.cw is None else cs.cw[dr]
    X = cs.X
    # score: u0 (ought to be ~0 at the fit) and the time-weighted part
    contrib_d = X[dr] * cwd[:, None]
    contrib_p = ev.pair_xbar * mult[:, None]
    u1 = contrib_d.sum(axis=0) - contrib_p.sum(axis=0)
    u2 = (contrib_d * gt[dg][:, None]).sum(axis=0) - (contrib_p * gt[pg][:, None]).sum(axis=0)
    blocks = []
    for power in (0, 1, 2):
        gp = gt**power
        haz = np.bincount(pg, h * gp[pg], minlength=cs.m)
        hfrac = np.bincount(pg, h * frac * gp[pg], minlength=cs.m)
        H = _cum_at_rows(cs, haz)
        v = w * H
        if dr.size:
            v[dr] -= w[dr] * hfrac[dg]
        a = (X * v[:, None]).T @ X - (ev.pair_xbar * (mult * gp[pg])[:, None]).T @ ev.pair_xbar
        blocks.append((a + a.T) / 2)
    imat = np.block([[blocks[0], blocks[1]], [blocks[1], blocks[2]]])
    return np.r_[u1, u2], imat


def cox_zph(fit: CoxResult, transform: Literal["km", "identity", "rank", "log"] = "km") -> ZphResult:
    """Proportional hazards tests of a Cox fit (survival 3.x ``cox.zph(fit, transform)``)."""
    if transform not in _TRANSFORMS:
        raise InputError("unknown time transform", argument="transform", value=transform,
                         fix=f"use one of {_TRANSFORMS}")
    cs, ev = fit._state.setup, fit._state.final
    p = cs.p
    tt = _transform_times(cs, transform)
    gtime = tt - np.mean(tt[cs.event])
    u, imat = zph_score(cs, ev, gtime)
    rows, chisq, df = [], [], []
    for label, cols in zip(fit.term_labels, fit.assign, strict=True):
        jj = np.asarray(cols, dtype=np.intp)
        kk = np.r_[np.arange(p), p + jj]
        uu = np.r_[np.zeros(p), u[p + jj]]
        chisq.append(float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu)))
        df.append(jj.size)
        rows.append(label)
    uu = np.r_[np.zeros(p), u[p:]]
    chisq.append(float(uu @ np.linalg.solve(imat, uu)))
    df.append(p)
    rows.append("GLOBAL")
    chisq_a = np.asarray(chisq)
    df_a = np.asarray(df)
    return ZphResult(tuple(rows), chisq_a, df_a, _sp.chdtrc(df_a, chisq_a), transform)
