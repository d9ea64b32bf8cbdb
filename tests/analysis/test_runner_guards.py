"""What the runner refuses before computing anything: identifying columns, empty cohorts,
constant covariates (R would print NA; we never print a made-up hazard ratio)."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pytest

from sarcohort.cohort import cohort_from_frames
from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.protocol import parse_cohort
from sarcohort.study import Study
from sarcohort.synth import generate


def _protocol() -> dict:
    text = resources.files("sarcohort").joinpath("examples/reference-study/study.toml").read_text()
    return tomllib.loads(text)


@pytest.fixture(scope="module")
def synthetic():
    c = generate(seed=3)
    patients = c.patients.assign(name=[f"Jean Dupont {i}" for i in range(len(c.patients))],
                                 ipp=np.arange(100_000, 100_000 + len(c.patients)))
    return patients, c.treatments


def _run(doc: dict, patients, treatments):
    study = Study.from_dict(doc, "study.toml")
    cohort = cohort_from_frames(patients, treatments, parse_cohort(
        {k: doc[k] for k in ("inclusion", "endpoints", "derived") if k in doc}))
    return study.analyze(cohort)


@pytest.mark.parametrize(("derived", "shown"), [
    ({"who": "name"}, "who"),      # a [derived] alias of a free column holding names
    ({}, "name"),                  # the free column itself
    ({}, "ipp"),                   # a numeric hospital number: all-distinct whole numbers
])
def test_identifying_columns_are_refused(synthetic, derived, shown):
    doc = _protocol()
    doc["derived"] = {**doc["derived"], **derived}
    doc["analysis"]["descriptive"] = [*doc["analysis"]["descriptive"], shown]
    with pytest.raises(ProtocolError, match="identifier"):
        _run(doc, *synthetic)


def test_no_patient_left_names_the_exclusions(synthetic):
    doc = _protocol()
    doc["inclusion"] = {"age_min": 80}
    with pytest.raises(InputError, match="no patient left to analyse: 120 read, all excluded"):
        _run(doc, *synthetic)


def test_constant_covariate_fails_the_model_by_name(synthetic):
    doc = _protocol()
    doc["derived"] = {**doc["derived"], "everyone": "n_metastases > 0"}
    doc["analysis"]["multivariable"]["os"] = ["more_than_5_metastases", "everyone"]
    results = _run(doc, *synthetic)
    model = results.model("os")
    assert all(t.hr is None for t in model.terms)
    assert any("everyone" in w and "constant" in w for w in model.warnings)


def test_group_order_typo_is_reported(synthetic):
    doc = _protocol()
    doc["analysis"]["group_order"] = ["synchronous", "metachronus"]
    results = _run(doc, *synthetic)
    assert any("'metachronus'" in w and "spelling" in w for w in results.warnings)


def test_missing_treatments_are_flagged(synthetic):
    patients, treatments = synthetic
    results = _run(_protocol(), patients.drop(columns=["name", "ipp"]), treatments.iloc[:0])
    assert any("no treatment rows" in w and "Surgery of metastases" in w for w in results.warnings)
