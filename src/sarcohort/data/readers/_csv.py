"""Reading delimited text files (CSV) as written by Excel, LibreOffice or a database export."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from sarcohort.data.readers._sheet_header import find_header, with_layout_problems
from sarcohort.data.readers._table import RawTable, frame_from_rows, read_source
from sarcohort.data.readers._xlsx_layout import SheetLayout
from sarcohort.data.validation._problems import Problem
from sarcohort.exceptions import InputError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def decode_bytes(data: bytes, file: str) -> tuple[str, str, list[Problem]]:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1.

    Returns the text, the encoding used and an ``info`` problem when it was not UTF-8.
    Raises :class:`InputError` for a binary file.
    """
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", problems
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise InputError("this is not a text (CSV) file: it holds binary data",
                         argument=file, fix="export the table as CSV or XLSX")
    try:
        return data.decode("utf-8"), "utf-8", problems
    except UnicodeDecodeError:
        pass
    try:
        text, enc = data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        text, enc = data.decode("latin-1"), "latin-1"
    problems.append(Problem(file, None, None, None, enc, "encoding", "info",
                            f"the file is not UTF-8; it was read as {enc} (Latin-1). Check that "
                            "accented letters look right, or save it as 'CSV UTF-8'"))
    return text, enc, problems


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of ``;``, ``,`` and tab (``,`` on ties)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    if best == 0:
        return ","
    for d in (",", ";", "\t"):
        if counts[d] == best:
            return d
    return ","  # pragma: no cover


def read_csv(path: str | Path, display_name: str | None = None) -> RawTable:
    """Read a CSV file into a :class:`RawTable` (every cell kept as text).

    Parameters
    ----------
    path
        The file.
    display_name
        Name shown in problems (default: the file name).

    Raises
    ------
    InputError
        When the file cannot be read at all (missing, binary, no header).
    """
    path = Path(path)
    name = display_name or path.name
    data, digest = read_source(path)
    text, _, problems = decode_bytes(data, name)
    if not text.strip():
        raise InputError("the file is empty", argument=name, fix="export the table again")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    try:
        records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                  delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"cannot be read as CSV ({exc})", argument=name,
                         fix="export the table again as CSV") from None
    while records and not any(c.strip() for c in records[0]):
        raise InputError("the first row (header) is empty", argument=name,
                         fix="put the column names in row 1")
    # a title line above the column names is named as such (not as ragged rows)
    head, notes = find_header(records, SheetLayout())
    head = head or 0
    header, body = records[head], records[head + 1:]
    decimal_comma = delimiter == ";"
    raw = frame_from_rows(header, body, name, None, first_row=head + 2, problems=problems,
                          decimal_comma=decimal_comma, sha256=digest)
    return with_layout_problems(raw, SheetLayout(), head, notes)
