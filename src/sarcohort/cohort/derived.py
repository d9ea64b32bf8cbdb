"""Derived covariates declared in the protocol's ``[derived]`` section.

Evaluated with :mod:`sarcohort.stats.expressions` (a small safe grammar, never Python's
``eval``). An expression whose value is a comparison or a logical combination
is stored as a boolean column (pandas ``boolean``, missing where an input is missing).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.stats import expressions

__all__ = ["evaluate_derived"]


def _is_logical(expr: str, frame: pd.DataFrame) -> bool:
    used = [c for c in expressions.names(expr) if c in frame.columns]
    complete = frame[used].notna().all(axis=1) if used else pd.Series(True, index=frame.index)
    sample = frame.loc[complete.to_numpy(), used].head(5) if used else frame.head(1)
    if len(sample) == 0:
        return False
    return np.asarray(expressions.evaluate(expr, _numeric(sample))).dtype == bool


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable columns as numpy-friendly ones (Int64 -> float, boolean -> float)."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and (
                pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            if s.isna().any():
                out[c] = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            elif pd.api.types.is_bool_dtype(s.dtype):
                out[c] = s.to_numpy(dtype=bool)
            else:
                out[c] = s.to_numpy(dtype=float)
        else:
            out[c] = s.to_numpy()
    return pd.DataFrame(out, index=frame.index)


def evaluate_derived(frame: pd.DataFrame, derived: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Add each ``(name, expression)`` as a column, in order (later ones may use earlier ones).

    Raises
    ------
    ProtocolError
        When an expression uses an unknown column or cannot be evaluated; the error
        names the key ``derived.<name>``.
    """
    out = frame.copy()
    for name, expr in derived:
        missing = sorted(expressions.names(expr) - set(out.columns))
        if missing:
            raise ProtocolError(f"unknown column(s) {missing}", argument=f"derived.{name}",
                                value=expr, fix="use cohort column names (see the template "
                                "dictionary and the derived columns)")
        try:
            values = np.asarray(expressions.evaluate(expr, _numeric(out)))
            logical = values.dtype == bool or _is_logical(expr, out)
        except InputError as exc:
            raise ProtocolError(f"cannot be evaluated: {exc.reason}", argument=f"derived.{name}",
                                value=expr) from None
        if values.shape != (len(out),):
            values = np.broadcast_to(values, (len(out),))
        if logical:
            if values.dtype == bool:
                out[name] = values
            else:
                arr = pd.array(np.where(np.isnan(values.astype(float)), None,
                                        values.astype(float) != 0), dtype="boolean")
                out[name] = arr
        else:
            out[name] = values
    return out
