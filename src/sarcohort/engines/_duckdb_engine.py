"""DuckDB, the embedded engine: the shared SQL plan over data that need not fit in memory.

Nothing to start: an in-process database that reads Parquet (one file, or a folder of
files, partitioned ``key=value/`` or not), CSV, or a pandas DataFrame without copying it,
and spills to disk past its memory limit. Install with ``pip install 'sarcohort[duckdb]'``.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np

from sarcohort.engines import _sql as S
from sarcohort.engines._base import SOURCE_PREFIX, SqlEngine
from sarcohort.exceptions import InputError

_ids = itertools.count()

#: jemalloc options of DuckDB's allocator (Linux builds), set unless the user set them: freed
#: memory goes back to the system at once. By default it is kept for reuse (about 10 s, and
#: only by a background thread): after the Kaplan-Meier aggregates of 10^7 rows, 0.3-0.4 GB
#: held, unused, beside the Cox models that follow. Read when DuckDB first allocates.
ALLOCATOR_CONF = ("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def parquet_glob(path: Path) -> str:
    """The files of a Parquet source: the file itself, or every ``.parquet`` under a folder."""
    return str(path / "**" / "*.parquet") if path.is_dir() else str(path)


def _string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine(SqlEngine):
    """Run the plan in an in-process DuckDB database.

    Parameters
    ----------
    memory_limit
        DuckDB's memory limit (e.g. ``"2GB"``); past it, DuckDB spills to ``temp_directory``.
    threads
        Worker threads (default: DuckDB's, one per core).
    temp_directory
        Where to spill (default: DuckDB's, next to the database, or ``.tmp`` in memory mode).
    """

    name = "duckdb"
    dialect = S.DUCKDB

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None,
                 temp_directory: str | None = None) -> None:
        os.environ.setdefault(*ALLOCATOR_CONF)
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - duckdb is a dependency of the extra
            raise InputError("the DuckDB engine needs the duckdb package", argument="engine",
                             value="duckdb", fix="pip install 'sarcohort[duckdb]'") from exc
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = int(threads)
        if temp_directory:
            config["temp_directory"] = temp_directory
        self.con = duckdb.connect(":memory:", config=config)
        self._frames: dict[str, Any] = {}

    def close(self) -> None:
        self.con.close()

    def register(self, source: Any) -> str:
        name = f"{SOURCE_PREFIX}{next(_ids)}"
        if isinstance(source, str | Path):
            path = Path(source)
            if not path.exists():
                raise InputError("no such file or folder", argument="source", value=str(path))
            suffix = path.suffix.lower()
            if path.is_dir() or suffix in (".parquet", ".pq"):
                reader = (f"read_parquet({_string_literal(parquet_glob(path))}, "
                          f"hive_partitioning = {'true' if path.is_dir() else 'false'})")
            elif suffix in (".csv", ".tsv", ".txt"):
                reader = f"read_csv({_string_literal(str(path))})"
            else:
                raise InputError("unsupported file type for the DuckDB engine", argument="source",
                                 value=str(path), fix="use Parquet (a file or a folder) or CSV")
            self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {reader}")
            return name
        if hasattr(source, "columns") and hasattr(source, "dtypes"):  # a pandas DataFrame
            self.con.register(name, source)
            self._frames[name] = source
            return name
        if hasattr(source, "alias") and hasattr(source, "sql_query"):  # a DuckDB relation
            source.create_view(name)
            return name
        if isinstance(source, str):  # pragma: no cover - str handled above
            return source
        raise InputError("the DuckDB engine reads a pandas DataFrame, a Parquet file or folder, "
                         "or a CSV file", argument="source", value=type(source).__name__)

    def unregister(self, name: str) -> None:
        if name in self._frames:
            self.con.unregister(name)
            del self._frames[name]
        elif name.startswith(SOURCE_PREFIX):  # a file's view
            self.con.execute(f"DROP VIEW IF EXISTS {name}")

    def columns(self, table: str) -> dict[str, bool]:
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
        numeric = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                   "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN")
        return {str(r[0]): str(r[1]).upper().startswith(numeric) for r in rows}

    def materialise(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def fetch(self, sql: str) -> dict[str, np.ndarray]:
        out = self.con.execute(sql).fetchnumpy()
        return {k: np.asarray(v.filled(np.nan) if hasattr(v, "filled") and v.dtype.kind == "f"
                              else v) for k, v in out.items()}

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
