"""Linking by distinct ids (:func:`_match_unique`) gives what the factorizing path gives."""

import numpy as np
import pandas as pd
import pytest

from sarcohort.data.validation import _rules


def _run(pk: pd.DataFrame, tid: np.ndarray, rows: np.ndarray, unique: bool):
    n = len(tid)
    count, first = np.zeros(n, np.int64), np.full(n, -1, np.int64)
    tc, use_c = np.full(0, None, object), np.zeros(n, bool)
    if unique:
        _rules._match(pk, "id", tid, tc, use_c, rows, count, first)
    else:
        saved = _rules._match_unique
        _rules._match_unique = lambda *a: False
        try:
            _rules._match(pk, "id", tid, tc, use_c, rows, count, first)
        finally:
            _rules._match_unique = saved
    return count, first


@pytest.mark.parametrize("seed", range(6))
def test_same_links(seed):
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:04d}" for i in rng.permutation(500)] + [7, "7", 8.5], dtype=object)
    if seed % 2:  # a repeated id: the factorizing path
        ids[3] = ids[10]
    pk = pd.DataFrame({"id": ids, "pos": np.arange(len(ids)) * 2 + 1})
    pool = np.concatenate([ids, np.array(["nobody", None, np.nan], dtype=object)])
    tid = pool[rng.integers(0, len(pool), 2000)]
    rows = pd.notna(tid) & (rng.random(2000) < (1.0 if seed < 3 else 0.7))
    taken = _rules._match_unique(pk, "id", tid, rows, np.zeros(2000, np.int64),
                                 np.zeros(2000, np.int64))
    assert taken == (seed % 2 == 0)
    a, b = _run(pk, tid, rows, True), _run(pk, tid, rows, False)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert (a[0] > 0).any()
