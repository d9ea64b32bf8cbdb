"""Group comparisons of Table 1, as R computes them, on scipy.special only.

``scipy.stats`` costs about a second to import, more than the whole analysis
of a cohort; these tests need only distribution tails from ``scipy.special``
(``chdtrc``, ``stdtr``, ``fdtrc``, ``ndtr``), so they compute the statistics
here, following R:

* ``chisq_test``: Pearson's chi-square without continuity correction
  (R's ``chisq.test(x, correct = FALSE)``);
* ``fisher_2x2``: Fisher's exact test, two-sided P as R's ``fisher.test``: the
  sum of the probabilities of the tables no more likely than the observed one
  (relative tolerance 1e-7);
* ``wilcoxon``: R's ``wilcox.test(x, y)``: exact P when both samples have fewer
  than 50 values and there are no ties, otherwise the normal approximation with
  continuity and tie corrections;
* ``kruskal``: Kruskal-Wallis with the tie correction (R's ``kruskal.test``);
* ``welch_t``: Welch's t test (R's ``t.test(x, y)``);
* ``anova``: one-way analysis of variance (R's ``oneway.test(var.equal = TRUE)``).

All P values come from upper-tail functions, never ``1 - cdf``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def ranks_and_ties(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks (1-based) and the sizes of the runs of tied values, in increasing value
    (``np.unique(x, return_counts=True)``'s counts, as floats), from one sort (a registry's
    Table 1 tests: one sort of a million values, not two).

    >>> ranks_and_ties(np.array([3.0, 1.0, 3.0, 2.0]))
    (array([3.5, 1. , 3.5, 2. ]), array([1., 1., 2.]))
    """
    x = np.asarray(x, float)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    if x.size == 0:
        return np.empty(0), np.empty(0)
    new = np.concatenate([[True], xs[1:] != xs[:-1]])  # a run of ties starts here
    first = np.flatnonzero(new)  # 0-based positions i..j of each run
    last = np.concatenate([first[1:], [x.size]]) - 1
    ranks = np.empty(x.size)
    ranks[order] = ((first + last) / 2 + 1)[np.cumsum(new) - 1]
    return ranks, (last - first + 1).astype(float)


def chisq_test(table: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Pearson's chi-square (no continuity correction): statistic, P, expected counts."""
    from scipy.special import chdtrc

    t = np.asarray(table, float)
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    stat = float(((t - expected) ** 2 / expected).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    return stat, float(chdtrc(df, stat)), expected


def fisher_2x2(table: np.ndarray) -> float:
    """Two-sided P of Fisher's exact test for a 2 x 2 table (R's rule)."""
    t = np.asarray(table, dtype=np.int64)
    a, b, c, d = int(t[0, 0]), int(t[0, 1]), int(t[1, 0]), int(t[1, 1])
    r1, c1, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, r1 + c1 - n), min(r1, c1)

    def logp(x: int) -> float:  # hypergeometric log-probability of top-left cell x
        return (math.lgamma(r1 + 1) - math.lgamma(x + 1) - math.lgamma(r1 - x + 1)
                + math.lgamma(n - r1 + 1) - math.lgamma(c1 - x + 1)
                - math.lgamma(n - r1 - c1 + x + 1) - math.lgamma(n + 1)
                + math.lgamma(c1 + 1) + math.lgamma(n - c1 + 1))

    lp = np.array([logp(x) for x in range(lo, hi + 1)])
    p = np.exp(lp - lp.max())
    observed = p[a - lo]
    total = p.sum()
    return float(min(1.0, p[p <= observed * (1 + 1e-7)].sum() / total))


def _mann_whitney_counts(n1: int, n2: int) -> np.ndarray:
    """Number of arrangements giving each U = 0..n1*n2 (Gaussian binomial coefficients)."""
    # f[j] over u for samples (i, j); recurrence f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u)
    prev = [np.ones(1) for _ in range(n2 + 1)]  # i = 0: U = 0 only
    for i in range(1, n1 + 1):
        cur = [np.ones(1)]  # j = 0: U = 0 only
        for j in range(1, n2 + 1):
            size = i * j + 1
            f = np.zeros(size)
            a = prev[j]  # (i-1, j), shifted by j
            f[j:j + a.size] += a
            b = cur[j - 1]  # (i, j-1)
            f[:b.size] += b
            cur.append(f)
        prev = cur
    return prev[n2]


def wilcoxon(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """R's ``wilcox.test(x, y)``: W (the U of ``x``) and the two-sided P."""
    from scipy.special import ndtr

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n1, n2 = x.size, y.size
    r, ties = ranks_and_ties(np.concatenate([x, y]))
    w = float(r[:n1].sum() - n1 * (n1 + 1) / 2)
    if n1 < 50 and n2 < 50 and not (ties > 1).any():
        counts = _mann_whitney_counts(n1, n2)
        total = counts.sum()
        u = int(round(w))
        p_le = counts[: u + 1].sum() / total
        p_ge = counts[u:].sum() / total
        return w, float(min(1.0, 2 * min(p_le, p_ge)))
    n = n1 + n2
    z = w - n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1))))
    if sigma == 0:
        return w, 1.0
    z = (z - 0.5 * np.sign(z)) / sigma
    return w, float(2 * min(ndtr(z), ndtr(-z)))


def kruskal(samples: Sequence[np.ndarray]) -> tuple[float, float]:
    """Kruskal-Wallis H (tie-corrected) and P (chi-square, k - 1 df)."""
    from scipy.special import chdtrc

    allx = np.concatenate([np.asarray(s, float) for s in samples])
    n = allx.size
    r, ties = ranks_and_ties(allx)
    h, start = 0.0, 0
    for s in samples:
        m = len(s)
        h += r[start:start + m].sum() ** 2 / m
        start += m
    h = 12 / (n * (n + 1)) * h - 3 * (n + 1)
    h /= 1 - (ties**3 - ties).sum() / (n**3 - n)
    return float(h), float(chdtrc(len(samples) - 1, h))


def welch_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Welch's t statistic and two-sided P (Welch-Satterthwaite df)."""
    from scipy.special import stdtr

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    t = (x.mean() - y.mean()) / se
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    return float(t), float(2 * stdtr(df, -abs(t)))


def anova(samples: Sequence[np.ndarray]) -> tuple[float, float]:
    """One-way ANOVA F and P."""
    from scipy.special import fdtrc

    groups = [np.asarray(s, float) for s in samples]
    allx = np.concatenate(groups)
    k, n = len(groups), allx.size
    grand = allx.mean()
    ssb = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    f = (ssb / (k - 1)) / (ssw / (n - k))
    return float(f), float(fdtrc(k - 1, n - k, f))
