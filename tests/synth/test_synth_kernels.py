"""The generator's numerical kernels, against closed-form hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from sarcohort.synth._kernels import (
    bounded_with_mean,
    clayton_conditional,
    stratified_uniform,
    weibull_ph_times,
    weighted_choice,
)
from sarcohort.synth._params import largest_remainder


def test_stratified_uniform_one_draw_per_slice() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat([3, 1, 2], [10, 7, 1])[rng.permutation(18)]
    u = stratified_uniform(rng, groups)
    assert ((u >= 0) & (u < 1)).all()
    for g in (1, 2, 3):
        ug = u[groups == g]
        m = ug.size
        # slice j/m..(j+1)/m holds exactly one draw
        assert sorted(np.floor(ug * m).astype(int)) == list(range(m))


def test_weighted_choice_exact_and_never_zero_weight() -> None:
    rng = np.random.default_rng(1)
    w = np.r_[np.zeros(50), np.ones(50)]
    for k in (0, 1, 30, 50):
        m = weighted_choice(rng, k, w)
        assert m.sum() == k and not m[:50].any()
    m = weighted_choice(rng, 60, w)  # infeasible without zeros: all positives + 10 zeros
    assert m.sum() == 60 and m[50:].all()


def test_weighted_choice_follows_weights() -> None:
    # inclusion of a single draw (k = 1) is proportional to weight: P = w_i / sum(w)
    rng = np.random.default_rng(2)
    w = np.array([1.0, 3.0])
    hits = sum(weighted_choice(rng, 1, w)[1] for _ in range(4000))
    assert abs(hits / 4000 - 0.75) < 0.03


@pytest.mark.parametrize(("lo", "hi", "mean", "a"), [(18.25, 53.25, 30.0, 1.3), (4.0, 97.0, 22.0, 1.1)])
def test_bounded_with_mean_hits_range_and_mean(lo: float, hi: float, mean: float, a: float) -> None:
    u = np.random.default_rng(3).random(84)
    x = bounded_with_mean(u, lo, hi, mean, a)
    assert x.min() == lo and x.max() == hi
    assert abs(x.mean() - mean) < 1e-9
    assert x[np.argmin(u)] == lo and x[np.argmax(u)] == hi
    # monotone in u: a quantile transform
    assert np.all(np.diff(x[np.argsort(u)]) >= 0)


def test_weibull_ph_times_closed_form() -> None:
    shape, scale = 1.5, 10.0
    e = np.array([0.1, 1.0, 2.0, 0.5])
    lp = np.array([0.0, 0.7, -0.3, 0.2])
    gamma = np.array([0.0, 0.0, -0.5, -0.5])
    s = np.array([np.inf, np.inf, 2.0, 4.0])
    t = weibull_ph_times(e, lp, gamma, s, shape, scale)
    h0 = (t / scale) ** shape
    # untreated: exp(lp) H0(T) = e
    np.testing.assert_allclose(np.exp(lp[:2]) * h0[:2], e[:2], rtol=1e-12)
    # treated: event-free at s, then exp(lp + gamma) (H0(T) - H0(s)) = e
    hs = (s[2:] / scale) ** shape
    np.testing.assert_allclose(np.exp(lp[2:] + gamma[2:]) * (h0[2:] - hs), e[2:], rtol=1e-12)
    assert (t[2:] > s[2:]).all()


def test_clayton_conditional_inverts_the_conditional_cdf() -> None:
    theta = 2.0
    u = np.array([0.1, 0.5, 0.9, 0.3])
    w = np.array([0.2, 0.5, 0.7, 0.95])
    v = clayton_conditional(u, w, theta)
    # C(u, v) = (u^-t + v^-t - 1)^(-1/t); dC/du = u^(-t-1) (u^-t + v^-t - 1)^(-1/t - 1) = w
    cond = u ** (-theta - 1) * (u ** -theta + v ** -theta - 1) ** (-1 / theta - 1)
    np.testing.assert_allclose(cond, w, rtol=1e-12)


def test_largest_remainder_by_hand() -> None:
    assert largest_remainder([36, 84], 120).tolist() == [36, 84]
    assert largest_remainder([36, 84], 60).tolist() == [18, 42]
    # 74/46 of 61: 37.62 / 23.38 -> 38 / 23
    assert largest_remainder([74, 46], 61).tolist() == [38, 23]
    assert largest_remainder([1, 1, 1], 2).tolist() == [1, 1, 0]  # ties: earlier first


def test_bounded_with_mean_stops_where_the_bisection_stands_still():
    """The bisection on b stops once its interval is one float wide: the values are those
    of the full 80 steps (oracle: the 80-step loop, written out here), bit for bit."""
    from sarcohort.synth._kernels import _kumaraswamy_quantile, bounded_with_mean

    def eighty_steps(u, lo, hi, mean, a):
        m = u.size
        out = np.empty(m)
        order = np.argsort(u)
        out[order[0]], out[order[-1]] = lo, hi
        inner = order[1:-1]
        target = (mean * m - lo - hi) / inner.size
        target01 = min(max((target - lo) / (hi - lo), 1e-6), 1 - 1e-6)
        ui = np.clip(u[inner], 1e-9, 1 - 1e-9)
        lo_b, hi_b = np.log(1e-3), np.log(1e4)
        for _ in range(80):
            mid = 0.5 * (lo_b + hi_b)
            if _kumaraswamy_quantile(ui, a, np.exp(mid)).mean() > target01:
                lo_b = mid
            else:
                hi_b = mid
        out[inner] = lo + (hi - lo) * _kumaraswamy_quantile(ui, a, np.exp(0.5 * (lo_b + hi_b)))
        return out

    rng = np.random.default_rng(2)
    for _ in range(40):
        u = rng.random(int(rng.integers(3, 3000)))
        lo, hi = 1.0, float(rng.uniform(2, 40))
        mean = float(rng.uniform(lo - 1, hi + 1))  # unattainable targets too
        a = float(rng.uniform(0.5, 4))
        np.testing.assert_array_equal(bounded_with_mean(u, lo, hi, mean, a),
                                      eighty_steps(u, lo, hi, mean, a))
