"""Clopper-Pearson intervals.

Oracle: ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` (the issue's named
oracle, an independent implementation by root finding of the binomial tails) and, for
k = 0, the closed form upper = 1 - (alpha/2)^(1/n).
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from sarcohort.exceptions import InputError
from sarcohort.stats.proportions import clopper_pearson, proportion


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 13), (3, 10), (39, 120), (81, 120),
                                 (120, 120), (5, 7), (1, 200)])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_matches_scipy_binomtest(k, n, level):
    ref = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    lo, hi = clopper_pearson(k, n, level)
    assert lo == pytest.approx(ref.low, rel=1e-9, abs=1e-12)
    assert hi == pytest.approx(ref.high, rel=1e-9, abs=1e-12)


def test_zero_successes_closed_form():
    # P(X = 0) = (1 - p)^n = alpha / 2 at the upper bound
    lo, hi = clopper_pearson(0, 13)
    assert lo == 0.0
    assert hi == pytest.approx(1 - 0.025 ** (1 / 13), rel=1e-12)


def test_proportion_of_nothing_is_not_estimable():
    p = proportion(0, 0)
    assert p.estimate is None and p.lower is None and p.upper is None
    q = proportion(39, 120)
    assert q.estimate == pytest.approx(0.325) and q.lower < 0.325 < q.upper


@pytest.mark.parametrize("k,n,level", [(3, 2, 0.95), (-1, 5, 0.95), (1.5, 5, 0.95),
                                       (1, 0, 0.95), (1, 5, 1.0), (1, 5, math.nan)])
def test_bad_input_is_named(k, n, level):
    with pytest.raises(InputError):
        clopper_pearson(k, n, level)
