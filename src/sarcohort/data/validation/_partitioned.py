"""Validation out of core: Parquet tables larger than memory, checked part by part.

The patients and treatments tables are streamed once, batch by batch, and split into
``k`` parts by a hash of each row's patient id as the rules compare ids (:func:`id_key`:
ignoring case, spaces and leading zeros); each part is written to a temporary Parquet
file with the rows' numbers. Every rule that compares rows (duplicate ids within a centre
or across centres, ids differing by case, linking treatments to their patient, ambiguous
ids, the course of each patient's lines) compares rows of one id key, hence of one part;
the others look at one row. So each part is validated by :func:`validate_tables` itself,
the rules written once, and the parts' problems are those of the whole tables.

What :func:`validate_tables` decides over a whole table is decided here over the whole
table and given to each part (:class:`WholeTables`): the day/month convention of d/m/y
dates (from the evidence counted while streaming) and whether the treatments table links
on centre. The problems about a whole column or file (no row) are merged: those that
depend on the column names only are taken once, ``column.empty`` is kept when the column
is empty in every part, ``treatment.id_normalised`` counts the rows of all parts, and the
``date.format`` note is the whole table's. The report is the in-memory path's, problem
for problem and in the same order.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from sarcohort._forked import run_forked, workers_for
from sarcohort.data import _dates as D
from sarcohort.data._schema import PATIENTS, TREATMENTS, Table
from sarcohort.data.readers._mapping import map_columns
from sarcohort.data.readers._parquet import to_frame, unreadable
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._coerce import (
    _hardly_repeated,
    _plain,
    arrow_objects,
    date_text,
    note_dates,
    text_arrow,
    to_text,
)
from sarcohort.data.validation._collect import Collector
from sarcohort.data.validation._problems import Problem, ValidationReport
from sarcohort.data.validation._rules import _fold_ascii, id_key
from sarcohort.data.validation._validate import ValidatedData, WholeTables

T = TypeVar("T")

#: Patients per part (about: they are split by id hash): one part validates in about 0.4 GB (10^7 patients: 40
#: parts, 76 s and 0.9 GB peak; 10 parts of 10^6: 83 s and 2.4 GB).
PART_PATIENTS = 250_000

#: Rows read from a file at a time while splitting it.
BATCH_ROWS = 1 << 19

#: The column of row numbers in the parts' files.
ROW = "__sarcohort_row__"

_DATE_COLUMNS = {t: [c.name for c in t.columns if c.type == "date"] for t in (PATIENTS, TREATMENTS)}


#: The memory a worker checking a part may take at most (a part of
#: :data:`PART_PATIENTS` patients validates in about 0.4 GB, and its cohort is built beside).
PART_MEMORY = 1 << 30


def part_workers(k: int) -> int:
    """Processes that check ``k`` parts at once: one per usable core, at most one per
    :data:`PART_MEMORY` of memory still available."""
    return min(k, workers_for(PART_MEMORY))


def parts_for(n_patients: int) -> int:
    """How many parts ``n_patients`` are validated in (each of about :data:`PART_PATIENTS`)."""
    return max(1, -(-int(n_patients) // PART_PATIENTS))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the hash depends on every bit of ``h``."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def hash_text(a) -> np.ndarray:
    """A 64-bit hash of each Arrow string (equal strings, equal hashes; nulls as ``""``), in
    numpy over the array's bytes: no Python object per value."""
    import pyarrow as pa

    a = a.cast(pa.large_string())
    n = len(a)
    if n == 0:
        return np.zeros(0, np.uint64)
    _, off_buf, data_buf = a.buffers()
    off = np.frombuffer(off_buf, np.int64, n + 1, a.offset * 8)
    length = np.diff(off)
    nbytes = int(off[-1] - off[0])
    h = np.zeros(n, np.uint64)
    if nbytes:
        data = np.frombuffer(data_buf, np.uint8, nbytes, int(off[0])).astype(np.uint64)
        starts = off[:-1] - off[0]
        within = np.arange(nbytes, dtype=np.int64) - np.repeat(starts, length)
        powers = np.cumprod(np.full(int(length.max()), 0x100000001B3, np.uint64))
        with np.errstate(over="ignore"):
            terms = data * powers[within]  # a polynomial in the bytes, modulo 2**64
        nonempty = length > 0
        h[nonempty] = np.add.reduceat(terms, starts[nonempty])
    with np.errstate(over="ignore"):
        return _mix(h ^ (length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))


