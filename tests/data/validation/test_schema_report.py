"""The canonical schema (fixed names other modules code against) and the validation report."""

from __future__ import annotations

import pandas as pd

from sarcohort.data._schema import PATIENTS, TREATMENTS
from sarcohort.data.validation._problems import Problem, ValidationReport


def test_template_columns_are_the_agreed_ones():
    assert PATIENTS.names == (
        "patient_id", "centre", "sex", "birth_date", "primary_diagnosis_date",
        "first_metastasis_date", "n_metastases", "met_lung", "met_bone", "met_other",
        "progression_date", "death_date", "last_followup_date")
    assert TREATMENTS.names == ("patient_id", "kind", "start_date", "line", "regimen",
                                "in_trial", "best_response", "response_date", "end_date",
                                "end_reason", "line_progression_date")
    assert TREATMENTS.column("end_reason").codes == (
        "progression", "toxicity", "completed", "death", "ongoing", "other")
    assert PATIENTS.column("sex").codes == ("M", "F")
    assert TREATMENTS.column("kind").codes == ("surgery", "radiotherapy", "ablation", "systemic")
    assert TREATMENTS.column("best_response").codes == ("CR", "PR", "SD", "PD", "NE")
    for t in (PATIENTS, TREATMENTS):
        for c in t.columns:
            assert c.meaning and (c.type != "code" or len(c.labels) == len(c.codes))


def _report():
    return ValidationReport.from_problems([
        Problem("b.csv", None, 3, "sex", "X", "code", "error", "use M or F"),
        Problem("a.xlsx", "patients", 2, "centre", "=HYPERLINK(\"x\")", "required", "warning",
                "fill it"),
        Problem("a.xlsx", "patients", None, "grade", "", "column.unknown", "info", "kept"),
        Problem("a.xlsx", "patients", 2, "sex", "", "required", "error", "fill it"),
    ])


def test_report_order_and_counts():
    r = _report()
    assert [(p.file, p.row, p.severity) for p in r.problems] == [
        ("a.xlsx", None, "info"), ("a.xlsx", 2, "error"), ("a.xlsx", 2, "warning"),
        ("b.csv", 3, "error")]
    assert not r.ok and len(r.errors) == 2 and len(r.warnings) == 1 and len(r.infos) == 1
    assert r.counts() == {"error": 2, "warning": 1, "info": 1}
    assert r.by_rule()["required"] == {"error": 1, "warning": 1}
    assert ValidationReport().ok


def test_report_csv_round_trip_and_formula_neutralised(tmp_path):
    r = _report()
    path = r.write_csv(tmp_path / "p.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert raw.loc[raw["rule"] == "required", "value"].tolist()[1].startswith("'=")
    assert ValidationReport.read_csv(path).problems == r.problems
    frame = r.to_frame()
    assert list(frame.columns) == ["file", "sheet", "row", "column", "value", "rule", "severity",
                                   "message"]
    assert str(frame["row"].dtype) == "Int64"
