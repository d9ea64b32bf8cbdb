"""Level labels by a take from the distinct labels: the same Series as a map of every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.analysis._table1 import (
    _coded_levels,
    _codes,
    as_binary,
    categorical_levels,
    level_labels,
)


def _mapped(s: pd.Series) -> pd.Series:
    """The former labels: each row mapped through a dict, missing as None."""
    b = as_binary(s)
    if b is not None:
        out = b.map({1.0: "Yes", 0.0: "No"})
    else:
        out = s.astype(object).map({c: str(c) for c in s.cat.categories})
    return out.where(out.notna(), None).astype(object)


CASES = {
    "bool": pd.Series([True, False, True], name="b", index=[5, 3, 9]),
    "01 with missing": pd.Series([1.0, np.nan, 0.0, 1.0], name="x"),
    "yes/no text": pd.Series(["yes", None, "No", "YES"], name="t", index=list("abcd")),
    "yes/no categorical": pd.Series(pd.Categorical(["yes", "no", None], categories=["yes", "no"])),
    "categorical": pd.Series(pd.Categorical(["b", None, "a", "c"], categories=["c", "a", "b"]),
                             name="g"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_take_labels_equal_mapped_labels(name: str) -> None:
    s = CASES[name]
    lab, _order = level_labels(s)
    pd.testing.assert_series_equal(lab, _mapped(s))
    assert [v is None for v in lab] == [v is None for v in _mapped(s)]
    shown = categorical_levels(s)
    assert shown is not None
    # the same labels, as a categorical whose categories are the levels in order
    assert list(shown[0].categories) == shown[1] == _order
    assert [None if pd.isna(v) else v for v in shown[0]] == list(lab)


def test_continuous_has_no_levels() -> None:
    assert categorical_levels(pd.Series([1.5, 2.0, 3.0])) is None


@pytest.mark.parametrize("name", list(CASES))
def test_codes_from_values_equal_codes_of_labels(name: str) -> None:
    s = CASES[name]
    coded = _coded_levels(s, as_binary(s))
    assert coded is not None
    lab, order = level_labels(s)
    assert coded[1] == order
    np.testing.assert_array_equal(coded[0], _codes(lab, order))
    assert coded[0].dtype == _codes(lab, order).dtype


def test_yes_no_text_as_floats_from_one_factorisation() -> None:
    """Oracle: the values by hand (yes/y/true -> 1, no -> 0, any case and spaces; missing
    stays NaN; the index and name kept); text that is not yes/no is not binary."""
    s = pd.Series(["yes", None, "No", "YES", np.nan, " y ", True], index=list("abcdefg"), name="t",
                  dtype=object)
    got = as_binary(s)
    assert got is not None and got.name == "t" and list(got.index) == list("abcdefg")
    np.testing.assert_array_equal(got.to_numpy(), [1.0, np.nan, 0.0, 1.0, np.nan, 1.0, 1.0])
    assert as_binary(pd.Series(["M", "F", None], dtype=object)) is None
    assert as_binary(pd.Series([None, np.nan], dtype=object)) is None
