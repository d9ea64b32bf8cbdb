"""One test per validation rule: a real file that breaks it, the problem's row and column asserted.

Rows are counted as the user sees them in the sheet: header = row 1, so the
first patient of :func:`example_tables` is row 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_tables
from sarcohort.data.readers import read_sources
from sarcohort.data.validation._problems import RULES
from sarcohort.protocol import CohortConfig

TODAY = "2024-01-01"


def _build(tmp_path: Path, patients: pd.DataFrame, treatments: pd.DataFrame | None,
           config: CohortConfig | None = None):
    config = config or CohortConfig()
    p_path = tmp_path / "patients.csv"
    patients.to_csv(p_path, index=False)
    t_path = None
    if treatments is not None:
        t_path = tmp_path / "treatments.csv"
        treatments.to_csv(t_path, index=False)
    p, t = read_sources(config.data, tmp_path, patients=p_path, treatments=t_path)
    return cohort_from_tables(p, t, config, today=TODAY)


def _find(cohort, rule, row, column, file="patients.csv"):
    hits = [p for p in cohort.report.problems
            if p.rule == rule and p.row == row and p.column == column and p.file == file]
    assert hits, f"no {rule} at {file} row {row} column {column}: {cohort.report.to_frame()}"
    return hits[0]


def test_example_is_valid(tmp_path):
    p, t = example_tables()
    c = _build(tmp_path, p, t)
    assert c.report.ok
    assert [x.rule for x in c.report.problems] == ["column.unknown"]  # the extra 'grade'


# (rule, table, row index, column, new value, expected row, expected column, severity)
CASES = [
    ("required", "p", 1, "sex", None, 3, "sex", "error"),
    ("required", "p", 2, "last_followup_date", None, 4, "last_followup_date", "error"),
    ("type", "p", 0, "n_metastases", "three", 2, "n_metastases", "error"),
    ("code", "p", 3, "sex", "X", 5, "sex", "error"),
    ("code", "t", 1, "kind", "chemo", 3, "kind", "error"),
    ("date.invalid", "p", 0, "progression_date", "2010-02-30", 2, "progression_date", "error"),
    ("date.ambiguous", "p", 3, "death_date", "01/09/2012", 5, "death_date", "error"),
    ("date.range", "p", 1, "last_followup_date", "2099-01-01", 3, "last_followup_date", "error"),
    ("date.range", "p", 5, "primary_diagnosis_date", "1899-12-31", 7, "primary_diagnosis_date",
     "error"),
    ("date.order.birth_diagnosis", "p", 5, "birth_date", "2014-01-01", 7,
     "primary_diagnosis_date", "error"),
    ("date.order.diagnosis_metastasis", "p", 1, "first_metastasis_date", "2009-12-01", 3,
     "first_metastasis_date", "error"),
    ("date.order.metastasis_progression", "p", 2, "progression_date", "2013-01-01", 4,
     "progression_date", "error"),
    ("date.order.metastasis_death", "p", 3, "death_date", "2012-02-01", 5, "death_date", "error"),
    ("date.order.progression_death", "p", 0, "progression_date", "2011-05-01", 2,
     "progression_date", "error"),
    ("date.order.followup", "p", 1, "last_followup_date", "2010-03-01", 3, "last_followup_date",
     "error"),
    ("date.order.death_followup", "p", 3, "last_followup_date", "2013-01-01", 5,
     "last_followup_date", "error"),
    ("date.order.treatment", "t", 3, "start_date", "2013-01-01", 5, "start_date", "error"),
    ("date.order.treatment_followup", "t", 2, "start_date", "2011-06-01", 4, "start_date",
     "warning"),
    ("age.range", "p", 4, "birth_date", "1995-01-01", 6, "birth_date", "warning"),
    ("age.range", "p", 1, "birth_date", "1899-06-01", 3, "birth_date", "error"),
    ("n_metastases.min", "p", 2, "n_metastases", 0, 4, "n_metastases", "error"),
    ("treatment.unknown_patient", "t", 6, "patient_id", "ZZ9", 8, "patient_id", "error"),
    ("treatment.line", "t", 1, "line", 1, 3, "line", "warning"),
    ("line.min", "t", 0, "line", 0, 2, "line", "error"),
    # the course of treatment (line 1 of A1 is row 2, its surgery row 3, its line 2 row 4)
    ("date.order.treatment_end", "t", 0, "end_date", "2010-04-01", 2, "end_date", "error"),
    ("date.order.line_progression", "t", 0, "line_progression_date", "2010-04-10", 2,
     "line_progression_date", "error"),
    ("date.order.response", "t", 0, "response_date", "2010-11-01", 2, "response_date", "error"),
    ("treatment.end_reason", "t", 2, "end_reason", "toxicity", 4, "end_date", "warning"),
    ("treatment.end_reason", "t", 0, "end_reason", "ongoing", 2, "end_reason", "warning"),
    ("treatment.response_not_systemic", "t", 1, "best_response", "PR", 3, "best_response",
     "warning"),
    ("treatment.line_order", "t", 2, "start_date", "2010-04-10", 4, "start_date", "error"),
    ("treatment.line_overlap", "t", 0, "end_date", "2010-12-01", 4, "start_date", "warning"),
]


@pytest.mark.parametrize("rule,table,idx,col,value,row,column,severity", CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_rule(tmp_path, rule, table, idx, col, value, row, column, severity):
    p, t = example_tables()
    target = p if table == "p" else t
    target[col] = target[col].astype(object)
    target.loc[idx, col] = value
    c = _build(tmp_path, p, t)
    file = "patients.csv" if table == "p" else "treatments.csv"
    prob = _find(c, rule, row, column, file)
    assert prob.severity == severity
    assert rule in RULES
    assert prob.message
    if severity == "error" and rule == "treatment.unknown_patient":
        assert c.flow.n_analysed == 6  # a treatment without patient excludes nobody
    elif severity == "error":
        assert not c.report.ok
        assert c.flow.n_analysed == 5  # exactly one patient excluded
        reasons = [s.reason for s in c.flow.steps if s.n_excluded]
        assert len(reasons) == 1 and reasons[0].startswith("data error (rule ")


def test_duplicate_id_within_centre(tmp_path):
    p, t = example_tables()
    p.loc[1, "patient_id"] = "A1"  # same centre (Lyon) as row 2
    c = _build(tmp_path, p, t)
    first = _find(c, "duplicate_id", 2, "patient_id")
    second = _find(c, "duplicate_id", 3, "patient_id")
    assert first.value == "duplicate of row 3" and second.value == "duplicate of row 2"
    assert "data error (rule duplicate_id)" in c.flow.excluded


def test_same_id_in_two_centres_is_not_a_duplicate(tmp_path):
    p, t = example_tables()
    p.loc[5, "patient_id"] = "A2"  # Nice, not Lyon
    c = _build(tmp_path, p, None)
    assert not [x for x in c.report.problems if x.rule == "duplicate_id"]


def test_column_unknown_is_info_and_kept(tmp_path):
    p, t = example_tables()
    c = _build(tmp_path, p, t)
    prob = _find(c, "column.unknown", None, "grade")
    assert prob.severity == "info"
    assert c.patients["grade"].tolist()[:2] == [3.0, 2.0]


def test_column_missing_is_warning(tmp_path):
    p, t = example_tables()
    c = _build(tmp_path, p.drop(columns=["met_other"]), t)
    prob = _find(c, "column.missing", None, "met_other")
    assert prob.severity == "warning" and c.report.ok


def test_required_column_missing_excludes_everyone(tmp_path):
    p, t = example_tables()
    c = _build(tmp_path, p.drop(columns=["first_metastasis_date"]), t)
    _find(c, "required", None, "first_metastasis_date")
    assert c.flow.n_analysed == 0
    assert c.flow.excluded == {"data error (rule required)": 6,
                               "age at first metastasis below 18 years": 0}


def test_followup_may_be_empty_when_dead(tmp_path):
    p, t = example_tables()
    p.loc[0, "last_followup_date"] = None  # A1 died
    c = _build(tmp_path, p, t)
    assert c.report.ok
    assert c.patients.loc["P0001", "os_days"] == 365


def test_followup_before_death_is_a_warning(tmp_path):
    p, t = example_tables()
    p.loc[0, "last_followup_date"] = "2011-03-01"  # A1 died 2011-04-01
    c = _build(tmp_path, p, t)
    prob = _find(c, "date.order.followup", 2, "last_followup_date")
    assert prob.severity == "warning"
    assert c.patients.loc["P0001", "os_days"] == 365  # death date used


def test_ragged_row(tmp_path):
    p, _ = example_tables()
    path = tmp_path / "patients.csv"
    text = p.to_csv(index=False).splitlines()
    text[3] += ",surplus"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    p_raw, _ = read_sources(CohortConfig().data, tmp_path, patients=path)
    c = cohort_from_tables(p_raw, None, today=TODAY)
    prob = _find(c, "row.ragged", 4, None)
    assert prob.severity == "error"
    assert c.flow.excluded["data error (rule row.ragged)"] == 1


def test_treatment_error_excludes_its_patient(tmp_path):
    p, t = example_tables()
    t.loc[3, "start_date"] = "2013-01-01"  # B1 treated before its first metastasis
    c = _build(tmp_path, p, t)
    assert "P0003" not in c.patients.index
    assert c.flow.excluded["data error (rule date.order.treatment in treatments)"] == 1


def test_no_identifier_in_any_problem(tmp_path):
    p, t = example_tables()
    p["patient_id"] = ["SECRET" + str(i) for i in range(6)]
    t["patient_id"] = ["SECRET0", "SECRET0", "SECRET0", "SECRET2", "SECRET2", "SECRET3",
                       "NOBODY"]
    p.loc[1, "patient_id"] = "SECRET0"
    p.loc[1, "centre"] = "Lyon"
    c = _build(tmp_path, p, t)
    text = c.report.to_frame().to_csv()
    assert "SECRET" not in text and "NOBODY" not in text
    assert "1980-05-17" not in text  # a birth date


def test_every_problem_row_points_at_the_file(tmp_path):
    """Reading the reported row of the CSV back gives the offending value."""
    p, t = example_tables()
    p.loc[4, "sex"] = "Q"
    c = _build(tmp_path, p, t)
    prob = _find(c, "code", 6, "sex")
    lines = (tmp_path / "patients.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert lines[prob.row - 1].split(",")[header.index("sex")] == "Q"


def test_date_values_are_shown_as_dates(tmp_path):
    p, t = example_tables()
    p.loc[0, "progression_date"] = "2011-05-01"  # after death (2011-04-01)
    c = _build(tmp_path, p, t)
    prob = _find(c, "date.order.progression_death", 2, "progression_date")
    assert prob.value == "2011-05-01"
    prob = _find(c, "date.order.followup", 2, "last_followup_date")
    assert prob.value == "2011-04-01"


def test_same_id_in_two_centres_makes_its_treatments_ambiguous(tmp_path):
    p, t = example_tables()
    p.loc[5, "patient_id"] = "A1"  # C1 in Nice now has the id of A1 (Lyon)
    c = _build(tmp_path, p, t)
    rows = sorted(x.row for x in c.report.warnings if x.rule == "duplicate_id.centre")
    assert rows == [2, 7]
    # the three treatment rows of 'A1' (rows 2-4) cannot tell Lyon's A1 from Nice's: errors
    for row in (2, 3, 4):
        prob = _find(c, "treatment.ambiguous_patient", row, "patient_id", file="treatments.csv")
        assert prob.severity == "error"
        assert "several centres (row 2 (Lyon), row 7 (Nice)" in prob.message
        assert "add a centre column to the treatments table" in prob.message
    assert "treatment.ambiguous_patient" in RULES
    # both patients are excluded rather than analysed with no treatment (A1 had surgery
    # and two systemic lines); the others are untouched
    assert c.flow.excluded["data error (rule treatment.ambiguous_patient in treatments)"] == 2
    assert c.flow.n_analysed == 4
    assert sorted(c.excluded["source_row"]) == [2, 7]
    assert list(c.patients.index) == ["P0002", "P0003", "P0004", "P0005"]
    assert c.patients.loc["P0003", "n_systemic_lines"] == 1
    # no treatment of the excluded patients is kept
    assert set(c.treatments["pseudo_id"]) == {"P0003", "P0004", "P0005"}


def test_same_id_in_two_centres_is_linked_by_a_centre_column(tmp_path):
    p, t = example_tables()
    p.loc[5, "patient_id"] = "A1"
    t["centre"] = [" lyon", "Lyon", "LYON", "Paris", "Paris", "Paris", "Paris"]  # case, spaces
    c = _build(tmp_path, p, t)
    assert c.report.ok, c.report.to_frame()
    assert not [x for x in c.report.problems if x.rule.startswith("duplicate_id")]
    assert c.patients.loc["P0001", "metastasis_surgery"]
    assert c.patients.loc["P0001", "n_systemic_lines"] == 2
    assert c.patients.loc["P0006", "n_systemic_lines"] == 0  # Nice's A1 has no treatment
    # a treatment of A1 in Nice now goes to Nice's patient; one in Paris matches nobody
    extra = {"patient_id": "A1", "kind": "surgery", "start_date": "2016-01-01", "in_trial": "no"}
    t = pd.concat([t, pd.DataFrame([{**extra, "centre": "Nice"}, {**extra, "centre": "Paris"}])],
                  ignore_index=True)
    c = _build(tmp_path, p, t)
    assert c.patients.loc["P0006", "metastasis_surgery"]
    prob = _find(c, "treatment.unknown_patient", 10, "centre", file="treatments.csv")
    assert "in this centre" in prob.message and prob.value == "Paris"
    # a treatment row without its centre falls back on the id: ambiguous again
    t.loc[8, "centre"] = None
    c = _build(tmp_path, p, t)
    _find(c, "treatment.ambiguous_patient", 10, "patient_id", file="treatments.csv")
    assert c.flow.excluded["data error (rule treatment.ambiguous_patient in treatments)"] == 2
    assert c.flow.n_analysed == 4


def test_repeated_header_in_a_file(tmp_path):
    p, t = example_tables()
    path = tmp_path / "patients.csv"
    text = p.to_csv(index=False).splitlines()
    text[0] = text[0].replace("grade", "sex")  # two columns called 'sex'
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    p_raw, _ = read_sources(CohortConfig().data, tmp_path, patients=path)
    c = cohort_from_tables(p_raw, None, today=TODAY)
    prob = _find(c, "column.duplicate", 1, "sex (2)")
    assert prob.severity == "warning"


def test_ids_differing_only_by_case_warn(tmp_path):
    p, t = example_tables()
    p.loc[1, "patient_id"] = "a1"  # A2 of Lyon now 'a1': probably A1 typed twice
    p.loc[5, "patient_id"] = "b1"  # in Nice: not the same centre as Paris' B1, no warning
    c = _build(tmp_path, p, t)
    hits = sorted((x.row, x.severity) for x in c.report.problems if x.rule == "duplicate_id.case")
    assert hits == [(2, "warning"), (3, "warning")]
    prob = _find(c, "duplicate_id.case", 3, "patient_id")
    assert "(rows 2, 3)" in prob.message and "A1" not in prob.value + prob.message
    assert "duplicate_id.case" in RULES
    assert c.flow.n_analysed == 6  # a warning: nobody excluded


@pytest.mark.parametrize("written", ["1e3", "1E3", "2.5", "0x10", "1_000", "inf"])
def test_integer_refuses_scientific_notation_and_decimals(tmp_path, written):
    p, t = example_tables()
    p["n_metastases"] = p["n_metastases"].astype(object)
    p.loc[2, "n_metastases"] = written
    c = _build(tmp_path, p, t)
    prob = _find(c, "type", 4, "n_metastases")
    assert prob.severity == "error" and prob.value == written
    assert c.flow.excluded["data error (rule type)"] == 1


@pytest.mark.parametrize(("written", "value"), [("12", 12), ("+3", 3), ("7.0", 7), (" 4 ", 4)])
def test_integer_written_plainly_is_read(tmp_path, written, value):
    p, t = example_tables()
    p["n_metastases"] = p["n_metastases"].astype(object)
    p.loc[2, "n_metastases"] = written
    c = _build(tmp_path, p, t)
    assert c.report.ok, c.report.to_frame()
    assert c.patients.loc["P0003", "n_metastases"] == value


def test_no_patient_row_but_treatments(tmp_path):
    """Regression: a patients file with a header only and a treatments table raised an
    IndexError while linking; every treatment row is now reported as unknown."""
    p, t = example_tables()
    c = _build(tmp_path, p.iloc[:0], t)
    assert any(q.rule == "file.empty" for q in c.report.errors)
    unknown = [q for q in c.report.errors if q.rule == "treatment.unknown_patient"]
    assert sorted(q.row for q in unknown) == list(range(2, len(t) + 2))
    assert c.flow.n_read == 0 and len(c.patients) == 0
