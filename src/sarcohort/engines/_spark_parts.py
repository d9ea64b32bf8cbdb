"""Validation out of core on Spark: the tables' parts checked by Spark's executors.

The parts are those made on this machine
(:func:`~sarcohort.data.validation._partitioned.local_parts`): a row's part is the hash of
its patient id (:func:`~sarcohort.data.validation._partitioned.part_of`), and each part is
validated, and its cohort derived, by the functions written once, pickled to the executors.
Spark reads the Parquet files; a row's number is its index in its file after the rows of the
files before it in path order, as on this machine. Each part's rows reach its function in
the files' Arrow types (Spark's pandas frames are turned back into them), so its problems
are those of the same part checked here; its result comes back pickled and compressed, in
pieces of at most :data:`CHUNK` bytes, a part per Spark task.

Three Spark jobs: the rows counted per file (for their numbers), the whole tables' d/m/y
evidence and filled centres (when the protocol leaves the date format to the data), and the
parts themselves (the rows shuffled by part, a part's two tables grouped together). The
executors need sarcohort installed (``pip install 'sarcohort[spark]'``); in ``local`` mode
they run this Python.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pyarrow as pa

from sarcohort.data._schema import PATIENTS, TREATMENTS, Table
from sarcohort.data.readers._parquet import to_frame
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._coerce import to_text
from sarcohort.data.validation._partitioned import (
    ROW,
    TableParts,
    _reading,
    _source,
    dates_evidence,
    part_of,
    part_table,
    split_columns,
)
from sarcohort.data.validation._validate import WholeTables
from sarcohort.engines._spark_engine import spark_failures

T = TypeVar("T")

#: The column of each row's part.
PART = "__sarcohort_part__"

#: Bytes of a part's pickled result per row that Spark brings back.
CHUNK = 4 << 20

_RESULT = "part long, pieces long, size long, piece binary"


def _cells(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Spark's pandas ``frame`` of a table's columns as the Parquet reader gives them: the
    columns in the file's Arrow types (``schema``; Spark's pandas frames hold numbers with
    missing values as floats, dates as objects)."""
    return to_frame(_arrow(frame, schema))


def _arrow(frame: pd.DataFrame, schema: Any) -> Any:
    if not len(frame):  # a side of a part without rows (its columns may be absent)
        return schema.empty_table()
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def _local_path(uri: str) -> str:
    """The path of a file Spark names by URI (``file:/a%20b/c.parquet``: ``/a b/c.parquet``)."""
    return unquote(urlparse(uri).path)


@dataclass
class _SparkTable:
    """A table as Spark reads it, with its rows' numbers (:data:`ROW`) and parts
    (:data:`PART`), and what splitting it says of the whole table."""

    frame: Any
    schema: Any  # the file's Arrow schema, with ROW
    summary: TableParts


def _numbered(spark: Any, path: Path) -> Any:
    """The rows of a Parquet file or dataset folder with their numbers from 0 (:data:`ROW`):
    the files in path order, each file's rows in order."""
    from pyspark.sql import functions as F

    file_col, index_col = "__sarcohort_file__", "__sarcohort_index__"
    df = spark.read.parquet(str(path)).select(
        "*", F.col("_metadata.file_path").alias(file_col),
        F.col("_metadata.row_index").alias(index_col))
    counts = sorted((_local_path(r[0]), r[0], int(r[1]))
                     for r in df.groupBy(file_col).count().collect())
    offsets: list[Any] = []
    first = 0
    for _, uri, n in counts:
        offsets += [F.lit(uri), F.lit(first)]
        first += n
    start = F.element_at(F.create_map(*offsets), F.col(file_col)) if offsets else F.lit(0)
    return df.withColumn(ROW, (start + F.col(index_col)).cast("long")).drop(file_col, index_col)


