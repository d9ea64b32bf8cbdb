"""Scaled Schoenfeld residuals and their smooth, as survival 3.x ``cox.zph`` and ``plot.cox.zph``.

``cox.zph(fit, transform)$y`` holds, for each event, the Schoenfeld residual
``r`` scaled by the inverse of the mean information per event plus the
coefficient: ``y = r (I / d)^-1 + beta`` (Grambsch & Therneau 1994), with ``I``
the information matrix at the fitted beta and ``d`` the number of events; its
``var`` is ``(I / d)^-1``. A curve of ``y`` against the transformed time that
is not flat says the coefficient changes with time. ``plot.cox.zph`` draws a
least-squares natural cubic spline (``ns(df = 4, intercept = TRUE)``) through
the points, evaluated at 40 equally spaced transformed times, with a band of
``+- 2 sqrt(var[i, i] * s)`` where ``s`` is the spline's leverage at each
point. The fitted curve and its band depend only on the space the spline
basis spans, so any basis of the natural cubic splines with R's knots (here:
B-splines constrained to a zero second derivative at both ends) gives R's
numbers.

Grouped terms: :func:`zph_terms` tests sets of columns together (a factor with
several indicator columns is one row with as many degrees of freedom), as
``cox.zph`` does for a factor term.

Exports :func:`scaled_schoenfeld` (a :class:`ScaledSchoenfeld`), :func:`zph_smooth` (a
:class:`ZphSmooth`) and :func:`zph_terms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError
from sarcohort.stats._cox_residuals import schoenfeld_sorted
from sarcohort.stats._zph import _TRANSFORMS, ZphResult, _transform_times, zph_score

if TYPE_CHECKING:
    from sarcohort.stats.cox_result import CoxResult

__all__ = ["scaled_schoenfeld", "ScaledSchoenfeld", "zph_smooth", "ZphSmooth", "zph_terms"]


@dataclass(frozen=True)
class ScaledSchoenfeld:
    """``cox.zph``'s ``x`` (transformed event times), ``time``, ``y`` (events x p) and ``var``."""

    x: np.ndarray
    time: np.ndarray
    y: np.ndarray
    var: np.ndarray
    transform: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class ZphSmooth:
    """The spline smooth of one column of ``y``: ``plot.cox.zph``'s lines."""

    x: np.ndarray  # nsmo equally spaced transformed times
    fit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _check(transform: str) -> None:
    if transform not in _TRANSFORMS:
        raise InputError("unknown time transform", argument="transform", value=transform,
                         fix=f"use one of {_TRANSFORMS}")


def scaled_schoenfeld(fit: CoxResult, transform: Literal["km", "identity", "rank", "log"] = "km"
                      ) -> ScaledSchoenfeld:
    """The scaled Schoenfeld residuals of an unstratified fit (R's ``cox.zph(fit)$y``).

    Rows are the events in time order; ``x`` is their transformed time
    (``"km"``: 1 - the left-continuous pooled Kaplan-Meier).
    """
    _check(transform)
    cs, ev = fit._state.setup, fit._state.final
    if getattr(cs, "strata", None) is not None and np.unique(cs.strata).size > 1:
        raise InputError("scaled Schoenfeld residuals of a stratified model are not computed here",
                         argument="fit", value="strata", fix="fit the model without strata")
    tt = _transform_times(cs, transform)
    gtime = tt - np.mean(tt[cs.event])
    _, imat = zph_score(cs, ev, gtime)
    p = cs.p
    d = int(cs.death_rows.size)
    vmean = imat[:p, :p] / d
    r = schoenfeld_sorted(cs, ev)
    y = np.linalg.solve(vmean, r.T).T + np.asarray(fit.coef, float)[None, :]
    rows = cs.death_rows
    return ScaledSchoenfeld(x=tt[rows], time=cs.stop[rows], y=y, var=np.linalg.inv(vmean),
                            transform=transform, names=tuple(str(n) for n in fit.terms))


