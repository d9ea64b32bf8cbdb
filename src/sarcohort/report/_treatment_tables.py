"""Tables of the treatment course: regimens and trials by line, responses, local treatments.

Every number comes from :class:`~sarcohort.analysis._results.TreatmentCourse` and is
formatted by the one policy of :mod:`sarcohort.report._format`.
"""

from __future__ import annotations

import pandas as pd

from sarcohort.analysis._results import Duration, LineSummary, Share, StudyMeta, TreatmentCourse
from sarcohort.report._format import ci_name, fmt_int, fmt_n_pct, fmt_pct, fmt_time_ci
from sarcohort.report._tables import ReportTable, median_ci_name

RESPONSE_LABELS = {"CR": "Complete response", "PR": "Partial response", "SD": "Stable disease",
                   "PD": "Progressive disease", "NE": "Not evaluable", "missing": "Not recorded"}
LOCAL_LABELS = {"surgery": "Surgery of metastases", "radiotherapy": "Radiotherapy",
                "ablation": "Ablation (radiofrequency, cryo...)"}


def _line_name(k: int) -> str:
    return {1: "First line", 2: "Second line", 3: "Third line"}.get(k, f"Line {k}")


def _rate(s: Share) -> str:
    if s.estimate is None:
        return "—"
    lower, upper = s.lower or 0.0, s.upper or 0.0
    return f"{s.k} ({fmt_pct(100 * s.estimate)}; {fmt_pct(100 * lower)}–{fmt_pct(100 * upper)})"


def _duration(d: Duration | None) -> str:
    if d is None or d.n == 0:
        return "—"
    return f"{fmt_time_ci(d.median, d.lower, d.upper)} ({fmt_int(d.events)}/{fmt_int(d.n)})"


def _overview(course: TreatmentCourse) -> ReportTable:
    n = course.n_patients
    rows = [["No systemic treatment", fmt_n_pct(course.n_no_systemic, n)],
            ["Included in a clinical trial", fmt_n_pct(course.n_in_trial, n)]]
    kinds = ["plain", "plain"]
    for line in course.lines:
        rows.append([f"Received a {_line_name(line.line).lower()}", fmt_n_pct(line.n, n)])
        kinds.append("plain")
    rows.append(["Local treatment of metastases, by kind", ""])
    kinds.append("header")
    for kind, count in course.local:
        rows.append([LOCAL_LABELS.get(kind, kind), fmt_n_pct(count, n)])
        kinds.append("level")
    notes = ("n (%) of the analysed patients; a patient may have had several kinds of local "
             "treatment.",)
    return ReportTable("treatment_overview", "Treatments after the first metastasis",
                       pd.DataFrame(rows, columns=["Treatment", f"Patients (n = {n})"]),
                       tuple(kinds), notes)


def _regimens(course: TreatmentCourse) -> ReportTable:
    rows: list[list[str]] = []
    kinds: list[str] = []
    by_line = {s.line: s for s in course.lines}
    for k in sorted({r.line for r in course.regimens}):
        summary = by_line[k]
        rows.append([f"{_line_name(k)} (n = {summary.n})", ""])
        kinds.append("header")
        for r in sorted((r for r in course.regimens if r.line == k), key=lambda r: -r.n):
            rows.append([r.regimen, fmt_n_pct(r.n, r.n_line)])
            kinds.append("level")
        rows.append(["Within a clinical trial", fmt_n_pct(summary.n_in_trial, summary.n)])
        kinds.append("level")
    notes = ["n (%) of the patients treated on the line; regimens as recorded (or as "
             "relabelled by the protocol)."]
    if course.unnumbered_rows:
        notes.append(f"{course.unnumbered_rows} systemic treatment row(s) without a line "
                     "number are not counted here.")
    return ReportTable("treatment_regimens", "Systemic regimens by line",
                       pd.DataFrame(rows, columns=["Line and regimen", "Patients"]),
                       tuple(kinds), tuple(notes))


def _responses(course: TreatmentCourse, meta: StudyMeta) -> ReportTable:
    lines: list[LineSummary] = list(course.lines)
    cols = ["Best response"] + [f"{_line_name(s.line)} (n = {s.n})" for s in lines]
    rows: list[list[str]] = []
    kinds: list[str] = []
    for code, label in RESPONSE_LABELS.items():
        counts = [dict(s.responses).get(code, 0) for s in lines]
        if code == "missing" and not any(counts):
            continue
        rows.append([label] + [fmt_n_pct(c, s.n) for c, s in zip(counts, lines, strict=True)])
        kinds.append("plain")
    ci = ci_name(meta.conf_level)
    rows.append([f"Objective response rate, n (%; {ci})"] + [_rate(s.orr) for s in lines])
    rows.append([f"Disease control rate, n (%; {ci})"] + [_rate(s.dcr) for s in lines])
    kinds += ["header", "header"]
    unit = meta.time_unit
    for name, attr in (("Progression-free survival on the line", "pfs"),
                       ("Time to next treatment", "time_to_next"),
                       ("Time on treatment", "time_on_line"),
                       ("Duration of response", "response_duration")):
        rows.append([f"{name}, median {unit} ({ci}) (events/n)"]
                    + [_duration(getattr(s, attr)) for s in lines])
        kinds.append("plain")
    notes = (
        "Best response by RECIST as recorded. Objective response: complete or partial "
        "response; disease control: complete, partial response or stable disease; rates "
        "over every patient treated on the line (not evaluable and not recorded count as "
        "failures), with exact Clopper-Pearson intervals.",
        "Per-line times are Kaplan-Meier medians from the start of the line (duration of "
        "response: from the first documented response) to progression on the line or death "
        "(next line or death for time to next treatment; end of the line for time on "
        f"treatment), censored at the last follow-up; median CI: {median_ci_name(meta.median_ci, meta.conf_level)}. "
        "Progression-free survival on a line is censored when the next line starts without "
        "a recorded progression. NR: not reached.",
    )
    return ReportTable("treatment_responses", "Response and outcomes by line",
                       pd.DataFrame(rows, columns=cols), tuple(kinds), notes)


def treatment_tables(course: TreatmentCourse | None, meta: StudyMeta) -> list[ReportTable]:
    """The treatment-course tables (none when the data hold no treatments)."""
    if course is None:
        return []
    out = [_overview(course)] if "overview" in course.show else []
    if course.lines and "regimens" in course.show:
        out.append(_regimens(course))
    if course.lines and "responses" in course.show:
        out.append(_responses(course, meta))
    return out
