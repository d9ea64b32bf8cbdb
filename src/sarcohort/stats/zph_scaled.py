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
:class:`ZphSmooth`; :func:`zph_smooths` for several columns at once) and :func:`zph_terms`;
:func:`zph_score_of` (a :class:`ZphScore`) is the pass over a fit's rows that the tests and
the residuals of one fit can share (their ``score=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError
from sarcohort.stats._cox_residuals import schoenfeld_sorted
from sarcohort.stats._zph import _TRANSFORMS, BLOCK_ROWS, ZphResult, _transform_times, zph_score

if TYPE_CHECKING:
    from sarcohort.stats.cox_result import CoxResult

__all__ = ["scaled_schoenfeld", "ScaledSchoenfeld", "zph_smooth", "zph_smooths", "ZphSmooth",
           "zph_terms", "zph_score_of", "ZphScore"]


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


@dataclass(frozen=True)
class ZphScore:
    """``cox.zph``'s score vector and information matrix of one fit (a pass over its rows),
    with the transformed times: :func:`zph_terms` and :func:`scaled_schoenfeld` of the same
    fit and transform can share one (:func:`zph_score_of`)."""

    transform: str
    tt: np.ndarray
    u: np.ndarray
    imat: np.ndarray


def zph_score_of(fit: CoxResult, transform: Literal["km", "identity", "rank", "log"] = "km"
                 ) -> ZphScore:
    """The :class:`ZphScore` of ``fit`` on the ``transform`` time scale."""
    _check(transform)
    cs, ev = fit._state.setup, fit._state.final
    tt = _transform_times(cs, transform)
    u, imat = zph_score(cs, ev, tt - np.mean(tt[cs.event]))
    return ZphScore(transform, tt, u, imat)


def _score_for(fit: CoxResult, transform: str, score: ZphScore | None) -> ZphScore:
    if score is None:
        return zph_score_of(fit, transform)  # type: ignore[arg-type]
    if score.transform != transform:
        raise InputError("the score was computed on another time scale", argument="score",
                         value=score.transform, fix=f"compute it with transform={transform!r}")
    return score


def scaled_schoenfeld(fit: CoxResult, transform: Literal["km", "identity", "rank", "log"] = "km",
                      *, score: ZphScore | None = None) -> ScaledSchoenfeld:
    """The scaled Schoenfeld residuals of an unstratified fit (R's ``cox.zph(fit)$y``).

    Rows are the events in time order; ``x`` is their transformed time
    (``"km"``: 1 - the left-continuous pooled Kaplan-Meier). ``score``: the fit's
    :func:`zph_score_of` for ``transform``, when already computed.
    """
    _check(transform)
    cs, ev = fit._state.setup, fit._state.final
    if getattr(cs, "strata", None) is not None and np.unique(cs.strata).size > 1:
        raise InputError("scaled Schoenfeld residuals of a stratified model are not computed here",
                         argument="fit", value="strata", fix="fit the model without strata")
    sc = _score_for(fit, transform, score)
    tt, imat = sc.tt, sc.imat
    p = cs.p
    d = int(cs.death_rows.size)
    vmean = imat[:p, :p] / d
    y = schoenfeld_sorted(cs, ev)
    ev.forget_pairs()  # read by the residuals and the score only
    coef = np.asarray(fit.coef, float)
    # scaled in place, a block of events at a time (a registry's events: no second and third
    # (events, p) array); one block up to BLOCK_ROWS events
    for s in range(0, d, BLOCK_ROWS):
        block = y[s:s + BLOCK_ROWS]
        block[:] = np.linalg.solve(vmean, block.T).T
        block += coef
    rows = cs.death_rows
    return ScaledSchoenfeld(x=tt[rows], time=cs.stop[rows], y=y, var=np.linalg.inv(vmean),
                            transform=transform, names=tuple(str(n) for n in fit.terms))


def zph_terms(fit: CoxResult, groups: Sequence[tuple[str, Sequence[int]]],
              transform: Literal["km", "identity", "rank", "log"] = "km", *,
              score: ZphScore | None = None) -> ZphResult:
    """``cox.zph`` with the columns tested in ``groups`` (label, column indices), then GLOBAL.

    A group of several columns is one score test with as many degrees of freedom,
    as R's ``cox.zph`` for a factor term. ``score``: as :func:`scaled_schoenfeld`.
    """
    _check(transform)
    p = fit._state.setup.p
    sc = _score_for(fit, transform, score)
    u, imat = sc.u, sc.imat
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


def natural_spline_basis(x: np.ndarray, df: int = 4, at: np.ndarray | None = None) -> np.ndarray:
    """A basis of R's ``ns(x, df, intercept = TRUE)`` space (not R's basis itself).

    Cubic B-splines on the boundary knots ``range(x)`` and ``df - 2`` interior knots
    at the quantiles of ``x``, constrained to a zero second derivative at both
    boundaries; ``df`` columns. ``at``: the points whose rows are returned (default ``x``);
    the knots are ``x``'s.
    """
    from scipy.interpolate import BSpline

    x = np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    inner = _quantile7(x, np.linspace(0, 1, df)[1:-1]) if df > 2 else np.array([])
    t = np.r_[[lo] * 4, inner, [hi] * 4]
    nb = t.size - 4
    eye = np.eye(nb)
    const = np.array([[BSpline(t, eye[j], 3).derivative(2)(b) for j in range(nb)]
                      for b in (lo, hi)])
    _, _, vt = np.linalg.svd(const)
    null = vt[2:].T  # nb x (nb - 2): coefficients with zero 2nd derivative at both ends
    return _design_rows(np.clip(x if at is None else np.asarray(at, float), lo, hi), t, null)


def _design_rows(x: np.ndarray, t: np.ndarray, right: np.ndarray | None = None) -> np.ndarray:
    """``BSpline.design_matrix(x, t, 3).toarray()`` (times ``right`` when given), each run of
    consecutive equal values (the same bits) evaluated once and its row repeated: a row depends
    on its value only, so the matrix is the same bit for bit (the event times of a registry: a
    few thousand distinct values in hundreds of thousands of residuals, in time order). With
    ``right``, the distinct rows are multiplied before they are repeated (each product row is
    the same dot products; no n x (df + 2) matrix is made)."""
    from scipy.interpolate import BSpline

    def rows_of(v: np.ndarray) -> np.ndarray:
        b = BSpline.design_matrix(v, t, 3).toarray()
        return b if right is None else b @ right

    heads = _runs(x)
    if heads is None:
        return rows_of(x)
    return np.repeat(rows_of(x[heads]), np.diff(np.r_[heads, x.shape[0]]), axis=0)


def _runs(x: np.ndarray) -> np.ndarray | None:
    """The starts of the runs of consecutive equal values of ``x`` (the same bits), or None
    when most values are distinct (the runs save nothing)."""
    n = x.shape[0]
    if n < 2:
        return None
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)  # -0.0 is not 0.0 here
    heads = np.flatnonzero(np.r_[True, bits[1:] != bits[:-1]])
    return None if 2 * heads.size > n else heads


