"""From simulated arrays to the two canonical tables (pandas at the edge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._generator import (
    END_REASON_NAMES,
    EPOCH,
    KIND_NAMES,
    KIND_SYSTEMIC,
    NO_DATE,
    RESPONSE_NAMES,
    SimulatedArrays,
)

PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "centre", "sex", "birth_date", "primary_diagnosis_date",
    "first_metastasis_date", "n_metastases", "met_lung", "met_bone", "met_other",
    "progression_date", "death_date", "last_followup_date",
)
TREATMENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "kind", "start_date", "line", "regimen", "in_trial", "best_response",
    "response_date", "end_date", "end_reason", "line_progression_date",
)


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write ``values`` as ``width`` zero-padded ASCII digits into ``out[:, col:col + width]``."""
    v = values.astype(np.int64, copy=True)
    for j in range(col + width - 1, col - 1, -1):
        out[:, j] = 48 + v % 10
        v //= 10


def patient_id_bytes(prefix: str, centre: np.ndarray, number: np.ndarray, width: int) -> np.ndarray:
    """Patient ids ``PREFIX-CC-NNNN`` as fixed-width bytes (``S`` dtype), built without a
    Python loop over the patients."""
    head = prefix.encode("ascii") + b"-"
    size = len(head) + 3 + width
    out = np.empty((centre.size, size), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    _digits(out, len(head), centre, 2)
    out[:, len(head) + 2] = ord("-")
    _digits(out, len(head) + 3, number, width)
    return out.reshape(-1).view(f"S{size}")


def centre_names(centres: int) -> np.ndarray:
    """``Centre 01`` ... for codes 0..centres (index by the centre number)."""
    return np.array([f"Centre {c:02d}" for c in range(centres + 1)], dtype=object)


def patient_order(s: SimulatedArrays) -> np.ndarray:
    """Row order of the patients table: by centre, then patient id."""
    # one int64 key sorts as np.lexsort((number, centre)) does (numbers are below 2**40)
    return np.argsort((s.centre.astype(np.int64) << 40) | s.patient_number, kind="stable")


def treatment_order(s: SimulatedArrays, p_order: np.ndarray) -> np.ndarray:
    """Row order of the treatments table: by the patient's row, then start date."""
    rank = np.empty_like(p_order)
    rank[p_order] = np.arange(p_order.size)
    start = s.tr_start - s.tr_start.min(initial=0)  # non-negative, below 2**32
    # one int64 key, stable: as np.lexsort((tr_start, rank[tr_patient]))
    return np.argsort((rank[s.tr_patient].astype(np.int64) << 32) | start, kind="stable")


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
    ids = patient_id_bytes(s.id_prefix, s.centre, s.patient_number, s.id_width).astype(str)
    ids = ids.astype(object)
    patients = pd.DataFrame({
        "patient_id": ids,
        "centre": centre_names(int(s.centre.max(initial=0)))[s.centre],
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
    order = patient_order(s)
    patients = patients.iloc[order].reset_index(drop=True)

    systemic = s.tr_kind == KIND_SYSTEMIC
    line = pd.array(np.where(systemic, s.tr_line, 0), dtype="Int64")
    line[~systemic] = pd.NA
    responses = np.array([r or None for r in RESPONSE_NAMES], dtype=object)
    treatments = pd.DataFrame({
        "patient_id": ids[s.tr_patient],
        "kind": np.array(KIND_NAMES, dtype=object)[s.tr_kind],
        "start_date": _dates(s.tr_start),
        "line": line,
        "regimen": np.array(s.regimen_names, dtype=object)[s.tr_regimen],
        "in_trial": _yes_no(s.tr_trial),
        "best_response": responses[s.tr_response],
        "response_date": _dates(s.tr_response_date),
        "end_date": _dates(s.tr_end),
        "end_reason": np.array(END_REASON_NAMES, dtype=object)[s.tr_end_reason],
        "line_progression_date": _dates(s.tr_line_progression),
    })
    treatments = treatments.iloc[treatment_order(s, order)].reset_index(drop=True)
    return patients, treatments
