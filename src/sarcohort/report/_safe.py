"""Output safety: spreadsheet-formula neutralisation of tables, and file-name hygiene.

Cells are neutralised by :func:`sarcohort.data._spreadsheet.neutralise` (re-exported here).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sarcohort.data._printable import printable
from sarcohort.data._spreadsheet import neutralise

if TYPE_CHECKING:
    import pandas as pd

def safe_cell(value: object) -> object:
    """A cell for a spreadsheet or CSV: control characters escaped, formulas neutralised."""
    return neutralise(printable(value, keep=""))


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) made safe (:func:`safe_cell`)."""
    out = frame.map(safe_cell) if hasattr(frame, "map") else frame.applymap(safe_cell)
    out.columns = [safe_cell(str(c)) for c in frame.columns]
    return out


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``_`` and ``-``)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")
    return name[:60] or "x"


def unique_name(text: str, used: set[str]) -> str:
    """:func:`safe_name` of ``text``, made unique among ``used`` (case-insensitively, as
    file systems may be) by a numbered suffix; the name is added to ``used``.

    Two long names that :func:`safe_name` cuts to the same 60 characters still give two
    files.

    >>> used = set()
    >>> a, b = unique_name("x" * 70 + "_1", used), unique_name("x" * 70 + "_2", used)
    >>> a == "x" * 60, b == "x" * 58 + "_2"
    (True, True)
    """
    base = safe_name(text)
    name, i = base, 2
    while name.lower() in used:
        suffix = f"_{i}"
        name = base[: 60 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name
