"""Per-patient analysis variables derived from the two tables.

A small, self-contained implementation of the derivations the cohort layer
makes (timing, months, OS, PFS, surgery, local treatment, trial, no systemic
treatment, age), used by the calibration benchmark and the tests to check the
generator without depending on the rest of the package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["derive"]

DAYS_PER_MONTH = 30.4375


def derive(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.DataFrame:
    """One row per patient with the derived analysis variables.

    Columns: ``synchronous`` (first metastasis <= 90 days after the primary),
    ``ttm_months``, ``early`` (< 24 months), ``more_than_5``, ``bone``,
    ``age`` (years at first metastasis), ``os_months``/``os_event`` (first
    metastasis to death, censored at last follow-up), ``pfs_months``/``pfs_event``
    (to progression or death), ``surgery``, ``local``, ``in_trial``,
    ``no_systemic``. Expects clean tables (as :func:`sarcohort.synth.generate`
    writes them with ``messy=False``).
    """
    met = pd.to_datetime(patients["first_metastasis_date"])
    prim = pd.to_datetime(patients["primary_diagnosis_date"])
    birth = pd.to_datetime(patients["birth_date"])
    prog = pd.to_datetime(patients["progression_date"])
    death = pd.to_datetime(patients["death_date"])
    last = pd.to_datetime(patients["last_followup_date"])
    ttm = (met - prim).dt.days.to_numpy()
    os_days = np.where(death.notna(), (death - met).dt.days, (last - met).dt.days)
    pfs_end = prog.where(prog.notna(), death)
    pfs_days = np.where(pfs_end.notna(), (pfs_end - met).dt.days, (last - met).dt.days)
    ids = patients["patient_id"].to_numpy()
    tr = treatments

    def has(mask: pd.Series) -> np.ndarray:
        return np.isin(ids, tr.loc[mask, "patient_id"].to_numpy())

    return pd.DataFrame({
        "patient_id": ids,
        "synchronous": ttm <= 90,
        "ttm_months": ttm / DAYS_PER_MONTH,
        "early": ttm / DAYS_PER_MONTH < 24,
        "more_than_5": patients["n_metastases"].to_numpy() > 5,
        "lung": (patients["met_lung"] == "yes").to_numpy(),
        "bone": (patients["met_bone"] == "yes").to_numpy(),
        "other": (patients["met_other"] == "yes").to_numpy(),
        "male": (patients["sex"] == "M").to_numpy(),
        "age": (met - birth).dt.days.to_numpy() / 365.25,
        "os_months": os_days / DAYS_PER_MONTH,
        "os_event": death.notna().to_numpy(),
        "pfs_months": pfs_days / DAYS_PER_MONTH,
        "pfs_event": pfs_end.notna().to_numpy(),
        "surgery": has(tr["kind"] == "surgery"),
        "local": has(tr["kind"].isin(["surgery", "radiotherapy", "ablation"])),
        "in_trial": has(tr["in_trial"] == "yes"),
        "no_systemic": ~has(tr["kind"] == "systemic"),
    })
