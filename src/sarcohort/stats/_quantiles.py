"""Median and quantiles of a Kaplan-Meier curve, with confidence intervals.

Three rules, each a plain function of the curve's arrays:

* :func:`median_r` -- the median and its confidence interval as R's
  ``print(survfit)`` / ``summary(survfit)$table`` report them (``survmean``'s ``minmin``):
  the first time the curve (or a confidence band) is ``<= 0.5``, or the midpoint of a
  flat stretch at exactly 0.5.  The interval is the Brookmeyer-Crowley one: the times
  where the pointwise band (of the fit's ``conf_type``) crosses 0.5.
* :func:`quantile_r` -- any quantile as R's ``quantile.survfit`` computes it (``findq``):
  the first time with ``S <= 1 - p``, the midpoint rule for a flat at exactly ``1 - p``
  (also at the end of the curve), and the crossing times of the bands for its CI.
* :func:`median_ci_spss` -- the symmetric interval SPSS prints,
  ``median +- z * SE(median)``, with the density estimate of Klein & Moeschberger.
"""

from __future__ import annotations

import numpy as np

#: R's ``all.equal`` tolerance, used by R to detect a curve lying exactly at a quantile.
TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def crossing_time(values: np.ndarray, time: np.ndarray) -> float:
    """First time at which ``values`` (a survival curve or band) is ``<= 0.5``.

    This is R's ``minmin`` (``survival:::survmean``): missing values are skipped; when
    the first value ``< 0.5 + tol`` equals 0.5 within ``tol = sqrt(eps)`` and the curve
    later drops below it, the result is the midpoint of that time and the time of the
    drop.  NaN when the curve never reaches 0.5.
    """
    values = np.asarray(values, dtype=float)
    keep = ~np.isnan(values) & (values < 0.5 + TOLERANCE)
    if not keep.any():
        return float("nan")
    x = np.asarray(time, dtype=float)[keep]
    y = values[keep]
    if abs(y[0] - 0.5) < TOLERANCE:
        below = np.flatnonzero(y < y[0])
        if below.size:
            return float((x[0] + x[below[0]]) / 2)
    return float(x[0])


def median_r(
    time: np.ndarray, surv: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, float, float]:
    """Median with R's Brookmeyer-Crowley interval, as ``print(survfit)`` shows them.

    Returns
    -------
    (median, lower, upper)
        ``lower`` is where the lower band crosses 0.5, ``upper`` where the upper band
        does; NaN where a curve never reaches 0.5 (R's ``NA``).
    """
    return crossing_time(surv, time), crossing_time(lower, time), crossing_time(upper, time)


