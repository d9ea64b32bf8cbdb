"""Rubin's rules (``sc.pool``) against R's mice::pool on the same completed data sets.

Oracle: tests/reference/R/make_pool.R (mice 3.15.0: 5 imputations of lung by predictive mean
matching with the event indicator and Nelson-Aalen hazard in the imputation models; the
completed data sets saved in data/lung_mice.csv; pool(with(imp, coxph(...))) and summary()).
The test refits each completed set with sc.cox and pools: identical to 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from sarcohort.exceptions import InputError
from sarcohort.stats.pool import rubin

REF = Path(__file__).parents[1] / "reference"


def test_pool_equals_mice() -> None:
    ref = json.loads((REF / "pool" / "lung_coxph.json").read_text())
    long = pd.read_csv(REF / ref["data"])
    fits = [sc.cox(ref["formula"], data=g) for _, g in long.groupby(".imp")]
    assert len(fits) == ref["m"] == 5
    got = sc.pool(fits)
    assert list(got.terms) == ref["terms"]
    assert got.dfcom == ref["dfcom"][0]
    for ours, theirs in [("estimate", "estimate"), ("ubar", "ubar"), ("b", "b"), ("t", "t"), ("df", "df"),
                         ("riv", "riv"), ("lambda_", "lambda"), ("fmi", "fmi"), ("std_error", "std_error"),
                         ("statistic", "statistic"), ("p", "p_value"), ("lower", "conf_low"),
                         ("upper", "conf_high")]:
        np.testing.assert_allclose(getattr(got, ours), ref[theirs], rtol=1e-6, err_msg=ours)
    frame = got.to_frame()
    assert list(frame.index) == ref["terms"] and "fmi" in frame.columns


def test_rubin_by_hand() -> None:
    """Hand computation: q = (1, 2, 3), u = (1, 1, 1): b = 1, t = 1 + 4/3, riv = 4/3,
    lambda = 4/7, with dfcom infinite df = 2 / (4/7)^2 = 6.125."""
    r = rubin(np.array([[1.0], [2.0], [3.0]]), np.ones((3, 1)))
    assert r.estimate[0] == 2 and r.b[0] == pytest.approx(1) and r.t[0] == pytest.approx(7 / 3)
    assert r.riv[0] == pytest.approx(4 / 3) and r.lambda_[0] == pytest.approx(4 / 7)
    assert r.df[0] == pytest.approx(6.125)
    assert r.fmi[0] == pytest.approx((4 / 3 + 2 / 9.125) / (7 / 3))


def test_pool_refuses_mismatched_fits() -> None:
    ref = json.loads((REF / "pool" / "lung_coxph.json").read_text())
    long = pd.read_csv(REF / ref["data"])
    a = sc.cox("Surv(time, status) ~ age", data=long[long[".imp"] == 1])
    b = sc.cox("Surv(time, status) ~ sex", data=long[long[".imp"] == 2])
    with pytest.raises(InputError, match="same model"):
        sc.pool([a, b])
    with pytest.raises(InputError, match="at least 2"):
        sc.pool([a])
