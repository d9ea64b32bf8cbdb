"""Reading cohort data: CSV, XLSX, Parquet and REDCap exports, mapped to the template.

Readers return :class:`~sarcohort.data.readers._table.RawTable` objects (cells as read,
row numbers as seen in the file): :func:`read_table` reads one file (its type from
:data:`SUFFIXES`), :func:`read_sources` the tables named by a protocol's ``[data]`` section.
"""

from __future__ import annotations

from pathlib import Path

from sarcohort.data.readers._table import RawTable
from sarcohort.exceptions import InputError, ProtocolError

__all__ = ["RawTable", "read_table", "read_sources", "SUFFIXES"]

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".parquet": "parquet", ".pq": "parquet", ".sav": "stat", ".zsav": "stat",
            ".dta": "stat", ".sas7bdat": "stat"}


def _kind(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = " (old Excel format: save it as .xlsx)" if path.suffix.lower() == ".xls" else ""
        raise InputError(f"unsupported file type {path.suffix!r}{hint}", argument=path.name,
                         fix="use a .csv, .xlsx, .parquet, .sav, .dta or .sas7bdat file")
    return kind


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read one table from a CSV, XLSX (``sheet``, default the first) or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", argument=str(path), fix="check the path")
    kind = _kind(path)
    if kind == "csv":
        from sarcohort.data.readers._csv import read_csv

        return read_csv(path)
    if kind == "xlsx":
        from sarcohort.data.readers._xlsx import read_xlsx

        return read_xlsx(path, sheet)
    if kind == "stat":
        from sarcohort.data.readers._stat_files import read_stat_file

        return read_stat_file(path)
    from sarcohort.data.readers._parquet import read_parquet

    return read_parquet(path)


def read_sources(data, base_dir: str | Path | None = None, *, patients: str | Path | None = None,
                 treatments: str | Path | None = None, sheet: str | None = None,
                 ) -> tuple[RawTable, RawTable | None]:
    """Read the patients and treatments tables.

    Parameters
    ----------
    data
        The protocol's ``[data]`` (:class:`~sarcohort.protocol._spec.DataConfig`).
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
        from sarcohort.data._schema import TABLES
        from sarcohort.data.readers._redcap import read_redcap

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
    t_path = Path(treatments) if treatments is not None else (
        base / data.treatments if data.treatments else None)
    if kind == "xlsx":
        from sarcohort.data.readers._xlsx import read_xlsx, sheet_names

        names = sheet_names(p_path)
        p_sheet, note = _patients_sheet(p_path, names, sheet or data.patients_sheet,
                                        data.treatments_sheet or "treatments")
        p_table = read_xlsx(p_path, p_sheet)
        if note is not None:
            p_table = p_table.with_(problems=(*p_table.problems, p_table.problem(
                "sheet.missing", "info", note)))
        if t_path is None:
            t_sheet = _workbook_sheet(p_path, names, data.treatments_sheet, "treatments",
                                      required=data.treatments_sheet is not None)
            if t_sheet is None:
                p_table = p_table.with_(problems=(*p_table.problems, p_table.problem(
                    "sheet.missing", "info",
                    f"the workbook has no sheet named 'treatments' (its sheets: "
                    f"{_listing(names)}): no treatments are read, so every patient counts as "
                    "untreated (no surgery, no systemic line); add the sheet or give "
                    "the treatments file")))
            else:
                t_table = _other_sheet(p_path, t_sheet, p_table)
    else:
        p_table = read_table(p_path)
    if t_path is not None:
        if t_path.is_file() and _kind(t_path) == "xlsx":
            from sarcohort.data.readers._xlsx import sheet_names

            names = sheet_names(t_path)
            same = _same_file(t_path, p_path)
            # a workbook of its own with one sheet is that table; otherwise the sheet must
            # be named, never guessed (it could be the patients sheet)
            required = same or data.treatments_sheet is not None or len(names) > 1
            t_sheet = _workbook_sheet(t_path, names, data.treatments_sheet, "treatments",
                                      required=required) or names[0]
            t_table = _other_sheet(t_path, t_sheet, p_table if same else None)
        else:
            t_table = read_table(t_path)
    return p_table, t_table


def _listing(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # pragma: no cover - broken links
        return False


def _patients_sheet(path: Path, names: list[str], wanted: str | None, treatments_sheet: str,
                    ) -> tuple[str, str | None]:
    """The patients sheet: the one asked for (which must exist), else 'patients', else the
    first sheet that is not the treatments sheet; with an info note when guessed."""
    from sarcohort.data.readers._xlsx import find_sheet

    if wanted is not None:
        return _workbook_sheet(path, names, wanted, "patients", required=True), None  # type: ignore[return-value]
    found = find_sheet(names, "patients")
    if found is not None:
        return found, None
    others = [n for n in names if find_sheet([n], treatments_sheet) is None]
    if not others:
        raise InputError(f"the workbook has no patients sheet (its sheets: {_listing(names)})",
                         argument=path.name, value="patients",
                         fix="name the patients sheet 'patients', or set [data] patients_sheet "
                             "(--sheet on the command line)")
    note = None
    if len(names) > 1:
        note = (f"the workbook has no sheet named 'patients': its sheet {others[0]!r} is read "
                "as the patients table (set [data] patients_sheet, or --sheet, to choose)")
    return others[0], note


def _workbook_sheet(path: Path, names: list[str], wanted: str | None, role: str, *,
                    required: bool) -> str | None:
    """The sheet named ``wanted`` (default: ``role``), ignoring case and spaces.

    Raises
    ------
    InputError
        When it is not there and ``required``: naming the file and its sheets.
    """
    from sarcohort.data.readers._xlsx import find_sheet

    name = wanted or role
    found = find_sheet(names, name)
    if found is None and required:
        key = "patients_sheet" if role == "patients" else "treatments_sheet"
        raise InputError(
            f"the workbook has no sheet {name!r} for the {role} table (its sheets: "
            f"{_listing(names)})", argument=path.name, value=name,
            fix=f"name the {role} sheet {name!r}, or set [data] {key} to one of its sheets")
    return found


def _other_sheet(path: Path, t_sheet: str, p_table: RawTable | None) -> RawTable:
    """Read the treatments sheet, refusing the sheet already read as the patients table."""
    from sarcohort.data.readers._xlsx import read_xlsx

    if p_table is not None and p_table.sheet == t_sheet:
        raise InputError(f"the patients and treatments tables would both be the sheet "
                         f"{t_sheet!r}", argument=path.name, value=t_sheet,
                         fix="put the treatments in a sheet of their own and set [data] "
                             "treatments_sheet (and patients_sheet) to the right sheets")
    return read_xlsx(path, t_sheet)
