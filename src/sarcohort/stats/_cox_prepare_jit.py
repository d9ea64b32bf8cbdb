"""Compiled (numba) helpers of the Cox data preparation (:mod:`sarcohort.stats._cox_prepare`).

Imported lazily (never by ``import sarcohort``), compiled once and cached on disk. Both
helpers give exactly what the numpy code they replace gives (a permutation, copied values),
whatever the number of threads:

* :func:`small_key_order`: the stable order of the rows by (stop time, deaths first) when
  every stop time is a whole number of units above the smallest one and the span is small
  (follow-up in days): a counting sort, histograms per fixed chunk of rows in parallel;
* :func:`gather_transpose`: ``X[order].T`` as a contiguous (p, n) array, the rows gathered in
  parallel blocks (each input row is one cache line for p = 8).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_CHUNKS = 16  # fixed row chunks of the counting sort (the permutation is unique anyway)
_BLOCK = 16384  # rows per parallel block of the gather


@njit(cache=True)
def _keys(stop, event, tmin, nkeys):  # pragma: no cover
    """key = 2 (stop - tmin) + censored as int32, or an empty array when some stop - tmin is not
    a whole number or a key is not below ``nkeys``."""
    n = stop.shape[0]
    key = np.empty(n, dtype=np.int32)
    for i in range(n):
        d = stop[i] - tmin
        k = int(d)
        if k != d or 2 * k + 1 >= nkeys:
            return np.empty(0, dtype=np.int32)
        key[i] = 2 * k + (0 if event[i] else 1)
    return key


@njit(cache=True, parallel=True)
def _counting_order(key, nkeys):  # pragma: no cover
    """Stable counting sort of ``key`` (int32, 0 <= key < nkeys): the permutation."""
    n = key.shape[0]
    nchunk = min(_CHUNKS, max(1, n))
    cuts = np.empty(nchunk + 1, dtype=np.int64)
    for c in range(nchunk + 1):
        cuts[c] = c * n // nchunk
    counts = np.zeros((nchunk, nkeys), dtype=np.int64)
    for c in prange(nchunk):
        for i in range(cuts[c], cuts[c + 1]):
            counts[c, key[i]] += 1
    # start of (key k, chunk c): all smaller keys, then key k in the earlier chunks
    pos = 0
    for k in range(nkeys):
        for c in range(nchunk):
            cnt = counts[c, k]
            counts[c, k] = pos
            pos += cnt
    order = np.empty(n, dtype=np.intp)
    for c in prange(nchunk):
        for i in range(cuts[c], cuts[c + 1]):
            k = key[i]
            order[counts[c, k]] = i
            counts[c, k] += 1
    return order


def small_key_order(stop: np.ndarray, event: np.ndarray, max_span: int) -> np.ndarray | None:
    """Stable order by (stop, deaths first), or None unless every ``stop - min(stop)`` is a
    whole number below ``max_span`` (then a counting sort over ``2 * max_span`` keys).

    Parameters
    ----------
    stop
        Stop times (float64).
    event
        Event indicators (bool).
    max_span
        Largest number of distinct whole-number offsets handled.

    Returns
    -------
    numpy.ndarray or None
        The permutation (sorted position -> row), equal to
        ``np.lexsort((~event, stop))``.
    """
    stop = np.ascontiguousarray(stop, dtype=float)
    tmin = float(stop.min())
    key = _keys(stop, np.ascontiguousarray(event, dtype=np.bool_), tmin, 2 * max_span)
    if key.shape[0] != stop.shape[0]:
        return None
    return _counting_order(key, int(key.max()) + 1)


@njit(cache=True, parallel=True)
def _gather_transpose(X, order, XT):  # pragma: no cover
    n, p = X.shape
    nblock = (n + _BLOCK - 1) // _BLOCK
    for b in prange(nblock):
        lo = b * _BLOCK
        hi = min(n, lo + _BLOCK)
        for i in range(lo, hi):
            r = order[i]
            for a in range(p):
                XT[a, i] = X[r, a]


def gather_transpose(X: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``X[order].T`` as a contiguous (p, n) float64 array.

    Parameters
    ----------
    X
        (n, p) float64 array, C- or Fortran-ordered (other layouts are copied first).
    order
        Permutation of ``range(n)`` (sorted position -> row).

    Returns
    -------
    numpy.ndarray
        (p, n) array with ``XT[:, i] = X[order[i]]``.
    """
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        X = np.ascontiguousarray(X)
    XT = np.empty((X.shape[1], X.shape[0]))
    _gather_transpose(X, np.ascontiguousarray(order, dtype=np.intp), XT)
    return XT
