"""What a saved cohort may contain: no identifier, no birth date, no free column."""

import json

import pandas as pd

from fixtures.example_cohort import example_tables
from sarcohort.cohort import Cohort, cohort_from_frames


def test_free_columns_stay_in_memory(tmp_path):
    patients, treatments = example_tables()
    patients["patient_name"] = "Jane Doe"
    cohort = cohort_from_frames(patients, treatments)
    assert "patient_name" in cohort.patients  # usable by [derived] expressions in memory
    cohort.save(tmp_path)
    saved = pd.read_parquet(tmp_path / "cohort.parquet")
    assert not {"patient_name", "grade", "patient_id", "birth_date"} & set(saved.columns)
    text = (tmp_path / "manifest.json").read_text()
    assert "Jane Doe" not in text and '"patient_name"' in text  # named as left out, never its values
    reloaded = Cohort.load(tmp_path)
    assert "patient_name" not in reloaded.patients.columns
    assert len(reloaded.patients) == len(cohort.patients)


def test_free_treatment_columns_stay_in_memory(tmp_path):
    patients, treatments = example_tables()
    treatments["prescriber"] = "Dr Gregory House"
    treatments["patient_name"] = "Jane Doe"
    cohort = cohort_from_frames(patients, treatments)
    assert "prescriber" in cohort.treatments  # in memory, as read
    assert cohort.treatment_columns_not_saved() == ["prescriber", "patient_name"]
    cohort.save(tmp_path)
    saved = pd.read_parquet(tmp_path / "treatments.parquet")
    assert not {"prescriber", "patient_name", "patient_id"} & set(saved.columns)
    assert {"pseudo_id", "source_row", "start_days", "kind", "start_date"} <= set(saved.columns)
    manifest = (tmp_path / "manifest.json").read_text()
    assert "House" not in manifest and "Jane Doe" not in manifest
    left_out = json.loads(manifest)["columns_not_saved"]
    assert left_out == {"patients": ["grade"], "treatments": ["prescriber", "patient_name"]}
    for name in ("cohort.parquet", "treatments.parquet", "problems.csv"):
        assert b"House" not in (tmp_path / name).read_bytes()
    assert len(Cohort.load(tmp_path).treatments) == len(cohort.treatments)
