"""Time validation of a large cohort: read a 100k-patient CSV pair, validate, derive, include.

Run: ``python benchmarks/bench_validate.py [n]`` (default n = 100000). Prints the
time of each stage. The data are random but valid-looking, with ~1% of rows
broken (bad codes, impossible dates, date order) so the problem paths are exercised.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    day = np.timedelta64(1, "D")
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 40, n) * day
    diag = birth + rng.integers(365 * 18, 365 * 30, n) * day
    met = diag + rng.integers(0, 2000, n) * day
    prog = met + rng.integers(30, 900, n) * day
    death = prog + rng.integers(30, 900, n) * day
    fu = death.copy()
    alive = rng.random(n) < 0.3
    has_prog = rng.random(n) < 0.8
    iso = np.datetime_as_string
    p = pd.DataFrame({
        "patient_id": [f"ID{i:07d}" for i in range(n)],
        "centre": rng.choice(["Lyon", "Paris", "Nice", "Lille"], n),
        "sex": rng.choice(["M", "F"], n),
        "birth_date": iso(birth), "primary_diagnosis_date": iso(diag),
        "first_metastasis_date": iso(met),
        "n_metastases": rng.integers(1, 12, n),
        "met_lung": rng.choice(["yes", "no"], n), "met_bone": rng.choice(["yes", "no"], n),
        "met_other": rng.choice(["yes", "no"], n),
        "progression_date": np.where(has_prog, iso(prog), ""),
        "death_date": np.where(alive, "", iso(death)),
        "last_followup_date": iso(fu),
    })
    bad = rng.random(n) < 0.01
    p.loc[bad, "sex"] = "X"
    bad = rng.random(n) < 0.005
    p.loc[bad, "death_date"] = "2010-02-30"
    k = 2 * n
    pid = rng.integers(0, n, k)
    t = pd.DataFrame({
        "patient_id": p["patient_id"].to_numpy()[pid],
        "kind": np.array(["surgery", "radiotherapy", "ablation", "systemic"])[np.arange(k) % 4],
        "start_date": iso(met[pid] + rng.integers(0, 30, k) * day),
        "regimen": "x",
        "line": np.where(np.arange(k) % 4 == 3, "1", ""),
        "in_trial": rng.choice(["yes", "no"], k), "best_response": rng.choice(["PR", "SD"], k),
    })
    return p, t


def main(n: int = 100_000) -> None:
    from sarcohort.cohort import cohort_from_tables
    from sarcohort.data.readers import read_sources
    from sarcohort.protocol import CohortConfig

    p, t = make(n)
    with tempfile.TemporaryDirectory() as d:
        pp, tp = Path(d) / "patients.csv", Path(d) / "treatments.csv"
        p.to_csv(pp, index=False, sep=";")
        t.to_csv(tp, index=False, sep=";")
        c0 = time.process_time()
        t0 = time.perf_counter()
        praw, traw = read_sources(CohortConfig().data, d, patients=pp, treatments=tp)
        t1 = time.perf_counter()
        cohort = cohort_from_tables(praw, traw, CohortConfig())
        t2 = time.perf_counter()
        c2 = time.process_time()
    rep = cohort.report
    print(f"n patients = {n}, treatments = {len(t)}")
    print(f"read CSV pair        : {t1 - t0:6.2f} s")
    print(f"validate+derive+flow : {t2 - t1:6.2f} s")
    print(f"total                : {t2 - t0:6.2f} s wall, {c2 - c0:6.2f} s CPU")
    print(f"problems: {rep.counts()}, analysed {cohort.flow.n_analysed} of {cohort.flow.n_read}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
