"""Journal figures: ``f(result, ax=None) -> Axes``.

:func:`plot_km` (curves, CI bands, censor marks, log-rank P, numbers at risk),
:func:`plot_forest` (multivariable hazard ratios), :func:`plot_flow` (patient flow).
matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from typing import Any

__all__ = ["plot_km", "plot_forest", "plot_flow"]


def plot_km(res: Any, ax: Any = None, **kwargs: Any) -> Any:
    """See :func:`sarcohort.report.plots._km.plot_km`."""
    from sarcohort.report.plots._km import plot_km as f

    return f(res, ax, **kwargs)


def plot_forest(model: Any, ax: Any = None, **kwargs: Any) -> Any:
    """See :func:`sarcohort.report.plots._forest.plot_forest`."""
    from sarcohort.report.plots._forest import plot_forest as f

    return f(model, ax, **kwargs)


def plot_flow(results: Any, ax: Any = None) -> Any:
    """See :func:`sarcohort.report.plots._flow.plot_flow`."""
    from sarcohort.report.plots._flow import plot_flow as f

    return f(results, ax)
