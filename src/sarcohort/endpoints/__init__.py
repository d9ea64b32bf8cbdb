"""Endpoints and covariates derived from the validated dates: ages, timing, OS/PFS, treatments.

Time is counted in days between dates (integers) and shown in months
(days / 30.4375, the mean Gregorian month).
"""

from sarcohort.endpoints.dates import DAYS_PER_MONTH, age_years, days_between
from sarcohort.endpoints.derived import evaluate_derived
from sarcohort.endpoints.survival import overall_survival, progression_free_survival
from sarcohort.endpoints.timing import metastasis_timing
from sarcohort.endpoints.treatments import treatment_summary

__all__ = [
    "DAYS_PER_MONTH",
    "age_years",
    "days_between",
    "overall_survival",
    "progression_free_survival",
    "metastasis_timing",
    "treatment_summary",
    "evaluate_derived",
]
