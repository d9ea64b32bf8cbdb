"""What every SQL engine shares: the plan of :mod:`sarcohort.engines._sql`, run by a subclass.

A subclass (:class:`~sarcohort.engines._duckdb_engine.DuckDBEngine`,
:class:`~sarcohort.engines._spark_engine.SparkEngine`) knows only how to register a source as
a named table, materialise a query, run one and fetch its (small) result as numpy arrays.
Everything here returns aggregates: per-cell counts for Kaplan-Meier and log-rank
(:class:`SurvivalCounts`) and per-cell weighted sums for Cox
(:class:`~sarcohort.stats.cox_sums.CoxTimeSums`); the rows never leave the engine.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from sarcohort.engines import _sql as S
from sarcohort.exceptions import InputError
from sarcohort.stats.cox_sums import CoxTimeSums

_ids = itertools.count()
#: The names :meth:`SqlEngine.register` gives the views and frames it makes: those, and never a
#: user's own named table, are what :meth:`SqlEngine.unregister` drops.
SOURCE_PREFIX = "sarcohort_src_"
#: The names of the tables :meth:`SqlEngine.holding` makes: a statistic reads them as they are
#: (neither registered again nor dropped after it).
HELD_PREFIX = "sarcohort_held_"


@dataclass(frozen=True)
class SurvivalCounts:
    """Records and events per (key values, exact exit time) cell, and entries per (keys, entry).

    ``keys[i]`` holds the value of the i-th key column in each cell (as the engine returns
    it); ``n_read`` rows were read, ``n`` analysed (``n_read - n`` had a missing value).
    """

    keys: tuple[np.ndarray, ...]
    time: np.ndarray
    n_records: np.ndarray
    n_event: np.ndarray
    entry_keys: tuple[np.ndarray, ...] | None
    entry_time: np.ndarray | None
    entry_count: np.ndarray | None
    n_read: int
    n: int
    min_time: float


@dataclass(frozen=True)
class CoxRows:
    """A prepared Cox data set living in the engine (centered covariates, filtered rows)."""

    table: str
    names: tuple[str, ...]
    n_keys: int
    has_entry: bool
    means: np.ndarray
    xd_sum: np.ndarray  # sum over events of the centered covariates
    n: int
    n_event: int
    n_missing: int


def _event_coding(values: np.ndarray, argument: str) -> str:
    vals = {float(v) for v in np.asarray(values, dtype=float)}
    if vals <= {0.0, 1.0}:
        return "01"
    if vals <= {1.0, 2.0}:
        return "r"  # R's 1 = alive, 2 = dead
    raise InputError(f"event codes {sorted(vals)} are not 0/1, TRUE/FALSE or R's 1/2",
                     argument=argument, fix="code events as 1/0, True/False, or R's 2/1")


class SqlEngine(ABC):
    """An engine that runs the shared SQL plan; subclasses provide the execution."""

    name = "sql"
    dialect: S.Dialect = S.DUCKDB

    # ---------------------------------------------------------------- execution
    @abstractmethod
    def register(self, source: Any) -> str:
        """Make ``source`` (a pandas DataFrame, a Parquet file or folder, or a table of this
        engine) queryable; returns its table name."""

    @abstractmethod
    def unregister(self, name: str) -> None:
        """Forget a source :meth:`register` made queryable (a table of the engine it was
        given by name stays): a registry's data frames are not held once aggregated."""

    @abstractmethod
    def columns(self, table: str) -> dict[str, bool]:
        """Column name -> whether it is numeric."""

    @abstractmethod
    def materialise(self, name: str, sql: str) -> None:
        """Create (or replace) table ``name`` from ``sql`` (cached for repeated scans)."""

    @abstractmethod
    def fetch(self, sql: str) -> dict[str, np.ndarray]:
        """Run ``sql`` and return its (small) result column by column."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget a table made by :meth:`materialise`."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources (tables it made; a shared session stays up)."""

    def parts(self) -> Any:
        """What makes and checks the parts of tables validated out of core where this engine
        runs (a :data:`~sarcohort.data.validation._partitioned.PartsMaker`), or None: on
        this machine (DuckDB is embedded here)."""
        return None

    @contextmanager
    def holding(self, source: Any) -> Iterator[str]:
        """``source`` copied once into a table of the engine (cached in memory by Spark) for
        several statistics: the name it yields is a source of :meth:`survival_counts` and
        :meth:`cox_rows`, read as it is; the table is dropped on leaving.

        An analysis's endpoint gives its rows once, not once per curve (Spark: a pandas
        frame sent to the cluster and cached once).
        """
        source_table = self.register(source)  # kept while held: Spark uncaches what reads a dropped view
        name = f"{HELD_PREFIX}{next(_ids)}"
        try:
            self.materialise(name, f"SELECT * FROM {source_table}")
            try:
                yield name
            finally:
                self.drop(name)
        finally:
            self.unregister(source_table)

    def __enter__(self) -> SqlEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the plan
    def _view(self, source: Any, *, time: str, event: str, entry: str | None,
              keys: Sequence[str], covariates: Sequence[str] = ()) -> tuple[str, str]:
        held = isinstance(source, str) and source.startswith(HELD_PREFIX)
        table = source if held else self.register(source)
        try:
            cols = self.columns(table)
            for name in [time, event, *([entry] if entry else []), *keys, *covariates]:
                if name not in cols:
                    raise InputError("no such column in the data", argument=name,
                                     fix="available: " + ", ".join(sorted(cols)))
            for name in [time, *([entry] if entry else []), *covariates]:
                if not cols[name]:
                    raise InputError("must be a numeric column", argument=name,
                                     fix="code it as a number (dummy-code a category)")
            view = f"sarcohort_rows_{next(_ids)}"
            self.materialise(view, S.survival_view(self.dialect, table, time=time, event=event,
                                                   entry=entry, keys=keys, numeric=cols,
                                                   covariates=covariates))
        except BaseException:
            self.unregister(table)
            raise
        return table, view

    def _checks(self, table: str, view: str, *, event: str, entry: str | None) -> tuple[dict[str, Any], str]:
        summ = {k: v[0] for k, v in self.fetch(S.survival_summary(table, view, has_entry=entry is not None)).items()}
        if int(summ["n"]) == 0:
            raise InputError("no rows left after removing missing values", argument="time")
        if int(summ["bad_time"] or 0):
            raise InputError("times must be finite", argument="time")
        if entry is None and float(summ["min_t"]) < 0:
            raise InputError("times must be non-negative", argument="time", value=float(summ["min_t"]))
        if int(summ["bad_entry"] or 0):
            raise InputError(f"entry must be before the stop time ({int(summ['bad_entry'])} rows)",
                             argument=entry, fix="check the (start, stop] intervals")
        coding = _event_coding(self.fetch(S.event_values(view))["e_raw"], event)
        return summ, coding

    def survival_counts(self, source: Any, *, time: str, event: str, entry: str | None = None,
                        keys: Sequence[str] = ()) -> SurvivalCounts:
        """Records and events per (key values, exit time), entries per (key values, entry)."""
        table, view = self._view(source, time=time, event=event, entry=entry, keys=keys)
        try:
            summ, coding = self._checks(table, view, event=event, entry=entry)
            ex = self.fetch(S.exit_counts(view, len(keys), coding))
            en = self.fetch(S.entry_counts(view, len(keys))) if entry is not None else None
        finally:
            self.drop(view)
            self.unregister(table)
        return SurvivalCounts(
            keys=tuple(ex[f"k{i}"] for i in range(len(keys))), time=ex["t"].astype(float),
            n_records=ex["n"].astype(float), n_event=ex["d"].astype(float),
            entry_keys=None if en is None else tuple(en[f"k{i}"] for i in range(len(keys))),
            entry_time=None if en is None else en["en"].astype(float),
            entry_count=None if en is None else en["n"].astype(float),
            n_read=int(summ["n_read"]), n=int(summ["n"]), min_time=float(summ["min_t"]))

    def cox_rows(self, source: Any, *, time: str, event: str, covariates: Sequence[str],
                 strata: Sequence[str] = (), entry: str | None = None) -> CoxRows:
        """Filter and center the Cox rows once (a cached table of the engine)."""
        table, view = self._view(source, time=time, event=event, entry=entry, keys=strata,
                                 covariates=covariates)
        try:
            summ, coding = self._checks(table, view, event=event, entry=entry)
            p = len(covariates)
            mom = {k: v[0] for k, v in self.fetch(S.cox_moments(view, p, coding)).items()}
            if not float(mom["d"] or 0):
                raise InputError("no events among the analysed rows: a Cox model needs at least one",
                                 argument=event, fix="check the event coding (1/TRUE = event)")
            for j, name in enumerate(covariates):
                if float(mom[f"lo{j}"]) == float(mom[f"hi{j}"]):
                    raise InputError("covariate is constant in the analysed rows (its effect "
                                     "cannot be estimated)", argument=name, fix="remove it from the model")
                if not np.isfinite(float(mom[f"lo{j}"])) or not np.isfinite(float(mom[f"hi{j}"])):
                    raise InputError("covariate has infinite values (e.g. log(0))", argument=name,
                                     fix="remove or recode the infinite values")
            means = np.array([float(mom[f"m{j}"]) for j in range(p)])
            d = float(mom["d"])
            xd = np.array([float(mom[f"xd{j}"]) for j in range(p)]) - d * means
            rows = f"sarcohort_cox_{next(_ids)}"
            self.materialise(rows, S.cox_view(view, len(strata), p, means.tolist(), coding, entry is not None))
        finally:
            self.drop(view)
            self.unregister(table)
        return CoxRows(table=rows, names=tuple(covariates), n_keys=len(strata),
                       has_entry=entry is not None, means=means, xd_sum=xd, n=int(summ["n"]),
                       n_event=int(round(d)), n_missing=int(summ["n_read"]) - int(summ["n"]))

    def cox_sums(self, rows: CoxRows, beta: np.ndarray) -> CoxTimeSums:
        """One GROUP BY: the ``exp(x'b)``-weighted sums per (stratum, exit time) at ``beta``."""
        p = len(rows.names)
        cell = self.fetch(S.cox_cell_sums(rows.table, rows.n_keys, p, list(beta)))
        ent = self.fetch(S.cox_entry_sums(rows.table, rows.n_keys, p, list(beta))) if rows.has_entry else None
        keys = [cell[f"k{i}"] for i in range(rows.n_keys)]
        ekeys = [] if ent is None else [ent[f"k{i}"] for i in range(rows.n_keys)]
        stratum, estratum = _joint_codes(keys, ekeys, cell["t"].shape[0],
                                         None if ent is None else ent["en"].shape[0])

        def moments(res: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            r = res[f"{prefix}0"].shape[0]
            m0 = res[f"{prefix}0"].astype(float)
            m1 = np.column_stack([res[f"{prefix}1_{j}"] for j in range(p)]).astype(float) if p else np.zeros((r, 0))
            m2 = np.zeros((r, p, p))
            for i in range(p):
                for j in range(i, p):
                    m2[:, i, j] = m2[:, j, i] = res[f"{prefix}2_{i}_{j}"]
            return m0, m1, m2

        s0, s1, s2 = moments(cell, "s")
        d0, d1, d2 = moments(cell, "d")
        nd = cell["nd"].astype(float)
        e0 = e1 = e2 = None
        if ent is not None:
            e0, e1, e2 = moments(ent, "s")
        return CoxTimeSums(stratum=stratum, time=cell["t"].astype(float), s0=s0, s1=s1, s2=s2,
                           d0=d0, d1=d1, d2=d2, n_event=nd, w_event=nd,
                           entry_stratum=estratum, entry_time=None if ent is None else ent["en"].astype(float),
                           e0=e0, e1=e1, e2=e2)


def _joint_codes(keys: list[np.ndarray], ekeys: list[np.ndarray], r: int,
                 r_entry: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """One stratum code per cell from the key columns, shared by exit and entry cells."""
    code = np.zeros(r + (r_entry or 0), np.int64)
    for i, k in enumerate(keys):
        both = np.concatenate((k, ekeys[i])) if r_entry is not None else k
        _, inv = np.unique(both.astype(str) if both.dtype.kind == "O" else both, return_inverse=True)
        code = code * (int(inv.max()) + 1) + inv.reshape(-1)
    return code[:r], (None if r_entry is None else code[r:])