def zph_terms(fit: CoxResult, groups: Sequence[tuple[str, Sequence[int]]],
              transform: Literal["km", "identity", "rank", "log"] = "km") -> ZphResult:
    """``cox.zph`` with the columns tested in ``groups`` (label, column indices), then GLOBAL.

    A group of several columns is one score test with as many degrees of freedom,
    as R's ``cox.zph`` for a factor term.
    """
    _check(transform)
    cs, ev = fit._state.setup, fit._state.final
    p = cs.p
    tt = _transform_times(cs, transform)
    u, imat = zph_score(cs, ev, tt - np.mean(tt[cs.event]))
    rows, chisq, df = [], [], []
    for label, cols in [*groups, ("GLOBAL", range(p))]:
        jj = np.asarray(list(cols), dtype=np.intp)
        kk = np.r_[np.arange(p), p + jj]
        uu = np.r_[np.zeros(p), u[p + jj]]
        chisq.append(float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu)))
        df.append(jj.size)
        rows.append(label)
    chisq_a, df_a = np.asarray(chisq), np.asarray(df)
    return ZphResult(tuple(rows), chisq_a, df_a, _sp.chdtrc(df_a, chisq_a), transform)


def _quantile7(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.quantile(x, q, method="linear")


def natural_spline_basis(x: np.ndarray, df: int = 4) -> np.ndarray:
    """A basis of R's ``ns(x, df, intercept = TRUE)`` space (not R's basis itself).

    Cubic B-splines on the boundary knots ``range(x)`` and ``df - 2`` interior knots
    at the quantiles of ``x``, constrained to a zero second derivative at both
    boundaries; ``df`` columns.
    """
    from scipy.interpolate import BSpline

    x = np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    inner = _quantile7(x, np.linspace(0, 1, df)[1:-1]) if df > 2 else np.array([])
    t = np.r_[[lo] * 4, inner, [hi] * 4]
    nb = t.size - 4
    B = BSpline.design_matrix(np.clip(x, lo, hi), t, 3).toarray()
    eye = np.eye(nb)
    const = np.array([[BSpline(t, eye[j], 3).derivative(2)(b) for j in range(nb)]
                      for b in (lo, hi)])
    _, _, vt = np.linalg.svd(const)
    null = vt[2:].T  # nb x (nb - 2): coefficients with zero 2nd derivative at both ends
    return B @ null


def zph_smooth(x: np.ndarray, y: np.ndarray, var_ii: float, df: int = 4, nsmo: int = 40
               ) -> ZphSmooth:
    """``plot.cox.zph``'s smooth of one column: fit and ``+- 2 sqrt(var_ii * leverage)`` band."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    keep = np.isfinite(y)
    pred_x = np.linspace(x.min(), x.max(), nsmo)
    basis = natural_spline_basis(np.r_[pred_x, x], df)
    P, X = basis[:nsmo], basis[nsmo:][keep]
    q, r = np.linalg.qr(X)
    if np.linalg.matrix_rank(r) < df:
        raise InputError("the spline fit is singular (too few distinct event times)",
                         argument="df", value=df, fix="use a smaller df")
    coef = np.linalg.solve(r, q.T @ y[keep])
    fit = P @ coef
    rinv = np.linalg.inv(r)
    lev = np.sum((P @ rinv) ** 2, axis=1)
    half = 2.0 * np.sqrt(var_ii * lev)
    return ZphSmooth(x=pred_x, fit=fit, lower=fit - half, upper=fit + half)


def time_axis_ticks(x: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``plot.cox.zph``'s time axis on a transformed scale: 8 times (2 significant digits)
    and their positions on the ``x`` scale (linear interpolation, as R's ``approx``)."""
    x = np.asarray(x, float)
    time = np.asarray(time, float)
    _, first = np.unique(x, return_index=True)
    xs, ts = x[first], time[first]
    at = np.linspace(x.min(), x.max(), 17)[1::2]
    t_at = np.interp(at, xs, ts)
    labels = np.array([float(f"{v:.2g}") for v in t_at])
    order = np.argsort(ts)
    pos = np.interp(labels, ts[order], xs[order], left=np.nan, right=np.nan)
    return pos, labels
