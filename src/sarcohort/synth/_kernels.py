"""Numerical kernels of the synthetic generator: plain numpy, no pandas.

Each function takes a :class:`numpy.random.Generator` (or arrays) and returns
arrays; they hold the few ideas the generator is built from: stratified
uniforms, exact weighted selection, bounded samples with an exact mean and
range, and proportional-hazards event times with a time-dependent effect.
"""

from __future__ import annotations

import numpy as np


def stratified_uniform(rng: np.random.Generator, groups: np.ndarray, stratified: bool = True) -> np.ndarray:
    """Uniform(0, 1) draws, one per element, stratified within each group.

    Within a group of size m the draws are ``(pi_i + V_i) / m`` with ``pi`` a random
    permutation of ``0..m-1`` and ``V_i`` iid uniform: each slice ``[j/m, (j+1)/m)``
    holds exactly one draw, so every group's sample matches the target distribution
    closely (Latin hypercube sampling). Marginally each draw is still Uniform(0, 1).
    With ``stratified=False`` the draws are plain iid uniforms.
    """
    n = int(groups.shape[0])
    v: np.ndarray = rng.random(size=(n,))
    if not stratified:
        return v
    # rank of each element inside its group, in random order: sort by (group, random key)
    key: np.ndarray = rng.random(size=(n,))
    order = np.lexsort((key, groups))
    g_sorted = groups[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    sizes = np.diff(np.r_[starts, n])
    rank_sorted = np.arange(n) - np.repeat(starts, sizes)
    size_sorted = np.repeat(sizes, sizes)
    u = np.empty(n)
    u[order] = (rank_sorted + v[order]) / size_sorted
    return u


def weighted_order(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """A random order of the elements, drawn by weight without replacement.

    Efraimidis-Spirakis keys ``U**(1/w)`` sorted in decreasing order: the first k
    elements of the order are a weighted random sample without replacement of size k.
    Elements with weight 0 come last, in random order.
    """
    w = np.asarray(weights, dtype=float)
    u = rng.random(w.size)
    pos = w > 0
    with np.errstate(divide="ignore"):
        keys = np.where(pos, np.log(u) / np.where(pos, w, 1.0), 0.0)
    # primary: positive weights first; then decreasing key; zero weights by u (random)
    return np.lexsort((u, -keys, ~pos))


def weighted_choice(rng: np.random.Generator, k: int, weights: np.ndarray) -> np.ndarray:
    """Boolean mask selecting exactly ``k`` elements, without replacement, by weight.

    The first ``k`` elements of :func:`weighted_order`. Elements with weight 0 are
    chosen only if fewer than ``k`` elements have a positive weight.
    """
    mask = np.zeros(np.asarray(weights).size, dtype=bool)
    order = weighted_order(rng, weights)
    mask[order[:k]] = True
    return mask


def _kumaraswamy_quantile(u: np.ndarray, a: float, b: float) -> np.ndarray:
    return (1.0 - (1.0 - u) ** (1.0 / b)) ** (1.0 / a)


def bounded_with_mean(
    u: np.ndarray, lo: float, hi: float, mean: float, a: float
) -> np.ndarray:
    """Values on ``[lo, hi]`` with the extremes hit exactly and a given sample mean.

    The element with the smallest ``u`` becomes ``lo`` and the one with the largest
    ``hi``; the others are Kumaraswamy(a, b) quantiles of their ``u`` on ``(lo, hi)``,
    with ``b`` solved by bisection so the mean of all values equals ``mean``
    (to 1e-10; clipped to the attainable range when the target cannot be met).
    """
    m = u.size
    out = np.empty(m)
    if m == 0:
        return out
    if m == 1:
        out[:] = min(max(mean, lo), hi)
        return out
    order = np.argsort(u)
    out[order[0]], out[order[-1]] = lo, hi
    inner = order[1:-1]
    if inner.size == 0:
        return out
    target = (mean * m - lo - hi) / inner.size
    target01 = min(max((target - lo) / (hi - lo), 1e-6), 1 - 1e-6)
    # keep the inner quantiles strictly inside (0, 1)
    ui = np.clip(u[inner], 1e-9, 1 - 1e-9)
    lo_b, hi_b = np.log(1e-3), np.log(1e4)  # mean is decreasing in b
    for _ in range(80):
        mid = 0.5 * (lo_b + hi_b)
        before = (lo_b, hi_b)
        if _kumaraswamy_quantile(ui, a, np.exp(mid)).mean() > target01:
            lo_b = mid
        else:
            hi_b = mid
        if (lo_b, hi_b) == before:  # the interval is one float wide: every further step
            break                   # repeats this one (the same b as 80 steps)
    out[inner] = lo + (hi - lo) * _kumaraswamy_quantile(ui, a, np.exp(0.5 * (lo_b + hi_b)))
    return out


def weibull_ph_times(
    e: np.ndarray,
    lp: np.ndarray,
    gamma: np.ndarray,
    s: np.ndarray,
    shape: float,
    scale: float,
) -> np.ndarray:
    """Event times of a Weibull PH model with a time-dependent effect from ``s`` on.

    Baseline cumulative hazard ``H0(t) = (t / scale)**shape``. Before ``s`` the hazard
    is ``h0(t) exp(lp)``, after ``s`` it is ``h0(t) exp(lp + gamma)``. Where ``s`` is
    finite the time is drawn *given survival to s* (the patient is event-free when
    treated): ``exp(lp + gamma) (H0(T) - H0(s)) = e``; elsewhere ``exp(lp) H0(T) = e``.
    ``e`` are unit-exponential variates.
    """
    treated = np.isfinite(s)
    h_s = np.where(treated, (np.where(treated, s, 0.0) / scale) ** shape, 0.0)
    rate = np.exp(lp + np.where(treated, gamma, 0.0))
    return scale * (h_s + e / rate) ** (1.0 / shape)


def clayton_conditional(u: np.ndarray, w: np.ndarray, theta: float) -> np.ndarray:
    """Second coordinate of a Clayton copula given the first.

    Returns ``v`` with ``(u, v)`` Clayton(theta)-distributed when ``w`` is an
    independent uniform (inverse of the conditional distribution ``C(v | u)``);
    lower-tail dependent: early deaths go with early progressions.
    """
    return ((w ** (-theta / (1.0 + theta)) - 1.0) * u ** (-theta) + 1.0) ** (-1.0 / theta)
