"""Properties of the Kaplan-Meier / log-rank core and of its aggregates (hypothesis).

Oracles: definitions.  S is a product of factors in [0, 1]; the estimate depends on the data
as a set of rows; without censoring it is the empirical survival function 1 - ECDF; the
log-rank statistic does not depend on how groups are named; the number at risk is
#{entry < t <= exit} counted by brute force; both producers of the aggregates (integer
bincount and sort-based, dense and sparse) give the same table.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcohort.stats import _aggregates as agg
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.logrank import logrank

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def survival_data(draw, max_n: int = 40, integer: bool | None = None, groups: int = 1):
    n = draw(st.integers(1, max_n))
    use_int = draw(st.booleans()) if integer is None else integer
    if use_int:
        time = np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=float)
    else:
        time = np.array(
            draw(st.lists(st.floats(0, 100, allow_nan=False, allow_subnormal=False), min_size=n, max_size=n))
        )
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    group = np.array(draw(st.lists(st.integers(0, groups - 1), min_size=n, max_size=n)))
    return time, event, group


def _curves_equal(a, b) -> None:
    assert list(a.curves) == list(b.curves)
    for label in a.curves:
        ca, cb = a.curves[label], b.curves[label]
        for name in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper",
                     "cumhaz", "cumhaz_se"):
            np.testing.assert_array_equal(getattr(ca, name), getattr(cb, name), err_msg=name)


@SETTINGS
@given(survival_data(groups=3), st.sampled_from(["log", "log-log", "plain"]))
def test_survival_is_non_increasing_in_unit_interval(data, conf_type) -> None:
    time, event, group = data
    km = kaplan_meier(time, event, group, conf_type=conf_type)
    for c in km.curves.values():
        assert np.all((c.survival >= 0) & (c.survival <= 1))
        assert np.all(np.diff(c.survival) <= 0)
        assert np.all(np.diff(c.time) > 0)
        ok = ~np.isnan(c.lower)
        assert np.all(c.lower[ok] <= c.survival[ok] + 1e-12)
        assert np.all((c.lower[ok] >= 0) & (c.upper[ok] <= 1))
        # Every record is counted once: at risk at the first time = records in the curve.
        assert c.n_risk[0] == c.n == c.n_event.sum() + c.n_censor.sum()


@SETTINGS
@given(survival_data(groups=2), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, rnd) -> None:
    time, event, group = data
    perm = np.arange(time.size)
    rnd.shuffle(perm)
    _curves_equal(kaplan_meier(time, event, group), kaplan_meier(time[perm], event[perm], group[perm]))


@SETTINGS
@given(st.lists(st.integers(0, 50), min_size=1, max_size=60))
def test_without_censoring_km_is_one_minus_ecdf(times) -> None:
    time = np.array(times, dtype=float)
    c = kaplan_meier(time, np.ones(time.size, bool)).curves["All"]
    ecdf = np.array([(time <= t).mean() for t in c.time])
    np.testing.assert_allclose(c.survival, 1 - ecdf, rtol=1e-12, atol=1e-14)
    # Greenwood without censoring reduces to the binomial variance S(1-S)/n (on the S scale).
    fin = c.survival > 0
    with np.errstate(invalid="ignore"):
        var_s = (c.survival * c.std_err) ** 2
    np.testing.assert_allclose(var_s[fin], (c.survival * (1 - c.survival) / time.size)[fin],
                               rtol=1e-9, atol=1e-15)


@SETTINGS
@given(survival_data(max_n=50, groups=3), st.permutations([0, 1, 2]), st.sampled_from([0.0, 1.0, 0.5]))
def test_relabelling_groups_permutes_logrank(data, perm, rho) -> None:
    time, event, group = data
    if np.unique(group).size < 2:
        group = np.arange(time.size) % 3
        if time.size < 2:
            return
    names = np.array(["a", "b", "c"])
    relabelled = np.array(perm)[group]
    a = logrank(time, event, names[group], rho=rho)
    b = logrank(time, event, names[relabelled], rho=rho)
    np.testing.assert_allclose(b.chisq, a.chisq, rtol=1e-9, atol=1e-12)
    assert a.df == b.df
    # group labelled names[g] in a is names[perm[g]] in b
    index_b = {label: i for i, label in enumerate(b.groups)}
    order = [index_b[names[perm[list(names).index(label)]]] for label in a.groups]
    np.testing.assert_allclose(b.observed[order], a.observed, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.expected[order], a.expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.var[np.ix_(order, order)], a.var, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(survival_data(max_n=50, groups=2))
def test_logrank_observed_equals_events_and_totals_balance(data) -> None:
    time, event, group = data
    if np.unique(group).size < 2:
        return
    lr = logrank(time, event, group)
    np.testing.assert_array_equal(lr.observed, [event[group == g].sum() for g in (0, 1)])
    np.testing.assert_allclose(lr.expected.sum(), event.sum(), rtol=1e-12)
    np.testing.assert_allclose(lr.var.sum(axis=1), 0, atol=1e-9)


@st.composite
def counting_process(draw, max_n: int = 30):
    n = draw(st.integers(1, max_n))
    entry = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), dtype=float)
    length = np.array(draw(st.lists(st.integers(1, 15), min_size=n, max_size=n)), dtype=float)
    half = draw(st.booleans())
    if half:  # non-integer times take the sort-based path
        entry = entry + 0.5 * np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    strata = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    group = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return entry, entry + length, event, strata, group


def _brute_force(entry, exit_, event, strata, group):
    rows = []
    for s in range(3):
        times = np.unique(exit_[strata == s])
        for t in times:
            at = (strata == s) & (entry < t) & (exit_ >= t)
            ex = (strata == s) & (exit_ == t)
            rows.append((s, t, [[(at & (group == g)).sum(), (ex & event & (group == g)).sum(),
                                 (ex & ~event & (group == g)).sum()] for g in (0, 1)]))
    return rows


@SETTINGS
@given(counting_process())
def test_risk_table_matches_brute_force_counts(data) -> None:
    entry, exit_, event, strata, group = data
    table = agg.risk_table(exit_, event, entry=entry, strata=strata, n_strata=3, group=group, n_groups=2)
    expected = _brute_force(entry, exit_, event, strata, group)
    assert table.time.size == len(expected)
    for r, (s, t, counts) in enumerate(expected):
        assert table.stratum[r] == s and table.time[r] == t
        counts = np.array(counts, dtype=float)
        np.testing.assert_array_equal(table.n_risk[r], counts[:, 0])
        np.testing.assert_array_equal(table.n_event[r], counts[:, 1])
        np.testing.assert_array_equal(table.n_censor[r], counts[:, 2])


@SETTINGS
@given(counting_process())
def test_dense_and_sparse_producers_agree(data) -> None:
    entry, exit_, event, strata, group = data
    kwargs = dict(entry=entry, strata=strata, n_strata=3, group=group, n_groups=2, row_index=True)
    dense = agg.risk_table(exit_, event, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(agg, "_DENSE_MIN", 0)
        mp.setattr(agg, "_DENSE_FACTOR", 0)
        sparse = agg.risk_table(exit_, event, **kwargs)
    for name in ("time", "stratum", "offsets", "n_event", "n_censor", "n_risk", "n_records", "row"):
        np.testing.assert_array_equal(getattr(sparse, name), getattr(dense, name), err_msg=name)
    # The row index points every record at its own (stratum, exit time) row.
    np.testing.assert_array_equal(dense.time[dense.row], exit_)
    np.testing.assert_array_equal(dense.stratum[dense.row], strata)


@SETTINGS
@given(survival_data(max_n=40, integer=True, groups=2))
def test_integer_and_general_time_paths_agree(data) -> None:
    """Times on a day grid (bincount path) and the same times scaled off the grid (sort path)."""
    time, event, group = data
    a = kaplan_meier(time, event, group)
    b = kaplan_meier(time * 0.37 + 0.1, event, group)  # order-preserving, not integer
    for label in a.curves:
        ca, cb = a.curves[label], b.curves[label]
        np.testing.assert_allclose(cb.time, ca.time * 0.37 + 0.1, rtol=1e-12)
        for name in ("n_risk", "n_event", "n_censor", "survival", "std_err", "cumhaz"):
            np.testing.assert_array_equal(getattr(cb, name), getattr(ca, name), err_msg=name)


def test_distinct_times_merges_near_ties_as_r() -> None:
    """R's aeqSurv: times within sqrt(eps) relative to the mean are one time (the first)."""
    t = np.array([1.0, 1.0 + 1e-12, 2.0, 3.0])
    times, index = agg.distinct_times(t)
    np.testing.assert_array_equal(times, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(index, [0, 0, 1, 2])
    times, index = agg.distinct_times(t, timefix=False)
    assert times.size == 4
