"""Group tests of Table 1 against closed forms and against R's formulas as scipy.stats
implements them (an independent implementation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sarcohort.analysis import _group_tests as gt


def test_fisher_2x2_closed_form_and_r():
    # [[3, 0], [0, 3]]: P = 2 / C(6, 3); R: fisher.test(matrix(c(3,0,0,3),2))$p.value = 0.1
    assert gt.fisher_2x2(np.array([[3, 0], [0, 3]])) == pytest.approx(0.1, rel=1e-12)
    # other tables: the same rule as scipy's independent implementation
    t = np.array([[8, 1], [2, 5]])
    assert gt.fisher_2x2(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-10)
    for t in ([[1, 9], [11, 3]], [[0, 5], [5, 0]], [[10, 10], [10, 10]], [[2, 7], [8, 2]]):
        t = np.array(t)
        assert gt.fisher_2x2(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)


def test_chisq_matches_formula():
    t = np.array([[12.0, 5.0, 9.0], [7.0, 11.0, 6.0]])
    stat, p, _ = gt.chisq_test(t)
    ref = stats.chi2_contingency(t, correction=False)
    assert stat == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)


def test_wilcoxon_exact_closed_form():
    # complete separation of 4 and 7 values: two-sided P = 2 / C(11, 4); W = 0
    w, p = gt.wilcoxon(np.arange(4.0), np.arange(10.0, 17.0))
    assert w == 0 and p == pytest.approx(2 / math.comb(11, 4), rel=1e-12)
    # no ties, both n < 50: R's exact distribution, as scipy's exact method computes it
    x, y = np.array([1.1, 2.2, 3.3, 4.4]), np.array([0.5, 2.5, 3.5, 5.5, 6.5])
    w, p = gt.wilcoxon(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    assert w == ref.statistic and p == pytest.approx(ref.pvalue, rel=1e-12)
    # R uses the exact test up to 49 per group (scipy's "auto" would not, beyond 8)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=30), rng.normal(0.5, size=40)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    assert gt.wilcoxon(x, y)[1] == pytest.approx(ref.pvalue, rel=1e-9)


def test_wilcoxon_ties_normal_approximation():
    # ties: R uses the normal approximation with tie and continuity corrections
    x = np.array([1, 2, 2, 3, 3, 3, 4, 8], float)
    y = np.array([2, 3, 4, 4, 5, 6, 6, 7, 9], float)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
                             use_continuity=True)
    w, p = gt.wilcoxon(x, y)
    assert w == ref.statistic and p == pytest.approx(ref.pvalue, rel=1e-10)


def test_kruskal_welch_anova():
    rng = np.random.default_rng(5)
    a, b, c = rng.normal(size=12).round(1), rng.normal(1, size=9).round(1), rng.normal(size=7)
    h, p = gt.kruskal([a, b, c])
    ref = stats.kruskal(a, b, c)
    assert h == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)
    t, p = gt.welch_t(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert t == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)
    f, p = gt.anova([a, b, c])
    ref = stats.f_oneway(a, b, c)
    assert f == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)


def test_midranks():
    assert gt.ranks_and_ties(np.array([3.0, 1.0, 3.0, 2.0]))[0].tolist() == [3.5, 1.0, 3.5, 2.0]


def test_midranks_of_many_ties_match_scipy():
    """Vectorised mid-ranks against scipy.stats.rankdata(method='average') (outside oracle),
    with long runs of ties, a single value and no value."""
    from scipy import stats

    rng = np.random.default_rng(1)
    x = rng.integers(0, 50, 5000).astype(float)
    np.testing.assert_array_equal(gt.ranks_and_ties(x)[0], stats.rankdata(x, method="average"))
    assert gt.ranks_and_ties(np.array([7.0]))[0].tolist() == [1.0]
    assert gt.ranks_and_ties(np.array([]))[0].size == 0


def test_tie_sizes_of_the_ranking_sort_equal_unique_counts():
    """Oracle: np.unique(x, return_counts=True)'s counts (the tie correction's sizes), and
    scipy's average ranks, from the one sort that gives both."""
    from scipy import stats

    x = np.random.default_rng(4).integers(0, 40, 3000).astype(float)
    ranks, ties = gt.ranks_and_ties(x)
    np.testing.assert_array_equal(ties, np.unique(x, return_counts=True)[1].astype(float))
    np.testing.assert_array_equal(ranks, stats.rankdata(x, method="average"))
