"""Competing risks timings: sarcohort's cuminc and fine_gray beside R's cmprsk (and lifelines'
Aalen-Johansen fitter when installed).

Run from the repository root: ``python benchmarks/bench_competing.py [n ...]``. Data: n
subjects, two groups, exponential times of two causes and censoring, times rounded to days
(ties). R is timed inside Rscript (``system.time`` of the call alone, best of 3), so start-up
and data transfer are not counted. Timings on a shared machine are noisy; numbers only, no
assertion.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_of  # noqa: E402

import sarcohort as sc  # noqa: E402

R_SCRIPT = """
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv("{csv}")
X <- cbind(d$x1, d$g)
t1 <- min(replicate(3, system.time(cuminc(d$time, d$status, d$g))[["elapsed"]]))
t2 <- min(replicate(3, system.time(crr(d$time, d$status, X, gtol = 1e-10))[["elapsed"]]))
cat(t1, t2, "\\n")
"""


def data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    x1 = rng.normal(size=n)
    t1 = rng.exponential(365 * np.exp(-0.4 * g - 0.3 * x1))
    t2 = rng.exponential(730, n)
    c = rng.exponential(900, n)
    t = np.ceil(np.minimum.reduce([t1, t2, c]))
    status = np.where(c <= np.minimum(t1, t2), 0, np.where(t1 <= t2, 1, 2))
    return pd.DataFrame({"time": t, "status": status, "g": g, "x1": x1})


def main(sizes: list[int]) -> None:
    print(f"{'n':>7} {'cuminc (s)':>11} {'R cuminc':>9} {'fine_gray':>10} {'R crr':>8}")
    for n in sizes:
        d = data(n)
        t_ci, _ = best_of(lambda d=d: sc.cuminc(d["time"], d["status"], d["g"]), 3)
        t_fg, _ = best_of(lambda d=d: sc.fine_gray(d["time"], d["status"], d[["x1", "g"]]), 3)
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "d.csv"
            d.to_csv(csv, index=False)
            try:
                out = subprocess.run(["Rscript", "-e", R_SCRIPT.format(csv=csv)], capture_output=True,
                                     text=True, timeout=1800, check=True).stdout.split()
                r_ci, r_fg = float(out[0]), float(out[1])
            except (OSError, subprocess.SubprocessError, IndexError, ValueError):
                r_ci = r_fg = float("nan")
        print(f"{n:>7} {t_ci:>11.4f} {r_ci:>9.3f} {t_fg:>10.4f} {r_fg:>8.3f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 20000])
