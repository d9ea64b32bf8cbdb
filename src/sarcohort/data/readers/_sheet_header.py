"""Where a workbook sheet's header is, and the sheet-layout problems of its cells.

A sheet made by hand often has a title above the column names, a row of group labels
(merged cells) above them, or a row of units below them; Excel also hides rows and
columns, merges cells and keeps formulas. Each is named as such (rules ``sheet.header``,
``sheet.hidden``, ``cell.merged``, ``cell.formula``) instead of surfacing as a
CSV-style ragged row or as a silently empty cell.
"""

from __future__ import annotations

import datetime as _dt
import math

from sarcohort.data.readers._table import RawTable
from sarcohort.data.readers._xlsx_layout import SheetLayout, cell_range, column_letter
from sarcohort.data.validation._problems import Problem

#: Rows looked at for the header.
_SCAN = 20


def _filled(row: list) -> int:
    return sum(1 for v in row if v is not None and str(v).strip())


def _typed(v: object) -> bool:
    return isinstance(v, (int, float, _dt.date, _dt.datetime)) and not isinstance(v, bool)


def find_header(records: list[list], layout: SheetLayout) -> tuple[int | None, list[tuple]]:
    """The 0-based position of the header row, and notes on what lies around it.

    Notes are ``("title", rows, text)``, ``("groups", row, ranges)`` or
    ``("units", row)`` (1-based sheet rows). None when no row holds a header.
    """
    top = records[:_SCAN]
    counts = [_filled(r) for r in top]
    if not counts or max(counts) == 0:
        return None, []
    width = max(counts)
    need = max(2, math.ceil(width / 2))
    head = next(i for i, c in enumerate(counts) if c >= need)
    notes: list[tuple] = []
    above = [i for i in range(head) if counts[i]]
    groups = [ref for ref in layout.merged
              if (lambda r: r[1] <= head and r[3] > r[2] and r[0] - 1 in above)(cell_range(ref))]
    if groups:  # a row of group labels (merged across columns) above the column names
        notes.append(("groups", head, groups))
    elif above:
        text = next(str(v).strip() for v in records[above[0]] if v is not None and str(v).strip())
        notes.append(("title", [i + 1 for i in above], text))
    # group labels: merged cells across columns in the header row, names in the next one
    spans = [ref for ref in layout.merged
             if (lambda r: r[0] <= head + 1 <= r[1] and r[3] > r[2])(cell_range(ref))]
    nxt = records[head + 1] if head + 1 < len(records) else []
    if spans and _filled(nxt) >= need and not any(_typed(v) for v in nxt):
        notes.append(("groups", head + 1, spans))
        head += 1
        nxt = records[head + 1] if head + 1 < len(records) else []
    # a row of units or descriptions under the names: text where the data hold numbers/dates
    below = records[head + 2: head + 12]
    if nxt and _filled(nxt) >= need and not any(_typed(v) for v in nxt) and below:
        typed_cols = [k for k in range(len(nxt))
                      if nxt[k] is not None and str(nxt[k]).strip()
                      and sum(1 for r in below if k < len(r) and _typed(r[k])) > len(below) / 2]
        if len(typed_cols) >= 2:
            notes.append(("units", head + 2))
    return head, notes


def with_layout_problems(raw: RawTable, layout: SheetLayout, head: int,
                         notes: list[tuple]) -> RawTable:
    """``raw`` with the problems of the sheet's layout added (and the rows they spoil
    marked as reading errors)."""
    problems = list(raw.problems)
    bad = dict(raw.bad_rows)
    pos_of = {int(r): i for i, r in enumerate(raw.rows)}
    names = list(raw.frame.columns)
    header_row = head + 1

    def name_of(col: int) -> str | None:
        return names[col - 1] if 0 < col <= len(names) else None

    def add(rule: str, severity: str, message: str, row: int | None = None,
            column: str | None = None, value: str = "") -> None:
        problems.append(Problem(raw.file, raw.sheet, row, column, value, rule,
                                severity, message))  # type: ignore[arg-type]
        if severity == "error" and row is not None and row in pos_of:
            bad.setdefault(pos_of[row], rule)

    for note in notes:
        if note[0] == "title":
            rows = ", ".join(map(str, note[1]))
            add("sheet.header", "warning",
                f"row(s) {rows} above the column names hold a title ({note[2][:40]!r}), not "
                f"column names: the header was read from row {header_row}; delete the rows "
                "above it so that the column names are in row 1", value=note[2])
        elif note[0] == "groups":
            add("sheet.header", "error",
                f"two header rows: row {note[1]} groups columns with merged cells "
                f"({', '.join(note[2][:3])}) above the column names of row {note[1] + 1}: keep "
                "a single row of column names (delete the row of groups)",
                value=", ".join(note[2][:3]))
        else:
            add("sheet.header", "error",
                f"this row looks like a second header row (units or descriptions under the "
                f"column names of row {header_row}), not a patient: delete it", row=note[1])
    for ref in layout.merged:
        r0, r1, c0, c1 = cell_range(ref)
        if r1 < header_row:
            continue
        if r0 <= header_row:
            if c1 > c0 and not any(n[0] == "groups" for n in notes):
                add("sheet.header", "error",
                    f"merged cells {ref} in the header row: each column needs a name of its "
                    "own, so a column is lost; unmerge them and name every column", value=ref)
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0) or name_of(c) is None:
                    continue
                add("cell.merged", "error",
                    f"{column_letter(c)}{r} is part of the merged cells {ref}: only the first "
                    "cell holds the value, so this one reads as empty; unmerge the cells and "
                    "fill in each one", row=r, column=name_of(c), value=ref)
    hidden = [r for r in layout.hidden_rows if r in pos_of]
    for r in hidden:
        add("sheet.hidden", "warning",
            "this row is hidden in Excel: it is read and analysed like the others; check that "
            "it belongs to the data (unhide it, or delete it)", row=r)
    for c in layout.hidden_columns:
        if name_of(c) is not None:
            add("sheet.hidden", "warning",
                f"column {column_letter(c)} is hidden in Excel: it is read like the others; "
                "check that it belongs to the data", column=name_of(c), value=column_letter(c))
    for ref in layout.formulas_without_value:
        r0, _, c0, _ = cell_range(ref)
        if r0 < header_row:
            continue
        add("cell.formula", "error",
            f"cell {ref} holds a formula with no saved value (the workbook was written by a "
            "program that does not compute formulas): it is not read as empty; open the "
            "workbook in Excel or LibreOffice and save it, or paste the values",
            row=r0 if r0 > header_row else None, column=name_of(c0), value=ref)
    if len(problems) == len(raw.problems):
        return raw
    return raw.with_(problems=tuple(problems), bad_rows=bad)

