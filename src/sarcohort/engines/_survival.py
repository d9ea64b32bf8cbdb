"""Kaplan-Meier, log-rank and Cox on the data where they live, through any engine.

``engine="memory"`` reads the columns into numpy and calls the in-memory functions of
:mod:`sarcohort.stats`; ``"duckdb"`` and ``"spark"`` (or an engine object) run the shared
SQL plan and hand the aggregates to the same numerical core
(:func:`~sarcohort.stats.km.kaplan_meier_from_table`,
:func:`~sarcohort.stats.logrank.logrank_from_table`,
:func:`~sarcohort.stats.cox_sums.fit_from_sums`). The numbers agree to rounding.

Missing values are left out as R's ``na.omit`` and counted (``n_missing``), whatever the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from sarcohort.engines._base import SqlEngine, SurvivalCounts
from sarcohort.engines._registry import open_engine
from sarcohort.exceptions import InputError
from sarcohort.stats._aggregates import risk_table_from_counts
from sarcohort.stats.cox_sums import CoxSumsFit, fit_from_sums
from sarcohort.stats.km import kaplan_meier_from_table, level_codes
from sarcohort.stats.logrank import logrank_from_table
from sarcohort.stats.results import KaplanMeierResult, LogRankResult


def _memory_frame(source: Any, columns: Sequence[str]) -> Any:
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        frame = pd.read_parquet(source, columns=list(dict.fromkeys(columns)))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError("no such column in the data", argument=missing[0],
                         fix="available: " + ", ".join(map(str, frame.columns)))
    return frame


def _complete(frame: Any, columns: Sequence[str]) -> tuple[Any, int]:
    cols = list(dict.fromkeys(columns))
    keep = frame[cols].notna().all(axis=1).to_numpy()
    return frame.loc[keep, cols], int((~keep).sum())


def _sql_engine(engine: Any) -> tuple[SqlEngine | None, bool]:
    """The engine object and whether we opened it (and so close it)."""
    if isinstance(engine, SqlEngine):
        return engine, False
    if engine in (None, "memory"):
        return None, False
    return open_engine(str(engine)), True


def _table(counts: SurvivalCounts, n_keys_group: int) -> tuple[Any, ...]:
    """Codes of the cells: group (first key) and strata (the other keys)."""
    n_exit = counts.time.shape[0]
    both = [np.concatenate((k, ek)) if counts.entry_keys is not None else k
            for k, ek in zip(counts.keys, counts.entry_keys or counts.keys, strict=True)]
    out = []
    for k in both:
        codes, labels = level_codes(np.asarray(k))
        out.append((codes[:n_exit], codes[n_exit:] if counts.entry_keys is not None else None, labels))
    return tuple(out)


def kaplan_meier(source: Any, *, time: str, event: str, group: str | None = None,
                 entry: str | None = None, engine: Any = "memory", conf_type: str = "log",
                 conf_level: float = 0.95) -> KaplanMeierResult:
    """Kaplan-Meier curves (one per value of ``group``) of the rows of ``source``.

    Parameters
    ----------
    source
        A pandas DataFrame, a Parquet file or folder, or a table of the engine.
    time, event, group, entry
        Column names (``event`` coded 1/0, True/False or R's 2/1).
    engine
        ``"memory"``, ``"duckdb"``, ``"spark"`` or an engine object.
    """
    from sarcohort.stats.km import kaplan_meier as km_rows

    eng, owned = _sql_engine(engine)
    if eng is None:
        cols = [time, event, *([group] if group else []), *([entry] if entry else [])]
        frame, n_missing = _complete(_memory_frame(source, cols), cols)
        res = km_rows(frame[time].to_numpy(float), frame[event].to_numpy(),
                      None if group is None else frame[group].to_numpy(),
                      None if entry is None else frame[entry].to_numpy(float),
                      conf_type=conf_type, conf_level=conf_level)
        return KaplanMeierResult(curves=res.curves, conf_type=res.conf_type,
                                 conf_level=res.conf_level, n_missing=n_missing)
    try:
        counts = eng.survival_counts(source, time=time, event=event, entry=entry,
                                     keys=[group] if group else [])
    finally:
        if owned:
            eng.close()
    return _curves(counts, grouped=bool(group), conf_type=conf_type, conf_level=conf_level)


def _curves(counts: SurvivalCounts, *, grouped: bool, conf_type: str, conf_level: float) -> KaplanMeierResult:
    """The Kaplan-Meier curves of the cells' counts (one per value of the first key)."""
    if grouped:
        g, eg, labels = _table(counts, 1)[0]
    else:
        g, eg, labels = None, None, ("All",)
    table = risk_table_from_counts(
        counts.time, counts.n_records, counts.n_event, strata=g, n_strata=len(labels),
        entry_time=counts.entry_time, entry_count=counts.entry_count, entry_strata=eg)
    return kaplan_meier_from_table(table, labels, start=min(0.0, counts.min_time), conf_type=conf_type,
                                   conf_level=conf_level, n_missing=counts.n_read - counts.n)


def kaplan_meier_and_logrank(source: Any, *, time: str, event: str, group: str, engine: SqlEngine,
                             conf_type: str = "log", conf_level: float = 0.95
                             ) -> tuple[KaplanMeierResult, LogRankResult | None]:
    """The curves of :func:`kaplan_meier` by ``group`` and the log-rank test of
    :func:`logrank` (None for a single group), from one aggregation by the SQL ``engine``."""
    counts = engine.survival_counts(source, time=time, event=event, keys=[group])
    km = _curves(counts, grouped=True, conf_type=conf_type, conf_level=conf_level)
    return km, (_test(counts, strata=False, rho=0.0) if len(km.curves) > 1 else None)


def logrank(source: Any, *, time: str, event: str, group: str, strata: Sequence[str] = (),
            rho: float = 0.0, engine: Any = "memory") -> LogRankResult:
    """Log-rank (``rho = 0``) or G-rho test of ``group``, stratified by the ``strata`` columns."""
    from sarcohort.stats.logrank import logrank as logrank_rows

    strata = list(strata)
    if len(strata) > 1:
        raise InputError("one strata column at most", argument="strata", value=strata,
                         fix="combine the columns into one first")
    eng, owned = _sql_engine(engine)
    if eng is None:
        cols = [time, event, group, *strata]
        frame, n_missing = _complete(_memory_frame(source, cols), cols)
        res = logrank_rows(frame[time].to_numpy(float), frame[event].to_numpy(),
                           frame[group].to_numpy(), rho=rho,
                           strata=frame[strata[0]].to_numpy() if strata else None)
        return _with_missing(res, n_missing)
    try:
        counts = eng.survival_counts(source, time=time, event=event, keys=[group, *strata])
    finally:
        if owned:
            eng.close()
    return _test(counts, strata=bool(strata), rho=rho)


def _test(counts: SurvivalCounts, *, strata: bool, rho: float) -> LogRankResult:
    """The test of the groups of the first key, stratified by the second (``strata``)."""
    coded = _table(counts, 1)
    g, _, labels = coded[0]
    s, s_labels = (coded[1][0], coded[1][2]) if strata else (None, ())
    if len(labels) < 2:
        raise InputError("there is only one group", argument="group", value=labels[0] if labels else None,
                         fix="give a grouping variable with at least two values")
    table = risk_table_from_counts(counts.time, counts.n_records, counts.n_event, strata=s,
                                   n_strata=max(len(s_labels), 1), group=g, n_groups=len(labels))
    return logrank_from_table(table, labels, s_labels, rho=rho, n_missing=counts.n_read - counts.n)


def _with_missing(res: LogRankResult, n_missing: int) -> LogRankResult:
    import dataclasses

    return dataclasses.replace(res, n_missing=n_missing)


def cox(source: Any, *, time: str, event: str, covariates: Sequence[str], strata: Sequence[str] = (),
        entry: str | None = None, ties: Literal["efron", "breslow"] = "efron",
        conf_level: float = 0.95, timefix: bool = True, engine: Any = "memory") -> CoxSumsFit:
    """Cox model of numeric ``covariates`` (dummy-code categories first), stratified by ``strata``.

    With a SQL engine, every Newton iteration is one GROUP BY of ``exp(x'b)``-weighted sums
    per (stratum, time) (:mod:`sarcohort.stats.cox_sums`); in memory, the row-wise kernel
    of :func:`sarcohort.stats.cox.cox`. Both return the same numbers.
    """
    from sarcohort.stats.cox import cox as cox_rows

    covariates, strata = list(covariates), list(strata)
    eng, owned = _sql_engine(engine)
    if eng is None:
        cols = [time, event, *covariates, *strata, *([entry] if entry else [])]
        frame, n_missing = _complete(_memory_frame(source, cols), cols)
        scodes = None
        if strata:
            scodes = np.zeros(len(frame), np.int64)
            for c in strata:
                codes, labels = level_codes(np.asarray(frame[c].to_numpy()))
                scodes = scodes * len(labels) + codes
        fit = cox_rows(frame[time].to_numpy(float), frame[event].to_numpy(),
                       frame[covariates].to_numpy(float), names=covariates, strata=scodes,
                       entry=None if entry is None else frame[entry].to_numpy(float), ties=ties,
                       conf_level=conf_level, timefix=timefix)
        return CoxSumsFit(
            terms=fit.terms, coef=fit.coef, se=fit.se, hr=fit.hr, hr_lower=fit.hr_lower,
            hr_upper=fit.hr_upper, z=fit.z, p=fit.p, var=fit.var, n=fit.n, n_event=fit.n_event,
            n_missing=n_missing, loglik_null=fit.loglik_null, loglik=fit.loglik,
            iterations=fit.iterations, converged=fit.converged, lr_test=fit.lr_test,
            wald_test=fit.wald_test, score_test=fit.score_test, ties=ties, conf_level=conf_level)
    try:
        rows = eng.cox_rows(source, time=time, event=event, covariates=covariates, strata=strata,
                            entry=entry)
        try:
            return fit_from_sums(lambda b: eng.cox_sums(rows, b), rows.names, rows.xd_sum,
                                 n=rows.n, n_event=rows.n_event, n_missing=rows.n_missing,
                                 ties=ties, conf_level=conf_level, timefix=timefix,
                                 engine=eng.name)
        finally:
            eng.drop(rows.table)
    finally:
        if owned:
            eng.close()
