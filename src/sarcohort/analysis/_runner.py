"""Run a protocol on a cohort: patient flow, Table 1, Kaplan-Meier, Cox -> Results."""

from __future__ import annotations

import dataclasses
import functools
import json
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sarcohort._clock import now_utc
from sarcohort._forked import memory_resident, run_forked, workers_for
from sarcohort.analysis._centre import centre_effect
from sarcohort.analysis._competing import competing_risks
from sarcohort.analysis._data_problems import check_unlinked_treatments, data_warnings
from sarcohort.analysis._free_text import check_not_free_text
from sarcohort.analysis._imputation import fit_imputed
from sarcohort.analysis._levels import apply_levels, dictionary_levels
from sarcohort.analysis._regression import fit_cox
from sarcohort.analysis._results import (
    CentreEffect,
    CompetingRisks,
    CoxModel,
    EndpointSummary,
    ExposureComparison,
    FlowStep,
    ImputedModel,
    KMAnalysis,
    ModelValidation,
    Results,
    RmstComparison,
    StudyMeta,
    Table1,
    TreatmentCourse,
    clean_float,
)
from sarcohort.analysis._rmst import rmst_comparison
from sarcohort.analysis._survival import KMOptions, held_endpoint, km_analysis, risk_times
from sarcohort.analysis._table1 import (
    build_table1,
    categorical_levels,
    is_categorical,
    level_labels,
    ordered,
)
from sarcohort.analysis._timedep import compare_exposure
from sarcohort.analysis._treatments import CourseRows, course_from_rows, treatment_course
from sarcohort.analysis._validation import validate_model
from sarcohort.cohort._cohort import Cohort
from sarcohort.cohort._flow import PatientFlow
from sarcohort.data._memory import release_memory
from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.protocol._options import DEFAULT_LANDMARK_DAYS
from sarcohort.protocol._spec import Protocol
from sarcohort.stats.cox import release_shared
from sarcohort.stats.km import kaplan_meier

#: Patients from which the analyses of a cohort in memory run at once on several cores (in
#: forked workers); below, starting the workers takes longer than it saves.
PARALLEL_PATIENTS = 20_000

#: Columns that identify a patient: never described, modelled or written.
IDENTIFYING = frozenset({"patient_id", "pseudo_id", "source_row", "birth_date", "name",
                         "first_name", "last_name", "initials"})


