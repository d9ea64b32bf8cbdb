"""SurvivalData validation and R's status codings (R's Surv() documentation is the oracle)."""

import numpy as np
import pytest

from sarcohort.exceptions import InputError
from sarcohort.stats.survdata import SurvivalData, normalize_event


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([0, 1, 1], [False, True, True]), ([1, 2, 2], [False, True, True]), ([True, False], [True, False]),
     ([1, 1], [True, True]), ([2, 2], [True, True]), ([0.0, 1.0], [False, True])],
)
def test_event_codings(codes, expected):
    assert normalize_event(codes).tolist() == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time": [1, -1], "event": [1, 0]}, "non-negative"),
        ({"time": [1, np.nan], "event": [1, 0]}, "finite"),
        ({"time": [1, 2], "event": [1, 3]}, "event codes"),
        ({"time": [1, 2], "event": [1]}, "length"),
        ({"time": [], "event": []}, "no observations"),
        ({"time": [1, 2], "event": [1, 0], "entry": [0, 2]}, "entry must be before exit"),
        ({"time": [1, 2], "event": ["a", "b"]}, "numeric"),
    ],
)
def test_bad_input_names_argument(kwargs, match):
    with pytest.raises(InputError, match=match) as info:
        SurvivalData.from_arrays(**kwargs)
    assert info.value.argument in ("time", "event", "entry")


def test_arrays_are_read_only():
    data = SurvivalData.from_arrays([3, 1], [1, 0], entry=[0, 0])
    assert data.n == 2 and not data.time.flags.writeable and data.entry is not None
