"""Curves thinned for drawing: a registry's step functions from a few thousand points.

A Kaplan-Meier curve of 10^6 patients has a step at every distinct time (thousands of
days), each far below a pixel; drawn whole, its SVG runs to megabytes and the HTML report
to hundreds. The figures draw instead:

- the **step function** through a subset of its points (:func:`step_points`): a point is
  kept where any drawn series (the curve, its band) has moved by ``tol`` or more since the
  last kept point, measured on a grid of ``tol``; so the drawn step function (right-continuous,
  ``where="post"``) never departs from the exact one by ``tol`` or more, at any time. Kept
  points keep their exact time and value: every visible step is where it is.
- a **band** between two step functions (:func:`step_band`) as one polygon whose edges
  are thinned each on its own, so each edge keeps that guarantee;
- the **censor marks** one per cell of a grid (:func:`mark_points`): a mark is dropped only
  when a kept mark lies in the same cell, less than ``dx`` to its left or right and less
  than ``dy`` above or below it (about 1 pt: a sixth of the mark).

Small curves (up to :data:`MAX_POINTS` points, :data:`MAX_MARKS` marks) are drawn as they
are, point for point. The numbers (results.json, tables, numbers at risk) are never thinned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Drawing tolerance in the units of a probability axis (0 to 1): 0.2 percentage points,
#: 0.43 pt on the Kaplan-Meier figure's 3.1-inch axis (1.04 over 223 pt), under a third of
#: the 1.5-pt width of the curve.
TOL = 2e-3
#: Curves of at most this many points are drawn whole (every curve of a study of a few
#: hundred patients).
MAX_POINTS = 500
#: At most this many censor marks are drawn whole.
MAX_MARKS = 500
#: Censor marks: the time axis is cut in this many cells (1 pt each on the 5.8-inch axis;
#: a "+" mark is 6 pt wide) ...
MARK_CELLS = 400
#: ... and the probability axis in cells of this height (1.1 pt).
MARK_DY = 5e-3


def step_points(ys: Sequence[np.ndarray], *, tol: float | None = None,
                max_points: int | None = None) -> np.ndarray:
    """Indices of the points to draw of one or more step functions on a common time grid.

    Parameters
    ----------
    ys
        Values of each series at the common times (same length each, in time order); NaN
        allowed (a change to or from NaN is kept).
    tol
        Largest departure allowed, in the units of ``ys`` (more than 0; default :data:`TOL`).
    max_points
        Series of at most this many points are returned whole (every index; default
        :data:`MAX_POINTS`).

    Returns
    -------
    numpy.ndarray
        Increasing indices, the first and the last always among them. Drawing each series
        through them as a right-continuous step function (``where="post"``) departs from
        the exact one by less than ``tol`` at every time: between two kept points every
        value lies in the grid cell ``[k tol, (k + 1) tol)`` of the first. A series moving
        one way (a survival curve, a cumulative incidence) changes cell at most
        ``range / tol + 1`` times, so at most ``2 + sum(range_i / tol + 1)`` points are
        kept (1,500 for a survival curve and its band at the default ``tol``).
    """
    tol = TOL if tol is None else tol
    max_points = MAX_POINTS if max_points is None else max_points
    if not tol > 0:
        raise ValueError(f"tol must be more than 0, got {tol!r}")
    arrays = [np.asarray(y, dtype=float) for y in ys]
    n = arrays[0].size if arrays else 0
    if any(a.shape != (n,) for a in arrays):
        raise ValueError("every series must be one-dimensional and of the same length")
    if n <= max(max_points, 2):
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    for a in arrays:
        nan = np.isnan(a)
        with np.errstate(invalid="ignore"):
            cell = np.floor(np.where(nan, 0.0, a) / tol)
        keep[1:] |= (cell[1:] != cell[:-1]) | (nan[1:] != nan[:-1])
    return np.flatnonzero(keep)


def mark_points(x: np.ndarray, y: np.ndarray, *, dx: float, dy: float | None = None,
                max_marks: int | None = None) -> np.ndarray:
    """Indices of the marks to draw (censor ticks): the first in each ``dx`` by ``dy`` cell.

    Parameters
    ----------
    x, y
        The marks' positions (time and value); finite.
    dx, dy
        The cell, in data units (more than 0): for a time axis of span ``T``,
        ``dx = T / MARK_CELLS``; ``dy`` defaults to :data:`MARK_DY`.
    max_marks
        At most this many marks are returned whole (every index; default :data:`MAX_MARKS`).

    Returns
    -------
    numpy.ndarray
        Increasing indices; every mark left out lies in the cell of a kept one (less than
        ``dx`` and ``dy`` from it). Marks along a monotone curve touch at most
        ``span_x / dx + span_y / dy + 1`` cells.
    """
    dy = MARK_DY if dy is None else dy
    max_marks = MAX_MARKS if max_marks is None else max_marks
    if not (dx > 0 and dy > 0):
        raise ValueError(f"dx and dy must be more than 0, got {dx!r}, {dy!r}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be one-dimensional and of the same length")
    if x.size <= max_marks:
        return np.arange(x.size)
    cells = np.stack([np.floor(x / dx), np.floor(y / dy)], axis=1)
    _, first = np.unique(cells, axis=0, return_index=True)
    return np.sort(first)


def _stairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Vertices of a right-continuous step function through (x, y), from x[0] to x[-1]."""
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    return np.column_stack([xs, ys])


def step_band(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, tol: float | None = None,
              max_points: int | None = None) -> np.ndarray:
    """The polygon between two step functions (a confidence band), each edge thinned.

    Parameters
    ----------
    x
        Common times, increasing.
    lower, upper
        The band's edges at ``x`` (finite).
    tol, max_points
        As :func:`step_points`, applied to each edge on its own.

    Returns
    -------
    numpy.ndarray
        ``(m, 2)`` vertices: the upper edge forward from ``x[0]`` to ``x[-1]``, then the
        lower edge back, each a right-continuous step function within ``tol`` of the
        exact edge at every time (the polygon ``fill_between(..., step="post")`` draws,
        with fewer vertices).
    """
    x = np.asarray(x, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    top = step_points([upper], tol=tol, max_points=max_points)
    bottom = step_points([lower], tol=tol, max_points=max_points)
    return np.concatenate([_stairs(x[top], upper[top]), _stairs(x[bottom], lower[bottom])[::-1]])
