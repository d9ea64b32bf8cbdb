"""Write ``tests/reference/data/synth_lines.csv``: per-line PFS of the synthetic cohort.

Run from the repository root (``python tests/reference/R/make_synth_lines.py``); the R
script ``lines_cases.R`` then reads the CSV. The cohort is ``sarcohort.synth.generate()``
(seed 0, the demo's) derived by the cohort pipeline and
:func:`sarcohort.cohort._lines.treatment_lines`. Columns: ``line`` (1, 2, 3),
``time`` (days from the start of the line to progression on the line, death or
censoring), ``status`` (1 event, 0 censored). No identifier is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sarcohort.cohort import cohort_from_frames
from sarcohort.cohort._lines import treatment_lines
from sarcohort.synth import generate

OUT = Path(__file__).resolve().parents[1] / "data" / "synth_lines.csv"


def per_line_pfs() -> pd.DataFrame:
    """The per-line PFS table the R script reads (also used by the test to check the CSV)."""
    c = generate()
    cohort = cohort_from_frames(c.patients, c.treatments, source_name="synthetic cohort")
    lines, _ = treatment_lines(cohort.patients, cohort.treatments)
    return pd.DataFrame({"line": lines["line"].astype(int).to_numpy(),
                         "time": lines["pfs_days"].astype(int).to_numpy(),
                         "status": lines["pfs_event"].astype(int).to_numpy()})


if __name__ == "__main__":
    per_line_pfs().to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {OUT}")
