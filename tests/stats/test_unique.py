"""unique_inverse: numpy.unique(return_inverse=True)'s arrays, bit for bit, by either path."""

from __future__ import annotations

import numpy as np
import pytest

from sarcohort.stats._unique import HASHED_MIN_ROWS, few_distinct, unique_inverse


def _numpy(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u, i = np.unique(values, return_inverse=True)
    return u, i.astype(np.int64).reshape(-1)


rng = np.random.default_rng(7)
N = HASHED_MIN_ROWS + 1000
CASES = {
    "fractional months (hashed)": rng.integers(0, 5000, N) / 30.4375,
    "all distinct": rng.random(N) * 100,
    "small": rng.integers(0, 50, 500) / 7.0,
    "with NaN": np.where(rng.random(N) < 0.01, np.nan, rng.integers(0, 300, N) / 7.0),
    "with -0.0": np.where(rng.random(N) < 0.5, -0.0, rng.integers(0, 300, N) / 7.0),
    "with inf": np.where(rng.random(N) < 0.01, np.inf, rng.integers(0, 300, N) / 7.0),
    "negative": rng.integers(-300, 300, N) / 7.0,
    "integers": rng.integers(0, 300, N),
    "float32": (rng.integers(0, 300, N) / 7.0).astype(np.float32),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_arrays_as_numpy(name: str) -> None:
    values = CASES[name]
    got, want = unique_inverse(values), _numpy(values)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert np.array_equal(g.view(np.uint8), w.view(np.uint8))  # the same bits


def test_signed_zero_kept_as_numpy_keeps_it() -> None:
    values = np.tile([0.0, -0.0, 1.5], HASHED_MIN_ROWS)
    got, want = unique_inverse(values), _numpy(values)
    assert np.array_equal(np.signbit(got[0]), np.signbit(want[0]))
    assert np.array_equal(got[1], want[1])


def test_fractional_months_take_the_hashed_path() -> None:
    assert few_distinct(CASES["fractional months (hashed)"])
    assert not few_distinct(CASES["all distinct"])
