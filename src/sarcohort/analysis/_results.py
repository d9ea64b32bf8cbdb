"""The ``Results`` of a study: frozen plain data, JSON (de)serialisable.

Everything the report needs is here, as numbers (never pre-formatted text), so
the tables, the figures and the narrative all format the same numbers through
:mod:`sarcohort.report._format`. No patient-level row is stored: curves are the
Kaplan-Meier step functions (aggregates), never identifiers or dates.

Non-finite numbers (a median not reached, an upper limit that cannot be
estimated) are stored as ``None``, which JSON writes as ``null``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarcohort.protocol._options import TREATMENT_VIEWS, default_of


def clean_float(x: Any) -> float | None:
    """A float, or ``None`` for None/NaN/inf (not estimable)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class FlowStep:
    """One step of the patient flow: ``n`` remain after excluding ``excluded``."""

    label: str
    n: int
    excluded: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class CategoryCount:
    """Counts of one level in each column (overall first, then each group)."""

    level: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class ContinuousSummary:
    """Summary of a continuous variable in one column (non-missing values)."""

    n: int
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    median: float | None
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class Table1Variable:
    """One variable of Table 1 with its group comparison."""

    name: str
    label: str
    kind: str  # "categorical" | "continuous"
    denominators: tuple[int, ...]  # non-missing n per column
    missing: tuple[int, ...]
    levels: tuple[CategoryCount, ...] = ()
    summaries: tuple[ContinuousSummary, ...] = ()
    test: str | None = None
    statistic: float | None = None
    p: float | None = None
    defines_group: bool = False  # defines the groups: shown, never tested against them


@dataclass(frozen=True)
class Table1:
    """Table 1: columns are Overall then each level of the grouping variable."""

    group: str | None
    group_label: str | None
    columns: tuple[str, ...]
    n: tuple[int, ...]
    variables: tuple[Table1Variable, ...]
    summary: tuple[str, ...] = ("median_iqr",)  # statistics of continuous variables


