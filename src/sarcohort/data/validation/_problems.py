"""Problems found in a data file and the report that collects them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sarcohort.data._printable import one_line
from sarcohort.data._spreadsheet import neutralise, unneutralise

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["error", "warning", "info"]

#: Stable rule ids and what each checks.
RULES: dict[str, str] = {
    "file.read": "the file can be read as a table",
    "file.empty": "the file holds at least one data row",
    "encoding": "the file is UTF-8 (other encodings are read and reported)",
    "row.ragged": "a row has no more cells than the header",
    "file.empty_rows": "empty rows are skipped",
    "sheet.missing": "a workbook has no sheet of the expected name (which sheet was read, or none)",
    "column.unknown": "a column that is not in the template (kept as free text; a near "
                      "spelling of a missing template column is a warning: did you mean ...?)",
    "column.missing": "a template column is absent from the file (an error when an endpoint, "
                      "a [derived] expression or the analysis uses it)",
    "column.empty": "a column present in the file is empty in every row",
    "sheet.header": "a workbook's header is not one row of column names in row 1 (a title "
                    "above it, two header rows, merged header cells, a row of units)",
    "sheet.hidden": "a workbook row or column is hidden in Excel (it is read)",
    "cell.merged": "a cell is part of merged cells: only the first holds the value",
    "cell.formula": "a formula cell has no saved value (never read as empty)",
    "treatment.id_normalised": "treatment rows linked ignoring case, spaces or leading zeros "
                               "of the patient id",
    "column.duplicate": "two columns of the file map to the same template column",
    "required": "a required value is missing",
    "type": "a value has the wrong type (e.g. not a whole number)",
    "code": "a value is not one of the allowed codes",
    "date.invalid": "a date cannot be read or does not exist",
    "date.ambiguous": "a date can be read day-first or month-first",
    "date.format": "how dates were read when the protocol sets no date_format",
    "date.range": "a date in the future or before 1900",
    "duplicate_id": "the same patient id twice within a centre",
    "duplicate_id.centre": "the same patient id in two centres",
    "duplicate_id.case": "two patient ids of a centre that differ only by upper/lower case",
    "date.order.birth_diagnosis": "birth before primary diagnosis",
    "date.order.diagnosis_metastasis": "primary diagnosis not after first metastasis",
    "date.order.metastasis_progression": "first metastasis not after progression",
    "date.order.metastasis_death": "first metastasis not after death",
    "date.order.progression_death": "progression not after death",
    "date.order.followup": "last follow-up not before an event date",
    "date.order.death_followup": "last follow-up not after death",
    "date.order.treatment": "a treatment not before the first metastasis",
    "date.order.treatment_followup": "a treatment not after last follow-up or death",
    "age.range": "age at first metastasis within the protocol's range",
    "n_metastases.min": "at least one metastasis",
    "treatment.unknown_patient": "a treatment whose patient is not in the patients table",
    "treatment.ambiguous_patient": "a treatment whose patient id belongs to several patients",
    "treatment.line": "a line number for systemic treatments only",
    "treatment.line_order": "a systemic line does not start before the line numbered below it",
    "treatment.line_overlap": "a systemic line ends before the next line starts",
    "treatment.response_not_systemic": "a best response or line progression for systemic "
                                       "treatments only",
    "treatment.end_reason": "an end reason agrees with the end date (ongoing: no end date)",
    "date.order.treatment_end": "a treatment does not end before it starts",
    "date.order.line_progression": "progression on a line not before the line starts",
    "date.order.response": "a response not before the line starts nor after its progression",
    "line.min": "a line number is at least 1",
}

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def shorten(value: object, limit: int = 60) -> str:
    """Return ``value`` as a one-line string of at most ``limit`` characters."""
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


@dataclass(frozen=True)
class Problem:
    """One problem in a data file, located as the user sees it.

    Attributes
    ----------
    file
        File name (no directory).
    sheet
        Sheet name for workbooks, else None.
    row
        Row number as seen in the sheet: the header is row 1, so the first
        data row is 2. None for a problem with a whole column or file.
    column
        Column name as written in the file (None for a whole row or file).
    value
        The offending value, shortened; never a patient identifier.
    rule
        Stable rule id (see :data:`RULES`).
    severity
        ``"error"`` (the patient is excluded), ``"warning"`` or ``"info"``.
    message
        What is wrong and what to do, in plain words.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str
    rule: str
    severity: Severity
    message: str


_COLUMNS = ("file", "sheet", "row", "column", "value", "rule", "severity", "message")


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found, in file, row and column order.

    Attributes
    ----------
    problems
        All problems, errors first within each location.
    """

    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ValidationReport:
        """Build a report, sorting problems by file, sheet, row, column."""

        def key(p: Problem) -> tuple:
            return (
                p.file,
                p.sheet or "",
                -1 if p.row is None else p.row,
                _SEVERITY_ORDER[p.severity],
                p.column or "",
                p.rule,
            )

        return cls(tuple(sorted(problems, key=key)))

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems of severity ``"error"``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems of severity ``"warning"``."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def infos(self) -> tuple[Problem, ...]:
        """Problems of severity ``"info"``."""
        return tuple(p for p in self.problems if p.severity == "info")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and infos allowed)."""
        return not any(p.severity == "error" for p in self.problems)

    def counts(self) -> dict[str, int]:
        """Number of problems per severity."""
        out = {"error": 0, "warning": 0, "info": 0}
        for p in self.problems:
            out[p.severity] += 1
        return out

    def by_rule(self) -> dict[str, dict[str, int]]:
        """Number of problems per rule and severity, e.g. ``{"required": {"error": 3}}``."""
        out: dict[str, dict[str, int]] = {}
        for p in self.problems:
            d = out.setdefault(p.rule, {})
            d[p.severity] = d.get(p.severity, 0) + 1
        return dict(sorted(out.items()))

    def merged(self, other: ValidationReport | Sequence[Problem]) -> ValidationReport:
        """Return a new report holding the problems of both."""
        more = other.problems if isinstance(other, ValidationReport) else tuple(other)
        return ValidationReport.from_problems(self.problems + tuple(more))

    def to_frame(self) -> pd.DataFrame:
        """One row per problem, columns file, sheet, row, column, value, rule, severity, message."""
        import pandas as pd

        frame = pd.DataFrame([[getattr(p, c) for c in _COLUMNS] for p in self.problems],
                             columns=list(_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def write_csv(self, path: str | Path) -> Path:
        """Write every problem to a CSV file (UTF-8 with BOM, so Excel shows accents).

        Every text cell is safe to open in a spreadsheet (no formula runs) and shows
        control characters as escapes (``\\x1b``).
        """
        path = Path(path)
        frame = self.to_frame()
        for col in ("file", "sheet", "column", "value", "rule", "severity", "message"):
            # control characters escaped (one line per cell), formulas neutralised
            frame[col] = frame[col].map(lambda v: v if v is None else neutralise(one_line(v)))
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return path

    @classmethod
    def read_csv(cls, path: str | Path) -> ValidationReport:
        """Read back a report written by :meth:`write_csv`."""
        import pandas as pd

        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        problems = []
        for rec in frame.to_dict("records"):
            problems.append(Problem(
                file=unneutralise(rec["file"]), sheet=unneutralise(rec["sheet"]) or None,
                row=int(rec["row"]) if rec["row"] else None,
                column=unneutralise(rec["column"]) or None, value=unneutralise(rec["value"]),
                rule=rec["rule"], severity=rec["severity"], message=unneutralise(rec["message"])))
        return cls(tuple(problems))
