"""``tables.xlsx`` (openpyxl) and the CSV files: one sheet / one file per table.

Every text cell that a spreadsheet would run as a formula (``= + - @``) is
neutralised first (:func:`sarcohort.report._safe.neutralise`), and cells are
written with an explicit string type, so nothing in the workbook is a formula.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sarcohort.data._printable import printable
from sarcohort.report._safe import safe_cell, safe_frame, unique_name
from sarcohort.report._stamp import document_time, fix_zip_times
from sarcohort.report._tables import ReportTable

_DANGLING = {"by", "of", "the", "and", "a", "an", "after", "before", "vs", "in", "on", "to", "for",
             "with"}


def sheet_name(title: str, used: set[str], number: int | None = None) -> str:
    """A readable, valid, unique Excel sheet name: ``3 Progression-free survival``.

    At most 31 characters, cut at a word; none of ``[]:*?/\\'``; spaces collapsed;
    the table number (when given) keeps names unique.
    """
    head, sep, rest = title.partition(": ")
    if sep and len(title) > 31 - 4:  # "Progression-free survival: Cox regression" -> "PFS Cox regression"
        initials = "".join(w[0] for w in re.split(r"[\s-]+", head) if w).upper()
        title = f"{initials} {rest}"
    text = re.sub(r"[\[\]:*?/\\']", " ", printable(title, keep=""))
    text = re.sub(r"\s+", " ", text).strip() or "Sheet"
    prefix = f"{number} " if number is not None else ""
    room = 31 - len(prefix)
    if len(text) > room:
        cut = text[:room + 1].rsplit(" ", 1)[0].rstrip(" ,;-")
        words = cut.split(" ")
        while len(words) > 1 and words[-1].lower() in _DANGLING:
            words.pop()
        cut = " ".join(words)
        text = cut if len(cut) >= room // 2 else text[:room].rstrip()
    base = prefix + text
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
        i += 1
    used.add(name.lower())
    return name


def write_xlsx(path: Path, tables: Sequence[ReportTable]) -> Path:
    """One worksheet per table: title, header, rows (each number in its own numeric cell with
    the report's digits as its number format; footnote marks in a Note column), footnotes."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Alignment, Border, Font, Side

    from sarcohort.report._spreadsheet import split_table

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    thin = Side(style="thin", color="000000")
    for number, t in enumerate(tables, start=1):
        ws = wb.create_sheet(sheet_name(t.title, used, number))
        c = ws.cell(row=1, column=1, value=safe_cell(f"Table {number}. {t.title}"))
        c.data_type = TYPE_STRING
        c.font = Font(bold=True, size=12)
        frame = safe_frame(t.frame)
        columns, rows = split_table([str(x) for x in frame.columns],
                                    [[str(v) for v in row] for row in frame.itertuples(index=False)])
        kinds = list(t.row_kinds) or ["plain"] * len(rows)
        for j, col in enumerate(columns, start=1):
            c = ws.cell(row=3, column=j, value=safe_cell(col))
            c.data_type = TYPE_STRING
            c.font = Font(bold=True)
            c.border = Border(top=thin, bottom=thin)
            c.alignment = Alignment(wrap_text=True, vertical="bottom")
        for i, row in enumerate(rows, start=4):
            kind = kinds[i - 4]
            for j, cell in enumerate(row, start=1):
                if isinstance(cell.value, str):
                    c = ws.cell(row=i, column=j, value=safe_cell(cell.value))
                    c.data_type = TYPE_STRING
                else:
                    c = ws.cell(row=i, column=j, value=cell.value)
                    c.number_format = cell.number_format or "General"
                if j == 1 and kind == "header":
                    c.font = Font(bold=True)
                if j == 1 and kind == "level":
                    c.alignment = Alignment(indent=1)
                if i == len(rows) + 3:
                    c.border = Border(bottom=thin)
        r = len(rows) + 5
        for note in t.footnotes:
            c = ws.cell(row=r, column=1, value=safe_cell(note))
            c.data_type = TYPE_STRING
            c.font = Font(italic=True, size=9)
            r += 1
        for j, col in enumerate(columns, start=1):
            longest = max([len(str(row[j - 1].value)) for row in rows] + [0])
            width = max(min(len(col), 18) * 0.9, longest) if j > 1 else max(len(col), longest)
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
    used: set[str] = set()
    for t in tables:
        p = folder / f"{unique_name(t.key, used)}.csv"
        p.write_text(t.to_csv(), encoding="utf-8")
        out.append(p)
    return out
