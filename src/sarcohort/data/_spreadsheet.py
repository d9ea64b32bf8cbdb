"""Spreadsheet-formula neutralisation ("CSV injection"), for every file a user opens in Excel.

A cell whose text begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
return) is run as a formula by Excel and LibreOffice; such text is prefixed with an
apostrophe, as OWASP recommends. Plain numbers written as text (``-1.5``) cannot be
formulas and are left alone. Used by the validation report and the study report.
"""

from __future__ import annotations

import re
from typing import Any

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


def unneutralise(value: Any) -> Any:
    """Undo :func:`neutralise` on text read back from a file it wrote.

    >>> unneutralise(neutralise("=1+1")), unneutralise("Lyon")
    ('=1+1', 'Lyon')
    """
    if isinstance(value, str) and value[:1] == "'" and neutralise(value[1:]) == value:
        return value[1:]
    return value