def _table(spark: Any, path: Path, table: Table, mapping: Mapping[str, str] | None, k: int,
           count_dates: bool) -> _SparkTable:
    """A table read by Spark, numbered and split into ``k`` parts, with its d/m/y evidence
    (``count_dates``) and whether its centre column is filled."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    schema = _source(path)[0]
    id_col, centre, dates = split_columns(schema.names, path.name, table, mapping, count_dates)
    df = _numbered(spark, path)
    summary = TableParts(path.name, np.zeros(k, np.int64))
    used = list(dict.fromkeys(c for c in (centre, *dates) if c is not None))
    if used:
        cells_schema = pa.schema([schema.field(c) for c in used])

        def evidence(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            total, filled = np.zeros(3, np.int64), False
            for frame in frames:
                cells = _cells(frame, cells_schema)
                total += dates_evidence(cells, dates)
                filled = filled or (centre is not None and bool(to_text(cells[centre]).notna().any()))
            yield pd.DataFrame({"a": [total[0]], "b": [total[1]], "c": [total[2]],
                                "filled": [filled]})

        got = df.select(*used).mapInPandas(evidence, "a long, b long, c long, filled boolean"
                                           ).collect()
        summary.evidence = tuple(sum(int(r[c]) for r in got) for c in "abc")  # type: ignore[assignment]
        summary.centre_filled = any(bool(r["filled"]) for r in got)
    if id_col is None:
        df = df.withColumn(PART, F.col(ROW) % k)
    else:
        id_schema = pa.schema([schema.field(id_col)])

        @pandas_udf("long")  # type: ignore[call-overload]
        def parts(ids: pd.Series, rows: pd.Series) -> pd.Series:
            cells = _cells(pd.DataFrame({id_col: ids}), id_schema)
            return pd.Series(part_of(cells[id_col], rows.to_numpy(np.int64), k))

        df = df.withColumn(PART, parts(F.col(id_col), F.col(ROW)))
    return _SparkTable(df, schema.append(pa.field(ROW, pa.int64())), summary)


def _part_result(i: int, tables: Sequence[tuple[pd.DataFrame, _SparkTable]],
                 checked: Callable[[RawTable, RawTable | None, WholeTables], Any],
                 whole: WholeTables) -> pd.DataFrame:
    """On an executor: part ``i`` of the tables (Spark's rows of each, with the table)
    checked; its result (or the error raised), warnings and row counts pickled, in rows of at
    most :data:`CHUNK` bytes."""
    raws = [part_table(_arrow(frame.sort_values(ROW, kind="stable") if len(frame) else frame,
                              table.schema), table.summary.file) for frame, table in tables]
    counts = [len(frame) for frame, _ in tables]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = checked(raws[0], raws[1] if len(raws) > 1 else None, whole)
        answer: tuple = (True, value, [(str(w.message), w.category) for w in caught], counts)
    except Exception as exc:  # the check's error (an InputError: which file, row, rule)
        answer = (False, exc, [], counts)
    blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    packed = pa.compress(blob, codec="zstd", asbytes=True)
    pieces = [packed[j:j + CHUNK] for j in range(0, len(packed), CHUNK)] or [b""]
    return pd.DataFrame({"part": i, "pieces": len(pieces), "size": len(blob), "piece": pieces})


@dataclass
class _SparkParts:
    """The tables read by Spark and split into parts, which Spark's executors check."""

    tables: list[_SparkTable]
    k: int

    @property
    def patients(self) -> TableParts:
        return self.tables[0].summary

    @property
    def treatments(self) -> TableParts | None:
        return self.tables[1].summary if len(self.tables) > 1 else None

    def check(self, checked: Callable[[RawTable, RawTable | None, WholeTables], T],
              wholes: Sequence[tuple[int, WholeTables]],
              done: Callable[[int], None] | None = None) -> list[T]:
        from pyspark.sql import functions as F

        whole_of = dict(wholes)
        position = {i: j for j, (i, _) in enumerate(wholes)}
        meta = [_SparkTable(None, t.schema, t.summary) for t in self.tables]  # what is pickled
        # as many Spark partitions as parts: a task brings back about one part's result
        frames = [(t.frame if len(whole_of) == self.k
                   else t.frame.where(F.col(PART).isin(list(whole_of)))
                   ).repartition(len(whole_of), PART) for t in self.tables]
        if len(frames) == 1:
            def one(key: tuple, p: pd.DataFrame) -> pd.DataFrame:
                i = int(key[0])
                return _part_result(i, [(p, meta[0])], checked, whole_of[i])

            result = frames[0].groupBy(PART).applyInPandas(one, _RESULT)
        else:
            def two(key: tuple, p: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
                i = int(key[0])
                return _part_result(i, [(p, meta[0]), (t, meta[1])], checked, whole_of[i])

            result = frames[0].groupBy(PART).cogroup(frames[1].groupBy(PART)).applyInPandas(
                two, _RESULT)
        out: dict[int, T] = {}
        pieces: dict[int, list[bytes]] = {}
        with spark_failures("check the tables' parts",
                            fix="see the Spark log; the executors need sarcohort installed"):
            for row in result.toLocalIterator(prefetchPartitions=True):
                i = int(row["part"])
                pieces.setdefault(i, []).append(bytes(row["piece"]))
                if len(pieces[i]) == int(row["pieces"]):
                    out[i] = self._answer(i, pieces.pop(i), int(row["size"]))
                    if done is not None:
                        done(position[i])
        for i in whole_of:  # a part without a row in either table: checked here
            if i not in out:
                answer = _part_result(i, [(pd.DataFrame(), t) for t in meta], checked,
                                      whole_of[i])
                out[i] = self._answer(i, list(answer["piece"]), int(answer["size"].iloc[0]))
                if done is not None:
                    done(position[i])
        return [out[i] for i, _ in wholes]

    def _answer(self, i: int, pieces: Sequence[bytes], size: int) -> Any:
        """A part's result from the pieces of :func:`_part_result` (``size``: the pickle's
        bytes), unpickled: its error raised, its warnings raised here."""
        blob = pa.decompress(b"".join(pieces), size, codec="zstd", asbytes=True)
        ok, value, caught, counts = pickle.loads(blob)
        if not ok:
            raise value
        for table, n in zip(self.tables, counts, strict=True):
            table.summary.counts[i] = n
        for message, category in caught:
            warnings.warn(message, category, stacklevel=3)
        return value


def spark_parts(spark: Any) -> Callable[..., Any]:
    """A :data:`~sarcohort.data.validation._partitioned.PartsMaker` whose parts Spark
    (the session ``spark``) reads, splits and checks."""

    @contextmanager
    def parts(patients: Path, treatments: Path | None, mapping: Mapping[str, str] | None,
              k: int, count_dates: bool) -> Iterator[_SparkParts]:
        with _columns_as_named(spark):
            tables = []
            for path, table in ((patients, PATIENTS), (treatments, TREATMENTS)):
                if path is not None:
                    with _reading(path), spark_failures(f"read {path.name}"):
                        tables.append(_table(spark, path, table, mapping, k, count_dates))
            yield _SparkParts(tables, k)

    return parts


@contextmanager
def _columns_as_named(spark: Any) -> Iterator[None]:
    """Column names as the files write them while Spark reads and checks the parts: by
    default Spark SQL takes ``Notes`` and ``NOTES`` for one column and refuses the table;
    here, as in memory, they are two. The session's setting is given back after."""
    key = "spark.sql.caseSensitive"
    before = spark.conf.get(key)
    spark.conf.set(key, "true")
    try:
        yield
    finally:
        spark.conf.set(key, before)
