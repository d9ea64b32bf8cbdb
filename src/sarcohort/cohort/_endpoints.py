"""Overall and progression-free survival from dates.

Time origin: the first metastasis. OS ends at death (event) or at the last
follow-up (censored). PFS ends at progression or death, whichever comes first
(event), or at the last follow-up (censored). With a data cut-off, an end after
the cut-off is censored at the cut-off.
"""

from __future__ import annotations

import numpy as np

from sarcohort.data._days import as_datetime, days_between


def _censor(end: np.ndarray, event: np.ndarray, cutoff: object | None,
            ) -> tuple[np.ndarray, np.ndarray]:
    if cutoff is None:
        return end, event
    c = np.datetime64(str(cutoff), "ns")
    late = ~np.isnat(end) & (end > c)
    return np.where(late, c, end), event & ~late


def overall_survival(first_metastasis: object, death: object, last_followup: object,
                     cutoff: object | None = None) -> tuple[np.ndarray, np.ndarray]:
    """OS in days from first metastasis and its event indicator.

    Returns
    -------
    days, event
        Float days (NaN when the dates needed are missing) and bool death indicator.
    """
    d = as_datetime(death)
    f = as_datetime(last_followup)
    event = ~np.isnat(d)
    end = np.where(event, d, f)
    end, event = _censor(end, event, cutoff)
    return days_between(first_metastasis, end), event


def progression_free_survival(first_metastasis: object, progression: object, death: object,
                              last_followup: object, cutoff: object | None = None,
                              ) -> tuple[np.ndarray, np.ndarray]:
    """PFS in days from first metastasis (progression or death) and its event indicator."""
    p = as_datetime(progression)
    d = as_datetime(death)
    f = as_datetime(last_followup)
    first_event = np.where(np.isnat(p), d, np.where(np.isnat(d), p, np.minimum(p, d)))
    event = ~np.isnat(first_event)
    end = np.where(event, first_event, f)
    end, event = _censor(end, event, cutoff)
    return days_between(first_metastasis, end), event
