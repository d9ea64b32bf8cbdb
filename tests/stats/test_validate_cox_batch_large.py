"""Bootstrap concordance on registry-sized data never builds the n x n pair matrix.

Oracle: the pair-matrix computation itself on small data (forced through the O(n log n)
path by lowering the size limit), which tests/stats checks against rms::validate.
"""

from __future__ import annotations

import numpy as np

from sarcohort.stats import _concordance_batch as cb


def test_large_n_path_equals_the_pair_matrix(monkeypatch):
    rng = np.random.default_rng(3)
    n, B = 60, 5
    time = rng.integers(1, 20, n).astype(float)
    event = rng.random(n) < 0.7
    lp = rng.normal(size=(B, n)).round(1)  # ties in the score too
    counts = rng.multinomial(n, np.full(n, 1 / n), size=B)
    want = cb.concordance_batch(time, event, lp, counts)
    monkeypatch.setattr(cb, "_PAIRS_MAX", 10)
    got = cb.concordance_batch(time, event, lp, counts)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(cb.concordance_batch(time, event, lp),
                               [cb._one_by_one(time, event, lp[b:b + 1], None)[0] for b in range(B)],
                               rtol=1e-12)


def test_a_million_rows_needs_no_pair_matrix():
    rng = np.random.default_rng(4)
    n = 1_000_000
    time = rng.integers(1, 3650, n).astype(float)
    event = rng.random(n) < 0.7
    lp = rng.normal(size=(1, n))
    c = cb.concordance_batch(time, event, lp)
    assert 0.45 < c[0] < 0.55


def test_registry_sized_cohorts_skip_bootstrap_validation(monkeypatch):
    import pandas as pd

    from sarcohort.analysis import _validation as validation

    monkeypatch.setattr(validation, "BOOTSTRAP_MAX_PATIENTS", 10)
    data = pd.DataFrame({"x": np.arange(20.0)})
    val, note = validation.validate_model(
        "os", "Overall survival", np.arange(1.0, 21.0), np.ones(20, bool), data, ["x"], ["x"],
        selection="explicit", p_threshold=0.05, ties="efron", B=10, seed=1, horizon=None,
        conf_level=0.95)
    assert val is None and "not run above 10 patients" in note
