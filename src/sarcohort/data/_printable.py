"""Text from data made safe to show: control characters written as escapes (``\\x1b``).

A cell of a hospital export can hold anything: an escape sequence that recolours or
clears a terminal, a vertical tab that Word and Excel refuse (XML 1.0 forbids it), a
carriage return that hides the start of a line. Every place that shows data text to a
person (terminal, CSV, Word, Excel, figures) passes it through :func:`printable`.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls, DEL, the non-characters XML forbids, lone surrogates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# and, on one line: line/paragraph separators and bidirectional overrides (text that
# reads differently from what it is)
_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u2028\u2029\u202a-\u202e"
                   "\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any, keep: str = "\n\t") -> Any:
    """``value`` with control characters (but those in ``keep``) escaped; non-text unchanged.

    Examples
    --------
    >>> printable("a\\x0bb"), printable("\\x1b[31mred"), printable("two\\nlines"), printable(3)
    ('a\\\\x0bb', '\\\\x1b[31mred', 'two\\nlines', 3)
    """
    if not isinstance(value, str):
        return value
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else _escape(m), value)


def one_line(value: Any) -> str:
    """``str(value)`` on one line: every control character, newlines and tabs included, escaped.

    >>> one_line("a\\nb\\u202ec")
    'a\\\\x0ab\\\\u202ec'
    """
    return _LINE.sub(_escape, "" if value is None else str(value))
