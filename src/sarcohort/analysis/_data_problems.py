"""What the data's problems mean for an analysis: stop, or say it at the top of the warnings.

A treatment row that cannot be linked to any patient stops the analysis (its patient
would silently count as untreated), unless the protocol says to ignore such rows. Data
errors that excluded patients are stated first in the report's warnings, so that a
reader never mistakes a report on partial data for one on clean data.
"""

from __future__ import annotations

from sarcohort.cohort._cohort import Cohort
from sarcohort.exceptions import InputError

#: Row numbers listed in a message before "and N more".
_MAX_ROWS = 30


def _problems(cohort: Cohort) -> tuple:
    report = getattr(cohort, "report", None)
    return tuple(report.problems) if report is not None else ()


def _where(problems: list) -> str:
    """``treatments.csv rows 3, 8 and 12`` for problems of one rule, grouped by file."""
    by_file: dict[str, list[int]] = {}
    for p in problems:
        name = p.file + (f" (sheet {p.sheet})" if p.sheet else "")
        by_file.setdefault(name, []).append(p.row)
    parts = []
    for name, rows in by_file.items():
        rows = sorted(r for r in rows if r is not None)
        shown = ", ".join(map(str, rows[:_MAX_ROWS]))
        more = f" and {len(rows) - _MAX_ROWS} more" if len(rows) > _MAX_ROWS else ""
        parts.append(f"{name} row{'s' if len(rows) > 1 else ''} {shown}{more}")
    return "; ".join(parts)


def check_unlinked_treatments(cohort: Cohort, source: str = "the protocol") -> None:
    """Stop when treatment rows could not be linked to a patient (rule
    ``treatment.unknown_patient`` as an error).

    Raises
    ------
    InputError
        Listing the rows, and the two ways out: correct the ids, or set
        ``[data] on_unlinked_treatments = "ignore"``.
    """
    unlinked = [p for p in _problems(cohort)
                if p.rule == "treatment.unknown_patient" and p.severity == "error"]
    if not unlinked:
        return
    raise InputError(
        f"{len(unlinked)} treatment row(s) match no patient, even ignoring case, spaces and "
        f"leading zeros of the ids ({_where(unlinked)}): their patients would silently count "
        "as untreated", argument=source,
        fix="correct the patient ids (`sarcohort validate` lists them), or, to analyse "
            'without these rows, set on_unlinked_treatments = "ignore" in [data]')


def data_clean(cohort: Cohort) -> bool:
    """True when the data have no error (nobody excluded or changed by a data error)."""
    report = getattr(cohort, "report", None)
    return report is None or bool(report.ok)


def data_warnings(cohort: Cohort) -> list[str]:
    """The lines that open the report's warnings when the data were not clean."""
    out: list[str] = []
    flow = getattr(cohort, "flow", None)
    if flow is not None:
        steps = [s for s in flow.steps if s.n_excluded and str(s.reason).startswith("data error")]
        if steps:
            n = sum(s.n_excluded for s in steps)
            detail = "; ".join(f"{s.n_excluded} {s.reason}" for s in steps)
            out.append(f"Data errors excluded {n} of {flow.n_read} patient(s) ({detail}): this "
                       "report describes the others only. `sarcohort validate` lists every "
                       "problem by file, row and column.")
    problems = _problems(cohort)
    ignored = [p for p in problems
               if p.rule == "treatment.unknown_patient" and p.severity != "error"]
    if ignored:
        out.append(f"{len(ignored)} treatment row(s) match no patient ({_where(ignored)}) and "
                   'were left out, as [data] on_unlinked_treatments = "ignore" says.')
    errors = [p for p in problems if p.severity == "error"]
    if errors and not out:
        out.append(f"The data have {len(errors)} error(s) (`sarcohort validate` lists them).")
    return out
