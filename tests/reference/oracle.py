"""Access to the R survival reference cases (the oracle for every statistical number).

The files in this folder were produced by R 4.2.2 with survival 3.5-3 (see README.md and
sessionInfo.txt here, copied from the project's shared reference set). Tests load a case with
:func:`load_case`, its data with :func:`load_dataset` (factors restored in R's level order)
and compare with :func:`assert_close`, which understands R's NA/NaN/Inf conventions.
"""

from __future__ import annotations

import csv
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
VALUES = HERE / "values"
DATA = HERE / "data"

_NONFINITE = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    return obj


def case_names(kind: str) -> list[str]:
    """Names (file stems) of every reference case of one kind: ``km``, ``logrank`` or ``coxph``."""
    with open(HERE / "cases.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [Path(r["file"]).stem for r in rows if r["kind"] == kind]


@cache
def _load_case_cached(name: str) -> str:
    return (VALUES / f"{name}.json").read_text()


def load_case(name: str) -> dict[str, Any]:
    """One reference case; ``"NaN"``/``"Inf"``/``"-Inf"`` strings become floats, ``null`` stays None."""
    return _decode(json.loads(_load_case_cached(name)))


@cache
def _datasets() -> dict[str, Any]:
    return json.loads((DATA / "datasets.json").read_text())["datasets"]


def load_dataset(name: str) -> pd.DataFrame:
    """A reference dataset as R had it: factor columns become pandas Categoricals in R's level order."""
    meta = _datasets()[name]
    df = pd.read_csv(HERE / meta["file"], keep_default_na=False, na_values=[""], float_precision="round_trip")
    for col, info in meta["columns"].items():
        if info["type"] == "factor":
            df[col] = pd.Categorical(df[col].astype("string").astype(object), categories=info["levels"])
    return df


def _na_to_nan(values: Any) -> Any:
    if isinstance(values, list):
        return [_na_to_nan(v) for v in values]
    return math.nan if values is None else values


def as_array(values: Any) -> np.ndarray:
    """R values (None for NA, nested lists for matrices) as a float array, NA -> NaN."""
    return np.asarray(_na_to_nan(values), dtype=float)


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 0.0, what: str = "") -> None:
    """Compare to R's value: same shape, NaN (R's NA or NaN) where R has one, +-Inf where R has them,
    and finite values within ``rtol`` (relative) or ``atol`` (absolute)."""
    exp = as_array(expected)
    act = np.asarray(actual, dtype=float)
    assert act.shape == exp.shape, f"{what}: shape {act.shape} != R's {exp.shape}"
    nan_e, nan_a = np.isnan(exp), np.isnan(act)
    bad = np.flatnonzero((nan_e != nan_a).ravel())
    assert bad.size == 0, f"{what}: missing-value pattern differs at {bad[:10]} (R {exp.ravel()[bad[:5]]}, ours {act.ravel()[bad[:5]]})"
    inf_e = np.isinf(exp)
    assert np.array_equal(exp[inf_e], act[inf_e]), f"{what}: infinite values differ"
    fin = ~(nan_e | inf_e)
    np.testing.assert_allclose(act[fin], exp[fin], rtol=rtol, atol=atol, err_msg=what)