@dataclass(frozen=True)
class Landmark:
    """Survival at a landmark time with its pointwise CI and the number at risk."""

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    n_risk: int


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier step function (aggregates only) for plotting."""

    time: tuple[float, ...]
    survival: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    censor_times: tuple[float, ...]
    censor_survival: tuple[float, ...]


@dataclass(frozen=True)
class KMGroup:
    """One Kaplan-Meier curve with its median, landmarks and numbers at risk."""

    label: str
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None
    landmarks: tuple[Landmark, ...]
    at_risk: tuple[int, ...]  # at KMAnalysis.risk_times
    curve: Curve


@dataclass(frozen=True)
class KMAnalysis:
    """Kaplan-Meier of one endpoint, overall or by one factor, with the log-rank test."""

    endpoint: str
    endpoint_label: str
    factor: str | None
    factor_label: str | None
    groups: tuple[KMGroup, ...]
    risk_times: tuple[float, ...]
    logrank_chisq: float | None = None
    logrank_df: int | None = None
    logrank_p: float | None = None
    n_missing: int = 0


@dataclass(frozen=True)
class RmstGroup:
    """One group's restricted mean survival time and its contrast with the first group
    (``None`` on the first group's row and where not estimable)."""

    label: str
    n: int
    events: int
    rmst: float | None
    lower: float | None
    upper: float | None
    diff: float | None = None
    diff_lower: float | None = None
    diff_upper: float | None = None
    diff_p: float | None = None
    ratio: float | None = None
    ratio_lower: float | None = None
    ratio_upper: float | None = None
    ratio_p: float | None = None


@dataclass(frozen=True)
class RmstComparison:
    """Restricted mean survival time up to ``tau`` by the groups of one factor
    (:func:`sarcohort.stats.rmst_test.rmst_test`)."""

    endpoint: str
    endpoint_label: str
    factor: str
    factor_label: str
    tau: float
    groups: tuple[RmstGroup, ...]


@dataclass(frozen=True)
class CentreTerm:
    """One coefficient of a model with and without the centre effect."""

    label: str
    hr: float | None
    lower: float | None
    upper: float | None
    p: float | None
    hr_without: float | None
    lower_without: float | None
    upper_without: float | None
    p_without: float | None


@dataclass(frozen=True)
class CentreEffect:
    """Heterogeneity between centres (``[analysis] centre_effect``): a Cox model refitted with
    a shared gamma frailty on the centre (``method = "frailty"``: ``theta`` and R's frailty
    test) or stratified by centre (``"strata"``), its HRs beside those of the same model
    without the centre term (same patients)."""

    endpoint: str
    endpoint_label: str
    method: str
    model: str  # "multivariable" or "univariable" (the model of the group)
    n: int
    events: int
    n_centres: int
    theta: float | None
    frailty_chisq: float | None
    frailty_df: float | None
    frailty_p: float | None
    terms: tuple[CentreTerm, ...]


@dataclass(frozen=True)
class CifPoint:
    """Cumulative incidence at a landmark time with its pointwise CI and the number at risk."""

    time: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int


@dataclass(frozen=True)
class CifCurve:
    """The cumulative incidence function (Aalen-Johansen) of one cause in one group (``group``
    is ``None`` for all patients): the step function at the group's distinct times (``None``
    after its last follow-up), landmarks and numbers at risk at ``CompetingRisks.risk_times``."""

    cause: str
    cause_label: str
    group: str | None
    n: int
    events: int
    time: tuple[float, ...]
    estimate: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    landmarks: tuple[CifPoint, ...]
    at_risk: tuple[int, ...]


@dataclass(frozen=True)
class GrayTestRow:
    """Gray's test comparing the groups' cumulative incidence of one cause."""

    cause: str
    cause_label: str
    statistic: float | None
    df: int
    p: float | None


@dataclass(frozen=True)
class FineGrayModel:
    """A Fine-Gray model of the subdistribution hazard of the event of interest
    (``CoxTerm.hr`` is the subdistribution hazard ratio), as R's ``cmprsk::crr``."""

    cause: str
    cause_label: str
    covariates: tuple[str, ...]
    terms: tuple[CoxTerm, ...]
    n: int
    n_event: int
    n_competing: int
    n_censored: int
    n_missing: int
    converged: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompetingRisks:
    """Competing risks of progression-free survival (``[analysis.competing]``): the cumulative
    incidence of each cause overall and by the protocol's group with Gray's test, and a
    Fine-Gray model of the event of interest."""

    endpoint: str
    endpoint_label: str
    event: str
    event_label: str
    competing: str
    competing_label: str
    factor: str | None
    factor_label: str | None
    risk_times: tuple[float, ...]
    overall: tuple[CifCurve, ...]
    by_group: tuple[CifCurve, ...]
    tests: tuple[GrayTestRow, ...]
    model: FineGrayModel | None
    n: int
    n_missing: int = 0


@dataclass(frozen=True)
class EndpointSummary:
    """An endpoint: its columns, n, events and median follow-up (reverse KM)."""

    name: str
    label: str
    time_column: str
    event_column: str
    n: int
    events: int
    median_followup: float | None
    median_followup_lower: float | None
    median_followup_upper: float | None
    followup_q1: float | None = None  # reverse Kaplan-Meier quartiles (IQR of follow-up)
    followup_q3: float | None = None


@dataclass(frozen=True)
class CoxTerm:
    """One term of a Cox model: HR (95% CI) and P (Wald)."""

    name: str
    label: str
    coef: float | None
    se: float | None
    hr: float | None
    lower: float | None
    upper: float | None
    p: float | None
    n_exposed: int | None = None
    variable: str = ""  # the covariate this term belongs to
    level: str | None = None  # the level of a factor's indicator term


@dataclass(frozen=True)
class CoxVariable:
    """A covariate of a Cox model as a table shows it: its terms, reference level and the
    overall P of a factor with more than two levels."""

    name: str
    label: str
    kind: str  # "binary" | "factor" | "continuous"
    terms: tuple[str, ...]  # CoxTerm.name of its columns
    reference: str | None = None  # the reference level of a factor ("No" for yes/no)
    compared: str | None = None  # the level a yes/no HR compares with the reference ("Yes")
    overall_p: float | None = None  # likelihood-ratio test of all its terms (> 2 levels)
    overall_chisq: float | None = None
    overall_df: int | None = None


@dataclass(frozen=True)
class ZphRow:
    """One row of R's ``cox.zph(fit, transform = "km")`` table: a variable, or GLOBAL."""

    name: str
    label: str
    chisq: float | None
    df: int
    p: float | None


@dataclass(frozen=True)
class ZphCurve:
    """Scaled Schoenfeld residuals of one term and their smooth (``plot.cox.zph``).

    ``x`` is the Kaplan-Meier transformed time of each event (aggregates: event times
    only, no patient row), ``axis_at``/``axis_labels`` the time axis on that scale.
    ``x``/``y`` hold ``points_shown`` of the ``points_total`` residuals (one per event):
    all of them up to 500, else 500 evenly spaced in rank of event time plus the
    lowest and the highest (``analysis._regression.zph_points``); the smooth, its band
    and the test are computed from all. ``None``: every residual (results.json of an
    earlier version).
    """

    term: str
    label: str
    coef: float | None
    x: tuple[float, ...]
    y: tuple[float, ...]
    smooth_x: tuple[float, ...]
    smooth: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    axis_at: tuple[float, ...]
    axis_labels: tuple[float, ...]
    points_shown: int | None = None
    points_total: int | None = None


@dataclass(frozen=True)
class CoxModel:
    """A fitted Cox model, as the report shows it."""

    endpoint: str
    endpoint_label: str
    kind: str  # "univariable" | "multivariable" | "time-dependent" | "landmark"
    covariates: tuple[str, ...]
    terms: tuple[CoxTerm, ...]
    n: int
    n_event: int
    n_missing: int
    epv: float | None
    zph_global_p: float | None
    lr_p: float | None
    concordance: float | None
    warnings: tuple[str, ...] = ()
    selection: str = "explicit"
    variables: tuple[CoxVariable, ...] = ()
    zph: tuple[ZphRow, ...] = ()  # per variable, then GLOBAL
    zph_curves: tuple[ZphCurve, ...] = ()
    firth: bool = False  # refitted with Firth's penalised likelihood (monotone likelihood)


@dataclass(frozen=True)
class ImputedModel:
    """A multivariable model fitted to m multiply imputed data sets and pooled by Rubin's rules."""

    endpoint: str
    endpoint_label: str
    m: int
    seed: int
    terms: tuple[CoxTerm, ...]  # pooled HR, t-based CI and P
    fmi: tuple[float | None, ...]  # fraction of missing information per term
    n: int
    n_event: int
    n_imputed: tuple[tuple[str, int], ...]  # (variable label, imputed values)
    firth: bool = False  # each imputed fit Firth-penalised


@dataclass(frozen=True)
class CalibrationGroup:
    """One group of the calibration plot: predicted vs Kaplan-Meier survival at the horizon."""

    n: int
    predicted: float
    observed: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class ModelValidation:
    """Bootstrap validation of a multivariable model (rms::validate's indices)."""

    endpoint: str
    endpoint_label: str
    index: tuple[str, ...]  # "Dxy", "C", "Slope"
    apparent: tuple[float, ...]
    optimism: tuple[float, ...]
    corrected: tuple[float, ...]
    optimism_se: tuple[float, ...]
    B: int
    n_replicates: int
    seed: int
    selection: str
    n: int
    n_event: int
    horizon: float | None = None
    calibration: tuple[CalibrationGroup, ...] = ()

    def value(self, name: str, column: str = "corrected") -> float:
        """One number, e.g. ``value("C")`` or ``value("Slope", "apparent")``."""
        return float(getattr(self, column)[self.index.index(name)])


@dataclass(frozen=True)
class ExposureComparison:
    """A post-baseline exposure: naive baseline coding vs the corrected analyses."""

    endpoint: str
    endpoint_label: str
    exposure: str
    label: str
    naive: CoxTerm
    time_dependent: CoxTerm | None
    landmark: CoxTerm | None
    landmark_time: float | None
    landmark_n: int | None
    landmark_events: int | None
    ratio_td_naive: float | None
    note: str = ""
    time_dependent_model: CoxModel | None = None
    time_dependent_unadjusted: CoxTerm | None = None  # the univariable time-dependent HR


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` with its exact (Clopper-Pearson) confidence interval."""

    k: int
    n: int
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Duration:
    """A per-line time (Kaplan-Meier median with its CI, in the study's time unit)."""

    n: int
    events: int
    median: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class RegimenCount:
    """Patients who received ``regimen`` as line ``line``, of ``n_line`` on that line."""

    line: int
    regimen: str
    n: int
    n_line: int


@dataclass(frozen=True)
class LineSummary:
    """One systemic line: patients, trials, best responses (ORR, DCR), per-line times.

    ``responses`` counts each best response (``CR, PR, SD, PD, NE`` and ``missing``);
    the objective response rate (CR + PR) and the disease control rate (CR + PR + SD)
    are over every patient treated on the line, counting not evaluable and missing
    responses as failures.
    """

    line: int
    n: int
    n_in_trial: int
    responses: tuple[tuple[str, int], ...]
    orr: Share
    dcr: Share
    pfs: Duration
    time_to_next: Duration
    time_on_line: Duration
    response_duration: Duration | None


@dataclass(frozen=True)
class SwimmerLane:
    """One patient's course from the first metastasis: times only, no id and no date.

    Lanes are anonymous (results hold no patient identifier, not even a pseudonymous
    one); their order is by follow-up, longest first. ``lines`` holds
    ``(line, start, end)``; ``end`` is the end of follow-up while a line is ongoing.
    ``alive`` marks follow-up still going on (an arrow on the plot).
    """

    end: float
    death: bool
    alive: bool
    lines: tuple[tuple[int, float, float], ...]
    progressions: tuple[float, ...]
    responses: tuple[float, ...]
    surgeries: tuple[float, ...]


@dataclass(frozen=True)
class LineOccupancy:
    """Share of patients on each line over time (the swimmer plot's summary for large cohorts).

    ``shares[k][i]`` is the share of the cohort on line ``lines[k]`` at ``time[i]``
    (patients alive and followed, on no line, make up the rest with the dead and
    censored).
    """

    time: tuple[float, ...]
    lines: tuple[int, ...]
    shares: tuple[tuple[float, ...], ...]
    followed: tuple[float, ...]


@dataclass(frozen=True)
class TreatmentCourse:
    """What patients received after the first metastasis, and per-line outcomes."""

    n_patients: int
    n_no_systemic: int
    n_in_trial: int
    local: tuple[tuple[str, int], ...]
    regimens: tuple[RegimenCount, ...]
    lines: tuple[LineSummary, ...]
    pfs_by_line: KMAnalysis | None
    lanes: tuple[SwimmerLane, ...]
    occupancy: LineOccupancy | None
    unnumbered_rows: int = 0
    swimmer_max: int = default_of("analysis.treatments.swimmer_max")
    show: tuple[str, ...] = TREATMENT_VIEWS


@dataclass(frozen=True)
class StudyMeta:
    """Provenance: who computed what, from which protocol and data."""

    title: str
    protocol_version: str
    sarcohort_version: str
    protocol_hash: str
    created_utc: str
    time_unit: str
    conf_level: float
    conf_type: str
    median_ci: str
    group: str | None
    group_label: str | None
    software: tuple[tuple[str, str], ...]
    ties: str
    continuous_test: str
    manifest: dict[str, Any] = field(default_factory=dict)
    report_options: dict[str, Any] = field(default_factory=dict)
    landmark_time: float | None = None
    time_origin: str = "first metastasis"  # the endpoints' time zero (cohort.endpoints)


@dataclass(frozen=True)
class Results:
    """Everything a study computed; :meth:`to_json` writes ``results.json``."""

    meta: StudyMeta
    flow: tuple[FlowStep, ...]
    endpoints: tuple[EndpointSummary, ...]
    table1: Table1
    survival: tuple[KMAnalysis, ...]
    univariable: tuple[CoxModel, ...]
    multivariable: tuple[CoxModel, ...]
    robustness: tuple[ExposureComparison, ...] = ()
    warnings: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    treatments: TreatmentCourse | None = None
    validation: tuple[ModelValidation, ...] = ()
    imputed: tuple[ImputedModel, ...] = ()
    rmst: tuple[RmstComparison, ...] = ()
    competing: CompetingRisks | None = None
    centre_effects: tuple[CentreEffect, ...] = ()

    # -- lookups used by tables, plots and the narrative --------------------------
    def km(self, endpoint: str, factor: str | None = None) -> KMAnalysis:
        """The Kaplan-Meier analysis of ``endpoint`` by ``factor`` (None: overall)."""
        for k in self.survival:
            if k.endpoint == endpoint and k.factor == factor:
                return k
        raise KeyError(f"no Kaplan-Meier analysis for endpoint {endpoint!r} by {factor!r}")

    def model(self, endpoint: str, kind: str = "multivariable") -> CoxModel:
        """The multivariable Cox model of ``endpoint``."""
        for m in self.multivariable:
            if m.endpoint == endpoint and m.kind == kind:
                return m
        raise KeyError(f"no {kind} Cox model for endpoint {endpoint!r}")

    def followup(self) -> EndpointSummary | None:
        """The endpoint whose reverse Kaplan-Meier gives the cohort's follow-up: overall
        survival (censored only by the end of follow-up) when analysed, else the first one
        with a median follow-up."""
        known = [e for e in self.endpoints if e.median_followup is not None]
        return next((e for e in known if e.name == "os"), known[0] if known else None)

    def endpoint(self, name: str) -> EndpointSummary:
        """The summary of endpoint ``name``."""
        for e in self.endpoints:
            if e.name == name:
                return e
        raise KeyError(f"no endpoint {name!r}")

    # -- JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists, numbers and strings (``None`` for not estimable)."""
        return _encode(self)

    def to_json(self, path: str | Path | None = None) -> str:
        """The JSON text (strict JSON: no NaN); written to ``path`` when given.

        Objects are indented one space per level; a list of numbers or strings (a curve's
        times, a column of counts) is one line.
        """
        text = dumps(self.to_dict())
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        """Rebuild from :meth:`to_dict`'s output."""
        return _decode(cls, data)

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> Results:
        """Rebuild from JSON text or a ``results.json`` path."""
        if isinstance(text_or_path, Path) or not str(text_or_path).lstrip().startswith("{"):
            text = Path(text_or_path).read_text(encoding="utf-8")
        else:
            text = str(text_or_path)
        return cls.from_dict(json.loads(text))


_SCALARS = (str, int, float, bool, type(None))


def dumps(data: Any, level: int = 0) -> str:
    """``json.dumps(data, indent=1)`` with each list of scalars on one line.

    The lists of numbers (a registry's curves hold thousands) are written by the C
    encoder in one call; only the objects around them are laid out here.
    """
    pad = "\n" + " " * (level + 1)
    if isinstance(data, dict):
        if not data:
            return "{}"
        items = [f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, level + 1)}"
                 for k, v in data.items()]
        return "{" + pad + ("," + pad).join(items) + "\n" + " " * level + "}"
    if isinstance(data, list) and data and not all(isinstance(x, _SCALARS) for x in data):
        return ("[" + pad + ("," + pad).join(dumps(x, level + 1) for x in data)
                + "\n" + " " * level + "]")
    return json.dumps(data, allow_nan=False, ensure_ascii=False)


def _floats(obj: tuple | list) -> list[Any] | None:
    """A list of plain floats (None for non-finite) when ``obj`` holds only floats and
    None (the curves), else None: the fast path of :func:`_encode`."""
    if not all(type(x) is float or x is None for x in obj):
        return None
    inf = math.inf
    return [x if x is not None and -inf < x < inf else None for x in obj]


def _encode(obj: Any) -> Any:
    if isinstance(obj, tuple | list):
        fast = _floats(obj)
        if fast is not None:
            return fast
        return [_encode(x) for x in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return clean_float(obj)
    # numpy scalars
    if hasattr(obj, "item"):
        return _encode(obj.item())
    return str(obj)


def _decode(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in options:
            if dataclasses.is_dataclass(a) and isinstance(data, dict):
                return _decode(a, data)
        return _decode(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        items = typing.get_args(tp)
        if len(items) == 2 and items[1] is Ellipsis:
            if items[0] is float:  # a curve: thousands of numbers
                return tuple(float(x) for x in data)
            if items[0] == float | None:
                return tuple(None if x is None else float(x) for x in data)
            return tuple(_decode(items[0], x) for x in data)
        return tuple(_decode(a, x) for a, x in zip(items, data, strict=True))
    if origin is dict or tp is dict:
        return dict(data)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        kwargs = {f.name: _decode(hints[f.name], data[f.name])
                  for f in dataclasses.fields(tp) if f.name in data}
        return tp(**kwargs)
    if tp is float:
        return float(data)
    if tp is int:
        return int(data)
    return data
