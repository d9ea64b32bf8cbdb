"""Bootstrap refits: 1000 refits of a 120-patient, 4-covariate Cox model (Efron ties).

Side by side, on the same 1000 bootstrap samples (drawn once):

1. sarcohort, batched: ``cox_batch`` (all replicates in one call of a compiled parallel kernel, a
   replicate = a vector of frequency weights on the original rows);
2. sarcohort, one by one: ``sc.cox`` on each resampled data set;
3. lifelines: ``CoxPHFitter().fit`` on each resampled data set;

and the whole ``sc.validate_cox(fit, B=1000)`` (refits, concordances, calibration slopes).
Prints the best wall time of ``--repeat`` runs (1 run for the loops), the ratios, and the
largest coefficient difference between the batched and the one-by-one fits.

Usage::

    python benchmarks/bench_bootstrap.py                # B = 1000
    python benchmarks/bench_bootstrap.py --B 200 --skip lifelines
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _timing import best_of

import sarcohort as sc
from sarcohort.stats._cox_batch import cox_batch
from sarcohort.stats.validate_cox import bootstrap_counts


def make_data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sarcoma-series-like data set: age, two binary factors, one continuous marker; days."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(45, 15, n), rng.integers(0, 2, n), rng.integers(0, 2, n),
                         rng.normal(size=n)])
    hazard = np.exp(0.02 * (X[:, 0] - 45) + 0.6 * X[:, 1] - 0.4 * X[:, 2] + 0.3 * X[:, 3])
    latent = rng.exponential(900 / hazard)
    censor = rng.uniform(200, 3000, n)
    return np.ceil(np.minimum(latent, censor)), latent <= censor, X


def _cpu(fn) -> float:
    """CPU seconds (all threads of this process) of one call."""
    c0 = time.process_time()
    fn()
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--B", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip", nargs="*", default=[], choices=["lifelines", "loop"])
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    time_, event, X = make_data()
    n = time_.size
    counts = bootstrap_counts(n, args.B, np.random.default_rng(1))
    samples = [np.repeat(np.arange(n), c.astype(int)) for c in counts]
    print(f"n = {n}, p = {X.shape[1]}, events = {int(event.sum())}, B = {args.B}, Efron ties")

    cox_batch(time_, event, X, counts[:10])  # warm-up
    t_batch, batch = best_of(lambda: cox_batch(time_, event, X, counts), args.repeat)
    rows = [("sarcohort batched (cox_batch)", t_batch)]
    cpu = min(_cpu(lambda: cox_batch(time_, event, X, counts)) for _ in range(args.repeat))
    print(f"  batched: {t_batch:.4f} s wall, {cpu:.4f} s CPU summed over its threads (a shared "
          f"machine inflates the wall time, hardly the CPU time); converged "
          f"{int(batch.converged.sum())}/{args.B}")

    if "loop" not in args.skip:
        sc.cox(time_, event, X)

        def loop() -> np.ndarray:
            return np.array([sc.cox(time_[s], event[s], X[s]).coef for s in samples])

        t_loop, coefs = best_of(loop, 1)
        rows.append(("sarcohort one by one (sc.cox)", t_loop))
        print(f"  largest |batched - one-by-one| coefficient difference: "
              f"{np.abs(coefs - batch.coef).max():.2e}")
    if "lifelines" not in args.skip:
        import pandas as pd
        from lifelines import CoxPHFitter

        frame = pd.DataFrame(X, columns=["age", "a", "b", "marker"]).assign(T=time_, E=event.astype(int))

        def ll_loop() -> None:
            for s in samples:
                CoxPHFitter().fit(frame.iloc[s], "T", "E")

        t_ll, _ = best_of(ll_loop, 1)
        rows.append(("lifelines one by one (CoxPHFitter)", t_ll))
    fit = sc.cox(time_, event, X)
    t_val, _ = best_of(lambda: sc.validate_cox(fit, B=args.B, seed=1), max(1, args.repeat // 2))
    rows.append((f"sc.validate_cox(fit, B={args.B}) (whole validation)", t_val))
    print(f"\n{'':44s} {'seconds':>9s} {'x batched':>10s}")
    for name, sec in rows:
        print(f"{name:44s} {sec:9.4f} {sec / t_batch:10.1f}")


if __name__ == "__main__":
    main()
