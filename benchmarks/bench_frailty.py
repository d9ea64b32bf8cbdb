"""Shared gamma frailty timings: ``sc.cox("... + frailty(centre)")`` beside R's
``coxph(... + frailty(centre))`` and the plain Cox fit.

Run from the repository root: ``python benchmarks/bench_frailty.py [n ...]`` (prefix runs at
n >= 1e6 with ``flock /tmp/bigrun.lock`` on a shared machine). Data: n subjects in 15 centres
with a centre effect (log-frailty sd 0.3), four 0/1 covariates, exponential times rounded to
days (ties, Efron). Our fit is the exact maximiser of R's integrated likelihood; R's is its
default search (which stops earlier), timed inside Rscript (``system.time`` of the call
alone), so start-up and data transfer are not counted. Numbers only, no assertion.
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

FORMULA = "Surv(time, status) ~ x1 + x2 + x3 + x4 + frailty(centre)"
R_SCRIPT = """
suppressPackageStartupMessages(library(survival))
d <- read.csv("{csv}")
cat(system.time(f <- coxph({formula}, d))[["elapsed"]], f$history[[1]]$history[nrow(f$history[[1]]$history), 1], "\\n")
"""


def data(n: int, seed: int = 1, sd: float = 0.3, centres: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{j}": rng.integers(0, 2, n).astype(float) for j in range(1, 5)})
    df["centre"] = rng.integers(0, centres, n)
    u = rng.normal(0, sd, centres)
    lp = 0.5 * df["x1"] - 0.3 * df["x2"] + 0.2 * df["x3"] + u[df["centre"]]
    t = np.ceil(rng.exponential(1 / np.exp(lp)) * 365)
    c = np.ceil(rng.uniform(0, 3, n) * 365)
    df["time"] = np.minimum(t, c)
    df["status"] = (t <= c).astype(int)
    return df


def main(sizes: list[int]) -> None:
    print(f"{'n':>8} {'cox (s)':>8} {'frailty (s)':>12} {'theta':>10} {'R frailty (s)':>14} {'R theta':>10}")
    for n in sizes:
        d = data(n)
        t_cox, _ = best_of(lambda d=d: sc.cox(FORMULA.replace(" + frailty(centre)", ""), data=d), 3)
        t_fr, fit = best_of(lambda d=d: sc.cox(FORMULA, data=d), 3)
        r_time, r_theta = "-", "-"
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "d.csv"
            d.to_csv(csv, index=False)
            try:
                out = subprocess.run(["Rscript", "-e", R_SCRIPT.format(csv=csv, formula=FORMULA)],
                                     capture_output=True, text=True, timeout=1800, check=True).stdout.split()
                r_time, r_theta = f"{float(out[0]):.2f}", f"{float(out[1]):.4g}"
            except (OSError, subprocess.SubprocessError, ValueError, IndexError):
                pass
        print(f"{n:>8} {t_cox:>8.2f} {t_fr:>12.2f} {fit.theta:>10.4g} {r_time:>14} {r_theta:>10}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
