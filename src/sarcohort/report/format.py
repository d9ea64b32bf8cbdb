"""The one formatting policy of sarcohort's tables, figures and narrative.

Every number a reader sees goes through these functions, so a P value, a hazard
ratio or a median reads the same in the HTML report, the Word tables, the
spreadsheet and the generated text.

Policy
------
* P values: ``< 0.001`` below 0.001; three decimals below 0.01; otherwise two
  decimals, except that a P value below 0.05 never rounds up to ``0.05`` (three
  or four decimals then: ``0.047``, ``0.0496``); ``> 0.99`` above 0.99.
* Ratios (hazard ratios and their limits): decimals by magnitude, 2 below 10,
  1 below 100, none above: ``0.45``, ``1.23``, ``12.3``, ``123``.
* Estimate with interval: ``1.23 (0.98-1.54)``; a limit that cannot be
  estimated prints ``NR`` (not reached).
* Times (medians, follow-up) in the report's unit: one decimal.
* Percentages: one decimal; counts with percentages: ``74 (61.7%)``.
* Summary statistics of continuous variables: decimals by magnitude of the
  central value (2 below 1, 1 below 100, none above), shared by the whole cell;
  a cell of whole numbers prints whole numbers: ``6 (3-9)``, ``30.2 (18-53)``.
* Not estimable (``None`` or NaN): ``NR`` for times and limits, an en dash
  otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "DASH",
    "ci_name",
    "NOT_REACHED",
    "is_missing",
    "fmt_p",
    "fmt_ratio",
    "fmt_hr",
    "fmt_time",
    "fmt_time_ci",
    "fmt_stat",
    "fmt_pct",
    "fmt_n_pct",
    "fmt_mean_range",
    "fmt_median_iqr",
    "fmt_survival",
    "fmt_int",
    "fmt_stat_test",
]

DASH = "\u2013"
NOT_REACHED = "NR"


def is_missing(x: float | None) -> bool:
    """True for ``None`` and non-finite numbers."""
    return x is None or not math.isfinite(float(x))


def _fixed(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # never print "-0.00"
    return text


def fmt_p(p: float | None) -> str:
    """Format a P value: ``< 0.001``, ``0.004``, ``0.049``, ``0.12``, ``> 0.99``.

    Examples
    --------
    >>> [fmt_p(x) for x in (0.0004, 0.0042, 0.047, 0.0496, 0.051, 0.37, 0.999)]
    ['< 0.001', '0.004', '0.047', '0.0496', '0.05', '0.37', '> 0.99']
    """
    if is_missing(p):
        return DASH
    p = float(p)  # type: ignore[arg-type]
    if p < 0.001:
        return "< 0.001"
    if p < 0.01:
        return _fixed(p, 3)
    if p > 0.99:
        return "> 0.99"
    two = _fixed(p, 2)
    if p < 0.05 and float(two) >= 0.05:
        # 0.0496 must not read as 0.05 (nor as 0.050): keep the digits that show p < 0.05
        three = _fixed(p, 3)
        return three if float(three) < 0.05 else _fixed(p, 4)
    return two


def _magnitude_decimals(x: float, small: int = 2) -> int:
    a = abs(x)
    if a < 10:
        return small
    if a < 100:
        return 1
    return 0


def fmt_ratio(x: float | None) -> str:
    """A ratio (HR) with decimals by magnitude; ``NR`` when not estimable."""
    if is_missing(x):
        return NOT_REACHED
    x = float(x)  # type: ignore[arg-type]
    return _fixed(x, _magnitude_decimals(x))


def ci_name(conf_level: float) -> str:
    """The name of an interval at ``conf_level``: ``95% CI``.

    Examples
    --------
    >>> ci_name(0.95), ci_name(0.9), ci_name(0.975)
    ('95% CI', '90% CI', '97.5% CI')
    """
    return f"{round(100 * conf_level, 1):g}% CI"


def fmt_hr(hr: float | None, lower: float | None, upper: float | None) -> str:
    """``1.23 (0.98-1.54)``.

    Examples
    --------
    >>> fmt_hr(1.2345, 0.981, 1.5449)
    '1.23 (0.98-1.54)'
    """
    if is_missing(hr):
        return DASH
    return f"{fmt_ratio(hr)} ({fmt_ratio(lower)}-{fmt_ratio(upper)})"


def fmt_time(x: float | None) -> str:
    """A time (median survival, follow-up) in the report's unit: one decimal."""
    if is_missing(x):
        return NOT_REACHED
    return _fixed(float(x), 1)  # type: ignore[arg-type]


