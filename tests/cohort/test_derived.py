"""Derived covariates from the protocol, through the safe expression grammar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_frames
from sarcohort.cohort._derived import evaluate_derived
from sarcohort.exceptions import ProtocolError
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"


def _cohort(derived: dict[str, str]):
    cfg = parse_cohort({"derived": derived})
    return cohort_from_frames(*example_tables(), config=cfg, today=TODAY)


def test_published_covariates():
    c = _cohort({"more_than_5_metastases": "n_metastases > 5",
                 "early_metastasis": "months_to_metastasis < 24",
                 "bone": "met_bone == 'yes'"})
    p = c.patients
    assert p["more_than_5_metastases"].tolist() == [False, False, True, False, False, True]
    # months to metastasis: 2.96, 2.99, 19.6, 0, 8.9, 24.0 (730 days = 23.98 months)
    assert p["early_metastasis"].tolist() == [True, True, True, True, True, True]
    assert p["bone"].tolist() == [False, False, True, True, False, False]
    assert p["more_than_5_metastases"].dtype == bool


def test_arithmetic_and_later_expressions_use_earlier_ones():
    c = _cohort({"os_years": "os_days / 365.25", "long": "os_years >= 2 and not os_event"})
    assert c.patients["os_years"].iloc[0] == pytest.approx(365 / 365.25, rel=1e-12)
    # B3: 730 days = 1.9986 years, not >= 2
    assert c.patients["long"].tolist() == [False, True, True, False, False, True]


def test_missing_values_stay_missing():
    c = _cohort({"high_grade": "grade >= 3"})  # grade is missing for B2 (row 5)
    col = c.patients["high_grade"]
    assert str(col.dtype) == "boolean"
    assert col.isna().tolist() == [False, False, False, True, False, False]
    assert col.iloc[0] and not col.iloc[1]


def test_in_list():
    c = _cohort({"lyon_or_nice": "centre in ['Lyon', 'Nice']"})
    assert c.patients["lyon_or_nice"].tolist() == [True, True, False, False, False, True]


@pytest.mark.parametrize("expr", [
    "__import__('os').system('x')",
    "().__class__",
    "n_metastases.__class__.__bases__",
    "open('/etc/passwd')",
    "eval('1')",
    "(lambda: 1)()",
    "n_metastases[0]",
    "[x for x in n_metastases]",
])
def test_escape_attempts_are_rejected(expr):
    with pytest.raises(ProtocolError, match="derived.x"):
        parse_cohort({"derived": {"x": expr}})


def test_unknown_column_named():
    cfg = parse_cohort({"derived": {"x": "weight > 80"}})
    with pytest.raises(ProtocolError, match=r"derived\.x.*weight"):
        cohort_from_frames(*example_tables(), config=cfg, today=TODAY)


def test_reserved_name_rejected():
    with pytest.raises(ProtocolError, match="derived.os_days"):
        parse_cohort({"derived": {"os_days": "1"}})


def test_evaluate_derived_directly():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0]})
    out = evaluate_derived(frame, [("b", "a * 2"), ("c", "a > 1")])
    assert np.isnan(out["b"].iloc[1]) and out["b"].iloc[2] == 6.0
    assert out["c"].isna().tolist() == [False, True, False]
