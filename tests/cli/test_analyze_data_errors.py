"""`sarcohort analyze` tells the truth in its exit code: 0 only on clean data."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from fixtures.example_cohort import example_tables
from sarcohort.cli import analyze as analyze_cmd

PROTOCOL = """
[study]
title = "Six patients"
[data]
patients = "patients.csv"
treatments = "treatments.csv"
{extra}
[inclusion]
age_min = 18
[analysis]
endpoints = ["os"]
descriptive = ["sex"]
factors = ["sex"]
[report]
formats = ["html"]
figure_formats = ["png"]
factor_figures = false
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("analyze")(analyze_cmd.run)
    app.command("other")(lambda: None)  # two commands: typer keeps the command name
    return app


def _run(tmp_path: Path, patients, treatments, extra: str = ""):
    patients.to_csv(tmp_path / "patients.csv", index=False)
    treatments.to_csv(tmp_path / "treatments.csv", index=False)
    (tmp_path / "study.toml").write_text(PROTOCOL.format(extra=extra), encoding="utf-8")
    return CliRunner().invoke(_app(), ["analyze", str(tmp_path / "study.toml"), "--out",
                                       str(tmp_path / "report")])


def test_clean_data_exit_0(tmp_path):
    p, t = example_tables()
    res = _run(tmp_path, p, t)
    assert res.exit_code == 0, res.output


def test_data_errors_write_the_report_and_exit_1(tmp_path):
    p, t = example_tables()
    p.loc[1, "death_date"] = "2010-02-30"  # A2: impossible date -> excluded
    res = _run(tmp_path, p, t)
    assert res.exit_code == 1, res.output
    assert "1 patient(s) excluded" in res.output and "Report written" in res.output
    warnings = json.loads((tmp_path / "report" / "results.json").read_text())["warnings"]
    assert warnings[0].startswith("Data errors excluded 1 of 6 patient(s) (1 data error "
                                  "(rule date.invalid))")


def test_unlinked_treatments_stop_with_the_rows(tmp_path):
    p, t = example_tables()
    t.loc[6, "patient_id"] = "b-3"  # B3's ablation, misspelt
    res = _run(tmp_path, p, t)
    assert res.exit_code == 1, res.output
    assert "1 treatment row(s) match no patient" in res.output
    assert "treatments.csv row 8" in res.output
    assert not (tmp_path / "report" / "results.json").exists()


def test_unlinked_treatments_ignored_by_the_protocol(tmp_path):
    p, t = example_tables()
    t.loc[6, "patient_id"] = "b-3"
    res = _run(tmp_path, p, t, extra='on_unlinked_treatments = "ignore"')
    assert res.exit_code == 0, res.output
    warnings = json.loads((tmp_path / "report" / "results.json").read_text())["warnings"]
    assert warnings[0] == ("1 treatment row(s) match no patient (treatments.csv row 8) and were "
                           'left out, as [data] on_unlinked_treatments = "ignore" says.')


def test_misspelt_progression_date_stops_instead_of_pfs_becoming_os(tmp_path):
    p, t = example_tables()
    p = p.rename(columns={"progression_date": "progession_date"})
    patients_csv = tmp_path / "patients.csv"
    p.to_csv(patients_csv, index=False)
    t.to_csv(tmp_path / "treatments.csv", index=False)
    text = PROTOCOL.format(extra="").replace('endpoints = ["os"]', 'endpoints = ["os", "pfs"]')
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path / "study.toml"), "--out",
                                      str(tmp_path / "report")])
    assert res.exit_code == 1, res.output
    assert "the column 'progression_date' is missing" in res.output
    assert "'progession_date'" in res.output and "progression-free survival" in res.output
    assert not (tmp_path / "report" / "results.json").exists()
