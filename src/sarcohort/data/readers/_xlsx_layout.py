"""What openpyxl's fast reader does not say about a sheet: merged cells, hidden rows and
columns, and formula cells without a saved value.

Read from the sheet's XML in the workbook (a zip). Merged cells hold their value in the
first cell only; a formula written by a program that does not compute formulas has no
saved value, and reads as empty. Both would silently empty cells, so the reader names
them.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_REV = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REV = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*)>')
_COL = re.compile(rb'<(?:\w+:)?col\b([^>]*)/?>')
_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_ATTR = re.compile(rb'\b(\w+)="([^"]*)"')
_VALUE = re.compile(rb'<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>')
_REF = re.compile(r"([A-Z]+)(\d+)")


@dataclass(frozen=True)
class SheetLayout:
    """Merged ranges (``"A1:B1"``), hidden rows and columns (1-based), and the cells
    (``"B3"``) holding a formula without a saved value."""

    merged: tuple[str, ...] = ()
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: tuple[int, ...] = ()
    formulas_without_value: tuple[str, ...] = ()


def column_index(letters: str) -> int:
    """``"A"`` -> 1, ``"AB"`` -> 28."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letter(index: int) -> str:
    """1 -> ``"A"``, 28 -> ``"AB"``."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_range(ref: str) -> tuple[int, int, int, int]:
    """``"B2:C4"`` -> (first row, last row, first column, last column), 1-based."""
    a, _, b = ref.partition(":")
    ma, mb = _REF.fullmatch(a), _REF.fullmatch(b or a)
    if ma is None or mb is None:  # pragma: no cover - the regex above only lets refs through
        raise ValueError(ref)
    return (int(ma.group(2)), int(mb.group(2)), column_index(ma.group(1)),
            column_index(mb.group(1)))


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(raw))


def _sheet_xml(zf: zipfile.ZipFile, sheet: str) -> bytes | None:
    book = zf.read("xl/workbook.xml")
    ids = {n: r for n, r in _SHEET.findall(book)} | {n: r for r, n in _SHEET_REV.findall(book)}
    rid = ids.get(sheet.encode("utf-8"))
    if rid is None:
        return None
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = dict(_REL.findall(rels)) | {i: t for t, i in _REL_REV.findall(rels)}
    target = targets.get(rid)
    if target is None:
        return None
    text = target.decode("utf-8")
    name = text.lstrip("/") if text.startswith("/") else posixpath.normpath("xl/" + text)
    try:
        return zf.read(name)
    except KeyError:
        return None


def sheet_layout(path: str | Path, sheet: str) -> SheetLayout:
    """The layout of one sheet; an empty layout when the XML cannot be found (the values
    themselves are read by openpyxl, which reports an unreadable file)."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml = _sheet_xml(zf, sheet)
    except (OSError, KeyError, zipfile.BadZipFile):
        return SheetLayout()
    if xml is None:
        return SheetLayout()
    merged = tuple(m.decode() for m in _MERGE.findall(xml))
    hidden_rows = []
    if b"hidden=" in xml:
        for raw in _ROW.findall(xml):
            a = _attrs(raw)
            if a.get(b"hidden") in (b"1", b"true") and b"r" in a:
                hidden_rows.append(int(a[b"r"]))
    hidden_cols: list[int] = []
    for raw in _COL.findall(xml):
        a = _attrs(raw)
        if a.get(b"hidden") in (b"1", b"true"):
            hidden_cols.extend(range(int(a.get(b"min", b"1")), int(a.get(b"max", b"1")) + 1))
    formulas = []
    if b"<f" in xml or b":f>" in xml or b":f " in xml:
        for raw, inner in _CELL.findall(xml):
            if inner and re.search(rb"<(?:\w+:)?f\b", inner) and not _VALUE.search(inner):
                ref = _attrs(raw).get(b"r")
                if ref:
                    formulas.append(ref.decode())
    return SheetLayout(merged, tuple(hidden_rows), tuple(hidden_cols), tuple(formulas))
