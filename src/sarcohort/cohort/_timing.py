"""Synchronous or metachronous metastases."""

from __future__ import annotations

import numpy as np

from sarcohort.data._days import DAYS_PER_MONTH, days_between

#: The values of ``timing``.
TIMINGS: tuple[str, ...] = ("synchronous", "metachronous")


def metastasis_timing(primary_diagnosis: object, first_metastasis: object,
                      window_days: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timing of the first metastasis relative to the primary diagnosis.

    A first metastasis diagnosed at most ``window_days`` days after the primary
    diagnosis is *synchronous* (so exactly 90 days is synchronous with the default
    window), later is *metachronous*.

    Returns
    -------
    timing, days, months
        ``"synchronous"``/``"metachronous"`` (None where a date is missing); days and
        months (days / 30.4375) from primary diagnosis to first metastasis.
    """
    days = days_between(primary_diagnosis, first_metastasis)
    # one str object per value, shared by the rows (a registry's million rows: no million
    # copies of two words)
    with np.errstate(invalid="ignore"):
        timing = np.array(TIMINGS, dtype=object)[(~(days <= window_days)).astype(np.intp)]
    timing[np.isnan(days)] = None
    return timing, days, days / DAYS_PER_MONTH
