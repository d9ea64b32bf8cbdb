"""Reading dates: ISO, day-first, Excel serials; ambiguous or impossible dates are never guessed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sarcohort.data import _dates as D


def _parse(values, fmt=None, column="d"):
    frame = pd.DataFrame({column: pd.Series(values, dtype=object)})
    parsed, convention, note = D.parse_date_columns(frame, [column], fmt)
    return parsed[column], convention, note


def _iso(parsed):
    return [None if pd.isna(v) else str(v)[:10] for v in parsed.values]


def test_iso_and_datetime_cells():
    p, conv, note = _parse(["2015-03-14", "2015/03/14", " 2015-3-4 ", "2015-03-14 10:30:00",
                            dt.date(2015, 3, 14), dt.datetime(2015, 3, 14, 8), None, "", "NA"])
    assert _iso(p) == ["2015-03-14", "2015-03-14", "2015-03-04", "2015-03-14", "2015-03-14",
                       "2015-03-14", None, None, None]
    assert list(p.status) == [D.OK] * 6 + [D.MISSING] * 3
    assert conv is None and note is None


def test_dayfirst_inferred_from_evidence():
    # 14/03/2015 can only be day-first, so 03/04/2015 is 3 April in the same table
    p, conv, note = _parse(["14/03/2015", "03/04/2015", "01.02.2016"])
    assert conv == "dayfirst" and "day-first" in note
    assert _iso(p) == ["2015-03-14", "2015-04-03", "2016-02-01"]


def test_monthfirst_inferred_from_evidence():
    p, conv, _ = _parse(["03/14/2015", "03/04/2015"])
    assert conv == "monthfirst"
    assert _iso(p) == ["2015-03-14", "2015-03-04"]


def test_ambiguous_without_evidence_is_not_guessed():
    p, conv, note = _parse(["03/04/2015", "05/05/2015"])
    assert conv is None and "date_format" in note
    assert list(p.status) == [D.AMBIGUOUS, D.OK]  # same day and month: not ambiguous
    assert _iso(p) == [None, "2015-05-05"]


def test_protocol_format_removes_ambiguity():
    p, conv, _ = _parse(["03/04/2015"], "dayfirst")
    assert _iso(p) == ["2015-04-03"] and conv == "dayfirst"
    p, _, _ = _parse(["03/04/2015"], "monthfirst")
    assert _iso(p) == ["2015-03-04"]
    p, _, _ = _parse(["03-04-15", "31-12-15"], "%d-%m-%y")
    assert _iso(p) == ["2015-04-03", "2015-12-31"]


def test_iso_format_rejects_day_first_text():
    p, _, _ = _parse(["14/03/2015", "2015-03-14"], "iso")
    assert list(p.status) == [D.INVALID, D.OK]


def test_mixed_conventions_contradicting_values_are_impossible():
    # two day-first values, one month-first: read day-first, the other is impossible
    p, conv, note = _parse(["14/03/2015", "15/03/2015", "03/16/2015", "02/03/2015"])
    assert conv == "dayfirst" and "both" in note
    assert list(p.status) == [D.OK, D.OK, D.INVALID, D.OK]


@pytest.mark.parametrize("value,status", [
    ("2015-02-30", D.INVALID), ("31/04/2015", D.INVALID), ("2015-13-01", D.INVALID),
    ("yesterday", D.INVALID), ("03/04/15", D.TWO_DIGIT_YEAR), ("2015", D.YEAR_ONLY),
    (2015, D.YEAR_ONLY), (True, D.INVALID),
])
def test_impossible_and_unreadable(value, status):
    p, _, _ = _parse([value, "25/12/2015"])
    assert p.status[0] == status
    assert pd.isna(p.values[0])


def test_excel_serial_numbers():
    # Excel serial 42077 is 2015-03-14 (days since 1899-12-30; 42005 is 2015-01-01 in Excel)
    assert (dt.date(2015, 3, 14) - dt.date(1899, 12, 30)).days == 42077
    p, _, _ = _parse([42077, 42077.75, "42077", np.int64(42077)])
    assert _iso(p) == ["2015-03-14"] * 4
    assert list(p.status) == [D.OK] * 4


def test_datetime64_column():
    frame = pd.DataFrame({"d": pd.to_datetime(["2015-03-14 12:00", None])})
    parsed, _, _ = D.parse_date_columns(frame, ["d"])
    assert _iso(parsed["d"]) == ["2015-03-14", None]
    assert list(parsed["d"].status) == [D.OK, D.MISSING]


def test_convention_is_shared_by_the_columns_of_a_table():
    frame = pd.DataFrame({"a": ["14/03/2015"], "b": ["03/04/2015"]})
    parsed, conv, _ = D.parse_date_columns(frame, ["a", "b"])
    assert conv == "dayfirst"
    assert _iso(parsed["b"]) == ["2015-04-03"]


def test_treatments_follow_the_patients_convention():
    from fixtures.example_cohort import example_tables
    from sarcohort.cohort import cohort_from_frames

    p, t = example_tables()
    for col in [c for c in p.columns if c.endswith("_date")]:
        p[col] = pd.to_datetime(p[col]).dt.strftime("%d/%m/%Y").where(p[col].notna())
    # treatment dates that alone cannot be told day-first from month-first
    t["start_date"] = ["10/04/2010", "01/07/2010", "01/11/2010", "10/02/2013", "01/09/2013",
                       "10/03/2012", "01/04/2010"]
    c = cohort_from_frames(p, t, today="2024-01-01")
    assert c.report.ok, c.report.to_frame()
    assert c.treatments["start_date"].iloc[0] == pd.Timestamp("2010-04-10")
