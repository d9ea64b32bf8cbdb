"""Inclusion per protocol, with the reason each excluded patient is excluded."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sarcohort.cohort._flow import PatientFlow
from sarcohort.protocol._spec import InclusionConfig

# order of data-error reasons in the flow: the order of the checks
_ERROR_ORDER = ("row.ragged", "file.empty", "column.duplicate", "required", "type", "code",
                "date.invalid", "date.ambiguous", "date.range", "duplicate_id")


def apply_inclusion(errors: np.ndarray, age: np.ndarray, first_metastasis: np.ndarray,
                    inclusion: InclusionConfig, cutoff: object | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, PatientFlow]:
    """Decide who is analysed.

    Steps, each patient counted in the first that applies: data errors (one step
    per first error rule, ``"data error (rule required)"``), age below the
    minimum, age above the maximum, first metastasis before the window, after it,
    after the data cut-off (``[endpoints] cutoff_date``: no follow-up to analyse).

    Returns
    -------
    analysed, reason, flow
        Mask of analysed patients, the exclusion reason of each row (None when
        analysed) and the patient flow.
    """
    n = len(errors)
    reason = np.full(n, None, dtype=object)
    has_err = np.array([e is not None for e in errors], dtype=bool)
    rules = pd.unique(pd.Series(errors[has_err], dtype=object)) if has_err.any() else []
    order = {r: i for i, r in enumerate(_ERROR_ORDER)}
    rules = sorted(rules, key=lambda r: (order.get(r, len(order)), r))
    exclusions: list[tuple[str, int]] = []
    for r in rules:
        m = has_err & (errors == r)
        text = f"data error (rule {r})"
        reason[m] = text
        exclusions.append((text, int(m.sum())))
    met = np.asarray(first_metastasis, dtype="datetime64[ns]")
    with np.errstate(invalid="ignore"):
        steps = []
        if inclusion.age_min is not None:
            steps.append((f"age at first metastasis below {inclusion.age_min:g} years",
                          age < inclusion.age_min))
        if inclusion.age_max is not None:
            steps.append((f"age at first metastasis above {inclusion.age_max:g} years",
                          age > inclusion.age_max))
        if inclusion.metastasis_from is not None:
            lo = np.datetime64(inclusion.metastasis_from.isoformat(), "ns")
            steps.append((f"first metastasis before {inclusion.metastasis_from.isoformat()}",
                          ~np.isnat(met) & (met < lo)))
        if inclusion.metastasis_to is not None:
            hi = np.datetime64(inclusion.metastasis_to.isoformat(), "ns")
            steps.append((f"first metastasis after {inclusion.metastasis_to.isoformat()}",
                          ~np.isnat(met) & (met > hi)))
    if cutoff is not None:
        c = np.datetime64(str(cutoff), "ns")
        steps.append((f"first metastasis after the data cut-off {cutoff}",
                      ~np.isnat(met) & (met > c)))
    for text, mask in steps:
        m = np.asarray(mask, dtype=bool) & (reason == None)  # noqa: E711
        reason[m] = text
        exclusions.append((text, int(m.sum())))
    analysed = reason == None  # noqa: E711
    return np.asarray(analysed, dtype=bool), reason, PatientFlow.from_exclusions(n, exclusions)


def merge_flows(flows: Sequence[PatientFlow]) -> PatientFlow:
    """The flow of a cohort from the flows of its parts (patients split by id): the counts
    per reason added up, the steps in the order :func:`apply_inclusion` gives them (the
    data errors by rule, then the protocol's steps).
    """
    counts: dict[str, int] = {}
    for f in flows:
        for s in f.steps:
            counts[s.reason] = counts.get(s.reason, 0) + s.n_excluded
    order = {r: i for i, r in enumerate(_ERROR_ORDER)}
    prefix = "data error (rule "
    errors = sorted((r for r in counts if r.startswith(prefix)),
                    key=lambda r: (order.get(r[len(prefix):-1], len(order)), r[len(prefix):-1]))
    rest = [r for r in counts if not r.startswith(prefix)]
    return PatientFlow.from_exclusions(sum(f.n_read for f in flows),
                                       [(r, counts[r]) for r in errors + rest])
