"""Log-rank test with case weights.

Oracles:
- R's ``survdiff`` (survival 3.5-3) on lung_extra with every row repeated ``iw`` times
  (``tests/reference/R/logrank_weights.R`` -> ``values/logrank_weights.json``): whole-number
  case weights are frequencies, and survdiff takes no weights;
- a hand computation for non-integer weights (two groups, three rows, worked below).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reference.oracle import assert_close, load_dataset
from sarcohort.exceptions import InputError
from sarcohort.stats.logrank import logrank

REF = json.loads((Path(__file__).parents[1] / "reference" / "values" / "logrank_weights.json").read_text())
RTOL = 1e-6


@pytest.mark.parametrize("name", sorted(REF["cases"]))
def test_whole_number_weights_match_survdiff_on_repeated_rows(name: str) -> None:
    ref = REF["cases"][name]
    data = load_dataset("lung_extra")
    lr = logrank(ref["formula"], data=data, rho=ref["rho"], weights=data["iw"])
    for what in ("observed", "expected", "var", "chisq", "p"):
        assert_close(getattr(lr, what), ref[what], rtol=RTOL, what=f"{name} {what}")
    assert lr.df == ref["df"]
    if "observed_by_strata" in ref:
        assert_close(lr.observed_by_strata, ref["observed_by_strata"], rtol=RTOL, what="observed_by_strata")
        assert_close(lr.expected_by_strata, ref["expected_by_strata"], rtol=RTOL, what="expected_by_strata")
    used = ["time", "status"] + [c for c in ("sex", "ph.ecog") if c in ref["formula"]]
    assert lr.n.sum() == len(data.dropna(subset=used))  # n counts rows, not weights


def test_unit_weights_change_nothing() -> None:
    data = load_dataset("lung")
    plain = logrank("Surv(time, status) ~ sex", data=data)
    weighted = logrank("Surv(time, status) ~ sex", data=data, weights=np.ones(len(data)))
    assert_close(weighted.chisq, plain.chisq, rtol=1e-14)
    assert_close(weighted.var, plain.var, rtol=1e-14)
    assert np.array_equal(weighted.n, plain.n)


def test_non_integer_weights_by_hand() -> None:
    """Rows (time, event, group, weight): (1, 1, a, 0.5), (2, 1, b, 2.5), (3, 0, a, 1.5).

    t = 1: n = 0.5 + 2.5 + 1.5 = 4.5 at risk (a: 2, b: 2.5), d = 0.5 (group a).
      E_a = 0.5 * 2 / 4.5 = 2/9; V_aa = d (n - d) / (n (n - 1)) * n_a (1 - n_a / n)
          = 0.5 * 4 / (4.5 * 3.5) * 2 * (2.5 / 4.5) = 2 * 2.5 * 2 / (4.5**2 * 3.5).
    t = 2: n = 4 (a: 1.5, b: 2.5), d = 2.5 (group b).
      E_a = 2.5 * 1.5 / 4; V_aa = 2.5 * 1.5 / (4 * 3) * 1.5 * (2.5 / 4).
    O_a = 0.5, O_b = 2.5; chisq = (O_a - E_a)^2 / V_aa.
    """
    lr = logrank(np.array([1.0, 2.0, 3.0]), np.array([1, 1, 0]), np.array(["a", "b", "a"]),
                 weights=np.array([0.5, 2.5, 1.5]))
    e_a = 0.5 * 2 / 4.5 + 2.5 * 1.5 / 4
    v_aa = 0.5 * 4 / (4.5 * 3.5) * 2 * (2.5 / 4.5) + 2.5 * 1.5 / (4 * 3) * 1.5 * (2.5 / 4)
    assert_close(lr.expected, [e_a, 3.0 - e_a], rtol=1e-12)
    assert_close(lr.observed, [0.5, 2.5], rtol=1e-12)
    assert_close(lr.var, [[v_aa, -v_aa], [-v_aa, v_aa]], rtol=1e-12)
    assert_close(lr.chisq, (0.5 - e_a) ** 2 / v_aa, rtol=1e-12)
    assert list(lr.n) == [2, 1]


@pytest.mark.parametrize("bad", [[1.0, -1.0, 1.0], [1.0, np.nan, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0]])
def test_bad_weights_are_refused(bad: list[float]) -> None:
    with pytest.raises(InputError, match="weight"):
        logrank(np.array([1.0, 2.0, 3.0]), np.array([1, 1, 0]), np.array(["a", "b", "a"]), weights=bad)
