"""Output safety: spreadsheet-formula neutralisation of tables, and file-name hygiene.

Cells are neutralised by :func:`sarcohort.data.spreadsheet.neutralise` (re-exported here).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sarcohort.data.spreadsheet import neutralise

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["neutralise", "safe_frame", "safe_name"]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    out = frame.map(neutralise) if hasattr(frame, "map") else frame.applymap(neutralise)
    out.columns = [neutralise(str(c)) for c in frame.columns]
    return out


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``_`` and ``-``)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")
    return name[:60] or "x"
