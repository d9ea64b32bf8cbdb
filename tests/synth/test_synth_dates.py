"""Date consistency of synthetic cohorts (closed-form checks on every row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.synth import derive, generate


def _cases() -> list[tuple[int, int, str]]:
    return [(120, s, "stratified") for s in (0, 1, 2, 3)] + [(120, 4, "iid"), (500, 5, "iid"),
                                                             (37, 6, "stratified")]


@pytest.mark.parametrize(("n", "seed", "sampling"), _cases())
def test_dates_are_consistent(n: int, seed: int, sampling: str) -> None:
    c = generate(n=n, seed=seed, sampling=sampling)
    p = c.patients
    birth, diag = p["birth_date"], p["primary_diagnosis_date"]
    met, prog = p["first_metastasis_date"], p["progression_date"]
    death, last = p["death_date"], p["last_followup_date"]
    assert p[["birth_date", "primary_diagnosis_date", "first_metastasis_date",
              "last_followup_date"]].notna().all().all()
    assert (birth < diag).all() and (diag <= met).all()
    assert (prog.isna() | (prog > met)).all()
    assert (death.isna() | (death > met)).all()
    assert (prog.isna() | death.isna() | (prog < death)).all()
    assert (last >= met).all()
    assert (prog.isna() | (last >= prog)).all()
    assert (death.isna() | (last == death)).all()  # the dead: last follow-up = death
    assert (last <= pd.Timestamp("2020-06-30")).all()  # data cut-off (assumption)

    d = derive(p, c.treatments)
    assert (d["pfs_months"] <= d["os_months"]).all()
    assert (d["pfs_event"] >= d["os_event"]).all()  # a death is a PFS event

    t = c.treatments.merge(p, on="patient_id", how="left", validate="many_to_one")
    assert t["first_metastasis_date"].notna().all()  # every treatment has its patient
    assert (t["start_date"] >= t["first_metastasis_date"]).all()
    assert (t["start_date"] <= t["last_followup_date"]).all()
    assert (p["last_followup_date"] > p["first_metastasis_date"]).all()  # follow-up > 0
    local = t["kind"] != "systemic"
    # local treatment only for patients alive and progression-free on its date
    lt = t[local]
    assert (lt["progression_date"].isna() | (lt["start_date"] < lt["progression_date"])).all()
    assert (lt["death_date"].isna() | (lt["start_date"] < lt["death_date"])).all()
    assert (lt["start_date"] > lt["first_metastasis_date"]).all()
    assert (lt["start_date"] < lt["last_followup_date"]).all()  # followed after it
    assert t.loc[local, "line"].isna().all() and t.loc[~local, "line"].notna().all()
    # systemic lines numbered 1, 2, ... in date order per patient
    sysm = t[~local].sort_values(["patient_id", "start_date", "line"])
    first = sysm.groupby("patient_id")["line"].transform("min")
    assert (first == 1).all()
    assert sysm.groupby("patient_id")["line"].apply(lambda s: np.all(np.diff(s.to_numpy()) == 1)).all()
    later = sysm[sysm["line"] >= 2]
    assert (later["start_date"] > later["progression_date"]).all()


def test_immortal_time_present() -> None:
    """Operated patients are event-free at least until their surgery date."""
    c = generate(seed=11)
    p, t = c.patients, c.treatments
    surg = t[t["kind"] == "surgery"].merge(p, on="patient_id")
    delay = (surg["start_date"] - surg["first_metastasis_date"]).dt.days
    assert (delay > 0).all() and delay.median() > 30  # weeks to months of guaranteed survival
