"""Exact (Clopper-Pearson) confidence interval of a binomial proportion.

The interval inverts two one-sided binomial tests through the beta quantiles
(Clopper & Pearson 1934)::

    lower = B^-1(alpha/2; k, n - k + 1)        (0 when k = 0)
    upper = B^-1(1 - alpha/2; k + 1, n - k)    (1 when k = n)

the same interval as R's ``binom.test`` and ``scipy.stats.binomtest(...).proportion_ci()``.

Examples
--------
>>> lo, hi = clopper_pearson(3, 10)
>>> round(lo, 4), round(hi, 4)
(0.0667, 0.6525)

Exports :func:`proportion`, :func:`clopper_pearson` and :class:`Proportion`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.special import betaincinv

from sarcohort.exceptions import InputError

__all__ = ["proportion", "clopper_pearson", "Proportion"]


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` with its exact confidence interval (``None`` when ``n`` is 0)."""

    k: int
    n: int
    estimate: float | None
    lower: float | None
    upper: float | None
    conf_level: float = 0.95


def clopper_pearson(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """The exact two-sided CI of ``k`` successes in ``n`` trials."""
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise InputError("k and n must be whole numbers", argument="k, n", value=f"{k}, {n}")
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise InputError("need 0 <= k <= n and n >= 1", argument="k, n", value=f"{k}, {n}")
    if not 0 < conf_level < 1:
        raise InputError("must be between 0 and 1", argument="conf_level", value=conf_level)
    alpha = 1.0 - conf_level
    lower = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    upper = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
    return lower, upper


def proportion(k: int, n: int, conf_level: float = 0.95) -> Proportion:
    """``k / n`` with its Clopper-Pearson interval (all ``None`` when ``n`` is 0)."""
    if n == 0:
        return Proportion(int(k), 0, None, None, None, conf_level)
    lo, hi = clopper_pearson(k, n, conf_level)
    return Proportion(int(k), int(n), k / n, lo, hi, conf_level)
