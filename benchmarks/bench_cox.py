"""Cox regression speed: sarcohort vs lifelines, statsmodels and R's coxph (when Rscript exists), in one run.

Workloads, each run in this one process (R in one Rscript call) so the machine and its load are
the same for every package:

1. Registry size: n = 1e6 rows, p = 8 covariates (4 continuous, 4 binary), integer follow-up
   in days up to 3650, about 30% censored, Efron ties. The task is what R's ``coxph`` always
   does: the fit with standard errors, the three global tests (likelihood ratio, Wald, score)
   and the concordance with its SE. lifelines: ``CoxPHFitter().fit`` plus its
   ``concordance_index_``; statsmodels: ``PHReg.fit`` (no concordance). Also timed apart:
   sarcohort's fit alone and concordance alone.
2. Exact ties (``ties = "exact"``): ~8,000 rows with several hundred tied event times
   (follow-up in weeks), sarcohort vs R.
3. The seed study's size: 1000 refits of a 120-row, 4-covariate model.

The numba kernels are compiled once and cached on disk: the compile time (first call with an
empty cache, in a fresh process) and the load time of the cached kernels (first call in a
fresh process with the cache filled) are reported apart; every timing above is after that.

Usage::

    python benchmarks/bench_cox.py                  # everything
    python benchmarks/bench_cox.py --n 200000       # smaller registry
    python benchmarks/bench_cox.py --skip statsmodels lifelines

Timings are the best of ``--repeat`` runs for sarcohort and R (1 run for lifelines and
statsmodels); ratios are peer time / sarcohort time (higher = sarcohort faster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
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


def make_tied(n: int = 8000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """~8,000 rows, follow-up in weeks over 7 years: several hundred tied event times."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n)])
    latent = rng.exponential(900 * np.exp(-X @ np.array([0.3, 0.5, -0.2])))
    censor = rng.uniform(0, 2555, n)
    time_ = np.ceil(np.minimum(latent, censor) / 7)
    return time_, latent <= censor, X


def run_sarcohort(t, e, X, ties="efron", concordance=True):
    from sarcohort.stats.cox import cox

    fit = cox(t, e, X, ties=ties)
    _ = (fit.se, fit.lr_test, fit.wald_test, fit.score_test)
    if concordance:
        _ = fit.concordance.value, fit.concordance.se
    return fit.coef


def run_lifelines(t, e, X):
    import pandas as pd
    from lifelines import CoxPHFitter

    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    df["T"], df["E"] = t, e
    cph = CoxPHFitter().fit(df, "T", "E")  # Efron; SEs, then the likelihood ratio test and concordance
    _ = (cph.standard_errors_, cph.log_likelihood_ratio_test(), cph.concordance_index_)
    return cph.params_.to_numpy()


def run_statsmodels(t, e, X):
    from statsmodels.duration.hazard_regression import PHReg

    res = PHReg(t, X, status=e.astype(float), ties="efron").fit()
    _ = (res.bse, res.llf)
    return np.asarray(res.params)


_R_CODE = """
suppressMessages(library(survival))
args <- commandArgs(TRUE); repeats <- as.integer(args[3])
d <- read.csv(args[1], header = FALSE); y <- Surv(d[, 1], d[, 2]); x <- as.matrix(d[, -(1:2)])
best <- Inf
for (r in seq_len(repeats)) {
  t0 <- proc.time()[["elapsed"]]; f <- coxph(y ~ x, ties = "efron"); s <- summary(f)
  best <- min(best, proc.time()[["elapsed"]] - t0)
}
cat(best, coef(f), "\\n")
e <- read.csv(args[2], header = FALSE); ye <- Surv(e[, 1], e[, 2]); xe <- as.matrix(e[, -(1:2)])
best <- Inf
for (r in seq_len(repeats)) {
  t0 <- proc.time()[["elapsed"]]; fe <- coxph(ye ~ xe, ties = "exact"); s <- summary(fe)
  best <- min(best, proc.time()[["elapsed"]] - t0)
}
cat(best, coef(fe), "\\n")
"""


def run_r(big, tied, repeat: int) -> tuple[tuple[float, np.ndarray], tuple[float, np.ndarray]] | None:
    """R's coxph (fit, summary, and the concordance coxph always computes) on both workloads."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, (t, e, X) in (("big", big), ("tied", tied)):
            path = os.path.join(tmp, f"{name}.csv")
            np.savetxt(path, np.column_stack([t, e, X]), delimiter=",", fmt="%.17g")
            paths.append(path)
        out = subprocess.run([rscript, "-e", _R_CODE, *paths, str(repeat)], capture_output=True, text=True,
                             check=True)
    lines = [np.array(s.split(), dtype=float) for s in out.stdout.strip().splitlines()]
    return (float(lines[0][0]), lines[0][1:]), (float(lines[1][0]), lines[1][1:])


_FIRST_CALL = """
import time, numpy as np
t0 = time.perf_counter()
from sarcohort.stats.cox import cox
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 2)); t = rng.integers(1, 50, 200).astype(float); e = rng.random(200) < 0.7
f = cox(t, e, X); f.concordance; cox(t, e, X, ties="exact")
n = 60_000  # big enough for the binned parallel Newton pass (compiled on its first use)
X = rng.normal(size=(n, 2)); t = rng.integers(1, 300, n).astype(float); e = rng.random(n) < 0.7
cox(t, e, X).concordance
print(time.perf_counter() - t0)
"""


def compile_times() -> tuple[float, float]:
    """First call (import + fit + concordance + exact fit, then a 60,000-row fit) in a fresh process: with an empty
    numba cache (compiles) and then with that cache filled (loads)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [float(subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True, text=True,
                                     check=True).stdout) for _ in range(2)]
    return runs[0], runs[1]


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