def fmt_time_ci(x: float | None, lower: float | None, upper: float | None) -> str:
    """``20.5 (13.2-27.7)``; ``NR`` parts where not reached."""
    return f"{fmt_time(x)} ({fmt_time(lower)}-{fmt_time(upper)})"


def _stat_decimals(x: float) -> int:
    a = abs(x)
    return 2 if a < 1 else 1 if a < 100 else 0


def fmt_stat(x: float | None, decimals: int | None = None) -> str:
    """A descriptive statistic: 2 decimals below 1, 1 below 100, else none."""
    if is_missing(x):
        return DASH
    x = float(x)  # type: ignore[arg-type]
    return _fixed(x, _stat_decimals(x) if decimals is None else decimals)


def _triple(centre: float | None, a: float | None, b: float | None) -> str:
    """``centre (a-b)`` with the decimals of the centre; integers stay integers."""
    if is_missing(centre):
        return DASH
    values = [v for v in (centre, a, b) if not is_missing(v)]
    if all(float(v).is_integer() for v in values):  # type: ignore[arg-type]
        d = 0
    else:
        d = _stat_decimals(float(centre))  # type: ignore[arg-type]
    return f"{fmt_stat(centre, d)} ({fmt_stat(a, d)}-{fmt_stat(b, d)})"


def fmt_pct(x: float | None) -> str:
    """A percentage (given in percent) with one decimal and the sign: ``61.7%``."""
    if is_missing(x):
        return DASH
    return f"{_fixed(float(x), 1)}%"  # type: ignore[arg-type]


def fmt_int(n: int | float | None) -> str:
    """A count."""
    if is_missing(n):
        return DASH
    return str(int(round(float(n))))  # type: ignore[arg-type]


def fmt_n_pct(n: int, denominator: int) -> str:
    """``74 (61.7%)``; ``0 (0.0%)``; the percent is an en dash for an empty column."""
    if denominator <= 0:
        return f"{n} ({DASH})"
    return f"{n} ({fmt_pct(100.0 * n / denominator)})"


def fmt_mean_range(mean: float | None, minimum: float | None, maximum: float | None) -> str:
    """``30.2 (18-53)``: mean (range); the range keeps integers as integers.

    Examples
    --------
    >>> fmt_mean_range(30.24, 18.0, 53.0), fmt_mean_range(0.0, 0.0, 0.0), fmt_mean_range(22.4, 4.2, 97.0)
    ('30.2 (18-53)', '0 (0-0)', '22.4 (4.2-97.0)')
    """
    if is_missing(mean):
        return DASH
    d = _stat_decimals(float(mean))  # type: ignore[arg-type]
    ints = all(not is_missing(v) and float(v).is_integer() for v in (minimum, maximum))  # type: ignore[arg-type]
    lo = fmt_stat(minimum, 0 if ints else d)
    hi = fmt_stat(maximum, 0 if ints else d)
    centre = fmt_stat(mean, 0 if ints and float(mean).is_integer() else d)  # type: ignore[arg-type]
    return f"{centre} ({lo}-{hi})"


def fmt_median_iqr(median: float | None, q1: float | None, q3: float | None) -> str:
    """``29 (24-36)`` or ``5.5 (2.8-7.0)``: median (interquartile range), one precision.

    Examples
    --------
    >>> fmt_median_iqr(6.0, 3.0, 9.0), fmt_median_iqr(5.0, 2.75, 7.0)
    ('6 (3-9)', '5.0 (2.8-7.0)')
    """
    return _triple(median, q1, q3)


def fmt_survival(s: float | None, lower: float | None, upper: float | None) -> str:
    """Survival probability at a landmark, in percent: ``64.2% (54.9-72.1)``."""
    if is_missing(s):
        return DASH

    def pct(v: float | None) -> str:
        return DASH if is_missing(v) else _fixed(100.0 * float(v), 1)  # type: ignore[arg-type]

    if is_missing(lower) and is_missing(upper):
        return f"{pct(s)}%"
    return f"{pct(s)}% ({pct(lower)}-{pct(upper)})"


def fmt_stat_test(name: str, statistic: float | None, df: Sequence[float] | float | None = None) -> str:
    """``chi-square = 3.21, df = 1``: a test statistic for the narrative."""
    if is_missing(statistic):
        return name
    text = f"{name} = {fmt_stat(statistic)}"
    if df is not None:
        text += f", df = {df}"
    return text
