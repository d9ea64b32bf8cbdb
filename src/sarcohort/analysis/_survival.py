"""Kaplan-Meier analyses of the runner: per endpoint, overall and by factor.

Each curve comes from :func:`sarcohort.stats.km.kaplan_meier` (R's survfit),
each log-rank test from :func:`sarcohort.stats.logrank.logrank` (R's
survdiff). Survival at a landmark is the step function at the last time at or
before it, as R's ``summary(fit, times=)``; beyond the last follow-up it is not
estimable (None). Numbers at risk at a time ``t`` count subjects whose time is
``>= t``, as R's ``summary(fit, times=)`` and survminer's risk tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sarcohort import engines
from sarcohort.analysis._results import Curve, KMAnalysis, KMGroup, Landmark, clean_float
from sarcohort.exceptions import ProtocolError
from sarcohort.protocol._options import default_of
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.logrank import logrank
from sarcohort.stats.results import KaplanMeierCurve, MedianMethod


@dataclass(frozen=True)
class KMOptions:
    """How the curves are summarised (the protocol's options; no defaults here).

    Attributes
    ----------
    conf_type, conf_level
        Pointwise band of S(t) (``analysis.conf_type``, ``analysis.conf_level``).
    median_ci
        ``analysis.median_ci``.
    landmarks
        Times at which survival is reported.
    times_at_risk
        Times of the numbers-at-risk table.
    """

    conf_type: str
    conf_level: float
    median_ci: MedianMethod
    landmarks: Sequence[float] = ()
    times_at_risk: Sequence[float] = (0.0,)

_STEPS = {
    "months": (1, 2, 3, 6, 12, 24, 36, 60, 120),
    "days": (7, 14, 30, 60, 90, 180, 365, 730, 1825),
    "weeks": (1, 2, 4, 8, 13, 26, 52, 104, 260),
    "years": (0.25, 0.5, 1, 2, 5, 10, 20),
}


def nice_step(max_time: float, unit: str = default_of("analysis.time_unit"), max_ticks: int = 9) -> float:
    """The smallest conventional step (6, 12, 24 months; 1, 2, 5 years...) giving <= max_ticks intervals."""
    steps = _STEPS.get(unit, (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000))
    for s in steps:
        if max_time / s <= max_ticks:
            return float(s)
    mag = 10 ** math.floor(math.log10(max(max_time, 1e-12) / max_ticks))
    for m in (1, 2, 5, 10):
        if max_time / (m * mag) <= max_ticks:
            return float(m * mag)
    return float(10 * mag)


#: Most columns of numbers at risk a figure can show (a page is about 16 cm wide)
MAX_RISK_COLUMNS = 25


def risk_times(max_time: float, unit: str = default_of("analysis.time_unit"), step: float | None = None) -> tuple[float, ...]:
    """Tick times 0, step, ..., up to the first multiple of step >= max_time.

    Raises
    ------
    ProtocolError
        A ``step`` that gives more than :data:`MAX_RISK_COLUMNS` columns; the message
        gives the smallest step allowed.
    """
    if not max_time > 0:
        return (0.0, 1.0)
    given = step
    step = step or nice_step(max_time, unit)
    n = max(1, math.ceil(max_time / step - 1e-9))
    if given and n + 1 > MAX_RISK_COLUMNS:
        smallest = _round_up(max_time / (MAX_RISK_COLUMNS - 1))
        raise ProtocolError(
            f"gives {n + 1} columns of numbers at risk over 0-{max_time:g} {unit}; a figure "
            f"shows at most {MAX_RISK_COLUMNS}", argument="report.risk_table_step", value=given,
            fix=f"use a step of at least {smallest:g} (or leave it out for an automatic step)")
    return tuple(float(i * step) for i in range(n + 1))


def _round_up(x: float) -> float:
    """``x`` rounded up to two significant digits (5.03 -> 5.1)."""
    scale = 10.0 ** (math.floor(math.log10(x)) - 1)
    return math.ceil(x / scale) * scale


def at_risk(time: np.ndarray, times: Sequence[float]) -> tuple[int, ...]:
    """Number of subjects with time >= t for each t."""
    st = np.sort(np.asarray(time, float))
    return tuple(int(st.size - np.searchsorted(st, t, side="left")) for t in times)


def landmark(curve: KaplanMeierCurve, t: float, time: np.ndarray) -> Landmark:
    """Survival (CI) at ``t`` from a core curve; None beyond the last follow-up."""
    ct = np.asarray(curve.time, dtype=np.float64)
    n_risk = at_risk(time, [t])[0]
    if ct.size == 0:
        return Landmark(time=float(t), survival=None, lower=None, upper=None, n_risk=n_risk)
    if t > float(np.max(time)):
        # beyond the last follow-up S(t) is unknown (R drops such times), unless the curve
        # already reached 0 (the last patient had the event): then it stays 0
        last = float(np.asarray(curve.survival)[-1])
        if last == 0.0:
            return Landmark(time=float(t), survival=0.0, lower=None, upper=None, n_risk=0)
        return Landmark(time=float(t), survival=None, lower=None, upper=None, n_risk=n_risk)
    i = int(np.searchsorted(ct, t, side="right")) - 1
    if i < 0:
        return Landmark(time=float(t), survival=1.0, lower=1.0, upper=1.0, n_risk=n_risk)
    return Landmark(
        time=float(t),
        survival=clean_float(np.asarray(curve.survival)[i]),
        lower=clean_float(np.asarray(curve.lower)[i]),
        upper=clean_float(np.asarray(curve.upper)[i]),
        n_risk=n_risk,
    )


def curve_to_result(curve: KaplanMeierCurve) -> Curve:
    """The plotting data of a core Kaplan-Meier curve (aggregates only)."""
    t = np.asarray(curve.time, dtype=np.float64)
    s = np.asarray(curve.survival, dtype=np.float64)
    nc = np.asarray(curve.n_censor)
    cens = nc > 0
    return Curve(
        time=tuple(float(x) for x in t),
        survival=tuple(clean_float(x) for x in s),
        lower=tuple(clean_float(x) for x in np.asarray(curve.lower, dtype=np.float64)),
        upper=tuple(clean_float(x) for x in np.asarray(curve.upper, dtype=np.float64)),
        censor_times=tuple(float(x) for x in t[cens]),
        censor_survival=tuple(float(x) for x in s[cens]),
    )


def km_group(label: str, time: np.ndarray, event: np.ndarray, options: KMOptions,
             curve: KaplanMeierCurve | None = None) -> KMGroup:
    """One Kaplan-Meier curve summarised for the report (``curve``: the curve of these rows
    as an engine computed it; None: computed here)."""
    if curve is None:
        km = kaplan_meier(time, event, conf_type=options.conf_type, conf_level=options.conf_level)
        curve = next(iter(km.curves.values()))
    lo, hi = curve.median_ci(method=options.median_ci)
    return KMGroup(
        label=label,
        n=int(time.size),
        events=int(event.sum()),
        median=clean_float(curve.median),
        median_lower=clean_float(lo),
        median_upper=clean_float(hi),
        landmarks=tuple(landmark(curve, t, time) for t in options.landmarks),
        at_risk=at_risk(time, options.times_at_risk),
        curve=curve_to_result(curve),
    )


def _group_codes(groups: np.ndarray | pd.Categorical) -> tuple[np.ndarray, dict[str, int]]:
    """Each subject's code (-1: missing) and the code of each label present.

    A ``pd.Categorical`` (labels coded once for every endpoint) gives its codes, with its
    categories that no subject holds left out; other labels take one hash pass (a
    registry's million).
    """
    if isinstance(groups, pd.Categorical):
        found = np.asarray(groups.codes, dtype=np.int64)
        held = np.bincount(found[found >= 0], minlength=len(groups.categories)) > 0
        return found, {c: k for k, c in enumerate(groups.categories) if held[k]}
    found, uniques = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=True)
    return found, {u: k for k, u in enumerate(uniques)}


def curve_codes(groups: np.ndarray | pd.Categorical, order: Sequence[str] | None
                ) -> tuple[np.ndarray, list[str], int]:
    """Each subject's curve, as its label's place in ``order`` (-1: a missing label), the
    labels of ``order`` that subjects hold (all present labels, sorted, when None), and how
    many subjects have no label."""
    found, where = _group_codes(groups)
    present = found >= 0
    shown = [o for o in (order or sorted(where)) if o in where]
    codes = np.full(found.size, -1)
    lookup = np.full(max(where.values(), default=-1) + 1, -1)
    for i, o in enumerate(shown):
        lookup[where[o]] = i
    codes[present] = lookup[found[present]]
    return codes, shown, int((~present).sum())


@dataclass(frozen=True)
class EngineRows:
    """The rows of a :func:`km_analysis` as a SQL engine holds them: its table, the columns
    of time and event, and of each subject's curve (:func:`curve_codes`; None: one curve)."""

    engine: Any
    table: str
    time: str
    event: str
    group: str | None = None


@dataclass(frozen=True)
class HeldEndpoint:
    """An endpoint's analysed rows held once by a SQL engine for all its curves
    (:func:`held_endpoint`); ``engine`` None: none holds them (numpy computes the curves)."""

    engine: Any = None
    table: str = ""
    groupings: Mapping[str, str] = field(default_factory=dict)  # factor -> its curve column

    def rows(self, factor: str | None = None, *, reverse: bool = False) -> EngineRows | None:
        """The curves overall (``factor`` None) or by ``factor``; ``reverse``: of censoring
        (the follow-up's curve). None where no engine holds the rows."""
        if self.engine is None:
            return None
        return EngineRows(self.engine, self.table, "t", "c" if reverse else "e",
                          None if factor is None else self.groupings[factor])


def _curve_column(codes: np.ndarray) -> pd.arrays.IntegerArray:
    """Curve codes as an integer column, a missing label as a missing value (left out);
    one byte a row for up to 127 curves (a registry's 10^7 rows: 10 MB a grouping)."""
    kind = np.int8 if codes.max(initial=0) < 127 else np.int32
    return pd.arrays.IntegerArray(np.maximum(codes, 0).astype(kind), mask=codes < 0)


@contextmanager
def held_endpoint(engine: Any, time: np.ndarray, event: np.ndarray,
                  groupings: Mapping[str, tuple[np.ndarray | pd.Categorical, Sequence[str] | None]],
                  ) -> Iterator[HeldEndpoint]:
    """An endpoint's rows (time, event, each grouping's curve codes, ordered as
    :func:`km_analysis` is given them) held by ``engine`` while the block runs; held by
    none without an engine or a row (an engine refuses an empty table)."""
    if engine is None or not len(time):
        yield HeldEndpoint()
        return
    frame = pd.DataFrame({"t": np.asarray(time, float), "e": np.asarray(event, bool),
                          "c": ~np.asarray(event, bool)})
    columns = {}
    for i, (factor, (groups, order)) in enumerate(groupings.items()):
        columns[factor] = f"g{i}"
        frame[f"g{i}"] = _curve_column(curve_codes(groups, order)[0])
    with engine.holding(frame) as table:
        yield HeldEndpoint(engine, table, columns)


def _engine_curves(rows: EngineRows, n_curves: int, options: KMOptions
                   ) -> tuple[list[KaplanMeierCurve], Any]:
    """The curves (one per curve code, in code order) and the log-rank test of the codes
    (None: one curve), from one aggregation by the engine holding the ``rows``."""
    if rows.group is None:
        km = engines.kaplan_meier(rows.table, time=rows.time, event=rows.event, engine=rows.engine,
                                  conf_type=options.conf_type, conf_level=options.conf_level)
        test = None
    else:
        km, test = engines.kaplan_meier_and_logrank(
            rows.table, time=rows.time, event=rows.event, group=rows.group, engine=rows.engine,
            conf_type=options.conf_type, conf_level=options.conf_level)
    curves = list(km.curves.values())  # in the codes' order: the engine sorts the group values
    if len(curves) != n_curves:
        raise RuntimeError(f"the engine gave {len(curves)} curves where the rows have {n_curves}")
    return curves, test


def km_analysis(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    groups: np.ndarray | pd.Categorical | None = None,
    order: Sequence[str] | None = None,
    *,
    options: KMOptions,
    factor: str | None = None,
    factor_label: str | None = None,
    test: bool = True,
    on_engine: EngineRows | None = None,
) -> KMAnalysis:
    """Kaplan-Meier curves of one endpoint, overall (groups None) or by group labels.

    ``groups`` holds a string label per subject (None/NaN for missing: those
    subjects are left out and counted in ``n_missing``), as an array or a
    ``pd.Categorical`` of string categories; ``order`` gives the order of the curves.
    ``test``: the log-rank test of the groups; False for groups that are not independent
    (a patient's lines of treatment), left None.

    ``on_engine``: the same rows as a SQL engine holds them (an endpoint's, held once by
    :func:`held_endpoint`); the engine then computes the curves and the test (the same
    numbers) from one aggregation of them. None: numpy, here.
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    risk = tuple(options.times_at_risk)
    if groups is None:
        curve = _engine_curves(on_engine, 1, options)[0][0] if on_engine else None
        g = km_group("All", time, event, options, curve)
        return KMAnalysis(endpoint=endpoint, endpoint_label=endpoint_label, factor=None,
                          factor_label=None, groups=(g,), risk_times=risk)
    codes, order, n_missing = curve_codes(groups, order)
    curves: list[KaplanMeierCurve | None] = [None] * len(order)
    lr = None
    if on_engine is not None and order:
        curves[:], lr = _engine_curves(on_engine, len(order), options)
    out = tuple(km_group(str(o), time[codes == i], event[codes == i], options, curves[i])
                for i, o in enumerate(order))
    chisq = p = None
    df = None
    if len(order) > 1 and test:
        if lr is None:
            keep = codes >= 0
            lr = logrank(time[keep], event[keep], codes[keep])
        chisq, p, df = clean_float(lr.chisq), clean_float(lr.p), int(lr.df)
    return KMAnalysis(endpoint=endpoint, endpoint_label=endpoint_label, factor=factor,
                      factor_label=factor_label, groups=out, risk_times=risk,
                      logrank_chisq=chisq, logrank_df=df, logrank_p=p,
                      n_missing=n_missing)
