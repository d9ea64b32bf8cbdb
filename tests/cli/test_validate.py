"""`sarcohort validate`: exit codes, the report file, and no traceback whatever the file."""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from fixtures.example_cohort import example_tables
from sarcohort.cli import validate

app = typer.Typer()
app.command()(validate.run)
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    # never a traceback: typer.Exit is the only way out
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _xlsx(path, p=None, t=None):
    p0, t0 = example_tables()
    p = p0 if p is None else p
    t = t0 if t is None else t
    with pd.ExcelWriter(path) as xw:
        p.to_excel(xw, sheet_name="patients", index=False)
        t.to_excel(xw, sheet_name="treatments", index=False)
    return path


def test_valid_workbook_exits_0(tmp_path):
    r = invoke(_xlsx(tmp_path / "c.xlsx"))
    assert r.exit_code == 0, r.output
    assert "No error" in r.output and "6 would be analysed" in r.output


def test_errors_exit_1_and_report_has_every_problem(tmp_path):
    p, t = example_tables()
    p.loc[1, "sex"] = "X"
    p.loc[2, "death_date"] = "2010-01-01"
    path = _xlsx(tmp_path / "c.xlsx", p, t)
    report = tmp_path / "problems.csv"
    r = invoke(path, "--report", report)
    assert r.exit_code == 1
    frame = pd.read_csv(report, encoding="utf-8-sig")
    errors = frame[frame["severity"] == "error"]
    assert {(row.rule, row.row, row.column) for row in errors.itertuples()} >= {
        ("code", 3, "sex"), ("date.order.metastasis_death", 4, "death_date")}
    assert (frame["sheet"].dropna() == "patients").all()


def test_csv_with_treatments_option_and_protocol(tmp_path):
    p, t = example_tables()
    p = p.rename(columns={"sex": "sexe"})
    p["sexe"] = p["sexe"].map({"M": "Homme", "F": "Femme"})
    p.to_csv(tmp_path / "p.csv", index=False, sep=";")
    t.to_csv(tmp_path / "t.csv", index=False)
    proto = tmp_path / "study.toml"
    proto.write_text('[data.mapping]\nsexe = "sex"\n[data.codes.sex]\nHomme = "M"\n'
                     'Femme = "F"\n[report]\nignored = true\n', encoding="utf-8")
    r = invoke(tmp_path / "p.csv", "--treatments", tmp_path / "t.csv", "--protocol", proto)
    assert r.exit_code == 0, r.output
    r = invoke(tmp_path / "p.csv", "--treatments", tmp_path / "t.csv")
    assert r.exit_code == 1  # without the protocol, 'sex' is missing


def test_folder_of_csvs(tmp_path):
    p, t = example_tables()
    p.to_csv(tmp_path / "patients.csv", index=False)
    t.to_csv(tmp_path / "treatments.csv", index=False)
    r = invoke(tmp_path)
    assert r.exit_code == 0 and "7 treatment row(s)" in r.output


