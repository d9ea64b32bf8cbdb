"""Output safety: spreadsheet-formula neutralisation and file-name hygiene.

A cell whose text begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
return) is run as a formula by Excel and LibreOffice ("CSV injection"); such
text is prefixed with an apostrophe, as OWASP recommends. Plain numbers written
as text (``-1.5``) cannot be formulas and are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["neutralise", "safe_frame", "safe_name"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def neutralise(value: Any) -> Any:
    """The value, with formula-triggering text prefixed by ``'``; non-text unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"x\\")"), neutralise("-1.5"), neutralise("Lyon"), neutralise(3)
    ('\\'=HYPERLINK("x")', '-1.5', 'Lyon', 3)
    >>> neutralise("-"), neutralise("-cmd"), neutralise("@SUM(A1)"), neutralise("+1+1")
    ('-', "'-cmd", "'@SUM(A1)", "'+1+1")
    """
    if (isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.match(value)
            and value.strip("-") != ""):  # a lone dash ("not available") is no formula
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    out = frame.map(neutralise) if hasattr(frame, "map") else frame.applymap(neutralise)
    out.columns = [neutralise(str(c)) for c in frame.columns]
    return out


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``_`` and ``-``)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")
    return name[:60] or "x"
