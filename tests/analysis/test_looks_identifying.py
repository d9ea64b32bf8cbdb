"""``_looks_identifying`` (the runner's refusal of identifier-like columns) equals the
definition it was written from, on columns of every kind.

Oracle: the first implementation, kept here (``dropna``, then ``nunique`` compared with
the number of values), on randomised columns: text with few or many distinct values,
whole and fractional numbers, nullable integers, booleans, categoricals and dates, with
and without missing values, around the 20-value threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.analysis._runner import _looks_identifying


def _reference(s: pd.Series) -> bool:
    values = s.dropna()
    n = len(values)
    if n < 20:
        return False
    distinct = values.nunique()
    if pd.api.types.is_bool_dtype(values) or isinstance(values.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_numeric_dtype(values):
        x = values.to_numpy(dtype=float)
        return distinct == n and bool(np.all(x == np.round(x)))
    return distinct > max(20, n // 2)


def _columns(rng: np.random.Generator, n: int) -> list[pd.Series]:
    ids = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    few = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    out = [pd.Series(ids), pd.Series(few), pd.Series(rng.choice(ids, n)),
           pd.Series(np.arange(n)), pd.Series(np.arange(n) + 0.5),
           pd.Series(rng.integers(0, 3, n)), pd.Series(rng.integers(0, 10**6, n).astype(float)),
           pd.Series(pd.array(np.arange(n), dtype="Int64")),
           pd.Series(rng.random(n) < 0.5), pd.Series(pd.Categorical(few)),
           pd.Series(pd.date_range("2000-01-01", periods=n)),
           pd.Series([f"v{i % 25}" for i in range(n)], dtype=object)]
    holes = rng.random(n) < 0.3
    for s in list(out):
        t = s.copy()
        if not pd.api.types.is_bool_dtype(t) and not isinstance(t.dtype, pd.CategoricalDtype):
            t = t.astype(object if t.dtype == object else t.dtype) if t.dtype.kind != "i" else (
                t.astype(float))
            t[holes] = None
            out.append(t)
    return out


@pytest.mark.parametrize("n", [5, 19, 20, 21, 26, 40, 41, 60, 300])
@pytest.mark.parametrize("seed", range(3))
def test_equals_the_reference(n, seed):
    rng = np.random.default_rng(seed)
    for s in _columns(rng, n):
        assert _looks_identifying(s) == _reference(s), (s.dtype, s.head().tolist())
