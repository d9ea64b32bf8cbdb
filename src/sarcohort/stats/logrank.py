"""k-sample log-rank and G-rho tests, identical to R's ``survdiff``.

Within each stratum, at every distinct time ``t`` with ``d`` events among ``n`` at risk
(``n_g`` and ``d_g`` in group ``g``), with weight ``w = S(t-)^rho`` from the pooled
Kaplan-Meier curve of the stratum (left-continuous, as ``survdiff``):

* observed ``O_g = sum w d_g``, expected ``E_g = sum w d n_g / n``;
* ``V_gh = sum w^2 d (n - d) / (n (n - 1)) * n_g (delta_gh - n_h / n)`` (times with
  ``n <= 1`` add nothing).

With case weights, ``n`` and ``d`` are weighted sums: the weights are frequencies, so a
whole-number weight ``k`` gives the test of the data with the row repeated ``k`` times
(what R's ``survdiff``, which takes no weights, gives on the repeated data).

``O``, ``E`` and ``V`` are summed over strata.  The statistic drops the groups with
``E = 0`` and then the first remaining group: ``chisq = z' V^-1 z`` with ``z = O - E``;
``df`` = groups with ``E > 0`` minus 1; ``p`` = the chi-square upper tail (``chdtrc``).

Exports :func:`logrank`, :func:`logrank_from_table` (from aggregated counts) and
:func:`logrank_statistic` (observed, expected and variance from per-time counts).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy.special import chdtrc

from sarcohort.exceptions import InputError
from sarcohort.stats._aggregates import RiskTable, risk_table, row_sum, segment_cumprod
from sarcohort.stats.km import case_weights, survival_inputs
from sarcohort.stats.results import LogRankResult

__all__ = ["logrank", "logrank_from_table", "logrank_statistic"]


def logrank_statistic(
    n_event: np.ndarray,
    n_risk: np.ndarray,
    offsets: np.ndarray,
    rho: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected (per group and stratum) and variance from per-time counts.

    Parameters
    ----------
    n_event, n_risk
        (r, k) events and numbers at risk per (stratum, time) row and group, rows of
        stratum ``s`` in ``offsets[s]:offsets[s+1]`` sorted by time.
    offsets
        (n_strata + 1,) row ranges.
    rho
        G-rho exponent.

    Returns
    -------
    observed, expected : (k, n_strata)
    var : (k, k)
    """
    d = row_sum(n_event)
    n = row_sum(n_risk)
    k = n_event.shape[1]
    n_strata = offsets.shape[0] - 1
    if rho != 0.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = (n - d) / n
        km = segment_cumprod(factor, offsets)
        # Left-continuous: S(t-) is the product over earlier times of the stratum.
        km_minus = np.empty_like(km)
        km_minus[1:] = km[:-1]
        km_minus[offsets[:-1][offsets[:-1] < offsets[1:]]] = 1.0
        w = km_minus**rho
    else:
        w = np.ones_like(d)
    ev = np.flatnonzero(d > 0)  # only event times contribute
    w, d, n = w[ev], d[ev], n[ev]
    dg, ng = n_event[ev], n_risk[ev]
    row_stratum = np.searchsorted(offsets, ev, side="right") - 1
    obs_rows = w[:, None] * dg
    exp_rows = (w * d / n)[:, None] * ng
    observed = np.zeros((k, n_strata))
    expected = np.zeros((k, n_strata))
    for g in range(k):
        observed[g] = np.bincount(row_stratum, weights=obs_rows[:, g], minlength=n_strata)
        expected[g] = np.bincount(row_stratum, weights=exp_rows[:, g], minlength=n_strata)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, w * w * d * (n - d) / (n * (n - 1)), 0.0)
    var = np.diag(c @ ng) - (ng * (c / n)[:, None]).T @ ng
    return observed, expected, var