def _approx_constant_index(xs: np.ndarray, index: np.ndarray, p: float) -> float:
    """R's ``approx(xs, index, p, method = "constant", f = 1)`` (rule 1: NA outside).

    ``xs`` may contain NaN (dropped, as ``approx`` does) and ties (averaged, R's
    ``ties = mean``).
    """
    ok = ~np.isnan(xs)
    xs, ys = xs[ok], index[ok].astype(float)
    if xs.size == 0:
        return float("nan")
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    ux, start = np.unique(xs, return_index=True)
    if ux.size < xs.size:
        ys = np.add.reduceat(ys, start) / np.diff(np.append(start, xs.size))
        xs = ux
    if p < xs[0] or p > xs[-1]:
        return float("nan")
    j = int(np.searchsorted(xs, p, side="left"))  # first xs >= p
    return float(ys[j])


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = TOLERANCE) -> float:
    """R's ``findq`` (``survival:::quantile.survfit``): where ``1 - S`` first reaches ``p``.

    ``x`` are the times with the start time prepended, ``y`` the values of ``1 - S``
    (or of ``1 - band``) with 0 prepended.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return float("nan")
    xmax = x[-1]
    # Drop repeated y values (censoring times), keeping the first occurrence; as R's
    # duplicated(), a second NaN is a duplicate of the first.
    _, first = np.unique(y, return_index=True)  # np.unique keeps one NaN in numpy >= 1.21
    keep = np.zeros(y.size, dtype=bool)
    keep[first] = True
    if np.isnan(y).any():
        nan_pos = np.flatnonzero(np.isnan(y))
        keep[nan_pos] = False
        keep[nan_pos[0]] = True
    x, y = x[keep], y[keep]
    n = y.size
    idx = np.arange(1, n + 1)
    i1 = _approx_constant_index(y + tol, idx, p)
    i2 = _approx_constant_index(y - tol, idx, p)
    if p == 0:
        return float(x[0])

    def at(i: float) -> float:
        # R indexes with a (possibly averaged, fractional) index by truncation.
        return float("nan") if np.isnan(i) else float(x[int(i) - 1])

    quant = (at(i1) + at(i2)) / 2
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        quant = (at(i1) + xmax) / 2
    return quant


def quantile_r(
    time: np.ndarray,
    surv: np.ndarray,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    p: float,
    start: float = 0.0,
) -> tuple[float, float, float]:
    """Quantile ``p`` of the distribution (time by which a fraction ``p`` had the event).

    This is R's ``quantile.survfit``: the first time with ``S <= 1 - p``; when ``S``
    equals ``1 - p`` (within ``sqrt(eps)``) over a stretch, the midpoint of that stretch
    and the next drop (or the last time, at the end of the curve).  The CI applies the
    same rule to the lower and upper pointwise bands.

    Parameters
    ----------
    time, surv, lower, upper
        The curve over its distinct times and its pointwise band (None: no CI).
    p
        Probability in [0, 1]; 0.5 gives the median.
    start
        The time reported for ``p = 0`` (R: the curve's start time, 0).

    Returns
    -------
    (quantile, lower, upper)
        NaN where not reached (R's ``NA``).
    """
    x = np.concatenate(([start], np.asarray(time, dtype=float)))

    def one(s: np.ndarray | None) -> float:
        if s is None:
            return float("nan")
        with np.errstate(invalid="ignore"):
            y = np.concatenate(([0.0], 1.0 - np.asarray(s, dtype=float)))
        return _findq(x, y, p)

    return one(surv), one(lower), one(upper)


def median_ci_spss(
    time: np.ndarray,
    surv: np.ndarray,
    std_err: np.ndarray,
    n_event: np.ndarray,
    median: float,
    conf_level: float = 0.95,
) -> tuple[float, float]:
    """Symmetric median interval ``median +- z * SE(median)`` (SPSS's kind).

    With ``t_1 < t_2 < ...`` the event times of the curve,

    * ``SE(S(m)) = S(m) * std_err(m)``, the Greenwood standard error of the survival
      at the median ``m`` (``std_err`` is R's SE of ``log S``);
    * ``u`` = the last event time with ``S(u) >= 0.55`` (the origin, with ``S = 1``,
      if there is none) and ``l`` = the first event time with ``S(l) <= 0.45``;
    * ``f = (S(u) - S(l)) / (l - u)``, the density estimate at the median of Klein &
      Moeschberger (Survival Analysis, 2nd ed., practical note to section 4.5, with
      their epsilon = 0.05);
    * ``SE(median) = SE(S(m)) / f`` and the interval is ``m -+ z_{(1+level)/2} * SE``.

    Returns
    -------
    (lower, upper)
        NaN when the median is not reached or no event time has ``S <= 0.45``.
        The lower end is not clipped at 0 (SPSS does not clip either).
    """
    time = np.asarray(time, dtype=float)
    surv = np.asarray(surv, dtype=float)
    if np.isnan(median):
        return float("nan"), float("nan")
    ev = np.asarray(n_event) > 0
    t_ev, s_ev = time[ev], surv[ev]
    upper_idx = np.flatnonzero(s_ev >= 0.55)
    lower_idx = np.flatnonzero(s_ev <= 0.45)
    if lower_idx.size == 0:
        return float("nan"), float("nan")
    if upper_idx.size:
        t_u, s_u = t_ev[upper_idx[-1]], s_ev[upper_idx[-1]]
    else:
        t_u, s_u = 0.0, 1.0
    t_l, s_l = t_ev[lower_idx[0]], s_ev[lower_idx[0]]
    density = (s_u - s_l) / (t_l - t_u)
    # S and its Greenwood SE at the median: the step function's value at m.
    k = int(np.searchsorted(time, median, side="right")) - 1
    with np.errstate(invalid="ignore"):
        # S = 0 at the median leaves S * std_err = 0 * Inf undefined: NaN interval.
        se_surv = surv[k] * np.asarray(std_err, dtype=float)[k] if k >= 0 else 0.0
        se_median = se_surv / density
    from scipy.special import ndtri  # scipy loaded when a CI is computed, not on import

    z = float(ndtri(1 - (1 - conf_level) / 2))
    return float(median - z * se_median), float(median + z * se_median)
