"""One input validator for the array entry points: the same bad array gets the same answer
(error class and message) from kaplan_meier, logrank and cox; nothing is dropped silently.
The formula interface is the explicit missing-data path (R's na.omit, counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.exceptions import InputError
from sarcohort.stats.cox import cox
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.logrank import logrank

T = np.array([5.0, 3.0, 8.0, 2.0, 9.0, 4.0, 7.0, 6.0])
E = np.array([1, 0, 1, 1, 0, 1, 1, 0])
G = np.array([0, 1, 0, 1, 0, 1, 0, 1])
X = np.array([[0.5], [1.0], [2.0], [0.1], [1.5], [0.7], [1.2], [0.3]])


def _with(a: np.ndarray, i: int, v: object) -> np.ndarray:
    out = a.astype(float if isinstance(v, float) else a.dtype)
    out[i] = v
    return out


BAD = {
    "NaN time": (_with(T, 2, np.nan), E),
    "infinite time": (_with(T, 3, np.inf), E),
    "negative time": (_with(T, 1, -1.0), E),
    "NaN event": (T, _with(E, 4, np.nan)),
    "event code 3": (T, _with(E, 0, 3)),
    "short event": (T, E[:-1]),
    "text times": (np.array(["a"] * 8), E),
    "2-d times": (T.reshape(2, 4), E),
    "empty": (np.array([]), np.array([])),
}


def _answer(f, *args):
    with pytest.raises(Exception) as info:
        f(*args)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", list(BAD))
def test_same_bad_outcome_same_answer(case):
    t, e = BAD[case]
    km = _answer(kaplan_meier, t, e)
    lr = _answer(logrank, t, e, G)
    cx = _answer(cox, t, e, X)
    assert km[0] is InputError
    assert km == lr == cx, (km, lr, cx)


def test_nan_time_message_names_the_row():
    t, e = BAD["NaN time"]
    assert _answer(cox, t, e, X)[1].startswith("time: times must be finite; position 2 is nan")


def test_missing_group_strata_and_covariate_are_refused_alike():
    g = _with(G, 5, np.nan)
    km = _answer(kaplan_meier, T, E, g)[1]
    lr = _answer(logrank, T, E, g)[1]
    st = _answer(lambda: cox(T, E, X, strata=g))[1]
    assert km == lr == "group: missing value at position 5; drop those rows first, or use the " \
        "formula interface (na.omit)"
    assert st == km.replace("group:", "strata:")
    x = _with(X, 5, np.nan)
    assert _answer(cox, T, E, x)[1].startswith("X: missing value at row 5, column x1; drop")
    assert _answer(lambda: cox(T, E, X, weights=_with(np.ones(8), 1, np.nan)))[1].startswith(
        "weights: missing value at position 1")
    assert _answer(lambda: cox(T, E, X, offset=_with(np.zeros(8), 1, np.inf)))[1].startswith(
        "offset: values must be finite; position 1 is inf")


def test_the_formula_path_drops_and_counts_missing_rows_in_all_three():
    df = pd.DataFrame({"t": _with(T, 2, np.nan), "e": E, "g": G, "x": X[:, 0]})
    assert kaplan_meier("Surv(t, e) ~ g", data=df).n_missing == 1
    assert logrank("Surv(t, e) ~ g", data=df).n_missing == 1
    assert cox("Surv(t, e) ~ x", data=df).n_missing == 1
