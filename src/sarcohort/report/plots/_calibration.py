"""Calibration plot of a validated Cox model: predicted vs observed survival at a horizon."""

from __future__ import annotations

from typing import Any

from sarcohort.analysis._results import ModelValidation
from sarcohort.protocol._options import default_of
from sarcohort.report.plots._style import rc_context, use_agg


def plot_calibration(v: ModelValidation, ax: Any = None, *, time_unit: str = default_of("analysis.time_unit")) -> Any:
    """Mean predicted survival at ``v.horizon`` of each group of patients (x) against its
    Kaplan-Meier estimate with the pointwise CI (y); the diagonal is perfect calibration.
    Returns the Axes."""
    use_agg()
    import matplotlib.pyplot as plt

    with rc_context():
        if ax is None:
            _, ax = plt.subplots(figsize=(3.4, 3.4))
        pts = [g for g in v.calibration if g.observed is not None and g.lower is not None
               and g.upper is not None]
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", zorder=1)
        if pts:
            x = [g.predicted for g in pts]
            y = [float(g.observed or 0.0) for g in pts]
            lo = [yy - float(g.lower or 0.0) for yy, g in zip(y, pts, strict=True)]
            hi = [float(g.upper or 0.0) - yy for yy, g in zip(y, pts, strict=True)]
            ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", color="black", ms=4, lw=1, capsize=2, zorder=2)
            for g in pts:
                ax.annotate(f"n={g.n}", (g.predicted, float(g.observed or 0.0)), textcoords="offset points",
                            xytext=(4, -10), fontsize=7, color="0.3")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        h = f"{v.horizon:g} {time_unit}" if v.horizon is not None else "the horizon"
        ax.set_xlabel(f"Predicted survival at {h}")
        ax.set_ylabel(f"Observed (Kaplan-Meier) at {h}")
        ax.figure.tight_layout()
    return ax
