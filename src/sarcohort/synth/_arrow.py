"""From simulated arrays to the two canonical tables as Arrow tables (for Parquet).

The same rows, columns and values as :func:`~._frames.to_frames` (same order: by centre
and patient id, treatments by patient then start date), built column by column in Arrow
without Python objects per row: dates are Parquet ``DATE`` (day counts), text columns are
taken from a short list of values by index.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ._frames import centre_names, patient_id_bytes, patient_order, treatment_order
from ._generator import (
    END_REASON_NAMES,
    EPOCH,
    KIND_NAMES,
    KIND_SYSTEMIC,
    NO_DATE,
    RESPONSE_NAMES,
    SimulatedArrays,
)

_TEXT = pa.string()
_DATE = pa.date32()

PATIENT_SCHEMA = pa.schema([
    ("patient_id", _TEXT), ("centre", _TEXT), ("sex", _TEXT), ("birth_date", _DATE),
    ("primary_diagnosis_date", _DATE), ("first_metastasis_date", _DATE),
    ("n_metastases", pa.int64()), ("met_lung", _TEXT), ("met_bone", _TEXT), ("met_other", _TEXT),
    ("progression_date", _DATE), ("death_date", _DATE), ("last_followup_date", _DATE),
])
TREATMENT_SCHEMA = pa.schema([
    ("patient_id", _TEXT), ("kind", _TEXT), ("start_date", _DATE), ("line", pa.int64()),
    ("regimen", _TEXT), ("in_trial", _TEXT), ("best_response", _TEXT), ("response_date", _DATE),
    ("end_date", _DATE), ("end_reason", _TEXT), ("line_progression_date", _DATE),
])

#: Day count of EPOCH from 1970-01-01 (Arrow's day 0).
_EPOCH_DAYS = int((EPOCH - np.datetime64("1970-01-01", "D")) // np.timedelta64(1, "D"))
_YES_NO = pa.array(["no", "yes"], type=_TEXT)


def _dates(days: np.ndarray) -> pa.Array:
    missing = days == NO_DATE
    values = np.where(missing, 0, days + _EPOCH_DAYS).astype(np.int32)
    return pa.array(values, type=pa.int32(), mask=missing).view(_DATE)


def _pick(values: pa.Array, index: np.ndarray) -> pa.Array:
    return values.take(pa.array(index.astype(np.int32)))


def _named(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """A text column from codes into ``names`` (``""`` is missing)."""
    return _pick(pa.array([v or None for v in names], type=_TEXT), codes)


def _ids(s: SimulatedArrays, rows: np.ndarray) -> pa.Array:
    """Patient ids of the patients ``rows`` (positions in ``s``)."""
    raw = patient_id_bytes(s.id_prefix, s.centre[rows], s.patient_number[rows], s.id_width)
    size = raw.dtype.itemsize
    offsets = np.arange(0, size * (raw.size + 1), size, dtype=np.int32)
    return pa.StringArray.from_buffers(raw.size, pa.py_buffer(offsets), pa.py_buffer(raw.tobytes()))


def to_arrow(s: SimulatedArrays) -> tuple[pa.Table, pa.Table]:
    """Patients and treatments of one simulated block as Arrow tables (see module docstring)."""
    order = patient_order(s)
    centres = pa.array(centre_names(int(s.centre.max(initial=0))).tolist(), type=_TEXT)
    patients = pa.Table.from_arrays([
        _ids(s, order),
        _pick(centres, s.centre[order]),
        _pick(pa.array(["F", "M"], type=_TEXT), s.male[order].astype(np.int8)),
        _dates(s.birth[order]),
        _dates(s.primary[order]),
        _dates(s.first_met[order]),
        pa.array(s.n_metastases[order].astype(np.int64)),
        _pick(_YES_NO, s.lung[order].astype(np.int8)),
        _pick(_YES_NO, s.bone[order].astype(np.int8)),
        _pick(_YES_NO, s.other[order].astype(np.int8)),
        _dates(s.progression[order]),
        _dates(s.death[order]),
        _dates(s.last_followup[order]),
    ], schema=PATIENT_SCHEMA)

    t_order = treatment_order(s, order)
    kind = s.tr_kind[t_order]
    systemic = kind == KIND_SYSTEMIC
    treatments = pa.Table.from_arrays([
        _ids(s, s.tr_patient[t_order]),
        _named(KIND_NAMES, kind),
        _dates(s.tr_start[t_order]),
        pa.array(s.tr_line[t_order].astype(np.int64), mask=~systemic),
        _named(s.regimen_names, s.tr_regimen[t_order]),
        _pick(_YES_NO, s.tr_trial[t_order].astype(np.int8)),
        _named(RESPONSE_NAMES, s.tr_response[t_order]),
        _dates(s.tr_response_date[t_order]),
        _dates(s.tr_end[t_order]),
        _named(END_REASON_NAMES, s.tr_end_reason[t_order]),
        _dates(s.tr_line_progression[t_order]),
    ], schema=TREATMENT_SCHEMA)
    return patients, treatments