@pytest.mark.parametrize("name,content", [
    ("empty.csv", b""),
    ("binary.csv", bytes(range(256)) * 50),
    ("random.xlsx", b"\x00\x01garbage" * 100),
    ("random.parquet", b"PAR1 nonsense"),
    ("old.xls", b"\xd0\xcf\x11\xe0"),
    ("notes.docx", b"whatever"),
])
def test_unreadable_files_exit_2(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    r = invoke(path)
    assert r.exit_code == 2, r.output


def test_missing_file_and_bad_protocol_exit_2(tmp_path):
    assert invoke(tmp_path / "nope.csv").exit_code == 2
    path = _xlsx(tmp_path / "c.xlsx")
    proto = tmp_path / "study.toml"
    proto.write_text("[inclusion]\nage_minimum = 18\n", encoding="utf-8")
    r = invoke(path, "--protocol", proto)
    assert r.exit_code == 2 and "inclusion.age_minimum" in r.output
    assert invoke(path, "--sheet", "nosuchsheet").exit_code == 2


@pytest.mark.parametrize("kind", ["latin1", "ragged", "bigcell", "headeronly", "weird"])
def test_awkward_files_never_crash(tmp_path, kind):
    p, _ = example_tables()
    path = tmp_path / "p.csv"
    if kind == "latin1":
        p.loc[0, "centre"] = "Hôpital Léon Bérard"
        path.write_bytes(p.to_csv(index=False, sep=";").encode("latin-1"))
    elif kind == "ragged":
        lines = p.to_csv(index=False).splitlines()
        lines[2] += ",x,y,z"
        lines[4] = lines[4][:20]
        path.write_text("\n".join(lines) + "\n")
    elif kind == "bigcell":
        p.loc[0, "centre"] = "é" * 1_000_000
        p.to_csv(path, index=False)
    elif kind == "headeronly":
        path.write_text(",".join(p.columns) + "\n")
    else:
        path.write_text('a,"b\n1,"unterminated\n\x1b[31m,=cmd|calc\n')
    r = invoke(path, "--report", tmp_path / "r.csv")
    assert r.exit_code in (0, 1, 2)
    if kind == "latin1":
        assert r.exit_code == 0 and "encoding" in r.output
    if kind in ("ragged", "headeronly"):
        assert r.exit_code == 1


@pytest.mark.slow
def test_hundred_thousand_rows(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_validate import make

    p, t = make(100_000)
    p.to_csv(tmp_path / "patients.csv", index=False)
    t.to_csv(tmp_path / "treatments.csv", index=False)
    r = invoke(tmp_path, "--report", tmp_path / "r.csv", "--format", "table")
    assert r.exit_code == 1
    assert "... and" in r.output  # the table shows only the first problems
    frame = pd.read_csv(tmp_path / "r.csv")
    assert (frame["severity"] == "error").sum() > 1000


def test_workbook_without_treatments_sheet(tmp_path):
    """Without a protocol the treatments are absent (an info says so); with a protocol naming
    the workbook for treatments it is a usage error naming the file and its sheets."""
    p, _ = example_tables()
    path = tmp_path / "same.xlsx"
    with pd.ExcelWriter(path) as xw:
        p.to_excel(xw, sheet_name="patients", index=False)
    r = invoke(path)
    assert r.exit_code == 0, r.output
    assert "sheet.missing" in r.output and "treatment row" not in r.output
    assert "6 would be analysed" in r.output
    proto = tmp_path / "study.toml"
    proto.write_text('[data]\npatients = "same.xlsx"\ntreatments = "same.xlsx"\n', encoding="utf-8")
    r = invoke(path, "--protocol", proto)
    assert r.exit_code == 2
    assert "same.xlsx" in r.output and "no sheet 'treatments'" in r.output
    assert "'patients'" in r.output


def test_same_id_in_two_centres_excludes_both_patients(tmp_path):
    p, t = example_tables()
    p.loc[5, "patient_id"] = "A1"  # Nice's C1 takes the id of Lyon's A1; treatments have no centre
    p.to_csv(tmp_path / "p.csv", index=False)
    t.to_csv(tmp_path / "t.csv", index=False)
    r = invoke(tmp_path / "p.csv", "--treatments", tmp_path / "t.csv", "--report",
               tmp_path / "problems.csv")
    assert r.exit_code == 1, r.output
    frame = pd.read_csv(tmp_path / "problems.csv", encoding="utf-8-sig")
    amb = frame[frame["rule"] == "treatment.ambiguous_patient"]
    assert amb["row"].tolist() == [2, 3, 4] and (amb["file"] == "t.csv").all()
    assert (amb["severity"] == "error").all()
    flat = " ".join(r.output.split())
    assert "2 excluded (data error (rule treatment.ambiguous_patient in treatments))" in flat
