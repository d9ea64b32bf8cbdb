"""`validate FILE --protocol study.toml` reads the data exactly as `analyze` does."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from fixtures.example_cohort import example_tables
from sarcohort.cli import validate
from sarcohort.protocol._options import example_protocol

app = typer.Typer()
app.command()(validate.run)

OS_ONLY = """
[data]
patients = "patients.csv"
treatments = "treatments.csv"
{extra}
[analysis]
endpoints = ["os"]
factors = ["met_bone"]
"""


def _invoke(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in res.output
    return res


def _files(tmp_path, patients, extra=""):
    _, t = example_tables()
    patients.to_csv(tmp_path / "patients.csv", index=False)
    t.to_csv(tmp_path / "treatments.csv", index=False)
    (tmp_path / "study.toml").write_text(OS_ONLY.format(extra=extra), encoding="utf-8")


def test_the_protocol_decides_which_columns_are_needed(tmp_path):
    p, _ = example_tables()
    _files(tmp_path, p.drop(columns=["met_bone", "progression_date"]))
    res = _invoke(tmp_path / "patients.csv", "--protocol", tmp_path / "study.toml",
                  "--report", tmp_path / "problems.csv")
    assert res.exit_code == 1, res.output
    text = (tmp_path / "problems.csv").read_text(encoding="utf-8-sig")
    # met_bone is a factor of the protocol: an error; progression_date: PFS is not analysed
    assert re.search(r"met_bone,,column.missing,error,.*analysis.factors needs it", text)
    assert re.search(r"progression_date,,column.missing,warning", text)
    # without the protocol both endpoints are checked, and met_bone is not needed
    res = _invoke(tmp_path / "patients.csv", "--report", tmp_path / "p2.csv")
    text = (tmp_path / "p2.csv").read_text(encoding="utf-8-sig")
    assert re.search(r"progression_date,,column.missing,error", text)
    assert re.search(r"met_bone,,column.missing,warning", text)


def test_files_taken_from_the_protocol_are_named_as_such(tmp_path):
    p, _ = example_tables()
    _files(tmp_path, p)
    res = _invoke(tmp_path / "patients.csv", "--protocol", tmp_path / "study.toml")
    assert res.exit_code == 0, res.output
    assert "(from study.toml [data] treatments)" in res.output
    assert "7 treatment row(s)" in res.output  # read although no --treatments was given


def test_date_policy_of_the_protocol_and_of_init(tmp_path):
    p, _ = example_tables()
    p.loc[1, "last_followup_date"] = "02/04/2014"  # 2 April (A2), or 4 February?
    _files(tmp_path, p, extra='date_format = "dayfirst"')
    with_protocol = _invoke(tmp_path / "patients.csv", "--protocol", tmp_path / "study.toml")
    assert with_protocol.exit_code == 0, with_protocol.output
    without = _invoke(tmp_path / "patients.csv", "--report", tmp_path / "r.csv")
    assert without.exit_code == 1
    assert "date.ambiguous" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    # `sarcohort init` writes no date_format: its protocol reads dates as validate does alone
    assert not re.search(r"^date_format", example_protocol(), re.M)


def test_validate_says_that_analyze_would_stop_on_unlinked_rows(tmp_path):
    p, t = example_tables()
    _files(tmp_path, p)
    t.loc[0, "patient_id"] = "nobody"
    t.to_csv(tmp_path / "treatments.csv", index=False)
    res = _invoke(tmp_path / "patients.csv", "--protocol", tmp_path / "study.toml")
    assert res.exit_code == 1
    assert "1 treatment row(s) match no patient: `sarcohort analyze` stops" in res.output