def _cpu_time(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _row(name: str, secs: float, ours: float, diff: float | None) -> str:
    d = "" if diff is None else f"{diff:.2e}"
    return f"{name:<44}{secs:>10.3f}{secs / ours:>12.1f}{d:>18}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["lifelines", "statsmodels", "R", "small", "compile", "exact"])
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    if "compile" not in args.skip:
        first, cached = compile_times()
        print(f"first call in a fresh process (import, small fit, concordance, exact fit, 60k-row fit): "
              f"{first:.2f} s with an empty numba cache (compiling), {cached:.2f} s with the cache filled")

    t, e, X = make_data(args.n)
    tied = make_tied()
    print(f"\n1. n = {args.n:,}, p = {X.shape[1]}, distinct times = {np.unique(t).size}, "
          f"censored = {1 - e.mean():.1%}, Efron ties; task: fit + SEs + 3 tests + concordance")
    run_sarcohort(t[:1000], e[:1000], X[:1000])  # warm-up (loads the compiled kernels)
    ours_t, ours = best_of(lambda: run_sarcohort(t, e, X), args.repeat)
    fit_t, _ = best_of(lambda: run_sarcohort(t, e, X, concordance=False), args.repeat)
    from sarcohort.stats.cox import cox

    fit = cox(t, e, X)
    conc_t, _ = best_of(lambda: fit.__class__.concordance.func(fit), args.repeat)  # uncached
    rows = [_row("sarcohort (fit + SEs + tests + concordance)", ours_t, ours_t, None),
            _row("  sarcohort fit + SEs + tests only", fit_t, ours_t, None),
            _row("  sarcohort concordance only", conc_t, ours_t, None)]
    if "lifelines" not in args.skip:
        secs, coef = best_of(lambda: run_lifelines(t, e, X), 1)
        rows.append(_row("lifelines (fit + SEs + LR test + concordance)", secs, ours_t,
                         float(np.max(np.abs(coef - ours)))))
    if "statsmodels" not in args.skip:
        secs, coef = best_of(lambda: run_statsmodels(t, e, X), 1)
        rows.append(_row("statsmodels PHReg (fit + SEs, no concordance)", secs, ours_t,
                         float(np.max(np.abs(coef - ours)))))
    r = None if "R" in args.skip else run_r((t, e, X), tied, args.repeat)
    if r is not None:
        rows.append(_row("R coxph + summary (in R; incl. concordance)", r[0][0], ours_t,
                         float(np.max(np.abs(r[0][1] - ours)))))
    elif "R" not in args.skip:
        print("R: Rscript not found, skipped")
    print(f"{'package':<44}{'seconds':>10}{'x sarcohort':>12}{'max |coef diff|':>18}")
    print("\n".join(rows))
    cpu = min(_cpu_time(lambda: run_sarcohort(t, e, X)) for _ in range(args.repeat))
    print(f"(sarcohort's full task in CPU time of this process: {cpu:.3f} s; on a loaded machine wall "
          "times of short tasks inflate more than CPU time)")

    if "exact" not in args.skip:
        tt, te, tX = tied
        print(f"\n2. exact partial likelihood: n = {tt.size:,}, p = {tX.shape[1]}, "
              f"{np.unique(tt[te]).size} event times ({int(te.sum())} events, "
              f"at most {np.bincount(tt[te].astype(int)).max()} at one time)")
        ex_t, ex = best_of(lambda: run_sarcohort(tt, te, tX, ties="exact", concordance=False), args.repeat)
        print(f"{'package':<44}{'seconds':>10}{'x sarcohort':>12}{'max |coef diff|':>18}")
        print(_row("sarcohort cox(ties='exact')", ex_t, ex_t, None))
        if r is not None:
            print(_row("R coxph(ties = 'exact') + summary", r[1][0], ex_t, float(np.max(np.abs(r[1][1] - ex)))))
    if "small" not in args.skip:
        total = small_refits()
        print(f"\n3. 1000 refits of a 120-row, 4-covariate Cox model: {total:.3f} s total "
              f"({total:.3f} ms per fit)")


if __name__ == "__main__":
    main()
