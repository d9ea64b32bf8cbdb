"""The one formatting policy of sarcohort's tables, figures and narrative.

Every number a reader sees goes through these functions, so a P value, a hazard
ratio or a median reads the same in the HTML report, the Word tables, the
spreadsheet and the generated text.

Policy
------
* P values: ``< 0.001`` below 0.001; three decimals below 0.1 (``0.055``,
  ``0.012``, ``0.010``); two decimals from 0.1 (``0.31``); ``> 0.99`` above 0.99.
  Never rounded across 0.05: ``0.0496``, not ``0.050``.
* Rounding is half up on the number as written: 0.0095 -> ``0.010``.
* Ratios (hazard ratios and their limits): decimals by magnitude, 2 below 10,
  1 below 100, none above: ``0.45``, ``1.23``, ``12.3``, ``123``.
* Estimate with interval: ``1.23 (0.98-1.54)``; a limit that cannot be
  estimated prints ``NR`` (not reached). A bound that differs from its estimate
  never prints the same as it: more decimals then (``1.004 (0.999-1.009)``).
* Times (medians, follow-up) in the report's unit: one decimal (more under the
  rule above: ``0.46 (0.41-0.49)`` years).
* Percentages: one decimal; counts with percentages: ``74 (61.7%)``.
* Summary statistics of continuous variables: one number of decimals per row
  of a table, across its columns (:func:`summary_decimals`): none when every
  value is whole, else by magnitude of the overall centre (2 below 1, 1 below
  100, none above): ``6 (3-9)``, ``30.2 (18.2-53.2)``.
* Not estimable (``None`` or NaN): ``NR`` for times and limits, an en dash
  otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

DASH = "\u2013"
NOT_REACHED = "NR"


def is_missing(x: float | None) -> bool:
    """True for ``None`` and non-finite numbers."""
    return x is None or not math.isfinite(float(x))


def _fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` decimals, rounded half up on the number as written (its
    shortest decimal form): 0.0095 -> ``0.010``, 2.675 -> ``2.68``, as a reader rounds,
    not as the binary float happens to fall."""
    if abs(x) < 1e15:
        q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        text = f"{q:f}"
    else:  # beyond Decimal's default 28 digits; no half-way case is visible there anyway
        text = f"{x:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # never print "-0.00"
    return text


def fmt_p(p: float | None) -> str:
    """Format a P value: ``< 0.001``; three decimals below 0.1; two from 0.1; ``> 0.99``.

    A P value is never rounded across 0.05: below 0.05 it gets the decimals that keep
    it below (``0.0496``, ``0.04996``; ``< 0.05`` beyond five decimals), and a value
    that rounds up to 0.1 prints as ``0.10``.

    Examples
    --------
    >>> [fmt_p(x) for x in (0.0004, 0.0095, 0.0117, 0.0496, 0.0546, 0.31, 0.999)]
    ['< 0.001', '0.010', '0.012', '0.0496', '0.055', '0.31', '> 0.99']
    """
    if is_missing(p):
        return DASH
    p = float(p)  # type: ignore[arg-type]
    if p < 0.001:
        return "< 0.001"
    if p > 0.99:
        return "> 0.99"
    three = _fixed(p, 3)
    if float(three) >= 0.1:
        return _fixed(p, 2)
    for decimals in range(3, 6):
        text = _fixed(p, decimals)
        if not p < 0.05 <= float(text):
            return text
    return "< 0.05"  # 0.049999...: no digit count shows it honestly below 0.05


def _apart(values: Sequence[float | None], base: Sequence[int], *, scale: float = 1.0,
           max_extra: int = 3) -> list[int]:
    """Decimals for an estimate and its bounds (``values[0]`` is the estimate): ``base``
    plus the fewest extra decimals (at most ``max_extra``) that keep each bound that differs
    from the estimate from printing the same as the estimate."""
    est = values[0]
    for extra in range(max_extra + 1):
        decimals = [b + extra for b in base]
        if is_missing(est):
            return decimals
        e_text = _fixed(scale * float(est), decimals[0])  # type: ignore[arg-type]
        clash = any(not is_missing(v) and float(v) != float(est)  # type: ignore[arg-type]
                    and _fixed(scale * float(v), d) == e_text  # type: ignore[arg-type]
                    for v, d in zip(values[1:], decimals[1:], strict=True))
        if not clash:
            return decimals
    return [b + max_extra for b in base]


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
    """``1.23 (0.98-1.54)``: each number's decimals by its magnitude, plus the decimals
    that keep a bound from printing the same as the estimate.

    Examples
    --------
    >>> fmt_hr(1.2345, 0.981, 1.5449), fmt_hr(1.004, 0.9991, 1.0089)
    ('1.23 (0.98-1.54)', '1.004 (0.999-1.009)')
    """
    if is_missing(hr):
        return DASH
    values = (hr, lower, upper)
    base = [_magnitude_decimals(float(v)) if not is_missing(v) else 0 for v in values]  # type: ignore[arg-type]
    d = _apart(values, base)

    def one(v: float | None, decimals: int) -> str:
        return NOT_REACHED if is_missing(v) else _fixed(float(v), decimals)  # type: ignore[arg-type]

    return f"{one(hr, d[0])} ({one(lower, d[1])}-{one(upper, d[2])})"


