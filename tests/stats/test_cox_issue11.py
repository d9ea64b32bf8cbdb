"""Cox engine checks added with issue 11 that are not R reference cases: the compiled kernels
against the plain Python/numpy computations they replace (and a brute-force pair count as the
oracle for weighted concordance), R's refusals for exact fits, and the ``timefix`` switch.
The R-derived numbers are in test_cox_reference.py (cases cox_lung_neartie_*, *_weights_*,
*_factor_strata_*, *_keyword_names_*, *_exact)."""

from __future__ import annotations

import numpy as np
import pytest

from sarcohort.exceptions import InputError
from sarcohort.stats import _cox_kernel as K
from sarcohort.stats._cox_exact import exact_terms, exact_terms_python
from sarcohort.stats.concordance import _stratum_counts, concordance
from sarcohort.stats.cox import cox


def _tied_data(n: int, seed: int, entry: bool = False):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    t = np.ceil(rng.exponential(6, n))
    e = rng.random(n) < 0.7
    en = np.maximum(t - np.ceil(rng.exponential(4, n)), -1.0) if entry else None
    s = rng.integers(0, 2, n)
    return t, e, X, en, s


@pytest.mark.parametrize("entry", [False, True])
def test_exact_kernel_equals_python_loop(entry: bool) -> None:
    """Oracle: the plain recursion over risk-set members (exact_terms_python)."""
    t, e, X, en, s = _tied_data(120, 1, entry)
    cs = K.setup(t, e, X, entry=en, strata=s, ties="breslow")
    beta = np.array([0.4, -0.7])
    a, b = exact_terms(cs, beta), exact_terms_python(cs, beta)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-10)


def test_exact_two_deaths_closed_form() -> None:
    """Hand computation: 2 deaths among 3 at risk, one covariate; the exact term is
    exp(x1 + x2) b / (sum over pairs of exp((xi + xj) b))."""
    t = np.array([1.0, 1.0, 2.0])
    e = np.array([True, True, False])
    x = np.array([0.0, 1.0, 3.0])
    cs = K.setup(t, e, x[:, None], ties="breslow")
    b = 0.3
    xc = x - cs.means[0]
    pairs = [(0, 1), (0, 2), (1, 2)]
    denom = sum(np.exp((xc[i] + xc[j]) * b) for i, j in pairs)
    assert exact_terms(cs, np.array([b]))[0] == pytest.approx((xc[0] + xc[1]) * b - np.log(denom), rel=1e-13)


def test_exact_refuses_robust_and_residuals_as_r() -> None:
    t, e, X, _, s = _tied_data(80, 2)
    with pytest.raises(InputError, match="robust"):
        cox(t, e, X, ties="exact", cluster=s)
    fit = cox(t, e, X, ties="exact")
    for kind in ("score", "schoenfeld", "dfbeta"):
        with pytest.raises(InputError, match="not available"):
            fit.residuals(kind)
    assert fit.residuals("martingale").shape == (80,)


def _brute(time, event, lp, w, strata):
    """O(n^2) pair weights: concordant, discordant, tied.x, tied.y, tied.xy (R's definitions)."""
    c = np.zeros(5)
    n = time.size
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[i] != strata[j]:
                continue
            ww = w[i] * w[j]
            if time[j] > time[i] or (time[j] == time[i] and not event[j]):
                c[0 if lp[i] > lp[j] else 1 if lp[i] < lp[j] else 2] += ww
            elif time[j] == time[i] and event[j] and j > i:
                c[4 if lp[i] == lp[j] else 3] += ww
    return c


def test_weighted_concordance_pairs_brute_force() -> None:
    rng = np.random.default_rng(5)
    n = 90
    time = rng.integers(1, 20, n).astype(float)
    event = rng.random(n) < 0.6
    lp = rng.integers(0, 6, n).astype(float)
    w = rng.uniform(0.5, 2, n)
    strata = rng.integers(0, 2, n)
    got = concordance(time, event, lp, strata=strata, weights=w)
    want = _brute(time, event, lp, w, strata)
    np.testing.assert_allclose([got.concordant, got.discordant, got.tied_x, got.tied_y, got.tied_xy], want,
                               rtol=1e-12)
    # unweighted: the same as the vectorised merge-sort counting, influence included
    got1 = concordance(time, event, lp, strata=strata)
    ones = _brute(time, event, lp, np.ones(n), strata)
    np.testing.assert_allclose([got1.concordant, got1.discordant, got1.tied_x, got1.tied_y, got1.tied_xy], ones)


