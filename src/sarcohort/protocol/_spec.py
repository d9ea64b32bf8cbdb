"""The checked protocol as typed, frozen dataclasses, one per section.

Built by :mod:`sarcohort.protocol._reader` only; every field default comes from
the option table (:func:`~sarcohort.protocol._options.default_of`), so a
dataclass built without a key and a protocol without it agree.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sarcohort.data._days import TIME_UNITS
from sarcohort.protocol._options import default_of
from sarcohort.stats.results import ConfType, MedianMethod, Selection, Ties

#: Columns the cohort derives; a [derived] covariate may not reuse these names.
DERIVED_COLUMNS: tuple[str, ...] = (
    "pseudo_id", "source_row", "age_at_metastasis", "timing", "months_to_metastasis",
    "os_days", "os_event", "pfs_days", "pfs_event", "os_months", "pfs_months",
    "local_treatment", "metastasis_surgery", "metastasis_surgery_date", "surgery_days",
    "n_systemic_lines", "no_systemic_treatment", "in_trial",
)

#: Display labels of the template's columns and endpoints ([analysis.labels] overrides).
DEFAULT_LABELS: dict[str, str] = {
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

#: exposure -> its time column when ``analysis.time_dependent`` is a plain list.
DEFAULT_EXPOSURE_TIME: dict[str, str] = {"metastasis_surgery": "surgery_days"}


# --------------------------------------------------------------------------------------
# the cohort: [data], [inclusion], [endpoints], [derived]
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the data are and how the user's columns and codes map to the template."""

    patients: str | None = default_of("data.patients")
    patients_sheet: str | None = default_of("data.patients_sheet")
    treatments: str | None = default_of("data.treatments")
    treatments_sheet: str | None = default_of("data.treatments_sheet")
    date_format: str | None = default_of("data.date_format")
    redcap_dictionary: str | None = default_of("data.redcap_dictionary")
    on_unlinked_treatments: str = default_of("data.on_unlinked_treatments")
    engine: str = default_of("data.engine")
    mapping: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class InclusionConfig:
    """``[inclusion]``: who is analysed."""

    age_min: float | None = default_of("inclusion.age_min")
    age_max: float | None = default_of("inclusion.age_max")
    metastasis_from: _dt.date | None = default_of("inclusion.metastasis_from")
    metastasis_to: _dt.date | None = default_of("inclusion.metastasis_to")


@dataclass(frozen=True)
class EndpointsConfig:
    """``[endpoints]``: how endpoints and timing are derived."""

    synchronous_window_days: int = default_of("endpoints.synchronous_window_days")
    cutoff_date: _dt.date | None = default_of("endpoints.cutoff_date")


