"""Engine names, the ``auto`` rule, and opening an engine by name.

``memory`` (pandas and numpy: today's path, fastest for a study of a few thousand
patients), ``duckdb`` (embedded, out of core: large files and Parquet datasets) and
``spark`` (a cluster). ``auto`` picks memory for small inputs and DuckDB for large ones or
for a Parquet dataset folder (partitioned or not).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sarcohort.exceptions import InputError

#: The engines a user can name (``auto`` chooses among the first two).
ENGINES = ("auto", "memory", "duckdb", "spark")

#: Inputs larger than this (bytes on disk, all files together) go to DuckDB under ``auto``.
AUTO_BYTES = 200 * 1024**2


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def choose_engine(name: str, inputs: Iterable[Path | str | None] = ()) -> str:
    """The engine that runs: ``name`` itself, or for ``auto`` memory or DuckDB by the inputs.

    ``auto`` gives ``duckdb`` when an input is a folder (a Parquet dataset) or when the inputs
    weigh more than :data:`AUTO_BYTES` together, and ``memory`` otherwise.
    """
    key = str(name).lower()
    if key not in ENGINES:
        raise InputError("unknown engine", argument="engine", value=name,
                         fix="use " + ", ".join(ENGINES))
    if key != "auto":
        return key
    paths = [Path(p) for p in inputs if p is not None]
    if any(p.is_dir() for p in paths):
        return "duckdb"
    return "duckdb" if sum(_size(p) for p in paths) > AUTO_BYTES else "memory"


def open_engine(name: str, **options: Any) -> Any:
    """A new SQL engine by name (``duckdb`` or ``spark``); options go to its constructor."""
    key = str(name).lower()
    if key == "duckdb":
        from sarcohort.engines._duckdb_engine import DuckDBEngine

        return DuckDBEngine(**options)
    if key == "spark":
        from sarcohort.engines._spark_engine import SparkEngine

        return SparkEngine(**options)
    raise InputError("not a SQL engine", argument="engine", value=name, fix="use duckdb or spark")
