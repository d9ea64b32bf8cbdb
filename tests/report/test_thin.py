"""Curves thinned for drawing (report.plots._thin): the drawn step function never departs
from the exact one by ``tol`` or more, at any time; small curves are drawn whole.

Oracle: the exact step function itself, evaluated at every time (each original time and
the midpoints between them), and a case worked by hand.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from sarcohort.report.plots import _thin
from sarcohort.report.plots._thin import mark_points, step_band, step_points


def _value(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A right-continuous step function through (x, y), at times t >= x[0]."""
    return y[np.searchsorted(x, t, side="right") - 1]


def _every_time(x: np.ndarray) -> np.ndarray:
    return np.sort(np.concatenate([x, (x[1:] + x[:-1]) / 2, [x[-1] + 1.0]]))


def test_a_case_worked_by_hand():
    # cells of 0.25: 4, 3, 3, 3, 2, 1, 0 -> a new cell at 1, 4, 5, 6; the last always kept
    y = np.array([1.0, 0.875, 0.8125, 0.75, 0.5, 0.4375, 0.0])
    assert step_points([y], tol=0.25, max_points=0).tolist() == [0, 1, 4, 5, 6]
    # the point dropped at index 2-3 is drawn at 0.875: 0.125 from 0.75, less than 0.25


@pytest.mark.parametrize("seed", range(5))
def test_thinned_curve_within_tol_at_every_time(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    x = np.cumsum(rng.exponential(1.0, n))
    s = np.cumprod(1 - rng.random(n) * rng.choice([0.0, 2e-3], n))   # a survival curve
    lo, hi = s * 0.97, np.minimum(1.0, s * 1.02)                        # its band
    walk = 0.5 + np.cumsum(rng.normal(0, 1e-4, n))                      # not monotone
    tol = 1e-3
    keep = step_points([s, lo, hi, walk], tol=tol, max_points=100)
    assert keep[0] == 0 and keep[-1] == n - 1 and np.all(np.diff(keep) > 0)
    assert keep.size < n / 2
    t = _every_time(x)
    for y in (s, lo, hi, walk):
        drawn = _value(x[keep], y[keep], t)
        assert np.max(np.abs(drawn - _value(x, y, t))) < tol
    # the bound for monotone series: 2 + sum(range / tol + 1)
    mono = step_points([s, lo, hi], tol=tol, max_points=100)
    assert mono.size <= 2 + sum(np.ptp(y) / tol + 1 for y in (s, lo, hi))


def test_visible_steps_kept_exactly():
    # a step of 0.1 among tiny ones: the point where it happens is always drawn
    y = 1 - np.arange(3000) * 1e-5
    y[1500:] -= 0.1
    keep = step_points([y], tol=1e-3, max_points=10)
    assert 1500 in keep.tolist()


def test_small_curves_and_nan_runs():
    y = np.linspace(1, 0, 300)
    assert step_points([y]).tolist() == list(range(300))  # at most MAX_POINTS: whole
    y = np.full(1000, 0.5)
    y[400:600] = np.nan  # not estimable: the gap starts and ends where it does
    keep = step_points([y], max_points=10).tolist()
    assert keep == [0, 400, 600, 999]
    with pytest.raises(ValueError, match="tol"):
        step_points([y], tol=0.0)
    with pytest.raises(ValueError, match="same length"):
        step_points([y, y[:5]])


def test_band_edges_each_within_tol():
    rng = np.random.default_rng(7)
    n = 4000
    x = np.cumsum(rng.exponential(1.0, n))
    s = np.cumprod(1 - rng.random(n) * 1e-3)
    lo, hi = s**1.3, s**0.8
    tol = 1e-3
    poly = step_band(x, lo, hi, tol=tol, max_points=10)
    top, bottom = step_points([hi], tol=tol, max_points=10), step_points([lo], tol=tol,
                                                                         max_points=10)
    assert poly.shape == (2 * top.size - 1 + 2 * bottom.size - 1, 2) and poly.shape[0] < n
    upper, lower = poly[: 2 * top.size - 1], poly[2 * top.size - 1:][::-1]
    t = _every_time(x)
    for edge, exact in ((upper, hi), (lower, lo)):
        ex, ey = edge[::2, 0], edge[::2, 1]  # the corners where each step starts
        assert ex[0] == x[0] and ex[-1] == x[-1]
        assert np.all(edge[1::2, 1] == ey[:-1])  # horizontal runs, then a vertical step
        assert np.max(np.abs(_value(ex, ey, t) - _value(x, exact, t))) < tol


def test_marks_one_per_cell():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 100, 4000))
    y = np.sort(rng.uniform(0, 1, 4000))[::-1]
    dx, dy = 0.1, 2e-3
    keep = mark_points(x, y, dx=dx, dy=dy, max_marks=10)
    assert 0 < keep.size < 4000 and np.all(np.diff(keep) > 0)
    cells = np.floor(np.c_[x / dx, y / dy])
    kept = {tuple(c) for c in cells[keep]}
    assert len(kept) == keep.size  # one mark per cell...
    assert kept == {tuple(c) for c in cells}  # ...and every cell with a mark has one
    # marks on a monotone curve touch at most span_x / dx + span_y / dy + 1 cells
    assert keep.size <= np.ptp(x) / dx + np.ptp(y) / dy + 2
    assert mark_points(x[:50], y[:50], dx=dx).tolist() == list(range(50))


def test_km_figure_draws_thinned_curve(monkeypatch):
    """A Kaplan-Meier figure of 4,000 patients drawn with small thresholds: the line, the
    band and the censor marks have fewer points, within TOL of the curve at every time."""
    import matplotlib.pyplot as plt

    from sarcohort.analysis._survival import KMOptions, km_analysis, risk_times
    from sarcohort.report.plots._km import plot_km

    monkeypatch.setattr(_thin, "MAX_POINTS", 50)
    monkeypatch.setattr(_thin, "MAX_MARKS", 50)
    rng = np.random.default_rng(0)
    t = rng.exponential(20.0, 4000).round(2) + 0.01
    e = rng.random(4000) < 0.6
    res = km_analysis("os", "Overall survival", t, e, options=KMOptions(
        "log-log", 0.95, "brookmeyer-crowley", times_at_risk=risk_times(float(t.max()))))
    ax = plot_km(res)
    c = res.groups[0].curve
    x = np.r_[0.0, c.time]
    s = np.r_[1.0, np.array(c.survival, float)]
    line = next(ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post")
    lx, ly = (np.asarray(v, float) for v in line.get_data())
    assert 50 < lx.size < x.size / 2
    grid = _every_time(x)
    assert np.max(np.abs(_value(lx, ly, grid) - _value(x, s, grid))) < _thin.TOL
    marks = next(ln for ln in ax.get_lines() if ln.get_marker() == "+")
    assert 0 < len(marks.get_xdata()) < len(c.censor_times)
    # the numbers at risk are not thinned
    assert [int(tx.get_text()) for tx in ax.risk_table.texts] == list(res.groups[0].at_risk)
    plt.close(ax.figure)


def test_residual_plot_caption_says_a_sample_is_shown():
    from types import SimpleNamespace

    from sarcohort.report._figures import _zph_sample_note

    def model(shown, total):
        return SimpleNamespace(zph_curves=[SimpleNamespace(points_shown=s, points_total=total)
                                           for s in shown])

    assert _zph_sample_note(model([117, 117], 117)) == ""  # every residual drawn
    assert _zph_sample_note(model([None], None)) == ""     # an earlier results.json
    note = _zph_sample_note(model([501, 502], 48210))
    assert "501 to 502 of the 48,210 residuals" in note and "use all" in note
