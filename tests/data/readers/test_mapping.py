"""Mapping a user's columns to the template: protocol mapping, case, REDCap checkbox names."""

from __future__ import annotations

import pandas as pd

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_frames
from sarcohort.data._schema import PATIENTS
from sarcohort.data.readers._mapping import map_columns
from sarcohort.data.readers._table import RawTable
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"


def test_header_case_and_spaces_are_ignored():
    p, t = example_tables()
    p.columns = [c.upper() if c != "centre" else "  Centre " for c in p.columns]
    c = cohort_from_frames(p, t, today=TODAY)
    assert c.report.ok and len(c.patients) == 6


def test_protocol_mapping_and_problem_names_the_users_column():
    p, t = example_tables()
    p = p.rename(columns={"sex": "Sexe du patient", "birth_date": "DDN"})
    p.loc[2, "Sexe du patient"] = "Inconnu"
    cfg = parse_cohort({"data": {"mapping": {"sexe du patient": "sex",
                                                        "DDN": "birth_date"}}})
    c = cohort_from_frames(p, t, config=cfg, today=TODAY)
    prob = [x for x in c.report.errors if x.rule == "code"][0]
    assert (prob.row, prob.column, prob.value) == (4, "Sexe du patient", "Inconnu")


def test_two_columns_for_one_template_column_is_an_error():
    p, _ = example_tables()
    p["Sex"] = p["sex"]
    mapped = map_columns(RawTable.from_frame(p), PATIENTS)
    assert [x.rule for x in mapped.problems] == ["column.duplicate"]
    assert list(mapped.raw.frame.columns).count("sex") == 1


def test_redcap_checkbox_names_map_to_sites():
    p, t = example_tables()
    for site in ("lung", "bone", "other"):
        p[f"met_sites___{site}"] = p.pop(f"met_{site}")
    c = cohort_from_frames(p, t, today=TODAY)
    assert c.report.ok
    assert c.patients["met_bone"].tolist() == ["no", "no", "yes", "yes", "no", "no"]


def test_other_tables_columns_are_left_alone():
    # a mapping to a treatments column does not rename a patients column
    p, t = example_tables()
    t = t.rename(columns={"start_date": "date"})
    p["date"] = "x"
    cfg = parse_cohort({"data": {"mapping": {"date": "start_date"}}})
    c = cohort_from_frames(p, t, config=cfg, today=TODAY)
    assert c.report.ok
    assert c.patients["date"].tolist() == ["x"] * 6
    assert isinstance(c.treatments["start_date"].iloc[0], pd.Timestamp)
