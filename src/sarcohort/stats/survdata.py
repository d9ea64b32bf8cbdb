"""Validated right-censored (optionally left-truncated) survival data: the one input
validator of the statistics.

:class:`SurvivalData` is what every estimator receives: float exit times, boolean events
and, for counting-process ``(start, stop]`` data, entry times. Building one checks the
input once, with errors that name the argument, the value and the fix.
:func:`numeric_array` checks the other numeric arrays (covariates, offsets, weights) and
:func:`refuse_missing` the grouping arrays (groups, strata, clusters).

Every array entry point (``kaplan_meier``, ``logrank`` and ``cox`` given arrays) uses
these, so the same bad input gets the same error (class and message) from each: a
missing value in an array is refused, never silently dropped. The formula interface is
the explicit way to drop incomplete rows: it applies R's ``na.omit`` and counts them
(``n_missing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sarcohort.exceptions import InputError

__all__ = ["SurvivalData", "numeric_array", "refuse_missing"]

#: The fix offered for a missing value in an array.
MISSING_FIX = "drop those rows first, or use the formula interface (na.omit)"


def refuse_missing(values: Any, argument: str) -> None:
    """Raise :class:`InputError` naming the first missing value (NaN, None, NaT) of a 1-d array.

    Examples
    --------
    >>> refuse_missing([1.0, float("nan")], "group")
    Traceback (most recent call last):
    ...
    sarcohort.exceptions.InputError: group: missing value at position 1; drop those rows first, or use the formula interface (na.omit)
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "fc":
        bad = np.flatnonzero(np.isnan(arr))
    elif arr.dtype.kind in "mM":
        bad = np.flatnonzero(np.isnat(arr))
    elif arr.dtype.kind == "O":
        bad = np.array([i for i, v in enumerate(arr.reshape(-1))
                        if v is None or (isinstance(v, float) and v != v)], dtype=np.int64)
    else:
        return
    if bad.size:
        raise InputError(f"missing value at position {int(bad[0])}", argument=argument,
                         fix=MISSING_FIX)


