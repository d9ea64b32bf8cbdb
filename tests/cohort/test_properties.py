"""Property tests (hypothesis): date reading round trips, flow arithmetic, row-order invariance."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_frames
from sarcohort.data._dates import parse_date_columns
from sarcohort.data._days import age_years, days_between

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(dates, min_size=1, max_size=30))
def test_iso_and_day_first_round_trip(values):
    iso = pd.DataFrame({"d": [v.isoformat() for v in values]})
    parsed, _, _ = parse_date_columns(iso, ["d"])
    assert [pd.Timestamp(x).date() for x in parsed["d"].values] == values
    dmy = pd.DataFrame({"d": [v.strftime("%d/%m/%Y") for v in values]})
    parsed, _, _ = parse_date_columns(dmy, ["d"], "dayfirst")
    assert [pd.Timestamp(x).date() for x in parsed["d"].values] == values


@settings(max_examples=60, deadline=None)
@given(dates, dates)
def test_days_and_age_agree_with_python_dates(a, b):
    days = days_between(np.array([a], "datetime64[ns]"), np.array([b], "datetime64[ns]"))[0]
    assert days == (b - a).days
    if b >= a:
        age = age_years(np.array([a], "datetime64[ns]"), np.array([b], "datetime64[ns]"))[0]
        whole = b.year - a.year - ((b.month, b.day) < (a.month, a.day))
        assert whole <= age < whole + 1


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(6)), st.sets(st.integers(0, 5), max_size=3))
def test_flow_adds_up_and_order_does_not_change_endpoints(order, broken):
    p, t = example_tables()
    for i in broken:
        p.loc[i, "sex"] = "?"
    c = cohort_from_frames(p.iloc[list(order)].reset_index(drop=True), t, today="2024-01-01")
    assert c.flow.n_read - c.flow.n_excluded == c.flow.n_analysed == 6 - len(broken)
    assert c.flow.excluded.get("data error (rule code)", 0) == len(broken)
    ref = cohort_from_frames(*example_tables(), today="2024-01-01").patients
    got = c.patients.set_index("source_row")
    # the same patient (identified by its data) has the same endpoints in any order
    for _, row in got.iterrows():
        match = ref[(ref["birth_date"] == row["birth_date"])]
        assert match["os_days"].item() == row["os_days"]
        assert match["pfs_event"].item() == row["pfs_event"]
