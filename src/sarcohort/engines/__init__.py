"""Where the rows live: in memory (pandas/numpy), in DuckDB (embedded, out of core) or in Spark.

Every engine hands the numerical core of :mod:`sarcohort.stats` the same aggregates: per
(stratum, group, time) counts for Kaplan-Meier and log-rank, and per (stratum, time)
``exp(x'b)``-weighted sums for each Newton iteration of a Cox fit. DuckDB and Spark run
one SQL plan (:mod:`sarcohort.engines._sql`); the numbers agree with the in-memory
functions to rounding. Importing this package imports neither duckdb nor pyspark.

- :func:`kaplan_meier`, :func:`logrank`, :func:`cox`: the statistics of a pandas DataFrame,
  a Parquet file or dataset folder, or a Spark table, by the engine named (``engine=``);
  :func:`kaplan_meier_and_logrank`: a grouping's curves and test from one aggregation;
- :data:`ENGINES`: the names (``auto``, ``memory``, ``duckdb``, ``spark``);
  :func:`choose_engine` resolves ``auto`` by the inputs (a folder, or more than
  :data:`AUTO_BYTES`, goes to DuckDB); :func:`open_engine` opens a SQL engine by name;
- :class:`DuckDBEngine`, :class:`SparkEngine`: the SQL engines themselves (e.g. a Spark
  engine on a cluster), imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sarcohort.engines._registry import AUTO_BYTES, ENGINES, choose_engine, open_engine

__all__ = [
    "ENGINES",
    "AUTO_BYTES",
    "choose_engine",
    "open_engine",
    "kaplan_meier",
    "logrank",
    "kaplan_meier_and_logrank",
    "cox",
    "DuckDBEngine",
    "SparkEngine",
]

_LAZY = {
    "kaplan_meier": "sarcohort.engines._survival",
    "logrank": "sarcohort.engines._survival",
    "kaplan_meier_and_logrank": "sarcohort.engines._survival",
    "cox": "sarcohort.engines._survival",
    "DuckDBEngine": "sarcohort.engines._duckdb_engine",
    "SparkEngine": "sarcohort.engines._spark_engine",
}

if TYPE_CHECKING:  # pragma: no cover
    from sarcohort.engines._duckdb_engine import DuckDBEngine
    from sarcohort.engines._spark_engine import SparkEngine
    from sarcohort.engines._survival import cox, kaplan_meier, kaplan_meier_and_logrank, logrank


def __getattr__(name: str) -> Any:
    """The engine classes and functions, imported on first use (so this package imports no
    duckdb, and reading a protocol, which names the engines, no statistics)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sarcohort.engines' has no attribute {name!r}")
