"""``numpy.unique(values, return_inverse=True)`` without sorting every value.

A registry's follow-up in fractional months (days / 30.4375) has a million values but a
few thousand distinct ones: one hash pass (:func:`pandas.factorize`) and a sort of the
distinct values alone give the same two arrays, bit for bit, at a fraction of the cost of
numpy's sort of every value (pandas is imported then only). Data with many distinct values, small data, missing or
infinite values and signed zeros (whose kept sign numpy's unstable sort decides) take
:func:`numpy.unique` itself.
"""

from __future__ import annotations

import numpy as np

#: Below this many values numpy's sort costs less than the hash pass.
HASHED_MIN_ROWS = 65_536
#: Values looked at to judge whether the distinct values are few (a strided sample).
_SAMPLE = 4096


def few_distinct(values: np.ndarray) -> bool:
    """Whether a strided sample of ``values`` repeats itself (under 90% distinct): few
    distinct values among many, where hashing beats sorting."""
    sample = values[:: max(1, values.size // _SAMPLE)][:_SAMPLE]
    return np.unique(sample).size < 0.9 * sample.size


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values and each value's index among them (int64, flat): the
    arrays of ``np.unique(values, return_inverse=True)``, bit for bit.

    Examples
    --------
    >>> u, i = unique_inverse(np.array([5.0, 3.0, 5.0, 1.0]))
    >>> u.tolist(), i.tolist()
    ([1.0, 3.0, 5.0], [2, 1, 2, 0])
    """
    values = np.asarray(values)
    if (values.dtype == np.float64 and values.ndim == 1 and values.size >= HASHED_MIN_ROWS
            and few_distinct(values) and bool(np.isfinite(values).all())
            and not bool(np.signbit(values).any())):
        # finite, no -0.0: equal values are the same bits, so the distinct values and their
        # order do not depend on which sort or which occurrence is kept
        import pandas as pd  # big data only: the survival core imports no pandas up front

        codes, distinct = pd.factorize(values, sort=False)
        order = np.argsort(distinct)
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size, dtype=np.int64)
        return np.asarray(distinct)[order], rank[codes]
    distinct, index = np.unique(values, return_inverse=True)
    return distinct, index.astype(np.int64).reshape(-1)
