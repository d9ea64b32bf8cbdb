"""Restricted mean survival time by group, for the protocol's ``[analysis] rmst_tau``.

One :class:`~sarcohort.analysis._results.RmstComparison` per endpoint: the RMST of each group
of ``[analysis] group`` up to ``rmst_tau`` (in ``time_unit``) with its CI, and the difference
and ratio against the first group, from :func:`sarcohort.stats.rmst_test.rmst_test`
(survRM2's method on survival's restricted mean). A horizon the data do not support gives no
comparison but a warning naming the largest usable one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sarcohort.analysis._results import RmstComparison, RmstGroup, clean_float
from sarcohort.exceptions import InputError
from sarcohort.stats.rmst_test import rmst_test


def rmst_comparison(endpoint: str, endpoint_label: str, time: np.ndarray, event: np.ndarray,
                    groups: np.ndarray, order: Sequence[str], *, factor: str, factor_label: str,
                    tau: float, conf_level: float) -> tuple[RmstComparison | None, str | None]:
    """The comparison, or ``(None, reason)`` when it cannot be made (a warning for the report)."""
    keep = np.isin(groups, list(order))
    present = [g for g in order if (groups[keep] == g).any()]
    if len(present) < 2:
        return None, f"{endpoint_label}: fewer than two groups of {factor_label}; no RMST comparison."
    import pandas as pd

    g = pd.Categorical(groups[keep], categories=present)
    try:
        r = rmst_test(time[keep], event[keep], g, tau=tau, conf_level=conf_level)
    except InputError as exc:
        return None, (f"{endpoint_label}: no restricted mean survival time at {tau:g} "
                      f"({exc.reason}; {exc.fix}).")
    rows = []
    for i, label in enumerate(r.groups):
        extra = {}
        if i > 0:
            j = i - 1
            extra = {k: clean_float(getattr(r, k)[j]) for k in (
                "diff", "diff_lower", "diff_upper", "diff_p", "ratio", "ratio_lower", "ratio_upper", "ratio_p")}
        rows.append(RmstGroup(label=str(label), n=int(r.n[i]), events=int(r.n_event[i]),
                              rmst=clean_float(r.rmst[i]), lower=clean_float(r.lower[i]),
                              upper=clean_float(r.upper[i]), **extra))
    return RmstComparison(endpoint, endpoint_label, factor, factor_label, float(tau), tuple(rows)), None
