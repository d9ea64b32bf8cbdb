"""Expected events of new rows, ``predict(fit, newdata, kind="expected", se_fit=True)``.

Oracle: R's ``predict(coxph(...), newdata, type = "expected", se.fit = TRUE)`` (survival 3.5-3),
stored by ``tests/reference/R/predict_expected.R`` in ``values/predict_expected.json``:
right-censored fits (Efron, Breslow, stratified) on lung and a counting-process fit on jasa1.
For counting-process rows R's SE is not compared: survival 3.5-3's new-data branch reads the
variance at the entry time for both ends (documented in ``predict``); ours is the delta-method
SE of the increment, checked against the right-censored formula (R's, above) at entry 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from reference.oracle import assert_close, load_dataset
from sarcohort.exceptions import InputError

REF = json.loads((Path(__file__).parents[1] / "reference" / "values" / "predict_expected.json").read_text())
RTOL = 1e-6


def _fit_from_call(call: str, data: pd.DataFrame) -> sc.stats.cox_result.CoxResult:
    m = re.fullmatch(r"coxph\((?P<formula>.+?), data = \w+(?:, ties = '(?P<ties>\w+)')?\)", call)
    assert m, call
    return sc.cox(m.group("formula"), data=data, ties=m.group("ties") or "efron")


@pytest.mark.parametrize("name", sorted(REF["cases"]))
def test_expected_of_new_rows_matches_r(name: str) -> None:
    case = REF["cases"][name]
    fit = _fit_from_call(case["call"], load_dataset(case["dataset"]))
    assert_close(fit.coef, case["coef"], rtol=RTOL, what="coef")
    pred = fit.predict(pd.DataFrame(case["newdata"]), kind="expected", se_fit=True)
    assert_close(pred.fit, case["fit"], rtol=RTOL, atol=1e-12, what=f"{name} expected")
    assert pred.se is not None
    if "start" not in case["newdata"]:
        assert_close(pred.se, case["se"], rtol=RTOL, atol=1e-12, what=f"{name} se")


def test_counting_process_row_from_zero_is_the_right_censored_prediction() -> None:
    """A counting-process fit on one (0, t] row per subject is the right-censored fit; a new row
    with entry 0 then has R's right-censored expected value and SE (checked above against R)."""
    data = load_dataset("lung").dropna(subset=["ph.ecog"]).assign(start=0.0)
    case = REF["cases"]["lung_efron"]
    fit = sc.cox("Surv(start, time, status) ~ age + sex + ph.ecog", data=data)
    pred = fit.predict(pd.DataFrame(case["newdata"]).assign(start=0.0), kind="expected", se_fit=True)
    assert_close(pred.fit, case["fit"], rtol=RTOL, what="expected")
    assert_close(pred.se, case["se"], rtol=RTOL, what="se")


def test_array_fit_takes_times_as_arguments() -> None:
    case = REF["cases"]["lung_breslow"]
    data = load_dataset("lung").dropna(subset=["ph.ecog"])
    fit = sc.cox(data["time"].to_numpy(float), data["status"].to_numpy() == 2,
                 data[["age", "sex", "ph.ecog"]].to_numpy(float), ties="breslow")
    new = pd.DataFrame(case["newdata"])
    pred = fit.predict(new[["age", "sex", "ph.ecog"]].to_numpy(float), kind="expected", time=new["time"],
                       se_fit=True)
    assert_close(pred.fit, case["fit"], rtol=RTOL, what="expected")
    assert_close(pred.se, case["se"], rtol=RTOL, what="se")


def test_expected_of_new_rows_needs_their_times() -> None:
    data = load_dataset("lung")
    fit = sc.cox("Surv(time, status) ~ age", data=data)
    with pytest.raises(InputError, match="follow-up"):
        fit.predict(pd.DataFrame({"age": [60]}), kind="expected")
    arrays = sc.cox(np.array([1.0, 2, 3, 4]), np.array([1, 1, 0, 1]), np.array([[0.0], [1], [1], [0]]))
    with pytest.raises(InputError, match="follow-up"):
        arrays.predict(np.array([[1.0]]), kind="expected")
    with pytest.raises(InputError, match="finite"):
        arrays.predict(np.array([[1.0]]), kind="expected", time=[np.nan])
