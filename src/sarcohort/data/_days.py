"""Dates to numbers: days between dates and exact ages in years."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Mean length of a Gregorian month in days (365.25 / 12); months = days / DAYS_PER_MONTH.
DAYS_PER_MONTH = 30.4375

#: Mean length of a Julian year in days; years = days / DAYS_PER_YEAR.
DAYS_PER_YEAR = 365.25

#: Days per time unit of the protocol's ``time_unit`` (the one definition of the units).
TIME_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": DAYS_PER_MONTH,
                                "years": DAYS_PER_YEAR}


def as_datetime(x: object) -> np.ndarray:
    """Any date-like array (dates, Timestamps, NaT) as ``datetime64[ns]`` normalised to the day."""
    if isinstance(x, pd.Series) and pd.api.types.is_datetime64_dtype(x.dtype):
        x = x.to_numpy(dtype="datetime64[ns]")
    if isinstance(x, np.ndarray) and x.dtype.kind == "M":  # fast path: numpy only
        return x.astype("datetime64[D]").astype("datetime64[ns]")
    out = pd.to_datetime(pd.Series(np.asarray(x, dtype=object) if not isinstance(x, pd.Series)
                                   else x), errors="coerce")
    return out.dt.normalize().to_numpy(dtype="datetime64[ns]")


def days_between(start: object, end: object) -> np.ndarray:
    """Whole days from ``start`` to ``end`` (float, NaN where a date is missing)."""
    a = as_datetime(start)
    b = as_datetime(end)
    diff = (b - a).astype("timedelta64[D]").astype("float64")
    diff[np.isnat(a) | np.isnat(b)] = np.nan
    return diff


def _is_leap(y: np.ndarray) -> np.ndarray:
    return (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))


def _anniversary(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    year = np.asarray(year, dtype=np.int64)
    day = np.where((month == 2) & (day == 29) & ~_is_leap(year), 28, day).astype(np.int64)
    # calendar arithmetic in numpy: months since 1970, then days into the month
    months = (year - 1970) * 12 + (np.asarray(month, dtype=np.int64) - 1)
    out = (months.astype("datetime64[M]").astype("datetime64[D]")
           + (day - 1).astype("timedelta64[D]")).astype("datetime64[ns]")
    out[(year < 1678) | (year > 2261)] = np.datetime64("NaT")  # beyond what ns dates hold
    return out


def age_years(birth: object, at: object) -> np.ndarray:
    """Exact age in years at a date: completed years plus the fraction of the current year of age.

    The fraction is the days since the last birthday over the length of that year of
    age (365 or 366 days), so the age is exactly 18.0 on the 18th birthday. A birthday
    on 29 February falls on 28 February in other years.

    Examples
    --------
    >>> import numpy as np
    >>> age_years(np.array(["2000-03-01"], dtype="datetime64[ns]"),
    ...           np.array(["2018-03-01"], dtype="datetime64[ns]")).tolist()
    [18.0]
    """
    b = as_datetime(birth)
    a = as_datetime(at)
    if b.ndim != 1 or len(b) <= _BLOCK:
        return _age_years(b, a)
    out = np.full(b.shape, np.nan)
    # a block of rows at a time: the calendar arithmetic's dozen working arrays are a
    # block's, not a registry's (the same ages)
    for lo in range(0, len(b), _BLOCK):
        out[lo:lo + _BLOCK] = _age_years(b[lo:lo + _BLOCK], a[lo:lo + _BLOCK])
    return out


#: Rows of :func:`age_years` at a time.
_BLOCK = 1 << 17


def _age_years(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """:func:`age_years` of days as ``datetime64[ns]``."""
    ok = ~np.isnat(b) & ~np.isnat(a)
    out = np.full(b.shape, np.nan)
    if not ok.any():
        return out
    bi = pd.DatetimeIndex(b[ok])
    ai = pd.DatetimeIndex(a[ok])
    by, bm, bd = bi.year.to_numpy(), bi.month.to_numpy(), bi.day.to_numpy()
    ay = ai.year.to_numpy()
    years = ay - by
    last = _anniversary(ay, bm, bd)
    before = ai.to_numpy() < last
    years = years - before
    last = _anniversary(by + years, bm, bd)
    nxt = _anniversary(by + years + 1, bm, bd)
    span = (nxt - last).astype("timedelta64[D]").astype(float)
    into = (ai.to_numpy() - last).astype("timedelta64[D]").astype(float)
    out[ok] = years + into / span
    return out
