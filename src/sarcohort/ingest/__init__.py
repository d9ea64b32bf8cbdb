"""Reading cohort data: CSV, XLSX, Parquet and REDCap exports, mapped to the template.

Readers return :class:`~sarcohort.ingest.table.RawTable` objects (cells as read,
row numbers as seen in the file); :func:`read_sources` reads the tables named by
a protocol's ``[data]`` section.
"""

from __future__ import annotations

from pathlib import Path

from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.ingest.table import RawTable

__all__ = ["RawTable", "read_table", "read_sources", "SUFFIXES"]

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".parquet": "parquet", ".pq": "parquet"}


def _kind(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = " (old Excel format: save it as .xlsx)" if path.suffix.lower() == ".xls" else ""
        raise InputError(f"unsupported file type {path.suffix!r}{hint}", argument=path.name,
                         fix="use a .csv, .xlsx or .parquet file")
    return kind


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read one table from a CSV, XLSX (``sheet``, default the first) or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", argument=str(path), fix="check the path")
    kind = _kind(path)
    if kind == "csv":
        from sarcohort.ingest.csv import read_csv

        return read_csv(path)
    if kind == "xlsx":
        from sarcohort.ingest.xlsx import read_xlsx

        return read_xlsx(path, sheet)
    from sarcohort.ingest.parquet import read_parquet

    return read_parquet(path)


def read_sources(data, base_dir: str | Path | None = None, *, patients: str | Path | None = None,
                 treatments: str | Path | None = None, sheet: str | None = None,
                 ) -> tuple[RawTable, RawTable | None]:
    """Read the patients and treatments tables.

    Parameters
    ----------
    data
        The protocol's ``[data]`` (:class:`~sarcohort.cohort.config.DataConfig`).
    base_dir
        Folder the protocol's paths are relative to.
    patients, treatments, sheet
        Override the protocol's files and patients sheet (command line).

    A workbook holding sheets named ``patients`` and ``treatments`` gives both
    tables; a REDCap records export (``redcap_dictionary`` set) gives both.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if patients is None:
        if not data.patients:
            raise ProtocolError("no patients file given", argument="data.patients",
                                fix='add patients = "file.xlsx" to [data]')
        p_path = base / data.patients
    else:
        p_path = Path(patients)
    if not p_path.is_file():
        raise InputError("file not found", argument=str(p_path), fix="check the path")
    if data.redcap_dictionary and treatments is None:
        from sarcohort.ingest.redcap import read_redcap
        from sarcohort.model.schema import TABLES

        dict_path = base / data.redcap_dictionary
        if not dict_path.is_file():
            raise InputError("REDCap data dictionary not found", argument=str(dict_path),
                             fix="check [data] redcap_dictionary")

        def keep(col: str) -> set[str] | None:
            target = data.mapping.get(col, col)
            for t in TABLES.values():
                if target in t and t.column(target).type == "code":
                    return {c.lower() for c in t.column(target).codes} | set(
                        data.codes.get(target, {}))
            return None

        return read_redcap(p_path, dict_path, keep)
    kind = _kind(p_path)
    t_table: RawTable | None = None
    if kind == "xlsx":
        from sarcohort.ingest.xlsx import find_sheet, read_xlsx, sheet_names

        names = sheet_names(p_path)
        p_sheet = sheet or data.patients_sheet or find_sheet(names, "patients") or names[0]
        p_table = read_xlsx(p_path, p_sheet)
        if treatments is None and data.treatments is None:
            t_sheet = data.treatments_sheet or find_sheet(names, "treatments")
            if t_sheet is not None and find_sheet(names, t_sheet) != p_table.sheet:
                t_table = read_xlsx(p_path, t_sheet)
    else:
        p_table = read_table(p_path)
    t_path = Path(treatments) if treatments is not None else (
        base / data.treatments if data.treatments else None)
    if t_path is not None:
        if _kind(t_path) == "xlsx":
            from sarcohort.ingest.xlsx import find_sheet, read_xlsx, sheet_names

            names = sheet_names(t_path) if t_path.is_file() else []
            t_sheet = data.treatments_sheet or find_sheet(names, "treatments")
            t_table = read_table(t_path, t_sheet)
        else:
            t_table = read_table(t_path)
    return p_table, t_table
