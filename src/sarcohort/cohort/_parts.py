"""The cohort of Parquet tables larger than memory, built a part at a time.

:func:`~sarcohort.data.validation._partitioned.validate_parquet` streams the tables into
parts of patients split by id, and validates each part with the rules written once. Here
each part's cohort is then built by :func:`~sarcohort.cohort._build.cohort_from_checked`
itself, with the whole tables' pseudonymous ids, and kept in the columns the analysis
uses: a patient's endpoints, inclusion, ``[derived]`` covariates and treatment summaries
read that patient's rows only, and a patient's rows are all in one part. The parts are
joined in the tables' row order, so the cohort is the one
:func:`~sarcohort.cohort._build.build_cohort` builds from the whole tables, in the
columns kept; the peak memory is one part's cohort per worker (the parts are built at once
in forked workers where the cores and memory allow) plus the joined columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sarcohort.cohort._build import (
    cohort_from_checked,
    cohort_manifest,
    column_at_rows,
    pseudo_ids,
    validated,
)
from sarcohort.cohort._cohort import Cohort
from sarcohort.cohort._flow import PatientFlow
from sarcohort.cohort._inclusion import merge_flows
from sarcohort.data._memory import map_big_allocations, release_memory
from sarcohort.data.validation._partitioned import PartsMaker, source_rows, validate_parquet
from sarcohort.protocol import CohortConfig


def read_whole_why(config: CohortConfig, patients: Path, treatments: Path | None,
                   sheet: str | None = None) -> str | None:
    """Why these tables cannot be read a part at a time (None when they can): only
    Parquet files and dataset folders are, and not through a REDCap dictionary, a
    workbook sheet or codes that change the patient ids the tables are split by."""
    def parquet(p: Path | None) -> bool:
        return p is None or p.is_dir() or p.suffix.lower() in (".parquet", ".pq")

    data = config.data
    if not (parquet(patients) and parquet(treatments)):
        return "only Parquet tables are checked out of core"
    if data.redcap_dictionary or sheet:
        return "a REDCap export or a workbook sheet is read whole"
    if "patient_id" in data.codes:
        return "[data.codes.patient_id] changes the ids the tables are split by"
    if treatments is not None and treatments.name == patients.name:
        return "the two tables' files have the same name"
    return None


def whole_read(config: CohortConfig, patients: Path, treatments: Path | None, *, engine: str,
               sheet: str | None = None) -> tuple[str | None, str | None]:
    """Whether ``engine`` reads these tables whole: (why, when an engine other than memory
    cannot read them in parts (:func:`read_whole_why`), else None; the usage error when that
    would read a Parquet dataset folder whole, which is never done (it may not fit in
    memory), else None)."""
    why = None if engine == "memory" else read_whole_why(config, patients, treatments, sheet)
    folders = [p for p in (patients, treatments) if p is not None and p.is_dir()]
    if not folders:
        return why, None
    if engine == "memory":
        return why, (f"{folders[0]} is a Parquet dataset folder: it is read a part at a time "
                     "(--engine duckdb or auto)")
    if why is not None:
        return why, f"{folders[0]} is a Parquet dataset folder, which is read a part at a time, but {why}"
    return why, None


T = TypeVar("T")


@dataclass
class _Part:
    """What is kept of one part's cohort (``extra``: what ``each`` made of it)."""

    patients: pd.DataFrame
    treatments: pd.DataFrame
    excluded: pd.DataFrame
    flow: PatientFlow
    treatment_rows: dict[str, int]
    columns: dict[str, str]
    extra: Any


def shared_objects(values: np.ndarray, seen: dict[str, str]) -> np.ndarray:
    """``values`` (an object array of texts) with equal texts held by one object each (the
    first seen, across calls through ``seen``); missing values kept as they are, and a
    column of other objects left as it is. The tables read a part at a time hold a text of
    each row otherwise (10^7 rows: GBs).

    >>> a = np.array(["yes", "no", None], dtype=object)
    >>> b = shared_objects(np.array(["y" + "es"], dtype=object), {})
    >>> shared_objects(a, seen := {})[0] is shared_objects(b, seen)[0]
    True
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) > max(64, len(values) // 4):  # identifiers, free text: left alone
        return values
    if not all(type(u) is str for u in uniques):  # 1 == 1.0 == True: not one value
        return values
    held = np.array([seen.setdefault(u, u) for u in uniques] + [None], dtype=object)
    out = held[codes]
    missing = codes < 0
    if missing.any():
        out[missing] = values[missing]
    return out


def _compact(frame: pd.DataFrame, seen: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each object column's equal values shared (:func:`shared_objects`),
    each column in an array of its own, indexed by row number (a part's pseudonymous ids
    are not held twice)."""
    # each column an array of its own (not a view of the part's table): joined, it is freed
    return pd.DataFrame({c: shared_objects(s.to_numpy(), seen)
                         if s.dtype == object and c != "pseudo_id" else column_at_rows(s, None).copy()
                         for c, s in frame.items()}, index=pd.RangeIndex(len(frame)), copy=False)


def joined_columns(frames: list[pd.DataFrame], order: np.ndarray) -> dict[str, Any]:
    """The columns of ``frames`` one after the other, at the rows ``order``, as arrays
    (pandas extension arrays kept); each frame's column is dropped once joined, so the peak
    is the joined columns and one column more."""
    from pandas.api.types import union_categoricals

    out: dict[str, Any] = {}
    for c in list(frames[0].columns) if frames else []:
        parts = [f.pop(c) for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):  # codes, not texts
            parts = [pd.Series(union_categoricals(parts))]
        whole = pd.concat(parts, ignore_index=True, copy=False)
        del parts
        values = whole.array
        out[c] = (values.take(order) if isinstance(values, pd.api.extensions.ExtensionArray)
                  and not isinstance(values, pd.arrays.NumpyExtensionArray)
                  else whole.to_numpy()[order])
        del whole, values
    return out


