"""Problems as plain text and JSON, for pipes, grep and programs.

One line per problem, as compilers write them::

    patients.csv:12: death_date: error: a date cannot be read (value: 31/02/2015) [date.invalid]

that is ``file[:row]: [column: ]severity: message (value: ...) [rule]``; a workbook's
sheet follows the file name in brackets (``cohort.xlsx[patients]:12: ...``). Every
control character of the data is escaped (``\\x1b``), so a line is always one line and
never drives the terminal.
"""

from __future__ import annotations

import json
from typing import Any

from sarcohort.data._printable import one_line


def problem_line(p: Any) -> str:
    """One problem on one line: ``file:row: column: severity: message [rule]``."""
    where = one_line(p.file) + (f"[{one_line(p.sheet)}]" if p.sheet else "")
    if p.row is not None:
        where += f":{p.row}"
    column = f" {one_line(p.column)}:" if p.column else ""
    value = f" (value: {one_line(p.value)})" if p.value else ""
    return f"{where}:{column} {p.severity}: {one_line(p.message)}{value} [{one_line(p.rule)}]"


def problems_json(report: Any, flow: Any, n_patients: int, n_treatments: int | None) -> str:
    """The problems, their counts and the patient flow as one JSON document."""
    problems = [{"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
                 "value": p.value, "rule": p.rule, "severity": p.severity,
                 "message": p.message} for p in report.problems]
    doc = {
        "ok": report.ok,
        "counts": report.counts(),
        "patient_rows": n_patients,
        "treatment_rows": n_treatments,
        "flow": {"read": flow.n_read, "analysed": flow.n_analysed,
                 "excluded": [{"reason": s.reason, "n": s.n_excluded}
                              for s in flow.steps if s.n_excluded]},
        "problems": problems,
    }
    return json.dumps(doc, indent=1, ensure_ascii=True)
