"""Writers of a synthetic cohort: one XLSX workbook or a folder of CSV files.

XLSX: sheets ``patients`` and ``treatments``; dates are real Excel dates shown
as ``YYYY-MM-DD`` (a deliberately broken date is a text cell). CSV: UTF-8,
comma-separated, dates ISO ``YYYY-MM-DD``, empty cells for missing values.
With faults, ``injected_faults.csv`` is written next to the data.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd

from sarcohort.data._files import atomic_path

FAULTS_FILE = "injected_faults.csv"


def _iso(value: object) -> object:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.strftime("%Y-%m-%d")
    return value


def for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with its date columns as ISO text (empty when missing)."""
    out = df.copy()
    for c in out.columns:
        if c.endswith("_date"):
            col = out[c]
            if pd.api.types.is_datetime64_any_dtype(col):
                out[c] = col.dt.strftime("%Y-%m-%d").fillna("")
            else:
                out[c] = [_iso(v) for v in col]
    return out


def write_csv_folder(folder: Path, patients: pd.DataFrame, treatments: pd.DataFrame) -> list[Path]:
    """Write ``patients.csv`` and ``treatments.csv`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "patients.csv", folder / "treatments.csv"]
    for path, df in zip(paths, (patients, treatments), strict=True):
        with atomic_path(path) as tmp:
            for_csv(df).to_csv(tmp, index=False, lineterminator="\n")
    return paths


def write_xlsx(path: Path, patients: pd.DataFrame, treatments: pd.DataFrame) -> list[Path]:
    """Write one workbook with sheets ``patients`` and ``treatments``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        _write_workbook(tmp, patients, treatments)
    return [path]


def _write_workbook(path: Path, patients: pd.DataFrame, treatments: pd.DataFrame) -> None:
    with pd.ExcelWriter(path, engine="openpyxl", date_format="YYYY-MM-DD",
                        datetime_format="YYYY-MM-DD") as xw:
        for name, df in (("patients", patients), ("treatments", treatments)):
            out = df.copy()
            for c in out.columns:  # object date columns: keep Timestamps, blank the NaT
                if c.endswith("_date") and out[c].dtype == object:
                    out[c] = [None if v is pd.NaT else v for v in out[c]]
            out.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            for j, c in enumerate(out.columns, start=1):
                if c.endswith("_date"):
                    for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        if isinstance(row[0].value, _dt.datetime):
                            row[0].number_format = "YYYY-MM-DD"


def write_faults(path: Path, faults: pd.DataFrame, file: str) -> Path:
    """Write the list of injected faults, with the data file each row refers to."""
    out = faults.copy()
    out.insert(0, "file", file)
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, lineterminator="\n")
    return path
