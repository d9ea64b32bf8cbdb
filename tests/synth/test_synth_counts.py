"""Exact published counts and distributions of the synthetic cohort.

Oracle: the published abstract (sarcohort/synth/data/published.toml, checked against
../shared/study/reference-study.md by hand) and, for other n, proportional
scaling computed by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.synth import derive, generate, load_published

SEEDS = [0, 1, 2, 7, 123, 2024]
PUB = load_published()["published"]


@pytest.mark.parametrize("sampling", ["stratified", "iid"])
@pytest.mark.parametrize("seed", SEEDS)
def test_published_counts_exact_for_any_seed(seed: int, sampling: str) -> None:
    c = generate(seed=seed, sampling=sampling)
    d = derive(c.patients, c.treatments)
    assert len(d) == PUB["n_patients"]["value"] == 120
    assert d["synchronous"].sum() == PUB["synchronous"]["value"] == 36
    assert (~d["synchronous"]).sum() == PUB["metachronous"]["value"] == 84
    assert d["male"].sum() == PUB["male"]["value"] == 74
    assert (~d["male"]).sum() == PUB["female"]["value"] == 46
    assert d["lung"].sum() == PUB["met_lung"]["value"] == 91
    assert d["bone"].sum() == PUB["met_bone"]["value"] == 11
    assert d["other"].sum() == PUB["met_other"]["value"] == 24
    assert (d["lung"] | d["bone"] | d["other"]).all()  # every patient has a site
    no_sys = d["no_systemic"]
    assert no_sys.sum() == PUB["no_systemic_treatment"]["value"] == 13
    assert not (no_sys & d["synchronous"]).any()  # all metachronous
    assert d["in_trial"].sum() == PUB["in_trial"]["value"] == 39
    assert d["local"].sum() == PUB["local_treatment"]["value"] == 81
    assert (d["surgery"] <= d["local"]).all()
    assert len(c.patients["centre"].unique()) == PUB["centres"]["value"] == 15


@pytest.mark.parametrize("seed", SEEDS)
def test_age_and_time_to_metastasis_hit_mean_and_range(seed: int) -> None:
    d = derive(*(lambda c: (c.patients, c.treatments))(generate(seed=seed)))
    age = d["age"]
    # published: mean 30, range 18-53 (as printed: integer years)
    assert abs(age.mean() - PUB["age"]["mean"]) < 0.01
    assert int(age.min()) == 18 and round(age.min()) == 18
    assert int(age.max()) == 53 and round(age.max()) == 53
    ttm = d.loc[~d["synchronous"], "ttm_months"]
    # published: mean 22, range 4-97 months
    assert abs(ttm.mean() - PUB["time_to_metachronous_metastasis"]["mean"]) < 0.01
    assert round(ttm.min()) == 4 and round(ttm.max()) == 97
    assert ttm.min() >= 4.0 and ttm.max() <= 97.0
    met = pd.to_datetime(generate(seed=seed).patients["first_metastasis_date"])
    assert met.dt.year.min() >= 2009 and met.dt.year.max() <= 2018


def test_counts_scale_proportionally() -> None:
    # n = 240: every count doubles exactly
    d = derive(*(lambda c: (c.patients, c.treatments))(generate(n=240, seed=3)))
    assert (d["synchronous"].sum(), d["male"].sum()) == (72, 148)
    assert (d["lung"].sum(), d["bone"].sum(), d["other"].sum()) == (182, 22, 48)
    assert (d["no_systemic"].sum(), d["in_trial"].sum(), d["local"].sum()) == (26, 78, 162)
    # n = 60: halves; 81/2 = 40.5 -> 41, 39/2 = 19.5 -> 20, 13/2 = 6.5 -> 7 (half up)
    d = derive(*(lambda c: (c.patients, c.treatments))(generate(n=60, centres=5, seed=3)))
    assert (d["synchronous"].sum(), d["male"].sum()) == (18, 37)
    assert (d["no_systemic"].sum(), d["in_trial"].sum(), d["local"].sum()) == (7, 20, 41)
    assert len(d) == 60


def test_deterministic_for_a_seed() -> None:
    a, b = generate(seed=42, messy=True), generate(seed=42, messy=True)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.treatments, b.treatments)
    pd.testing.assert_frame_equal(a.faults, b.faults)
    c = generate(seed=43)
    assert not c.patients["birth_date"].equals(generate(seed=42).patients["birth_date"])


def test_more_than_5_count_is_the_assumed_one() -> None:
    asm = load_published()["assumptions"]
    d = derive(*(lambda c: (c.patients, c.treatments))(generate(seed=5)))
    assert d["more_than_5"].sum() == asm["more_than_5"]["value"]
    assert (generate(seed=5).patients["n_metastases"] >= 1).all()


def test_patient_ids_unique_and_pseudonymous() -> None:
    p = generate(seed=9).patients
    assert p["patient_id"].is_unique
    assert p["patient_id"].str.fullmatch(r"SYN-\d{2}-\d{4}").all()
    # the centre number in the id is the patient's centre
    assert (p["patient_id"].str[4:6] == p["centre"].str[-2:]).all()
    assert np.array_equal(p.columns, [
        "patient_id", "centre", "sex", "birth_date", "primary_diagnosis_date",
        "first_metastasis_date", "n_metastases", "met_lung", "met_bone", "met_other",
        "progression_date", "death_date", "last_followup_date"])
