"""Cumulative incidence figure of competing risks: one step function per cause and group
(colour: the group; solid: the event of interest, dashed: the competing event), Gray's P in
the legend, and the Kaplan-Meier figure's numbers-at-risk table under the time axis (at
risk of either cause: the same for both causes of a group)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sarcohort.analysis._results import CompetingRisks, Curve, KMAnalysis, KMGroup
from sarcohort.protocol._options import default_of
from sarcohort.report._format import fmt_p
from sarcohort.report.plots._km import (
    BOTTOM,
    TITLE,
    WIDTH,
    XLAB,
    _layout,
    _main_h,
    _risk_table,
    draw_band,
    km_figure_size,
)
from sarcohort.report.plots._style import FONT_SIZE, SMALL, group_style, rc_context, use_agg
from sarcohort.report.plots._thin import step_points

RIGHT = 0.3


def _risk_rows(res: CompetingRisks) -> KMAnalysis:
    """The groups' numbers at risk in the shape the Kaplan-Meier risk table draws."""
    curves = res.by_group or res.overall
    empty = Curve((), (), (), (), (), ())
    groups, seen = [], set()
    for c in curves:
        if c.group in seen:
            continue
        seen.add(c.group)
        same = [x for x in curves if x.group == c.group]
        groups.append(KMGroup(c.group or "All patients", c.n, sum(x.events for x in same), None,
                              None, None, (), c.at_risk, empty))
    return KMAnalysis(res.endpoint, res.endpoint_label, res.factor if res.by_group else None,
                      res.factor_label if res.by_group else None, tuple(groups), res.risk_times)


def cif_figure_size(res: CompetingRisks, width: float = WIDTH) -> tuple[float, float]:
    """Width and height (inches) of the figure :func:`plot_cif` makes."""
    return km_figure_size(_risk_rows(res), width)


def _arr(values: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def plot_cif(res: CompetingRisks, ax: Any = None, *,
             time_unit: str = default_of("analysis.time_unit"), ci: bool | None = None,
             risk_table: bool = True, time_label: str | None = None,
             width: float = WIDTH) -> Any:
    """Draw the cumulative incidence of each cause (by group when there are groups).

    Parameters
    ----------
    res
        A :class:`~sarcohort.analysis._results.CompetingRisks` (``Results.competing``).
    ax
        Axes to draw into; None makes a new figure sized for the risk table.
    time_unit, time_label
        The time axis label (default ``Time (<unit>)``).
    ci
        Draw the pointwise CI bands of the event of interest (the solid curves); None
        (default): for up to 3 groups only, as more bands overlap into an unreadable patch.
        The competing event's curves are drawn without bands.
    risk_table
        Draw the numbers-at-risk table.
    width
        Figure width in inches at print size.

    Returns
    -------
    matplotlib.axes.Axes
        The curves' Axes; the risk table's Axes is ``ax.risk_table`` (or None).
    """
    use_agg()
    rows = _risk_rows(res)
    with rc_context():
        import matplotlib.pyplot as plt

        labels, row_h, left, table_h, _, _ = _layout(rows, width)
        if ax is None:
            w, h = km_figure_size(rows, width)
            fig = plt.figure(figsize=(w, h))
            ax = fig.add_axes((left / w, (BOTTOM + table_h + TITLE + XLAB) / h,
                               (w - left - RIGHT) / w, _main_h(width) / h))
        fig = ax.figure
        curves = res.by_group or res.overall
        groups = list(dict.fromkeys(c.group for c in curves))
        if ci is None:
            ci = len(groups) <= 3
        for c in curves:
            i = groups.index(c.group)
            color = group_style(i)[0] if len(groups) > 1 else "#222222"
            x = np.concatenate([[0.0], np.asarray(c.time, float)])
            y = np.concatenate([[0.0], _arr(c.estimate)])
            if ci and c.cause == res.event:
                # the band up to the group's last follow-up; a limit that is not estimable
                # gives a zero-width band there
                seen = ~np.isnan(y)
                lo = np.concatenate([[0.0], _arr(c.lower)])[seen]
                hi = np.concatenate([[0.0], _arr(c.upper)])[seen]
                lo = np.where(np.isnan(lo), y[seen], lo)
                hi = np.where(np.isnan(hi), y[seen], hi)
                draw_band(ax, x[seen], lo, hi, color, i, len(groups))
            keep = step_points([y])  # a registry's sub-pixel steps drawn within TOL
            x, y = x[keep], y[keep]
            name = c.cause_label if c.group is None else f"{c.group}: {c.cause_label.lower()}"
            ax.step(x, y, where="post", color=color, linewidth=1.5, label=name,
                    linestyle="-" if c.cause == res.event else "--")
        ax.set_ylim(0, 1.04)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_yticklabels(["0", "0.25", "0.50", "0.75", "1.00"])
        ax.set_ylabel("Cumulative incidence")
        if len(res.risk_times) > 1:
            ax.set_xlim(0, res.risk_times[-1])
            ax.set_xticks(res.risk_times)
            ax.set_xticklabels([f"{t:g}" for t in res.risk_times])
        ax.set_xlabel(time_label or f"Time ({time_unit})")
        title = None
        if res.tests:
            title = (f"{res.factor_label} (Gray's P: "
                     + ", ".join(f"{t.cause_label.lower()} {fmt_p(t.p)}" for t in res.tests) + ")")
        # rising curves fill the upper left: the legend goes where it hides least, on white
        leg = ax.legend(loc="best", title=title, handlelength=2.6, borderaxespad=0.3,
                        alignment="left", fontsize=SMALL, frameon=True, framealpha=0.9,
                        edgecolor="none", facecolor="white")
        if title:
            leg.get_title().set_fontsize(SMALL)
        ax.title.set_fontsize(FONT_SIZE + 1)
        ax.risk_table = _risk_table(fig, ax, rows, labels, row_h, table_h) if risk_table else None
    return ax
