"""The formatting policy (sarcohort.report._format): hand-written expected strings."""

from __future__ import annotations

import math

import pytest

from sarcohort.report import _format as F


@pytest.mark.parametrize(
    ("p", "text"),
    [
        # the values of issue 12, hand-rounded: three decimals below 0.1, two from 0.1
        (0.0546, "0.055"),
        (0.0095, "0.010"),  # half up on the number as written (the float is 0.00949999...)
        (0.0117, "0.012"),
        (0.31, "0.31"),
        (0.0004, "< 0.001"),
        (0.0, "< 0.001"),
        (0.00099, "< 0.001"),
        (0.001, "0.001"),
        (0.0042, "0.004"),
        (0.047, "0.047"),
        # never rounded across 0.05
        (0.0496, "0.0496"),
        (0.04996, "0.04996"),
        (0.0499999, "< 0.05"),
        (0.05, "0.050"),
        (0.0504, "0.050"),
        (0.051, "0.051"),
        (0.0996, "0.10"),  # rounds to 0.1: printed with two decimals like every P from 0.1
        (0.1, "0.10"),
        (0.37, "0.37"),
        (0.985, "0.99"),
        (0.991, "> 0.99"),
        (1.0, "> 0.99"),
        (None, F.DASH),
        (math.nan, F.DASH),
    ],
)
def test_fmt_p(p, text):
    assert F.fmt_p(p) == text


@pytest.mark.parametrize("p", [0.04, 0.049, 0.0495, 0.04951, 0.04999, 0.049999999, 0.0499])
def test_fmt_p_below_005_never_prints_at_or_above_005(p):
    text = F.fmt_p(p)
    assert text == "< 0.05" or float(text) < 0.05


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((1.2345, 0.981, 1.5449), "1.23 (0.98-1.54)"),
        ((0.45, 0.213, 0.978), "0.45 (0.21-0.98)"),
        ((12.34, 9.5, 101.2), "12.3 (9.50-101)"),  # decimals by each number's magnitude
        ((2.0, 1.0, math.inf), "2.00 (1.00-NR)"),
        ((None, None, None), F.DASH),
        # a bound never prints as its estimate by rounding: one more decimal for all three
        ((1.004, 0.9991, 1.0089), "1.004 (0.999-1.009)"),
        ((12.34, 12.31, 15.0), "12.34 (12.31-15.00)"),
        ((1.0, 1.0, 1.2), "1.00 (1.00-1.20)"),  # truly equal: no extra decimals
    ],
)
def test_fmt_hr(args, text):
    assert F.fmt_hr(*args) == text


def test_times_and_survival():
    assert F.fmt_time(20.46) == "20.5"
    assert F.fmt_time(None) == "NR"
    assert F.fmt_time_ci(5.5, 4.6, math.nan) == "5.5 (4.6-NR)"
    assert F.fmt_time_ci(None, 4.6, None) == "NR (4.6-NR)"
    # the "0.5 (0.4-0.5)" in years: the upper bound 0.49 is not the estimate 0.46
    assert F.fmt_time_ci(0.46, 0.41, 0.49) == "0.46 (0.41-0.49)"
    assert F.fmt_time_ci(0.5, 0.4, 0.5) == "0.5 (0.4-0.5)"  # a bound that IS the estimate
    assert F.fmt_survival(0.46875, 0.2, 0.7) == "46.9% (20.0-70.0)"
    assert F.fmt_survival(0.9921, 0.9917, 0.9960) == "99.21% (99.17-99.60)"
    assert F.fmt_survival(None, None, None) == F.DASH


def test_rounding_is_half_up_on_the_written_number():
    assert F.fmt_stat(2.675, 2) == "2.68"  # the float is 2.67499999...
    assert F.fmt_stat(0.125, 2) == "0.13"
    assert F.fmt_stat(-0.0001) == "0.00"  # never "-0.00"
    assert F.fmt_stat(1e30, 0) == "1000000000000000019884624838656"  # no Decimal overflow


def test_counts_and_summaries():
    assert F.fmt_n_pct(74, 120) == "74 (61.7%)"
    assert F.fmt_n_pct(0, 0) == f"0 ({F.DASH})"
    assert F.fmt_mean_range(30.0, 18.0, 53.0) == "30 (18-53)"
    assert F.fmt_mean_range(30.24, 18.0, 53.0) == "30.2 (18.0-53.0)"
    assert F.fmt_mean_range(22.44, 4.2, 97.0) == "22.4 (4.2-97.0)"
    assert F.fmt_mean_range(0.512, 0.1, 0.93) == "0.51 (0.10-0.93)"
    assert F.fmt_median_iqr(6.0, 3.0, 9.0) == "6 (3-9)"
    assert F.fmt_median_iqr(5.0, 2.75, 7.0) == "5.0 (2.8-7.0)"
    assert F.fmt_median_iqr(None, None, None) == F.DASH
    assert F.fmt_mean_sd(30.24, 8.123) == "30.2 (8.1)"
    assert F.fmt_stat(-0.0001) == "0.00"  # never "-0.00"


def test_one_row_one_precision():
    # the "3.0 (2.0-8.2) | 3 (2-8)": a row's decimals come from all its columns
    row = [(3.0, 2.0, 8.25), (4.5, 2.0, 10.0), (3.0, 2.0, 8.0)]
    d = F.summary_decimals([x for cell in row for x in cell])
    assert [F.fmt_median_iqr(*cell, d) for cell in row] == [
        "3.0 (2.0-8.2)" if F.fmt_stat(8.25, 1) == "8.2" else "3.0 (2.0-8.3)",
        "4.5 (2.0-10.0)", "3.0 (2.0-8.0)"]
    assert F.summary_decimals([2.0, 1.0, 3.0, None]) == 0
    assert F.summary_decimals([0.62, 0.33, 0.97]) == 2
    assert F.summary_decimals([]) == 0
