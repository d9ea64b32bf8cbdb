"""A report table as a spreadsheet wants it: one number per cell, footnote marks apart.

The tables hold text as the reader sees it (``74 (61.7%)``, ``2.86 (1.84-4.45)``,
``0.055ᵃ``). For Excel each such cell is split into its numbers (the count and
the percent; the estimate, lower and upper limit), each written as a number with
a number format that shows the digits the report shows; footnote marks move to a
``Note`` column. Text that is not a number stays text: ``< 0.001`` (a bound, not
a value), ``NR`` (not reached) and the en dash (not estimable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MARKS = {"\u1d43": "a", "\u1d47": "b", "\u1d9c": "c", "\u1d48": "d", "\u1d49": "e",
         "\u1da0": "f", "\u1d4d": "g"}
_MARK_CLASS = "[" + "".join(MARKS) + "]*"
_NUM = r"-?\d+(?:\.\d+)?"
_EST_CI = re.compile(rf"^({_NUM}|NR)(%?) \(({_NUM}|NR)-({_NUM}|NR)\)({_MARK_CLASS})$")
_N_PCT = re.compile(rf"^(\d+) \(({_NUM})%\)({_MARK_CLASS})$")
_ONE = re.compile(rf"^({_NUM})(%?)({_MARK_CLASS})$")
_TEXT_MARK = re.compile(rf"^(.*?)({_MARK_CLASS})$")


@dataclass(frozen=True)
class SheetCell:
    """A cell: a number with its Excel number format, or text."""

    value: Any
    number_format: str | None = None


def _number(text: str) -> SheetCell:
    if text == "NR":
        return SheetCell("NR")
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    value = float(text) if decimals else int(text)
    return SheetCell(value, "0" if decimals == 0 else "0." + "0" * decimals)


def _parse(text: str) -> tuple[list[SheetCell], str, str]:
    """The numbers of a cell, its kind (``ci``, ``npct``, ``one``, ``text``) and its marks."""
    m = _EST_CI.match(text)
    if m:
        return [_number(m.group(1)), _number(m.group(3)), _number(m.group(4))], "ci", m.group(5)
    m = _N_PCT.match(text)
    if m:
        return [_number(m.group(1)), _number(m.group(2))], "npct", m.group(3)
    m = _ONE.match(text)
    if m:
        return [_number(m.group(1))], "one", m.group(3)
    m = _TEXT_MARK.match(text)
    body, marks = (m.group(1), m.group(2)) if m else (text, "")
    return [SheetCell(body)], "text", marks


def split_table(columns: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[SheetCell]]]:
    """Columns and rows with each number in its own cell and a ``Note`` column of marks.

    The first column (labels) stays as it is.
    """
    parsed = [[_parse(str(v)) if j > 0 else ([SheetCell(str(v))], "text", "")
               for j, v in enumerate(row)] for row in rows]
    out_cols: list[str] = []
    widths: list[int] = []
    for j, col in enumerate(columns):
        kinds = {parsed[i][j][1] for i in range(len(rows)) if str(rows[i][j]).strip()}
        width = max([len(parsed[i][j][0]) for i in range(len(rows))] + [1])
        widths.append(width)
        if width == 1:
            out_cols.append(col)
        elif kinds <= {"ci", "text", "one"}:
            out_cols += [col, f"{col}: lower", f"{col}: upper"][:width]
        elif kinds <= {"npct", "text", "one"}:
            out_cols += [f"{col}: n", f"{col}: %"][:width]
        else:  # counts with percent and statistics with limits in one column (Table 1)
            out_cols += [f"{col}: n or statistic", f"{col}: % or lower", f"{col}: upper"][:width]
    any_marks = any(p[2] for row in parsed for p in row)
    if any_marks:
        out_cols.append("Note")
    out_rows = []
    for row in parsed:
        cells: list[SheetCell] = []
        marks = ""
        for j, (values, _, m) in enumerate(row):
            cells += values + [SheetCell("")] * (widths[j] - len(values))
            marks += m
        if any_marks:
            cells.append(SheetCell(", ".join(MARKS[c] for c in marks)))
        out_rows.append(cells)
    return out_cols, out_rows
