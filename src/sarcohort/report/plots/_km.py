"""Kaplan-Meier figure: curves with CI bands, censor marks, log-rank P and a
numbers-at-risk table aligned under the time axis.

The layout is computed in inches, not left to ``tight_layout``: the risk table
is a second Axes sharing the time axis of the curves, so each count sits
exactly under its tick whatever the number of groups (1 to 7) and however long
the labels (measured, and wrapped on two lines beyond ~2.4 inches).
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from sarcohort.analysis._results import KMAnalysis
from sarcohort.protocol._options import default_of
from sarcohort.report._format import fmt_p
from sarcohort.report.plots import _thin
from sarcohort.report.plots._style import (
    COLORS,
    FONT_SIZE,
    SMALL,
    group_style,
    rc_context,
    text_width_in,
    use_agg,
)
from sarcohort.report.plots._thin import MARK_CELLS, mark_points, step_band, step_points

HATCHES = (None, "////", "\\\\\\\\", "....", "xx", "--", "++")
WIDTH = 6.89  # double column: 175 mm
SINGLE = 3.35  # one journal column: 85 mm
MAIN_H = 3.1
TOP = 0.15
XLAB = 0.5
TITLE = 0.28
LINE_H = 0.17
BOTTOM = 0.08
RIGHT = 0.3
MAX_LABEL_IN = 1.7


def _wrap(label: str) -> str:
    if text_width_in(label, SMALL) <= MAX_LABEL_IN:
        return label
    lines = textwrap.wrap(label, width=max(8, len(label) // 2 + 2))
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    if len(lines) == 2 and text_width_in(lines[1], SMALL) > MAX_LABEL_IN:
        while lines[1] and text_width_in(lines[1] + "\u2026", SMALL) > MAX_LABEL_IN:
            lines[1] = lines[1][:-1]
        lines[1] += "\u2026"
    return "\n".join(lines)


def _pad_in(res: KMAnalysis) -> float:
    """Gap between the risk-table labels and the axis: half the widest count at time 0 + 5 pt."""
    first = max((g.at_risk[0] for g in res.groups if g.at_risk), default=0)
    return text_width_in(str(first), SMALL) / 2 + 5 / 72


def _main_h(width: float) -> float:
    return MAIN_H if width >= 5 else 2.3


def _layout(res: KMAnalysis, width: float = WIDTH) -> tuple[list[str], float, float, float, int, float]:
    """Labels, row height, left margin, table height, legend columns (0: inside), top margin."""
    labels = [_wrap(g.label) for g in res.groups] if len(res.groups) > 1 else ["All patients"]
    lines = max(lab.count("\n") + 1 for lab in labels)
    row_h = LINE_H * lines + 0.05
    label_w = max(text_width_in(lab, SMALL) for lab in labels)
    left = max(0.8, label_w + _pad_in(res) + 0.2)
    k = len(labels)
    ncol, top = 0, TOP
    if k > 3 or label_w > 1.8 or (width < 5 and k > 1):
        # a legend this big would hide curves: put it above the plot, in 1 or 2 columns
        axes_w = width - left - RIGHT
        ncol = 2 if k > 1 and 2 * (label_w + 0.6) < axes_w else 1
        rows = -(-k // ncol)
        top = TOP + (rows * lines + 1) * SMALL * 1.55 / 72
    return labels, row_h, left, k * row_h, ncol, top


def km_figure_size(res: KMAnalysis, width: float = WIDTH) -> tuple[float, float]:
    """Width and height (inches) of the figure :func:`plot_km` makes."""
    _, _, _, table_h, _, top = _layout(res, width)
    return width, top + _main_h(width) + XLAB + TITLE + table_h + BOTTOM


def _arr(values: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _fill(ax: Any, poly: np.ndarray, **style: Any) -> None:
    """``ax.fill(poly[:, 0], poly[:, 1], **style)`` of a polygon of straight edges, the same
    patch and data limits without matplotlib's walk of its edges one by one (a registry's
    band: thousands of vertices, a tenth of a second each): the patch is made of the first
    vertex, then given every vertex, whose bounds extend the data limits."""
    (patch,) = ax.fill(poly[:1, 0], poly[:1, 1], **style)
    patch.set_xy(poly)
    ax.update_datalim(poly)


def draw_band(ax: Any, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, color: str,
              i: int, k: int) -> None:
    """Fill the pointwise CI band of curve ``i`` of ``k`` between two step functions.

    Bands are told apart in greyscale too: the first filled, the next hatched. A
    registry's thousands of sub-pixel steps are drawn within ``TOL`` of the exact
    edges (:mod:`~sarcohort.report.plots._thin`); a band of at most ``MAX_POINTS``
    steps is drawn whole.
    """
    hatch = HATCHES[i % len(HATCHES)]
    alpha = (0.16 if k <= 3 else 0.08) if not hatch else 0.07
    if x.size > _thin.MAX_POINTS:
        poly = step_band(x, lower, upper)
        _fill(ax, poly, facecolor=color, alpha=alpha, linewidth=0)
        if hatch:
            _fill(ax, poly, facecolor="none", edgecolor=color, hatch=hatch, linewidth=0,
                  alpha=0.45)
    else:
        ax.fill_between(x, lower, upper, step="post", facecolor=color, alpha=alpha, linewidth=0)
        if hatch:
            ax.fill_between(x, lower, upper, step="post", facecolor="none",
                            edgecolor=color, hatch=hatch, linewidth=0, alpha=0.45)


def plot_km(
    res: KMAnalysis,
    ax: Any = None,
    *,
    time_unit: str = default_of("analysis.time_unit"),
    ci: bool | None = None,
    risk_table: bool = True,
    title: str | None = None,
    time_label: str | None = None,
    median_lines: bool = False,
    width: float = WIDTH,
) -> Any:
    """Draw a Kaplan-Meier analysis; returns the curves' Axes.

    Parameters
    ----------
    res
        A :class:`~sarcohort.analysis._results.KMAnalysis` (``Results.km(...)``).
    ax
        Axes to draw into; None makes a new figure sized for the risk table.
        With a given Axes the risk table is added below it, in the space the
        caller left (see :func:`km_figure_size`).
    time_unit
        Shown in the time-axis label.
    ci
        Draw the pointwise CI bands; None (default): for up to 3 curves only, as
        more bands overlap into an unreadable patch.
    risk_table
        Draw the numbers-at-risk table.
    title
        Optional title above the curves.
    time_label
        The time axis label (default ``Time (months)``); the report names the origin:
        ``Months since first metastasis``.
    median_lines
        Dotted lines from 0.5 to each curve's median and down to the time axis.
    width
        Figure width in inches at print size: 6.89 (175 mm, two columns) or 3.35 (85 mm,
        one column); text stays 8-9 pt, so it prints at 8-9 pt.

    Returns
    -------
    matplotlib.axes.Axes
        The curves' Axes; the risk table's Axes is ``ax.risk_table`` (or None).
    """
    use_agg()
    with rc_context():
        import matplotlib.pyplot as plt

        labels, row_h, left, table_h, ncol, _ = _layout(res, width)
        if ax is None:
            w, h = km_figure_size(res, width)
            fig = plt.figure(figsize=(w, h))
            ax = fig.add_axes(((left) / w, (BOTTOM + table_h + TITLE + XLAB) / h,
                               (w - left - RIGHT) / w, _main_h(width) / h))
        fig = ax.figure
        k = len(res.groups)
        if ci is None:
            ci = k <= 3
        xmax = res.risk_times[-1] if len(res.risk_times) > 1 else None
        for i, g in enumerate(res.groups):
            color, ls = group_style(i)
            color = color if k > 1 else "#222222"
            c = g.curve
            x = np.concatenate([[0.0], np.asarray(c.time, float)])
            y = np.concatenate([[1.0], _arr(c.survival)])
            if ci:
                # a limit that is not estimable (S = 0 at the last event) gives a zero-width
                # band there, so the step before it is still drawn
                lo = np.concatenate([[1.0], _arr(c.lower)])
                hi = np.concatenate([[1.0], _arr(c.upper)])
                lo = np.where(np.isnan(lo), y, lo)
                hi = np.where(np.isnan(hi), y, hi)
                draw_band(ax, x, lo, hi, color, i, k)
            keep = step_points([y])
            x, y = x[keep], y[keep]
            ax.step(x, y, where="post", color=color, linestyle=ls, label=labels[i], linewidth=1.5)
            if c.censor_times:
                cx, cy = np.asarray(c.censor_times, float), np.asarray(c.censor_survival, float)
                # marks less than about a point apart are drawn once (plots._thin)
                keep = mark_points(cx, cy, dx=(xmax or float(cx.max()) or 1.0) / MARK_CELLS)
                # "+" reads on every line style (a "|" vanishes into a dashed line)
                ax.plot(cx[keep], cy[keep], linestyle="none", marker="+",
                        markersize=6, markeredgewidth=1.1, color=color, zorder=4)
            if median_lines and g.median is not None:
                ax.plot([0, g.median, g.median], [0.5, 0.5, 0.0], color="#555555",
                        linestyle=(0, (1, 1.5)), linewidth=0.8, zorder=1)
        ax.set_ylim(0, 1.04)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_yticklabels(["0", "0.25", "0.50", "0.75", "1.00"])
        ax.set_ylabel(f"{res.endpoint_label} probability")
        if xmax:
            ax.set_xlim(0, xmax)
            ax.set_xticks(res.risk_times)
            ax.set_xticklabels([f"{t:g}" for t in res.risk_times])
        ax.set_xlabel(time_label or f"Time ({time_unit})")
        if title:
            ax.set_title(title, loc="left", fontsize=FONT_SIZE + 1)
        if k > 1:
            ptxt = None if res.logrank_p is None else "Log-rank P " + (
                fmt_p(res.logrank_p) if fmt_p(res.logrank_p).startswith("<")
                else "= " + fmt_p(res.logrank_p))
            if res.factor_label:  # the legend's title names the variable the curves split by
                ptxt = res.factor_label + (f" (log-rank P{ptxt[len('Log-rank P'):]})" if ptxt else "")
            if ncol:
                leg = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=ncol, title=ptxt,
                                handlelength=2.6, borderaxespad=0.0, alignment="left",
                                columnspacing=1.5)
            else:
                leg = ax.legend(loc="upper right", title=ptxt, handlelength=2.6,
                                borderaxespad=0.3, alignment="left")
            if ptxt:
                leg.get_title().set_fontsize(SMALL)
        else:
            g = res.groups[0]
            ax.text(0.99, 0.98, f"n = {g.n}, events = {g.events}", transform=ax.transAxes,
                    ha="right", va="top", fontsize=SMALL)
        ax.risk_table = _risk_table(fig, ax, res, labels, row_h, table_h) if risk_table else None
    return ax


def _risk_table(fig: Any, ax: Any, res: KMAnalysis, labels: list[str], row_h: float,
                table_h: float) -> Any:
    w, h = fig.get_size_inches()
    pos = ax.get_position()
    y0 = pos.y0 - (XLAB + TITLE + table_h) / h
    tab = fig.add_axes((pos.x0, y0, pos.width, table_h / h), sharex=ax)
    k = len(res.groups)
    tab.set_ylim(0, k)
    for side in ("top", "right", "bottom", "left"):
        tab.spines[side].set_visible(False)
    tab.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    pad_in = _pad_in(res)
    tab.tick_params(axis="y", which="both", left=False, pad=pad_in * 72)
    ys = [k - i - 0.5 for i in range(k)]
    tab.set_yticks(ys)
    tab.set_yticklabels(labels, fontsize=SMALL)
    for i, lab in enumerate(tab.get_yticklabels()):
        lab.set_color(COLORS[i % len(COLORS)] if k > 1 else "#222222")
    for i, g in enumerate(res.groups):
        color = COLORS[i % len(COLORS)] if k > 1 else "#222222"
        for t, n in zip(res.risk_times, g.at_risk, strict=False):
            tab.text(t, ys[i], str(n), ha="center", va="center", fontsize=SMALL, color=color,
                     clip_on=False)
    label_w = max(text_width_in(lab, SMALL) for lab in labels) + pad_in
    fig.text(pos.x0 - label_w / w, y0 + (table_h + 0.06) / h, "Number at risk", fontsize=SMALL,
             fontweight="bold", ha="left", va="bottom")
    return tab
