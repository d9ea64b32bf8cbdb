"""A Kaplan-Meier band's polygon (``_km._fill``) is the patch ``ax.fill`` makes: the same data
limits and the same SVG and PNG bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")


def _drawn(fill) -> tuple[np.ndarray, bytes, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(3)
    x = np.cumsum(rng.uniform(0.01, 1.0, 3000))
    top = np.sort(rng.uniform(0.5, 1.0, x.size))[::-1]
    poly = np.column_stack([np.concatenate([x, x[::-1]]),
                            np.concatenate([top, (top - 0.2)[::-1]])])
    fig, ax = plt.subplots()
    ax.plot([0.5, 2.0], [0.3, 0.4])  # limits before the band: extended by it
    fill(ax, poly)
    ax.autoscale_view()
    svg, png = io.BytesIO(), io.BytesIO()
    with plt.rc_context({"svg.hashsalt": "band"}):  # the SVG ids of both drawings alike
        fig.savefig(svg, format="svg", metadata={"Date": None})
        fig.savefig(png, format="png", dpi=72, metadata={"Software": None})
    lim = ax.dataLim.get_points().copy()
    plt.close(fig)
    return lim, svg.getvalue(), png.getvalue()


def test_fill_is_ax_fill():
    from sarcohort.report.plots._km import _fill

    style = {"facecolor": "C0", "alpha": 0.16, "linewidth": 0}
    hatched = {"facecolor": "none", "edgecolor": "C1", "hatch": "///", "linewidth": 0,
               "alpha": 0.45}
    for kw in (style, hatched):
        old = _drawn(lambda ax, poly, kw=kw: ax.fill(poly[:, 0], poly[:, 1], **kw))
        new = _drawn(lambda ax, poly, kw=kw: _fill(ax, poly, **kw))
        assert np.array_equal(old[0], new[0])
        assert old[1] == new[1]
        assert old[2] == new[2]
