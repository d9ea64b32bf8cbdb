"""Ages at a date computed a block of rows at a time (``_days.age_years``) equal the ages of
the whole arrays at once (the calculation it replaced), missing dates and 29 February
included."""

from __future__ import annotations

import numpy as np

from sarcohort.data import _days


def test_ages_by_blocks_as_whole(monkeypatch):
    rng = np.random.default_rng(7)
    n = 10_001
    birth = (np.datetime64("1930-01-01") + rng.integers(0, 30_000, n).astype("timedelta64[D]")
             ).astype("datetime64[ns]")
    at = (np.datetime64("1990-01-01") + rng.integers(0, 12_000, n).astype("timedelta64[D]")
          ).astype("datetime64[ns]")
    birth[rng.random(n) < 0.05] = np.datetime64("NaT")
    at[rng.random(n) < 0.05] = np.datetime64("NaT")
    birth[:50] = np.datetime64("1960-02-29")
    whole = _days._age_years(_days.as_datetime(birth), _days.as_datetime(at))
    monkeypatch.setattr(_days, "_BLOCK", 1000)
    got = _days.age_years(birth, at)
    np.testing.assert_array_equal(got, whole)
    assert np.isnan(got).any()
