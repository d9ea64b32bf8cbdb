"""Cox model residuals: martingale, deviance, score, Schoenfeld and dfbeta, as R's
``residuals.coxph`` (survival's ``coxmart``, ``coxscore2``/``agscore3`` and ``coxscho``).

All of them come from the per-event-time pieces of the final Newton step: the hazard
increments ``h_tk = m_tk / D_tk`` and weighted means ``xbar_tk`` of every (event time, k)
pair of the Efron (or Breslow) sums, cumulated over the event times at which each row is at
risk. For Efron ties a death at a tied time only receives the part ``(1 - k/d)`` of each
increment, exactly as in R.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from sarcohort.exceptions import InputError
from sarcohort.stats._cox_kernel import CoxSetup, Evaluation, _cum_at_rows

if TYPE_CHECKING:
    from sarcohort.stats.cox_result import CoxResult

_KINDS = ("martingale", "deviance", "score", "schoenfeld", "dfbeta", "dfbetas")


def _group_pair_sums(cs: CoxSetup, ev: Evaluation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per event group: sum_k xbar h, sum_k xbar h frac, mean_k xbar."""
    pg = cs.pair_group
    h = cs.pair_mult / ev.pair_denom
    xh = ev.pair_xbar * h[:, None]
    xc = np.zeros((cs.m, cs.p))
    xg = np.zeros((cs.m, cs.p))
    if pg.size:
        starts, grp = _pair_runs(pg)
        xc[grp] = np.add.reduceat(xh, starts, axis=0)
        xg[grp] = np.add.reduceat(xh * cs.pair_frac[:, None], starts, axis=0)
    return xc, xg, _group_pair_means(cs, ev)


def _pair_runs(pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts of the runs of pairs of one event group, and their group."""
    starts = np.flatnonzero(np.r_[True, pg[1:] != pg[:-1]])
    return starts, pg[starts]


def _group_pair_means(cs: CoxSetup, ev: Evaluation) -> np.ndarray:
    """Per event group: mean_k xbar (all the Schoenfeld residuals need)."""
    pg = cs.pair_group
    xm = np.zeros((cs.m, cs.p))
    if pg.size:
        starts, grp = _pair_runs(pg)
        cnt = np.diff(np.r_[starts, pg.size])
        xm[grp] = np.add.reduceat(ev.pair_xbar, starts, axis=0) / cnt[:, None]
    return xm


def martingale_sorted(cs: CoxSetup, ev: Evaluation) -> np.ndarray:
    """Martingale residuals in the setup's sorted row order (``coxmart``/``agmart``)."""
    H = _cum_at_rows(cs, ev.hazard)
    dr, dg = cs.death_rows, cs.death_group
    H[dr] -= ev.hazard_frac[dg]
    return cs.event.astype(float) - ev.risk * H


def score_sorted(cs: CoxSetup, ev: Evaluation) -> np.ndarray:
    """Score residuals (n x p) in sorted row order (``coxscore2``/``agscore3``)."""
    X = cs.X
    xc, xg, xm = _group_pair_sums(cs, ev)
    H = _cum_at_rows(cs, ev.hazard)
    XH = _cum_at_rows(cs, xc)
    dr, dg = cs.death_rows, cs.death_group
    H[dr] -= ev.hazard_frac[dg]
    XH[dr] -= xg[dg]
    out = -ev.risk[:, None] * (X * H[:, None] - XH)
    out[dr] += X[dr] - xm[dg]
    return out


def schoenfeld_sorted(cs: CoxSetup, ev: Evaluation) -> np.ndarray:
    """Schoenfeld residuals, one row per death in sorted order: x - mean over k of xbar."""
    xm = _group_pair_means(cs, ev)
    out = cs.X[cs.death_rows]
    for j in range(out.shape[1]):  # in place, a column at a time: no (deaths, p) temporary
        out[:, j] -= xm[cs.death_group, j]
    return out


def _unsort(cs: CoxSetup, values: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[cs.order] = values
    return out


def residuals(fit: CoxResult, kind: Literal["martingale", "deviance", "score", "schoenfeld",
                                             "dfbeta", "dfbetas"] = "martingale") -> np.ndarray:
    """Residuals of a Cox fit, as R's ``residuals(fit, type = kind)``.

    Parameters
    ----------
    fit
        A :class:`~sarcohort.stats.cox_result.CoxResult`.
    kind
        ``"martingale"``, ``"deviance"``, ``"score"`` (n x p), ``"schoenfeld"`` (events x p,
        ordered by stratum and time) or ``"dfbeta"`` (n x p: score residuals times the
        model-based variance, the approximate change in each coefficient when a row is left out;
        times the case weight in weighted fits, as R) or ``"dfbetas"`` (dfbeta divided by the
        model-based standard errors).

    Returns
    -------
    numpy.ndarray
        Rows in the order of the analysed input rows (except Schoenfeld).
    """
    if kind not in _KINDS:
        raise InputError("unknown residual type", argument="kind", value=kind, fix=f"use one of {_KINDS}")
    cs, ev = fit._state.setup, fit._state.final
    if fit.ties == "exact" and kind not in ("martingale", "deviance"):
        raise InputError(f"{kind} residuals are not available for ties='exact' (as in R)", argument="kind",
                         value=kind, fix="refit with ties='efron' or 'breslow'")
    if kind in ("martingale", "deviance"):
        m = martingale_sorted(cs, ev)
        if kind == "deviance":
            status = cs.event.astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = np.where(status > 0, np.log(np.where(status > 0, status - m, 1.0)), 0.0)
            m = np.sign(m) * np.sqrt(-2 * (m + status * inner))
        return _unsort(cs, m)
    if kind == "schoenfeld":
        return schoenfeld_sorted(cs, ev)
    sc = score_sorted(cs, ev)
    if kind in ("dfbeta", "dfbetas"):  # R weights these by the case weights
        if cs.cw is not None:
            sc = sc * cs.cw[:, None]
        sc = sc @ fit.naive_var
        if kind == "dfbetas":
            sc = sc / np.sqrt(np.diag(fit.naive_var))
    return _unsort(cs, sc)


def schoenfeld_times(fit: CoxResult) -> np.ndarray:
    """Event times of the rows of ``residuals(kind="schoenfeld")``."""
    cs = fit._state.setup
    return cs.stop[cs.death_rows]
