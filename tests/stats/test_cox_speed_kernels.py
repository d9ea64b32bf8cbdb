"""The compiled helpers of the Cox fit and concordance at registry scale, against the numpy
computations they replace (the oracle: numpy's lexsort, fancy indexing, argsort and exact
equality), their independence of the thread count, and a regression for times in half units.
"""

from __future__ import annotations

import numpy as np
import pytest

from sarcohort.stats._concordance_kernel import score_order
from sarcohort.stats._cox_prepare import _sort_order, _sorted_transpose
from sarcohort.stats.concordance import concordance
from sarcohort.stats.cox import cox


@pytest.mark.parametrize("offset", [0.0, 0.25, 1e6])
def test_counting_sort_equals_lexsort(offset: float) -> None:
    """Oracle: np.lexsort((~event, stop)) (stable: ties keep the input order)."""
    rng = np.random.default_rng(1)
    n = 20_000
    t = rng.integers(0, 500, n) + offset
    e = rng.random(n) < 0.6
    np.testing.assert_array_equal(_sort_order(t, e, None), np.lexsort((~e, t)))


def test_half_unit_times_sorted_by_time() -> None:
    """Times in half days (not whole numbers of units above the first) must not share the
    keys of whole-number times: sorted as lexsort, and the fit equals the fit on 2 t (the
    partial likelihood depends on the order of the times only)."""
    rng = np.random.default_rng(0)
    n = 6000
    t = rng.integers(1, 40, n) / 2.0
    e = rng.random(n) < 0.6
    X = rng.normal(size=(n, 2))
    np.testing.assert_array_equal(_sort_order(t, e, None), np.lexsort((~e, t)))
    np.testing.assert_allclose(cox(t, e, X).coef, cox(2 * t, e, X).coef, rtol=1e-12)


@pytest.mark.parametrize("case", ["months", "negative and signed zeros", "many distinct"])
def test_fractional_times_sorted_by_their_ranks_equal_lexsort(case: str) -> None:
    """A registry's fractional months (few distinct values among many) take the counting
    sort of their ranks: the same permutation as np.lexsort((~event, stop)), bit for bit."""
    from sarcohort.stats._cox_prepare import _new_sort_order
    from sarcohort.stats._unique import HASHED_MIN_ROWS

    rng = np.random.default_rng(3)
    n = HASHED_MIN_ROWS + 999
    t = rng.integers(0, 5000, n) / 30.4375
    if case == "negative and signed zeros":
        t = np.where(rng.random(n) < 0.1, -0.0, t - 50.0)
    elif case == "many distinct":
        t = np.round(rng.random(n) * 1e5, 1) / 7.0
    e = rng.random(n) < 0.4
    np.testing.assert_array_equal(_new_sort_order(t, e, None), np.lexsort((~e, t)))


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_gather_transpose_equals_numpy(layout: str) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50_000, 10))
    Xl = {"C": X, "F": np.asfortranarray(X), "strided": X[:, ::2]}[layout]
    order = rng.permutation(X.shape[0])
    np.testing.assert_array_equal(_sorted_transpose(Xl, order), Xl[order].T)


