"""Preparing data for the Cox kernel: R's centering values and the one sort.

Kept apart from :mod:`sarcohort.stats._cox_kernel` (the per-step arithmetic): these run once
per fit and are where the data's layout is decided (stable order by stratum, time and deaths
first; a counting sort for whole-number days; the sorted covariates transposed to (p, n)
rows). The big-data steps are compiled (:mod:`sarcohort.stats._cox_prepare_jit`, imported on
first use).
"""

from __future__ import annotations

import numpy as np

from sarcohort.stats._unique import HASHED_MIN_ROWS, few_distinct, unique_inverse


def center_means(XT: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """R's centering values of the columns (rows of ``XT``, p x n): means (weighted by the
    case weights, as ``coxph``), except 0 for columns with all values in {-1, 0, 1}
    (``coxph(nocenter = c(-1, 0, 1))``)."""
    return _means_and_bound(XT, weights)[0]


def _mean(col: np.ndarray, weights: np.ndarray | None) -> float:
    return float(col.mean()) if weights is None else float(col @ weights / weights.sum())


def _means_and_bound(XT: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """R's centering values and sum over columns of max |x - mean| (to bound |x b|)."""
    if XT.shape[1] <= 5000:  # small data: vectorised (fewer calls)
        if XT.shape[1] == 0:
            return np.zeros(XT.shape[0]), 0.0
        ax = np.abs(XT)
        zero_one = (ax * (ax - 1) == 0).all(axis=1)  # |x| in {0, 1}
        mean = XT.mean(axis=1) if weights is None else XT @ weights / weights.sum()
        means = np.where(zero_one, 0.0, mean)
        return means, float((ax.max(axis=1) + np.abs(means)).sum())
    means = np.empty(XT.shape[0])
    bound = 0.0
    for j, col in enumerate(XT):
        lo, hi = col.min(initial=0.0), col.max(initial=0.0)
        if lo >= -1 and hi <= 1 and np.all((col == 0) | (col == 1) | (col == -1)):
            means[j] = 0.0
        else:
            means[j] = _mean(col, weights)
        bound += max(abs(lo - means[j]), abs(hi - means[j]))
    return means, bound


def _sorted_transpose(X: np.ndarray, order: np.ndarray, block: int = 4096) -> np.ndarray:
    """``X[order].T`` as a contiguous (p, n) array: for big data by the compiled parallel gather
    (:func:`sarcohort.stats._cox_prepare_jit.gather_transpose`), else (or without numba) in row
    blocks (the gathered block is transposed while it is still in cache)."""
    n, p = X.shape
    if n <= 8 * block:
        return np.ascontiguousarray(np.take(X, order, axis=0).T)
    try:
        from sarcohort.stats._cox_prepare_jit import gather_transpose
    except ImportError:  # pragma: no cover - numba is a dependency
        XT = np.empty((p, n))
        for s in range(0, n, block):
            e = min(n, s + block)
            XT[:, s:e] = np.take(X, order[s:e], axis=0).T
        return XT
    return gather_transpose(X, order)


_SMALL_SPAN = 32767  # whole-number time spans sorted by counting (2 keys per time)


def _small_key_order(stop: np.ndarray, event: np.ndarray) -> np.ndarray | None:
    """The compiled counting sort (:func:`sarcohort.stats._cox_prepare_jit.small_key_order`), or
    the same order by numpy when numba is missing; None unless every time is a whole number
    of units above the smallest."""
    try:
        from sarcohort.stats._cox_prepare_jit import small_key_order
    except ImportError:  # pragma: no cover - numba is a dependency
        off = stop - stop.min()
        if not np.array_equal(off, np.floor(off)):
            return None
        key = (2 * off.astype(np.int64) + ~event).astype(np.uint16)
        return np.argsort(key, kind="stable")
    return small_key_order(stop, event, _SMALL_SPAN)


#: The last sorts of big data, ``(order, stop, event, strata)`` (the last three in that order):
#: the models of one endpoint (univariable, multivariable, naive) sort the same times again and
#: again.
_RECENT: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
_RECENT_MIN_ROWS = 100_000
_RECENT_KEPT = 2


def sorts_to(order: np.ndarray, st: np.ndarray, ev: np.ndarray, sk: np.ndarray | None,
             stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None) -> bool:
    """Whether ``order`` takes (``stop``, ``event``, ``strata``) to the sorted (``st``, ``ev``,
    ``sk``) of a remembered sort, values and dtypes (``None``: no strata). Then it is their
    stable order too: the same keys at the same sorted positions, each run of equal keys in
    increasing rows (a remembered sort is matched without a copy of its inputs)."""
    if stop.shape != order.shape or stop.dtype != st.dtype or event.dtype != ev.dtype:
        return False
    if (strata is None) != (sk is None) or (strata is not None and sk is not None and strata.dtype != sk.dtype):
        return False
    return (bool(np.array_equal(event[order], ev)) and bool(np.array_equal(stop[order], st))
            and (strata is None or (sk is not None and bool(np.array_equal(strata[order], sk)))))


def _sort_order(stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    """Stable order by (stratum, stop, deaths first); a radix (counting) sort when the key is a
    small integer, as for follow-up in days (:func:`sorted_rows`' order, the caller's copy)."""
    order = sorted_rows(stop, event, strata)[0]
    return order.copy() if stop.shape[0] >= _RECENT_MIN_ROWS else order


def sorted_rows(stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None, *,
                remember: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stable order by (stratum, stop, deaths first), with ``stop`` and ``event`` in that
    order. The sort of big data is remembered (:func:`sorts_to`; not with ``remember=False``,
    a sort that no fit will repeat): the order and the sorted times and events returned are
    the remembered arrays (never written to: the time structures of
    :mod:`sarcohort.stats._cox_kernel` only read them)."""
    if not remember or stop.shape[0] < _RECENT_MIN_ROWS:
        order = _new_sort_order(stop, event, strata)
        return order, stop[order], event[order]
    for order, st, ev, sk in _RECENT:
        if sorts_to(order, st, ev, sk, stop, event, strata):
            return order, st, ev
    order = _new_sort_order(stop, event, strata)
    st, ev = stop[order], event[order]
    _RECENT.insert(0, (order, st, ev, None if strata is None else strata[order]))
    del _RECENT[_RECENT_KEPT:]
    return order, st, ev


def in_order(stop: np.ndarray, event: np.ndarray) -> bool:
    """Whether the rows are sorted by (stop, deaths first) already, as rows put in
    :func:`~sarcohort.stats.cox.cox_row_order` are (a registry's split rows: one pass, not a
    second sort).

    >>> in_order(np.array([1.0, 2.0, 2.0]), np.array([False, True, False]))
    True
    >>> in_order(np.array([1.0, 2.0, 2.0]), np.array([False, False, True]))
    False
    """
    if not bool(np.all(stop[1:] >= stop[:-1])):
        return False
    event = np.asarray(event, dtype=bool)
    tied = stop[1:] == stop[:-1]
    tied &= event[1:]
    tied &= ~event[:-1]  # a death after a censored row at the same time
    return not bool(tied.any())


def _new_sort_order(stop: np.ndarray, event: np.ndarray, strata: np.ndarray | None,
                    ) -> np.ndarray:
    n = stop.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    if n <= 5000:
        if strata is None:
            return np.lexsort((~event, stop))
        return np.lexsort((~event, stop, strata))
    if strata is None:
        if in_order(stop, event):  # the stable sort of sorted rows leaves them where they are
            return np.arange(n)
        strata = np.zeros(1, dtype=np.int64)
    tmin, tmax = stop.min(), stop.max()
    if strata.size == 1 and tmax - tmin < _SMALL_SPAN:
        # one stratum, a short range of whole-number times (follow-up in days): counting sort
        order = _small_key_order(stop, event)
        if order is not None:
            return order
    integer_times = bool(np.all(stop == np.floor(stop))) if tmax - tmin < 2**40 else False
    censored = (~event).astype(np.int64)
    if integer_times:
        span = int(tmax - tmin) + 1
        key = (stop - tmin).astype(np.int64)
        if strata.size > 1:
            key += strata.astype(np.int64) * span
        key = key * 2 + censored
        if key.max() < 65536:
            return np.argsort(key.astype(np.uint16), kind="stable")
        return np.argsort(key, kind="stable")
    if strata.size == 1 and n >= HASHED_MIN_ROWS and few_distinct(stop):
        # fractional times with few distinct values (a registry's months from days): their
        # ranks are whole numbers in the same order, equal where the times are equal, so the
        # counting sort of the ranks is the stable order of the times
        order = _small_key_order(unique_inverse(stop)[1].astype(np.float64), event)
        if order is not None:
            return order
    return np.lexsort((censored, stop, np.broadcast_to(strata, (n,))))
