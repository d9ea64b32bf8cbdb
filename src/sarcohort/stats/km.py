"""Kaplan-Meier estimator, identical to R's ``survfit`` (survival 3.5).

``kaplan_meier`` takes arrays or an R formula with a DataFrame, aggregates once per
(curve, distinct time) with :func:`sarcohort.stats._aggregates.risk_table`, and computes
per curve:

* ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``;
* Greenwood ``std_err(t) = sqrt(sum d_j / (n_j (n_j - d_j)))``, the SE of ``log S``
  (``Inf`` once ``n_j = d_j``, i.e. S = 0, as R);
* Nelson-Aalen ``H(t) = sum d_j / n_j`` and ``SE(H) = sqrt(sum d_j / n_j^2)``;
* pointwise bands (:func:`confidence_band`), as ``survival:::survfit_confint``.

Example
-------
>>> km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
>>> km.curves["All"].survival.round(4).tolist()
[0.75, 0.5, 0.0]

Exports :func:`kaplan_meier`, :func:`kaplan_meier_from_table` (from aggregated counts),
:func:`confidence_band` and :data:`CONF_TYPES` (the band scales).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from sarcohort.exceptions import InputError
from sarcohort.stats._aggregates import RiskTable, integer_codes, risk_table
from sarcohort.stats.results import KaplanMeierCurve, KaplanMeierResult
from sarcohort.stats.survdata import MISSING_FIX, SurvivalData, refuse_missing

__all__ = ["kaplan_meier", "kaplan_meier_from_table", "confidence_band", "CONF_TYPES"]

#: Accepted ``conf_type`` values (and the R spelling each maps to).
CONF_TYPES = {"log": "log", "log-log": "log-log", "loglog": "log-log", "plain": "plain", "logit": "logit",
              "arcsin": "arcsin"}


def confidence_band(
    surv: np.ndarray, std_err: np.ndarray, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band of a survival curve, exactly as R's ``survfit_confint``.

    With ``z`` the ``(1 + level)/2`` normal quantile and ``se`` the SE of ``log S``:

    * ``plain``: ``S -+ z se S``, clipped to [0, 1] (NaN where S = 0: ``0 * Inf``);
    * ``log``: ``exp(log S -+ z se)``, the upper end clipped at 1; NaN where S = 0;
    * ``log-log``: ``exp(-exp(log(-log S) -+ z se / log S))``; NaN where S = 0 or 1;
    * ``logit``: ``logit S -+ z se / (1 - S)`` back-transformed; NaN where S = 0 or 1;
    * ``arcsin``: ``asin(sqrt S) -+ z se sqrt(S / (1 - S)) / 2`` (kept in [0, pi/2]), squared
      sines; NaN where S = 0 or 1.
    """
    z = float(ndtri(1 - (1 - conf_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = std_err * surv * z
            # R: pmax(p - se2, 0), pmin(p + se2, 1); NaN propagates as in R
            lower = np.maximum(surv - se2, 0.0)
            upper = np.minimum(surv + se2, 1.0)
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * std_err
            lower = np.exp(np.log(xx) - se2)
            upper = np.minimum(np.exp(np.log(xx) + se2), 1.0)
        elif conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * std_err / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        elif conf_type == "logit":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * std_err * (1 + xx / (1 - xx))
            lg = np.log(surv / (1 - surv))
            lower = 1 - 1 / (1 + np.exp(lg - se2))
            upper = 1 - 1 / (1 + np.exp(lg + se2))
        elif conf_type == "arcsin":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = 0.5 * z * std_err * np.sqrt(xx / (1 - xx))
            a = np.arcsin(np.sqrt(xx))
            lower = np.sin(np.maximum(0.0, a - se2)) ** 2
            upper = np.sin(np.minimum(np.pi / 2, a + se2)) ** 2
        else:  # pragma: no cover - validated by the caller
            raise ValueError(conf_type)
    return lower, upper


@dataclass(frozen=True)
class SurvivalInputs:
    """Validated response with group (and stratum) codes, shared by KM and log-rank."""

    surv: SurvivalData
    group: np.ndarray
    group_labels: tuple[str, ...]
    strata: np.ndarray | None
    strata_labels: tuple[str, ...]
    n_missing: int
    kept: np.ndarray | None = None  # formula input: the data rows analysed (R's na.omit)


def case_weights(weights: Any, inp: SurvivalInputs) -> np.ndarray | None:
    """Case weights of the analysed rows: one per data row (formula) or per time (arrays),
    finite and positive; rows dropped for missing values are dropped here too."""
    if weights is None:
        return None
    try:
        w = np.asarray(weights, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputError("case weights must be numbers", argument="weights") from exc
    if inp.kept is not None:
        if w.size != inp.kept.size:
            raise InputError(f"needs one weight per data row ({inp.kept.size})", argument="weights", value=w.size)
        w = w[inp.kept]
    elif w.size != inp.surv.n:
        raise InputError(f"needs one weight per row ({inp.surv.n})", argument="weights", value=w.size)
    if not np.isfinite(w).all() or (w <= 0).any():
        raise InputError("case weights must be finite and positive", argument="weights",
                         fix="drop rows with a missing or zero weight")
    return w


def _array_codes(values: Any, argument: str, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes and labels of a grouping array: categories in order, other values sorted.

    Labels are the values as R prints them (``1`` not ``1.0``, ``TRUE``/``FALSE``).
    """
    from sarcohort.stats.formula import format_level

    cat = getattr(values, "cat", None)  # pandas Series of category dtype
    if cat is not None:
        values = values.array
    if hasattr(values, "categories") and hasattr(values, "codes"):  # pandas Categorical
        raw = np.asarray(values.codes, dtype=np.int64)
        if raw.shape[0] != n:
            raise InputError(f"length {raw.shape[0]} does not match the {n} times",
                             argument=argument, fix="pass arrays of the same length")
        if (raw < 0).any():
            bad = int(np.flatnonzero(raw < 0)[0])
            raise InputError(f"missing value at position {bad}", argument=argument, fix=MISSING_FIX)
        codes, used = integer_codes(raw)
        cats = list(values.categories)
        return codes, tuple(format_level(cats[int(i)]) for i in used)
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"shape {arr.shape} does not match the {n} times",
                         argument=argument, fix="pass one value per row")
    refuse_missing(arr, argument)
    return level_codes(arr)


def level_codes(arr: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of the sorted distinct values of ``arr`` and their labels as R prints them.

    Mixed object values that do not sort are sorted as text.
    """
    from sarcohort.stats.formula import format_level

    if arr.dtype.kind == "O":
        try:
            codes, uniques = integer_codes(arr)
        except TypeError:
            codes, uniques = integer_codes(arr.astype(str))
    else:
        codes, uniques = integer_codes(arr)
    return codes, tuple(format_level(v) for v in uniques.tolist())


def survival_inputs(
    time_or_formula: Any,
    event: Any = None,
    group: Any = None,
    entry: Any = None,
    *,
    strata: Any = None,
    data: Any = None,
    group_from_strata: bool = False,
) -> SurvivalInputs:
    """Resolve the two input forms (arrays, or formula + DataFrame) into codes.

    With a formula, the grouping terms are the right-hand side (``~ 1`` gives one group
    ``"All"``); ``strata(...)`` terms are strata, or, with ``group_from_strata`` (KM),
    further grouping terms, as ``survfit`` treats them.  Rows with a missing value are
    dropped as R's ``na.omit`` and counted in ``n_missing``.
    """
    if isinstance(time_or_formula, str):
        from sarcohort.stats.formula import group_labels, model_frame

        for name, value in (("event", event), ("group", group), ("entry", entry), ("strata", strata)):
            if value is not None:
                raise InputError("with a formula, give variables inside the formula",
                                 argument=name, fix=f"drop {name}= or pass arrays instead of a formula")
        if data is None:
            raise InputError("a formula needs data", argument="data",
                             fix="pass data=<pandas DataFrame>")
        mf = model_frame(time_or_formula, data, what="a Kaplan-Meier, log-rank or RMST analysis")
        terms = list(mf.formula.terms)
        strata_codes, strata_labels = mf.strata, tuple(mf.strata_labels)
        if group_from_strata and mf.formula.strata:
            terms += [f"strata({s})" for s in mf.formula.strata]
            strata_codes, strata_labels = None, ()
        codes, labels = group_labels(mf.data, terms)
        codes = np.asarray(codes, dtype=np.int64)
        if (codes < 0).any():  # pragma: no cover - model_frame drops missing rows
            raise InputError("missing grouping value", argument="formula", value=time_or_formula)
        return SurvivalInputs(mf.surv, codes, tuple(labels), strata_codes, strata_labels,
                              int(mf.n_missing), np.asarray(mf.kept, dtype=bool))
    if data is not None:
        raise InputError("data= is only used with a formula", argument="data",
                         fix='pass a formula such as "Surv(time, status) ~ sex", or arrays without data=')
    if time_or_formula is None or event is None:
        raise InputError("time and event are required", argument="event" if time_or_formula is not None else "time",
                         fix="pass kaplan_meier(time, event) or a formula with data=")
    surv = SurvivalData.from_arrays(time_or_formula, event, entry)
    if group is None:
        codes, labels = np.zeros(surv.n, dtype=np.int64), ("All",)
    else:
        codes, labels = _array_codes(group, "group", surv.n)
    s_codes: np.ndarray | None = None
    s_labels: tuple[str, ...] = ()
    if strata is not None:
        s_codes, s_labels = _array_codes(strata, "strata", surv.n)
    return SurvivalInputs(surv, codes, labels, s_codes, s_labels, 0)


def _conf_type(conf_type: str) -> str:
    key = conf_type.lower() if isinstance(conf_type, str) else conf_type
    if key not in CONF_TYPES:
        raise InputError("unknown confidence band type", argument="conf_type", value=conf_type,
                         fix='use "log" (R\'s default), "log-log" or "plain"')
    return CONF_TYPES[key]


def _conf_level(conf_level: float) -> float:
    try:
        level = float(conf_level)
    except (TypeError, ValueError):
        level = float("nan")
    if not 0.0 < level < 1.0:
        raise InputError("confidence level must lie strictly between 0 and 1",
                         argument="conf_level", value=conf_level, fix="e.g. 0.95")
    return level


def kaplan_meier(
    time_or_formula: Any,
    event: Any = None,
    group: Any = None,
    entry: Any = None,
    *,
    data: Any = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    weights: Any = None,
) -> KaplanMeierResult:
    """Kaplan-Meier curves with Greenwood SEs, pointwise bands and Nelson-Aalen hazard.

    Parameters
    ----------
    time_or_formula
        Exit times (array), or an R formula such as ``"Surv(time, status) ~ sex"`` /
        ``"Surv(start, stop, event) ~ 1"`` evaluated on ``data``.  ``strata(x)`` on the
        right-hand side is grouping too (as in ``survfit``).
    event
        Event indicator: True/False, 1/0, or R's 2/1 coding.
    group
        Optional grouping array; one curve per distinct value, labelled by the value as
        R prints it (``"1"``, ``"Lev+5FU"``, categories in their order, other values
        sorted).  Formula groups are labelled ``"sex=1"``; a single curve is ``"All"``.
    entry
        Entry times for left truncation / counting-process data (``entry < time``).
    data
        pandas DataFrame for a formula.
    conf_type
        ``"log"`` (R's default), ``"log-log"``, ``"plain"``, ``"logit"`` or ``"arcsin"``.
        This function keeps R's default; a study's default is the protocol's
        ``analysis.conf_type`` (log-log, in the option table), which the analysis
        always passes explicitly.
    conf_level
        Level of the pointwise bands and of the median CI.
    weights
        Case (frequency) weights, one per row of ``data`` (formula) or per time (arrays): the
        numbers at risk, events and censorings are weighted sums, as R's
        ``survfit(weights = )``. With non-integer weights the SEs (and bands) are R's
        infinitesimal jackknife (``robust = TRUE``), as R does; the RMST's SE is then refused.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    InputError
        Negative or missing times, bad event codes, mismatched lengths, ``entry >= time``,
        empty input, unknown ``conf_type``.
    """
    ctype = _conf_type(conf_type)
    level = _conf_level(conf_level)
    inp = survival_inputs(time_or_formula, event, group, entry, data=data, group_from_strata=True)
    k = len(inp.group_labels)
    s = inp.surv
    w = case_weights(weights, inp)
    robust = w is not None and not np.array_equal(w, np.round(w))
    if robust and s.entry is not None:
        raise InputError("non-integer case weights with delayed entry are not supported",
                         argument="weights", fix="use whole-number weights, or no entry times")
    table = risk_table(s.time, s.event, entry=s.entry, strata=inp.group, n_strata=k, weights=w)
    n_rows = np.bincount(inp.group, minlength=k)  # R's n: records, unweighted
    start = float(min(0.0, s.time.min()))  # R's survmean: min(0, time)
    jackknife: list[tuple[np.ndarray, np.ndarray] | None] = [None] * k
    if robust and w is not None:
        for c in range(k):
            rows = table.segment(c)
            mine = inp.group == c
            jackknife[c] = _jackknife_se(table.time[rows], table.n_risk[rows, 0],
                                         table.n_event[rows, 0], s.time[mine], s.event[mine], w[mine])
    return kaplan_meier_from_table(table, inp.group_labels, start=start, conf_type=ctype,
                                   conf_level=level, n_missing=inp.n_missing, n=n_rows,
                                   jackknife=jackknife)


def kaplan_meier_from_table(
    table: RiskTable,
    labels: tuple[str, ...],
    *,
    start: float = 0.0,
    conf_type: str = "log",
    conf_level: float = 0.95,
    n_missing: int = 0,
    n: np.ndarray | None = None,
    jackknife: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier curves from a :class:`~sarcohort.stats._aggregates.RiskTable` whose
    strata are the curves (one group column), whoever aggregated it (numpy, DuckDB, Spark).

    ``start`` is the origin of the restricted mean (R's ``min(0, time)``); ``n`` the records
    of each curve (R's ``n``, unweighted; default: the table's record counts);
    ``jackknife`` the infinitesimal-jackknife SEs of each curve (non-integer case weights).
    """
    n_rows = np.rint(table.n_records[:, 0]).astype(np.int64) if n is None else np.asarray(n)
    ctype = _conf_type(conf_type)
    level = _conf_level(conf_level)
    curves: dict[str, KaplanMeierCurve] = {}
    for c, label in enumerate(labels):
        rows = table.segment(c)
        ij = None if jackknife is None else jackknife[c]
        curves[label] = _curve(
            label,
            table.time[rows],
            table.n_risk[rows, 0],
            table.n_event[rows, 0],
            table.n_censor[rows, 0],
            int(n_rows[c]),
            ctype,
            level,
            start,
            ij,
        )
    return KaplanMeierResult(curves=curves, conf_type=ctype, conf_level=level, n_missing=n_missing)


def _curve(
    label: str,
    time: np.ndarray,
    n_risk: np.ndarray,
    n_event: np.ndarray,
    n_censor: np.ndarray,
    n: int,
    conf_type: str,
    conf_level: float,
    start: float,
    jackknife: tuple[np.ndarray, np.ndarray] | None = None,
) -> KaplanMeierCurve:
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        greenwood = np.cumsum(n_event / (n_risk * (n_risk - n_event)))
        std_err = np.sqrt(greenwood)
        cumhaz = np.cumsum(n_event / n_risk)
        cumhaz_se = np.sqrt(np.cumsum(n_event / (n_risk * n_risk)))
    if jackknife is not None:
        std_err, cumhaz_se = jackknife
    lower, upper = confidence_band(surv, std_err, conf_type, conf_level)
    for a in (time, n_risk, n_event, n_censor, surv, std_err, lower, upper, cumhaz, cumhaz_se):
        a.setflags(write=False)
    return KaplanMeierCurve(
        label=label, time=time, n_risk=n_risk, n_event=n_event, n_censor=n_censor, survival=surv,
        std_err=std_err, lower=lower, upper=upper, cumhaz=cumhaz, cumhaz_se=cumhaz_se, n=n,
        conf_type=conf_type, conf_level=conf_level, start_time=start, robust=jackknife is not None,
    )


def _jackknife_se(times: np.ndarray, n_risk: np.ndarray, n_event: np.ndarray, t: np.ndarray, event: np.ndarray,
                  w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's infinitesimal-jackknife SEs of log S and of the cumulative hazard (``survfit`` with
    non-integer case weights: ``robust = TRUE``), right-censored data.

    The derivative of log S(t) by the weight of row i is ``A(min(t, T_i)) - [T_i <= t] d_i /
    (n(T_i) - d(T_i))`` with ``A(u) = sum_{s <= u} d(s) / (n(s) (n(s) - d(s)))`` (Nelson-Aalen:
    ``d / n^2`` and ``1 / n``), and ``var = sum_i (w_i U_i)^2``: rows that left by t contribute a
    constant, rows still at risk ``A(t)^2 w_i^2``, so one cumulative sum each."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = []
        for a, dn in ((n_event / (n_risk * (n_risk - n_event)), n_risk - n_event),
                      (n_event / (n_risk * n_risk), n_risk)):
            A = np.cumsum(a)
            k = np.searchsorted(times, t, side="right") - 1  # each row's (merged) time
            c = A[k] - np.where(event, 1.0 / dn[k], 0.0)
            left = np.bincount(k, (w * c) ** 2, minlength=times.size)  # rows leaving at each time
            w2 = np.bincount(k, w * w, minlength=times.size)
            still = w2.sum() - np.cumsum(w2)  # weight^2 of rows with T_i > t
            se = np.sqrt(np.cumsum(left) + A**2 * still)
            # the SE changes at event times only (exactly, as R's; censorings move a row's term
            # from one sum to the other, which rounding would otherwise show)
            last_event = np.maximum.accumulate(np.where(n_event > 0, np.arange(times.size), -1))
            out.append(np.where(last_event >= 0, se[np.maximum(last_event, 0)], 0.0))
    return out[0], out[1]
