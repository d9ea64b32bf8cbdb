"""`sarcohort template`: the empty workbook and the REDCap dictionary, generated from the schema."""

from __future__ import annotations

import csv

import openpyxl
import typer
from typer.testing import CliRunner

from sarcohort.cli import template
from sarcohort.data._schema import PATIENTS, TREATMENTS
from sarcohort.data.readers._redcap import DICTIONARY_COLUMNS

app = typer.Typer()
app.command()(template.run)
runner = CliRunner()


def test_workbook_and_redcap_dictionary(tmp_path):
    out, rc = tmp_path / "t.xlsx", tmp_path / "dict.csv"
    r = runner.invoke(app, ["--out", str(out), "--redcap", str(rc)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["patients", "treatments", "dictionary"]
    assert [c.value for c in wb["patients"][1]] == list(PATIENTS.names)
    assert [c.value for c in wb["treatments"][1]] == list(TREATMENTS.names)
    rows = list(wb["dictionary"].iter_rows(values_only=True))
    assert rows[0][:4] == ("table", "column", "required", "type")
    described = {(r[0], r[1]) for r in rows[1:]}
    assert described == {("patients", c) for c in PATIENTS.names} | {
        ("treatments", c) for c in TREATMENTS.names}
    sex = [r for r in rows if r[1] == "sex"][0]
    assert sex[5] == "M, F" and "Male" in sex[6]
    # a drop-down list on the coded columns
    assert any('"M,F"' in (dv.formula1 or "") for dv in wb["patients"].data_validations.dataValidation)
    with rc.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert tuple(next(reader)) == DICTIONARY_COLUMNS
        fields = [row[0] for row in reader]
    assert fields[0] == "patient_id"
    assert "met_sites" in fields and "kind" in fields


def test_template_validates_as_empty_not_as_a_crash(tmp_path):
    from sarcohort.cli import validate

    out = tmp_path / "t.xlsx"
    runner.invoke(app, ["--out", str(out)])
    vapp = typer.Typer()
    vapp.command()(validate.run)
    r = runner.invoke(vapp, [str(out)])
    assert r.exit_code == 1 and "0 patient row(s)" in r.output and "1 error(s)" in r.output


def test_bad_suffix_exit_2(tmp_path):
    assert runner.invoke(app, ["--out", str(tmp_path / "t.csv")]).exit_code == 2
    assert runner.invoke(app, ["--out", str(tmp_path / "t.xlsx"), "--redcap",
                               str(tmp_path / "d.txt")]).exit_code == 2
