"""Invariances of the Cox fit (property-based, hypothesis).

Oracle: properties of the partial likelihood itself, which depends on the data only through
the risk sets and ``exp(x b)``: (1) the order of the rows does not matter; (2) adding a
constant c to a covariate leaves the coefficients, the likelihood and the tests unchanged and
multiplies the baseline hazard at x = 0 by exp(-c b); (3) multiplying a covariate by s divides
its coefficient and its standard error by s. Also: splitting follow-up into (start, stop]
pieces at arbitrary cut points leaves the fit unchanged (the risk sets are the same).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sarcohort.exceptions import ConvergenceWarning
from sarcohort.stats.cox import cox


@st.composite
def datasets(draw):
    n = draw(st.integers(12, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(50, 10, n), rng.integers(0, 2, n).astype(float)])
    time = rng.integers(1, draw(st.integers(4, 40)), n).astype(float)  # heavy ties
    event = rng.random(n) < 0.7
    ties = draw(st.sampled_from(["efron", "breslow"]))
    return time, event, x, ties


def _fit(time, event, x, ties, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = cox(time, event, x, ties=ties, **kw)
        except ConvergenceWarning:
            assume(False)
        except ValueError:  # e.g. a constant covariate in a tiny draw
            assume(False)
    assume(np.all(np.abs(fit.coef) < 5) and fit.n_event >= 4)
    return fit


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@SETTINGS
@given(datasets(), st.integers(0, 2**31 - 1))
def test_row_order(data, seed) -> None:
    time, event, x, ties = data
    a = _fit(time, event, x, ties)
    perm = np.random.default_rng(seed).permutation(time.size)
    b = _fit(time[perm], event[perm], x[perm], ties)
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-8)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    np.testing.assert_allclose(b.score_test.statistic, a.score_test.statistic, rtol=1e-9)
    np.testing.assert_allclose(b.residuals("martingale")[np.argsort(perm)], a.residuals("martingale"),
                               rtol=1e-7, atol=1e-9)
    assert b.concordance.value == a.concordance.value


@SETTINGS
@given(datasets(), st.floats(-100, 100))
def test_shift_changes_only_the_baseline(data, shift) -> None:
    time, event, x, ties = data
    a = _fit(time, event, x, ties)
    x2 = x.copy()
    x2[:, 0] += shift
    b = _fit(time, event, x2, ties)
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-7)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-11)
    np.testing.assert_allclose(b.lr_test.statistic, a.lr_test.statistic, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        b.baseline_hazard().hazard, a.baseline_hazard().hazard * np.exp(-shift * a.coef[0]), rtol=1e-6)


@SETTINGS
@given(datasets(), st.floats(0.01, 100))
def test_scale_scales_coefficient_inversely(data, scale) -> None:
    time, event, x, ties = data
    a = _fit(time, event, x, ties)
    x2 = x.copy()
    x2[:, 0] *= scale
    b = _fit(time, event, x2, ties)
    np.testing.assert_allclose(b.coef[0], a.coef[0] / scale, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(b.se[0], a.se[0] / scale, rtol=1e-7)
    np.testing.assert_allclose(b.coef[1], a.coef[1], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-11)


@SETTINGS
@given(datasets(), st.integers(0, 2**31 - 1))
def test_splitting_follow_up_changes_nothing(data, seed) -> None:
    time, event, x, ties = data
    a = _fit(time, event, x, ties)
    rng = np.random.default_rng(seed)
    start, stop, ev, rows = [], [], [], []
    for i in range(time.size):
        cut = float(rng.integers(0, int(time[i]))) if time[i] > 1 else 0.0
        if cut > 0:
            start += [0.0, cut]
            stop += [cut, time[i]]
            ev += [False, bool(event[i])]
            rows += [i, i]
        else:
            start.append(0.0)
            stop.append(time[i])
            ev.append(bool(event[i]))
            rows.append(i)
    rows = np.asarray(rows)
    b = _fit(np.asarray(stop), np.asarray(ev), x[rows], ties, entry=np.asarray(start))
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-8)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    np.testing.assert_allclose(b.baseline_hazard().hazard[-1], a.baseline_hazard().hazard[-1], rtol=1e-9)


@SETTINGS
@given(datasets(), st.integers(0, 2**31 - 1))
def test_stratified_fit_adds_up_the_strata(data, seed) -> None:
    """A stratified partial likelihood is the sum of the strata's: the log-likelihood at the
    stratified estimate equals the sum of separate evaluations (also with (start, stop] data)."""
    time, event, x, ties = data
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 3, time.size)
    entry = np.floor(time * rng.random(time.size) * (rng.random(time.size) < 0.5))
    fit = _fit(time, event, x, ties, strata=strata, entry=entry)
    from sarcohort.stats import _cox_kernel as K

    total = 0.0
    for k in np.unique(strata):
        m = strata == k
        cs = K.setup(time[m], event[m], x[m], entry=entry[m], ties=ties, means=np.zeros(2))
        total += K.evaluate(cs, fit.coef, info=False).loglik
    np.testing.assert_allclose(fit.loglik, total, rtol=1e-10)


@pytest.mark.parametrize("stratified", [False, True])
def test_sort_paths_agree(stratified) -> None:
    """Only the order of the times matters: integer days (radix sort of 16-bit keys) and the
    same days shifted by 0.25 (general sort) give the same fit, also on the large-data path."""
    rng = np.random.default_rng(11)
    n = 20000
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    t = rng.integers(1, 2000, n).astype(float)
    e = rng.random(n) < 0.6
    strata = rng.integers(0, 3, n) if stratified else None
    a = cox(t, e, x, strata=strata)
    b = cox(t + 0.25, e, x, strata=strata)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-10)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-13)
    perm = rng.permutation(n)
    c = cox(t[perm], e[perm], x[perm], strata=None if strata is None else strata[perm])
    np.testing.assert_allclose(c.coef, a.coef, rtol=1e-10)


def test_efron_series_equals_pairs() -> None:
    """Big data: Efron's sums from the power series in D0/S0 (cox_efron) equal the term-by-term
    sums over the tied deaths (R's arithmetic), including event times where the deaths are a
    large part of the risk set (x > 0.35: handled by the pairs) and with strata."""
    from sarcohort.stats import _cox_kernel as K

    rng = np.random.default_rng(3)
    n = 60000
    x = rng.normal(size=(n, 3))
    t = rng.integers(1, 8, n).astype(float)
    e = rng.random(n) < 0.9
    beta = np.array([0.2, -0.1, 0.3])
    for strata in (None, rng.integers(0, 2, n)):
        cs = K.setup(t, e, x, strata=strata)
        assert cs.series_q is not None
        a = K.evaluate(cs, beta)
        cs.series_q = None
        b = K.evaluate(cs, beta)
        assert (b.d0 / b.s0).max() > 0.35  # both branches used
        np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-13)
        np.testing.assert_allclose(a.u, b.u, rtol=1e-10, atol=1e-10 * np.abs(b.u).max())
        np.testing.assert_allclose(a.imat, b.imat, rtol=1e-12)
        np.testing.assert_allclose(a.hazard, b.hazard, rtol=1e-12)
        np.testing.assert_allclose(a.hazard_frac, b.hazard_frac, rtol=1e-12)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_sorted_transpose_is_the_gathered_rows_whatever_the_layout(layout):
    """The kernel's one gather of the covariates, for big data in row blocks or column by
    column: exactly ``X[order].T`` (oracle: numpy fancy indexing), whatever X's memory
    layout (a DataFrame's values are column-major)."""
    from sarcohort.stats._cox_prepare import _sorted_transpose

    rng = np.random.default_rng(3)
    n = 40_000  # above the row-block threshold
    base = rng.normal(size=(n, 8))
    X = {"C": base[:, :4].copy(), "F": np.asfortranarray(base[:, :4]),
         "strided": base[:, ::2]}[layout]
    order = rng.permutation(n)
    got = _sorted_transpose(X, order)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, X[order].T)


def test_remembered_sort_order_is_the_order_of_the_times_given():
    """Big data's sort order is remembered for the same times: a repeated sort, and sorts of
    changed times, events or strata, give exactly numpy's stable lexsort order (oracle)."""
    from sarcohort.stats import _cox_prepare as prep

    rng = np.random.default_rng(11)
    n = 150_000
    stop = rng.integers(1, 3000, n) / 30.4375  # months from whole days: no radix sort
    event = rng.random(n) < 0.6
    strata = rng.integers(0, 3, n).astype(np.int64)

    def oracle(s, e, st):
        return np.lexsort((~e, s) if st is None else (~e, s, st))

    for _ in range(2):  # the first sorts, then the remembered ones
        np.testing.assert_array_equal(prep._sort_order(stop.copy(), event, None),
                                      oracle(stop, event, None))
        np.testing.assert_array_equal(prep._sort_order(stop, event, strata),
                                      oracle(stop, event, strata))
    changed = stop.copy()
    changed[7] += 1.0
    np.testing.assert_array_equal(prep._sort_order(changed, event, None),
                                  oracle(changed, event, None))
    flipped = event.copy()
    flipped[3] = ~flipped[3]
    np.testing.assert_array_equal(prep._sort_order(stop, flipped, None),
                                  oracle(stop, flipped, None))
    order = prep._sort_order(stop, event, None)
    order[:] = 0  # the caller's copy: the remembered order is not changed
    np.testing.assert_array_equal(prep._sort_order(stop, event, None), oracle(stop, event, None))
