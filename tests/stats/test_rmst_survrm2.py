"""RMST contrasts against survRM2 itself (``rmst2``), the package whose method the issue names.

Oracle: R 4.2.2, survival 3.5-3, survRM2 1.0-4, run by ``tests/reference/R/survrm2_cases.R``
(``values/competing/survrm2_*.json``; each case carries its data and the literal call). Arm 0
is the reference, sarcohort's first group. Tolerance 1e-6 relative. The default-tau cases check
survRM2's rule for the largest usable tau (its four cases): ``tau=None`` picks rmst2's default,
and a tau 0.1% beyond it is refused by both.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import competing as ref
from reference.oracle import assert_close
from sarcohort.exceptions import InputError
from sarcohort.stats.rmst_test import rmst_test

RTOL = 1e-6
KEYS = ("rmst", "se", "lower", "upper", "rmtl", "diff", "diff_lower", "diff_upper", "diff_p",
        "ratio", "ratio_lower", "ratio_upper", "ratio_p", "rmtl_ratio", "rmtl_ratio_lower",
        "rmtl_ratio_upper", "rmtl_ratio_p")
CASES = ref.names("survrm2")


def test_the_cases_are_there() -> None:
    assert len(CASES) == 8


@pytest.mark.parametrize("name", CASES)
def test_rmst2_matches_survrm2(name: str) -> None:
    case = ref.case(name)
    data, res = case["data"], case["result"]
    default = "tau = NULL" in case["calls"]["rmst2"]
    fit = rmst_test(np.asarray(data["time"], float), np.asarray(data["status"]),
                    np.asarray(data["arm"]), tau=None if default else res["tau"],
                    conf_level=res["conf_level"])
    assert fit.groups == ("0", "1")
    np.testing.assert_allclose(fit.tau, res["tau"], rtol=1e-15)
    for key in KEYS:
        assert_close(getattr(fit, key), res[key], rtol=RTOL, what=f"{name} {key}")
    if default:
        assert fit.tau_max == res["tau"] and res["refused_beyond"]
        with pytest.raises(InputError, match="largest usable tau"):
            rmst_test(np.asarray(data["time"], float), np.asarray(data["status"]),
                      np.asarray(data["arm"]), tau=res["tau"] * 1.001)
