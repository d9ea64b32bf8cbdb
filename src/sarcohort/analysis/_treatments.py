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
from dataclasses import dataclass
from typing import Any

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
from sarcohort.cohort._parts import joined_columns
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


def _relabelled(regimen: np.ndarray, labels: Mapping[str, str]) -> np.ndarray:
    """Regimens through the protocol's labels (a regimen it does not name as written; a
    missing one stays missing), looked up once per distinct regimen."""
    code, distinct = pd.factorize(regimen, use_na_sentinel=True)
    shown = np.array([labels.get(r, r) if r else r for r in distinct] + [None], dtype=object)
    out = shown[code]
    out[code < 0] = regimen[code < 0]
    return out


def _per_line(lines: pd.DataFrame, unit_days: float, conf_level: float, km: KMOptions,
              ) -> tuple[list[RegimenCount], list[LineSummary]]:
    """Regimen counts and the summary of each line (in line order): each line's rows in
    table order (as a group-by on the line), counts by bincounts of codes."""
    regimens: list[RegimenCount] = []
    summaries: list[LineSummary] = []
    number = lines["line"].to_numpy()
    regimen = lines["regimen"].to_numpy(dtype=object)
    reg_code, reg_names = pd.factorize(np.where(pd.isna(regimen), "not recorded", regimen))
    del regimen
    by_name = sorted(range(len(reg_names)), key=lambda j: reg_names[j])
    best = lines["best_response"].to_numpy(dtype=object)
    best_code = np.full(best.size, len(RESPONSE_ORDER), dtype=np.int64)  # missing: last
    for j, r in enumerate(RESPONSE_ORDER):
        best_code[best == r] = j
    del best
    responding = [RESPONSE_ORDER.index(r) for r in OBJECTIVE_RESPONSES]
    controlled = [RESPONSE_ORDER.index(r) for r in DISEASE_CONTROL]
    in_trial = lines["in_trial"].to_numpy()

    def times(name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lines[f"{name}_days"].to_numpy(float)[rows] / unit_days,
                lines[f"{name}_event"].to_numpy(bool)[rows])

    for k in np.unique(number).tolist():
        rows = np.flatnonzero(number == k)
        n_line = int(rows.size)  # one row per patient and line
        per_regimen = np.bincount(reg_code[rows], minlength=len(reg_names))
        regimens.extend(RegimenCount(k, str(reg_names[j]), int(per_regimen[j]), n_line)
                        for j in by_name if per_regimen[j])
        code = best_code[rows]
        per_best = np.bincount(code, minlength=len(RESPONSE_ORDER) + 1)
        counts = tuple((r, int(per_best[j])) for j, r in enumerate(RESPONSE_ORDER))
        counts += (("missing", int(per_best[-1])),)
        responders = np.isin(code, responding)
        dor = (_duration(*times("dor", rows[responders]), km) if responders.any() else None)
        summaries.append(LineSummary(
            line=k, n=n_line, n_in_trial=int(in_trial[rows].sum()), responses=counts,
            orr=_share(int(responders.sum()), n_line, conf_level),
            dcr=_share(int(np.isin(code, controlled).sum()), n_line, conf_level),
            pfs=_duration(*times("pfs", rows), km),
            time_to_next=_duration(*times("ttnt", rows), km),
            time_on_line=_duration(*times("time_on_line", rows), km),
            response_duration=dor))
    return regimens, summaries


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
    return tuple(out)


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
    rows = course_rows(patients, treatments, regimen_labels=regimen_labels,
                       lanes_unit_days=unit_days if len(patients) <= swimmer_max else None)
    return course_from_rows(patients, rows, unit_days=unit_days, time_unit=time_unit,
                            conf_type=conf_type, conf_level=conf_level, median_ci=median_ci,
                            times_at_risk=times_at_risk, swimmer_max=swimmer_max, show=show)


#: The per-line columns the course is summarised from (:func:`course_from_rows`).
SUMMARISED = ("line", "regimen", "in_trial", "best_response", "start_days", "pfs_days",
              "pfs_event", "ttnt_days", "ttnt_event", "time_on_line_days",
              "time_on_line_event", "dor_days", "dor_event")


