"""Figure layout: the numbers-at-risk table stays aligned with the time axis for 1-6
groups and long labels, nothing overlaps, nothing is clipped; PNG encoding round-trips."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from sarcohort.analysis._survival import KMOptions, km_analysis, risk_times  # noqa: E402
from sarcohort.report.plots._km import plot_km  # noqa: E402


def _km(k: int, long_labels: bool):
    rng = np.random.default_rng(k)
    n = 40 * k
    t = rng.exponential(20.0, n).round(1) + 0.1
    e = rng.random(n) < 0.75
    names = [(f"Group {i + 1} with a rather long descriptive label, treated arm {i + 1}"
              if long_labels else f"G{i + 1}") for i in range(k)]
    g = np.array([names[i % k] for i in range(n)], dtype=object) if k > 1 else None
    rt = risk_times(float(t.max()))
    return km_analysis("os", "Overall survival", t, e, g, names if k > 1 else None,
                       factor="x" if k > 1 else None, factor_label="X",
                       options=KMOptions("log-log", 0.95, "brookmeyer-crowley", landmarks=[12.0],
                                         times_at_risk=rt))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("long_labels", [False, True])
def test_risk_table_aligned_and_readable(k, long_labels):
    import matplotlib.pyplot as plt

    res = _km(k, long_labels)
    ax = plot_km(res)
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    tab = ax.risk_table
    ticks_px = ax.transData.transform([(t, 0) for t in res.risk_times])[:, 0]
    counts = [t for t in tab.texts]
    assert len(counts) == k * len(res.risk_times)
    # every count is centred exactly under its tick of the time axis
    for i, txt in enumerate(counts):
        bb = txt.get_window_extent(r)
        assert (bb.x0 + bb.x1) / 2 == pytest.approx(ticks_px[i % len(res.risk_times)], abs=1.0)
    # counts show the numbers at risk of the result
    assert [int(t.get_text()) for t in counts] == [n for g in res.groups for n in g.at_risk]
    # nothing overlaps in the table: row labels, counts of different rows and columns
    boxes = [t.get_window_extent(r) for t in counts] + \
            [lab.get_window_extent(r) for lab in tab.get_yticklabels()]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (i, j)
    # nothing is clipped: every text inside the figure
    W, H = fig.canvas.get_width_height()
    for t in fig.findobj(matplotlib.text.Text):
        if not t.get_visible() or not t.get_text():
            continue
        bb = t.get_window_extent(r)
        assert bb.x0 >= -0.5 and bb.y0 >= -0.5 and bb.x1 <= W + 0.5 and bb.y1 <= H + 0.5, t.get_text()
    # the legend (k > 1) does not overlap the risk table or the axis labels
    leg = ax.get_legend()
    if leg is not None:
        lb = leg.get_window_extent(r)
        assert not lb.overlaps(tab.get_window_extent(r))
        assert not lb.overlaps(ax.xaxis.label.get_window_extent(r))
    plt.close(fig)


def test_km_draws_ci_bands_and_censor_marks():
    import matplotlib.pyplot as plt

    res = _km(2, False)
    ax = plot_km(res)
    bands = ax.collections
    # one filled band per group; the second also hatched, so greyscale tells them apart
    assert len(bands) == 3 and bands[2].get_hatch() == "////" and not bands[0].get_hatch()
    marks = [ln for ln in ax.lines if ln.get_marker() == "+"]  # "+" reads on dashed lines
    assert len(marks) == sum(1 for g in res.groups if g.curve.censor_times)
    assert all(m.get_markersize() >= 5 for m in marks)
    assert "log-rank P" in ax.get_legend().get_title().get_text()
    plt.close(ax.figure)


def test_km_median_lines_and_time_axis_names_the_origin():
    import matplotlib.pyplot as plt

    res = _km(2, False)
    ax = plot_km(res, time_label="Months since first metastasis", median_lines=True)
    assert ax.get_xlabel() == "Months since first metastasis"
    dotted = [ln for ln in ax.lines if list(ln.get_ydata()) == [0.5, 0.5, 0.0]]
    assert [ln.get_xdata()[1] for ln in dotted] == [g.median for g in res.groups
                                                    if g.median is not None]
    plt.close(ax.figure)


def test_forest_boxes_by_precision_ci_on_top_and_favours_labels():
    import matplotlib.pyplot as plt

    from fixtures.small_cohort import results
    from sarcohort.report.plots._forest import _box_sizes, plot_forest

    m = results().model("os")
    ax = plot_forest(m)
    boxes = [ln for ln in ax.lines if ln.get_marker() == "s"]
    cis = [ln for ln in ax.lines if ln.get_marker() in ("None", "", None) and len(ln.get_xdata()) == 2
           and ln.get_xdata()[0] != ln.get_xdata()[1]]
    assert all(b.get_zorder() < c.get_zorder() for b in boxes for c in cis)
    sizes = _box_sizes(m)
    # area (side squared) proportional to 1 / SE^2, the largest 10 pt (none below 3 pt)
    ses = [t.se for t in m.terms]
    big = max(range(len(ses)), key=lambda i: 1 / ses[i])
    for i, se in enumerate(ses):
        if sizes[i] > 3.0:
            assert sizes[i] ** 2 / sizes[big] ** 2 == pytest.approx(ses[big] ** 2 / se ** 2)
    lo, hi = ax.get_xlim()
    assert lo <= 0.25 and hi >= 4
    texts = [t.get_text() for t in ax.texts]
    assert any("Lower hazard" in t for t in texts) and any("Higher hazard" in t for t in texts)
    plt.close(ax.figure)


def test_forest_and_flow(tmp_path):
    import matplotlib.pyplot as plt

    from fixtures.small_cohort import results
    from sarcohort.report._format import fmt_hr
    from sarcohort.report.plots._flow import plot_flow
    from sarcohort.report.plots._forest import plot_forest

    r = results()
    m = r.model("os")
    ax = plot_forest(m)
    texts = [t.get_text() for t in ax.texts]
    for t in m.terms:
        assert any(x.startswith(t.label) for x in texts) and fmt_hr(t.hr, t.lower, t.upper) in texts
    plt.close(ax.figure)
    ax = plot_flow(r)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "(n = 14)" in texts and "(n = 12)" in texts and "(n = 2)" in texts
    assert "Synchronous (n = 4)" in texts and "Metachronous (n = 8)" in texts
    plt.close(ax.figure)


def test_png_bytes_roundtrip():
    from PIL import Image

    from sarcohort.report.plots._style import png_bytes

    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    im = Image.open(io.BytesIO(png_bytes(rgb, 300)))
    assert im.mode == "RGB" and im.size == (5, 7)
    assert np.array_equal(np.asarray(im), rgb)
    assert im.info["dpi"][0] == pytest.approx(300, abs=0.01)


def test_risk_times():
    from sarcohort.analysis._survival import nice_step

    assert risk_times(77.0) == tuple(float(x) for x in range(0, 96, 12))  # 12-month steps
    assert nice_step(20.0) == 3.0
    assert risk_times(10.0, step=5) == (0.0, 5.0, 10.0)


def test_svg_escapes_labels_and_has_font_fallback(tmp_path):
    import matplotlib.pyplot as plt

    from sarcohort.report.plots._style import save

    t = np.arange(1.0, 21.0)
    g = np.array(["<script>alert(1)</script>", "A & B"] * 10, dtype=object)
    res = km_analysis("os", "OS", t, np.ones(20, bool), g, None, factor="x", factor_label="X",
                      options=KMOptions("log-log", 0.95, "brookmeyer-crowley",
                                        times_at_risk=risk_times(20.0)))
    ax = plot_km(res)
    (svg_path,) = save(ax.figure, tmp_path / "km", ["svg"])
    plt.close(ax.figure)
    svg = svg_path.read_text()
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "A &amp; B" in svg
    assert "sans-serif" in svg and "<text" in svg  # text stays text, with a fallback font


@pytest.mark.parametrize("width", [3.35, 6.89])  # 85 mm and 175 mm
def test_km_width_single_or_double_with_readable_text(width):
    import matplotlib.pyplot as plt

    res = _km(2, False)
    ax = plot_km(res, width=width)
    fig = ax.figure
    assert fig.get_size_inches()[0] == pytest.approx(width)
    fig.canvas.draw()
    texts = [t for a in fig.axes for t in [*a.texts, a.xaxis.label, a.yaxis.label,
                                           *a.get_xticklabels(), *a.get_yticklabels()]
             if t.get_text()] + list(fig.texts)
    assert min(t.get_fontsize() for t in texts) >= 7  # at print size: the figure is drawn at it
    renderer = fig.canvas.get_renderer()
    for t in texts:  # nothing clipped at the figure's edges
        bb = t.get_window_extent(renderer)
        assert bb.x0 >= -1 and bb.x1 <= fig.bbox.x1 + 1, t.get_text()
    plt.close(fig)
