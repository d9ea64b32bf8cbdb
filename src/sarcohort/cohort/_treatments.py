"""Per-patient summaries of the treatments table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sarcohort.data._days import as_datetime, days_between
from sarcohort.data._schema import LOCAL_KINDS


def treatment_summary(patient: np.ndarray, kind: object, start: object, line: object,
                      in_trial: object, n_patients: int, first_metastasis: object,
                      cutoff: object | None = None) -> pd.DataFrame:
    """Summarise treatments per patient.

    Parameters
    ----------
    patient
        Position of each treatment's patient in the patients table (-1: none).
    kind, start, line, in_trial
        Treatment columns (template codes).
    n_patients
        Number of patients.
    first_metastasis
        First metastasis date per patient.
    cutoff
        Data cut-off: treatments starting after it are ignored.

    Returns
    -------
    DataFrame
        One row per patient: ``local_treatment`` (any surgery, radiotherapy or
        ablation), ``metastasis_surgery``, ``metastasis_surgery_date`` (first surgery),
        ``surgery_days`` (first metastasis to first surgery, NaN without surgery),
        ``n_systemic_lines`` (distinct line numbers of systemic treatments; a systemic
        row without line number counts as one line), ``no_systemic_treatment``,
        ``in_trial`` (any treatment in a trial).
    """
    out = treatment_summary_columns(patient, kind, start, line, in_trial, n_patients,
                                    first_metastasis, cutoff)
    return pd.DataFrame(out, index=pd.RangeIndex(n_patients))


def treatment_summary_columns(patient: np.ndarray, kind: object, start: object, line: object,
                              in_trial: object, n_patients: int, first_metastasis: object,
                              cutoff: object | None = None) -> dict[str, np.ndarray]:
    """:func:`treatment_summary`'s columns as arrays: bincounts and ``minimum.at`` over the
    rows' patient positions, no group-by and no frame of the treatments."""
    patient = np.asarray(patient, dtype=np.int64)
    kind = np.asarray(pd.Series(kind, dtype=object).to_numpy(), dtype=object)
    start_d = as_datetime(start)
    keep = patient >= 0
    if cutoff is not None:
        c = np.datetime64(str(cutoff), "ns")
        keep &= np.isnat(start_d) | (start_d <= c)
    lines: np.ndarray = pd.Series(line, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
    trial = pd.Series(in_trial, dtype=object).to_numpy() == "yes"

    def has(rows: np.ndarray) -> np.ndarray:
        return np.bincount(patient[rows], minlength=n_patients)[:n_patients] > 0

    local = has(keep & pd.Series(kind).isin(LOCAL_KINDS).to_numpy())
    surgery = keep & (kind == "surgery")
    first_surg = np.full(n_patients, np.datetime64("NaT"), dtype="datetime64[ns]")
    dated = surgery & ~np.isnat(start_d)
    if dated.any():
        # the earliest surgery per patient, as int64 days with NaT as the largest value
        big = np.iinfo(np.int64).max
        first = np.full(n_patients, big, dtype=np.int64)
        np.minimum.at(first, patient[dated], start_d[dated].view(np.int64))
        got = first != big
        first_surg[got] = first[got].view("datetime64[ns]")
    systemic = keep & (kind == "systemic")
    numbered = systemic & ~np.isnan(lines)
    # distinct (patient, line) pairs: sort the pairs, count the first of each run
    pl = np.stack([patient[numbered], lines[numbered]])
    if pl.shape[1]:
        order = np.lexsort((pl[1], pl[0]))
        pl = pl[:, order]
        first = np.ones(pl.shape[1], bool)
        first[1:] = (pl[0, 1:] != pl[0, :-1]) | (pl[1, 1:] != pl[1, :-1])
        distinct = pl[0, first].astype(np.int64)
    else:
        distinct = np.zeros(0, np.int64)
    n_lines = (np.bincount(distinct, minlength=n_patients)[:n_patients]
               + np.bincount(patient[systemic & np.isnan(lines)], minlength=n_patients)[:n_patients])
    return {
        "local_treatment": local,
        "metastasis_surgery": has(surgery),
        "metastasis_surgery_date": first_surg,
        "surgery_days": days_between(first_metastasis, first_surg),
        "n_systemic_lines": n_lines.astype(np.int64),
        "no_systemic_treatment": n_lines == 0,
        "in_trial": has(keep & trial),
    }