@dataclass(frozen=True)
class CohortConfig:
    """The cohort sections of a protocol.

    Attributes
    ----------
    data, inclusion, endpoints
        The ``[data]``, ``[inclusion]`` and ``[endpoints]`` sections.
    derived
        ``[derived]``: ``(name, expression)`` pairs in protocol order.
    path
        The protocol file (paths in ``[data]`` are relative to its folder), or "".
    source_hash
        SHA-256 of the cohort sections (canonical JSON), for the manifest.
    """

    data: DataConfig = field(default_factory=DataConfig)
    inclusion: InclusionConfig = field(default_factory=InclusionConfig)
    endpoints: EndpointsConfig = field(default_factory=EndpointsConfig)
    derived: tuple[tuple[str, str], ...] = ()
    path: str = ""
    source_hash: str = ""

    @property
    def base_dir(self) -> Path:
        """Folder that [data] paths are relative to (the protocol's folder, else the cwd)."""
        return Path(self.path).parent if self.path else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (dates as ISO text), for the manifest."""
        return {"data": _plain(asdict(self.data)), "inclusion": _plain(asdict(self.inclusion)),
                "endpoints": _plain(asdict(self.endpoints)), "derived": dict(self.derived)}


def _plain(v: Any) -> Any:
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


# --------------------------------------------------------------------------------------
# [analysis] and [report]
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MultivariableSpec:
    """``[analysis.multivariable]``: the multivariable Cox model of each endpoint.

    ``selection = "explicit"`` fits ``covariates[endpoint]`` as written;
    ``"univariable"`` keeps the candidates (the explicit list, or all factors)
    whose univariable P is below ``p_threshold``, and the report warns that
    data-driven selection inflates effects.
    """

    covariates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    selection: Selection = default_of("analysis.multivariable.selection")
    p_threshold: float = default_of("analysis.multivariable.p_threshold")


@dataclass(frozen=True)
class TreatmentsSpec:
    """``[analysis.treatments]``: what the report shows of the course of treatment."""

    show: tuple[str, ...] = default_of("analysis.treatments.show")
    swimmer_max: int = default_of("analysis.treatments.swimmer_max")
    regimen_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationSpec:
    """``[analysis.validation]``: bootstrap validation of the multivariable models."""

    bootstrap: int = default_of("analysis.validation.bootstrap")
    seed: int = default_of("analysis.validation.seed")
    horizon: float | None = default_of("analysis.validation.horizon")


@dataclass(frozen=True)
class MissingSpec:
    """``[analysis.missing]``: complete-case analysis or multiple imputation."""

    method: str = default_of("analysis.missing.method")
    m: int = default_of("analysis.missing.m")
    seed: int = default_of("analysis.missing.seed")


@dataclass(frozen=True)
class CompetingSpec:
    """``[analysis.competing]``: competing risks of PFS (progression vs death without
    progression); ``event`` unset: none."""

    event: str | None = default_of("analysis.competing.event")
    competing: str | None = default_of("analysis.competing.competing")
    factors: tuple[str, ...] = default_of("analysis.competing.factors")


@dataclass(frozen=True)
class AnalysisSpec:
    """``[analysis]``: what is analysed and how (see the option table for each key)."""

    endpoints: tuple[str, ...] = default_of("analysis.endpoints")
    group: str | None = default_of("analysis.group")
    group_order: tuple[str, ...] = default_of("analysis.group_order")
    descriptive: tuple[str, ...] = default_of("analysis.descriptive")
    factors: tuple[str, ...] = default_of("analysis.factors")
    multivariable: MultivariableSpec = field(default_factory=MultivariableSpec)
    validation: ValidationSpec = field(default_factory=ValidationSpec)
    missing: MissingSpec = field(default_factory=MissingSpec)
    competing: CompetingSpec = field(default_factory=CompetingSpec)
    time_unit: str = default_of("analysis.time_unit")
    conf_type: ConfType = default_of("analysis.conf_type")
    conf_level: float = default_of("analysis.conf_level")
    median_ci: MedianMethod = default_of("analysis.median_ci")
    landmarks: tuple[float, ...] = default_of("analysis.landmarks")
    ties: Ties = default_of("analysis.ties")
    group_defined_by: tuple[str, ...] = default_of("analysis.group_defined_by")
    continuous_summary: tuple[str, ...] = default_of("analysis.continuous_summary")
    continuous_test: str = default_of("analysis.continuous_test")
    time_dependent: Mapping[str, str] = field(default_factory=dict)
    landmark_time: float | None = default_of("analysis.landmark_time")
    rmst_tau: float | None = default_of("analysis.rmst_tau")
    centre_effect: str | None = default_of("analysis.centre_effect")
    labels: Mapping[str, str] = field(default_factory=dict)
    treatments: TreatmentsSpec = field(default_factory=TreatmentsSpec)
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    per: Mapping[str, float] = field(default_factory=dict)

    @property
    def unit_days(self) -> float:
        """Days per time unit (months: 30.4375)."""
        return TIME_UNITS[self.time_unit]

    def label(self, name: str) -> str:
        """Display label of a variable or endpoint."""
        return self.labels.get(name, DEFAULT_LABELS.get(name, name.replace("_", " ").capitalize()))


@dataclass(frozen=True)
class ReportSpec:
    """``[report]``: output options."""

    formats: tuple[str, ...] = default_of("report.formats")
    figure_formats: tuple[str, ...] = default_of("report.figure_formats")
    dpi: int = default_of("report.dpi")
    risk_table_step: float | None = default_of("report.risk_table_step")
    max_time: float | None = default_of("report.max_time")
    title: str | None = default_of("report.title")
    factor_figures: bool = default_of("report.factor_figures")
    figure_width: str = default_of("report.figure_width")
    median_lines: bool = default_of("report.median_lines")
    page_size: str = default_of("report.page_size")
    max_time_per_endpoint: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Protocol:
    """A whole checked protocol (``study.toml``).

    Attributes
    ----------
    path
        The protocol file (paths in ``[data]`` are relative to its folder).
    title, version, description
        ``[study]``.
    analysis, report
        ``[analysis]`` and ``[report]``.
    cohort_config
        ``[data]``, ``[inclusion]``, ``[endpoints]`` and ``[derived]``.
    protocol_hash
        SHA-256 of the file's bytes (of the canonical JSON for a dict).
    """

    path: Path
    title: str
    version: str
    analysis: AnalysisSpec
    report: ReportSpec
    cohort_config: CohortConfig
    protocol_hash: str
    description: str = ""


#: The dataclass of each section with fixed keys (a section of entries only is a mapping).
SPECS: dict[str, type] = {
    "data": DataConfig,
    "inclusion": InclusionConfig,
    "endpoints": EndpointsConfig,
    "analysis": AnalysisSpec,
    "analysis.multivariable": MultivariableSpec,
    "analysis.treatments": TreatmentsSpec,
    "analysis.validation": ValidationSpec,
    "analysis.missing": MissingSpec,
    "analysis.competing": CompetingSpec,
    "report": ReportSpec,
}