def id_hash(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The hash of each patient id's :func:`id_key`, the id as validation types it (text
    stripped, missing tokens missing), and which ids are there: rows whose ids the rules
    take as equal get equal hashes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    a = text_arrow(ids)
    if a is None:  # ids stored as numbers (or mixed cells): their text, as validation makes it
        keys = id_key(to_text(ids).to_numpy(dtype=object))
        return hash_text(pa.array(keys, type=pa.string())), pd.notna(keys)
    a = _plain(a)
    keys = _fold_ascii(a, whole_numbers=True)  # id_key of printable ASCII, in Arrow
    if _hardly_repeated(keys):  # the patients' ids
        h = hash_text(keys)
    else:  # the treatments' ids: each distinct one hashed once
        coded = pc.dictionary_encode(keys)
        h = np.append(hash_text(coded.dictionary), np.uint64(0))[
            coded.indices.fill_null(len(coded.dictionary)).to_numpy(zero_copy_only=False)]
    odd = np.flatnonzero(~pc.ascii_is_printable(a).fill_null(True).to_numpy(
        zero_copy_only=False))
    if odd.size:  # the others as Python folds them
        keys = id_key(arrow_objects(a.take(pa.array(odd))))
        h[odd] = hash_text(pa.array(keys, type=pa.string()))
    return h, a.is_valid().to_numpy(zero_copy_only=False)


@dataclass
class TableParts:
    """A table split into parts: its file's name, each part's row count, and what the
    whole table says (the d/m/y dates' evidence, whether its centre column is filled)."""

    file: str
    counts: np.ndarray
    evidence: tuple[int, int, int] = (0, 0, 0)
    centre_filled: bool = False

    @property
    def n(self) -> int:
        return int(self.counts.sum())


@dataclass
class _Split(TableParts):
    """A table split into parts written to files on this machine."""

    paths: list[Path] = field(default_factory=list)

    def part(self, i: int) -> RawTable:
        """Part ``i`` as the Parquet reader gives a table, with the rows' own numbers."""
        import pyarrow as pa

        with pa.memory_map(str(self.paths[i])) as source:
            return part_table(pa.ipc.open_file(source).read_all(), self.file)


def part_table(table: Any, file: str) -> RawTable:
    """A part's rows (an Arrow table with their numbers in :data:`ROW`, in file order) as
    the Parquet reader gives a table, with the rows' own numbers."""
    frame = to_frame(table)
    rows = frame.pop(ROW).to_numpy(dtype=np.int64) + 2  # the header is row 1
    return RawTable(frame, file, None, rows)


def _source(path: Path) -> tuple[Any, Iterator[Any]]:
    """The schema of a Parquet file or dataset folder, and its rows as Arrow tables of at
    most :data:`BATCH_ROWS` rows in order: a folder's files in path order (the rows numbered
    on across them), ``key=value`` folders giving their column (hive partitioning)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_dir():
        source = pq.ParquetFile(path)
        return source.schema_arrow, (pa.Table.from_batches([b]) for b in source.iter_batches(
            batch_size=BATCH_ROWS, use_threads=True))
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet", partitioning="hive")
    schema = dataset.schema

    def tables() -> Iterator[Any]:
        for fragment in sorted(dataset.get_fragments(), key=lambda f: f.path):
            keys = ds.get_partition_keys(fragment.partition_expression)
            for b in fragment.to_batches(batch_size=BATCH_ROWS):
                got = pa.Table.from_batches([b])
                yield pa.Table.from_arrays([
                    got[f.name].cast(f.type) if f.name in got.column_names
                    else pa.array([keys.get(f.name)] * len(got), type=f.type)
                    for f in schema], schema=schema)
    return schema, tables()


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Arrow's and the system's errors while ``path`` is read: the Parquet reader's
    :class:`~sarcohort.exceptions.InputError`, naming the file."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(path.name, exc) from None


def source_rows(path: Path) -> int:
    """The number of rows of a Parquet file or dataset folder (from the files' footers)."""
    import pyarrow.parquet as pq

    with _reading(path):
        if not path.is_dir():
            return pq.ParquetFile(path).metadata.num_rows
        import pyarrow.dataset as ds

        return sum(f.metadata.num_rows
                   for f in ds.dataset(path, format="parquet").get_fragments())


def split_columns(names: list[str], file: str, table: Table, mapping: Mapping[str, str] | None,
                  count_dates: bool) -> tuple[str | None, str | None, list[str]]:
    """The columns of a table (its column ``names``) that splitting it reads: the patient
    id's (None when there is none), the treatments' centre (None for the patients or when
    there is none) and the dates whose d/m/y evidence is counted (none unless
    ``count_dates``)."""
    if ROW in names:
        raise ValueError(f"{file} has a column named {ROW}")
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in names})
    found = map_columns(RawTable.from_frame(empty, file), table, mapping).source_names
    id_col = found.get("patient_id") if "patient_id" in found else None
    centre = found.get("centre") if table is TREATMENTS and "centre" in found else None
    dates = [found[c] for c in _DATE_COLUMNS[table] if c in found] if count_dates else []
    return id_col, centre, dates