def fmt_time(x: float | None) -> str:
    """A time (median survival, follow-up) in the report's unit: one decimal."""
    if is_missing(x):
        return NOT_REACHED
    return _fixed(float(x), 1)  # type: ignore[arg-type]


def fmt_time_ci(x: float | None, lower: float | None, upper: float | None) -> str:
    """``20.5 (13.2-27.7)``; ``NR`` parts where not reached; more decimals where a bound
    would otherwise print the same as the estimate (``0.46 (0.41-0.49)`` years).

    Examples
    --------
    >>> fmt_time_ci(20.46, 13.2, 27.71), fmt_time_ci(0.46, 0.41, 0.49)
    ('20.5 (13.2-27.7)', '0.46 (0.41-0.49)')
    """
    if is_missing(x):
        return f"{NOT_REACHED} ({fmt_time(lower)}-{fmt_time(upper)})"
    d = _apart((x, lower, upper), (1, 1, 1))

    def one(v: float | None) -> str:
        return NOT_REACHED if is_missing(v) else _fixed(float(v), d[0])  # type: ignore[arg-type]

    return f"{one(x)} ({one(lower)}-{one(upper)})"


def _stat_decimals(x: float) -> int:
    a = abs(x)
    return 2 if a < 1 else 1 if a < 100 else 0


def fmt_stat(x: float | None, decimals: int | None = None) -> str:
    """A descriptive statistic: 2 decimals below 1, 1 below 100, else none."""
    if is_missing(x):
        return DASH
    x = float(x)  # type: ignore[arg-type]
    return _fixed(x, _stat_decimals(x) if decimals is None else decimals)


def summary_decimals(values: Iterable[float | None]) -> int:
    """Decimals of one row of summary statistics across all its columns: none when every
    value is a whole number, else by the magnitude of the first (the overall centre):
    2 below 1, 1 below 100, none above. A table passes a whole row, so a variable reads
    with the same digits in every column (never ``3.0 (2.0-8.2)`` beside ``3 (2-8)``).

    Examples
    --------
    >>> summary_decimals([3.0, 2.0, 8.25, 4.5]), summary_decimals([2, 1, 3]), summary_decimals([0.62, 0.3])
    (1, 0, 2)
    """
    finite = [float(v) for v in values if not is_missing(v)]  # type: ignore[arg-type]
    if not finite or all(v.is_integer() for v in finite):
        return 0
    return _stat_decimals(finite[0])


def _triple(centre: float | None, a: float | None, b: float | None, decimals: int | None = None
            ) -> str:
    """``centre (a-b)`` with one number of decimals (by default: :func:`summary_decimals`)."""
    if is_missing(centre):
        return DASH
    d = summary_decimals((centre, a, b)) if decimals is None else decimals
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


def fmt_mean_range(mean: float | None, minimum: float | None, maximum: float | None,
                   decimals: int | None = None) -> str:
    """``30.2 (18.2-53.2)``: mean (range), one number of decimals.

    By default the decimals are the mean's (by magnitude), and whole numbers throughout
    when all three are whole; a table passes the decimals of the whole row.

    Examples
    --------
    >>> fmt_mean_range(30.24, 18.0, 53.0), fmt_mean_range(0.0, 0.0, 0.0), fmt_mean_range(22.4, 4.2, 97.0)
    ('30.2 (18.0-53.0)', '0 (0-0)', '22.4 (4.2-97.0)')
    """
    return _triple(mean, minimum, maximum, decimals)


def fmt_mean_sd(mean: float | None, sd: float | None, decimals: int | None = None) -> str:
    """``30.2 (8.1)``: mean (standard deviation), one number of decimals.

    Examples
    --------
    >>> fmt_mean_sd(30.24, 8.123), fmt_mean_sd(None, None)
    ('30.2 (8.1)', '–')
    """
    if is_missing(mean):
        return DASH
    d = summary_decimals((mean, sd)) if decimals is None else decimals
    return f"{fmt_stat(mean, d)} ({fmt_stat(sd, d)})"


def fmt_median_iqr(median: float | None, q1: float | None, q3: float | None,
                   decimals: int | None = None) -> str:
    """``29 (24-36)`` or ``5.0 (2.8-7.0)``: median (interquartile range), one precision.

    Examples
    --------
    >>> fmt_median_iqr(6.0, 3.0, 9.0), fmt_median_iqr(5.0, 2.75, 7.0), fmt_median_iqr(3.0, 2.0, 8.0, 1)
    ('6 (3-9)', '5.0 (2.8-7.0)', '3.0 (2.0-8.0)')
    """
    return _triple(median, q1, q3, decimals)


def fmt_survival(s: float | None, lower: float | None, upper: float | None) -> str:
    """Survival probability at a landmark, in percent: ``64.2% (54.9-72.1)``; more
    decimals where a bound would print the same as the estimate.

    Examples
    --------
    >>> fmt_survival(0.642, 0.5491, 0.7212), fmt_survival(0.9921, 0.9917, 0.9960)
    ('64.2% (54.9-72.1)', '99.21% (99.17-99.60)')
    """
    if is_missing(s):
        return DASH
    d = _apart((s, lower, upper), (1, 1, 1), scale=100.0)[0]

    def pct(v: float | None) -> str:
        return DASH if is_missing(v) else _fixed(100.0 * float(v), d)  # type: ignore[arg-type]

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
