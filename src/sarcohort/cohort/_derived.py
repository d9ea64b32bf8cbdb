"""Derived covariates declared in the protocol's ``[derived]`` section.

Evaluated with :mod:`sarcohort.stats.expressions` (a small safe grammar, never Python's
``eval``). An expression whose value is a comparison or a logical combination
is stored as a boolean column (pandas ``boolean``, missing where an input is missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sarcohort.cohort._timing import TIMINGS
from sarcohort.data._schema import PATIENTS, YES_NO, is_identifier_name
from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.stats import expressions


def _is_logical(expr: str, frame: pd.DataFrame, levels: Mapping[str, Mapping[str, Any]],
                ) -> bool:
    used = [c for c in expressions.names(expr) if c in frame.columns]
    complete = frame[used].notna().all(axis=1) if used else pd.Series(True, index=frame.index)
    sample = frame.loc[complete.to_numpy(), used].head(5) if used else frame.head(1)
    if len(sample) == 0:
        return False
    return np.asarray(expressions.evaluate(expr, _numeric(sample), levels=levels)).dtype == bool


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


def code_levels(frame: pd.DataFrame, codes: Mapping[str, Mapping[str, str]] | None = None,
                ) -> dict[str, dict[str, Any]]:
    """What a text compared with each coded column may say, and the value it means.

    Template code columns accept their codes, their labels (``'Yes'`` -> ``yes``,
    ``'Male'`` -> ``M``) and the protocol's own codes (``[data.codes]``); ``timing`` its
    two values; yes/no columns and true/false columns also ``yes``/``no``,
    ``true``/``false`` and ``1``/``0``.
    """
    codes = codes or {}
    out: dict[str, dict[str, Any]] = {}
    for spec in PATIENTS.columns:
        if spec.type != "code" or spec.name not in frame.columns:
            continue
        spell = {c.casefold(): c for c in spec.codes}
        spell.update({lab.casefold(): c for lab, c in zip(spec.labels, spec.codes, strict=True)})
        if spec.codes == YES_NO:
            spell.update({"true": "yes", "false": "no", "1": "yes", "0": "no"})
        spell.update({k.casefold(): v for k, v in codes.get(spec.name, {}).items()})
        out[spec.name] = spell
    for col, user in codes.items():  # a column of the user's own, declared coded
        if col not in out and col in frame.columns and col not in PATIENTS.names:
            out[col] = {**{v.casefold(): v for v in user.values()},
                        **{k.casefold(): v for k, v in user.items()}}
    if "timing" in frame.columns:
        out["timing"] = {t: t for t in TIMINGS}
    for c in frame.columns:
        if c not in out and pd.api.types.is_bool_dtype(frame[c].dtype):
            out[c] = {"yes": True, "no": False, "true": True, "false": False, "1": True,
                      "0": False}
    return out


def _refuse_identifiers(name: str, expr: str) -> None:
    used = sorted(c for c in expressions.names(expr) if is_identifier_name(c))
    if used:
        raise ProtocolError(
            f"uses {', '.join(map(repr, used))}, an identifier of the patient (an id, a name, "
            "a birth date or free comments): no covariate may be computed from it",
            argument=f"derived.{name}", value=expr,
            fix="use age_at_metastasis for the age, and template columns or coded columns "
                "for the rest")


def evaluate_derived(frame: pd.DataFrame, derived: Sequence[tuple[str, str]],
                     codes: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """Add each ``(name, expression)`` as a column, in order (later ones may use earlier ones).

    ``codes`` is the protocol's ``[data.codes]``: a text compared with a coded column
    must be one of its codes or labels (:func:`code_levels`).

    Raises
    ------
    ProtocolError
        When an expression uses an unknown column, an identifying column (ids, names,
        the birth date, free comments), compares a coded column with a text that is
        not one of its values, or cannot be evaluated; the error names the key
        ``derived.<name>``.
    """
    out = frame.copy(deep=False)  # new columns only: the frame's own arrays are never written
    for name, expr in derived:
        _refuse_identifiers(name, expr)
        missing = sorted(expressions.names(expr) - set(out.columns))
        if missing:
            raise ProtocolError(f"unknown column(s) {missing}", argument=f"derived.{name}",
                                value=expr, fix="use cohort column names (see the template "
                                "dictionary and the derived columns)")
        levels = code_levels(out, codes)
        try:
            used = [c for c in out.columns if c in expressions.names(expr)]
            values = np.asarray(expressions.evaluate(expr, _numeric(out[used]), levels=levels))
            logical = values.dtype == bool or _is_logical(expr, out, levels)
        except InputError as exc:
            raise ProtocolError(f"cannot be evaluated: {exc.reason}", argument=f"derived.{name}",
                                value=expr, fix=exc.fix) from None
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
