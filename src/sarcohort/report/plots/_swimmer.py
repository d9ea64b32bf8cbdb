"""Swimmer plot of the treatment course: one bar per patient from the first metastasis.

Each lane runs from the first metastasis to the end of follow-up (thin grey line);
systemic lines are coloured bars (one colour and hatch per line number, so lines stay
distinct in greyscale); markers show progressions (black triangle), surgery of metastases
(grey diamond), objective responses (open circle) and death (cross); an arrow marks follow-up
that is still going on. Lanes are sorted by follow-up, longest on top, and carry no
label (results hold no patient id).

Beyond ``TreatmentCourse.swimmer_max`` patients a lane each would be unreadable: the
plot shows instead the share of patients on each line over time (stacked), with the
share still followed.
"""

from __future__ import annotations

from typing import Any

from sarcohort.analysis._results import TreatmentCourse
from sarcohort.protocol._options import default_of
from sarcohort.report.plots._style import COLORS, FONT_SIZE, SMALL, rc_context, use_agg

#: marker of each event, as (matplotlib marker, label, face colour)
MARKERS = {
    "progressions": ("v", "Progression", "#000000"),
    "surgeries": ("D", "Surgery of metastases", "#999999"),
    "responses": ("o", "Objective response", "none"),
}
HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "++++")
WIDTH = 6.5


def _line_style(k: int) -> tuple[str, str]:
    return COLORS[(k - 1) % len(COLORS)], HATCHES[(k - 1) % len(HATCHES)]


def _lanes(course: TreatmentCourse, ax: Any, time_unit: str) -> None:
    lanes = course.lanes
    n = len(lanes)
    seen_lines: set[int] = set()
    seen_marks: set[str] = set()
    xmax = max((lane.end for lane in lanes), default=1.0)
    for i, lane in enumerate(lanes):
        y = n - 1 - i
        ax.plot([0, lane.end], [y, y], color="#BBBBBB", lw=0.6, zorder=1)
        for k, start, stop in lane.lines:
            color, hatch = _line_style(k)
            ax.barh(y, max(stop - start, xmax * 0.002), left=start, height=0.62, color=color,
                    hatch=hatch, edgecolor="white", linewidth=0.0, zorder=2,
                    label=f"Line {k}" if k not in seen_lines else None)
            seen_lines.add(k)
        for field, (marker, label, face) in MARKERS.items():
            xs = getattr(lane, field)
            if xs:
                ax.scatter(xs, [y] * len(xs), marker=marker, s=14, zorder=3,
                           facecolors=face, edgecolors="#000000",
                           linewidths=0.7, label=label if field not in seen_marks else None)
                seen_marks.add(field)
        if lane.death:
            ax.scatter([lane.end], [y], marker="x", s=16, color="#000000", linewidths=0.9,
                       zorder=3, label="Death" if "death" not in seen_marks else None)
            seen_marks.add("death")
        elif lane.alive:
            ax.annotate("", xy=(lane.end + xmax * 0.025, y), xytext=(lane.end, y),
                        arrowprops=dict(arrowstyle="->", lw=0.7, color="#555555"), zorder=3)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_yticks([])
    ax.set_ylabel(f"Patients (n = {n}), longest follow-up on top", fontsize=FONT_SIZE)
    ax.set_xlim(0, xmax * 1.06)
    ax.set_xlabel(f"Time since first metastasis ({time_unit}); arrow: alive at last follow-up",
                  fontsize=FONT_SIZE)
    ax.legend(loc="lower right", fontsize=SMALL, frameon=True, framealpha=0.9, ncol=2)


def _occupancy(course: TreatmentCourse, ax: Any, time_unit: str) -> None:
    occ = course.occupancy
    if occ is None:
        return
    import numpy as np

    t = np.asarray(occ.time)
    base = np.zeros_like(t)
    for k, share in zip(occ.lines, occ.shares, strict=True):
        color, hatch = _line_style(k)
        top = base + 100 * np.asarray(share)
        ax.fill_between(t, base, top, step="post", color=color, hatch=hatch, lw=0,
                        label=f"On line {k}")
        base = top
    ax.step(t, 100 * np.asarray(occ.followed), where="post", color="#000000", lw=1.0,
            label="Alive and followed")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, float(t[-1]) if t.size else 1.0)
    ax.set_ylabel(f"Patients (%, n = {course.n_patients})", fontsize=FONT_SIZE)
    ax.set_xlabel(f"Time since first metastasis ({time_unit})", fontsize=FONT_SIZE)
    ax.legend(loc="upper right", fontsize=SMALL, frameon=False)


def plot_swimmer(course: TreatmentCourse, ax: Any = None, *, time_unit: str = default_of("analysis.time_unit")) -> Any:
    """Draw the treatment course; returns the Axes.

    Parameters
    ----------
    course
        :class:`~sarcohort.analysis._results.TreatmentCourse` (``Results.treatments``).
    ax
        Axes to draw into; None makes a figure sized for the number of lanes.
    time_unit
        Shown in the time-axis label.
    """
    use_agg()
    with rc_context():
        import matplotlib.pyplot as plt

        if ax is None:
            n = len(course.lanes)
            height = min(9.0, max(3.0, 0.6 + 0.065 * n)) if n else 3.4
            fig, ax = plt.subplots(figsize=(WIDTH, height))
        if course.lanes:
            _lanes(course, ax, time_unit)
        else:
            _occupancy(course, ax, time_unit)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.figure.tight_layout()
    return ax
