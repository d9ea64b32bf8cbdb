"""Scaled Schoenfeld residual plots of a Cox model, one panel per term, as R's ``plot(cox.zph(fit))``.

Each panel shows the scaled residuals (points) against the Kaplan-Meier transform
of time, their natural-spline smooth (solid) with a +- 2 SE band (dashed), the
model's coefficient (dotted: the constant effect proportional hazards assume)
and zero (no effect). The time axis is labelled in the report's time unit at
the positions R chooses. A smooth that departs from the dotted line says the
effect changes with time.
"""

from __future__ import annotations

import math
from typing import Any

from sarcohort.analysis._results import CoxModel
from sarcohort.report._format import fmt_p
from sarcohort.report.plots._style import SMALL, rc_context, use_agg

PANEL_H = 1.9
TOP = 0.1
GAP_H = 0.75


def zph_figure_size(model: CoxModel, width: float = 6.9) -> tuple[float, float, int]:
    """Width, height (inches) and number of columns of :func:`plot_zph`'s figure."""
    ncol = 1 if width < 5 or len(model.zph_curves) == 1 else 2
    nrow = math.ceil(len(model.zph_curves) / ncol)
    return width, TOP + nrow * (PANEL_H + GAP_H), ncol


def _wrap(text: str, limit: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, limit)[:2])


def plot_zph(model: CoxModel, ax: Any = None, *, time_label: str = "Time",
             width: float = 6.9) -> Any:
    """Draw the scaled Schoenfeld residuals of ``model`` (``model.zph_curves``).

    Parameters
    ----------
    model
        A multivariable :class:`~sarcohort.analysis._results.CoxModel` with ``zph_curves``.
    ax
        Ignored when None (a new figure with a panel per term); otherwise a sequence of
        Axes, one per term.
    time_label
        The time axis label (``Months since first metastasis``).
    width
        Figure width in inches.

    Returns
    -------
    list of matplotlib.axes.Axes
        One per term.
    """
    use_agg()
    with rc_context():
        import matplotlib.pyplot as plt

        curves = model.zph_curves
        w, h, ncol = zph_figure_size(model, width)
        if ax is None:
            fig = plt.figure(figsize=(w, h))
            left, right = 0.62, 0.15
            pw = (w - left - right - (ncol - 1) * 0.75) / ncol
            axes = []
            for k in range(len(curves)):
                r, c = divmod(k, ncol)
                x0 = left + c * (pw + 0.75)
                y0 = h - TOP - (r + 1) * (PANEL_H + GAP_H) + GAP_H - 0.05
                axes.append(fig.add_axes((x0 / w, y0 / h, pw / w, PANEL_H / h)))
        else:
            axes = list(ax)
        zp = {z.name: z.p for z in model.zph}
        for a, cv in zip(axes, curves, strict=False):
            a.scatter(cv.x, cv.y, s=6, facecolors="none", edgecolors="#777777", linewidths=0.5,
                      zorder=1)
            a.plot(cv.smooth_x, cv.smooth, color="#000000", linewidth=1.3, zorder=3)
            a.plot(cv.smooth_x, cv.lower, color="#000000", linewidth=0.9, linestyle="--", zorder=3)
            a.plot(cv.smooth_x, cv.upper, color="#000000", linewidth=0.9, linestyle="--", zorder=3)
            if cv.coef is not None:
                a.axhline(cv.coef, color="#0072B2", linewidth=1.0, linestyle=":", zorder=2)
            a.axhline(0.0, color="#999999", linewidth=0.6, zorder=0)
            lo = min(min(cv.lower), min(cv.y))
            hi = max(max(cv.upper), max(cv.y))
            pad = 0.05 * (hi - lo or 1.0)
            a.set_ylim(lo - pad, hi + pad)
            a.set_xlim(min(cv.x), max(cv.x))
            if cv.axis_at:
                a.set_xticks(cv.axis_at)
                a.set_xticklabels([f"{v:g}" for v in cv.axis_labels])
            a.set_xlabel(time_label, fontsize=SMALL)
            a.set_ylabel(_wrap(f"Beta(t) for {cv.label}", 34), fontsize=SMALL)
            var = next((v for v in model.variables if cv.term in v.terms), None)
            p = zp.get(var.name) if var is not None else None
            ptxt = fmt_p(p)
            a.set_title(f"cox.zph P {ptxt}" if ptxt[0] in "<>" else f"cox.zph P = {ptxt}",
                        fontsize=SMALL, loc="right", pad=2)
            a.tick_params(labelsize=SMALL)
    return axes

