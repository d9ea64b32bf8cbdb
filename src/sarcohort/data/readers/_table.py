"""A table as read from a file, before mapping and validation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sarcohort.data.validation._problems import Problem
from sarcohort.exceptions import InputError


@dataclass(frozen=True, eq=False)
class RawTable:
    """One table of a source file, values as read.

    Attributes
    ----------
    frame
        The cells (object columns named as in the file), index 0..n-1.
    file
        File name shown in problems (no directory).
    sheet
        Sheet name, or None.
    rows
        Row number of each frame row as the user sees it (header is row 1).
    problems
        Problems found while reading (encoding, ragged rows, ...).
    bad_rows
        Positions (into ``frame``) of rows with a reading error, with the rule.
    decimal_comma
        Numbers in the file use a decimal comma (``12,5``).
    sha256
        Hash of the file's bytes (None for in-memory frames).
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None
    rows: np.ndarray
    problems: tuple[Problem, ...] = ()
    bad_rows: dict[int, str] = field(default_factory=dict)
    decimal_comma: bool = False
    sha256: str | None = None

    @property
    def n(self) -> int:
        """Number of data rows."""
        return len(self.frame)

    def problem(self, rule: str, severity: str, message: str, row: int | None = None,
                column: str | None = None, value: str = "") -> Problem:
        """A problem located in this table."""
        return Problem(self.file, self.sheet, row, column, value, rule, severity,  # type: ignore[arg-type]
                       message)

    def with_(self, **changes) -> RawTable:
        """A copy with some attributes changed."""
        from dataclasses import replace

        return replace(self, **changes)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, file: str = "data frame", sheet: str | None = None,
                   **kw) -> RawTable:
        """Wrap an in-memory DataFrame: row numbers count a header row as row 1."""
        plain = (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
                 and frame.index.step == 1 and all(isinstance(c, str) for c in frame.columns))
        if not plain:  # a copy with rows 0..n-1 and text names (the caller's frame untouched)
            frame = frame.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
        return cls(frame, file, sheet, np.arange(2, len(frame) + 2), **kw)


def frame_from_rows(header: list, body: list[list], file: str, sheet: str | None,
                    first_row: int = 2, **kw) -> RawTable:
    """Build a RawTable from a header and rows of cells (used by the CSV and XLSX readers).

    Empty rows are skipped (an ``info`` problem counts them); rows longer than the
    header with non-empty extra cells are reading errors (rule ``row.ragged``);
    shorter rows are padded with empty cells; empty or repeated header names are renamed.
    """
    problems: list[Problem] = list(kw.pop("problems", ()))
    width = len(header)
    # drop trailing empty header cells whose columns are all empty
    while width and _empty(header[width - 1]) and all(
            len(r) < width or _empty(r[width - 1]) for r in body):
        width -= 1
    names: list[str] = []
    seen: dict[str, int] = {}
    for k in range(width):
        h = header[k]
        name = "" if _empty(h) else str(h).strip()
        if not name:
            name = f"unnamed_{k + 1}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            problems.append(Problem(file, sheet, 1, new, "", "column.duplicate", "warning",
                                    f"the column {name!r} appears twice; the second one is kept "
                                    f"as {new!r} and not used: remove or rename it"))
            name = new
        else:
            seen[name] = 1
        names.append(name)
    lens = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    row_empty = np.fromiter((_blank_row(r) for r in body), dtype=bool, count=len(body))
    nonempty = np.flatnonzero(~row_empty)
    last = nonempty[-1] if nonempty.size else -1
    n_empty = int(row_empty[: last + 1].sum())  # trailing empty rows are not worth a word
    keep = ~row_empty
    row_numbers = first_row + np.arange(len(body), dtype=np.int64)
    bad: dict[int, str] = {}
    kept_pos = np.cumsum(keep) - 1
    for i in np.flatnonzero((lens > width) & keep):
        if _blank_row(body[i][width:]):
            continue
        bad[int(kept_pos[i])] = "row.ragged"
        problems.append(Problem(
            file, sheet, int(row_numbers[i]), None, f"{lens[i]} cells", "row.ragged", "error",
            f"this row has {lens[i]} cells but the header has {width}: a separator "
            "inside a value? Put quotes around values holding separators"))
    idx = np.flatnonzero(keep)
    if idx.size:
        full = pd.DataFrame([body[i] for i in idx], dtype=object)
    else:
        full = pd.DataFrame(index=pd.RangeIndex(0))
    have = min(width, full.shape[1])
    frame = full.iloc[:, :have].copy()
    frame.columns = names[:have]
    for name in names[have:]:
        frame[name] = pd.Series([None] * len(frame), dtype=object)
    rows = row_numbers[keep]
    if n_empty:
        problems.append(Problem(file, sheet, None, None, str(n_empty), "file.empty_rows", "info",
                                f"{n_empty} empty row(s) skipped"))
    return RawTable(frame, file, sheet, rows, tuple(problems), bad, **kw)


def _blank_row(r: list) -> bool:
    for v in r:
        if v is None:
            continue
        if isinstance(v, str):
            if v and not v.isspace():
                return False
        elif not (isinstance(v, float) and v != v):
            return False
    return True


def _empty(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float):
        return v != v
    return False


def read_source(path: Path) -> tuple[bytes, str]:
    """The bytes of a source file and their SHA-256 (recorded in the cohort manifest).

    Raises
    ------
    InputError
        When the file cannot be read, naming it.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", argument=str(path),
                         fix="check the path") from None
    return data, hashlib.sha256(data).hexdigest()
