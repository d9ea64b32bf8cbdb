"""Patient-flow diagram (STROBE style): records read, exclusions to the side, analysed, groups."""

from __future__ import annotations

import textwrap
from typing import Any

from sarcohort.analysis._results import Results
from sarcohort.report._tables import flow_words
from sarcohort.report.plots._style import SMALL, rc_context, use_agg

WIDTH = 6.5
LINE = 0.16
PAD = 0.2
GAP = 0.3
MAIN_X, MAIN_W = 1.9, 3.0
SIDE_X, SIDE_W = 5.05, 2.7


def _h(text: str) -> float:
    return (text.count("\n") + 1) * LINE + PAD


def plot_flow(results: Results, ax: Any = None) -> Any:
    """Draw the patient flow of ``results`` (and the split by group); returns the Axes.

    The exclusions between two steps are listed in one side box with their
    counts; the analysed patients split into the groups of Table 1.
    """
    use_agg()
    t1 = results.table1
    main: list[str] = []
    sides: list[str | None] = []
    for s in results.flow:
        if s.reason is not None and not s.excluded:
            continue  # an exclusion rule that excluded nobody: in the table, not the diagram
        if s.excluded:
            line = textwrap.fill(f"{flow_words(s.reason or s.label)} (n = {s.excluded})", 40)
            if not main:
                main.append("")
                sides.append(None)
            sides[-1] = line if sides[-1] is None else f"{sides[-1]}\n{line}"
        else:
            main.append(textwrap.fill(f"{s.label} (n = {s.n})", 36))
            sides.append(None)
    if not main:
        main, sides = [f"Patients analysed (n = {t1.n[0]})"], [None]
    sides = [None if s is None else f"Excluded (n = {_count(s)}):\n{s}" for s in sides]
    groups = [textwrap.fill(f"{c} (n = {n})", 24) for c, n in zip(t1.columns[1:], t1.n[1:],
                                                                   strict=True)]
    # main boxes in the middle when nothing is excluded (no side boxes)
    main_x = MAIN_X if any(sd is not None for sd in sides) else WIDTH / 2
    # vertical layout, top to bottom
    rows: list[tuple[float, float]] = []  # (y centre, height) of the main boxes
    y = 0.1
    for text, side in zip(main, sides, strict=True):
        h = _h(text)
        rows.append((y + h / 2, h))
        y += h + GAP
        if side is not None:
            y += _h(side) + GAP / 2
    gh = max([_h(g) for g in groups] + [0.0])
    if groups:
        y += gh / 2 + 0.05
    height = y + (gh / 2 if groups else 0) + 0.1
    with rc_context():
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyBboxPatch

        if ax is None:
            fig = plt.figure(figsize=(WIDTH, height))
            ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(height, 0)
        ax.axis("off")
        arrow = {"arrowstyle": "-|>", "lw": 0.9, "color": "#333333", "shrinkA": 0, "shrinkB": 0}

        def box(x: float, yc: float, w: float, h: float, text: str, fc: str = "white",
                ha: str = "center") -> None:
            ax.add_patch(FancyBboxPatch((x - w / 2, yc - h / 2), w, h,
                                        boxstyle="round,pad=0,rounding_size=0.04",
                                        fc=fc, ec="#333333", lw=0.9))
            tx = x if ha == "center" else x - w / 2 + 0.1
            ax.text(tx, yc, text, ha=ha, va="center", fontsize=SMALL, linespacing=1.35)

        for i, ((yc, h), text, side) in enumerate(zip(rows, main, sides, strict=True)):
            if text:
                box(main_x, yc, MAIN_W, h, text)
            if i + 1 < len(rows):
                ax.annotate("", xy=(main_x, rows[i + 1][0] - rows[i + 1][1] / 2),
                            xytext=(main_x, yc + h / 2), arrowprops=arrow)
            if side is not None:
                sh = _h(side)
                sy = yc + h / 2 + GAP / 2 + sh / 2
                box(SIDE_X, sy, SIDE_W, sh, side, fc="#f3f3f3", ha="left")
                ax.annotate("", xy=(SIDE_X - SIDE_W / 2, sy), xytext=(main_x, sy), arrowprops=arrow)
        if groups:
            k = len(groups)
            gy = height - 0.1 - gh / 2
            gw = min(1.9, (WIDTH - 0.2) / k - 0.2)
            span = k * gw + (k - 1) * 0.2
            centre = min(max(main_x, span / 2 + 0.1), WIDTH - span / 2 - 0.1)
            xs = [centre - span / 2 + gw / 2 + i * (gw + 0.2) for i in range(k)]
            last_y, last_h = rows[-1]
            for x, g in zip(xs, groups, strict=True):
                box(x, gy, gw, gh, g)
                ax.annotate("", xy=(x, gy - gh / 2), xytext=(main_x, last_y + last_h / 2),
                            arrowprops=arrow)
    return ax


def _count(side: str) -> int:
    import re

    return sum(int(n) for n in re.findall(r"\(n = (\d+)\)", side))