def _row_order(frames: list[pd.DataFrame]) -> np.ndarray:
    """The positions that put the joined rows of ``frames`` in the tables' row order."""
    rows = np.concatenate([f["source_row"].to_numpy(np.int64) for f in frames]) if frames \
        else np.zeros(0, np.int64)
    return np.argsort(rows, kind="stable")


def _digest(path: Path) -> str:
    """SHA-256 of a file, or of a dataset folder's files in path order, read in blocks."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        with f.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 22), b""):
                h.update(block)
    return h.hexdigest()


def cohort_in_parts(config: CohortConfig, base_dir: str | Path | None = None, *,
                    keep: Collection[str], today: object | None = None,
                    needed: Mapping[str, Mapping[str, str]] | None = None,
                    each: Callable[[Cohort], T | None] | None = None, treatments: bool = True,
                    parts: int | None = None,
                    on_part: Callable[[int, int], None] | None = None,
                    workers: int | None = None, parts_from: PartsMaker | None = None,
                    ) -> tuple[Cohort, list[T | None]]:
    """The cohort of the protocol's Parquet tables, built a part at a time, and what
    ``each`` makes of each part's cohort (in full) before it is cut to ``keep``.

    Parameters
    ----------
    config
        The cohort sections of the protocol (its sources: Parquet files or folders, see
        :func:`read_whole_why`).
    base_dir
        Folder the ``[data]`` paths are relative to (default: the protocol's folder).
    keep
        The patient columns kept; with ``pseudo_id``, the table is indexed by it as
        :class:`Cohort` says, else by row number (10^7 ids: 0.6 GB not held). Equal texts
        are held once (:func:`shared_objects`).
    each
        Called with each part's whole cohort (e.g. what the treatment course is summarised
        from): its results are returned in part order.
    treatments
        Whether the cohort keeps the treatment rows (all their columns); else its
        treatments table has their columns and no row.
    today, needed
        As :func:`~sarcohort.cohort._build.cohort_from_tables` (``today``: the day every
        part is checked on, default today).
    parts, on_part
        The number of parts (default: of about
        :data:`~sarcohort.data.validation._partitioned.PART_PATIENTS` patients each), and
        what is called with (parts done, parts) after each.
    workers
        Processes that build parts at once (forked; default: as the cores and memory allow,
        :func:`~sarcohort.data.validation._partitioned.part_workers`). The cohort is the
        same.
    parts_from
        What makes and builds the parts elsewhere (e.g. Spark's executors: a SQL engine's
        :meth:`~sarcohort.engines._base.SqlEngine.parts`); default: this machine. The
        cohort is the same.
    """
    map_big_allocations()  # the parts' columns, freed, go back to the system
    base = Path(base_dir) if base_dir is not None else config.base_dir
    data = config.data
    p_path = base / str(data.patients)
    t_path = base / str(data.treatments) if data.treatments else None
    n = source_rows(p_path)
    day = today if today is not None else dt.date.today().isoformat()
    kept = {"source_row", *keep}
    seen: dict[str, str] = {}

    def part(checked) -> _Part:
        ids = pseudo_ids(n, checked.patient_rows - 1)  # rows count the header as row 1
        c = cohort_from_checked(checked, config, ids=ids)
        extra = each(c) if each is not None else None
        tr = c.treatments if treatments else c.treatments.iloc[:0].copy()  # not a view
        return _Part(_compact(c.patients[[col for col in c.patients.columns if col in kept]],
                              seen), _compact(tr, seen), c.excluded, c.flow,
                     c.manifest["treatment_rows"], c.manifest["columns"], extra)

    def done(i: int, k: int) -> None:
        release_memory(heap=True)  # the part's tables, freed: given back before the next
        if on_part is not None:
            on_part(i, k)

    report, built, n_patients, n_treatments = validate_parquet(
        p_path, t_path,
        lambda p, t, whole: validated(p, t, config, today=day, needed=needed, whole=whole,
                                      consume=True),
        part, mapping=data.mapping, date_format=data.date_format, parts=parts, on_part=done,
        workers=workers, parts_from=parts_from)
    frames = [p.patients for p in built]
    columns = joined_columns(frames, _row_order(frames))
    if "source_row" not in keep:
        columns.pop("source_row", None)
    table = pd.DataFrame(columns, copy=False)
    if "pseudo_id" in table:
        table.index = pd.Index(table["pseudo_id"].to_numpy(), name=None)
    del columns, frames
    tframes = [p.treatments for p in built]
    tr = pd.DataFrame(joined_columns(tframes, _row_order(tframes)), copy=False)
    del tframes
    xframes = [p.excluded for p in built]
    excluded = pd.DataFrame(joined_columns(xframes, _row_order(xframes)), copy=False)
    release_memory(heap=True)
    flow = merge_flows([p.flow for p in built])
    sources = [_source(p_path, "patients", n_patients)]
    if t_path is not None:
        sources.append(_source(t_path, "treatments", n_treatments or 0))
    manifest = cohort_manifest(sources, report, config, flow, table, excluded)
    manifest["columns"] = built[0].columns if built else manifest["columns"]
    manifest["treatment_rows"] = _added([p.treatment_rows for p in built])
    return Cohort(table, tr, report, flow, manifest, excluded), [p.extra for p in built]


def _source(path: Path, role: str, rows: int) -> dict:
    """A table's entry in the manifest's sources (as validation records a table read)."""
    return {"role": role, "file": path.name, "sheet": None, "sha256": _digest(path),
            "rows": int(rows)}


def _added(counts: Sequence[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + int(v)
    return out
