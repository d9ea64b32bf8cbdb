"""Writing a cohort block by block: CSV or Parquet at any size, in bounded memory.

:func:`plan_output` decides the format and the files; :func:`write_blocks` writes the
blocks of :func:`~._blocks.simulate_blocks` as they come. Each file is written under a
temporary name and renamed when every block is in (whole or not at all).

Formats of a folder
    ``csv``: ``patients.csv`` and ``treatments.csv`` (UTF-8, ISO dates, empty cells for
    missing values); ``parquet``: ``patients.parquet`` and ``treatments.parquet``, one row
    group per block, dates as Parquet ``DATE``, the same columns and values. ``auto``:
    CSV up to :data:`AUTO_PARQUET_ABOVE` patients (opens in a spreadsheet), Parquet above.
    A folder holds one cohort: the files of the other format (and ``injected_faults.csv``
    of an earlier messy cohort) are existing outputs too, removed when replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sarcohort.data._files import atomic_path
from sarcohort.exceptions import InputError, OutputError

from ._blocks import map_blocks
from ._frames import to_frames
from ._generator import SimulatedArrays
from ._params import SynthParameters
from ._writers import FAULTS_FILE, for_csv

#: ``format`` values: a folder of CSV or Parquet files, an XLSX workbook, or chosen by ``auto``.
FORMATS = ("auto", "csv", "parquet", "xlsx")

#: Under ``auto``, a folder gets CSV up to this many patients and Parquet above.
AUTO_PARQUET_ABOVE = 100_000

#: Rows of an Excel sheet, header included.
XLSX_MAX_ROWS = 1_048_576

_FOLDER_FILES = {"csv": ("patients.csv", "treatments.csv"),
                 "parquet": ("patients.parquet", "treatments.parquet")}


@dataclass(frozen=True)
class OutputPlan:
    """What a write makes: the format, the files written and stale files it removes."""

    format: str
    targets: tuple[Path, ...]
    stale: tuple[Path, ...]

    def existing(self) -> list[Path]:
        """Targets and stale files already there (refused without ``force``)."""
        return [p for p in (*self.targets, *self.stale) if p.exists() or p.is_symlink()]


def plan_output(out: Path, fmt: str, n: int, messy: bool) -> OutputPlan:
    """The format (``auto`` resolved) and files of a cohort written to ``out``.

    Raises
    ------
    InputError
        For an unknown format, a suffix other than ``.xlsx``, a format that does not fit
        ``out`` (a workbook needs ``.xlsx``, CSV and Parquet a folder), Parquet with messy
        data, or a file where a folder is needed.
    """
    if fmt not in FORMATS:
        raise InputError("unknown format", argument="format", value=fmt, fix="use " + ", ".join(FORMATS))
    xlsx = out.suffix.lower() == ".xlsx"
    if out.suffix and not xlsx:
        raise InputError("the output must be an .xlsx file or a folder (no suffix)",
                         argument="out", value=str(out),
                         fix="use e.g. cohort.xlsx, or a folder cohort (--format csv or parquet)")
    if fmt == "auto":
        fmt = "xlsx" if xlsx else ("parquet" if n > AUTO_PARQUET_ABOVE else "csv")
    if xlsx != (fmt == "xlsx"):
        raise InputError(f"format {fmt} does not fit this output", argument="out", value=str(out),
                         fix="a workbook is written to name.xlsx; CSV and Parquet to a folder "
                             "(a name without suffix)")
    if messy and fmt == "parquet":
        raise InputError("messy data carry their faults as text (a date typed wrongly); "
                         "Parquet columns are typed", argument="format", value=fmt,
                         fix="write messy data as CSV (a folder) or XLSX")
    if fmt == "xlsx":
        targets = (out, *([out.parent / FAULTS_FILE] if messy else []))
        return OutputPlan(fmt, targets, ())
    if out.exists() and not out.is_dir():
        raise InputError("a file of that name exists; a folder is needed", argument="out",
                         value=str(out), fix="choose another name")
    names = _FOLDER_FILES[fmt] + ((FAULTS_FILE,) if messy else ())
    others = {f for files in _FOLDER_FILES.values() for f in files} | {FAULTS_FILE}
    stale = tuple(out / f for f in sorted(others - set(names)))
    return OutputPlan(fmt, tuple(out / f for f in names), stale)


def check_plan(plan: OutputPlan, force: bool) -> None:
    """Refuse existing outputs unless ``force`` (before any work)."""
    for path in plan.targets:
        if path.is_dir():
            raise OutputError("is a folder", argument=f"out {path}", fix="move it away")
    existing = plan.existing()
    if existing and not force:
        raise OutputError("exists" + (f" (and {len(existing) - 1} more cohort file(s))"
                                      if len(existing) > 1 else ""),
                          argument=f"out {existing[0]}",
                          fix="use --force to replace the cohort there, or choose another folder")


def remove_stale(plan: OutputPlan) -> None:
    """Remove the cohort files of another format left in the folder (after a forced write)."""
    for path in plan.stale:
        if path.is_file() or path.is_symlink():
            path.unlink()


def write_blocks(plan: OutputPlan, p: SynthParameters, seed: int, stratified: bool = True,
                 progress: Callable[[int], None] | None = None,
                 block: int | None = None) -> tuple[int, int]:
    """Draw the cohort of ``p`` block by block and write it to the plan's two files (CSV or
    Parquet); returns the patients and treatment rows written. ``progress`` is called with
    the patients of each block once written; ``block`` overrides the block size (tests)."""
    step = progress or (lambda _n: None)
    n_patients = n_treatments = 0
    plan.targets[0].parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tmp_p = stack.enter_context(atomic_path(plan.targets[0]))
        tmp_t = stack.enter_context(atomic_path(plan.targets[1]))
        if plan.format == "parquet":
            import pyarrow.parquet as pq

            from ._arrow import PATIENT_SCHEMA, TREATMENT_SCHEMA, to_arrow

            with pq.ParquetWriter(tmp_p, PATIENT_SCHEMA) as wp, \
                    pq.ParquetWriter(tmp_t, TREATMENT_SCHEMA) as wt:
                for patients, treatments in map_blocks(p, seed, stratified, to_arrow, block):
                    wp.write_table(patients, row_group_size=max(len(patients), 1))
                    wt.write_table(treatments, row_group_size=max(len(treatments), 1))
                    n_patients += len(patients)
                    n_treatments += len(treatments)
                    step(len(patients))
        else:
            with open(tmp_p, "w", encoding="utf-8", newline="") as fp, \
                    open(tmp_t, "w", encoding="utf-8", newline="") as ft:
                for i, (patients, treatments) in enumerate(map_blocks(p, seed, stratified,
                                                                      _csv_frames, block)):
                    patients.to_csv(fp, header=i == 0, index=False, lineterminator="\n")
                    treatments.to_csv(ft, header=i == 0, index=False, lineterminator="\n")
                    n_patients += len(patients)
                    n_treatments += len(treatments)
                    step(len(patients))
    return n_patients, n_treatments


def _csv_frames(s: SimulatedArrays) -> tuple[pd.DataFrame, pd.DataFrame]:
    patients, treatments = to_frames(s)
    return for_csv(patients), for_csv(treatments)