def zph_smooth(x: np.ndarray, y: np.ndarray, var_ii: float, df: int = 4, nsmo: int = 40
               ) -> ZphSmooth:
    """``plot.cox.zph``'s smooth of one column: fit and ``+- 2 sqrt(var_ii * leverage)`` band."""
    return zph_smooths(x, [y], [var_ii], df, nsmo)[0]


def zph_smooths(x: np.ndarray, ys: Sequence[np.ndarray], var: Sequence[float], df: int = 4,
                nsmo: int = 40) -> tuple[ZphSmooth, ...]:
    """:func:`zph_smooth` of several columns at the same ``x`` (``ys[j]`` with ``var[j]``).

    The spline basis is built once, and its QR factorisation is shared by consecutive
    columns missing the same rows (with its rank check and the leverage): each smooth is the
    one :func:`zph_smooth` gives, number for number, at the cost of one least-squares solve
    per further column (a registry's model has hundreds of thousands of events).
    """
    x = np.asarray(x, float)
    pred_x = np.linspace(x.min(), x.max(), nsmo)
    heads = _runs(x)
    if heads is not None:
        return _smooths_by_runs(x, heads, pred_x, ys, var, df)
    basis = natural_spline_basis(np.r_[pred_x, x], df)
    P = basis[:nsmo]
    # every residual of every column finite (the usual case): one factorisation, of the basis
    # rows themselves (no copy of them kept beside the QR's own)
    last = all(np.isfinite(np.asarray(y_j, float)).all() for y_j in ys)
    out = []
    keep = np.zeros(0, bool)  # the rows the factors below were computed on
    factors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for y_j, var_ii in zip(ys, var, strict=True):
        y = np.asarray(y_j, float)
        ok = np.isfinite(y)
        if factors is None or not np.array_equal(ok, keep):
            keep, factors = ok, _spline_factors(basis[nsmo:] if ok.all() else basis[nsmo:][ok], P, df,
                                                overwrite=last)
        q, r, lev = factors
        coef = np.linalg.solve(r, q.T @ y[ok])
        fit = P @ coef
        half = 2.0 * np.sqrt(var_ii * lev)
        out.append(ZphSmooth(x=pred_x, fit=fit, lower=fit - half, upper=fit + half))
    return tuple(out)


