"""Reading SPSS (``.sav``, ``.zsav``), Stata (``.dta``) and SAS (``.sas7bdat``) files with pyreadstat.

The cells are read as stored (codes, not their labels: the protocol's ``[data.codes]``
and the template's checks apply to codes); the files' value labels
(``1 = "Male"``) are read apart by :func:`stat_value_labels` and become the default
display names of those values in the report (the protocol's ``[analysis.levels]``
wins over them). SPSS and Stata store dates as dates: they are read as dates.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sarcohort.data.readers._table import RawTable
from sarcohort.exceptions import InputError

STAT_SUFFIXES = {".sav": "spss", ".zsav": "spss", ".dta": "stata", ".sas7bdat": "sas"}


def _read(path: Path, metadata_only: bool = False) -> tuple[Any, Any]:
    import pyreadstat

    kind = STAT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"not an SPSS, Stata or SAS file ({path.suffix!r})", argument=path.name,
                         fix="use a .sav, .zsav, .dta or .sas7bdat file")
    reader: Any = {"spss": pyreadstat.read_sav, "stata": pyreadstat.read_dta,
              "sas": pyreadstat.read_sas7bdat}[kind]
    try:
        return reader(str(path), metadataonly=metadata_only, apply_value_formats=False)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc})", argument=path.name, fix="check the file") from None
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise InputError(f"cannot be read as a {kind.upper()} file ({type(exc).__name__}: {exc})",
                         argument=path.name, fix="check the file, or export it as CSV") from None


def read_stat_file(path: str | Path, display_name: str | None = None) -> RawTable:
    """Read an SPSS, Stata or SAS data file; row numbers count a header as row 1.

    Examples
    --------
    >>> t = read_stat_file("patients.sav")  # doctest: +SKIP
    >>> t.frame.columns                     # doctest: +SKIP
    """
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise InputError("file not found", argument=str(path), fix="check the path")
    frame, _ = _read(path)
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    # whole numbers read as floats (SPSS stores every number as a double) stay whole
    for c in frame.columns:
        col = frame[c]
        if col.dtype.kind == "f" and col.dropna().size and (col.dropna() % 1 == 0).all():
            frame[c] = col.astype("Int64")
    return RawTable.from_frame(frame.astype(object).where(frame.notna(), None), name, None,
                               sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def stat_value_labels(path: str | Path) -> dict[str, dict[str, str]]:
    """The value labels of each labelled column: ``{"sex": {"1": "Male", "2": "Female"}}``.

    Codes are written as the data read them (``1.0`` reads ``"1"``); an empty dict for
    a file without value labels or of another type.
    """
    path = Path(path)
    if path.suffix.lower() not in STAT_SUFFIXES or not path.is_file():
        return {}
    _, meta = _read(path, metadata_only=True)
    out: dict[str, dict[str, str]] = {}
    for column, labels in (meta.variable_value_labels or {}).items():
        table = {}
        for code, label in labels.items():
            key = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
            table[key] = str(label)
        if table:
            out[str(column)] = table
    return out
