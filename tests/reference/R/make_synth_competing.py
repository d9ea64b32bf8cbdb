"""Write ``tests/reference/data/synth_competing.csv``: the synthetic cohort as competing risks.

Run from the repository root (``python tests/reference/R/make_synth_competing.py``); the R
script ``competing_cases.R`` then reads the CSV. The cohort is ``sarcohort.synth.generate(n=240,
seed=7)`` derived by the cohort pipeline. Columns:

* ``time``: days from first metastasis to progression, death or last follow-up (PFS time);
* ``status``: 0 censored, 1 progression, 2 death without progression (the competing event);
* ``os_time``, ``os_status``: overall survival (days, 0/1);
* ``timing`` (synchronous / metachronous), ``centre`` (``Centre 01``...), ``age``, ``sex``, ``more5``.

No identifier is written (rows are in pseudonym order).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sarcohort.cohort import cohort_from_frames
from sarcohort.synth import generate

OUT = Path(__file__).resolve().parents[1] / "data" / "synth_competing.csv"


def main() -> None:
    c = generate(n=240, centres=15, seed=7)
    p = cohort_from_frames(c.patients, c.treatments, source_name="synthetic cohort").patients
    progressed = p["progression_date"].notna().to_numpy() & p["pfs_event"].to_numpy(dtype=bool)
    status = np.where(progressed, 1, np.where(p["pfs_event"].to_numpy(dtype=bool), 2, 0))
    out = pd.DataFrame({
        "time": p["pfs_days"].to_numpy(dtype=int),
        "status": status,
        "os_time": p["os_days"].to_numpy(dtype=int),
        "os_status": p["os_event"].to_numpy(dtype=int),
        "timing": p["timing"].astype(str).to_numpy(),
        "centre": p["centre"].astype(str).to_numpy(),
        "age": p["age_at_metastasis"].round(1).to_numpy(),
        "sex": p["sex"].astype(str).to_numpy(),
        "more5": (p["n_metastases"].to_numpy(dtype=float) > 5).astype(int),
    })
    out.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(out)} rows)")


if __name__ == "__main__":
    main()
