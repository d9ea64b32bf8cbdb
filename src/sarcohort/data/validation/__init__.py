"""Validation of the mapped tables: typed coercion, clinical rules, the problems report."""

from sarcohort.data.validation.problems import Problem, ValidationReport
from sarcohort.data.validation.validate import ValidatedData, validate_tables

__all__ = ["Problem", "ValidatedData", "ValidationReport", "validate_tables"]
