"""The registry demo: a registry-sized synthetic cohort, end to end, and the engines agreeing.

:func:`run_registry_demo` synthesises ``n`` patients (default one million) calibrated to
the reference study, runs the reference protocol on them (validation, derivation, analysis,
report) as ``sarcohort analyze`` does, then saves the analysed cohort as a Parquet dataset
partitioned by centre and recomputes the headline statistics from it with the DuckDB engine
(per-time aggregates in SQL, the same numerical core): Kaplan-Meier medians, the log-rank
test and a Cox model, each beside the in-memory value, with the time of every stage.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

#: Covariates of the engine cross-check's Cox model of overall survival.
COX_COVARIATES = ("age_at_metastasis", "n_metastases", "surgery")


@dataclass(frozen=True)
class RegistryRun:
    """What the registry demo did: stage times (s), the engine comparison and the paths."""

    out_dir: Path
    report: dict[str, Path]
    n_patients: int
    n_analysed: int
    stages: tuple[tuple[str, float], ...]
    comparison: tuple[tuple[str, float, float], ...]  # statistic, memory, duckdb

    @property
    def max_relative_difference(self) -> float:
        """The largest relative difference between the engines over the comparison."""
        worst = 0.0
        for _, a, b in self.comparison:
            if a == a and b == b and a != 0:
                worst = max(worst, abs(a - b) / abs(a))
        return worst


def _statistics(source: Any, engine: Any) -> dict[str, float]:
    from sarcohort import engines as E

    km = E.kaplan_meier(source, time="os_months", event="os_event", group="timing", engine=engine)
    lr = E.logrank(source, time="os_months", event="os_event", group="timing", engine=engine)
    cox = E.cox(source, time="os_months", event="os_event", covariates=list(COX_COVARIATES),
                engine=engine)
    out = {f"median OS, {k} (months)": float(c.median) for k, c in km.curves.items()}
    out["log-rank chi-square, OS by timing"] = float(lr.chisq)
    for name, hr in zip(cox.terms, cox.hr, strict=True):
        out[f"hazard ratio of OS, {name}"] = float(hr)
    out["Cox log partial likelihood"] = float(cox.loglik)
    return out


def run_registry_demo(
    out: str | Path,
    *,
    n: int = 1_000_000,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> RegistryRun:
    """Synthesise ``n`` patients, analyse and report them, and check the DuckDB engine.

    ``out`` must be a new or empty folder; ``progress`` is called with a message per stage.
    """
    import pandas as pd

    import sarcohort.report
    from sarcohort.cli._demo import PROTOCOL
    from sarcohort.engines._duckdb_engine import DuckDBEngine
    from sarcohort.exceptions import InputError
    from sarcohort.study import Study
    from sarcohort.synth import generate

    say = progress or (lambda _msg: None)
    out_dir = Path(out)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError("the demo writes into a new or empty folder", argument="--out",
                         value=str(out_dir), fix="choose another folder")
    stages: list[tuple[str, float]] = []
    total = 6

    def stage(k: int, text: str) -> float:
        say(f"[{k}/{total}] {text} ({n:,} patients)")
        return time.perf_counter()

    t0 = stage(1, "synthesising the cohort")
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    generate(n=n, seed=seed).write(data_dir)
    with resources.as_file(resources.files("sarcohort").joinpath(PROTOCOL)) as src:
        shutil.copyfile(src, data_dir / "study.toml")
    stages.append(("synthesise and write CSV", time.perf_counter() - t0))

    sarcohort.report.prepare()
    t0 = stage(2, "reading, validating, deriving endpoints")
    study = Study.from_toml(data_dir / "study.toml")
    cohort = study.load()
    stages.append(("read, validate, derive", time.perf_counter() - t0))
    t0 = stage(3, "analysing in memory")
    results = study.analyze(cohort)
    stages.append(("analyse (memory)", time.perf_counter() - t0))
    t0 = stage(4, "writing the report")
    paths = sarcohort.report.write(results, out_dir / "report")
    stages.append(("report", time.perf_counter() - t0))

    t0 = stage(5, "saving the analysed cohort as a Parquet dataset")
    cols = ["os_months", "os_event", "timing", "centre", *COX_COVARIATES[:2]]
    frame = pd.DataFrame({c: cohort.patients[c].to_numpy() for c in cols})
    frame["surgery"] = cohort.patients["metastasis_surgery"].to_numpy(dtype=float)
    parquet = out_dir / "cohort-parquet"
    frame.to_parquet(parquet, partition_cols=["centre"])
    stages.append(("save Parquet dataset", time.perf_counter() - t0))

    t0 = stage(6, "the same statistics by DuckDB from the Parquet dataset")
    memory = _statistics(frame, "memory")
    t_duck = time.perf_counter()
    with DuckDBEngine() as duck:
        duckdb = _statistics(parquet, duck)
    stages.append(("KM, log-rank, Cox in memory", t_duck - t0))
    stages.append(("KM, log-rank, Cox by DuckDB", time.perf_counter() - t_duck))
    comparison = tuple((k, memory[k], duckdb.get(k, float("nan"))) for k in memory)
    return RegistryRun(out_dir=out_dir, report=paths, n_patients=n, n_analysed=len(cohort.patients),
                       stages=tuple(stages), comparison=comparison)
