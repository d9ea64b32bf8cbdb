"""Validation of the mapped tables: typed coercion, clinical rules, the problems report.

:func:`sarcohort.data.validation._validate.validate_tables` is the entry point;
:mod:`.problems` holds ``Problem``, ``ValidationReport`` and the rule ids (``RULES``).
Nothing is imported here: the readers use :mod:`.problems` without loading the rules.
"""