def _smooths_by_runs(x: np.ndarray, heads: np.ndarray, pred_x: np.ndarray,
                     ys: Sequence[np.ndarray], var: Sequence[float], df: int) -> tuple[ZphSmooth, ...]:
    """:func:`zph_smooths` when ``x`` comes in runs of equal values (``heads``: their starts;
    the event times of a registry: a few thousand distinct values in millions of residuals).
    The rows of a run are one basis row, so the least squares of the residuals are those of
    the runs' basis rows weighted by their numbers of finite residuals, fitted to the runs'
    mean residuals (the same normal equations, the same R'R, hence the same fit and
    leverage): a QR of (runs x df), not of (residuals x df)."""
    nsmo = pred_x.shape[0]
    basis = natural_spline_basis(np.r_[pred_x, x], df, at=np.r_[pred_x, x[heads]])
    P, B = basis[:nsmo], basis[nsmo:]
    out = []
    counted = np.zeros(0)  # the finite residuals per run the factors below were computed for
    factors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for y_j, var_ii in zip(ys, var, strict=True):
        y = np.asarray(y_j, float)
        ok = np.isfinite(y)
        count = np.add.reduceat(ok.astype(float), heads)
        total = np.add.reduceat(np.where(ok, y, 0.0), heads)
        used = count > 0
        root = np.sqrt(count[used])
        if factors is None or not np.array_equal(count, counted):
            counted, factors = count, _spline_factors(B[used] * root[:, None], P, df, overwrite=True)
        q, r, lev = factors
        coef = np.linalg.solve(r, q.T @ (total[used] / root))
        fit = P @ coef
        half = 2.0 * np.sqrt(var_ii * lev)
        out.append(ZphSmooth(x=pred_x, fit=fit, lower=fit - half, upper=fit + half))
    return tuple(out)


def _spline_factors(X: np.ndarray, P: np.ndarray, df: int, *, overwrite: bool = False
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """QR of the basis at the points kept, and the leverage of the prediction points;
    ``overwrite``: ``X`` (float64) is not needed afterwards (:func:`qr_overwrite`)."""
    q, r = qr_overwrite(X) if overwrite else np.linalg.qr(X)
    if np.linalg.matrix_rank(r) < df:
        raise InputError("the spline fit is singular (too few distinct event times)",
                         argument="df", value=df, fix="use a smaller df")
    return q, r, np.sum((P @ np.linalg.inv(r)) ** 2, axis=1)


def _qr_error(err: object, flag: object) -> None:
    raise np.linalg.LinAlgError("Incorrect argument found while performing QR factorization")


def qr_overwrite(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.linalg.qr(a)`` (reduced) of a 2-D float64 array, the same numbers bit for bit (the
    same LAPACK steps of numpy's ``linalg``), without numpy's copy of ``a``: ``a`` is
    overwritten by the factorisation (a registry's spline basis: one n x df copy less)."""
    try:
        from numpy.linalg import _umath_linalg
    except ImportError:  # pragma: no cover - numpy's private module moved: the copying call
        return np.linalg.qr(a)
    if a.ndim != 2 or a.dtype != np.float64 or not a.flags.writeable or not a.dtype.isnative:
        return np.linalg.qr(a)
    with np.errstate(call=_qr_error, invalid="call", over="ignore", divide="ignore", under="ignore"):
        tau = _umath_linalg.qr_r_raw(a, signature="d->d")
        q = _umath_linalg.qr_reduced(a, tau, signature="dd->d")
    return q, np.triu(a[:min(a.shape), :])


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
