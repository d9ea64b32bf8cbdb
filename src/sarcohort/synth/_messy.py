"""Realistic data-entry faults injected into a clean synthetic cohort.

Each fault is the kind a multicentre export really contains, and each must be
caught by one validator rule:

=====================  =====================================  ================================
fault                  what is written                        rule expected to catch it
=====================  =====================================  ================================
``swapped_day_month``  a progression date as text YYYY-DD-MM  ``date.invalid``
                       with DD > 12 (an impossible month)
``duplicated_row``     a patient row copied right below       ``duplicate_id``
``missing_followup``   empty last follow-up of a living       ``required``
                       patient (no death date to stand in)
``progression_after``  progression date after the death date  ``date.order.progression_death``
``code_typo``          sex written ``Mle`` or ``Femal``       ``code``
=====================  =====================================  ================================

Faults hit distinct patients. Row numbers are those seen in the sheet or CSV
file with the header on row 1 (data row ``i``, 0-based, is row ``i + 2``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Fault kind -> validator rule id that must catch it.
FAULT_RULES: dict[str, str] = {
    "swapped_day_month": "date.invalid",
    "duplicated_row": "duplicate_id",
    "missing_followup": "required",
    "progression_after_death": "date.order.progression_death",
    "code_typo": "code",
}

FAULT_COLUMNS = ("sheet", "row", "column", "patient_id", "fault", "rule", "value")


def _pick(rng: np.random.Generator, eligible: np.ndarray, taken: np.ndarray) -> int:
    cand = np.flatnonzero(eligible & ~taken)
    if cand.size == 0:
        cand = np.flatnonzero(~taken)
    k = int(rng.choice(cand))
    taken[k] = True
    return k


def inject_faults(
    patients: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the patients table with one fault of each kind, and the list of faults.

    The date columns of the returned table are ``object`` columns holding
    :class:`pandas.Timestamp`, ``NaT`` and, for the swapped date, a ``str``.
    The fault list has columns ``sheet, row, column, patient_id, fault, rule, value``.
    """
    df = patients.copy()
    for c in df.columns:
        if c.endswith("_date"):
            df[c] = df[c].astype(object)
    n = len(df)
    taken = np.zeros(n, dtype=bool)
    prog = pd.to_datetime(patients["progression_date"])
    death = pd.to_datetime(patients["death_date"])
    faults: list[tuple[int, str, str, str]] = []  # (original index, column, fault, value)

    k = _pick(rng, (prog.dt.day > 12).to_numpy(), taken)
    d = prog.iloc[k]
    if pd.isna(d):  # no progression date with day > 12 (tiny cohorts): swap the birth date
        col, d = "birth_date", pd.Timestamp(patients["birth_date"].iloc[k])
        d = d.replace(day=max(d.day, 13))
    else:
        col = "progression_date"
    text = f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
    df.at[k, col] = text
    faults.append((k, col, "swapped_day_month", text))

    k = _pick(rng, death.isna().to_numpy(), taken)
    df.at[k, "last_followup_date"] = pd.NaT
    faults.append((k, "last_followup_date", "missing_followup", ""))

    k = _pick(rng, death.notna().to_numpy(), taken)
    after = death.iloc[k] + pd.Timedelta(days=int(rng.integers(14, 120)))
    df.at[k, "progression_date"] = after
    faults.append((k, "progression_date", "progression_after_death", after.strftime("%Y-%m-%d")))

    k = _pick(rng, np.ones(n, dtype=bool), taken)
    typo = {"M": "Mle", "F": "Femal"}[str(df.at[k, "sex"])]
    df.at[k, "sex"] = typo
    faults.append((k, "sex", "code_typo", typo))

    k = _pick(rng, np.ones(n, dtype=bool), taken)
    dup_of = k
    order = np.r_[np.arange(k + 1), k, np.arange(k + 1, n)]
    df = df.iloc[order].reset_index(drop=True)
    # original index -> 0-based position in the new table
    pos = np.arange(n) + (np.arange(n) > dup_of)
    rows = [(int(pos[i]) + 2, col, kind, value) for i, col, kind, value in faults]
    rows.append((int(pos[dup_of]) + 3, "patient_id", "duplicated_row", ""))
    ids = df["patient_id"].to_numpy()
    table = pd.DataFrame(
        [("patients", r, col, ids[r - 2], kind, FAULT_RULES[kind], value)
         for r, col, kind, value in rows],
        columns=list(FAULT_COLUMNS),
    ).sort_values("row", kind="stable").reset_index(drop=True)
    return df, table