def sarcohort_version() -> str:
    """The installed sarcohort version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sarcohort")
    except PackageNotFoundError:  # not installed (source checkout)
        return "0+unknown"


def software_versions() -> tuple[tuple[str, str], ...]:
    """Versions of the software that computed the results."""
    import scipy

    return (
        ("sarcohort", sarcohort_version()),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("SciPy", scipy.__version__),
        ("pandas", pd.__version__),
    )


def flow_steps(flow: PatientFlow | None) -> tuple[FlowStep, ...]:
    """The patient flow of a cohort (:class:`sarcohort.cohort.PatientFlow`) as plain steps."""
    if flow is None:
        return ()
    out = [FlowStep(label="Patient records read", n=int(flow.n_read))]
    for s in flow.steps:
        out.append(FlowStep(label=str(s.reason), n=int(s.n_remaining), excluded=int(s.n_excluded),
                            reason=str(s.reason)))
    out.append(FlowStep(label="Patients analysed", n=int(flow.n_analysed)))
    return tuple(out)


def _looks_identifying(s: pd.Series) -> bool:
    """Text with a distinct value for most patients, or whole numbers all distinct: the shape
    of a name, an identifier or a date written as text (a [derived] alias of a free column
    included). Real categories repeat; real measurements are rarely all-distinct integers."""
    if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        return False
    # no copy of the column without its missing values: a registry's million rows
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        x = x[~np.isnan(x)]
        n = x.size
        # the cheap test first: a registry's measurements are rarely all whole numbers
        return n >= 20 and bool(np.all(x == np.round(x))) and s.nunique() == n
    if len(pd.unique(s)) <= 20:  # a few categories (missing included): at most 20 values
        return False
    n = int(s.count())
    return n >= 20 and s.nunique() > max(20, n // 2)


def _check_columns(data: pd.DataFrame, study: Protocol) -> None:
    a = study.analysis
    have = set(data.columns)

    def need(names: Iterable[str], key: str) -> None:
        for n in names:
            if n not in have:
                raise ProtocolError(
                    "names a column the cohort does not have", argument=key, value=n,
                    fix="available columns: " + ", ".join(sorted(map(str, have))))

    # each column checked once (a registry's column: a hash pass per check)
    shown = list(dict.fromkeys([*a.descriptive, *a.factors, *([a.group] if a.group else []),
                                *[c for covs in a.multivariable.covariates.values() for c in covs],
                                *a.competing.factors]))
    check_not_free_text(data, study, [
        *[(c, "analysis.competing.factors") for c in a.competing.factors],
        *[(c, "analysis.descriptive") for c in a.descriptive],
        *[(c, "analysis.factors") for c in a.factors],
        *([(a.group, "analysis.group")] if a.group else []),
        *[(c, f"analysis.multivariable.{e}") for e, covs in a.multivariable.covariates.items()
          for c in covs]])
    for name in shown:
        if name in IDENTIFYING or (name in have and pd.api.types.is_datetime64_any_dtype(data[name])):
            raise ProtocolError(
                "an identifier or a date is never described or reported", argument="analysis",
                value=name, fix="describe a derived variable instead (age, months to metastasis)")
        if name in have and _looks_identifying(data[name]):
            raise ProtocolError(
                f"has a different value for nearly every patient ({data[name].nunique()} values "
                f"among {len(data)} patients): it looks like an identifier, a name or a date, "
                "which is never shown in a report", argument="analysis", value=name,
                fix="describe a derived variable instead (a category, an age, a duration)")
    for e in a.endpoints:
        need([f"{e}_days", f"{e}_event"], "analysis.endpoints")
    if a.group:
        need([a.group], "analysis.group")
    need(a.descriptive, "analysis.descriptive")
    need(a.factors, "analysis.factors")
    for e, covs in a.multivariable.covariates.items():
        need(covs, f"analysis.multivariable.{e}")
    need(list(a.time_dependent), "analysis.time_dependent")
    need(list(a.time_dependent.values()), "analysis.time_dependent")
    if a.competing.event is not None:
        need(["pfs_days", "pfs_event", "os_days", "os_event"], "analysis.competing.event")
        need(a.competing.factors, "analysis.competing.factors")
    if a.centre_effect is not None:
        need(["centre"], "analysis.centre_effect")


def _file_value_labels(study: Any) -> dict[str, dict[str, str]]:
    """The value labels an SPSS/Stata/SAS patients file carries, by template column name."""
    from pathlib import Path

    from sarcohort.data.readers._stat_files import stat_value_labels

    data = getattr(getattr(study, "cohort_config", None), "data", None)
    if data is None or not getattr(data, "patients", None):
        return {}
    path = Path(data.patients)
    if not path.is_absolute():
        path = Path(study.path).parent / path
    mapping = dict(getattr(data, "mapping", {}) or {})
    return {mapping.get(k, k): v for k, v in stat_value_labels(path).items()}


def ph_warnings(m: CoxModel) -> list[str]:
    """A warning per variable whose proportional-hazards test (cox.zph) has P < 0.05, with the
    usual remedies; one for the global test when no single variable is flagged."""
    out = []
    flagged = [z for z in m.zph if z.name != "GLOBAL" and z.p is not None and z.p < 0.05]
    remedies = ("its hazard ratio is an average of an effect that changes over follow-up. Look at "
                "its scaled Schoenfeld residual plot; usual remedies: stratify the model on it, "
                "add its interaction with (a function of) time, or report its hazard ratio per "
                "period of follow-up (a step function or landmark analyses)")
    for z in flagged:
        out.append(f"{m.endpoint_label}, multivariable model: proportional hazards doubtful for "
                   f"{z.label} (cox.zph P < 0.05): {remedies}.")
    glob = next((z for z in m.zph if z.name == "GLOBAL"), None)
    if not flagged and glob is not None and glob.p is not None and glob.p < 0.05:
        out.append(f"{m.endpoint_label}, multivariable model: the global proportional hazards test "
                   "(cox.zph) has P < 0.05 although no single variable does; the hazard ratios "
                   "may change over follow-up (see the scaled Schoenfeld residual plots).")
    return out


def analysis_workers(n_patients: int, *, engine: Any = None, workers: int | None = None) -> int:
    """How many processes :func:`run_analysis` runs the analyses in.

    ``workers`` when given (more than 1 with an ``engine``: an error). Else 1 for a cohort
    under :data:`PARALLEL_PATIENTS` patients, or when a SQL ``engine`` computes the curves
    (its connection is not shared with a forked process, and its tables are those that do
    not fit in memory twice); else one per usable core, and at most one per what this
    process holds in memory still available (a worker's analyses of a cohort in memory take
    up to about that much: 10^6 patients, 0.75 GB held, 2 workers: 1.9 GB in all, 1.3 GB
    one after the other).

    >>> analysis_workers(120), analysis_workers(10**6, engine=object()), analysis_workers(5, workers=2)
    (1, 1, 2)
    """
    if workers is not None and int(workers) > 1 and engine is not None:
        raise InputError("the analyses run in several processes only for a cohort analysed in "
                         "memory", argument="workers", value=workers,
                         fix="use --engine memory, or leave --workers out")
    if workers is not None:
        return max(1, int(workers))
    if engine is not None or n_patients < PARALLEL_PATIENTS:
        return 1
    return workers_for(memory_resident())


def _json_safe(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str, allow_nan=True).replace("NaN", "null"))


def run_analysis(study: Protocol, cohort: Cohort, *,
                 progress: Callable[[str], None] | None = None, engine: Any = None,
                 release_treatments: bool = False, course: CourseRows | None = None,
                 workers: int | None = None) -> Results:
    """Run every analysis of ``study``'s protocol on ``cohort``.

    ``engine``: a SQL engine of :mod:`sarcohort.engines` (DuckDB, Spark) that computes the
    Kaplan-Meier curves and log-rank tests from per-time aggregates (the same numbers), or
    None for numpy in memory; Cox models need the rows and are fitted in memory.
    ``release_treatments``: empty ``cohort.treatments`` in place (its columns kept, no row)
    once the treatment course is built, for a caller with no further use of the treatment
    rows: a registry's millions of them are not held beside the models (10^6 patients:
    peak 1.65 -> 1.43 GB), nor the lines of ``course``. The results are the same.
    ``course``: the treatment course's rows (:func:`~sarcohort.analysis._treatments.course_rows`)
    of a cohort that holds no treatment row (built a part at a time); None: from
    ``cohort.treatments``.
    ``workers``: how many processes run the treatment course, Table 1 and the endpoints'
    analyses at once (:func:`analysis_workers`; None: as the cores and the cohort allow).
    The results are the same, in the same order, whatever the number.
    """
    say = progress or (lambda _msg: None)
    a = study.analysis
    data: pd.DataFrame = cohort.patients
    check_unlinked_treatments(cohort, str(study.path))
    if data.empty:
        raise _nobody_left(study, cohort)
    _check_columns(data, study)
    label = a.label
    # value labels: the data dictionary's, then the protocol's [analysis.levels] (which win);
    # a post-baseline exposure stays yes/no (its time-dependent coding needs it)
    shown_levels = {**_file_value_labels(study), **dictionary_levels(data.columns),
                    **{k: dict(v) for k, v in a.levels.items()}}
    data = apply_levels(data, shown_levels, skip=set(a.time_dependent))
    warnings_out: list[str] = data_warnings(cohort)  # data errors first

    # the treatment course first, while the memory holds the cohort only: its transient tables
    # (a registry's million lines) never add to the Cox models' (1e6: peak 2.3 -> 2.1 GB)
    has_treatment_rows = (len(cohort.treatments) > 0 if course is None
                          else cohort.manifest["treatment_rows"]["analysed"] > 0)

    def release() -> None:
        """The treatment rows, of no further use once the course is built (in the process
        that calls it: here, or the worker that built the course)."""
        if release_treatments:
            cohort.treatments.drop(index=cohort.treatments.index, inplace=True)
            if course is not None:  # a registry's lines, not held beside the models
                course.lines.drop(index=course.lines.index, inplace=True)

    def treatment_course() -> tuple[TreatmentCourse | None, list[str]]:
        if a.treatments.show and has_treatment_rows:
            step("Treatment course")
        notes: list[str] = []
        summary = _treatment_course(cohort, study, notes, course)
        release()
        return summary, notes

    # the grouping variable is the columns of Table 1, never a row (gtsummary's by=)
    descriptive = [c for c in (list(a.descriptive) or a.factors) if c != a.group]

    def table_1() -> Table1:
        step("Table 1")
        return build_table1(data, descriptive, a.group, label=label,
                            continuous_test=a.continuous_test, group_order=a.group_order,
                            not_tested=a.group_defined_by, summary=a.continuous_summary)

    lm_time = a.landmark_time if a.landmark_time is not None else DEFAULT_LANDMARK_DAYS / a.unit_days
    levels: dict[str, tuple[pd.Categorical, list[str]] | None] = {}

    def factor_levels(f: str) -> tuple[pd.Categorical, list[str]] | None:
        """A categorical factor's label per patient, coded, and its levels (None:
        continuous), worked out once for every endpoint (a registry's million rows: a hash
        pass each; the codes only are kept, not a label object per row)."""
        if f not in levels:
            levels[f] = categorical_levels(data[f])
        return levels[f]

    # the treatment course, Table 1 and each endpoint's analyses are independent: on several
    # cores they run at once, in forked workers (the same results, in the same order); an
    # endpoint's time-dependent comparisons too, when its multivariable covariates are known
    # before its univariable models are fitted
    n_workers = analysis_workers(len(data), engine=engine, workers=workers)
    step = say if n_workers < 2 else (lambda _msg: None)  # a worker shows no progress
    apart = n_workers > 1 and bool(a.time_dependent) and a.multivariable.selection != "univariable"
    # in the order they start: the longest first (the course: a registry's million lines),
    # Table 1 last (the shortest)
    tasks: list[Callable[[], Any]] = [treatment_course]
    task_names = ["Treatment course"]
    for e in a.endpoints:
        tasks.append(functools.partial(
            _endpoint_analyses, e, study, data, engine=engine, lm_time=lm_time,
            factor_levels=factor_levels, say=step, exposures=not apart))
        task_names.append(label(e))
    if apart:
        for e in a.endpoints:
            tasks.append(functools.partial(_exposure_comparisons, e, study, data,
                                           _named_covariates(study, e), lm_time=lm_time,
                                           say=step))
            task_names.append(f"{label(e)}: time-dependent")
    tasks.append(table_1)
    task_names.append("Table 1")
    finished: list[str] = []

    def done(i: int) -> None:
        if n_workers > 1:
            finished.append(task_names[i])
            say(f"Analyses done: {', '.join(finished)} ({len(finished)} of {len(tasks)})")

    if n_workers > 1:
        say(f"Treatment course, Table 1 and the analyses of {len(a.endpoints)} endpoint(s) "
            f"on {n_workers} cores")
        release_memory(heap=True)  # what the load freed: not copied into every worker
    parts = run_forked(tasks, n_workers, forked=release, done=done)
    (treatment_summary, course_notes), table1 = parts[0], parts[-1]
    k = len(a.endpoints)
    by_endpoint: list[_EndpointAnalyses] = parts[1:1 + k]
    if apart:
        by_endpoint = [dataclasses.replace(p, robustness=r)
                       for p, r in zip(by_endpoint, parts[1 + k:1 + 2 * k], strict=True)]

    treatment_columns = {"local_treatment", "metastasis_surgery", "n_systemic_lines",
                         "no_systemic_treatment", "in_trial"}
    used = {*descriptive, *a.factors, *a.time_dependent,
            *[c for covs in a.multivariable.covariates.values() for c in covs]}
    if not has_treatment_rows and used & treatment_columns:
        warnings_out.append("The data hold no treatment rows: every patient counts as untreated in "
                            + ", ".join(sorted(map(label, used & treatment_columns))) + ".")
    if a.group:
        shown_groups = {g.lower() for g in table1.columns[1:]}
        unknown = [g for g in a.group_order if str(g).lower() not in shown_groups]
        if unknown:
            warnings_out.append(f"analysis.group_order names {', '.join(map(repr, unknown))}, which is not a "
                                f"value of {a.group} in the analysed patients (check the spelling).")
        if len(table1.columns) < 3:
            warnings_out.append(f"{label(a.group)} takes a single value in the analysed patients: "
                                "there is nothing to compare.")
    for part in by_endpoint:
        warnings_out.extend(part.notes)
    endpoints = [p.endpoint for p in by_endpoint]
    survival = [x for p in by_endpoint for x in p.survival]
    rmst = [x for p in by_endpoint for x in p.rmst]
    univariable = [x for p in by_endpoint for x in p.univariable]
    multivariable = [x for p in by_endpoint for x in p.multivariable]
    imputed = [x for p in by_endpoint for x in p.imputed]
    validation = [x for p in by_endpoint for x in p.validation]
    centre_effects = [x for p in by_endpoint for x in p.centre_effects]
    robustness = [x for p in by_endpoint for x in p.robustness]

    competing: CompetingRisks | None = None
    if a.competing.event is not None:
        say("Competing risks")
        competing, notes = _competing_risks(study, data, a.competing.event)
        warnings_out.extend(notes)

    for m in multivariable:
        for w in m.warnings:
            warnings_out.append(f"{m.endpoint_label}, multivariable model: {w}")
        warnings_out.extend(ph_warnings(m))

    meta = StudyMeta(
        title=study.title, protocol_version=study.version, sarcohort_version=sarcohort_version(),
        protocol_hash=study.protocol_hash,
        created_utc=now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
        time_unit=a.time_unit, conf_level=a.conf_level, conf_type=a.conf_type,
        median_ci=a.median_ci, group=a.group, group_label=label(a.group) if a.group else None,
        software=software_versions(), ties=a.ties, continuous_test=a.continuous_test,
        manifest=_json_safe(dict(cohort.manifest)),
        report_options=_json_safe(dataclasses.asdict(study.report)),
        landmark_time=lm_time if a.time_dependent else None)
    warnings_out.extend(course_notes)  # the treatment course's warning, in its place
    names = set(a.endpoints) | set(a.factors) | set(descriptive) | ({a.group} if a.group else set())
    return Results(
        meta=meta, flow=flow_steps(cohort.flow), endpoints=tuple(endpoints),
        table1=table1, survival=tuple(survival), univariable=tuple(univariable),
        multivariable=tuple(multivariable), robustness=tuple(robustness),
        warnings=tuple(dict.fromkeys(warnings_out)), labels={n: label(n) for n in sorted(names)},
        treatments=treatment_summary, validation=tuple(validation),
        imputed=tuple(imputed), rmst=tuple(rmst), competing=competing,
        centre_effects=tuple(centre_effects))


def _nobody_left(study: Protocol, cohort: Cohort) -> InputError:
    """The refusal of a cohort whose every patient was excluded: how many were read, why
    they were excluded, and the problems of whole files (a missing column...)."""
    flow = cohort.flow
    reasons = "; ".join(f"{st.n_excluded} {st.reason}" for st in flow.steps if st.n_excluded)
    report = getattr(cohort, "report", None)
    whole = [p for p in (report.errors if report is not None else ()) if p.row is None]
    why = "".join(f"\n  {p.file}: {p.message} [{p.rule}]" for p in whole[:5])
    return InputError(
        f"no patient left to analyse: {flow.n_read} read, all excluded ({reasons or 'no rows'})"
        + why,
        argument=str(study.path), fix="run `sarcohort validate` on the data with this protocol to see "
        "each problem by file, row and column")


def _competing_risks(study: Protocol, data: pd.DataFrame, event: str,
                     ) -> tuple[CompetingRisks | None, list[str]]:
    """The competing-risks analysis of progression (``[analysis.competing]``: ``event``
    against its competing event), by the grouping when it is categorical, and its warnings."""
    a = study.analysis
    comp = a.competing
    covs_fg = list(comp.factors or a.multivariable.covariates.get("pfs") or a.factors)
    g_lab, g_order = None, list[str]()
    if a.group and is_categorical(data[a.group]):
        lab, g_order = level_labels(data[a.group])
        g_order = ordered(g_order, a.group_order)
        g_lab = lab.to_numpy(dtype=object)
    pfs_t = pd.to_numeric(data["pfs_days"], errors="coerce").to_numpy(float) / a.unit_days
    max_t = (study.report.max_time_per_endpoint.get("pfs") or study.report.max_time
             or (float(np.nanmax(pfs_t)) if np.isfinite(pfs_t).any() else 1.0))
    return competing_risks(
        data, event=event, competing=comp.competing or "death", unit_days=a.unit_days,
        group=a.group if g_lab is not None else None, group_labels=g_lab, order=g_order,
        covariates=covs_fg, landmarks=a.landmarks,
        risk_times=risk_times(max_t, a.time_unit, study.report.risk_table_step),
        conf_type=a.conf_type, conf_level=a.conf_level, label=a.label, per=a.per)


@dataclass(frozen=True)
class _EndpointAnalyses:
    """What :func:`_endpoint_analyses` finds for one endpoint, in the report's order."""

    endpoint: EndpointSummary
    survival: list[KMAnalysis]
    rmst: list[RmstComparison]
    univariable: list[CoxModel]
    multivariable: list[CoxModel]
    imputed: list[ImputedModel]
    validation: list[ModelValidation]
    centre_effects: list[CentreEffect]
    robustness: list[ExposureComparison]
    notes: list[str]


