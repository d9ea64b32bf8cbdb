"""The statistical core as the runner uses it (imported lazily, once)."""

from __future__ import annotations

from typing import Any

__all__ = ["kaplan_meier", "logrank", "cox"]


def kaplan_meier(*args: Any, **kwargs: Any) -> Any:
    """:func:`sarcohort.stats.km.kaplan_meier`."""
    from sarcohort.stats.km import kaplan_meier as f

    return f(*args, **kwargs)


def logrank(*args: Any, **kwargs: Any) -> Any:
    """:func:`sarcohort.stats.logrank.logrank`."""
    from sarcohort.stats.logrank import logrank as f

    return f(*args, **kwargs)


def cox(*args: Any, **kwargs: Any) -> Any:
    """:func:`sarcohort.stats.cox.cox`."""
    from sarcohort.stats.cox import cox as f

    return f(*args, **kwargs)

