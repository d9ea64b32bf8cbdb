"""The protocol (``study.toml``): one reader, one option table.

- :mod:`~sarcohort.protocol._options`: every option once (type, allowed values,
  default, methods wording, documentation); ``sarcohort init`` and the report
  read it too.
- :mod:`~sarcohort.protocol._reader`: bytes -> TOML -> checked values:
  :func:`read_protocol` (a file) and :func:`parse_protocol` (a parsed dict) give a
  :class:`Protocol`; :func:`read_cohort_config` and :func:`parse_cohort` give only its
  cohort sections (:class:`CohortConfig`).
- :mod:`~sarcohort.protocol._spec`: the typed, frozen result, one dataclass per section:
  :class:`CohortConfig` (:class:`DataConfig`, :class:`InclusionConfig`,
  :class:`EndpointsConfig`), :class:`AnalysisSpec` (:class:`MultivariableSpec`) and
  :class:`ReportSpec`.

Examples
--------
>>> from sarcohort.protocol import parse_protocol
>>> parse_protocol({"analysis": {"conf_level": 0.9, "factors": ["sex"]}}).analysis.conf_level
0.9
"""

from sarcohort.protocol._reader import (
    parse_cohort,
    parse_protocol,
    read_cohort_config,
    read_protocol,
)
from sarcohort.protocol._spec import (
    AnalysisSpec,
    CohortConfig,
    DataConfig,
    EndpointsConfig,
    InclusionConfig,
    MultivariableSpec,
    Protocol,
    ReportSpec,
)

__all__ = [
    "read_protocol",
    "parse_protocol",
    "read_cohort_config",
    "parse_cohort",
    "Protocol",
    "CohortConfig",
    "DataConfig",
    "InclusionConfig",
    "EndpointsConfig",
    "AnalysisSpec",
    "MultivariableSpec",
    "ReportSpec",
]
