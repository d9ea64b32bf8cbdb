"""Which template columns an analysis needs.

A template column that is not required of every file (``progression_date``,
``death_date``, ``n_metastases``...) may be left out when nothing uses it. When an
endpoint, a ``[derived]`` expression or an ``[analysis]`` list uses it, its absence is
an error (rule ``column.missing``), never a column silently taken as empty: without
``progression_date`` PFS would silently become OS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sarcohort.data._schema import PATIENTS, TREATMENTS
from sarcohort.stats import expressions

#: Endpoints derived for every cohort (and analysed when a protocol names none).
DEFAULT_ENDPOINTS: tuple[str, ...] = ("os", "pfs")

#: Template columns (patients table) that each endpoint is computed from.
ENDPOINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "os": ("first_metastasis_date", "death_date", "last_followup_date"),
    "pfs": ("first_metastasis_date", "progression_date", "death_date", "last_followup_date"),
}

_ENDPOINT_NAMES = {"os": "overall survival", "pfs": "progression-free survival"}

# cohort columns computed from template columns of the patients table
_PATIENT_SOURCES: dict[str, tuple[str, ...]] = {
    "age_at_metastasis": ("birth_date", "first_metastasis_date"),
    "timing": ("primary_diagnosis_date", "first_metastasis_date"),
    "months_to_metastasis": ("primary_diagnosis_date", "first_metastasis_date"),
    "surgery_days": ("first_metastasis_date",),
}
# cohort columns computed from columns of the treatments table
_TREATMENT_SOURCES: dict[str, tuple[str, ...]] = {
    "n_systemic_lines": ("line",),
    "in_trial": ("in_trial",),
}


def _endpoint_of(name: str) -> str | None:
    for e in ENDPOINT_COLUMNS:
        if name in (f"{e}_days", f"{e}_event", f"{e}_months"):
            return e
    return None


def needed_columns(derived: Sequence[tuple[str, str]] = (),
                   used: Iterable[tuple[str, str]] = (),
                   endpoints: Iterable[str] = DEFAULT_ENDPOINTS,
                   ) -> dict[str, dict[str, str]]:
    """The template columns an analysis uses, per table, with the reason (for messages).

    Parameters
    ----------
    derived
        The ``[derived]`` covariates, ``(name, expression)`` (always evaluated).
    used
        ``(column, where)`` pairs: columns named by the analysis and the protocol key
        naming them (``("met_bone", "analysis.factors")``).
    endpoints
        The endpoints analysed (``os``, ``pfs``).

    Returns
    -------
    dict
        ``{"patients": {column: reason}, "treatments": {column: reason}}``; the reason
        completes "... is missing, and <reason> needs it".
    """
    out: dict[str, dict[str, str]] = {"patients": {}, "treatments": {}}
    expr_of = dict(derived)

    def add(col: str, why: str, seen: frozenset[str] = frozenset()) -> None:
        if col in PATIENTS.names:
            out["patients"].setdefault(col, why)
        if col in _TREATMENT_SOURCES:
            for c in _TREATMENT_SOURCES[col]:
                out["treatments"].setdefault(c, why)
        e = _endpoint_of(col)
        if e is not None:
            for c in ENDPOINT_COLUMNS[e]:
                out["patients"].setdefault(c, why)
        for c in _PATIENT_SOURCES.get(col, ()):
            out["patients"].setdefault(c, why)
        if col in expr_of and col not in seen:
            for name in sorted(expressions.names(expr_of[col])):
                add(name, why, seen | {col})

    for e in endpoints:
        if e in ENDPOINT_COLUMNS:
            for c in ENDPOINT_COLUMNS[e]:
                out["patients"].setdefault(c, f"{_ENDPOINT_NAMES[e]} ({e})")
    for name, expr in derived:
        for col in sorted(expressions.names(expr)):
            add(col, f"[derived] {name}", frozenset({name}))
    for col, where in used:
        add(col, where)
    # a treatments column is needed only when the analysis asks for it
    out["treatments"] = {c: w for c, w in out["treatments"].items() if c in TREATMENTS.names}
    return out
