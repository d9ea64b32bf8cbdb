"""apply_levels: the categorical it builds from codes equals the one built by mapping every
row's label (the former path, kept here as the oracle), codes and categories alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.analysis._levels import _key, apply_levels


def _by_labels(s: pd.Series, table: dict[str, str]) -> pd.Categorical:
    names = {str(k).strip(): str(v) for k, v in table.items()}
    lookup = {v: names.get(_key(v), str(v)) for v in pd.unique(s.dropna())}
    mapped = s.map(lookup)
    present = set(lookup.values())
    extra = sorted(present - set(names.values()))
    categories = list(dict.fromkeys(names.values())) + extra
    return pd.Categorical(mapped, categories=[c for c in categories if c in present])


_RNG = np.random.default_rng(1)
_COLUMNS = [
    pd.Series(_RNG.choice(["M", "F", None, np.nan, " M", "X"], 300), dtype=object),
    pd.Series(_RNG.choice([1.0, 2.0, np.nan, 3.0], 300)),
    pd.Series(_RNG.choice([1, 2, 3], 300)),
    pd.Series(pd.array(_RNG.choice([1, 2, None], 300), dtype="Int64")),
    pd.Series(_RNG.choice([True, False], 300)),
    pd.Series(pd.array(_RNG.choice([True, False, None], 300), dtype="boolean")),
    pd.Series(_RNG.choice([1, "1", 2.0, "a", None, True], 300), dtype=object),
    pd.Series([None] * 5, dtype=object),
    pd.Series(pd.Categorical(_RNG.choice(["a", "b", None], 300))),
    pd.Series(_RNG.choice(["M", "F", None], 300), dtype="string"),
]
_TABLES = [{"M": "Male", "F": "Female", "1": "One", "2": "Two", "true": "Yes", "a": "A"},
           {"M": "Same", "F": "Same"}, {"1": "x", "3": "x"}, {"True": "T"}]


@pytest.mark.parametrize("column", range(len(_COLUMNS)))
@pytest.mark.parametrize("table", range(len(_TABLES)))
def test_levels_from_codes_equal_mapped_labels(column: int, table: int) -> None:
    s, tb = _COLUMNS[column], _TABLES[table]
    got = apply_levels(pd.DataFrame({"v": s}), {"v": tb})["v"].array
    expect = _by_labels(s, tb)
    assert got.dtype == expect.dtype
    assert list(got.categories) == list(expect.categories)
    np.testing.assert_array_equal(got.codes, expect.codes)