def test_score_order_equals_argsort_and_exact_ranks() -> None:
    """Oracle: np.unique's inverse (ranks by exact equality) and sortedness. Scores with exact
    ties (long runs), -0.0 and 0.0, values equal in their top bits (neighbouring floats), and
    both signs."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=3000)
    lp = np.concatenate([base, np.nextafter(base, np.inf), np.repeat(base[:5], 100), np.zeros(50), -np.zeros(50),
                         rng.integers(-3, 4, 2000).astype(float)])
    lp = lp[rng.permutation(lp.size)]
    order, rank = score_order(lp)
    assert np.all(np.diff(lp[order]) >= 0)
    np.testing.assert_array_equal(np.sort(order), np.arange(lp.size))
    np.testing.assert_array_equal(rank, np.unique(lp, return_inverse=True)[1].reshape(-1)[order])


@pytest.mark.parametrize("weighted", [False, True])
def test_concordance_independent_of_thread_count(weighted: bool) -> None:
    """The score order is counted in fixed chunks: 1 thread and all threads give the same bits."""
    import numba

    rng = np.random.default_rng(4)
    n = 30_000
    t = rng.integers(1, 300, n).astype(float)
    e = rng.random(n) < 0.7
    lp = rng.normal(size=n).round(2)
    w = rng.uniform(0.5, 2, n) if weighted else None
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = concordance(t, e, lp, weights=w)
    finally:
        numba.set_num_threads(threads)
    assert concordance(t, e, lp, weights=w) == one


def test_cox_fit_independent_of_thread_count() -> None:
    """Big enough for the compiled sort, gather and binned Newton pass (fixed row chunks):
    1 thread and all threads give the same bits (coefficients, variance, concordance)."""
    import numba

    rng = np.random.default_rng(5)
    n = 60_000
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n)])
    t = rng.integers(1, 400, n).astype(float)
    e = rng.random(n) < 0.7
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = cox(t, e, X)
        c1 = one.concordance
    finally:
        numba.set_num_threads(threads)
    full = cox(t, e, X)
    np.testing.assert_array_equal(full.coef, one.coef)
    np.testing.assert_array_equal(full.var, one.var)
    assert full.concordance == c1


def test_exp_by_value_equals_exp_per_row() -> None:
    """The kernels' exp of the linear predictor, remembered by value (``exp_cached``), against
    ``math.exp`` of every value, bit for bit: repeated values (yes/no covariates), more
    distinct values than slots (collisions), +-0, neighbouring floats, +-inf and NaN."""
    import math

    from numba import njit

    from sarcohort.stats._cox_jit import EXP_SLOTS, exp_cached

    @njit(cache=False)
    def by_value(xs):  # pragma: no cover - compiled
        keys = np.full(EXP_SLOTS, np.nan)
        vals = np.empty(EXP_SLOTS)
        bits = xs.view(np.uint64)
        out = np.empty(xs.shape[0])
        for i in range(xs.shape[0]):
            out[i] = exp_cached(xs[i], bits[i], keys, vals)
        return out

    rng = np.random.default_rng(6)
    few = rng.choice([0.0, -0.0, 0.3, -1.7, np.nextafter(0.3, 1.0), 700.0, -800.0], 5000)
    many = rng.normal(size=5000) * 3
    odd = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, np.nan, 710.0, 1e-300, -1e-300])
    xs = np.concatenate([few, many, np.repeat(many[:300], 7), odd, few[::-1]])
    xs = np.ascontiguousarray(xs[rng.permutation(xs.size)])

    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:  # Python raises where the C library returns inf
            return math.inf

    expect = np.array([exp(x) for x in xs])
    np.testing.assert_array_equal(by_value(xs).view(np.uint64), expect.view(np.uint64))


@pytest.mark.parametrize("has_offset", [False, True])
def test_group_sums_weights_equal_exp_per_row(has_offset: bool) -> None:
    """The binned Newton pass's row weights ``cw exp(offset + x'b)`` (the same additions, column
    by column), against one ``math.exp`` per row in Python: bit for bit."""
    import math

    from sarcohort.stats import _cox_kernel as K
    from sarcohort.stats import _cox_newton as N
    from sarcohort.stats._cox_jit import _group_sums

    rng = np.random.default_rng(7)
    n = 4000
    X = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n).round(1)])
    t = rng.integers(1, 200, n).astype(float)
    e = rng.random(n) < 0.6
    cs = K.setup(t, e, X, ties="efron")
    gidx = N.binned_groups(cs)
    assert np.array_equal(gidx, np.where(cs.s_idx1 > cs.base, cs.s_idx1 - 1, -1))
    cuts = N._group_cuts(gidx, 8)
    off = rng.choice([0.0, 0.5], n) if has_offset else np.zeros(0)
    cw = rng.choice([1.0, 2.0], n)
    beta = np.array([0.4, -0.9, 0.05])
    w = np.empty(n)
    _group_sums(cs.XT, beta, off, cw, cs.event.view(np.uint8), gidx, cuts, cs.m, w)
    expect = np.empty(n)
    for i in range(n):
        eta = float(off[i]) if has_offset else 0.0
        for a in range(3):
            eta += float(cs.XT[a, i]) * float(beta[a])
        expect[i] = math.exp(eta) * cw[i] if gidx[i] >= 0 else 0.0
    np.testing.assert_array_equal(w.view(np.uint64), expect.view(np.uint64))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_shared_time_structure_equals_fresh_setup(ties: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The models of one endpoint share the setup's time structure (sort, event groups, runs):
    a setup built from the remembered structure equals one built afresh, field for field, and
    so do the fits (coefficients, variance, log-likelihood, concordance), bit for bit; other
    times, events, strata or ties are not mistaken for them."""
    import dataclasses

    from sarcohort.stats import _cox_kernel as K

    monkeypatch.setattr(K, "_TIMES_MIN_ROWS", 1000)
    monkeypatch.setattr(K, "_RECENT_TIMES", [])
    rng = np.random.default_rng(10)
    n = 8000
    t = (rng.integers(1, 900, n) / 30.4375).round(6)
    e = rng.random(n) < 0.6
    X1 = rng.integers(0, 2, (n, 1)).astype(float)
    X2 = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)])
    cox(t, e, X1, ties=ties)  # remembers the structure
    shared = cox(t, e, X2, ties=ties)
    assert shared._state.setup.stop is K._RECENT_TIMES[0][3]["stop"]  # the structure was shared
    from sarcohort.stats.cox import release_shared

    release_shared()
    assert not K._RECENT_TIMES
    monkeypatch.setattr(K, "_RECENT_TIMES", [])
    fresh = cox(t, e, X2, ties=ties)
    for f in dataclasses.fields(K.CoxSetup):
        a, b = getattr(shared._state.setup, f.name), getattr(fresh._state.setup, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
        elif f.name != "work":
            assert a == b, f.name
    for name in ("coef", "var", "se", "p"):
        np.testing.assert_array_equal(getattr(shared, name), getattr(fresh, name))
    assert shared.loglik == fresh.loglik and shared.concordance == fresh.concordance
    # different events, a subset of rows, strata and the other ties: never the remembered ones
    e2 = e.copy()
    e2[5] = not e2[5]
    keep = np.arange(n) != 7
    other = "breslow" if ties == "efron" else "efron"
    for args, kw in [((t, e2, X2), {}), ((t[keep], e[keep], X2[keep]), {}), ((t[::-1], e[::-1], X2[::-1]), {}),
                     ((t, e, X2), {"strata": rng.integers(0, 2, n)}), ((t, e, X2), {"ties": other})]:
        kw = {"ties": ties, **kw}
        cox(t, e, X1, ties=ties)
        got = cox(*args, **kw)
        monkeypatch.setattr(K, "_RECENT_TIMES", [])
        np.testing.assert_array_equal(got.coef, cox(*args, **kw).coef)
        np.testing.assert_array_equal(got.var, cox(*args, **kw).var)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_shared_counting_process_structure_equals_fresh(ties: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting-process data (the time-dependent models of an exposure, adjusted and not) share
    the remembered time structure and its entry order, with another model fitted between them:
    the fit equals one on a fresh structure bit for bit; other entry times are never mistaken
    for the remembered ones."""
    from sarcohort.stats import _cox_kernel as K
    from sarcohort.stats.cox import release_shared

    monkeypatch.setattr(K, "_TIMES_MIN_ROWS", 1000)
    monkeypatch.setattr(K, "_RECENT_TIMES", [])
    rng = np.random.default_rng(11)
    n = 8000
    stop = (rng.integers(2, 900, n) / 30.4375).round(6)
    entry = np.where(rng.random(n) < 0.3, (stop * rng.random(n)).round(6), 0.0)
    entry = np.minimum(entry, stop / 2)
    e = rng.random(n) < 0.6
    X1 = rng.integers(0, 2, (n, 1)).astype(float)
    X2 = np.column_stack([X1[:, 0], rng.normal(size=n)])
    cox(stop, e, X2, entry=entry, ties=ties)  # remembers the structure
    cox(stop[: n // 2], e[: n // 2], X2[: n // 2], ties=ties)  # a landmark model between
    shared = cox(stop, e, X1, entry=entry, ties=ties)
    assert shared._state.setup.stop is K._RECENT_TIMES[1][3]["stop"]  # the structure was shared
    assert "entry_order" in shared._state.setup.memo
    release_shared()
    fresh = cox(stop, e, X1, entry=entry, ties=ties)
    assert fresh._state.setup.stop is not shared._state.setup.stop
    for name in ("coef", "var", "se", "p"):
        np.testing.assert_array_equal(getattr(shared, name), getattr(fresh, name))
    assert shared.loglik == fresh.loglik
    entry2 = entry.copy()
    entry2[np.flatnonzero(entry > 0)[0]] /= 2
    cox(stop, e, X1, entry=entry, ties=ties)
    got = cox(stop, e, X1, entry=entry2, ties=ties)
    release_shared()
    np.testing.assert_array_equal(got.coef, cox(stop, e, X1, entry=entry2, ties=ties).coef)


def _counting_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, stop] rows with tied whole-day times, events and two yes/no columns."""
    rng = np.random.default_rng(seed)
    stop = rng.integers(2, 400, n) / 30.4375
    start = np.where(rng.random(n) < 0.4, np.floor(stop * 30.4375 * rng.random(n)) / 30.4375, 0.0)
    event = rng.random(n) < 0.5
    X = (rng.random((n, 2)) < [0.3, 0.6]).astype(float)
    return start, stop, event, X


@pytest.mark.parametrize("n", [3000, 120_000])
def test_rows_given_sorted_hold_the_design_and_fit_the_same(n: int) -> None:
    """Oracle: the fit of the same rows unsorted (itself tested against R). Rows in
    ``cox_row_order`` with ``copy_X=False``: the fit holds the caller's design (no sorted copy),
    never writes it, and every number is the same bit for bit."""
    from sarcohort.stats.cox import cox_row_order, release_shared

    start, stop, event, X = _counting_rows(n, 5)
    want = cox(stop, event, X, entry=start)
    order = cox_row_order(stop, event, start)
    assert sorted(order.tolist()) == list(range(n))
    release_shared()
    Xs = np.asfortranarray(X[order])
    kept = Xs.copy()
    got = cox(stop[order], event[order], Xs, entry=start[order], copy_X=False)
    assert np.shares_memory(got._state.setup.XT, Xs)
    np.testing.assert_array_equal(Xs, kept)
    for name in ("coef", "var", "se", "p"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert got.loglik == want.loglik
    # a column to center (not in {-1, 0, 1}): a sorted copy, the caller's rows unchanged
    Xc = Xs.copy(order="F")
    Xc[:, 1] *= 2.5
    kept = Xc.copy()
    got = cox(stop[order], event[order], Xc, entry=start[order], copy_X=False)
    assert not np.shares_memory(got._state.setup.XT, Xc)
    np.testing.assert_array_equal(Xc, kept)
    # the default copies, sorted or not
    assert not np.shares_memory(cox(stop[order], event[order], Xs, entry=start[order])._state.setup.XT, Xs)


def test_entry_order_of_one_stratum_equals_lexsort() -> None:
    """Oracle: np.lexsort((-entry, -strata)), the order the compiled pass removes rows at entry
    (one stratum: the stable argsort of -entry; several: lexsort itself)."""
    from sarcohort.stats._cox_newton import entry_order

    rng = np.random.default_rng(4)
    entry = np.where(rng.random(50_000) < 0.5, 0.0, rng.integers(0, 300, 50_000) / 7.0)
    one = np.zeros(entry.size, dtype=np.int64)
    np.testing.assert_array_equal(entry_order(entry, one), np.lexsort((-entry, -one)))
    several = np.sort(rng.integers(0, 4, entry.size))
    np.testing.assert_array_equal(entry_order(entry, several), np.lexsort((-entry, -several)))


def test_compiled_pass_without_weights_equals_unit_weights() -> None:
    """Oracle: the same pass with an explicit array of unit case weights (x 1.0 is exact)."""
    from sarcohort.stats import _cox_kernel as K
    from sarcohort.stats._cox_jit import cox_pass
    from sarcohort.stats._cox_newton import entry_order

    start, stop, event, X = _counting_rows(20_000, 6)
    cs = K.setup(stop, event, X, entry=start)
    b = np.array([0.3, -0.2])
    args = (np.zeros(cs.n), cs.event.view(np.uint8), cs.stop, np.ascontiguousarray(cs.strata, dtype=np.int64),
            True, cs.entry, entry_order(cs.entry, cs.strata), True)
    ones = cox_pass(cs.XT, b, args[0], np.ones(cs.n), *args[1:])
    none = cox_pass(cs.XT, b, args[0], np.zeros(0), *args[1:])
    assert ones[0] == none[0]
    np.testing.assert_array_equal(ones[1], none[1])
    np.testing.assert_array_equal(ones[2], none[2])


@pytest.mark.parametrize("stratified", [False, True])
def test_per_row_group_bounds_built_on_use_are_their_definition(stratified: bool) -> None:
    """Oracle: the definition, row by row (brute force over the event groups). The bounds of
    each row's risk sets are built when first read, not by the setup (the compiled Newton
    passes read none of them), and the numpy evaluation that reads them (the run structure of
    big data, entry times and strata) equals the compiled pass."""
    from sarcohort.stats import _cox_kernel as K
    from sarcohort.stats._cox_newton import compiled_evaluator

    rng = np.random.default_rng(12)
    n = 3000
    stop = np.ceil(rng.exponential(40, n))
    entry = np.floor(stop * rng.uniform(0, 0.9, n))
    event = rng.random(n) < 0.7
    strata = rng.integers(0, 3, n) if stratified else None
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    cs = K.setup(stop, event, X, entry=entry, strata=strata, ties="efron")
    assert cs.dense is None and not cs.memo  # the run structure; nothing per row built yet
    earlier = (cs.g_stratum[None, :] < cs.strata[:, None]).sum(axis=1)
    same = cs.g_stratum[None, :] == cs.strata[:, None]
    np.testing.assert_array_equal(cs.s_idx1, earlier + (same & (cs.g_time[None, :] <= cs.stop[:, None])).sum(axis=1))
    np.testing.assert_array_equal(cs.e_idx1, earlier + (same & (cs.g_time[None, :] <= cs.entry[:, None])).sum(axis=1))
    beta = np.array([0.3, -0.5])
    ref, got = K.evaluate(cs, beta), compiled_evaluator(cs)(cs, beta)
    assert got.loglik == pytest.approx(ref.loglik, rel=1e-12)
    np.testing.assert_allclose(got.u, ref.u, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.imat, ref.imat, rtol=1e-10)


def test_weighted_cross_in_blocks_equals_one_product(monkeypatch: pytest.MonkeyPatch) -> None:
    """Oracle: ``(A * w[:, None]).T @ A`` in one product; blocks of 1,000 rows, the last short."""
    from sarcohort.stats import _zph

    rng = np.random.default_rng(13)
    A, w = rng.normal(size=(4500, 3)), rng.uniform(0, 2, 4500)
    monkeypatch.setattr(_zph, "BLOCK_ROWS", 1000)
    np.testing.assert_allclose(_zph.weighted_cross(A, w), (A * w[:, None]).T @ A, rtol=1e-12)


@pytest.mark.parametrize("swap", [False, True])
def test_rows_in_order_are_not_sorted_again(swap: bool) -> None:
    """Oracle: np.lexsort((~event, stop)). Rows already in that order keep it (0..n-1, no
    sort); a censored row before a death at the same time is out of order (deaths first)."""
    rng = np.random.default_rng(14)
    n = 20_000
    t = rng.integers(0, 300, n).astype(float)
    e = rng.random(n) < 0.6
    order = np.lexsort((~e, t))
    t, e = t[order], e[order]
    if swap:  # a tied (death, censored) pair put the other way round
        i = int(np.flatnonzero((t[1:] == t[:-1]) & e[:-1] & ~e[1:])[0])
        e[i], e[i + 1] = False, True
    got = _sort_order(t, e, None)
    np.testing.assert_array_equal(got, np.lexsort((~e, t)))
    assert np.array_equal(got, np.arange(n)) != swap
