"""The report's tables, built from :class:`~sarcohort.analysis.results.Results`.

Each table is a :class:`ReportTable`: a title, a DataFrame of formatted strings
(every number through :mod:`sarcohort.report.format`), the kind of each row
(for indentation and bold headers in HTML and Word) and footnotes. HTML, DOCX,
XLSX and CSV writers all render the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sarcohort.report.format import (
    DASH,
    ci_name,
    fmt_hr,
    fmt_int,
    fmt_mean_range,
    fmt_median_iqr,
    fmt_n_pct,
    fmt_p,
    fmt_ratio,
    fmt_stat,
    fmt_survival,
    fmt_time_ci,
    summary_decimals,
)

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.analysis.results import CoxModel, Results, Table1

__all__ = [
    "ReportTable",
    "table1",
    "survival_table",
    "univariable_table",
    "multivariable_table",
    "robustness_table",
    "flow_table",
    "all_tables",
    "median_ci_name",
    "TEST_MARKS",
]

TEST_MARKS = {"chisq": "\u1d43", "fisher": "\u1d47", "wilcoxon": "\u1d9c", "kruskal": "\u1d48",
              "t": "\u1d49", "anova": "\u1da0"}  # superscript a-f
TEST_TEXT = {
    "chisq": "Pearson's chi-square test",
    "fisher": "Fisher's exact test (an expected count below 5)",
    "wilcoxon": "Wilcoxon rank-sum (Mann-Whitney) test",
    "kruskal": "Kruskal-Wallis test",
    "t": "Welch's t test",
    "anova": "one-way analysis of variance",
}


@dataclass(frozen=True)
class ReportTable:
    """A formatted table: what HTML, Word, Excel and CSV show."""

    key: str
    title: str
    frame: pd.DataFrame
    row_kinds: tuple[str, ...] = ()  # "header" | "level" | "plain" per row
    footnotes: tuple[str, ...] = field(default_factory=tuple)

    def to_csv(self) -> str:
        """CSV text (cells neutralised against spreadsheet formulas)."""
        from sarcohort.report.safe import safe_frame

        return safe_frame(self.frame).to_csv(index=False, lineterminator="\n")


def median_ci_name(method: str) -> str:
    """How a median CI was computed, in words."""
    if method == "spss":
        return ("median \u00b1 1.96 SE, SE from the Greenwood variance and a density estimate "
                "(as SPSS prints)")
    return "Brookmeyer-Crowley interval (as R's survival prints)"


def _frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------------------
def table1(t1: Table1) -> ReportTable:
    """Table 1: n (%) and mean (range) / median (IQR) overall and by group, with P."""
    cols = ["Characteristic"] + [f"{c} (n = {n})" for c, n in zip(t1.columns, t1.n, strict=True)]
    grouped = len(t1.columns) > 1
    if grouped:
        cols.append("P")
    rows: list[list[str]] = []
    kinds: list[str] = []
    used: dict[str, str] = {}
    empty = [""] * len(t1.columns)

    def ptext(test: str | None, p: float | None) -> list[str]:
        if not grouped:
            return []
        if test is None:
            return [DASH]
        used[test] = TEST_MARKS[test]
        return [f"{fmt_p(p)}{TEST_MARKS[test]}"]

    for v in t1.variables:
        if v.kind == "categorical":
            names = [c.level for c in v.levels]
            if names == ["Yes", "No"]:
                yes = v.levels[0]
                rows.append([f"{v.label}, n (%)"] + [fmt_n_pct(n, d) for n, d in
                                                    zip(yes.counts, v.denominators, strict=True)]
                            + ptext(v.test, v.p))
                kinds.append("header")
            else:
                rows.append([f"{v.label}, n (%)"] + empty + ptext(v.test, v.p))
                kinds.append("header")
                for c in v.levels:
                    rows.append([c.level] + [fmt_n_pct(n, d) for n, d in
                                             zip(c.counts, v.denominators, strict=True)]
                                + ([""] if grouped else []))
                    kinds.append("level")
        else:
            rows.append([v.label] + empty + ptext(v.test, v.p))
            kinds.append("header")
            d = summary_decimals([x for s in v.summaries for x in (s.mean, s.minimum, s.maximum)])
            rows.append(["Mean (range)"] + [fmt_mean_range(s.mean, s.minimum, s.maximum, d)
                                            for s in v.summaries] + ([""] if grouped else []))
            kinds.append("level")
            d = summary_decimals([x for s in v.summaries for x in (s.median, s.q1, s.q3)])
            rows.append(["Median (IQR)"] + [fmt_median_iqr(s.median, s.q1, s.q3, d)
                                            for s in v.summaries] + ([""] if grouped else []))
            kinds.append("level")
        if any(v.missing):
            rows.append(["Missing"] + [fmt_int(m) for m in v.missing] + ([""] if grouped else []))
            kinds.append("level")
    notes = ["Percentages are of the patients with a known value; missing values are counted "
             "separately and enter no test."]
    for test, mark in sorted(used.items(), key=lambda kv: kv[1]):
        notes.append(f"{mark} {TEST_TEXT[test]}.")
    title = "Table 1. Patient characteristics" + (f" by {t1.group_label.lower()}" if grouped and
                                                   t1.group_label else "")
    return ReportTable("table1", title, _frame(rows, cols), tuple(kinds), tuple(notes))


def survival_table(results: Results, endpoint: str) -> ReportTable:
    """Median (CI), survival at the landmarks (CI) and log-rank P, overall and by factor."""
    m = results.meta
    unit = m.time_unit
    ci = ci_name(m.conf_level)
    analyses = [k for k in results.survival if k.endpoint == endpoint]
    landmarks = [lm.time for lm in analyses[0].groups[0].landmarks] if analyses else []
    cols = ["Variable", "n", "Events", f"Median, {unit} ({ci})"]
    cols += [f"{t:g}-{unit[:-1] if unit.endswith('s') else unit} survival ({ci})"
             for t in landmarks]
    cols.append("Log-rank P")
    rows: list[list[str]] = []
    kinds: list[str] = []
    for k in analyses:
        if k.factor is None:
            g = k.groups[0]
            rows.append(["All patients", fmt_int(g.n), fmt_int(g.events),
                         fmt_time_ci(g.median, g.median_lower, g.median_upper)]
                        + [fmt_survival(lm.survival, lm.lower, lm.upper) for lm in g.landmarks]
                        + [""])
            kinds.append("header")
            continue
        rows.append([k.factor_label or k.factor] + [""] * (len(cols) - 2) + [fmt_p(k.logrank_p)])
        kinds.append("header")
        for g in k.groups:
            rows.append([g.label, fmt_int(g.n), fmt_int(g.events),
                         fmt_time_ci(g.median, g.median_lower, g.median_upper)]
                        + [fmt_survival(lm.survival, lm.lower, lm.upper) for lm in g.landmarks]
                        + [""])
            kinds.append("level")
    label = analyses[0].endpoint_label if analyses else endpoint
    notes = (
        f"Kaplan-Meier estimates; median CI: {median_ci_name(m.median_ci)}; survival CIs: "
        f"pointwise {m.conf_level:.0%}, {m.conf_type} transformation. NR: not reached.",
        "P: log-rank test.",
    )
    return ReportTable(f"km_{endpoint}", f"{label}: Kaplan-Meier estimates", _frame(rows, cols),
                       tuple(kinds), notes)


def univariable_table(results: Results) -> ReportTable:
    """Univariable Cox models: one row per term and endpoint."""
    endpoints = [e.name for e in results.endpoints]
    ci = ci_name(results.meta.conf_level)
    cols = ["Variable"]
    for e in endpoints:
        lab = results.endpoint(e).label
        cols += [f"{lab}: HR ({ci})", f"{lab}: P"]
    rows: list[list[str]] = []
    keys: list[tuple[str, str]] = []
    for m in results.univariable:
        for t in m.terms:
            if (m.covariates[0], t.name) not in keys:
                keys.append((m.covariates[0], t.name))
    for cov, term in keys:
        label = next(t.label for m in results.univariable for t in m.terms if t.name == term)
        row = [label]
        for e in endpoints:
            hit = [t for m in results.univariable if m.endpoint == e and m.covariates[0] == cov
                   for t in m.terms if t.name == term]
            row += [fmt_hr(hit[0].hr, hit[0].lower, hit[0].upper), fmt_p(hit[0].p)] if hit \
                else [DASH, DASH]
        rows.append(row)
    notes = ("Cox proportional hazards models with one variable each; HR: hazard ratio "
             f"(Wald {ci} and P). Ties: {results.meta.ties.capitalize()}.",
             *dict.fromkeys(f"{m.endpoint_label}, {m.covariates[0]}: {w}"
                            for m in results.univariable for w in m.warnings
                            if "events per variable" not in w))
    return ReportTable("univariable", "Univariable Cox models", _frame(rows, cols),
                       tuple("plain" for _ in rows), notes)


def multivariable_table(model: CoxModel, *, conf_level: float = 0.95,
                        ties: str = "efron") -> ReportTable:
    """One multivariable Cox model with n, events, EPV, the PH test and warnings."""
    ci = ci_name(conf_level)
    cols = ["Variable", f"HR ({ci})", "P"]
    rows = [[t.label, fmt_hr(t.hr, t.lower, t.upper), fmt_p(t.p)] for t in model.terms]
    notes = [
        f"n = {model.n} ({model.n_missing} with a missing value left out), events = "
        f"{model.n_event}, events per variable = {fmt_stat(model.epv)}.",
        "Proportional hazards: cox.zph global test P = " + fmt_p(model.zph_global_p) +
        (f"; concordance (C) = {fmt_ratio(model.concordance)}." if model.concordance else "."),
        f"HR: hazard ratio, Wald {ci} and P; ties: {ties.capitalize()}.",
    ]
    notes += [f"Warning: {w}" for w in model.warnings]
    return ReportTable(f"multivariable_{model.endpoint}",
                       f"{model.endpoint_label}: multivariable Cox model", _frame(rows, cols),
                       tuple("plain" for _ in rows), tuple(notes))


def robustness_table(results: Results) -> ReportTable:
    """Naive vs time-dependent vs landmark HRs of post-baseline exposures."""
    ci = ci_name(results.meta.conf_level)
    cols = ["Endpoint", "Exposure", f"Naive (baseline yes/no): HR ({ci})", "P",
            f"Time-dependent: HR ({ci})", "P", f"Landmark: HR ({ci})", "P",
            "Time-dependent / naive HR"]
    rows = []
    notes = []
    for x in results.robustness:
        td, lm = x.time_dependent, x.landmark
        rows.append([
            x.endpoint_label, x.label, fmt_hr(x.naive.hr, x.naive.lower, x.naive.upper),
            fmt_p(x.naive.p),
            fmt_hr(td.hr, td.lower, td.upper) if td else DASH, fmt_p(td.p) if td else DASH,
            fmt_hr(lm.hr, lm.lower, lm.upper) if lm else DASH, fmt_p(lm.p) if lm else DASH,
            fmt_ratio(x.ratio_td_naive),
        ])
        notes.append(f"{x.endpoint_label}: {x.note}; landmark at {x.landmark_time:g} "
                     f"{results.meta.time_unit} ({x.landmark_n} patients still at risk, "
                     f"{x.landmark_events} events).")
    notes.insert(0, "The naive analysis codes an exposure that happens after the time origin as "
                    "present from the origin, crediting the time before it to the exposed group "
                    "(immortal-time bias). The time-dependent Cox model splits each patient's "
                    "follow-up at the exposure (counting process); the landmark analysis keeps "
                    "the patients at risk at the landmark and classifies them by their exposure "
                    "before it.")
    return ReportTable("robustness", "Post-baseline exposure: naive vs corrected analyses",
                       _frame(rows, cols), tuple("plain" for _ in rows), tuple(notes))


def flow_table(results: Results) -> ReportTable:
    """The patient flow as a table."""
    rows = [[s.label, fmt_int(s.excluded) if s.reason is not None else "", fmt_int(s.n)]
            for s in results.flow]
    return ReportTable("flow", "Patient flow", _frame(rows, ["Step", "Excluded", "Remaining"]),
                       tuple("plain" for _ in rows), ())


def all_tables(results: Results) -> list[ReportTable]:
    """Every table of the report, in order."""
    out = [table1(results.table1)]
    if results.flow:
        out.insert(0, flow_table(results))
    for e in results.endpoints:
        out.append(survival_table(results, e.name))
    if results.univariable:
        out.append(univariable_table(results))
    for m in results.multivariable:
        out.append(multivariable_table(m, conf_level=results.meta.conf_level, ties=results.meta.ties))
    if results.robustness:
        out.append(robustness_table(results))
    return out
