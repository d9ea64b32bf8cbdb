"""The same statistics by every engine at registry scale: time and agreement.

Run: ``python benchmarks/bench_engines.py [n] [--spark]`` (default n = 1000000). Writes a
random cohort of n rows as a Parquet dataset partitioned by centre (integer days with ties,
8 centres as strata, 3 groups, 4 covariates, 1% missing values), then runs Kaplan-Meier by
group, the stratified log-rank test and a stratified Efron Cox model with the memory engine
(pandas/numpy), DuckDB and, with ``--spark``, Spark ``local[2]``, each reading the Parquet
folder. Prints each engine's wall time and the largest relative difference from memory.
The machine is shared: time it again on a quiet machine before quoting it.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    x[:, 1] = x[:, 1] > 0
    centre = rng.integers(0, 8, n)
    lp = x @ np.array([0.3, -0.5, 0.1, 0.0]) + 0.05 * centre
    t = np.ceil(rng.exponential(900 * np.exp(-lp))).clip(1, 5000)
    c = rng.integers(30, 4000, n)
    df = pd.DataFrame({"days": np.minimum(t, c), "dead": (t <= c).astype(int),
                       "arm": rng.choice(["A", "B", "C"], n), "centre": centre.astype(str)})
    for j in range(4):
        df[f"x{j + 1}"] = x[:, j]
    miss = rng.random(n) < 0.01
    df.loc[miss, "x1"] = np.nan
    return df


def rel(a, b) -> float:
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    ok = np.isfinite(a) & np.isfinite(b) & (b != 0)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok]))) if ok.any() else 0.0


def run(engine, folder: Path) -> tuple[dict[str, float], dict[str, object]]:
    from sarcohort import engines as E

    times, out = {}, {}
    t0 = time.perf_counter()
    out["km"] = E.kaplan_meier(folder, time="days", event="dead", group="arm", engine=engine)
    times["km"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["lr"] = E.logrank(folder, time="days", event="dead", group="arm", strata=["centre"], engine=engine)
    times["logrank"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["cox"] = E.cox(folder, time="days", event="dead", covariates=["x1", "x2", "x3", "x4"],
                       strata=["centre"], engine=engine)
    times["cox"] = time.perf_counter() - t0
    return times, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--spark", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sarcohort-engines-"))
    try:
        folder = tmp / "cohort"
        make(args.n).to_parquet(folder, partition_cols=["centre"])
        engines: list[tuple[str, object]] = [("memory", "memory")]
        from sarcohort.engines._duckdb_engine import DuckDBEngine

        engines.append(("duckdb", DuckDBEngine()))
        if args.spark:
            from sarcohort.engines._spark_engine import SparkEngine

            t0 = time.perf_counter()
            spark = SparkEngine("local[2]")
            print(f"Spark local[2] session start: {time.perf_counter() - t0:.1f} s")
            engines.append(("spark local[2]", spark))
        base = None
        print(f"n = {args.n}: KM by arm, log-rank by arm stratified by centre, Cox (4 covariates, "
              "strata(centre), Efron)")
        for name, eng in engines:
            times, out = run(eng, folder)
            if base is None:
                base = out
                diff = "(reference)"
            else:
                d = max(rel(out["km"].curves[k].survival, base["km"].curves[k].survival)
                        for k in base["km"].curves)
                d = max(d, rel(out["lr"].chisq, base["lr"].chisq), rel(out["cox"].coef, base["cox"].coef),
                        rel(out["cox"].se, base["cox"].se))
                diff = f"max relative difference from memory {d:.1e}"
            cox = out["cox"]
            print(f"{name:15s} KM {times['km']:6.2f} s  log-rank {times['logrank']:6.2f} s  "
                  f"Cox {times['cox']:6.2f} s ({cox.iterations} iterations)  {diff}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
