"""``tables.xlsx`` (openpyxl) and the CSV files: one sheet / one file per table.

Every text cell that a spreadsheet would run as a formula (``= + - @``) is
neutralised first (:func:`sarcohort.report.safe.neutralise`), and cells are
written with an explicit string type, so nothing in the workbook is a formula.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sarcohort.report._stamp import document_time, fix_zip_times
from sarcohort.report.safe import neutralise, safe_frame, safe_name
from sarcohort.report.tables import ReportTable

__all__ = ["write_xlsx", "write_csvs", "sheet_name"]


def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (<= 31 characters, none of ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\']", " ", title).strip()[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def write_xlsx(path: Path, tables: Sequence[ReportTable]) -> Path:
    """One worksheet per table: title, header, rows, footnotes."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    thin = Side(style="thin", color="000000")
    for t in tables:
        ws = wb.create_sheet(sheet_name(t.title.split(". ", 1)[-1] if t.key == "table1" else
                                        t.title, used))
        c = ws.cell(row=1, column=1, value=neutralise(t.title))
        c.data_type = TYPE_STRING
        c.font = Font(bold=True, size=12)
        frame = safe_frame(t.frame)
        kinds = list(t.row_kinds) or ["plain"] * len(frame)
        for j, col in enumerate(frame.columns, start=1):
            c = ws.cell(row=3, column=j, value=str(col))
            c.data_type = TYPE_STRING
            c.font = Font(bold=True)
            c.border = Border(top=thin, bottom=thin)
            c.alignment = Alignment(wrap_text=True, vertical="bottom")
        for i, row in enumerate(frame.itertuples(index=False), start=4):
            kind = kinds[i - 4]
            for j, value in enumerate(row, start=1):
                c = ws.cell(row=i, column=j, value=str(value))
                c.data_type = TYPE_STRING
                if j == 1 and kind == "header":
                    c.font = Font(bold=True)
                if j == 1 and kind == "level":
                    c.alignment = Alignment(indent=1)
                if i == len(frame) + 3:
                    c.border = Border(bottom=thin)
        r = len(frame) + 5
        for note in t.footnotes:
            c = ws.cell(row=r, column=1, value=neutralise(note))
            c.data_type = TYPE_STRING
            c.font = Font(italic=True, size=9)
            r += 1
        for j, col in enumerate(frame.columns, start=1):
            width = max([len(str(col)) * 0.8] + [len(str(v)) for v in frame.iloc[:, j - 1]])
            ws.column_dimensions[ws.cell(row=3, column=j).column_letter].width = min(60, width + 2)
        ws.freeze_panes = "B4"
    wb.properties.creator = wb.properties.lastModifiedBy = "sarcohort"
    wb.properties.created = wb.properties.modified = document_time()
    wb.save(str(path))
    fix_zip_times(path)
    return path


def write_csvs(folder: Path, tables: Sequence[ReportTable]) -> list[Path]:
    """One UTF-8 CSV per table (``csv/<key>.csv``), cells neutralised."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for t in tables:
        p = folder / f"{safe_name(t.key)}.csv"
        p.write_text(t.to_csv(), encoding="utf-8")
        out.append(p)
    return out