def logrank(
    time_or_formula: Any,
    event: Any = None,
    group: Any = None,
    *,
    strata: Any = None,
    rho: float = 0.0,
    weights: Any = None,
    data: Any = None,
) -> LogRankResult:
    """Compare survival between groups: log-rank (``rho=0``) or G-rho (R's ``survdiff``).

    Parameters
    ----------
    time_or_formula
        Exit times, or a formula such as ``"Surv(time, status) ~ sex + strata(centre)"``
        evaluated on ``data`` (right-censored data only, as R).
    event
        Event indicator (True/False, 1/0 or R's 2/1).
    group
        Group of each row (array input); labelled by its values as R prints them.
    strata
        Optional stratum of each row (array input); the test is stratified.
    rho
        Weight exponent: 0 log-rank, 1 Peto-Peto (weights ``S(t-)^rho`` of the pooled
        Kaplan-Meier curve within the stratum).
    weights
        Case (frequency) weights, one per row of ``data`` (formula) or per time (arrays),
        finite and positive: the counts at risk and the events are weighted sums, so a
        whole-number weight ``k`` counts the row ``k`` times. ``n`` stays the number of rows,
        as in R's ``survfit``.
    data
        pandas DataFrame for a formula.

    Returns
    -------
    LogRankResult

    Notes
    -----
    With fewer than two groups having ``expected > 0`` there is no test: R returns
    ``chisq = 0`` and, through ``pchisq(0, 0, lower.tail = FALSE)``, ``p = 1``; sarcohort
    returns ``chisq = 0`` and ``p = NaN`` (deliberate: there is no test to report).
    """
    try:
        rho = float(rho)
    except (TypeError, ValueError):
        rho = float("nan")
    if not np.isfinite(rho):
        raise InputError("rho must be a finite number", argument="rho", value=rho,
                         fix="0 for the log-rank test, 1 for Peto-Peto")
    inp = survival_inputs(time_or_formula, event, group, None, strata=strata, data=data)
    s = inp.surv
    if s.entry is not None:
        raise InputError("the log-rank test is defined for right-censored data only",
                         argument="formula", value="Surv(start, stop, event)",
                         fix="use Surv(time, event), as R's survdiff requires")
    k = len(inp.group_labels)
    if k < 2:
        raise InputError("there is only one group", argument="group" if not isinstance(time_or_formula, str)
                         else "formula", value=inp.group_labels[0] if inp.group_labels else None,
                         fix="give a grouping variable with at least two values")
    n_strata = len(inp.strata_labels) if inp.strata is not None else 1
    w = case_weights(weights, inp)
    table = risk_table(s.time, s.event, strata=inp.strata, n_strata=n_strata, group=inp.group, n_groups=k,
                       weights=w)
    result = logrank_from_table(table, inp.group_labels, inp.strata_labels if inp.strata is not None else (),
                                rho=rho, n_missing=inp.n_missing)
    if w is None:
        return result
    # n counts rows, not weights (R's survfit with weights does the same)
    stratum = np.zeros(s.n, dtype=np.int64) if inp.strata is None else inp.strata
    rows = np.zeros((n_strata, k))
    np.add.at(rows, (stratum, inp.group), 1.0)
    return replace(result, n=rows.sum(axis=0).astype(np.int64),
                   strata_n=rows.sum(axis=1).astype(np.int64) if result.strata else result.strata_n)


def logrank_from_table(
    table: RiskTable,
    groups: tuple[str, ...],
    strata: tuple[str, ...] = (),
    *,
    rho: float = 0.0,
    n_missing: int = 0,
) -> LogRankResult:
    """The test of :func:`logrank` from a :class:`~sarcohort.stats._aggregates.RiskTable`
    (group columns, stratum rows), whoever aggregated it (numpy, DuckDB, Spark).

    ``strata`` labels the table's strata; empty for an unstratified test.
    """
    obs_s, exp_s, var = logrank_statistic(table.n_event, table.n_risk, table.offsets, rho)
    observed, expected = obs_s.sum(axis=1), exp_s.sum(axis=1)
    keep = expected > 0
    df = int(keep.sum()) - 1
    if keep.sum() < 2:
        chisq = 0.0
        p = float("nan")
    else:
        z = (observed - expected)[keep][1:]
        vv = var[np.ix_(keep, keep)][1:, 1:]
        try:
            sol = np.linalg.solve(vv, z)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(vv, z, rcond=None)[0]
        chisq = float(np.sum(sol * z))
        p = float(chdtrc(df, chisq))  # the chi-square upper tail, chi2.sf, never 1 - cdf
    n = np.rint(table.n_records.sum(axis=0)).astype(np.int64)
    stratified = bool(strata)
    return LogRankResult(
        groups=tuple(groups),
        n=n,
        observed=observed,
        expected=expected,
        var=var,
        chisq=chisq,
        df=df,
        p=p,
        rho=rho,
        strata=tuple(strata) if stratified else (),
        strata_n=np.rint(table.n_records.sum(axis=1)).astype(np.int64) if stratified else np.zeros(0, np.int64),
        observed_by_strata=obs_s if stratified else None,
        expected_by_strata=exp_s if stratified else None,
        n_missing=n_missing,
    )