@dataclass(frozen=True)
class CourseRows:
    """What a treatment course is summarised from: the per-line table and the counts of
    patients by kind of treatment, and (for a swimmer plot) one lane per patient.

    A patient's lines, counts and lane read that patient's rows only, so the rows of a
    cohort split into parts of patients are the parts' rows joined (:func:`joined_rows`).

    Attributes
    ----------
    lines
        The per-line table (:func:`~sarcohort.cohort._lines.treatment_lines`, the
        protocol's regimen labels applied) in the columns :data:`SUMMARISED`.
    line_patient
        Position of each line's patient in the cohort (None unless asked for: what
        :func:`joined_rows` orders the parts' lines by).
    n_patients, n_systemic, n_in_trial
        Patients; with a systemic treatment; treated in a trial.
    local
        Patients with each kind of local treatment.
    unnumbered
        Systemic rows without a line number (not in ``lines``).
    lanes
        One swimmer lane per patient in cohort order, or None when not wanted.
    """

    lines: pd.DataFrame
    line_patient: np.ndarray | None
    n_patients: int
    n_systemic: int
    n_in_trial: int
    local: tuple[tuple[str, int], ...]
    unnumbered: int
    lanes: tuple[SwimmerLane, ...] | None


def narrowed(lines: pd.DataFrame) -> pd.DataFrame:
    """``lines`` (a per-line table) in narrower types holding the same values: whole
    numbers of days as float32 (exact below 2**24), line numbers in the smallest integer,
    texts as categories. A registry's lines are ten million rows (1.2 -> 0.5 GB); the
    course summarised from them is the same (the values are read back as float64 and
    objects)."""
    out: dict[str, Any] = {}
    for c, s in lines.items():
        v = s.to_numpy()
        if v.dtype == np.float64:
            finite = v[np.isfinite(v)]
            if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**24):
                v = v.astype(np.float32)
        elif v.dtype.kind == "i" and v.size:
            lo, hi = int(v.min()), int(v.max())
            v = v.astype(next(t for t in (np.int8, np.int16, np.int32, np.int64)
                              if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max))
        elif v.dtype == object:
            v = pd.Categorical(v)
        out[c] = v.copy() if isinstance(v, np.ndarray) and v.base is not None else v  # own array
    return pd.DataFrame(out, copy=False)


def course_rows(patients: pd.DataFrame, treatments: pd.DataFrame, *,
                regimen_labels: Mapping[str, str] | None = None,
                lanes_unit_days: float | None = None, positions: bool = False) -> CourseRows:
    """The rows a treatment course is summarised from (see :class:`CourseRows`);
    ``lanes_unit_days``: with one swimmer lane per patient, in this unit of time (days per
    unit), else none; ``positions``: with each line's patient's position."""
    labels = dict(regimen_labels or {})
    n = len(patients)
    # patients by position (an integer per treatment row, -1 for none): counts of distinct
    # patients are bincounts, with no set of identifiers and no copy of the table
    pos = pd.Index(patients.index).get_indexer(treatments["pseudo_id"].to_numpy())
    kind_code, kinds = pd.factorize(treatments["kind"].to_numpy(dtype=object))
    kinds = list(kinds)

    def of_kind(k: str) -> np.ndarray:
        return kind_code == kinds.index(k) if k in kinds else np.zeros(len(pos), bool)

    lines, unnumbered = treatment_lines(patients, treatments, positions=pos,
                                        systemic=of_kind("systemic"))
    if labels and len(lines):
        lines["regimen"] = _relabelled(lines["regimen"].to_numpy(dtype=object), labels)

    def n_patients(rows: np.ndarray) -> int:
        rows = rows & (pos >= 0)
        return int(np.count_nonzero(np.bincount(pos[rows], minlength=n)))

    trial = (treatments["in_trial"] == "yes").to_numpy(dtype=bool)
    line_patient = (pd.Index(patients.index).get_indexer(lines["pseudo_id"].to_numpy())
                    if positions else None)
    return CourseRows(
        lines=lines[list(SUMMARISED)] if len(lines) else lines,
        line_patient=line_patient, n_patients=n, n_systemic=n_patients(of_kind("systemic")),
        n_in_trial=n_patients(trial), local=tuple((k, n_patients(of_kind(k))) for k in LOCAL_KINDS),
        unnumbered=unnumbered,
        lanes=(_lanes(patients, treatments[pos >= 0], lines, lanes_unit_days)
               if lanes_unit_days is not None else None))


