"""The validated cohort: inclusion, patient flow, derived endpoints, saved as Parquet + manifest.

:func:`build_cohort` reads the sources a protocol's :class:`CohortConfig` names;
:func:`cohort_from_tables` starts from read tables and :func:`cohort_from_frames` from data
frames. Each returns a :class:`Cohort` with its :class:`PatientFlow` (one :class:`FlowStep`
per exclusion reason).

>>> from sarcohort.cohort import build_cohort                        # doctest: +SKIP
>>> from sarcohort.protocol import read_cohort_config                # doctest: +SKIP
>>> cohort = build_cohort(read_cohort_config("study.toml"))          # doctest: +SKIP
>>> cohort.flow.to_frame(), cohort.report.ok                         # doctest: +SKIP
"""

from sarcohort.cohort._build import build_cohort, cohort_from_frames, cohort_from_tables
from sarcohort.cohort._cohort import Cohort
from sarcohort.cohort._flow import FlowStep, PatientFlow
from sarcohort.protocol._spec import CohortConfig

__all__ = [
    "Cohort",
    "CohortConfig",
    "FlowStep",
    "PatientFlow",
    "build_cohort",
    "cohort_from_frames",
    "cohort_from_tables",
]
