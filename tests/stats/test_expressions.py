"""The safe expression grammar: values computed by hand, and escapes rejected."""

import numpy as np
import pandas as pd
import pytest

from sarcohort.exceptions import InputError
from sarcohort.stats.expressions import evaluate, names, validate


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n_metastases": [1, 6, np.nan, 10],
            "sex": ["M", "F", None, "M"],
            "ph.ecog": [0.0, 1.0, 2.0, 3.0],
            "my col": [1.0, 2.0, 3.0, 4.0],
            "grade": pd.Categorical(["1", "2", "3", "2"], categories=["1", "2", "3"]),
        }
    )


def test_arithmetic_and_functions(df):
    np.testing.assert_allclose(evaluate("0.02 * ph.ecog + 1", df), [1.0, 1.02, 1.04, 1.06])
    np.testing.assert_allclose(evaluate("log(`my col`)", df), np.log([1, 2, 3, 4]))
    np.testing.assert_allclose(evaluate("pmax(ph.ecog, 2) ** 2 % 5", df), [4.0, 4.0, 4.0, 4.0])


def test_comparison_keeps_missing(df):
    out = evaluate("n_metastases > 5", df)
    assert out[0] == 0 and out[1] == 1 and np.isnan(out[2]) and out[3] == 1


def test_boolean_without_missing_is_bool(df):
    out = evaluate("ph.ecog >= 2", df)
    assert out.dtype == bool and out.tolist() == [False, False, True, True]


def test_kleene_logic(df):
    # row 2: n_metastases missing; "or True" is decided, "and False" is decided
    assert evaluate("n_metastases > 5 or ph.ecog == 2", df)[2] == 1
    assert evaluate("n_metastases > 5 and ph.ecog == 0", df)[2] == 0
    assert np.isnan(evaluate("n_metastases > 5 and ph.ecog == 2", df)[2])
    assert evaluate("not (ph.ecog > 1)", df).tolist() == [True, True, False, False]


def test_in_lists_and_text(df):
    assert evaluate("grade in ['2', '3']", df).tolist() == [False, True, True, True]
    assert evaluate("ph.ecog not in [0, 3]", df).tolist() == [False, True, True, False]
    out = evaluate("sex == 'M'", df)
    assert out[0] == 1 and out[1] == 0 and np.isnan(out[2])


def test_names_and_validate():
    assert names("log(bili) + `a b` * ph.ecog") == {"bili", "a b", "ph.ecog"}
    validate("months_to_metastasis < 24")


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "().__class__.__bases__",
        "x.__class__",
        "open('/etc/passwd')",
        "x[0]",
        "lambda: 1",
        "[i for i in x]",
        "eval('1')",
        "log(x, base=2)",
        "x if y else z",
        "",
        "'unterminated",
    ],
)
def test_escapes_are_rejected(expr):
    with pytest.raises(InputError):
        evaluate(expr, {"x": [1], "y": [1], "z": [1]})


def test_unknown_column_names_it(df):
    with pytest.raises(InputError, match="unknown column 'nope'"):
        evaluate("nope > 1", df)
