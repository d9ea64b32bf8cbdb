"""The analysis and report sections of the protocol (``study.toml``).

A protocol is declarative and versioned. Its sections:

``[study]``
    ``title``, ``version``.
``[data]``, ``[inclusion]``, ``[endpoints]``, ``[derived]``
    The cohort: sources, mapping, inclusion rules, endpoint definitions and
    derived covariates; parsed by :class:`sarcohort.protocol.cohort.CohortConfig`.
``[analysis]``
    What is analysed and how (see :class:`AnalysisSpec`).
``[analysis.labels]``
    Display labels of variables and endpoints.
``[analysis.multivariable]``
    The multivariable Cox model of each endpoint.
``[analysis.time_dependent]``
    Post-baseline exposures and the column holding their time from the origin.
``[report]``
    Output options (see :class:`ReportSpec`).

Unknown keys and wrong types raise :class:`~sarcohort.exceptions.ProtocolError`
naming the key's full path (``analysis.median_ci``), the value and a fix.

Examples
--------
>>> study = Study.from_toml("study.toml")          # doctest: +SKIP
>>> cohort = study.load()                          # doctest: +SKIP
>>> results = study.analyze(cohort)                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sarcohort.exceptions import ProtocolError

__all__ = ["AnalysisSpec", "ReportSpec", "MultivariableSpec", "parse_protocol"]

COHORT_SECTIONS = ("data", "inclusion", "endpoints", "derived")
TIME_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
MEDIAN_CI = ("brookmeyer-crowley", "spss")
CONF_TYPES = ("log-log", "log", "plain")
CONTINUOUS_TESTS = ("wilcoxon", "t")
DEFAULT_LABELS = {
    "os": "Overall survival",
    "pfs": "Progression-free survival",
    "timing": "Metastasis timing",
    "sex": "Sex",
    "age_at_metastasis": "Age at metastasis, years",
    "months_to_metastasis": "Time to first metastasis, months",
    "n_metastases": "Number of metastases",
    "met_lung": "Lung metastases",
    "met_bone": "Bone metastases",
    "met_other": "Other metastatic sites",
    "local_treatment": "Local treatment of metastases",
    "metastasis_surgery": "Surgery of metastases",
    "n_systemic_lines": "Systemic treatment lines",
    "no_systemic_treatment": "No systemic treatment",
    "in_trial": "Included in a clinical trial",
    "centre": "Centre",
    "more_than_5_metastases": "More than 5 metastases",
    "early_metastasis": "Time to metastasis < 24 months",
}
# exposure -> its time column when [analysis] time_dependent is a plain list
DEFAULT_EXPOSURE_TIME = {"metastasis_surgery": "surgery_days"}


@dataclass(frozen=True)
class MultivariableSpec:
    """The multivariable Cox model of each endpoint.

    ``selection = "explicit"`` fits ``covariates[endpoint]`` as written;
    ``"univariable"`` keeps the candidates (the explicit list, or all factors)
    whose univariable P is below ``p_threshold``, and the report warns that
    data-driven selection inflates effects.
    """

    covariates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    selection: str = "explicit"
    p_threshold: float = 0.05


@dataclass(frozen=True)
class AnalysisSpec:
    """The ``[analysis]`` section."""

    endpoints: tuple[str, ...] = ("os", "pfs")
    group: str | None = None
    group_order: tuple[str, ...] = ()
    descriptive: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    multivariable: MultivariableSpec = field(default_factory=MultivariableSpec)
    time_unit: str = "months"
    conf_type: str = "log-log"
    conf_level: float = 0.95
    median_ci: str = "brookmeyer-crowley"
    landmarks: tuple[float, ...] = ()
    ties: str = "efron"
    continuous_test: str = "wilcoxon"
    time_dependent: Mapping[str, str] = field(default_factory=dict)
    landmark_time: float | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def unit_days(self) -> float:
        """Days per time unit (months: 30.4375)."""
        return TIME_UNITS[self.time_unit]

    def label(self, name: str) -> str:
        """Display label of a variable or endpoint."""
        return self.labels.get(name, DEFAULT_LABELS.get(name, name.replace("_", " ").capitalize()))


@dataclass(frozen=True)
class ReportSpec:
    """The ``[report]`` section."""

    formats: tuple[str, ...] = ("html", "docx", "xlsx", "csv")
    figure_formats: tuple[str, ...] = ("svg", "png")
    dpi: int = 300
    risk_table_step: float | None = None
    max_time: float | None = None
    title: str | None = None
    factor_figures: bool = True


# --------------------------------------------------------------------------------------
# strict schema checking
# --------------------------------------------------------------------------------------
def _err(path: str, message: str, value: Any = None, fix: str | None = None) -> ProtocolError:
    return ProtocolError(message, argument=path, value=value, fix=fix)


def _check_keys(table: Mapping[str, Any], allowed: set[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise _err(
                where,
                "unknown key in the protocol",
                fix=f"allowed keys in [{path or 'top level'}]: {', '.join(sorted(allowed))}",
            )


def _str(v: Any, path: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _err(path, "must be a non-empty string", v)
    return v


def _num(v: Any, path: str, *, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(path, "must be a number", v)
    if (lo is not None and v <= lo) or (hi is not None and v >= hi):
        bounds = [f"more than {lo:g}" if lo is not None else "", f"less than {hi:g}" if hi is not None else ""]
        raise _err(path, "must be " + " and ".join(b for b in bounds if b), v)
    return float(v)


def _choice(v: Any, path: str, choices: tuple[str, ...]) -> str:
    if v not in choices:
        raise _err(path, "unknown value", v, fix=f"use one of: {', '.join(choices)}")
    return str(v)


def _strlist(v: Any, path: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise _err(path, "must be a list of names (strings)", v, fix='e.g. ["sex", "age"]')
    if len(set(v)) != len(v):
        raise _err(path, "lists a name twice", v)
    return tuple(v)


def _numlist(v: Any, path: str) -> tuple[float, ...]:
    if not isinstance(v, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in v
    ):
        raise _err(path, "must be a list of positive numbers", v, fix="e.g. [12, 24]")
    return tuple(sorted(float(x) for x in v))


def _table(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise _err(path, "must be a table", v, fix=f"write it as [{path}] with keys below it")
    return v


def _parse_multivariable(v: Any, endpoints: tuple[str, ...]) -> MultivariableSpec:
    t = _table(v, "analysis.multivariable")
    allowed = set(endpoints) | {"selection", "p_threshold"}
    _check_keys(t, allowed, "analysis.multivariable")
    covs = {e: _strlist(t[e], f"analysis.multivariable.{e}") for e in endpoints if e in t}
    selection = _choice(t.get("selection", "explicit"), "analysis.multivariable.selection",
                        ("explicit", "univariable"))
    p = _num(t.get("p_threshold", 0.05), "analysis.multivariable.p_threshold", lo=0, hi=1)
    if selection == "explicit":
        for e in endpoints:
            if e not in covs:
                raise _err(f"analysis.multivariable.{e}", "no covariate list for this endpoint",
                           fix=f'add {e} = ["factor", ...] or selection = "univariable"')
    return MultivariableSpec(covariates=covs, selection=selection, p_threshold=p)


def _parse_time_dependent(v: Any) -> dict[str, str]:
    path = "analysis.time_dependent"
    if isinstance(v, list):
        names = _strlist(v, path)
        return {n: DEFAULT_EXPOSURE_TIME.get(n, f"{n}_days") for n in names}
    t = _table(v, path)
    return {k: _str(c, f"{path}.{k}") for k, c in t.items()}


_ANALYSIS_KEYS = {
    "endpoints", "group", "group_order", "descriptive", "factors", "multivariable", "time_unit", "conf_type",
    "conf_level", "median_ci", "landmarks", "ties", "continuous_test", "time_dependent",
    "landmark_time", "labels",
}


def _parse_analysis(a: Mapping[str, Any]) -> AnalysisSpec:
    _check_keys(a, _ANALYSIS_KEYS, "analysis")
    p = "analysis."
    endpoints = _strlist(a.get("endpoints", ["os", "pfs"]), p + "endpoints")
    if not endpoints:
        raise _err(p + "endpoints", "names no endpoint", fix='e.g. endpoints = ["os", "pfs"]')
    factors = _strlist(a.get("factors", []), p + "factors")
    labels = _table(a.get("labels", {}), p + "labels")
    for k, v in labels.items():
        _str(v, f"{p}labels.{k}")
    if "multivariable" in a:
        mv = _parse_multivariable(a["multivariable"], endpoints)
    else:
        mv = MultivariableSpec(covariates={e: factors for e in endpoints})
    for e, covs in mv.covariates.items():
        if not covs:
            raise _err(f"{p}multivariable.{e}", "the covariate list is empty")
    td = _parse_time_dependent(a.get("time_dependent", {}))
    lt = a.get("landmark_time")
    return AnalysisSpec(
        endpoints=endpoints,
        group=_str(a["group"], p + "group") if "group" in a else None,
        group_order=_strlist(a.get("group_order", []), p + "group_order"),
        descriptive=_strlist(a.get("descriptive", []), p + "descriptive"),
        factors=factors,
        multivariable=mv,
        time_unit=_choice(a.get("time_unit", "months"), p + "time_unit", tuple(TIME_UNITS)),
        conf_type=_choice(a.get("conf_type", "log-log"), p + "conf_type", CONF_TYPES),
        conf_level=_num(a.get("conf_level", 0.95), p + "conf_level", lo=0, hi=1),
        median_ci=_choice(a.get("median_ci", "brookmeyer-crowley"), p + "median_ci", MEDIAN_CI),
        landmarks=_numlist(a.get("landmarks", []), p + "landmarks"),
        ties=_choice(a.get("ties", "efron"), p + "ties", ("efron", "breslow")),
        continuous_test=_choice(a.get("continuous_test", "wilcoxon"), p + "continuous_test",
                                CONTINUOUS_TESTS),
        time_dependent=td,
        landmark_time=None if lt is None else _num(lt, p + "landmark_time", lo=0),
        labels=dict(labels),
    )


def _parse_report(r: Mapping[str, Any]) -> ReportSpec:
    allowed = {"formats", "figure_formats", "dpi", "risk_table_step", "max_time", "title",
               "factor_figures"}
    _check_keys(r, allowed, "report")
    formats = _strlist(r.get("formats", ["html", "docx", "xlsx", "csv"]), "report.formats")
    for i, f in enumerate(formats):
        _choice(f, f"report.formats[{i}]", ("html", "docx", "xlsx", "csv"))
    ff = _strlist(r.get("figure_formats", ["svg", "png"]), "report.figure_formats")
    for i, f in enumerate(ff):
        _choice(f, f"report.figure_formats[{i}]", ("svg", "png", "pdf"))
    dpi = r.get("dpi", 300)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 72 <= dpi <= 1200:
        raise _err("report.dpi", "must be an integer between 72 and 1200", dpi)
    ff_flag = r.get("factor_figures", True)
    if not isinstance(ff_flag, bool):
        raise _err("report.factor_figures", "must be true or false", ff_flag)
    step = r.get("risk_table_step")
    mt = r.get("max_time")
    return ReportSpec(
        formats=formats,
        figure_formats=ff,
        dpi=dpi,
        risk_table_step=None if step is None else _num(step, "report.risk_table_step", lo=0),
        max_time=None if mt is None else _num(mt, "report.max_time", lo=0),
        title=_str(r["title"], "report.title") if "title" in r else None,
        factor_figures=ff_flag,
    )


def parse_protocol(doc: Mapping[str, Any]) -> tuple[dict[str, str], AnalysisSpec, ReportSpec]:
    """Check the non-cohort sections of a parsed protocol.

    Returns ``(study, analysis, report)``; the cohort sections are left to
    :class:`~sarcohort.protocol.cohort.CohortConfig`.
    """
    _check_keys(doc, {"study", "analysis", "report", *COHORT_SECTIONS}, "")
    s = _table(doc.get("study", {}), "study")
    _check_keys(s, {"title", "version", "description"}, "study")
    study = {
        "title": _str(s.get("title", "Untitled study"), "study.title"),
        "version": _str(str(s.get("version", "1")), "study.version"),
        "description": _str(s["description"], "study.description") if "description" in s else "",
    }
    analysis = _parse_analysis(_table(doc.get("analysis", {}), "analysis"))
    report = _parse_report(_table(doc.get("report", {}), "report"))
    return study, analysis, report
