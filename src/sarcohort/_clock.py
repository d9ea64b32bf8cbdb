"""The one clock of sarcohort's outputs: now, or ``SOURCE_DATE_EPOCH`` when it is set.

With ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC, the reproducible-builds
convention) every date written into an output (results.json, the HTML report, the
document properties and zip entry times of Word and Excel files) is that moment, so
two runs on the same data give byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import os


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as an integer, or None when unset or not a whole number."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def now_utc() -> _dt.datetime:
    """The current UTC time (to the second), or ``SOURCE_DATE_EPOCH`` when set.

    >>> import os; os.environ["SOURCE_DATE_EPOCH"] = "0"
    >>> now_utc().isoformat()
    '1970-01-01T00:00:00+00:00'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = source_date_epoch()
    if epoch is not None:
        return _dt.datetime.fromtimestamp(epoch, _dt.UTC)
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)
