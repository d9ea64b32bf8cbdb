"""Validated competing-risks data: times, a status with several causes, groups and strata.

``status`` is coded as ``cmprsk`` codes it: either a factor (pandas Categorical) whose first
level means censored, or codes with ``cencode`` (0 by default) for censored and every other
distinct value a cause. Causes keep the factor's level order, or sorted order otherwise.

:func:`competing_inputs` resolves the two input forms (arrays, or an R formula
``Surv(time, status) ~ group + strata(s)`` evaluated on a DataFrame) the way R's ``na.omit``
does: a row with a missing time, status, group or stratum is dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sarcohort.exceptions import FormulaError, InputError


@dataclass(frozen=True)
class CompetingData:
    """Competing-risks outcome of the analysed rows.

    Attributes
    ----------
    time
        Follow-up times (finite, non-negative).
    cause
        0 = censored, ``k`` = the ``k``-th cause of ``causes``.
    causes
        The causes, as given (``1``, ``2`` for integer codes; level names for a factor).
    group, group_labels
        Group codes ``0..K-1`` and R-style labels (``"trt=1"``; ``"All"`` for one group).
    strata, strata_labels
        Stratum codes or None, and labels.
    n_missing
        Rows dropped for a missing value.
    kept
        Boolean mask of the analysed rows over the input rows (formula input), else None.
    """

    time: np.ndarray
    cause: np.ndarray
    causes: tuple[Any, ...]
    group: np.ndarray
    group_labels: tuple[str, ...]
    strata: np.ndarray | None
    strata_labels: tuple[str, ...]
    n_missing: int
    kept: np.ndarray | None = None


def _is_missing(values: Any) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.isna(pd.Series(values, copy=False)), dtype=bool) if np.ndim(values) else np.zeros(0, bool)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (``np.int64(1)`` -> ``1``; ``1.0`` -> ``1``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def cause_codes(status: Any, cencode: Any = 0, argument: str = "status") -> tuple[np.ndarray, tuple[Any, ...]]:
    """Cause codes (0 = censored, 1..C) and the causes, from a status column.

    A pandas Categorical's first level is censoring (``cencode`` is ignored unless it names
    another level) and the causes are the other levels that occur, in level order. Other
    values: ``cencode`` is censoring and the causes are the other distinct values, sorted.

    Examples
    --------
    >>> codes, causes = cause_codes([0, 2, 1, 2])
    >>> codes.tolist(), causes
    ([0, 2, 1, 2], (1, 2))
    """
    import pandas as pd

    series = status if isinstance(status, pd.Series) else pd.Series(status)
    if series.isna().any():
        bad = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise InputError(f"missing status at position {bad}", argument=argument,
                         fix="drop those rows first, or use the formula interface (na.omit)")
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = list(series.cat.categories)
        censor = cencode if cencode in levels and cencode != 0 else levels[0]
        present = set(series.astype(object))
        causes = tuple(lv for lv in levels if lv != censor and lv in present)
        values = series.astype(object).to_numpy()
    else:
        values = series.to_numpy()
        if values.dtype.kind == "b":
            values = values.astype(np.int64)
        if values.dtype.kind == "f" and np.all(values == np.round(values)):
            values = values.astype(np.int64)
        censor = cencode
        try:
            distinct = sorted(set(values.tolist()) - {censor})
        except TypeError:
            distinct = sorted({str(v) for v in values.tolist()} - {str(censor)})
            values = values.astype(str)
            censor = str(censor)
        causes = tuple(_plain(v) for v in distinct)
    lookup = {c: k + 1 for k, c in enumerate(causes)}
    codes = np.array([0 if v == censor else lookup.get(_plain(v), -1) for v in values.tolist()], dtype=np.int64)
    if (codes < 0).any():  # pragma: no cover - every value is censoring or a cause
        raise InputError("unrecognised status value", argument=argument)
    if not causes:
        raise InputError(f"no events: every status equals the censoring code {censor!r}", argument=argument,
                         fix="check the status coding and cencode= (the code of censored rows)")
    return codes, causes


def resolve_cause(cause: Any, causes: tuple[Any, ...], argument: str = "cause") -> int:
    """Index (1-based code) of ``cause`` among ``causes``; also accepts its string form."""
    for k, c in enumerate(causes):
        if cause == c or str(cause) == str(c):
            return k + 1
    raise InputError("not one of the causes in the data", argument=argument, value=cause,
                     fix=f"use one of {list(causes)}")


def _times(values: Any, argument: str) -> np.ndarray:
    try:
        t = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError("times must be numbers", argument=argument, fix="convert dates to days first") from None
    if t.size == 0:
        raise InputError("no observations", argument=argument, fix="pass at least one row")
    if not np.isfinite(t).all():
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise InputError(f"times must be finite; position {bad} is {t[bad]}", argument=argument,
                         fix="drop or complete rows with missing follow-up")
    if (t < 0).any():
        bad = int(np.flatnonzero(t < 0)[0])
        raise InputError(f"times must be non-negative; position {bad} is {t[bad]}", argument=argument,
                         fix="check that follow-up ends after the time origin")
    return t


def competing_inputs(
    time_or_formula: Any,
    status: Any = None,
    group: Any = None,
    *,
    strata: Any = None,
    data: Any = None,
    cencode: Any = 0,
    allow_terms: bool = True,
) -> CompetingData:
    """Resolve arrays, or a formula with a DataFrame, into :class:`CompetingData`.

    With a formula, the right-hand side terms are the groups (``~ 1`` gives one group
    ``"All"``) and ``strata(...)`` terms the strata; ``cluster()`` and ``offset()`` are
    refused. ``allow_terms=False`` skips the grouping (the caller builds a design matrix).
    """
    from sarcohort.stats.km import _array_codes

    if isinstance(time_or_formula, str):
        return _from_formula(time_or_formula, data, cencode, (status, group, strata), allow_terms)
    if data is not None:
        raise InputError("data= is only used with a formula", argument="data",
                         fix='pass a formula such as "Surv(time, status) ~ group", or arrays without data=')
    if time_or_formula is None or status is None:
        raise InputError("time and status are required", argument="status" if time_or_formula is not None else "time",
                         fix="pass cuminc(time, status) or a formula with data=")
    t = _times(time_or_formula, "time")
    st = np.asarray(status) if not hasattr(status, "cat") and not hasattr(status, "categories") else status
    if len(st) != t.size:
        raise InputError(f"length {len(st)} does not match the {t.size} times", argument="status",
                         fix="pass arrays of the same length")
    codes, causes = cause_codes(st, cencode)
    g_labels: tuple[str, ...] = ("All",)
    if group is None:
        g = np.zeros(t.size, dtype=np.int64)
    else:
        g, g_labels = _array_codes(group, "group", t.size)
    s_codes: np.ndarray | None = None
    s_labels: tuple[str, ...] = ()
    if strata is not None:
        s_codes, s_labels = _array_codes(strata, "strata", t.size)
    return CompetingData(t, codes, causes, g, g_labels, s_codes, s_labels, 0)


def _from_formula(formula: str, data: Any, cencode: Any, extra: tuple[Any, ...], allow_terms: bool) -> CompetingData:
    import pandas as pd

    from sarcohort.stats import expressions
    from sarcohort.stats.formula import (
        _combine,
        _evaluate_grouping,
        group_labels,
        parse_formula,
        refuse_frailty,
    )

    for name, value in zip(("status", "group", "strata"), extra, strict=True):
        if value is not None:
            raise InputError("with a formula, give variables inside the formula", argument=name,
                             fix=f"drop {name}= or pass arrays instead of a formula")
    if not isinstance(data, pd.DataFrame):
        raise InputError("a formula needs data", argument="data", fix="pass data=<pandas DataFrame>")
    parsed = parse_formula(formula)
    refuse_frailty(parsed, "a competing-risks analysis (cumulative incidence, Gray's test, Fine-Gray)")
    if len(parsed.surv) != 2:
        raise FormulaError("competing risks need Surv(time, status) (no entry times)", argument="formula",
                           value=formula, fix="write Surv(time, status) with status coding the causes")
    if parsed.cluster is not None or parsed.offset is not None:
        raise FormulaError("cluster() and offset() are not used here", argument="formula", value=formula)
    unknown = sorted(parsed.variables - set(map(str, data.columns)))
    if unknown:
        raise FormulaError(f"unknown column(s) {', '.join(map(repr, unknown))}", argument="formula", value=formula,
                           fix=f"available columns: {', '.join(map(str, data.columns[:30]))}")
    used = sorted(parsed.variables)
    missing = data[used].isna().any(axis=1).to_numpy() if used else np.zeros(len(data), bool)
    time_expr, status_expr = parsed.surv
    time_all = np.asarray(expressions.evaluate(time_expr, data), dtype=float)
    missing |= np.isnan(time_all)
    status_all = data[status_expr] if status_expr in data.columns else pd.Series(
        expressions.evaluate(status_expr, data), index=data.index)
    missing |= status_all.isna().to_numpy()
    kept = ~missing
    frame = data.loc[kept]
    if len(frame) == 0:
        raise InputError("no rows left after removing missing values", argument="data")
    t = _times(time_all[kept], time_expr)
    codes, causes = cause_codes(status_all[kept], cencode, argument=status_expr)
    if allow_terms:
        g, g_labels = group_labels(frame, list(parsed.terms))
        g = np.asarray(g, dtype=np.int64)
    else:
        g, g_labels = np.zeros(len(frame), dtype=np.int64), ("All",)
    s_codes: np.ndarray | None = None
    s_labels: tuple[str, ...] = ()
    if parsed.strata:
        columns = [(e, _evaluate_grouping(e, frame)) for e in parsed.strata]
        s_codes, s_labels = _combine(columns)
    return CompetingData(t, codes, causes, g, tuple(g_labels), s_codes, tuple(s_labels),
                         int(missing.sum()), kept)