def part_of(ids: pd.Series | None, rows: np.ndarray, k: int) -> np.ndarray:
    """The part (of ``k``) of each row: by the hash of its patient id (:func:`id_hash`),
    and for a row without one (or a table without the column) by its number ``rows``."""
    part = rows % k  # rows without an id: any part
    if ids is not None:
        h, has = id_hash(ids)
        part = np.where(has, (h % np.uint64(k)).astype(np.int64), part)
    return part


def dates_evidence(cells: pd.DataFrame, dates: list[str]) -> np.ndarray:
    """The d/m/y evidence (:func:`~sarcohort.data._dates.date_evidence`) of the columns
    ``dates`` of ``cells``, summed."""
    evidence = np.zeros(3, np.int64)
    for c in dates:
        text = date_text(cells[c])
        if text is not None:
            evidence += D.date_evidence(cells[c], text)
    return evidence


def _split(path: Path, table: Table, mapping: Mapping[str, str] | None, k: int, folder: Path,
           role: str, count_dates: bool) -> _Split:
    """Stream the Parquet file ``path`` into ``k`` parts by id hash (written under
    ``folder``), counting its d/m/y evidence (``count_dates``) and filled centres."""
    import pyarrow as pa

    schema, tables = _source(path)
    id_col, centre, dates = split_columns(schema.names, path.name, table, mapping, count_dates)
    used = list(dict.fromkeys(c for c in (id_col, centre, *dates) if c is not None))
    out_schema = schema.append(pa.field(ROW, pa.int64()))
    paths = [folder / f"{role}-{i}.arrow" for i in range(k)]
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    writers = [pa.ipc.new_file(str(p), out_schema, options=options) for p in paths]
    split = _Split(path.name, np.zeros(k, np.int64), paths=paths)
    evidence = np.zeros(3, np.int64)
    first = 0
    try:
        for batch in tables:
            n = batch.num_rows
            rows = np.arange(first, first + n, dtype=np.int64)
            first += n
            cells = to_frame(batch.select(used))
            part = part_of(cells[id_col] if id_col is not None else None, rows, k)
            evidence += dates_evidence(cells, dates)
            if centre is not None and not split.centre_filled:
                split.centre_filled = bool(to_text(cells[centre]).notna().any())
            del cells
            order = np.argsort(part, kind="stable")  # each part's rows in file order
            bounds = np.searchsorted(part[order], np.arange(k + 1))
            whole = batch.append_column(ROW, pa.array(rows)).take(pa.array(order))
            for i in range(k):
                if bounds[i + 1] > bounds[i]:
                    writers[i].write_table(whole.slice(bounds[i], bounds[i + 1] - bounds[i]))
                    split.counts[i] += bounds[i + 1] - bounds[i]
    finally:
        for w in writers:
            w.close()
    split.evidence = tuple(int(x) for x in evidence)  # type: ignore[assignment]
    return split


def _treatment_rules(checked: ValidatedData) -> tuple[dict[str, int], bool]:
    """The error rules of the linked treatment rows in the order they first appear, with
    that row's number, and whether a patient has rows of several."""
    te, pos = checked.treatment_error, checked.treatment_patient
    if te is None or not len(te):
        return {}, False
    bad = np.flatnonzero((te != None) & (pos >= 0))  # noqa: E711
    rules = pd.Series(te[bad], dtype=object)
    rows = checked.treatment_rows[bad]
    seen = {r: int(rows[i]) for r, i in zip(*np.unique(rules.to_numpy(dtype=str),
                                                        return_index=True), strict=True)}
    seen = dict(sorted(seen.items(), key=lambda kv: kv[1]))
    pairs = pd.DataFrame({"p": pos[bad], "r": rules}).drop_duplicates()
    return seen, bool(pairs["p"].duplicated().any())