def test_concordance_counting_process_matches_merge_sort() -> None:
    rng = np.random.default_rng(9)
    n = 70
    stop = rng.integers(2, 30, n).astype(float)
    entry = stop - rng.integers(1, 10, n)
    event = rng.random(n) < 0.5
    lp = rng.normal(size=n).round(1)
    _, rank = np.unique(lp, return_inverse=True)
    counts, infl = _stratum_counts(stop, event, entry, rank)
    got = concordance(stop, event, lp, entry=entry)
    np.testing.assert_allclose([got.concordant, got.discordant, got.tied_x], counts[:3])
    npair = counts[:3].sum()
    somer = (counts[0] - counts[1]) / npair
    se = np.sqrt(np.sum((((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somer) / (2 * npair)) ** 2))
    assert got.se == pytest.approx(se, rel=1e-12)


def test_timefix_switch() -> None:
    """0.1 + 0.2 and 0.3 are one time (R's aeqSurv) unless timefix=False; with timefix=False
    the fit equals one where the later time is clearly distinct (no time lies between)."""
    t = np.array([0.1 + 0.2, 0.3, 0.5, 0.7, 0.9, 1.1, 0.4, 0.6])
    e = np.array([1, 1, 1, 0, 1, 1, 1, 0], dtype=bool)
    x = np.array([1.0, 0.0, 2.0, 1.0, 3.0, 0.0, 2.0, 1.0])
    merged = cox(t, e, x)
    same = cox(np.where(t == 0.1 + 0.2, 0.3, t), e, x)
    assert merged.coef[0] == pytest.approx(same.coef[0], rel=1e-12)
    apart = cox(t, e, x, timefix=False)
    distinct = cox(np.where(t == 0.1 + 0.2, 0.35, t), e, x)
    assert apart.coef[0] == pytest.approx(distinct.coef[0], rel=1e-12)
    assert abs(apart.coef[0] - merged.coef[0]) > 1e-3
    with pytest.raises(InputError, match="length 0"):  # R: "an interval has effective length 0"
        cox(np.array([0.1 + 0.2, 1.0, 2.0]), np.array([1, 1, 0]), np.array([0.0, 1.0, 2.0]),
            entry=np.array([0.3, 0.0, 0.0]))


def test_non_integer_weights_are_robust_by_default() -> None:
    t, e, X, _, _ = _tied_data(60, 3)
    w = np.linspace(0.5, 1.5, 60)
    assert cox(t, e, X, weights=w).robust
    assert not cox(t, e, X, weights=np.round(w * 2)).robust
    assert not cox(t, e, X, weights=w, robust=False).robust


@pytest.mark.parametrize("method", ["efron", "breslow"])
@pytest.mark.parametrize("entry", [False, True])
def test_compiled_kernel_equals_numpy_evaluation(method: str, entry: bool) -> None:
    """Oracle: the numpy per-time-aggregate evaluation (itself checked against R), with strata,
    offsets, case weights and tied times, at a beta away from the estimate."""
    from sarcohort.stats._cox_newton import compiled_evaluator

    t, e, X, en, s = _tied_data(300, 7, entry)
    rng = np.random.default_rng(8)
    w = rng.uniform(0.5, 2, t.size)
    off = rng.normal(scale=0.3, size=t.size)
    cs = K.setup(t, e, X, entry=en, strata=s, offset=off, weights=w, ties=method)
    beta = np.array([0.3, -0.5])
    ref = K.evaluate(cs, beta)
    got = compiled_evaluator(cs)(cs, beta)
    assert got.loglik == pytest.approx(ref.loglik, rel=1e-12)
    np.testing.assert_allclose(got.u, ref.u, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.imat, ref.imat, rtol=1e-10)


@pytest.mark.parametrize("method", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [False, True])
def test_binned_parallel_kernel_equals_numpy_evaluation(method: str, strata: bool, monkeypatch) -> None:
    """Oracle as above: the numpy evaluation. The binned (parallel, right-censored) kernel that
    big data use, forced on a small set; with rows censored before any event (in no bin)."""
    from sarcohort.stats import _cox_newton as N

    monkeypatch.setattr(N, "_BINNED_MIN_ROWS", 0)
    t, e, X, _, s = _tied_data(300, 9)
    t[:5], e[:5] = 0.5, False  # before every event time
    rng = np.random.default_rng(10)
    w = rng.uniform(0.5, 2, t.size)
    off = rng.normal(scale=0.3, size=t.size)
    cs = K.setup(t, e, X, strata=s if strata else None, offset=off, weights=w, ties=method)
    ev = N.compiled_evaluator(cs)
    assert ev is not None and ev.__name__ == "_eval_binned"
    beta = np.array([0.3, -0.5])
    ref = K.evaluate(cs, beta)
    got = ev(cs, beta)
    assert got.loglik == pytest.approx(ref.loglik, rel=1e-12)
    np.testing.assert_allclose(got.u, ref.u, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.imat, ref.imat, rtol=1e-10)


def test_km_whole_number_weights_hand_computed() -> None:
    from sarcohort.stats.km import kaplan_meier

    with pytest.raises(InputError, match="delayed entry"):
        kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([1, 0, 1]), entry=np.array([0.0, 0.5, 0.0]),
                     weights=np.array([0.5, 1.0, 2.0]))
    km = kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([1, 0, 1]), weights=np.array([2.0, 1.0, 1.0]))
    # hand computation: 4 at risk (weights), 2 die at t = 1 -> S = 1/2; then 1 at risk dies at 3 -> 0
    np.testing.assert_allclose(km.curves["All"].survival, [0.5, 0.5, 0.0])


