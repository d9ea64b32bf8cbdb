"""Per-patient analysis variables of a synthetic cohort, as the pipeline derives them.

A thin view of :func:`sarcohort.cohort.cohort_from_frames` (the same validation and
endpoint derivation a real export goes through), with short column names for the
calibration benchmark and the generator's tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def derive(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.DataFrame:
    """One row per analysed patient with the derived analysis variables.

    Columns: ``patient_id``, ``synchronous`` (first metastasis <= 90 days after the
    primary), ``ttm_months``, ``early`` (< 24 months), ``more_than_5``, ``lung``, ``bone``,
    ``other``, ``male``, ``age`` (years at first metastasis), ``os_months``/``os_event``,
    ``pfs_months``/``pfs_event``, ``surgery``, ``local``, ``in_trial``, ``no_systemic``.
    Expects clean tables (as :func:`sarcohort.synth.generate` writes them with
    ``messy=False``): a patient the validator excludes has no row.
    """
    from sarcohort.cohort import cohort_from_frames

    c = cohort_from_frames(patients, treatments, source_name="synthetic cohort").patients
    ids = patients["patient_id"].to_numpy()[c["source_row"].to_numpy() - 2]  # header is row 1
    return pd.DataFrame({
        "patient_id": ids,
        "synchronous": (c["timing"] == "synchronous").to_numpy(),
        "ttm_months": c["months_to_metastasis"].to_numpy(),
        "early": c["months_to_metastasis"].to_numpy() < 24,
        "more_than_5": c["n_metastases"].to_numpy(dtype=float) > 5,
        "lung": (c["met_lung"] == "yes").to_numpy(),
        "bone": (c["met_bone"] == "yes").to_numpy(),
        "other": (c["met_other"] == "yes").to_numpy(),
        "male": (c["sex"] == "M").to_numpy(),
        "age": c["age_at_metastasis"].to_numpy(),
        "os_months": c["os_months"].to_numpy(),
        "os_event": c["os_event"].to_numpy(dtype=bool),
        "pfs_months": c["pfs_months"].to_numpy(),
        "pfs_event": c["pfs_event"].to_numpy(dtype=bool),
        "surgery": c["metastasis_surgery"].to_numpy(dtype=bool),
        "local": c["local_treatment"].to_numpy(dtype=bool),
        "in_trial": c["in_trial"].to_numpy(dtype=bool),
        "no_systemic": c["no_systemic_treatment"].to_numpy(dtype=bool),
    }, index=np.arange(len(c)))