def _named_covariates(study: Protocol, e: str) -> list[str]:
    """The covariates of endpoint ``e``'s multivariable model when they are named, not
    selected (``[analysis.multivariable]``, else the factors)."""
    a = study.analysis
    return list(a.multivariable.covariates.get(e, a.factors))


def _endpoint_times(data: pd.DataFrame, e: str, unit_days: float,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, slice | np.ndarray]:
    """Endpoint ``e``'s times (in the protocol's unit) and events, which patients have a
    time, and those rows as a slice when every one has (views, not copies: a registry's
    endpoint, 10^7 patients: 80 MB an array)."""
    t = pd.to_numeric(data[f"{e}_days"], errors="coerce").to_numpy(float) / unit_days
    event = data[f"{e}_event"].fillna(False).astype(bool).to_numpy()
    ok = np.isfinite(t)
    return t, event, ok, slice(None) if ok.all() else ok


def _endpoint_analyses(e: str, study: Protocol, data: pd.DataFrame, *, engine: Any,
                       lm_time: float,
                       factor_levels: Callable[[str], tuple[pd.Categorical, list[str]] | None],
                       say: Callable[[str], None], exposures: bool = True) -> _EndpointAnalyses:
    """Endpoint ``e``'s Kaplan-Meier curves, RMST, Cox models (univariable, multivariable,
    imputed, validated, by centre) and, with ``exposures``, its time-dependent comparisons
    (:func:`_exposure_comparisons`), with its warnings."""
    a = study.analysis
    label = a.label
    notes: list[str] = []
    survival: list[KMAnalysis] = []
    univariable: list[CoxModel] = []
    multivariable: list[CoxModel] = []
    robustness: list[ExposureComparison] = []
    rmst: list[RmstComparison] = []
    validation: list[ModelValidation] = []
    imputed: list[ImputedModel] = []
    centre_effects: list[CentreEffect] = []
    say(f"Kaplan-Meier: {label(e)}")
    t, event, ok, rows = _endpoint_times(data, e, a.unit_days)
    if (~ok).any():
        notes.append(f"{label(e)}: {int((~ok).sum())} patient(s) without follow-up time left out.")
    max_t = (study.report.max_time_per_endpoint.get(e) or study.report.max_time
             or float(np.nanmax(t))) if ok.any() else 1.0
    rt = risk_times(max_t, a.time_unit, study.report.risk_table_step)
    kmo = KMOptions(conf_type=a.conf_type, conf_level=a.conf_level, median_ci=a.median_ci,
                    landmarks=a.landmarks, times_at_risk=rt)
    by = ([a.group] if a.group else []) + [f for f in a.factors if f != a.group]
    groupings = {}  # the categorical factors: each patient's label, and the curves' order
    for f in by:
        shown = factor_levels(f)
        if shown is not None:
            coded, order = shown
            groupings[f] = (coded[rows], ordered(order, a.group_order) if f == a.group else order)
    t_in, event_in = t[rows], event[rows]  # the patients with a time (a copy when not all)
    with held_endpoint(engine, t_in, event_in, groupings) as held:
        overall = km_analysis(e, label(e), t_in, event_in, options=kmo, on_engine=held.rows())
        survival.append(overall)
        rev = km_analysis(e, label(e), t_in, ~event_in, options=kmo,
                          on_engine=held.rows(reverse=True))
        fu = rev.groups[0]
        q1 = q3 = None
        if ok.any():
            rev_curve = next(iter(kaplan_meier(t_in, ~event_in).curves.values()))
            q1, q3 = (clean_float(rev_curve.quantile(q)[0]) for q in (0.25, 0.75))
        summary = EndpointSummary(
            name=e, label=label(e), time_column=f"{e}_days", event_column=f"{e}_event",
            n=int(ok.sum()), events=int(event_in.sum()), median_followup=fu.median,
            median_followup_lower=fu.median_lower, median_followup_upper=fu.median_upper,
            followup_q1=q1, followup_q3=q3)
        for f in by:
            if f not in groupings:
                notes.append(f"{label(f)} is continuous: no Kaplan-Meier curves by it.")
                continue
            groups, order = groupings[f]
            survival.append(km_analysis(
                e, label(e), t_in, event_in, groups, order,
                factor=f, factor_label=label(f), options=kmo, on_engine=held.rows(f)))
            if f == a.group and a.rmst_tau is not None:
                rmst_comp, rmst_why = rmst_comparison(
                    e, label(e), t_in, event_in, np.asarray(groups, dtype=object), order,
                    factor=f, factor_label=label(f), tau=a.rmst_tau, conf_level=a.conf_level)
                if rmst_comp is not None:
                    rmst.append(rmst_comp)
                elif rmst_why:
                    notes.append(rmst_why)
    del t_in, event_in

    say(f"Cox models: {label(e)}")
    uni: list[CoxModel] = []
    for f in a.factors:
        uni.append(fit_cox(e, label(e), t, event, data, [f], kind="univariable", label=label, per=a.per,
                           ties=a.ties, conf_level=a.conf_level))
    univariable.extend(uni)
    mv = a.multivariable
    if mv.selection == "univariable":
        candidates = mv.covariates.get(e) or a.factors
        chosen = [m.covariates[0] for m in uni if m.covariates[0] in candidates
                  and any(tm.p is not None and tm.p < mv.p_threshold for tm in m.terms)]
        extra = [c for c in candidates if c not in a.factors]
        for c in extra:
            m = fit_cox(e, label(e), t, event, data, [c], kind="univariable", label=label, per=a.per,
                        ties=a.ties, conf_level=a.conf_level)
            if any(tm.p is not None and tm.p < mv.p_threshold for tm in m.terms):
                chosen.append(c)
        covs = chosen
    else:
        covs = _named_covariates(study, e)
    for c in covs:  # every variable of the multivariable model gets its univariable row
        if c not in a.factors and not any(m.covariates == (c,) for m in uni):
            uni.append(fit_cox(e, label(e), t, event, data, [c], kind="univariable", per=a.per,
                               label=label, ties=a.ties, conf_level=a.conf_level))
            univariable.append(uni[-1])
    if covs:
        multivariable.append(fit_cox(e, label(e), t, event, data, covs, kind="multivariable",
                                     per=a.per,
                                     label=label, ties=a.ties, selection=mv.selection,
                                     conf_level=a.conf_level))
        if a.missing.method == "multiple-imputation":
            say(f"Multiple imputation ({a.missing.m} data sets): {label(e)}")
            imp, imp_note = fit_imputed(e, label(e), t, event, data, covs, m=a.missing.m,
                                   seed=a.missing.seed, ties=a.ties, conf_level=a.conf_level,
                                   label=label, per=a.per, firth=multivariable[-1].firth)
            if imp is not None:
                imputed.append(imp)
            elif imp_note:
                notes.append(f"{label(e)}, multivariable model: {imp_note}.")
        if a.validation.bootstrap > 0:
            say(f"Bootstrap validation: {label(e)}")
            horizon = a.validation.horizon or (a.landmarks[-1] if a.landmarks else None)
            val, val_note = validate_model(
                e, label(e), t, event, data, covs, mv.covariates.get(e) or a.factors,
                selection=mv.selection, p_threshold=mv.p_threshold, ties=a.ties,
                B=a.validation.bootstrap, seed=a.validation.seed, horizon=horizon,
                conf_level=a.conf_level, label=label)
            if val is not None:
                validation.append(val)
            elif val_note:
                notes.append(f"{label(e)}, multivariable model: {val_note}.")
    else:
        notes.append(f"{label(e)}: no covariate passed the selection; no multivariable model.")
    centre_covs = covs or ([a.group] if a.group else [])
    if a.centre_effect is not None and centre_covs:
        say(f"Centre effect ({a.centre_effect}): {label(e)}")
        ce, ce_notes = centre_effect(e, label(e), t, event, data, centre_covs, method=a.centre_effect,
                                     model="multivariable" if covs else "univariable", ties=a.ties,
                                     conf_level=a.conf_level, label=label, per=a.per)
        notes.extend(ce_notes)
        if ce is not None:
            centre_effects.append(ce)

    if exposures:
        release_shared(sorts=False)  # the endpoint's models are fitted (the sort: for the naive fit)
        robustness = _exposure_comparisons(e, study, data, covs, lm_time=lm_time, say=say,
                                           univariable=uni, times=(t, event, ok, rows))
    # the Cox fits' remembered sorts and time structures (a registry: ~100 MB each), of no
    # use to the next endpoint's models
    release_shared()
    return _EndpointAnalyses(summary, survival, rmst, univariable, multivariable, imputed,
                             validation, centre_effects, robustness, notes)


