"""Collecting problems row by row without Python loops over the rows that are fine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sarcohort.data.validation._problems import Problem, Severity, shorten

if TYPE_CHECKING:
    import pyarrow as pa


class Collector:
    """Problems of one table, and the first error rule of each of its rows.

    Parameters
    ----------
    file, sheet
        Where the table comes from.
    rows
        Row number of each table row as the user sees it.
    source_names
        Template column name -> name written in the file.
    """

    def __init__(self, file: str, sheet: str | None, rows: np.ndarray,
                 source_names: dict[str, str] | None = None) -> None:
        self.file = file
        self.sheet = sheet
        self.rows = np.asarray(rows)
        self.source_names = source_names or {}
        self.problems: list[Problem] = []
        self.first_error = np.full(len(self.rows), None, dtype=object)

    def name(self, column: str | None) -> str | None:
        """The column's name as written in the file."""
        if column is None:
            return None
        return self.source_names.get(column, column)

    def mark(self, positions: np.ndarray, rule: str) -> None:
        """Record ``rule`` as the error of rows at ``positions`` that have none yet."""
        positions = np.asarray(positions, dtype=np.int64)
        if positions.size == 0:
            return
        free = positions[self.first_error[positions] == None]  # noqa: E711
        self.first_error[free] = rule

    def add(self, mask: np.ndarray, column: str | None, rule: str, severity: Severity,
            message: str | np.ndarray | pd.Series,
            value: str | np.ndarray | pd.Series | pa.Array = "") -> int:
        """Add one problem per row where ``mask`` is true; returns how many.

        ``message`` and ``value`` are one text for all rows or one per table row (``value``
        also an Arrow text array).
        """
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        if idx.size == 0:
            return 0
        msgs = [message] * idx.size if isinstance(message, str) else [
            str(m) for m in np.asarray(message, dtype=object)[idx]]
        vals = _pick(value, idx)
        col = self.name(column)
        rows = self.rows[idx]
        self.problems.extend(
            Problem(self.file, self.sheet, int(r), col, shorten(v), rule, severity, str(m))
            for r, v, m in zip(rows, vals, msgs, strict=True))
        if severity == "error":
            self.mark(idx, rule)
        return int(idx.size)

    def add_table(self, column: str | None, rule: str, severity: Severity, message: str,
                  value: str = "", row: int | None = None) -> None:
        """Add a problem about a whole column or file; an error marks every row."""
        self.problems.append(Problem(self.file, self.sheet, row, self.name(column),
                                     shorten(value), rule, severity, message))
        if severity == "error":
            self.mark(np.arange(len(self.rows)), rule)


def _pick(x: str | np.ndarray | pd.Series | pa.Array, idx: np.ndarray) -> list:
    if isinstance(x, str):
        return [x] * idx.size
    from sarcohort.data.validation._coerce import cell_text

    if not isinstance(x, (np.ndarray, pd.Series)):  # Arrow text: only these rows made Python
        import pyarrow as pa

        return [cell_text(v) or "" for v in x.take(pa.array(idx)).to_pylist()]
    # the rows with a problem taken first: a column is never converted whole
    sel = x.iloc[idx].to_numpy() if isinstance(x, pd.Series) else np.asarray(x)[idx]
    if sel.dtype.kind == "M":  # dates: shown as YYYY-MM-DD
        return ["" if np.isnat(v) else str(v)[:10] for v in sel]
    return [cell_text(v) or "" for v in sel.astype(object)]
