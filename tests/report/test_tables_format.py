"""The formatting policy (sarcohort.report.format): hand-written expected strings."""

from __future__ import annotations

import math

import pytest

from sarcohort.report import format as F


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "< 0.001"),
        (0.00099, "< 0.001"),
        (0.001, "0.001"),
        (0.0042, "0.004"),
        (0.0099, "0.010"),
        (0.012, "0.01"),
        (0.047, "0.047"),
        (0.0496, "0.0496"),  # must not read as 0.05
        (0.05, "0.05"),
        (0.051, "0.05"),
        (0.37, "0.37"),
        (0.991, "> 0.99"),
        (1.0, "> 0.99"),
        (None, F.DASH),
        (math.nan, F.DASH),
    ],
)
def test_fmt_p(p, text):
    assert F.fmt_p(p) == text


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((1.2345, 0.981, 1.5449), "1.23 (0.98-1.54)"),
        ((0.45, 0.213, 0.978), "0.45 (0.21-0.98)"),
        ((12.34, 9.5, 101.2), "12.3 (9.50-101)"),  # decimals by each number's magnitude
        ((2.0, 1.0, math.inf), "2.00 (1.00-NR)"),
        ((None, None, None), F.DASH),
    ],
)
def test_fmt_hr(args, text):
    assert F.fmt_hr(*args) == text


def test_times_and_survival():
    assert F.fmt_time(20.46) == "20.5"
    assert F.fmt_time(None) == "NR"
    assert F.fmt_time_ci(5.5, 4.6, math.nan) == "5.5 (4.6-NR)"
    assert F.fmt_survival(0.46875, 0.2, 0.7) == "46.9% (20.0-70.0)"
    assert F.fmt_survival(None, None, None) == F.DASH


def test_counts_and_summaries():
    assert F.fmt_n_pct(74, 120) == "74 (61.7%)"
    assert F.fmt_n_pct(0, 0) == f"0 ({F.DASH})"
    assert F.fmt_mean_range(30.0, 18.0, 53.0) == "30 (18-53)"
    assert F.fmt_mean_range(30.24, 18.0, 53.0) == "30.2 (18-53)"
    assert F.fmt_mean_range(22.44, 4.2, 97.0) == "22.4 (4.2-97.0)"
    assert F.fmt_mean_range(0.512, 0.1, 0.93) == "0.51 (0.10-0.93)"
    assert F.fmt_median_iqr(6.0, 3.0, 9.0) == "6 (3-9)"
    assert F.fmt_median_iqr(5.0, 2.75, 7.0) == "5.0 (2.8-7.0)"
    assert F.fmt_median_iqr(None, None, None) == F.DASH
    assert F.fmt_stat(-0.0001) == "0.00"  # never "-0.00"