def _exposure_comparisons(e: str, study: Protocol, data: pd.DataFrame, covs: list[str], *,
                          lm_time: float, say: Callable[[str], None],
                          univariable: Iterable[CoxModel] = (),
                          times: tuple[np.ndarray, np.ndarray, np.ndarray, slice | np.ndarray]
                          | None = None) -> list[ExposureComparison]:
    """Endpoint ``e``'s naive, time-dependent and landmark comparisons of each post-baseline
    exposure (adjusted for the multivariable model's ``covs`` when the exposure is one of
    them, and unadjusted). The unadjusted naive model is the exposure's model among
    ``univariable`` when given (the same rows, fit and options), else fitted; ``times``:
    the endpoint's :func:`_endpoint_times` when the caller has them."""
    a = study.analysis
    label = a.label
    t, event, ok, rows = times if times is not None else _endpoint_times(data, e, a.unit_days)
    robustness: list[ExposureComparison] = []
    for x, tcol in a.time_dependent.items():
        say(f"Time-dependent {label(x)}: {label(e)}")
        exposure_time = pd.to_numeric(data[tcol], errors="coerce").to_numpy(float)[rows] / a.unit_days
        adjust = covs if x in covs else []
        # compare_exposure reads the columns of its model only
        rows_data = data if ok.all() else data.loc[ok, list(dict.fromkeys([x, *adjust]))]
        # the unadjusted naive model is the univariable model of x (same rows, fit, options)
        uni_x = next((tm for m in univariable if m.covariates == (x,) for tm in m.terms if tm.name == x),
                     None)
        splits: dict = {}  # the split rows, shared by the adjusted and unadjusted models
        fits = [compare_exposure(
            e, label(e), t[rows], event[rows], rows_data, x, exposure_time,
            adjusted_for, landmark_time=lm_time, label=label, ties=a.ties,
            conf_level=a.conf_level, naive=None if adjusted_for else uni_x, splits=splits)
            for adjusted_for in ((adjust, []) if adjust else ([],))]
        del splits
        comparison, unadjusted = fits[0], fits[-1]
        robustness.append(dataclasses.replace(
            comparison, time_dependent_unadjusted=unadjusted.time_dependent))
    # the Cox fits' remembered sorts and time structures (a registry: ~100 MB each), of no
    # use to the next endpoint's models
    release_shared()
    return robustness


def _treatment_course(cohort: Cohort, study: Protocol, warnings_out: list[str],
                      rows: CourseRows | None = None) -> TreatmentCourse | None:
    """The treatment course, when the data hold treatments (see :mod:`.treatments`), from
    the cohort's treatment rows or, given, the course's ``rows``."""
    a = study.analysis
    treatments = cohort.treatments
    if not a.treatments.show:
        return None
    options: dict[str, Any] = dict(
        unit_days=a.unit_days, time_unit=a.time_unit, conf_type=a.conf_type,
        conf_level=a.conf_level, median_ci=a.median_ci, swimmer_max=a.treatments.swimmer_max,
        show=a.treatments.show)
    if rows is not None:
        if cohort.manifest["treatment_rows"]["analysed"] == 0:
            return None
        course = course_from_rows(cohort.patients, rows, **options)
    elif len(treatments) == 0 or "pseudo_id" not in treatments:
        return None
    else:
        course = treatment_course(cohort.patients, treatments,
                                  regimen_labels=a.treatments.regimen_labels, **options)
    if course.unnumbered_rows:
        warnings_out.append(f"{course.unnumbered_rows} systemic treatment row(s) without a line "
                            "number are left out of the per-line tables and figures.")
    return course

