"""Cox regression speed: sarcohort vs lifelines, statsmodels (and R's coxph when Rscript exists).

Two workloads, each run in this one process so the machines and loads are the same:

1. A registry-sized fit: n = 1e6 rows, p = 8 covariates (4 continuous, 4 binary), integer
   follow-up in days up to 3650, about 30% censored, Efron ties. Every package produces the
   full fit with standard errors and global tests; we print the time, the ratio to sarcohort
   and the largest absolute coefficient difference to sarcohort.
2. The seed study's size: 1000 refits of a 120-row, 4-covariate model (bootstrap-like use).

Usage::

    python benchmarks/bench_cox.py                 # everything
    python benchmarks/bench_cox.py --n 200000      # smaller registry
    python benchmarks/bench_cox.py --skip statsmodels

Timings are the best of ``--repeat`` runs for sarcohort (1 run for the slow peers).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import warnings

import numpy as np
from _timing import best_of


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=(n, 4)), rng.integers(0, 2, (n, 4))]).astype(float)
    beta = np.array([0.3, -0.2, 0.1, 0.05, 0.4, -0.3, 0.2, 0.1])
    latent = rng.exponential(1300 * np.exp(-X @ beta))
    censor = rng.uniform(0, 3650, n)
    time_ = np.minimum(np.ceil(np.minimum(latent, censor)), 3650.0)
    event = (latent <= censor) & (latent <= 3650)
    return time_, event, X


def run_sarcohort(t, e, X):
    from sarcohort.stats.cox import cox

    fit = cox(t, e, X, ties="efron")
    _ = (fit.se, fit.lr_test, fit.wald_test, fit.score_test)
    return fit.coef


def run_lifelines(t, e, X):
    import pandas as pd
    from lifelines import CoxPHFitter

    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    df["T"], df["E"] = t, e
    cph = CoxPHFitter().fit(df, "T", "E")  # Efron; SEs and the log-likelihood ratio test
    _ = (cph.standard_errors_, cph.log_likelihood_ratio_test())
    return cph.params_.to_numpy()


def run_statsmodels(t, e, X):
    from statsmodels.duration.hazard_regression import PHReg

    res = PHReg(t, X, status=e.astype(float), ties="efron").fit()
    _ = (res.bse, res.llf)
    return np.asarray(res.params)


def run_r(t, e, X) -> tuple[float, np.ndarray] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.csv")
        np.savetxt(path, np.column_stack([t, e, X]), delimiter=",", fmt="%.17g")
        code = (
            "suppressMessages(library(survival)); d <- read.csv(commandArgs(TRUE)[1], header=FALSE); "
            "y <- Surv(d[,1], d[,2]); x <- as.matrix(d[,-(1:2)]); "
            "t0 <- proc.time()[['elapsed']]; f <- coxph(y ~ x, ties='efron'); s <- summary(f); "
            "cat(proc.time()[['elapsed']] - t0, coef(f), '\\n')"
        )
        out = subprocess.run([rscript, "-e", code, path], capture_output=True, text=True, check=True)
        vals = np.array(out.stdout.split(), dtype=float)
        return float(vals[0]), vals[1:]


def small_refits(k: int = 1000) -> float:
    from sarcohort.stats.cox import cox

    rng = np.random.default_rng(1)
    n = 120
    X = np.column_stack([rng.normal(60, 10, n), rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n)])
    t = rng.integers(30, 3000, n).astype(float)
    e = rng.random(n) < 0.6
    cox(t, e, X)  # warm-up (imports)
    t0 = time.perf_counter()
    for _ in range(k):
        cox(t, e, X)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], choices=["lifelines", "statsmodels", "R", "small"])
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    t, e, X = make_data(args.n)
    print(f"n = {args.n:,}, p = {X.shape[1]}, distinct times = {np.unique(t).size}, "
          f"censored = {1 - e.mean():.1%}, Efron ties")
    run_sarcohort(t[:1000], e[:1000], X[:1000])  # warm-up
    ours_t, ours = best_of(lambda: run_sarcohort(t, e, X), args.repeat)
    rows = [("sarcohort", ours_t, 0.0)]
    for name, fn in (("lifelines", run_lifelines), ("statsmodels", run_statsmodels)):
        if name in args.skip:
            continue
        secs, coef = best_of(lambda fn=fn: fn(t, e, X), 1)
        rows.append((name, secs, float(np.max(np.abs(coef - ours)))))
    if "R" not in args.skip:
        r = run_r(t, e, X)
        if r is None:
            print("R: Rscript not found, skipped")
        else:
            rows.append(("R coxph (fit only, in R)", r[0], float(np.max(np.abs(r[1] - ours)))))
    print(f"{'package':<28}{'seconds':>10}{'x sarcohort':>14}{'max |coef diff|':>18}")
    for name, secs, diff in rows:
        print(f"{name:<28}{secs:>10.3f}{secs / ours_t:>14.1f}{diff:>18.2e}")
    if "small" not in args.skip:
        total = small_refits()
        print(f"1000 refits of a 120-row, 4-covariate Cox model: {total:.3f} s total "
              f"({total:.3f} ms per fit)")


if __name__ == "__main__":
    main()
