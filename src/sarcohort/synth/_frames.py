"""From simulated arrays to the two canonical tables (pandas at the edge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._generator import EPOCH, NO_DATE, SimulatedArrays

PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "centre", "sex", "birth_date", "primary_diagnosis_date",
    "first_metastasis_date", "n_metastases", "met_lung", "met_bone", "met_other",
    "progression_date", "death_date", "last_followup_date",
)
TREATMENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "kind", "start_date", "line", "regimen", "in_trial", "best_response",
    "response_date", "end_date", "end_reason", "line_progression_date",
)


def _dates(days: np.ndarray) -> pd.Series:
    """Day counts from :data:`EPOCH` to datetime64[ns]; :data:`NO_DATE` is missing (NaT)."""
    missing = days == NO_DATE
    d = (EPOCH + np.where(missing, 0, days).astype("timedelta64[D]")).astype("datetime64[ns]")
    d[missing] = np.datetime64("NaT")
    return pd.Series(d)


def _yes_no(x: np.ndarray) -> np.ndarray:
    return np.where(x, "yes", "no").astype(object)


def to_frames(s: SimulatedArrays) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients and treatments tables, rows ordered by centre then patient id."""
    patients = pd.DataFrame({
        "patient_id": s.patient_id,
        "centre": np.array([f"Centre {c:02d}" for c in s.centre], dtype=object),
        "sex": np.where(s.male, "M", "F").astype(object),
        "birth_date": _dates(s.birth),
        "primary_diagnosis_date": _dates(s.primary),
        "first_metastasis_date": _dates(s.first_met),
        "n_metastases": s.n_metastases.astype(np.int64),
        "met_lung": _yes_no(s.lung),
        "met_bone": _yes_no(s.bone),
        "met_other": _yes_no(s.other),
        "progression_date": _dates(s.progression),
        "death_date": _dates(s.death),
        "last_followup_date": _dates(s.last_followup),
    })
    order = np.lexsort((s.patient_id.astype(str), s.centre))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    patients = patients.iloc[order].reset_index(drop=True)

    line = pd.array(np.where(s.tr_kind == "systemic", s.tr_line, 0), dtype="Int64")
    line[s.tr_kind != "systemic"] = pd.NA
    treatments = pd.DataFrame({
        "patient_id": s.patient_id[s.tr_patient],
        "kind": s.tr_kind.astype(object),
        "start_date": _dates(s.tr_start),
        "line": line,
        "regimen": s.tr_regimen.astype(object),
        "in_trial": _yes_no(s.tr_trial),
        "best_response": [None if r == "" else r for r in s.tr_response],
        "response_date": _dates(s.tr_response_date),
        "end_date": _dates(s.tr_end),
        "end_reason": s.tr_end_reason.astype(object),
        "line_progression_date": _dates(s.tr_line_progression),
    })
    t_order = np.lexsort((s.tr_start, rank[s.tr_patient]))
    treatments = treatments.iloc[t_order].reset_index(drop=True)
    return patients, treatments
