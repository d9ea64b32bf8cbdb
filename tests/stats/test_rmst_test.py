"""RMST contrasts between groups (survRM2's method).

Oracle: R, survival 3.5-3's restricted mean and its SE (``summary(survfit, rmean = tau)``)
with survRM2's contrast arithmetic written out in ``tests/reference/R/competing_cases.R``
for k groups: ``values/competing/rmst_*.json``; survRM2 itself (two arms) is the oracle of
``test_rmst_survrm2.py``. Tolerance 1e-6 relative.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from reference import competing as ref
from reference.oracle import assert_close
from sarcohort.exceptions import InputError
from sarcohort.stats.rmst_test import rmst_test

RTOL = 1e-6
KEYS = ("rmst", "se", "lower", "upper", "rmtl", "diff", "diff_se", "diff_lower", "diff_upper", "diff_p",
        "ratio", "ratio_lower", "ratio_upper", "ratio_p", "rmtl_ratio", "rmtl_ratio_lower",
        "rmtl_ratio_upper", "rmtl_ratio_p")


@pytest.mark.parametrize("name", ref.names("rmst"))
def test_rmst_contrasts_match_r(name: str) -> None:
    case = ref.case(name)
    formula = re.search(r"survfit\((.+), data", case["calls"]["survfit"]).group(1)
    res = case["result"]
    fit = rmst_test(formula, data=ref.dataset(case["dataset"]), tau=res["tau"])
    assert fit.groups == tuple(res["groups"])
    for key in KEYS:
        assert_close(getattr(fit, key), res[key], rtol=RTOL, what=f"{name} {key}")
    assert fit.to_frame().shape[0] == len(fit.groups)


def test_hand_worked_rmst_difference() -> None:
    """Two groups of two, worked by hand (tau = 4).

    A: deaths at 1 and 3: S = 1 on [0,1), 1/2 on [1,3), 0 after: RMST = 1 + 2 * 1/2 = 2;
       var = (area from 1 to 4)^2 * 1/(2*1) = 1^2/2 = 1/2 (the death at 3 has n = d: 0).
    B: death at 2, censored at 4: S = 1 on [0,2), 1/2 on [2,4]: RMST = 2 + 1 = 3;
       var = (area from 2 to 4)^2 * 1/(2*1) = 1/2.
    Difference 1, SE 1; ratio 3/2, SE(log ratio) = sqrt((1/2)/9 + (1/2)/4) = sqrt(13/72).
    """
    fit = rmst_test([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"], tau=4)
    np.testing.assert_allclose(fit.rmst, [2, 3], rtol=1e-14)
    np.testing.assert_allclose(fit.se, np.sqrt([0.5, 0.5]), rtol=1e-14)
    np.testing.assert_allclose(fit.diff_se, [1.0], rtol=1e-14)
    np.testing.assert_allclose(fit.ratio, [1.5], rtol=1e-14)
    z = 1.959963984540054
    np.testing.assert_allclose(fit.ratio_upper, [1.5 * np.exp(z * np.sqrt(13 / 72))], rtol=1e-12)


def test_tau_beyond_the_data_names_the_largest_usable_tau() -> None:
    # B's last observation (4) is censored: its curve is unknown after 4
    with pytest.raises(InputError, match="largest usable tau is 4"):
        rmst_test([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"], tau=4.5)
    # both end with a death: the curves are 0 after their last times; tau up to the longest (5)
    fit = rmst_test([1, 3, 2, 5], [1, 1, 1, 1], ["A", "A", "B", "B"], tau=5)
    assert fit.tau_max == 5 and fit.rmst[0] == 2
    with pytest.raises(InputError, match="largest usable tau is 5"):
        rmst_test([1, 3, 2, 5], [1, 1, 1, 1], ["A", "A", "B", "B"], tau=6)
    assert rmst_test([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"]).tau == 4  # default: largest usable


@pytest.mark.parametrize("kwargs, match", [
    ({"tau": -1}, "positive"),
    ({"tau": "x"}, "number"),
    ({"conf_level": 1.5}, "between"),
])
def test_bad_arguments(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        rmst_test([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"], **kwargs)
    with pytest.raises(InputError, match="only one group"):
        rmst_test([1, 2], [1, 0], tau=1)
