"""The SPSS-style symmetric median interval, checked against hand computations.

Oracle: closed-form arithmetic written out below (Kaplan-Meier by hand, Greenwood's formula,
the density estimate of Klein & Moeschberger's practical note to section 4.5):

    SE(median) = S(m) * sqrt(sum_{t_j <= m} d_j / (n_j (n_j - d_j))) / f,
    f = (S(u) - S(l)) / (l - u),
    u = last event time with S >= 0.55, l = first event time with S <= 0.45,
    CI = m -+ z_{0.975} * SE(median).

The expected values are computed from exact fractions here, not by the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np

from sarcohort.stats.km import kaplan_meier

Z975 = 1.959963984540054  # qnorm(0.975)


def test_spss_interval_uncensored_midpoint_median() -> None:
    # Deaths at 1, 2, ..., 10 among n = 10, no censoring: S(k) = 1 - k/10.
    # S(5) = 0.5 exactly and S drops at 6, so the median is the midpoint (5 + 6)/2 = 5.5.
    # Greenwood at 5: sum_{n=10..6} 1/(n (n-1)) = sum (1/(n-1) - 1/n) = 1/5 - 1/10 = 1/10,
    #   Var S(5) = 0.5^2 * 1/10 = 0.025, SE = sqrt(0.025).
    # u = last event time with S >= 0.55: S(4) = 0.6 -> u = 4;
    # l = first event time with S <= 0.45: S(6) = 0.4 -> l = 6;
    # f = (0.6 - 0.4) / (6 - 4) = 0.1;  SE(median) = sqrt(0.025) / 0.1 = 1.5811388...
    greenwood = sum(F(1, n * (n - 1)) for n in range(6, 11))
    assert greenwood == F(1, 10)
    se_median = math.sqrt(0.25 * float(greenwood)) / 0.1
    expected = (5.5 - Z975 * se_median, 5.5 + Z975 * se_median)  # (2.40102..., 8.59897...)

    curve = kaplan_meier(np.arange(1, 11), np.ones(10)).curves["All"]
    assert curve.median == 5.5
    np.testing.assert_allclose(curve.median_ci("spss"), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, (2.4010248, 8.5989752), rtol=1e-7)


def test_spss_interval_with_censoring() -> None:
    # Times 2, 3+, 4, 5, 6+, 7, 8, 9+, 10, 12 (+ = censored), n = 10.
    #   t=2:  n=10 d=1  S = 9/10                     = 0.9
    #   t=4:  n=8  d=1  S = 0.9 * 7/8                = 0.7875
    #   t=5:  n=7  d=1  S = 0.7875 * 6/7             = 0.675
    #   t=7:  n=5  d=1  S = 0.675 * 4/5              = 0.54
    #   t=8:  n=4  d=1  S = 0.54 * 3/4               = 0.405   <- first S <= 0.5: median 8
    #   t=10: n=2  d=1  S = 0.2025;  t=12: n=1 d=1 S = 0
    # Greenwood sum at 8: 1/90 + 1/56 + 1/42 + 1/20 + 1/12 = 469/2520.
    # u = 5 (S = 0.675; S(7) = 0.54 < 0.55), l = 8 (S = 0.405 <= 0.45):
    #   f = (0.675 - 0.405) / (8 - 5) = 0.09.
    # SE(median) = 0.405 * sqrt(469/2520) / 0.09 = 4.5 * 0.431406 = 1.941327; CI = 8 -+ 1.96 * SE = (4.195, 11.805).
    time = np.array([2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
    event = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    s_8 = F(9, 10) * F(7, 8) * F(6, 7) * F(4, 5) * F(3, 4)
    assert s_8 == F(405, 1000)
    greenwood = F(1, 90) + F(1, 56) + F(1, 42) + F(1, 20) + F(1, 12)
    assert greenwood == F(469, 2520)
    density = (F(675, 1000) - s_8) / (8 - 5)
    se_median = float(s_8) * math.sqrt(float(greenwood)) / float(density)
    expected = (8 - Z975 * se_median, 8 + Z975 * se_median)

    curve = kaplan_meier(time, event).curves["All"]
    assert curve.median == 8
    np.testing.assert_allclose(curve.survival[curve.n_event > 0], [0.9, 0.7875, 0.675, 0.54, 0.405, 0.2025, 0.0],
                               rtol=1e-12)
    np.testing.assert_allclose(curve.median_ci("spss"), expected, rtol=1e-12)
    np.testing.assert_allclose(se_median, 1.9413270, rtol=1e-7)


def test_spss_interval_uses_conf_level() -> None:
    # Same uncensored data at 90%: z = qnorm(0.95) = 1.6448536...; SE(median) as above.
    curve = kaplan_meier(np.arange(1, 11), np.ones(10), conf_level=0.90).curves["All"]
    se_median = math.sqrt(0.025) / 0.1
    z95 = 1.6448536269514722
    np.testing.assert_allclose(curve.median_ci("spss"), (5.5 - z95 * se_median, 5.5 + z95 * se_median),
                               rtol=1e-12)


def test_spss_interval_first_event_below_055_uses_origin() -> None:
    # Deaths at 1, 2, 3 among n = 4 with one censored at 4: S = 3/4, 1/2, 1/4.
    # No event time has S >= 0.55 other than t=1 (S = 0.75) -> u = 1; l = 3 (S = 0.25).
    # Median: S(2) = 0.5 exactly, then drops at 3 -> 2.5.  f = (0.75 - 0.25) / (3 - 1) = 0.25.
    # Greenwood at 2.5 (= at 2): 1/(4*3) + 1/(3*2) = 1/4; SE(S) = 0.5 * 0.5 = 0.25; SE(m) = 1.
    curve = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 0]).curves["All"]
    assert curve.median == 2.5
    np.testing.assert_allclose(curve.median_ci("spss"), (2.5 - Z975, 2.5 + Z975), rtol=1e-12)
    # When even the first event drops S below 0.55, u is the origin (t = 0, S = 1):
    # deaths at 1 (2 of 4 -> S = 0.5), 2 (1 of 2 -> S = 0.25), censored at 3.
    # Median = midpoint (1 + 2)/2 = 1.5; u = 0 (S = 1), l = 2 (S = 0.25): f = 0.75 / 2 = 0.375.
    # Greenwood at 1: 2 / (4 * 2) = 1/4 -> SE(S) = 0.5 * 0.5 = 0.25; SE(m) = 0.25 / 0.375 = 2/3.
    time = np.array([1, 1, 2, 3])
    curve = kaplan_meier(time, [1, 1, 1, 0]).curves["All"]
    assert curve.median == 1.5
    np.testing.assert_allclose(curve.median_ci("spss"), (1.5 - Z975 * 2 / 3, 1.5 + Z975 * 2 / 3), rtol=1e-12)


def test_spss_interval_not_reached_is_nan() -> None:
    # S never reaches 0.45 (one death among 4): no lower density point, no interval.
    curve = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]).curves["All"]
    assert np.isnan(curve.median)
    assert all(np.isnan(curve.median_ci("spss")))
