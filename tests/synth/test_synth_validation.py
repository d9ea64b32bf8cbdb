"""The synthetic cohort passes the validator; every injected fault is caught by its rule.

Both entry points are checked: the cohort pipeline and the validator alone.
"""

from __future__ import annotations

import pytest

from sarcohort.cohort import cohort_from_frames
from sarcohort.data.validation._validate import validate_frames
from sarcohort.synth import generate


def _errors_cohort(patients, treatments):  # noqa: ANN001, ANN202
    return cohort_from_frames(patients, treatments).report.errors


def _errors_model(patients, treatments):  # noqa: ANN001, ANN202
    return validate_frames(patients, treatments).errors


@pytest.mark.parametrize("errors", [_errors_cohort, _errors_model], ids=["cohort", "model"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_cohort_has_no_validation_error(errors, seed: int) -> None:  # noqa: ANN001
    c = generate(seed=seed)
    assert list(errors(c.patients, c.treatments)) == []


@pytest.mark.parametrize("errors", [_errors_cohort, _errors_model], ids=["cohort", "model"])
@pytest.mark.parametrize("seed", [0, 3])
def test_each_fault_caught_by_its_rule(errors, seed: int) -> None:  # noqa: ANN001
    c = generate(seed=seed, messy=True)
    found = {(p.row, p.rule) for p in errors(c.patients, c.treatments)}
    for f in c.faults.itertuples():
        assert (f.row, f.rule) in found, f"{f.fault} on row {f.row} not caught by {f.rule}"
