"""The line order and overlap rules by one sort of the rows (``line_flags``) flag the rows
the pandas grouping they replace flagged. Oracle: that grouping (``groupby`` of (patient,
line), first start and last end, then a look-up of the flagged pairs), kept here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.data.validation._rules import line_flags


def _by_pandas(p, line, start, end) -> tuple[np.ndarray, np.ndarray]:
    f = pd.DataFrame({"p": p, "line": line, "start": start, "end": end})
    lines = f.groupby(["p", "line"], sort=True).agg(start=("start", "min"), end=("end", "max"))
    lines = lines.reset_index()
    same = lines["p"].to_numpy()[1:] == lines["p"].to_numpy()[:-1]
    s = lines["start"].to_numpy(dtype="datetime64[ns]")
    e = lines["end"].to_numpy(dtype="datetime64[ns]")
    early = np.zeros(len(lines), bool)
    early[1:] = same & (s[1:] < s[:-1])
    overlap = np.zeros(len(lines), bool)
    overlap[1:] = same & ~np.isnat(e[:-1]) & (e[:-1] > s[1:])
    key = pd.MultiIndex.from_arrays([f["p"], f["line"]])

    def rows_of(flags):
        bad = pd.MultiIndex.from_arrays([lines["p"][flags], lines["line"][flags]])
        return key.isin(bad)

    return rows_of(early), rows_of(overlap)


@pytest.mark.parametrize("seed", range(6))
def test_line_flags_as_pandas_grouping(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    p = rng.integers(0, 400, n)
    line = rng.integers(1, 5, n).astype(float)
    day = np.datetime64("2015-01-01", "ns")
    start = day + rng.integers(0, 900, n).astype("timedelta64[D]")
    end = start + rng.integers(-30, 400, n).astype("timedelta64[D]")
    end[rng.random(n) < 0.3] = np.datetime64("NaT")
    rows = np.flatnonzero(rng.random(n) < 0.8)  # the rows considered (systemic, dated)
    early, overlap = line_flags(p, line, start, end, rows)
    ref_early, ref_overlap = _by_pandas(p[rows], line[rows], start[rows], end[rows])
    assert ref_early.any() and ref_overlap.any()
    np.testing.assert_array_equal(early, rows[ref_early])
    np.testing.assert_array_equal(overlap, rows[ref_overlap])
