"""Reproducible Office files: fixed document dates and zip entry times.

Word and Excel files are zip archives whose entries carry a modification time, and
whose core properties carry created/modified dates; both default to "now". With
:func:`sarcohort._clock.now_utc` (``SOURCE_DATE_EPOCH`` when set) everywhere, two runs
give byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import zipfile
from pathlib import Path

from sarcohort._clock import now_utc

#: zip cannot store times before 1980
_ZIP_EPOCH = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)


def document_time() -> _dt.datetime:
    """The time written into document properties: naive UTC (as python-docx and openpyxl expect)."""
    return now_utc().replace(tzinfo=None)


_CORE = "docProps/core.xml"
_DATES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def fix_zip_times(path: Path) -> None:
    """Rewrite the Office file ``path`` in place: every zip entry and the document's created
    and modified dates set to :func:`document_time`.

    Entry order, names, compression and permissions are kept (openpyxl stamps "now"
    as the modified date whatever the properties say, hence the rewrite of
    ``docProps/core.xml``). The archive is rewritten to a temporary file beside it and
    renamed over it.
    """
    stamp = document_time().strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    when = max(now_utc(), _ZIP_EPOCH).timetuple()[:6]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            out = zipfile.ZipInfo(info.filename, date_time=when)
            out.compress_type = info.compress_type
            out.external_attr = info.external_attr
            out.create_system = 3  # one value whatever the platform that wrote it
            data = src.read(info.filename)
            if info.filename == _CORE:
                data = _DATES.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            dst.writestr(out, data)
    os.replace(tmp, path)