def joined_rows(parts: Sequence[CourseRows], patient_order: Sequence[np.ndarray]) -> CourseRows:
    """The rows of a cohort from those of its parts (patients split by id):
    ``patient_order[i]`` is where each patient of part ``i`` stands in the cohort."""
    key = np.concatenate([o[r.line_patient] for r, o in zip(parts, patient_order, strict=True)
                          if r.line_patient is not None]) if parts else np.zeros(0, np.int64)
    order = np.argsort(key, kind="stable")  # by patient, each patient's lines in line order
    frames = [r.lines for r in parts if len(r.lines)]
    lines = (pd.DataFrame(joined_columns(frames, order), copy=False) if frames
             else parts[0].lines)
    lanes = None
    if parts and all(r.lanes is not None for r in parts):
        every = [lane for r in parts for lane in (r.lanes or ())]
        lanes = tuple(every[i] for i in np.argsort(np.concatenate(patient_order), kind="stable"))
    local = {k: 0 for k, _ in parts[0].local} if parts else {}
    for r in parts:
        for k, v in r.local:
            local[k] += v
    return CourseRows(
        lines=lines, line_patient=None, n_patients=sum(r.n_patients for r in parts),
        n_systemic=sum(r.n_systemic for r in parts), n_in_trial=sum(r.n_in_trial for r in parts),
        local=tuple(local.items()), unnumbered=sum(r.unnumbered for r in parts), lanes=lanes)


def course_from_rows(
    patients: pd.DataFrame,
    rows: CourseRows,
    *,
    unit_days: float,
    time_unit: str = default_of("analysis.time_unit"),
    conf_type: ConfType,
    conf_level: float,
    median_ci: MedianMethod,
    times_at_risk: Sequence[float] | None = None,
    swimmer_max: int = SWIMMER_MAX,
    show: Sequence[str] = TREATMENT_VIEWS,
) -> TreatmentCourse:
    """The treatment course (:func:`treatment_course`) from its rows (:func:`course_rows`);
    ``patients``: the cohort's table (its follow-up, ``os_days``)."""
    n = rows.n_patients
    lines = rows.lines
    km = KMOptions(conf_type=conf_type, conf_level=conf_level, median_ci=median_ci)
    regimens, summaries = _per_line(lines, unit_days, conf_level, km)
    pfs_by_line: KMAnalysis | None = None
    if len(lines):
        t = lines["pfs_days"].to_numpy(float) / unit_days
        ok = np.isfinite(t)
        kept: slice | np.ndarray = slice(None) if ok.all() else ok  # all: views, not copies
        numbers, which = np.unique(lines["line"].to_numpy(), return_inverse=True)
        # each row's line as a code of the distinct labels (a registry's 10^7 lines: no label
        # object per row)
        order = [f"Line {k}" for k in numbers.tolist()]
        groups = pd.Categorical.from_codes(which.ravel()[kept], categories=order)
        del which
        if times_at_risk is None:
            times_at_risk = risk_times(float(np.max(t[ok])) if ok.any() else 1.0, time_unit)
        # lines are not independent groups (a patient has several): no log-rank test
        pfs_by_line = km_analysis("pfs_line", "Progression-free survival",
                                  t[kept], lines["pfs_event"].to_numpy(bool)[kept], groups,
                                  order, factor="line", factor_label="Line of treatment",
                                  options=dataclasses.replace(km, times_at_risk=times_at_risk),
                                  test=False)
    lanes: tuple[SwimmerLane, ...] = ()
    if n <= swimmer_max and rows.lanes is not None:
        # longest follow-up on top, as swimmer plots are read (stable: ties keep cohort order)
        lanes = tuple(sorted(rows.lanes, key=lambda lane: -lane.end))
    occupancy = _occupancy(patients, lines, unit_days) if n > swimmer_max else None
    return TreatmentCourse(
        n_patients=n, n_no_systemic=n - rows.n_systemic,
        n_in_trial=rows.n_in_trial, local=rows.local, regimens=tuple(regimens),
        lines=tuple(summaries), pfs_by_line=pfs_by_line, lanes=lanes, occupancy=occupancy,
        unnumbered_rows=rows.unnumbered, swimmer_max=swimmer_max, show=tuple(show))