def numeric_array(values: Any, argument: str, n: int | None, *, columns: int | None = None,
                  names: tuple[str, ...] | None = None) -> np.ndarray:
    """A float array of one value per row (``columns``: a 2-d array), finite and complete.

    Raises
    ------
    InputError
        Not numeric, the wrong number of rows, a missing (NaN) or an infinite value,
        naming the argument, the row and (2-d) the column.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("must be numeric", argument=argument, fix="pass numbers") from None
    if columns is not None and arr.ndim == 1:
        arr = arr[:, None]
    want = 1 if columns is None else 2
    if arr.ndim != want:
        raise InputError(f"expected a {want}-d array, got shape {arr.shape}", argument=argument)
    if n is not None and arr.shape[0] != n:
        raise InputError(f"length {arr.shape[0]} does not match the {n} times",
                         argument=argument, fix="pass arrays of the same length")
    if arr.size and not np.isfinite(arr.sum()):  # one pass when all is well (the usual case)
        bad = np.argwhere(~np.isfinite(arr))[0]
        row = int(bad[0])
        where = f"position {row}" if arr.ndim == 1 else (
            f"row {row}, column {names[int(bad[1])] if names else int(bad[1])}")
        if np.isnan(arr[tuple(bad)]):
            raise InputError(f"missing value at {where}", argument=argument, fix=MISSING_FIX)
        raise InputError(f"values must be finite; {where} is {arr[tuple(bad)]}",
                         argument=argument, fix="check the values")
    return arr


def normalize_event(event: Any, argument: str = "event") -> np.ndarray:
    """Event indicator as booleans, accepting the codings R's ``Surv`` accepts.

    ``True``/``False``, ``1``/``0``, or R's ``2``/``1`` (dead/alive: used when every value is
    1 or 2 and at least one is 2, as R does).

    Examples
    --------
    >>> normalize_event([1, 2, 2]).tolist()
    [False, True, True]
    >>> normalize_event([0, 1, 1]).tolist()
    [False, True, True]
    """
    arr = np.asarray(event)
    if arr.dtype == bool:
        return arr.copy()
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError(
                "event indicator must be numeric or boolean",
                argument=argument,
                value=arr[:5].tolist() if arr.ndim else arr.item(),
                fix="code events as 1/0, True/False, or R's 2/1",
            ) from None
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        bad = int(np.flatnonzero(np.isnan(arr))[0])
        raise InputError(
            f"missing event indicator at position {bad}",
            argument=argument,
            fix="drop or complete the rows with a missing status",
        )
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() <= 2:
        values = np.flatnonzero(np.bincount(arr.reshape(-1)))  # fast path: no sort
    else:
        values = np.unique(arr)
    if np.isin(values, (0, 1)).all():
        return arr == 1
    if np.isin(values, (1, 2)).all():
        return arr == 2
    bad_values = values[~np.isin(values, (0, 1, 2))]
    shown = bad_values[:5].tolist() if bad_values.size else values[:5].tolist()
    raise InputError(
        "event codes must be 0/1, True/False or R's 1/2 (1 = censored, 2 = event)",
        argument=argument,
        value=shown,
        fix="recode the status column",
    )


def _as_times(values: Any, argument: str, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("times must be numbers", argument=argument, fix="convert dates to days first") from None
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise InputError(f"expected a 1-d array, got shape {arr.shape}", argument=argument)
    if n is not None and arr.shape[0] != n:
        raise InputError(
            f"length {arr.shape[0]} does not match the {n} times",
            argument=argument,
            fix="pass arrays of the same length",
        )
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise InputError(
            f"times must be finite; position {bad} is {arr[bad]}",
            argument=argument,
            fix="drop or complete rows with missing follow-up",
        )
    return arr


@dataclass(frozen=True)
class SurvivalData:
    """Validated survival outcome.

    Attributes
    ----------
    time
        Exit (stop) times, float64, finite and non-negative.
    event
        Event indicator (True = event, False = censored).
    entry
        Entry (start) times for counting-process data, with ``entry < time``; None when
        every subject is at risk from time 0.
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.time.shape[0])

    @classmethod
    def from_arrays(
        cls,
        time: Any,
        event: Any,
        entry: Any = None,
        *,
        names: tuple[str, str, str] = ("time", "event", "entry"),
    ) -> SurvivalData:
        """Check and convert arrays; raise :class:`InputError` naming the argument at fault.

        Examples
        --------
        >>> SurvivalData.from_arrays([5, 3], [1, 0]).event.tolist()
        [True, False]
        """
        t = _as_times(time, names[0])
        if t.size == 0:
            raise InputError("no observations", argument=names[0], fix="pass at least one row")
        if entry is None and (t < 0).any():
            bad = int(np.flatnonzero(t < 0)[0])
            raise InputError(
                f"times must be non-negative; position {bad} is {t[bad]}",
                argument=names[0],
                fix="check that follow-up ends after the time origin",
            )
        raw_event = np.asarray(event)
        if raw_event.shape != t.shape:
            raise InputError(
                f"length {raw_event.reshape(-1).shape[0]} does not match the {t.size} times",
                argument=names[1],
                fix="pass arrays of the same length",
            )
        ev = normalize_event(raw_event, names[1])
        start = None
        if entry is not None:
            start = _as_times(entry, names[2], t.size)
            if (start >= t).any():
                bad = int(np.flatnonzero(start >= t)[0])
                raise InputError(
                    f"entry must be before exit; position {bad} has entry {start[bad]} >= exit {t[bad]}",
                    argument=names[2],
                    fix="drop zero-length intervals or check start/stop columns",
                )
        for arr in (t, ev) + ((start,) if start is not None else ()):
            arr.setflags(write=False)
        return cls(time=t, event=ev, entry=start)
