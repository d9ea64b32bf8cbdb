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


# R's logical operators, with R's precedence. Oracle: R 4.2.2 printed these vectors for
# n <- c(1, 6, 7, 8, 3); bone <- c("yes", "no", "yes", NA, "no"); sex <- c("M", "F", "M", "F", "F")
R_DATA = {"n": np.array([1.0, 6, 7, 8, 3]), "bone": np.array(["yes", "no", "yes", None, "no"],
                                                             dtype=object),
          "sex": np.array(["M", "F", "M", "F", "F"], dtype=object)}
NA = np.nan


@pytest.mark.parametrize(("expr", "r_value"), [
    ("!bone == 'yes'", [False, True, False, NA, True]),
    ("~ bone == 'yes'", [False, True, False, NA, True]),  # ~ as not: binds like not
    ("n > 5 & bone == 'yes'", [False, False, True, NA, False]),
    ("n > 5 | bone == 'yes'", [True, True, True, True, False]),
    ("n > 5 & !(sex == 'M') | n == 1", [True, True, False, True, False]),
    ("!n > 5 & sex == 'F'", [False, False, False, False, True]),
    ("n - 1 > 5 | n %% 2 == 1 & sex == 'M'", [True, False, True, True, False]),
    ("n > 5 && sex == 'F' || n == 1", [True, True, False, True, False]),
    ("n != 6", [True, False, True, True, True]),  # != is not '!' followed by '='
])
def test_r_logical_operators_follow_r_precedence(expr, r_value):
    out = np.asarray(evaluate(expr, R_DATA), dtype=float)
    np.testing.assert_array_equal(out, np.asarray(r_value, dtype=float))


LEVELS = {"sex": {"m": "M", "male": "M", "f": "F", "female": "F"},
          "bone": {"yes": "yes", "no": "no", "1": "yes", "0": "no"}}


def test_labels_of_codes_mean_their_code():
    np.testing.assert_array_equal(evaluate("sex == 'Male'", R_DATA, levels=LEVELS),
                                  [True, False, True, False, False])
    np.testing.assert_array_equal(evaluate("sex in ['female']", R_DATA, levels=LEVELS),
                                  [False, True, False, True, True])
    out = evaluate("bone == 'Yes'", R_DATA, levels=LEVELS)
    assert out[0] == 1 and out[1] == 0 and np.isnan(out[3])
    assert evaluate("bone == 1", R_DATA, levels=LEVELS)[2] == 1


@pytest.mark.parametrize(("expr", "words"), [
    ("sex == 'Homme'", "'Homme' is not a value of sex"),
    ("'oui' == bone", "use one of its codes 'yes', 'no'"),
    ("sex in ['M', 'X']", "'X' is not a value of sex"),
])
def test_a_text_that_is_not_a_code_is_an_error(expr, words):
    with pytest.raises(InputError, match=words):
        evaluate(expr, R_DATA, levels=LEVELS)


def test_a_number_column_compared_with_words_is_an_error():
    with pytest.raises(InputError, match="compares numbers .* with the text 'five'"):
        evaluate("n == 'five'", R_DATA)
    assert evaluate("n == '6'", R_DATA).tolist() == [False, True, False, False, False]


@pytest.mark.parametrize(("expr", "words"), [
    ("+".join(["n"] * 150), "nested deeper than 100"),
    ("(" * 300 + "n" + ")" * 300, "nested|syntax"),
    ("not " * 400 + "n", "nested deeper than 100"),
    ("n + [1, 2]", "a list .* may only follow 'in'"),
    ("[1, 2]", "a list .* may only follow 'in'"),
])
def test_deep_nesting_and_misplaced_lists_are_clean_errors(expr, words):
    with pytest.raises(InputError, match=words):
        evaluate(expr, R_DATA)


def test_shape_mismatch_is_a_clean_error():
    with pytest.raises(InputError, match="cannot be evaluated .*broadcast"):
        evaluate("a + b", {"a": np.arange(3.0), "b": np.arange(2.0)})
