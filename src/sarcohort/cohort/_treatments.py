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
    patient = np.asarray(patient, dtype=np.int64)
    kind = np.asarray(pd.Series(kind, dtype=object).to_numpy(), dtype=object)
    start_d = as_datetime(start)
    keep = patient >= 0
    if cutoff is not None:
        c = np.datetime64(str(cutoff), "ns")
        keep &= np.isnat(start_d) | (start_d <= c)
    t = pd.DataFrame({
        "p": patient[keep], "kind": kind[keep], "start": start_d[keep],
        "line": pd.Series(line, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)[keep],
        "trial": pd.Series(in_trial, dtype=object).to_numpy()[keep] == "yes",
    })
    out = pd.DataFrame(index=pd.RangeIndex(n_patients))
    local = np.zeros(n_patients, bool)
    local[t.loc[t["kind"].isin(LOCAL_KINDS), "p"].to_numpy()] = True
    surg = t[t["kind"] == "surgery"]
    has_surg = np.zeros(n_patients, bool)
    has_surg[surg["p"].to_numpy()] = True
    first_surg = np.full(n_patients, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(surg):
        g = surg.groupby("p")["start"].min()
        first_surg[g.index.to_numpy()] = g.to_numpy(dtype="datetime64[ns]")
    sysm = t[t["kind"] == "systemic"]
    with_line = sysm[sysm["line"].notna()].drop_duplicates(["p", "line"])
    n_lines = (np.bincount(with_line["p"].to_numpy(), minlength=n_patients)
               + np.bincount(sysm.loc[sysm["line"].isna(), "p"].to_numpy(), minlength=n_patients))
    trial = np.zeros(n_patients, bool)
    trial[t.loc[t["trial"], "p"].to_numpy()] = True
    out["local_treatment"] = local
    out["metastasis_surgery"] = has_surg
    out["metastasis_surgery_date"] = first_surg
    out["surgery_days"] = days_between(first_metastasis, first_surg)
    out["n_systemic_lines"] = n_lines.astype(np.int64)
    out["no_systemic_treatment"] = n_lines == 0
    out["in_trial"] = trial
    return out
