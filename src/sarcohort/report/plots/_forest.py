"""Forest plot of a Cox model: HR with 95% CI on a log axis, with the numbers beside it."""

from __future__ import annotations

from typing import Any

import numpy as np

from sarcohort.analysis._results import CoxModel, CoxTerm
from sarcohort.protocol._options import default_of
from sarcohort.report._format import ci_name, fmt_hr, fmt_p
from sarcohort.report.plots._style import FONT_SIZE, SMALL, rc_context, text_width_in, use_agg

ROW_H = 0.3
PLOT_W = 2.3
NUM_W = 1.45
P_W = 0.6


def _limits(model: CoxModel) -> tuple[float, float]:
    """At least 0.25-4 (symmetric on the log scale about 1), wider when a CI needs it."""
    vals = [v for t in model.terms for v in (t.lower, t.upper, t.hr) if v is not None and v > 0]
    lo = min(vals + [0.25]) / 1.1
    hi = max(vals + [4.0]) * 1.1
    lo, hi = max(lo, 0.01), min(hi, 100.0)
    return lo, hi


def _ticks(lo: float, hi: float) -> list[float]:
    cands = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100]
    ticks = [t for t in cands if lo <= t <= hi]
    while len(ticks) > 7:
        ticks = ticks[::2] if 1 in ticks[::2] else ticks[1::2]
    return ticks


def _row_label(model: CoxModel, term: CoxTerm) -> str:
    """A binary variable says what it compares: ``Bone metastases: Yes vs No``."""
    v = next((v for v in model.variables if term.name in v.terms), None)
    if v is not None and v.kind == "binary" and v.compared and ":" not in term.label:
        return f"{term.label}: {v.compared} vs {v.reference}"
    return term.label


def _box_sizes(model: CoxModel, largest: float = 10.0, smallest: float = 3.0) -> list[float]:
    """Marker sides (points) with the box AREA proportional to the precision 1/SE^2 of
    each log HR: side proportional to 1/SE, the most precise term ``largest``."""
    prec = [1.0 / t.se if t.se else 0.0 for t in model.terms]
    top = max(prec + [1e-12])
    return [max(smallest, largest * p / top) for p in prec]


def plot_forest(model: CoxModel, ax: Any = None, *, title: str | None = None,
                conf_level: float = default_of("analysis.conf_level")) -> Any:
    """Forest plot of a fitted :class:`~sarcohort.analysis._results.CoxModel`.

    Returns the Axes of the HRs (log scale); labels, ``HR (95% CI)`` (``conf_level``:
    the level the model's intervals were computed at) and P are
    drawn beside it in the same rows. A term that could not be estimated shows
    its label and an en dash. Its width follows its content (about 6.5 inches: a
    two-column figure), text at 8-9 pt at print size.
    """
    use_agg()
    with rc_context():
        import matplotlib.pyplot as plt
        from matplotlib.transforms import blended_transform_factory

        n = len(model.terms)
        label_w = max([text_width_in(_row_label(model, t), SMALL) for t in model.terms] + [1.0]) + 0.2
        height = 0.8 + 0.45 + n * ROW_H + (0.3 if title else 0.0)
        width = label_w + PLOT_W + NUM_W + P_W + 0.3
        if ax is None:
            fig = plt.figure(figsize=(width, height))
            ax = fig.add_axes((label_w / width, 0.8 / height, PLOT_W / width, n * ROW_H / height))
        fig = ax.figure
        fw, _ = fig.get_size_inches()
        pos = ax.get_position()
        lo, hi = _limits(model)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.5, n - 0.5)
        ax.axvline(1.0, color="#777777", linewidth=0.8, linestyle="--", zorder=0)
        ys = np.arange(n)[::-1]
        sizes = _box_sizes(model)
        for y, t, size in zip(ys, model.terms, sizes, strict=True):
            if t.hr is not None and t.lower is not None and t.upper is not None:
                ax.plot([t.hr], [y], marker="s", markersize=size, color="#0072B2",
                        markeredgecolor="#0072B2", linestyle="none", alpha=0.55, zorder=2)
                # the CI above the box: a narrow interval stays visible through it
                ax.plot([max(t.lower, lo), min(t.upper, hi)], [y, y], color="#000000",
                        linewidth=1.1, zorder=3, solid_capstyle="butt")
                if t.upper > hi:
                    ax.annotate("", xy=(hi, y), xytext=(hi / 1.15, y),
                                arrowprops={"arrowstyle": "->", "lw": 1.0})
        ticks = _ticks(lo, hi)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(f"Hazard ratio ({ci_name(conf_level)}), log scale", fontsize=FONT_SIZE)
        ax.tick_params(axis="x", labelsize=SMALL)
        # which side favours what: below the axis label, either side of HR = 1
        for x_at, text, ha in ((0.97, "\u2190 Lower hazard", "right"),
                               (1.03, "Higher hazard \u2192", "left")):
            ax.annotate(text, xy=(x_at, 0), xycoords=("data", "axes fraction"),
                        xytext=(0, -30), textcoords="offset points", ha=ha, va="top",
                        fontsize=SMALL, color="#444444", annotation_clip=False)
        tr = blended_transform_factory(fig.transFigure, ax.transData)
        x_num = pos.x1 + 0.15 / fw
        x_p = x_num + NUM_W / fw
        x_lab = pos.x0 - (label_w - 0.1) / fw
        head_y = n - 0.5 + 0.45
        for x, text, ha in ((x_lab, "Variable", "left"), (x_num, f"HR ({ci_name(conf_level)})", "left"),
                            (x_p, "P", "left")):
            ax.text(x, head_y, text, transform=tr, ha=ha, va="center", fontsize=SMALL,
                    fontweight="bold", clip_on=False)
        for y, t in zip(ys, model.terms, strict=True):
            ax.text(x_lab, y, _row_label(model, t), transform=tr, ha="left", va="center", fontsize=SMALL,
                    clip_on=False)
            ax.text(x_num, y, fmt_hr(t.hr, t.lower, t.upper), transform=tr, ha="left",
                    va="center", fontsize=SMALL, clip_on=False)
            ax.text(x_p, y, fmt_p(t.p), transform=tr, ha="left", va="center",
                    fontsize=SMALL, clip_on=False)
        if title:
            ax.text(x_lab, head_y + 0.9, title, transform=tr, ha="left", va="center",
                    fontsize=FONT_SIZE + 1, fontweight="bold", clip_on=False)
        note = f"n = {model.n}, events = {model.n_event}"
        ax.text(x_lab, -0.5 - 0.62 / ROW_H, note,
                transform=tr, ha="left", va="center", fontsize=SMALL, color="#444444",
                clip_on=False)
    return ax