def _table_problems(parts: list[list[Problem]], nonempty: dict[str, list[bool]],
                    notes: list[Problem]) -> list[Problem]:
    """The problems about whole columns or files (no row) of the whole tables, from those of
    the parts (``nonempty``: per file, which parts hold rows of it)."""
    out = [q for q in parts[0] if q.rule not in (
        "file.empty", "date.format", "column.empty", "treatment.id_normalised")]
    for q in parts[0]:
        if q.rule == "column.empty" and all(
                q in mine for mine, full in zip(parts, nonempty[q.file], strict=True) if full):
            out.append(q)
    linked = [q for mine in parts for q in mine if q.rule == "treatment.id_normalised"]
    if linked:  # "<n> treatment row(s) were linked ...": the rows of all parts
        total = str(sum(int(q.value) for q in linked))
        q = linked[0]
        out.append(replace(q, value=total, message=total + q.message[len(q.value):]))
    return out + notes


def _notes(split: TableParts, note: str | None) -> list[Problem]:
    """The ``date.format`` problem of a whole table (none when ``note`` is None)."""
    col = Collector(split.file, None, np.zeros(0, np.int64))
    note_dates(col, note)
    return col.problems


class Parts(Protocol):
    """Tables split into parts, and how the parts are checked (on this machine:
    :func:`local_parts`; by Spark's executors:
    :func:`~sarcohort.engines._spark_parts.spark_parts`)."""

    patients: TableParts
    treatments: TableParts | None

    def check(self, checked: Callable[[RawTable, RawTable | None, WholeTables], T],
              wholes: Sequence[tuple[int, WholeTables]],
              done: Callable[[int], None] | None = None) -> list[T]:
        """``checked(patients, treatments, whole)`` of each part ``i`` of ``wholes`` (with its
        ``whole``), in that order; ``done`` is called with a position in ``wholes`` when
        that part is done."""
        ...


#: Makes the :class:`Parts` of (patients, treatments, column mapping, number of parts,
#: whether the d/m/y evidence is counted), removing what it made on leaving.
PartsMaker = Callable[[Path, "Path | None", "Mapping[str, str] | None", int, bool],
                      AbstractContextManager[Parts]]


@dataclass
class _LocalParts:
    """Parts in files on this machine, checked at once in forked workers."""

    patients: _Split
    treatments: _Split | None
    workers: int | None

    def check(self, checked: Callable[[RawTable, RawTable | None, WholeTables], T],
              wholes: Sequence[tuple[int, WholeTables]],
              done: Callable[[int], None] | None = None) -> list[T]:
        def one(i: int, whole: WholeTables) -> T:
            ts = self.treatments
            return checked(self.patients.part(i), ts.part(i) if ts is not None else None, whole)

        return run_forked([functools.partial(one, i, whole) for i, whole in wholes],
                          part_workers(len(wholes)) if self.workers is None else self.workers,
                          done=done)


@contextmanager
def local_parts(patients: Path, treatments: Path | None, mapping: Mapping[str, str] | None,
                k: int, count_dates: bool, *, folder: str | Path | None = None,
                workers: int | None = None) -> Iterator[_LocalParts]:
    """The tables streamed into ``k`` parts in temporary files (under ``folder``, default the
    system's temporary folder; removed on leaving), checked by ``workers`` forked workers
    (default :func:`part_workers`)."""
    with tempfile.TemporaryDirectory(prefix="sarcohort-parts-", dir=folder) as tmp:
        with _reading(patients):
            ps = _split(patients, PATIENTS, mapping, k, Path(tmp), "patients", count_dates)
        ts = None
        if treatments is not None:
            with _reading(treatments):
                ts = _split(treatments, TREATMENTS, mapping, k, Path(tmp), "treatments",
                            count_dates)
        yield _LocalParts(ps, ts, workers)


