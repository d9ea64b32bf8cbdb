"""The treatment course of the cohort: lines, regimens, responses, per-line PFS, swimmer data.

Built from the cohort's per-line table (:func:`sarcohort.cohort._lines.treatment_lines`)
into :class:`~sarcohort.analysis._results.TreatmentCourse`, plain data for the report.
Counts are patients (a patient counts once per line and regimen); response rates are
exact Clopper-Pearson intervals (:mod:`sarcohort.stats.proportions`); per-line times are
Kaplan-Meier medians with the protocol's median CI (:mod:`sarcohort.stats.km`).

The swimmer plot needs one lane per patient: lanes hold times from the first metastasis
only (no date, no identifier, not even a pseudonymous one), and only for cohorts of at most
``swimmer_max`` patients; larger cohorts get the share of patients on each line over time
(:class:`~sarcohort.analysis._results.LineOccupancy`), an aggregate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sarcohort.analysis._results import (
    Duration,
    KMAnalysis,
    LineOccupancy,
    LineSummary,
    RegimenCount,
    Share,
    SwimmerLane,
    TreatmentCourse,
    clean_float,
)
from sarcohort.analysis._survival import KMOptions, km_analysis, risk_times
from sarcohort.cohort._lines import RESPONSE_ORDER, treatment_lines
from sarcohort.data._schema import DISEASE_CONTROL, LOCAL_KINDS, OBJECTIVE_RESPONSES
from sarcohort.protocol._options import TREATMENT_VIEWS, default_of
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.proportions import proportion
from sarcohort.stats.results import ConfType, MedianMethod

#: Largest cohort drawn as one lane per patient (the protocol's default).
SWIMMER_MAX: int = default_of("analysis.treatments.swimmer_max")


def _share(k: int, n: int, conf_level: float) -> Share:
    p = proportion(k, n, conf_level)
    return Share(p.k, p.n, p.estimate, p.lower, p.upper)


def _duration(time: np.ndarray, event: np.ndarray, km: KMOptions) -> Duration:
    ok = np.isfinite(time)
    time, event = time[ok], event[ok]
    if time.size == 0:
        return Duration(0, 0, None, None, None)
    curve = next(iter(kaplan_meier(time, event, conf_type=km.conf_type,
                                   conf_level=km.conf_level).curves.values()))
    lo, hi = curve.median_ci(method=km.median_ci)
    return Duration(int(time.size), int(event.sum()), clean_float(curve.median),
                    clean_float(lo), clean_float(hi))


def _lanes(patients: pd.DataFrame, treatments: pd.DataFrame, lines: pd.DataFrame,
           unit_days: float) -> tuple[SwimmerLane, ...]:
    end = patients["os_days"].to_numpy(float) / unit_days
    dead = patients["os_event"].to_numpy(bool)
    by_line = {pid: g for pid, g in lines.groupby("pseudo_id", sort=False)}
    surg = treatments[treatments["kind"] == "surgery"]
    surg_days = dict(surg.groupby("pseudo_id")["start_days"].apply(
        lambda s: tuple(sorted(float(x) / unit_days for x in s if np.isfinite(x)))))
    out = []
    for i, pid in enumerate(patients.index):
        g = by_line.get(pid)
        spans: list[tuple[int, float, float]] = []
        prog: list[float] = []
        resp: list[float] = []
        if g is not None:
            for row in g.itertuples(index=False):
                start = float(row.start_days) / unit_days
                stop = start + float(row.time_on_line_days) / unit_days
                spans.append((int(row.line), start, stop))
                if row.pfs_event and np.isfinite(row.progression_days):
                    prog.append(float(row.progression_days) / unit_days)
                if row.best_response in OBJECTIVE_RESPONSES and np.isfinite(row.response_days):
                    resp.append(float(row.response_days) / unit_days)
        out.append(SwimmerLane(
            end=float(end[i]), death=bool(dead[i]), alive=not dead[i],
            lines=tuple(spans), progressions=tuple(sorted(set(prog))),
            responses=tuple(sorted(set(resp))), surgeries=surg_days.get(pid, ())))
    # longest follow-up on top, as swimmer plots are read
    return tuple(sorted(out, key=lambda lane: -lane.end))  # stable: ties keep cohort order


def _occupancy(patients: pd.DataFrame, lines: pd.DataFrame, unit_days: float,
               points: int = 200) -> LineOccupancy | None:
    end = patients["os_days"].to_numpy(float)
    if not np.isfinite(end).any():
        return None
    grid = np.linspace(0.0, float(np.nanmax(end)), points)
    n = len(patients)
    numbers = sorted(int(x) for x in lines["line"].unique()) if len(lines) else []
    start = lines["start_days"].to_numpy(float)
    stop = start + lines["time_on_line_days"].to_numpy(float)
    shares = []
    for k in numbers:
        sel = lines["line"].to_numpy() == k
        s, e = np.sort(start[sel]), np.sort(stop[sel])
        on = np.searchsorted(s, grid, side="right") - np.searchsorted(e, grid, side="right")
        shares.append(tuple(float(x) / n for x in on))
    followed = np.searchsorted(np.sort(end), grid, side="left")
    return LineOccupancy(time=tuple(float(x) / unit_days for x in grid), lines=tuple(numbers),
                         shares=tuple(shares),
                         followed=tuple(float(n - x) / n for x in followed))


def treatment_course(
    patients: pd.DataFrame,
    treatments: pd.DataFrame,
    *,
    unit_days: float,
    time_unit: str = default_of("analysis.time_unit"),
    conf_type: ConfType,
    conf_level: float,
    median_ci: MedianMethod,
    times_at_risk: Sequence[float] | None = None,
    regimen_labels: Mapping[str, str] | None = None,
    swimmer_max: int = SWIMMER_MAX,
    show: Sequence[str] = TREATMENT_VIEWS,
) -> TreatmentCourse:
    """Summarise the course of treatment of the analysed patients.

    Parameters
    ----------
    patients, treatments
        The cohort's tables (:class:`sarcohort.cohort.Cohort`).
    unit_days, time_unit
        Days per time unit of the report (months: 30.4375) and its name.
    conf_type, conf_level, median_ci
        The protocol's Kaplan-Meier options, for per-line medians and PFS by line.
    times_at_risk
        Times of the numbers at risk of the PFS-by-line curves (default: a conventional
        step up to the longest per-line PFS).
    regimen_labels
        Regimen as written -> label (merges spellings: ``"AP" = "doxorubicin + cisplatin"``).
    swimmer_max
        Largest cohort given one swimmer lane per patient.
    show
        The tables and figures the report shows (``[analysis.treatments] show``).
    """
    labels = dict(regimen_labels or {})
    n = len(patients)
    # patients by position (an integer per treatment row, -1 for none): counts of distinct
    # patients are bincounts, with no set of identifiers and no copy of the table
    pos = pd.Index(patients.index).get_indexer(treatments["pseudo_id"].to_numpy())
    lines, unnumbered = treatment_lines(patients, treatments, positions=pos)
    if labels and len(lines):
        lines["regimen"] = lines["regimen"].map(lambda r: labels.get(r, r) if r else r)
    kind_code, kinds = pd.factorize(treatments["kind"].to_numpy(dtype=object))
    kinds = list(kinds)

    def n_patients(rows: np.ndarray) -> int:
        rows = rows & (pos >= 0)
        return int(np.count_nonzero(np.bincount(pos[rows], minlength=n)))

    def of_kind(k: str) -> np.ndarray:
        return kind_code == kinds.index(k) if k in kinds else np.zeros(len(pos), bool)

    trial = (treatments["in_trial"] == "yes").to_numpy(dtype=bool)
    n_systemic, n_trial = n_patients(of_kind("systemic")), n_patients(trial)
    local = tuple((k, n_patients(of_kind(k))) for k in LOCAL_KINDS)
    km = KMOptions(conf_type=conf_type, conf_level=conf_level, median_ci=median_ci)
    regimens: list[RegimenCount] = []
    summaries: list[LineSummary] = []
    for k, g in lines.groupby("line", sort=True):
        n_line = len(g)  # one row per patient and line
        names = g["regimen"].fillna("not recorded")
        for reg, cnt in names.value_counts(sort=False).sort_index().items():
            regimens.append(RegimenCount(int(k), str(reg), int(cnt), n_line))
        best = g["best_response"]
        counts = tuple((r, int((best == r).sum())) for r in RESPONSE_ORDER)
        counts += (("missing", int(best.isna().sum())),)
        responders = g["best_response"].isin(OBJECTIVE_RESPONSES).to_numpy()
        dor = (_duration(g["dor_days"].to_numpy(float)[responders] / unit_days,
                         g["dor_event"].to_numpy(bool)[responders], km)
               if responders.any() else None)
        summaries.append(LineSummary(
            line=int(k), n=n_line, n_in_trial=int(g["in_trial"].sum()), responses=counts,
            orr=_share(int(responders.sum()), len(g), conf_level),
            dcr=_share(int(best.isin(DISEASE_CONTROL).sum()), len(g), conf_level),
            pfs=_duration(g["pfs_days"].to_numpy(float) / unit_days,
                          g["pfs_event"].to_numpy(bool), km),
            time_to_next=_duration(g["ttnt_days"].to_numpy(float) / unit_days,
                                   g["ttnt_event"].to_numpy(bool), km),
            time_on_line=_duration(g["time_on_line_days"].to_numpy(float) / unit_days,
                                   g["time_on_line_event"].to_numpy(bool), km),
            response_duration=dor))
    pfs_by_line: KMAnalysis | None = None
    if len(lines):
        t = lines["pfs_days"].to_numpy(float) / unit_days
        ok = np.isfinite(t)
        groups = ("Line " + lines["line"].astype(int).astype(str)).to_numpy(dtype=object)
        order = [f"Line {k}" for k in sorted(lines["line"].unique())]
        if times_at_risk is None:
            times_at_risk = risk_times(float(np.max(t[ok])) if ok.any() else 1.0, time_unit)
        # lines are not independent groups (a patient has several): no log-rank test
        pfs_by_line = km_analysis("pfs_line", "Progression-free survival",
                                  t[ok], lines["pfs_event"].to_numpy(bool)[ok], groups[ok],
                                  order, factor="line", factor_label="Line of treatment",
                                  options=dataclasses.replace(km, times_at_risk=times_at_risk))
        pfs_by_line = dataclasses.replace(pfs_by_line, logrank_chisq=None, logrank_df=None,
                                          logrank_p=None)
    lanes = _lanes(patients, treatments[pos >= 0], lines, unit_days) if n <= swimmer_max else ()
    occupancy = _occupancy(patients, lines, unit_days) if n > swimmer_max else None
    return TreatmentCourse(
        n_patients=n, n_no_systemic=n - n_systemic,
        n_in_trial=n_trial, local=local, regimens=tuple(regimens),
        lines=tuple(summaries), pfs_by_line=pfs_by_line, lanes=lanes, occupancy=occupancy,
        unnumbered_rows=unnumbered, swimmer_max=swimmer_max, show=tuple(show))
