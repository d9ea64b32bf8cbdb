"""Clinical rules across columns and tables, vectorised over rows.

Every rule adds one problem per offending row; see :data:`RULES` in
:mod:`sarcohort.model.validate_report` for the ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sarcohort.endpoints.dates import age_years
from sarcohort.model.validate_collect import Collector

__all__ = ["patient_rules", "link_treatments", "treatment_rules", "AGE_PLAUSIBLE_MAX"]

#: Ages at first metastasis above this are data errors whatever the protocol says.
AGE_PLAUSIBLE_MAX = 110.0
_FIRST = np.datetime64("1900-01-01", "ns")
_DATES = ("birth_date", "primary_diagnosis_date", "first_metastasis_date", "progression_date",
          "death_date", "last_followup_date")


def _d(p: pd.DataFrame, col: str) -> np.ndarray:
    return p[col].to_numpy(dtype="datetime64[ns]")


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ~np.isnat(a) & ~np.isnat(b) & (a < b)


def _date_range(p: pd.DataFrame, cols: tuple[str, ...], col: Collector, today: np.datetime64,
                ) -> None:
    for c in cols:
        if c not in p:
            continue
        v = _d(p, c)
        shown = "(birth date not shown)" if c == "birth_date" else v
        col.add(_lt(np.full_like(v, today), v), c, "date.range", "error",
                f"{c} is in the future: check the year", shown)
        col.add(_lt(v, np.full_like(v, _FIRST)), c, "date.range", "error",
                f"{c} is before 1900: check the year", shown)


def patient_rules(p: pd.DataFrame, col: Collector, *, age_min: float | None = None,
                  age_max: float | None = None, today: object | None = None,
                  check_centre_ids: bool = False) -> None:
    """Date ranges, date order, age, duplicate ids of the typed patients table."""
    t = np.datetime64(pd.Timestamp(today or pd.Timestamp.today()).normalize().to_datetime64(), "ns")
    _date_range(p, _DATES, col, t)
    birth, diag, met = _d(p, "birth_date"), _d(p, "primary_diagnosis_date"), _d(p, "first_metastasis_date")
    prog, death, fu = _d(p, "progression_date"), _d(p, "death_date"), _d(p, "last_followup_date")
    col.add(~_lt(birth, diag) & ~np.isnat(birth) & ~np.isnat(diag), "primary_diagnosis_date",
            "date.order.birth_diagnosis", "error",
            "the primary diagnosis is not after the birth date: check both dates", diag)
    col.add(_lt(met, diag), "first_metastasis_date", "date.order.diagnosis_metastasis", "error",
            "the first metastasis is before the primary diagnosis: check both dates", met)
    col.add(_lt(prog, met), "progression_date", "date.order.metastasis_progression", "error",
            "the progression is before the first metastasis: check both dates", prog)
    col.add(_lt(death, met), "death_date", "date.order.metastasis_death", "error",
            "the death is before the first metastasis: check both dates", death)
    col.add(_lt(death, prog), "progression_date", "date.order.progression_death", "error",
            "the progression is after the death: check both dates", prog)
    col.add(_lt(fu, met), "last_followup_date", "date.order.followup", "error",
            "the last follow-up is before the first metastasis: check both dates", fu)
    col.add(_lt(fu, prog) & ~_lt(fu, met), "last_followup_date", "date.order.followup", "error",
            "the last follow-up is before the progression: the last follow-up is the last "
            "news of the patient, on or after every event", fu)
    col.add(_lt(fu, death) & ~_lt(fu, met) & ~_lt(fu, prog), "last_followup_date",
            "date.order.followup", "warning",
            "the last follow-up is before the death date: the death date is used for OS; set "
            "the last follow-up to the death date", fu)
    col.add(_lt(death, fu), "last_followup_date", "date.order.death_followup", "error",
            "the last follow-up is after the death: check both dates", fu)
    age = age_years(birth, met)
    shown = np.char.mod("%.1f years", np.nan_to_num(age))
    with np.errstate(invalid="ignore"):
        implausible = (age > AGE_PLAUSIBLE_MAX)
        col.add(implausible, "birth_date", "age.range", "error",
                f"the age at first metastasis is over {AGE_PLAUSIBLE_MAX:g} years: check the "
                "birth date", shown)
        if age_min is not None:
            col.add((age < age_min) & ~implausible, "birth_date", "age.range", "warning",
                    f"the age at first metastasis is below the protocol's minimum "
                    f"({age_min:g} years): the patient is not included", shown)
        if age_max is not None:
            col.add((age > age_max) & ~implausible, "birth_date", "age.range", "warning",
                    f"the age at first metastasis is above the protocol's maximum "
                    f"({age_max:g} years): the patient is not included", shown)
    _duplicates(p, col, check_centre_ids)


def _duplicates(p: pd.DataFrame, col: Collector, check_centre_ids: bool) -> None:
    ids = p["patient_id"]
    centre = p["centre"].fillna("")
    has = ids.notna().to_numpy()
    frame = pd.DataFrame({"id": ids, "centre": centre, "row": col.rows})[has]
    dup = frame.duplicated(["centre", "id"], keep=False)
    if dup.any():
        d = frame[dup]
        g = d.groupby(["centre", "id"], sort=False)["row"]
        first = g.transform("min")
        second = g.transform(lambda s: s.nsmallest(2).iloc[-1])
        other = np.where(d["row"] == first, second, first)
        mask = np.zeros(len(p), bool)
        pos = np.flatnonzero(has)[dup.to_numpy()]
        mask[pos] = True
        values = np.full(len(p), "", dtype=object)
        values[pos] = [f"duplicate of row {int(r)}" for r in other]
        col.add(mask, "patient_id", "duplicate_id", "error",
                "this patient id appears more than once in the same centre: merge the rows "
                "or correct the id", values)
    if check_centre_ids:
        per_id = frame.drop_duplicates(["centre", "id"]).groupby("id")["centre"].transform("size")
        multi = frame.drop_duplicates(["centre", "id"])[per_id > 1]
        if len(multi):
            mask = np.zeros(len(p), bool)
            pos = np.flatnonzero(has)[frame["id"].isin(multi["id"]).to_numpy()]
            mask[pos] = True
            col.add(mask, "patient_id", "duplicate_id.centre", "warning",
                    "this patient id is used in several centres and the treatments table has "
                    "no centre column: its treatments cannot be linked; make ids unique "
                    "(e.g. prefix the centre)", "same id in another centre")


def link_treatments(p: pd.DataFrame, t: pd.DataFrame, tcol: Collector,
                    ) -> np.ndarray:
    """Position of each treatment's patient in the patients table (-1 when unknown).

    Links on (centre, patient_id) when the treatments table has a centre column,
    else on patient_id alone (ids used in several centres are not linked).
    """
    by_centre = "centre" in t.columns and t["centre"].notna().any()
    keys_p = ["centre", "patient_id"] if by_centre else ["patient_id"]
    pk = p[keys_p].copy()
    pk["_pos"] = np.arange(len(p))
    pk = pk[pk["patient_id"].notna()]
    pk = pk.drop_duplicates(keys_p, keep=False)  # duplicated ids are errors already
    tk = t[keys_p].copy()
    merged = tk.merge(pk, on=keys_p, how="left")
    pos = merged["_pos"].fillna(-1).to_numpy().astype(np.int64)
    known_id = t["patient_id"].isin(p["patient_id"].dropna()).to_numpy()
    unknown = (pos < 0) & t["patient_id"].notna().to_numpy() & ~known_id
    tcol.add(unknown, "patient_id", "treatment.unknown_patient", "error",
             "no patient with this id in the patients table: correct the id or add the patient",
             "no patient with this id")
    return pos


def treatment_rules(p: pd.DataFrame, t: pd.DataFrame, pos: np.ndarray, tcol: Collector,
                    today: object | None = None) -> None:
    """Treatment dates against the patient's dates, and line numbers."""
    now = np.datetime64(pd.Timestamp(today or pd.Timestamp.today()).normalize().to_datetime64(), "ns")
    _date_range(t, ("start_date",), tcol, now)
    start = _d(t, "start_date")
    linked = pos >= 0

    def take(col: str) -> np.ndarray:
        values = np.append(_d(p, col), np.datetime64("NaT"))  # position -1: no patient
        return values[np.where(linked, pos, len(p))]

    met = take("first_metastasis_date")
    fu = take("last_followup_date")
    death = take("death_date")
    last = np.where(np.isnat(death), fu, np.where(np.isnat(fu), death, np.maximum(fu, death)))
    last = np.where(linked, last, np.datetime64("NaT"))
    tcol.add(_lt(start, met), "start_date", "date.order.treatment", "error",
             "the treatment starts before the first metastasis: check the dates (treatments of "
             "the primary tumour do not belong in this table)", start)
    tcol.add(_lt(last, start), "start_date", "date.order.treatment_followup", "warning",
             "the treatment starts after the last follow-up (or death): check the dates",
             start)
    kind = t["kind"].to_numpy(dtype=object)
    has_line = t["line"].notna().to_numpy()
    tcol.add(has_line & (kind != "systemic") & pd.notna(kind), "line", "treatment.line",
             "warning", "a line number is given for a treatment that is not systemic: remove it",
             t["line"].astype(str).to_numpy())
    tcol.add(~has_line & (kind == "systemic"), "line", "treatment.line", "warning",
             "the line number of this systemic treatment is missing: it is counted as one line")
