"""Endpoint derivation checked against hand computations (days counted on a calendar)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_frames
from sarcohort.cohort._endpoints import overall_survival, progression_free_survival
from sarcohort.cohort._timing import metastasis_timing
from sarcohort.cohort._treatments import treatment_summary
from sarcohort.data._days import DAYS_PER_MONTH, age_years, days_between
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"


def d(*values):
    return np.array(values, dtype="datetime64[ns]")


def test_days_between_by_hand():
    # 2010-01-01 -> 2010-04-01: 31 (Jan) + 28 (Feb) + 31 (Mar) = 90 days
    # 2012-01-01 -> 2013-01-01: 366 days (2012 is a leap year)
    out = days_between(d("2010-01-01", "2012-01-01", "NaT"), d("2010-04-01", "2013-01-01",
                                                                 "2013-01-01"))
    assert out[:2].tolist() == [90.0, 366.0] and np.isnan(out[2])


def test_synchronous_boundary_at_exactly_90_days():
    # 90 days (2010-01-01 -> 2010-04-01) is synchronous, 91 days metachronous
    timing, days, months = metastasis_timing(d("2010-01-01", "2010-01-01", "2010-01-01"),
                                             d("2010-04-01", "2010-04-02", "NaT"))
    assert timing.tolist() == ["synchronous", "metachronous", None]
    assert days[:2].tolist() == [90.0, 91.0]
    assert months[0] == pytest.approx(90 / 30.4375, rel=1e-12)
    # a protocol window of 30 days makes both metachronous
    timing, _, _ = metastasis_timing(d("2010-01-01"), d("2010-01-31"), 30)
    assert timing.tolist() == ["synchronous"]
    timing, _, _ = metastasis_timing(d("2010-01-01"), d("2010-02-01"), 30)
    assert timing.tolist() == ["metachronous"]
    # a registry's rows share one text object per value (no million copies of two words)
    timing, _, _ = metastasis_timing(d(*["2010-01-01"] * 4), d("2010-01-02", "2010-01-03",
                                                                 "2011-01-01", "2011-01-02"))
    assert timing.dtype == object and timing[0] is timing[1] and timing[2] is timing[3]


def test_os_event_and_censoring_by_hand():
    met = d("2010-04-01", "2010-04-01", "2010-04-01")
    death = d("2011-04-01", "NaT", "2011-04-01")
    fu = d("2011-04-01", "2012-04-01", "NaT")
    days, event = overall_survival(met, death, fu)
    # 2010-04-01 -> 2011-04-01 = 365 days; -> 2012-04-01 = 365 + 366 = 731 (censored)
    assert days.tolist() == [365.0, 731.0, 365.0]
    assert event.tolist() == [True, False, True]


def test_pfs_first_of_progression_or_death():
    met = d("2010-04-01", "2010-04-01", "2010-04-01", "2010-04-01")
    prog = d("2010-10-01", "NaT", "NaT", "2010-05-01")
    death = d("2011-04-01", "2010-06-01", "NaT", "NaT")
    fu = d("2011-04-01", "2010-06-01", "2012-04-01", "2013-01-01")
    days, event = progression_free_survival(met, prog, death, fu)
    # 183 (to 2010-10-01), 61 (death 2010-06-01), 731 censored, 30 (to 2010-05-01)
    assert days.tolist() == [183.0, 61.0, 731.0, 30.0]
    assert event.tolist() == [True, True, False, True]


def test_cutoff_censors_later_events():
    met = d("2010-04-01", "2010-04-01")
    death = d("2011-04-01", "NaT")
    fu = d("2011-04-01", "2012-04-01")
    days, event = overall_survival(met, death, fu, cutoff="2010-12-31")
    # cut-off 2010-12-31: 274 days after 2010-04-01, both censored there
    assert days.tolist() == [274.0, 274.0] and event.tolist() == [False, False]
    days, event = overall_survival(met, death, fu, cutoff="2011-06-30")
    assert days.tolist() == [365.0, 455.0] and event.tolist() == [True, False]


def test_age_is_calendar_exact():
    birth = d("2000-03-01", "2000-03-01", "1992-02-29", "1980-05-17")
    at = d("2018-03-01", "2018-02-28", "2010-02-28", "2010-04-01")
    age = age_years(birth, at)
    assert age[0] == 18.0                       # on the 18th birthday
    assert age[1] < 18.0                        # the day before
    # day before 18th birthday: 17 + 364/365 (2017-03-01 -> 2018-03-01 is 365 days)
    assert age[1] == pytest.approx(17 + 364 / 365, rel=1e-12)
    assert age[2] == 18.0                       # 29 February: birthday on 28 February
    # 1980-05-17 -> 2010-04-01: 29 whole years + (2009-05-17 -> 2010-04-01 = 319 days) / 365
    assert age[3] == pytest.approx(29 + 319 / 365, rel=1e-12)


def test_treatment_summary_by_hand():
    pos = np.array([0, 0, 0, 1, 2, -1])
    kind = ["systemic", "surgery", "systemic", "ablation", "systemic", "surgery"]
    start = d("2010-04-15", "2010-07-01", "2010-11-01", "2010-05-01", "2010-05-01", "2010-05-01")
    line = [1, None, 2, None, None, None]
    trial = ["no", "no", "yes", "no", "no", "yes"]
    met = d("2010-04-01", "2010-04-01", "2010-04-01", "2010-04-01")
    s = treatment_summary(pos, kind, start, line, trial, 4, met)
    assert s["local_treatment"].tolist() == [True, True, False, False]
    assert s["metastasis_surgery"].tolist() == [True, False, False, False]
    assert s["surgery_days"].iloc[0] == 91.0  # 2010-04-01 -> 2010-07-01
    assert s["metastasis_surgery_date"].iloc[0] == pd.Timestamp("2010-07-01")
    assert pd.isna(s["metastasis_surgery_date"].iloc[1])
    assert s["n_systemic_lines"].tolist() == [2, 0, 1, 0]
    assert s["no_systemic_treatment"].tolist() == [False, True, False, True]
    assert s["in_trial"].tolist() == [True, False, False, False]
    # the cut-off drops treatments starting after it
    s = treatment_summary(pos, kind, start, line, trial, 4, met, cutoff="2010-06-30")
    assert s["metastasis_surgery"].tolist() == [False] * 4
    assert s["n_systemic_lines"].tolist() == [1, 0, 1, 0]


def test_cohort_endpoints_on_the_example():
    c = cohort_from_frames(*example_tables(), today=TODAY)
    p = c.patients
    assert p["timing"].tolist() == ["synchronous", "metachronous", "metachronous",
                                    "synchronous", "metachronous", "metachronous"]
    # A1: OS 365 (death), PFS 183 (progression); A2: censored 1461 = 4 * 365 + 1 (2012 leap)
    assert p["os_days"].tolist()[:2] == [365, 1461]
    assert p["os_event"].tolist()[:2] == [True, False]
    assert p["pfs_days"].tolist()[:4] == [183, 1461, 181, 184]
    assert p["pfs_event"].tolist()[:4] == [True, False, True, True]  # B2: death is the event
    assert p["os_months"].iloc[0] == pytest.approx(365 / DAYS_PER_MONTH, rel=1e-12)
    assert p["age_at_metastasis"].iloc[4] == 18.0
    assert p["n_systemic_lines"].tolist() == [2, 0, 1, 1, 0, 0]
    assert p["in_trial"].tolist() == [False, False, True, False, False, False]
    assert p["local_treatment"].tolist() == [True, False, True, False, True, False]
    assert c.treatments.loc[c.treatments["pseudo_id"] == "P0001", "start_days"].tolist() == [
        14.0, 91.0, 214.0]


def test_progression_after_death_is_rejected():
    p, t = example_tables()
    p.loc[0, "progression_date"] = "2011-05-01"  # A1 died 2011-04-01
    c = cohort_from_frames(p, t, today=TODAY)
    assert "P0001" not in c.patients.index
    assert any(x.rule == "date.order.progression_death" and x.row == 2 for x in c.report.errors)


def test_window_from_protocol():
    cfg = parse_cohort({"endpoints": {"synchronous_window_days": 91}})
    c = cohort_from_frames(*example_tables(), config=cfg, today=TODAY)
    assert c.patients["timing"].iloc[1] == "synchronous"  # 91 days


def test_cutoff_from_protocol():
    cfg = parse_cohort({"endpoints": {"cutoff_date": "2011-01-01"}})
    c = cohort_from_frames(*example_tables(), config=cfg, today=TODAY)
    # A1 died 2011-04-01, after the cut-off: censored at 2011-01-01 (275 days)
    assert c.patients["os_days"].iloc[0] == 275 and not c.patients["os_event"].iloc[0]


def test_first_metastasis_after_cutoff_is_excluded():
    cfg = parse_cohort({"endpoints": {"cutoff_date": "2012-12-31"}})
    c = cohort_from_frames(*example_tables(), config=cfg, today=TODAY)
    # B1 (2013-02-01) and C1 (2015-01-10) have their first metastasis after the cut-off
    assert c.flow.excluded["first metastasis after the data cut-off 2012-12-31"] == 2
    assert (c.patients["os_days"] >= 0).all() and (c.patients["pfs_days"] >= 0).all()
