"""Batched Cox refits (bootstrap replicates as frequency weights).

Oracle: the one-by-one fit ``sc.cox`` (itself checked against R's coxph) on the resampled rows
(Efron: the drawn rows repeated; Breslow: also the original rows with case weights); 1e-8.
"""

from __future__ import annotations

import numpy as np
import pytest

import sarcohort as sc
from sarcohort.stats._concordance_batch import concordance_batch
from sarcohort.stats._cox_batch import cox_batch
from sarcohort.stats.concordance import concordance
from sarcohort.stats.validate_cox import bootstrap_counts


def _data(n: int = 60, seed: int = 5):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(50, 10, n), rng.integers(0, 2, n), rng.normal(size=n)])
    time = np.ceil(rng.exponential(np.exp(-0.03 * (X[:, 0] - 50) + 0.5 * X[:, 1]) * 12))  # ties
    event = rng.random(n) < 0.7
    return time, event, X, bootstrap_counts(n, 12, rng)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_batch_equals_one_by_one(ties: str) -> None:
    time, event, X, counts = _data()
    got = cox_batch(time, event, X, counts, ties=ties)
    assert got.converged.all()
    for b in range(counts.shape[0]):
        rows = np.repeat(np.arange(time.size), counts[b].astype(int))
        ref = sc.cox(time[rows], event[rows], X[rows], ties=ties)
        np.testing.assert_allclose(got.coef[b], ref.coef, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(got.loglik[b], ref.loglik, rtol=1e-8)
        np.testing.assert_allclose(got.loglik_null[b], ref.loglik_null, rtol=1e-8)
        np.testing.assert_allclose(got.var[b], ref.var, rtol=1e-7)
        if ties == "breslow":  # frequency weights = case weights for Breslow
            used = counts[b] > 0
            refw = sc.cox(time[used], event[used], X[used], ties=ties, weights=counts[b][used])
            np.testing.assert_allclose(got.coef[b], refw.coef, rtol=1e-8, atol=1e-12)


def test_batch_with_strata_and_per_replicate_designs() -> None:
    time, event, X, counts = _data(seed=9)
    strata = (X[:, 1] > 0).astype(int)
    got = cox_batch(time, event, X[:, [0, 2]], counts, strata=strata)
    for b in range(3):
        rows = np.repeat(np.arange(time.size), counts[b].astype(int))
        ref = sc.cox(time[rows], event[rows], X[rows][:, [0, 2]], strata=strata[rows])
        np.testing.assert_allclose(got.coef[b], ref.coef, rtol=1e-8, atol=1e-12)
    # one covariate per replicate (the calibration-slope fits)
    lp = np.stack([X[:, 0] * 0.01 * (k + 1) + X[:, 2] for k in range(3)])[:, :, None]
    got = cox_batch(time, event, lp)
    for k in range(3):
        np.testing.assert_allclose(got.coef[k], sc.cox(time, event, lp[k]).coef, rtol=1e-8)


def test_concordance_batch_equals_r_definition_on_resampled_rows() -> None:
    time, event, X, counts = _data(seed=3)
    lp = np.round(X @ np.array([0.03, 0.5, 0.2]), 1)[None, :] * np.ones((4, 1))  # tied scores too
    got = concordance_batch(time, event, lp, counts[:4])
    for b in range(4):
        rows = np.repeat(np.arange(time.size), counts[b].astype(int))
        assert got[b] == pytest.approx(concordance(time[rows], event[rows], lp[b][rows]).value, rel=1e-12)
    assert concordance_batch(time, event, lp[:1])[0] == pytest.approx(concordance(time, event, lp[0]).value)
