"""The report's tables, built from :class:`~sarcohort.analysis._results.Results`.

Each table is a :class:`ReportTable`: a title, a DataFrame of formatted strings
(every number through :mod:`sarcohort.report._format`), the kind of each row
(for indentation and bold headers in HTML and Word) and footnotes. HTML, DOCX,
XLSX and CSV writers all render the same objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sarcohort.protocol._options import wording
from sarcohort.report._format import (
    DASH,
    ci_name,
    fmt_hr,
    fmt_int,
    fmt_mean_sd,
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

    from sarcohort.analysis._results import (
        CoxModel,
        CoxVariable,
        ExposureComparison,
        Results,
        Table1,
    )

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
        from sarcohort.report._safe import safe_frame

        return safe_frame(self.frame).to_csv(index=False, lineterminator="\n")


def median_ci_name(method: str, conf_level: float) -> str:
    """How a median CI was computed, in words (the option table's wording)."""
    return wording("analysis.median_ci", method, conf_level=conf_level)


def _frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------------------
SUMMARY_NAMES = {"median_iqr": "Median (IQR)", "mean_sd": "Mean (SD)",
                 "mean_range": "Mean (range)", "median_range": "Median (range)"}
GROUP_MARK = "\u1d4d"  # superscript g: a variable that defines the groups


def _summary_cells(stat: str, summaries: Sequence[Any]) -> list[str]:
    """One statistic of a continuous variable in every column, with one precision."""
    if stat == "mean_sd":
        d = summary_decimals([x for s in summaries for x in (s.mean, s.sd)])
        return [fmt_mean_sd(s.mean, s.sd, d) for s in summaries]
    centre, lo, hi = {"median_iqr": ("median", "q1", "q3"), "mean_range": ("mean", "minimum", "maximum"),
                      "median_range": ("median", "minimum", "maximum")}[stat]
    d = summary_decimals([getattr(s, a) for s in summaries for a in (centre, lo, hi)])
    return [fmt_median_iqr(getattr(s, centre), getattr(s, lo), getattr(s, hi), d)
            for s in summaries]


def table1(t1: Table1) -> ReportTable:
    """Table 1 as gtsummary's ``tbl_summary(by =)``: n (%) and the protocol's statistics of
    continuous variables, overall and by group, with the P of each variable's test; the
    variables that define the groups are described but not tested."""
    cols = ["Characteristic"] + [f"{c} (N = {n})" for c, n in zip(t1.columns, t1.n, strict=True)]
    grouped = len(t1.columns) > 1
    if grouped:
        cols.append("P")
    rows: list[list[str]] = []
    kinds: list[str] = []
    used: dict[str, str] = {}
    defines = False
    empty = [""] * len(t1.columns)
    stats = [x for x in t1.summary if x in SUMMARY_NAMES] or ["median_iqr"]

    def ptext(v: Any) -> list[str]:
        nonlocal defines
        if not grouped:
            return []
        if v.defines_group:
            defines = True
            return [f"{DASH}{GROUP_MARK}"]
        if v.test is None:
            return [DASH]
        used[v.test] = TEST_MARKS[v.test]
        return [f"{fmt_p(v.p)}{TEST_MARKS[v.test]}"]

    for v in t1.variables:
        if v.kind == "categorical":
            names = [c.level for c in v.levels]
            if names == ["Yes", "No"]:
                yes = v.levels[0]
                rows.append([f"{v.label}, n (%)"] + [fmt_n_pct(n, d) for n, d in
                                                    zip(yes.counts, v.denominators, strict=True)]
                            + ptext(v))
                kinds.append("header")
            else:
                rows.append([f"{v.label}, n (%)"] + empty + ptext(v))
                kinds.append("header")
                for c in v.levels:
                    rows.append([c.level] + [fmt_n_pct(n, d) for n, d in
                                             zip(c.counts, v.denominators, strict=True)]
                                + ([""] if grouped else []))
                    kinds.append("level")
        elif len(stats) == 1:
            rows.append([f"{v.label}, {SUMMARY_NAMES[stats[0]][:1].lower()}"
                         f"{SUMMARY_NAMES[stats[0]][1:]}"] + _summary_cells(stats[0], v.summaries)
                        + ptext(v))
            kinds.append("header")
        else:
            rows.append([v.label] + empty + ptext(v))
            kinds.append("header")
            for stat in stats:
                rows.append([SUMMARY_NAMES[stat]] + _summary_cells(stat, v.summaries)
                            + ([""] if grouped else []))
                kinds.append("level")
        if any(v.missing):
            rows.append(["Missing"] + [fmt_int(m) for m in v.missing] + ([""] if grouped else []))
            kinds.append("level")
    notes = ["Percentages are of the patients with a known value; missing values are counted "
             "separately and enter no test. IQR: interquartile range; SD: standard deviation."]
    for test, mark in sorted(used.items(), key=lambda kv: kv[1]):
        notes.append(f"{mark} {TEST_TEXT[test]}.")
    if defines:
        notes.append(f"{GROUP_MARK} Defines the groups: not tested.")
    title = "Patient characteristics" + (f" by {t1.group_label[:1].lower() + t1.group_label[1:]}"
                                         if grouped and t1.group_label else "")
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
        head = k.factor_label or k.factor or ""
        if k.n_missing:  # the groups do not add up to all patients: say why
            head += f" ({k.n_missing} with a missing value)"
        rows.append([head, fmt_int(sum(g.n for g in k.groups))] + [""] * (len(cols) - 3)
                    + [fmt_p(k.logrank_p)])
        kinds.append("header")
        for g in k.groups:
            rows.append([g.label, fmt_int(g.n), fmt_int(g.events),
                         fmt_time_ci(g.median, g.median_lower, g.median_upper)]
                        + [fmt_survival(lm.survival, lm.lower, lm.upper) for lm in g.landmarks]
                        + [""])
            kinds.append("level")
    label = analyses[0].endpoint_label if analyses else endpoint
    notes = (
        f"Kaplan-Meier estimates; median CI: {median_ci_name(m.median_ci, m.conf_level)}; "
        "survival CIs: "
        f"pointwise {m.conf_level:.0%}, {m.conf_type} transformation. NR: not reached.",
        "P: log-rank test.",
    )
    return ReportTable(f"km_{endpoint}", f"{label}: Kaplan-Meier estimates", _frame(rows, cols),
                       tuple(kinds), notes)


def rmst_table(results: Results, endpoint: str) -> ReportTable | None:
    """Restricted mean survival time up to tau by group, difference and ratio against the
    first group (``[analysis] rmst_tau``)."""
    comp = next((c for c in results.rmst if c.endpoint == endpoint), None)
    if comp is None:
        return None
    unit = results.meta.time_unit
    ci = ci_name(results.meta.conf_level)
    cols = ["Group", "n", "Events", f"RMST, {unit} ({ci})", f"Difference, {unit} ({ci})", "P",
            f"Ratio ({ci})", "P"]
    rows = [[comp.factor_label] + [""] * (len(cols) - 1)]
    kinds = ["header"]
    for i, g in enumerate(comp.groups):
        ref = i == 0
        rows.append([g.label, fmt_int(g.n), fmt_int(g.events), fmt_time_ci(g.rmst, g.lower, g.upper),
                     REFERENCE if ref else fmt_time_ci(g.diff, g.diff_lower, g.diff_upper),
                     "" if ref else fmt_p(g.diff_p),
                     REFERENCE if ref else fmt_hr(g.ratio, g.ratio_lower, g.ratio_upper),
                     "" if ref else fmt_p(g.ratio_p)])
        kinds.append("level")
    notes = (f"Restricted mean survival time (RMST): the mean survival time up to {comp.tau:g} {unit}, "
             "the area under the Kaplan-Meier curve; SE as R's survival (rmean); difference and ratio "
             f"against {comp.groups[0].label} with normal {ci}s (ratio on the log scale), as R's survRM2.",)
    return ReportTable(f"rmst_{endpoint}", f"{comp.endpoint_label}: restricted mean survival time at "
                       f"{comp.tau:g} {unit}", _frame(rows, cols), tuple(kinds), notes)


def _eq(p_text: str) -> str:
    """``= 0.031`` or ``< 0.001`` after a ``P``."""
    return p_text if p_text[:1] in "<>" else f"= {p_text}"


def centre_table(results: Results, endpoint: str) -> ReportTable | None:
    """The model of ``endpoint`` with and without the centre term (``[analysis] centre_effect``):
    HR (CI) and P of each coefficient side by side, the frailty variance and test in a note."""
    c = next((x for x in results.centre_effects if x.endpoint == endpoint), None)
    if c is None:
        return None
    ci = ci_name(results.meta.conf_level)
    with_ = "with the centre frailty" if c.method == "frailty" else "stratified by centre"
    cols = ["Variable", f"HR ({ci}), without centre term", "P", f"HR ({ci}), {with_}", "P"]
    rows = [[t.label, fmt_hr(t.hr_without, t.lower_without, t.upper_without), fmt_p(t.p_without),
             fmt_hr(t.hr, t.lower, t.upper), fmt_p(t.p)] for t in c.terms]
    model = "multivariable model" if c.model == "multivariable" else "model"
    notes = [f"The {model} of {c.endpoint_label.lower()} on the {c.n} patients with a known centre "
             f"({c.events} events, {c.n_centres} centres); Wald {ci}s and P values."]
    if c.method == "frailty" and c.theta == 0:
        notes.append("Shared gamma frailty on the centre (R's coxph with frailty(centre)): the integrated "
                     "likelihood was largest at a frailty variance of 0, so both columns are the same model.")
    elif c.method == "frailty":
        theta = "not estimable" if c.theta is None else f"{c.theta:.3g}"
        df = "" if c.frailty_df is None else f" on {c.frailty_df:.1f} effective df"
        notes.append(f"Shared gamma frailty on the centre (R's coxph with frailty(centre)): frailty variance "
                     f"{theta}, the maximiser of the integrated likelihood; frailty test P {_eq(fmt_p(c.frailty_p))}"
                     f"{df}. P values with the frailty term use R's se(coef).")
    else:
        notes.append("Stratified by centre: one baseline hazard per centre, common hazard ratios.")
    return ReportTable(f"centre_{endpoint}", f"{c.endpoint_label}: heterogeneity between centres",
                       _frame(rows, cols), tuple("plain" for _ in rows), tuple(notes))


def cif_table(results: Results, endpoint: str) -> ReportTable | None:
    """Cumulative incidence of each competing cause at the landmarks (CI), overall and by
    the protocol's group, with Gray's P (``[analysis.competing]``)."""
    comp = results.competing
    if comp is None or comp.endpoint != endpoint or not comp.overall:
        return None
    unit = results.meta.time_unit
    ci = ci_name(results.meta.conf_level)
    landmarks = [lm.time for lm in comp.overall[0].landmarks]
    cols = ["Cause", "n", "Events"] + [f"{t:g} {unit} ({ci})" for t in landmarks] + ["Gray's P"]
    rows: list[list[str]] = []
    kinds: list[str] = []
    tests = {g.cause: g.p for g in comp.tests}
    blank = [""] * (len(cols) - 1)

    def add(curves: Sequence[Any], p_of: bool) -> None:
        for c in curves:
            rows.append([c.cause_label, fmt_int(c.n), fmt_int(c.events)]
                        + [fmt_survival(lm.estimate, lm.lower, lm.upper) for lm in c.landmarks]
                        + [fmt_p(tests.get(c.cause)) if p_of else ""])
            kinds.append("level")

    rows.append(["All patients", *blank])
    kinds.append("header")
    add(comp.overall, False)
    groups = list(dict.fromkeys(c.group for c in comp.by_group))
    for i, g in enumerate(groups):
        rows.append([f"{comp.factor_label}: {g}", *blank])
        kinds.append("header")
        add([c for c in comp.by_group if c.group == g], i == 0)
    notes = [f"Cumulative incidence (Aalen-Johansen estimator, as R's cmprsk::cuminc) of "
             f"{comp.event_label.lower()} and of {comp.competing_label.lower()}, its competing "
             f"event, in percent with pointwise {ci}s ({results.meta.conf_type} transformation, "
             "Gray's variance); a death on the day of the progression-free survival event counts "
             "as a death without progression."]
    if comp.tests:
        notes.append(f"Gray's P: Gray's test comparing the groups of "
                     f"{(comp.factor_label or '').lower()} for each cause (on the first group's rows).")
    return ReportTable(f"cif_{endpoint}", f"{comp.endpoint_label}: cumulative incidence of "
                       f"{comp.event_label.lower()} and {comp.competing_label.lower()}",
                       _frame(rows, cols), tuple(kinds), tuple(notes))


def fine_gray_table(results: Results, endpoint: str) -> ReportTable | None:
    """The Fine-Gray model of the event of interest: subdistribution HR (CI) and P."""
    comp = results.competing
    if comp is None or comp.endpoint != endpoint or comp.model is None:
        return None
    m = comp.model
    ci = ci_name(results.meta.conf_level)
    cols = ["Variable", "n exposed", f"Subdistribution HR ({ci})", "P"]
    rows = [[t.label, "" if t.n_exposed is None else fmt_int(t.n_exposed),
             fmt_hr(t.hr, t.lower, t.upper), fmt_p(t.p)] for t in m.terms]
    notes = (f"Fine-Gray model of the subdistribution hazard of {m.cause_label.lower()}, "
             f"{comp.competing_label.lower()} competing (R's cmprsk::crr estimator; robust "
             f"sandwich variance, Wald {ci}s and P). n = {m.n}: {m.n_event} with "
             f"{m.cause_label.lower()}, {m.n_competing} with {comp.competing_label.lower()}, "
             f"{m.n_censored} censored" + (f"; {m.n_missing} with a missing covariate left out"
                                            if m.n_missing else "") + ".",)
    return ReportTable(f"finegray_{endpoint}", f"{comp.endpoint_label}: Fine-Gray model of "
                       f"{m.cause_label.lower()}", _frame(rows, cols),
                       tuple("level" for _ in rows), notes)


REFERENCE = "\u2014"  # em dash: the reference level of a factor


def headline_model(results: Results, endpoint: str) -> tuple[CoxModel | None, ExposureComparison | None]:
    """The multivariable model a report leads with for ``endpoint``, and the post-baseline
    exposure it corrects: when an exposure of the model is declared time-dependent, the
    model with that exposure coded as time-dependent (counting process), else the
    protocol's model."""
    model = next((m for m in results.multivariable if m.endpoint == endpoint), None)
    if model is None:
        return None, None
    for x in results.robustness:
        if (x.endpoint == endpoint and x.exposure in model.covariates
                and x.time_dependent_model is not None and x.time_dependent_model.terms):
            return x.time_dependent_model, x
    return model, None


def _variable_label(v: CoxVariable) -> str:
    if v.kind == "binary" and v.compared is not None:
        return f"{v.label}: {v.compared} vs {v.reference}"
    return v.label


def _uni_model(results: Results, endpoint: str, variable: str) -> CoxModel | None:
    return next((m for m in results.univariable if m.endpoint == endpoint
                 and m.covariates == (variable,)), None)


def regression_table(results: Results, endpoint: str) -> ReportTable | None:
    """Univariable and multivariable Cox models of one endpoint side by side, as journals
    print them: N and events of each univariable model, HR (CI) and P; a factor with more
    than two levels has a row per level, its reference marked with an em dash, and an
    overall likelihood-ratio P."""
    m = results.meta
    ci = ci_name(m.conf_level)
    model, exposure = headline_model(results, endpoint)
    naive = next((x for x in results.multivariable if x.endpoint == endpoint), None)
    uni = [u for u in results.univariable if u.endpoint == endpoint]
    if model is None and not uni:
        return None
    order: list[str] = list((naive or model).covariates) if model is not None else []
    order += [u.covariates[0] for u in uni if u.covariates[0] not in order]
    mv_head = "Multivariable"
    if model is not None:
        mv_head += f" (n = {model.n}, {model.n_event} events)"
    cols = ["Characteristic", "N", "Events", f"Univariable HR ({ci})", "P"]
    if model is not None:
        cols += [f"{mv_head} HR ({ci})", "P"]
    if exposure is not None:
        cols += [f"Naive baseline coding HR ({ci})"]
    rows: list[list[str]] = []
    kinds: list[str] = []
    width = len(cols)

    def term_cells(mod: CoxModel | None, term: str | None) -> list[str]:
        if mod is None:
            return [DASH, DASH]
        hit = next((t for t in mod.terms if t.name == term), None)
        if hit is None:
            return [DASH, DASH]
        return [fmt_hr(hit.hr, hit.lower, hit.upper), fmt_p(hit.p)]

    for name in order:
        um = _uni_model(results, endpoint, name)
        var = next((v for v in (model.variables if model and name in model.covariates else ())
                    if v.name == name), None) or (
            next((v for v in um.variables if v.name == name), None) if um else None)
        if var is None:
            continue
        in_mv = model is not None and name in model.covariates
        n_cells = [fmt_int(um.n), fmt_int(um.n_event)] if um else [DASH, DASH]
        if var.kind == "factor" and len(var.terms) > 1:
            uvar = next((v for v in um.variables if v.name == name), None) if um else None
            mvar = (next((v for v in model.variables if v.name == name), None)
                    if in_mv and model is not None else None)
            row = [var.label, *n_cells, "", fmt_p(um.lr_p) if um else DASH]
            if model is not None:
                row += ["", fmt_p(mvar.overall_p) if mvar else DASH]
            rows.append(row + [""] * (width - len(row)))
            kinds.append("header")
            ref = [var.reference or "", "", "", REFERENCE, ""]
            if model is not None:
                ref += [REFERENCE if in_mv else DASH, ""]
            rows.append(ref + [""] * (width - len(ref)))
            kinds.append("level")
            for term in var.terms:
                level = term.split("=", 1)[1]
                row = [level, "", "", *term_cells(um, term)]
                if model is not None:
                    row += term_cells(model, term) if in_mv else [DASH, DASH]
                rows.append(row + [""] * (width - len(row)))
                kinds.append("level")
            del uvar
            continue
        term = var.terms[0]
        uni_cells = term_cells(um, term)
        if exposure is not None and name == exposure.exposure:
            td_uni = exposure.time_dependent_unadjusted
            uni_cells = ([fmt_hr(td_uni.hr, td_uni.lower, td_uni.upper), fmt_p(td_uni.p)]
                         if td_uni is not None else [DASH, DASH])
        row = [_variable_label(var), *n_cells, *uni_cells]
        if model is not None:
            row += term_cells(model, term) if in_mv else [DASH, DASH]
        if exposure is not None:
            if name == exposure.exposure and naive is not None:
                row += [term_cells(naive, term)[0] + "\u1d43"]
            else:
                row += [""]
        rows.append(row)
        kinds.append("plain")
    notes = [f"Cox proportional hazards models; HR: hazard ratio with Wald {ci} and P; ties: "
             f"{m.ties.capitalize()}. N, events: patients with a known value of the variable "
             "(and their events) in its univariable model."]
    if any(v.kind == "factor" and len(v.terms) > 1 for mod in [model, *uni] if mod
           for v in mod.variables):
        notes.append(f"{REFERENCE}: reference level. The P on a factor's first line tests all its "
                     "levels together (likelihood-ratio test).")
    if model is not None:
        left = f"; {model.n_missing} with a missing value left out" if model.n_missing else \
            "; none left out for a missing value"
        notes.append(f"Multivariable model: {model.n} patients, {model.n_event} events{left}; "
                     f"events per variable = {fmt_stat(model.epv)}"
                     + (f"; concordance (C) = {fmt_ratio(model.concordance)}" if model.concordance
                        else (f"; concordance (C) of the baseline-coded model = "
                              f"{fmt_ratio(naive.concordance)}" if naive and naive.concordance
                              else "")) + ".")
    if exposure is not None:
        notes.append(
            f"\u1d43 {exposure.label} took place after the time origin: both models code it as "
            "a time-dependent covariate (counting process: unexposed until the "
            "date, exposed after). The naive baseline yes/no coding credits the time before it "
            "to the exposed patients (immortal-time bias); its multivariable HR is shown for comparison "
            "only.")
    for mod in [model, *uni]:
        if mod is None:
            continue
        for w in mod.warnings:
            if mod.kind != "multivariable" and "events per variable" in w:
                continue
            notes.append(f"Warning ({'multivariable' if mod is model else mod.covariates[0]}): {w}")
    label = results.endpoint(endpoint).label
    return ReportTable(f"cox_{endpoint}", f"{label}: Cox regression", _frame(rows, cols),
                       tuple(kinds), tuple(dict.fromkeys(notes)))


def zph_table(results: Results, endpoint: str) -> ReportTable | None:
    """R's ``cox.zph(fit, transform = "km")`` of the protocol's multivariable model."""
    model = next((m for m in results.multivariable if m.endpoint == endpoint), None)
    if model is None or not model.zph:
        return None
    rows = [[z.label, fmt_stat(z.chisq, 2), str(z.df), fmt_p(z.p)] for z in model.zph]
    kinds = tuple("plain" if z.name != "GLOBAL" else "header" for z in model.zph)
    notes: tuple[str, ...] = ("Score test of each variable's scaled Schoenfeld residuals against the "
             "Kaplan-Meier transform of time (R's cox.zph, survival 3.x); a factor is tested on "
             "all its levels together. P < 0.05: the hazard ratio changes over follow-up, and the "
             "model's HR is an average of a changing effect.",)
    label = results.endpoint(endpoint).label
    _, exposure = headline_model(results, endpoint)
    if exposure is not None:
        notes = (*notes, f"Tested on the model with {exposure.label[:1].lower()}"
                         f"{exposure.label[1:]} coded at baseline (yes/no), as the protocol "
                         "specifies it; a non-proportional effect of a post-baseline exposure is "
                         "also what immortal time produces, which the time-dependent coding of "
                         "the regression table removes.")
    return ReportTable(f"zph_{endpoint}", f"{label}: proportional hazards test",
                       _frame(rows, ["Variable", "Chi-square", "df", "P"]), kinds, notes)


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


_DATE_WORDS = {"birth": "birth", "diagnosis": "diagnosis", "metastasis": "first metastasis",
               "progression": "progression", "death": "death", "followup": "last follow-up",
               "treatment": "treatment start", "end": "treatment end", "line": "line start",
               "response": "response"}


def flow_words(reason: str) -> str:
    """A flow step in words: ``data error (rule date.order.progression_death)`` reads
    ``Data error: death dated before progression``; other steps get a capital.

    Examples
    --------
    >>> flow_words("data error (rule date.order.progression_death)")
    'Data error: death dated before progression'
    >>> flow_words("data error (rule required)"), flow_words("age below 18 years")
    ('Data error: a required value missing', 'Age below 18 years')
    """
    text = str(reason)
    prefix = "data error (rule "
    if text.startswith(prefix) and text.endswith(")"):
        rule = text[len(prefix):-1]
        parts = rule.split(".")
        if parts[:2] == ["date", "order"] and len(parts) == 3 and "_" in parts[2]:
            a, b = parts[2].split("_", 1)
            words = (f"{_DATE_WORDS.get(b, b.replace('_', ' '))} dated before "
                     f"{_DATE_WORDS.get(a, a.replace('_', ' '))}")
        elif parts[:2] == ["date", "order"] and len(parts) == 3:
            words = f"a date before the {_DATE_WORDS.get(parts[2], parts[2])} date"
        elif rule == "required":
            words = "a required value missing"
        else:
            words = " ".join(p.replace("_", " ") for p in parts)
        return f"Data error: {words}"
    return text[:1].upper() + text[1:]


def flow_table(results: Results) -> ReportTable:
    """The patient flow as a table, exclusions in words, with the follow-up status."""
    rows = [[flow_words(s.label), fmt_int(s.excluded) if s.reason is not None else "",
             fmt_int(s.n)] for s in results.flow]
    notes: list[str] = []
    os_ = next((e for e in results.endpoints if e.name == "os"), None)
    if os_ is not None:
        alive = os_.n - os_.events
        notes.append(f"Follow-up status of the {os_.n} patients analysed: {os_.events} dead, "
                     f"{alive} alive at their last follow-up (censored).")
    return ReportTable("flow", "Patient flow", _frame(rows, ["Step", "Excluded", "Remaining"]),
                       tuple("plain" for _ in rows), tuple(notes))


def strobe_table(results: Results) -> ReportTable:
    """Where the report addresses the STROBE items of a cohort study's statistics
    (von Elm et al., 2007): 6, 12, 13, 14 and 16."""
    endpoints = ", ".join(e.label for e in results.endpoints)
    mv = bool(results.multivariable)
    rows = [
        ["6", "Participants: eligibility, sources, follow-up",
         "Statistical methods (endpoint definitions: origin, event, censoring); Patient flow "
         "(inclusion criteria)"],
        ["12a", "Statistical methods, confounding",
         "Statistical methods; " + ("multivariable Cox models" if mv else "univariable models")],
        ["12b", "Subgroups and interactions",
         "Kaplan-Meier and log-rank by each factor (" + endpoints + ")"],
        ["12c", "Missing data",
         "Statistical methods (complete-case, numbers left out of each model); Patient "
         "characteristics (missing per variable); Cox regression (N per row)"],
        ["12d", "Loss to follow-up",
         "Statistical methods (censoring at the last follow-up); Patient flow (follow-up "
         "status); reverse Kaplan-Meier follow-up"],
        ["12e", "Sensitivity analyses",
         ("Post-baseline exposures: time-dependent and landmark analyses; " if results.robustness
          else "") + "proportional hazards tests and residual plots"],
        ["13", "Participants: numbers at each stage, reasons for exclusion",
         "Patient flow (figure and table, exclusions in words)"],
        ["14", "Descriptive data: characteristics, missing data, follow-up",
         "Patient characteristics; Results summary (median follow-up by reverse Kaplan-Meier)"],
        ["16", "Main results: unadjusted and adjusted estimates with CIs",
         "Cox regression tables (univariable and multivariable side by side) and forest plots; "
         "Kaplan-Meier estimates"],
    ]
    return ReportTable("strobe", "STROBE checklist",
                       _frame(rows, ["Item", "Recommendation", "Where in this report"]),
                       tuple("plain" for _ in rows),
                       ("STROBE: Strengthening the Reporting of Observational Studies in "
                        "Epidemiology (von Elm et al., Lancet 2007). Items 1-5, 7-11, 15 and "
                        "17-22 concern the manuscript's design and discussion.",))


def all_tables(results: Results) -> list[ReportTable]:
    """Every table of the report, in order."""
    out = [table1(results.table1)]
    if results.flow:
        out.insert(0, flow_table(results))
    for e in results.endpoints:
        out.append(survival_table(results, e.name))
        rt = rmst_table(results, e.name)
        if rt is not None:
            out.append(rt)
        for extra in (cif_table(results, e.name), fine_gray_table(results, e.name)):
            if extra is not None:
                out.append(extra)
        for t in (regression_table(results, e.name), zph_table(results, e.name), centre_table(results, e.name)):
            if t is not None:
                out.append(t)
    if results.robustness:
        out.append(robustness_table(results))
    out.append(strobe_table(results))
    return out
