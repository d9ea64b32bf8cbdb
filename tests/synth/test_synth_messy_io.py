"""Messy faults, writers (XLSX and CSV round trips) and the synth command."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sarcohort.synth import FAULT_RULES, generate

DATE_COLS = ["birth_date", "primary_diagnosis_date", "first_metastasis_date",
             "progression_date", "death_date", "last_followup_date"]


# ---------------------------------------------------------------- faults
@pytest.mark.parametrize("seed", [0, 1, 5, 77])
def test_each_fault_once_on_distinct_rows(seed: int) -> None:
    c = generate(seed=seed, messy=True)
    f, p = c.faults, c.patients
    assert sorted(f["fault"]) == sorted(FAULT_RULES)
    assert (f["rule"] == f["fault"].map(FAULT_RULES)).all()
    assert f["row"].is_unique and len(p) == 121  # one duplicated row
    assert (f["sheet"] == "patients").all()
    for r in f.itertuples():
        row = p.iloc[r.row - 2]  # header is row 1
        assert row["patient_id"] == r.patient_id
        cell = row[r.column]
        if r.fault == "swapped_day_month":
            assert isinstance(cell, str) and cell == r.value
            y, dd, mm = (int(x) for x in cell.split("-"))
            assert dd > 12 and 1 <= mm <= 12  # impossible as YYYY-MM-DD, valid once swapped
            dt.date(y, mm, dd)
        elif r.fault == "duplicated_row":
            prev = p.iloc[r.row - 3]
            assert prev.equals(row)
        elif r.fault == "missing_followup":
            assert pd.isna(cell) and pd.isna(row["death_date"])  # no death date to stand in
        elif r.fault == "progression_after_death":
            assert pd.Timestamp(cell) > pd.Timestamp(row["death_date"])
        elif r.fault == "code_typo":
            assert cell in ("Mle", "Femal") and r.column == "sex"
    # rows without a fault are untouched: same as the clean cohort of the same seed
    clean = generate(seed=seed).patients
    dup = int(f.loc[f["fault"] == "duplicated_row", "row"].iloc[0]) - 2
    rest = p.drop(index=[dup, *[r - 2 for r in f["row"] if r - 2 != dup]])
    orig_pos = [i - (i > dup) for i in rest.index]
    assert rest.astype(str).reset_index(drop=True).equals(
        clean.iloc[orig_pos].astype(object).astype(str).reset_index(drop=True))


# ---------------------------------------------------------------- writers
def _norm(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if col.endswith("_date"):
            out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
        elif col in ("n_metastases", "line"):
            out[col] = pd.to_numeric(out[col]).astype("Int64")
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def test_xlsx_round_trip(tmp_path: Path) -> None:
    c = generate(seed=3)
    paths = c.write(tmp_path / "cohort.xlsx")
    assert paths == [tmp_path / "cohort.xlsx"]
    back = pd.read_excel(paths[0], sheet_name=None)
    assert list(back) == ["patients", "treatments"]
    pd.testing.assert_frame_equal(_norm(back["patients"]), _norm(c.patients))
    pd.testing.assert_frame_equal(_norm(back["treatments"]), _norm(c.treatments))
    ws = openpyxl.load_workbook(paths[0])["patients"]
    assert isinstance(ws["D2"].value, dt.datetime)  # a real Excel date, not text
    assert ws["D2"].number_format == "YYYY-MM-DD"


def test_csv_folder_round_trip(tmp_path: Path) -> None:
    c = generate(seed=4)
    paths = c.write(tmp_path / "cohort")
    assert [p.name for p in paths] == ["patients.csv", "treatments.csv"]
    back_p = pd.read_csv(paths[0], parse_dates=DATE_COLS)
    back_t = pd.read_csv(paths[1], parse_dates=["start_date"])
    pd.testing.assert_frame_equal(_norm(back_p), _norm(c.patients))
    pd.testing.assert_frame_equal(_norm(back_t), _norm(c.treatments))
    text = paths[0].read_text().splitlines()
    assert text[0].split(",")[:3] == ["patient_id", "centre", "sex"]
    assert all(len(v) in (0, 10) for v in text[1].split(",")[3:6])  # ISO dates


def test_messy_files_reference_the_right_cells(tmp_path: Path) -> None:
    c = generate(seed=8, messy=True)
    c.write(tmp_path / "csv")
    faults = pd.read_csv(tmp_path / "csv" / "injected_faults.csv", keep_default_na=False)
    assert list(faults.columns[:7]) == ["file", "sheet", "row", "column", "patient_id", "fault", "rule"]
    with open(tmp_path / "csv" / "patients.csv", newline="") as fh:
        lines = list(csv.reader(fh))
    header = lines[0]
    for r in faults.itertuples():
        assert r.file == "patients.csv"
        cells = lines[r.row - 1]  # line number as seen in the file, header = 1
        assert cells[0] == r.patient_id
        if r.fault in ("swapped_day_month", "code_typo", "progression_after_death"):
            assert cells[header.index(r.column)] == r.value
        if r.fault == "missing_followup":
            assert cells[header.index("last_followup_date")] == ""

    c.write(tmp_path / "messy.xlsx")
    faults = pd.read_csv(tmp_path / "injected_faults.csv", keep_default_na=False)
    ws = openpyxl.load_workbook(tmp_path / "messy.xlsx")["patients"]
    header = [cell.value for cell in ws[1]]
    for r in faults.itertuples():
        assert r.file == "messy.xlsx"
        assert ws.cell(r.row, 1).value == r.patient_id
        cell = ws.cell(r.row, header.index(r.column) + 1)
        if r.fault == "swapped_day_month":
            assert cell.data_type == "s" and cell.value == r.value  # a text cell
        if r.fault == "missing_followup":
            assert cell.value is None


def test_write_rejects_other_suffixes(tmp_path: Path) -> None:
    from sarcohort.exceptions import InputError

    with pytest.raises(InputError, match="out"):
        generate(seed=1).write(tmp_path / "cohort.txt")


# ---------------------------------------------------------------- command
def _app() -> typer.Typer:
    from sarcohort.cli.synth import run

    app = typer.Typer()
    app.command()(run)
    return app


def test_command_writes_xlsx_and_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(_app(), ["--out", str(tmp_path / "c.xlsx"), "--n", "60", "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_excel(tmp_path / "c.xlsx", sheet_name="patients")) == 60
    res = runner.invoke(_app(), ["--out", str(tmp_path / "folder"), "--messy"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in (tmp_path / "folder").iterdir()} == {
        "patients.csv", "treatments.csv", "injected_faults.csv"}
    same = generate(messy=True).patients
    assert len(pd.read_csv(tmp_path / "folder" / "patients.csv")) == len(same)


def test_command_bad_output_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["--out", str(tmp_path / "c.parquet")])
    assert res.exit_code == 2
    assert "--out" in res.output and "xlsx" in res.output
    res = CliRunner().invoke(_app(), ["--out", str(tmp_path / "x"), "--n", "5", "--messy"])
    assert res.exit_code == 2 and "n:" in res.output


def test_command_default_seed_matches_library() -> None:
    from sarcohort.cli import synth as cmd
    from sarcohort.synth import DEFAULT_SEED

    assert cmd.DEFAULT_SEED == DEFAULT_SEED