def test_anova_refuses_robust_fits_as_r() -> None:
    from sarcohort.stats.cox_compare import cox_anova

    t, e, X, _, s = _tied_data(80, 4)
    small, big = cox(t, e, X[:, :1]), cox(t, e, X)
    assert cox_anova(small, big).test_df[1] == 1
    with pytest.raises(InputError, match="robust"):
        cox_anova(small, cox(t, e, X, cluster=s))
    with pytest.raises(InputError, match="same rows"):
        cox_anova(cox(t[:70], e[:70], X[:70, :1]), big)


@pytest.mark.parametrize("entry", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_concordance_by_time_equals_by_rank(monkeypatch, entry: bool, weighted: bool) -> None:
    """The two compiled countings (trees over time keys / over score ranks) agree, counts and
    SE, with strata, tied times and scores, case weights and (start, stop] data; the rank one
    is checked against R in test_cox_reference and by brute force above."""
    import sarcohort.stats.concordance as C

    rng = np.random.default_rng(11)
    n = 400
    stop = rng.integers(2, 25, n).astype(float)
    en = stop - rng.integers(1, 8, n) if entry else None
    event = rng.random(n) < 0.6
    lp = rng.integers(0, 30, n) / 7
    strata = rng.integers(0, 3, n)
    w = rng.uniform(0.5, 2, n) if weighted else None
    cl = rng.integers(0, 50, n)
    out = []
    for factor in (0, 10**9):
        monkeypatch.setattr(C, "_BY_TIME_FACTOR", factor)
        out.append(C.concordance(stop, event, lp, entry=en, strata=strata, cluster=cl, weights=w))
    a, b = out
    np.testing.assert_allclose([a.concordant, a.discordant, a.tied_x, a.tied_y, a.tied_xy, a.value, a.se],
                               [b.concordant, b.discordant, b.tied_x, b.tied_y, b.tied_xy, b.value, b.se], rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_binned_kernel_efron_series_equals_pairs(weighted: bool, monkeypatch) -> None:
    """Oracle: the numpy evaluation term by term over the (event time, k) pairs (R's coxfit6
    arithmetic). The binned kernel takes Efron's sums from the power series in D0/S0 at event
    times with many tied deaths; here up to ~100 deaths at a time."""
    from sarcohort.stats import _cox_newton as N

    monkeypatch.setattr(N, "_BINNED_MIN_ROWS", 0)
    rng = np.random.default_rng(3)
    n = 4000
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n)])
    t = np.ceil(rng.exponential(40, n))
    e = rng.random(n) < 0.8
    w = rng.uniform(0.5, 2, n) if weighted else None
    cs = K.setup(t, e, X, weights=w, ties="efron")
    assert cs.series_q is None and cs.g_deaths.max() > 50  # the reference sums are the pairs
    beta = np.array([0.3, -0.5, 0.2])
    ref = K.evaluate(cs, beta)
    got = N.compiled_evaluator(cs)(cs, beta)
    assert got.loglik == pytest.approx(ref.loglik, rel=1e-13)
    np.testing.assert_allclose(got.u, ref.u, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(got.imat, ref.imat, rtol=1e-12)


@pytest.mark.parametrize("entry", [False, True])
def test_timefix_without_near_ties_returns_the_lookup(entry: bool) -> None:
    """Fractional months without near-ties skip the lookup of every time among the cuts: the
    times it would return, bit for bit; near-ties and a -0.0 still take the lookup."""
    from sarcohort.stats._aggregates import merge_near_ties
    from sarcohort.stats.cox import _timefix

    rng = np.random.default_rng(3)
    t = rng.integers(1, 4000, 5000) / 30.4375
    en = np.where(rng.random(t.size) < 0.3, np.floor(t * 0.5 * 30.4375) / 30.4375, 0.0) if entry else None
    got_t, got_en = _timefix(t, en)
    cuts = merge_near_ties(t if en is None else np.concatenate((t, en)))
    np.testing.assert_array_equal(got_t, cuts[np.searchsorted(cuts, t, side="right") - 1])
    if en is not None:
        np.testing.assert_array_equal(got_en, cuts[np.searchsorted(cuts, en, side="right") - 1])
    near = np.array([0.5, 0.5 + 1e-12, 2.25])
    assert _timefix(near, None)[0].tolist() == [0.5, 0.5, 2.25]
    signed = np.array([0.0, -0.0, 0.25])  # one time: the lookup gives both one sign
    cuts = merge_near_ties(signed)
    lookup = cuts[np.searchsorted(cuts, signed, side="right") - 1]
    np.testing.assert_array_equal(np.signbit(_timefix(signed, None)[0]), np.signbit(lookup))