def validate_parquet(
    patients: Path, treatments: Path | None,
    check: Callable[[RawTable, RawTable | None, WholeTables], ValidatedData],
    each: Callable[[ValidatedData], T], *,
    mapping: Mapping[str, str] | None = None, date_format: str | None = None,
    parts: int | None = None, on_part: Callable[[int, int], None] | None = None,
    folder: str | Path | None = None, workers: int | None = None,
    parts_from: PartsMaker | None = None,
) -> tuple[ValidationReport, list[T], int, int | None]:
    """Validate Parquet tables part by part, holding one part in memory per worker.

    Parameters
    ----------
    patients, treatments
        The Parquet files, or dataset folders of Parquet files (read in path order, the
        rows numbered on across the files; ``key=value`` folders give their column).
    check
        Validates one part: ``check(patients, treatments, whole)`` calls
        :func:`validate_tables` (as the protocol says) with ``whole=whole``.
    each
        Called with each part's validated tables (e.g. its patient flow); its results are
        returned in part order.
    mapping, date_format
        ``[data]`` of the protocol: the column mapping (which column holds the ids) and
        the date format (None: the day/month convention is decided over the whole tables).
    parts
        Number of parts (default: :func:`parts_for` the patients).
    on_part
        Called with (parts done, parts) after each part.
    folder, workers
        Where the parts' files are written (default: the system's temporary folder; they
        are removed at the end), and the processes that check parts at once (default:
        :func:`part_workers`): of the parts made on this machine (:func:`local_parts`).
    parts_from
        What makes and checks the parts elsewhere (e.g. Spark's executors,
        :func:`~sarcohort.engines._spark_parts.spark_parts`; ``check`` and ``each`` are
        then pickled there). The report and results are the same.

    Returns
    -------
    report, results, n_patients, n_treatments
        The problems of the whole tables, ``each``'s results, the row counts.
    """
    if treatments is not None and Path(treatments).name == Path(patients).name:
        raise ValueError("the patients and treatments files need different names")
    n_patients = source_rows(Path(patients))
    k = parts or parts_for(n_patients)
    count_dates = date_format is None
    make = parts_from or functools.partial(local_parts, folder=folder, workers=workers)
    with make(Path(patients), None if treatments is None else Path(treatments), mapping, k,
              count_dates) as split:
        ps, ts = split.patients, split.treatments
        p_conv, p_note = D.choose_convention(*ps.evidence, date_format, None)
        t_conv, t_note = (D.choose_convention(*ts.evidence, date_format, p_conv)
                          if ts is not None else (None, None))
        whole = WholeTables(p_conv, t_conv, ts is not None and ts.centre_filled)
        notes = _notes(ps, p_note) + (_notes(ts, t_note) if ts else [])

        def checked_part(p: RawTable, t: RawTable | None, whole: WholeTables,
                         ) -> tuple[T, list[Problem], list[Problem], tuple[dict[str, int], bool]]:
            checked = check(p, t, whole)
            problems = checked.report.problems
            return (each(checked), [q for q in problems if q.row is not None],
                    [q for q in problems if q.row is None], _treatment_rules(checked))

        finished = 0

        def done(_i: int) -> None:
            nonlocal finished
            finished += 1
            if on_part is not None:
                on_part(finished, k)

        # the parts are checked at once where the cores and memory allow
        checked = split.check(checked_part, [(i, whole) for i in range(k)], done)
        results = [result for result, _, _, _ in checked]
        rowwise = [q for _, rows_problems, _, _ in checked for q in rows_problems]
        tablewise = [table_problems for _, _, table_problems, _ in checked]
        orders = [rule_order for _, _, _, rule_order in checked]
        del checked
        # a patient whose treatment rows have several error rules is excluded for the one
        # first seen in the whole table: the parts where that order differs from their own
        # and such a patient exists are checked again in the whole table's order
        first: dict[str, int] = {}
        for seen, _ in orders:
            for rule, row in seen.items():
                first[rule] = min(row, first.get(rule, row))
        order = tuple(sorted(first, key=first.__getitem__))
        again = [i for i, (seen, several) in enumerate(orders)
                 if several and list(seen) != [r for r in order if r in seen]]
        if again:
            def each_part(p: RawTable, t: RawTable | None, whole: WholeTables) -> T:
                return each(check(p, t, whole))

            redone = split.check(each_part, [(i, replace(whole, treatment_rules=order))
                                             for i in again])
            for i, result in zip(again, redone, strict=True):
                results[i] = result
    nonempty = {ps.file: list(ps.counts > 0)}
    if ts is not None:
        nonempty[ts.file] = list(ts.counts > 0)
    table = _table_problems(tablewise, nonempty, notes)
    if ps.n == 0:  # an empty patients table is a problem of the whole table (of every part)
        table += [q for q in tablewise[0] if q.rule == "file.empty"]
    report = ValidationReport.from_problems(table + rowwise)
    return report, results, ps.n, ts.n if ts is not None else None
