"""Reading sheets of an Excel workbook (.xlsx) with openpyxl."""

from __future__ import annotations

from pathlib import Path

from sarcohort.data.readers._sheet_header import find_header, with_layout_problems
from sarcohort.data.readers._table import RawTable, frame_from_rows, read_source
from sarcohort.data.readers._xlsx_layout import sheet_layout
from sarcohort.exceptions import InputError


def _open(path: Path, name: str):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError...) on corrupt files
        raise InputError(f"cannot be read as an Excel workbook ({type(exc).__name__})",
                         argument=name, fix="open it in Excel and save it as .xlsx") from None


def sheet_names(path: str | Path) -> list[str]:
    """Names of the sheets of a workbook."""
    path = Path(path)
    wb = _open(path, path.name)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def find_sheet(names: list[str], wanted: str) -> str | None:
    """The sheet called ``wanted``, ignoring case and spaces, or None."""
    key = wanted.strip().lower()
    for n in names:
        if n.strip().lower() == key:
            return n
    return None


def read_xlsx(path: str | Path, sheet: str | None = None, display_name: str | None = None,
              ) -> RawTable:
    """Read one sheet (default: the first) of an .xlsx workbook; header in row 1.

    Date cells come as dates, numbers as numbers, text as text. Rows above the header
    holding a title, two header rows, merged cells, hidden rows and columns, and formula
    cells without a saved value are named as such (:mod:`._sheet_header`).

    Raises
    ------
    InputError
        When the file is not a workbook or the sheet does not exist.
    """
    path = Path(path)
    name = display_name or path.name
    data, digest = read_source(path)
    wb = _open(path, name)
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            chosen = names[0]
        else:
            found = find_sheet(names, sheet)
            if found is None:
                raise InputError(f"the workbook has no sheet {sheet!r}", argument=name,
                                 value=sheet, fix=f"use one of {names}")
            chosen = found
        ws = wb[chosen]
        try:
            ws.reset_dimensions()
        except AttributeError:  # pragma: no cover - not read-only
            pass
        try:
            records = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        except Exception as exc:
            raise InputError(f"cannot read sheet {chosen!r} ({type(exc).__name__})",
                             argument=name, fix="open it in Excel and save it again") from None
    finally:
        wb.close()
    layout = sheet_layout(path, chosen)
    head, notes = find_header(records, layout)
    if head is None:
        raise InputError(f"sheet {chosen!r} has no header in row 1", argument=name,
                         fix="put the column names in row 1")
    raw = frame_from_rows(records[head], records[head + 1:], name, chosen,
                          first_row=head + 2, sha256=digest)
    return with_layout_problems(raw, layout, head, notes)
