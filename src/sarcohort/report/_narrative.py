"""Generated text: a methods paragraph and an abstract-style results paragraph.

Every number is formatted by :mod:`sarcohort.report._format`, the same functions
the tables use, so the text and the tables cannot disagree; the words for each
protocol option's value come from the option table
(:func:`sarcohort.protocol._options.wording`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sarcohort.analysis._results import CoxModel, CoxTerm, EndpointSummary, Results
from sarcohort.protocol._options import default_of, wording
from sarcohort.report._format import ci_name, fmt_hr, fmt_p, fmt_survival, fmt_time, fmt_time_ci
from sarcohort.report._tables import headline_model, median_ci_name


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def p_phrase(p: float | None) -> str:
    """``P = 0.002`` or ``P < 0.001``."""
    text = fmt_p(p)
    return f"P {text}" if text[0] in "<>" else f"P = {text}"


def hr_phrase(t: CoxTerm, conf_level: float = default_of("analysis.conf_level")) -> str:
    """``HR 2.10, 95% CI 1.34-3.29, P = 0.002``."""
    hr = fmt_hr(t.hr, t.lower, t.upper)
    point, _, ci = hr.partition(" (")
    return f"HR {point}, {ci_name(conf_level)} {ci.rstrip(')')}, {p_phrase(t.p)}"


def _hr_words(hr: float | None, lower: float | None, upper: float | None, p: float | None,
              conf_level: float) -> str:
    """``HR 2.10, 95% CI 1.34-3.29, P = 0.002`` from the numbers."""
    point, _, ci = fmt_hr(hr, lower, upper).partition(" (")
    return f"HR {point}, {ci_name(conf_level)} {ci.rstrip(')')}, {p_phrase(p)}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def methods(r: Results) -> str:
    """The statistical methods paragraph."""
    m = r.meta
    unit = wording("analysis.time_unit", m.time_unit)
    parts = []
    t1 = r.table1
    stats = join_words([wording("analysis.continuous_summary", x) for x in t1.summary])
    desc = ("Categorical variables are described with counts and percentages, continuous "
            f"variables with {stats}; missing values are counted per variable.")
    if len(t1.columns) > 1 and t1.group_label:
        cont = wording("analysis.continuous_test", m.continuous_test)
        desc += (f" Groups defined by {_lower_first(t1.group_label)} were compared with "
                 f"Pearson's chi-square test, or Fisher's exact test when an expected count was "
                 f"below 5, and with {cont}")
        defining = [v.label for v in t1.variables if v.defines_group]
        desc += ((f"; {join_words([_lower_first(x.split(', ')[0]) for x in defining])}, which "
                  f"{'defines' if len(defining) == 1 else 'define'} the groups, "
                  "was not tested.") if defining else ".")
    parts.append(desc)
    parts.append(_endpoint_definitions(r))
    ends = join_words([_lower_first(e.label) for e in r.endpoints])
    lm = [lmk.time for lmk in r.survival[0].groups[0].landmarks] if r.survival else []
    km = (f"{ends[:1].upper() + ends[1:]} were estimated with the Kaplan-Meier method; medians are "
          f"given with {m.conf_level:.0%} confidence intervals (CI) computed as the "
          f"{median_ci_name(m.median_ci, m.conf_level)}")
    if lm:
        km += (f", and survival at {join_words([f'{t:g}' for t in lm])} {unit} with "
               f"pointwise {m.conf_level:.0%} CIs "
               f"({wording('analysis.conf_type', m.conf_type)} transformation)")
    km += (". Curves were compared with the log-rank test. Median follow-up was estimated with "
           "the reverse Kaplan-Meier method.")
    if r.rmst:
        c = r.rmst[0]
        km += (f" The restricted mean survival time (RMST) up to {c.tau:g} {unit} was compared between "
               f"the groups of {_lower_first(c.factor_label)} by its difference and ratio against "
               f"{c.groups[0].label.lower()} with normal {ci_name(m.conf_level)}s (the method of R's "
               "survRM2).")
    if r.competing is not None:
        cr = r.competing
        km += (" Progression and death without progression were analysed as competing risks: "
               "the cumulative incidence of each was estimated with the Aalen-Johansen estimator "
               "(Gray's variance) and compared between groups with Gray's test (R's cmprsk::cuminc)")
        if cr.model is not None:
            km += (f", and the subdistribution hazard of {cr.event_label.lower()} was modelled with "
                   f"the Fine-Gray model, using the estimator of R's cmprsk::crr")
        km += "."
    parts.append(km)
    cox = (f"Hazard ratios (HR) with Wald {ci_name(m.conf_level)}s were estimated with Cox "
           "proportional hazards "
           f"models ({wording('analysis.ties', m.ties)}), univariable for each factor")
    mv = [x for x in r.multivariable if x.kind == "multivariable"]
    if mv:
        models = [f"{join_words([_lower_first(t.label) for t in x.terms])} for "
                  f"{_lower_first(x.endpoint_label)}" for x in mv]
        cox += " and multivariable with " + "; ".join(models)
        selected = [x.selection for x in mv if x.selection != "explicit"]
        if selected:
            cox += f" ({wording('analysis.multivariable.selection', selected[0])})"
    cox += (". Factors with more than two levels were tested as a whole with the "
            "likelihood-ratio test. Proportional hazards were checked for each variable and "
            "globally with the scaled Schoenfeld residual test (cox.zph, Kaplan-Meier time "
            "transform) and residual plots; a variable with P < 0.05 is flagged. The number of "
            "events per variable is reported.")
    if mv:
        left = join_words([f"{x.n_missing} of {x.n + x.n_missing} patients for "
                           f"{_lower_first(x.endpoint_label)}" for x in mv])
        cox += (" Analyses were complete-case: a patient with a missing value of a model's "
                f"covariate was left out of that model ({left} in the multivariable models).")
    if r.centre_effects:
        c0 = r.centre_effects[0]
        cox += (f" Heterogeneity between centres was assessed by refitting the models with "
                f"{wording('analysis.centre_effect', c0.method)}, beside the models without the centre term.")
    parts.append(cox)
    if r.imputed:
        i0 = r.imputed[0]
        parts.append(
            "Missing covariate values were handled by multiple imputation by chained equations "
            f"({i0.m} imputed data sets, predictive mean matching, with the event indicator and "
            "the Nelson-Aalen cumulative hazard in the imputation models as White and Royston "
            "recommend); the multivariable estimates were pooled by Rubin's rules and are shown "
            "beside the complete-case estimates.")
    if r.validation:
        v0 = r.validation[0]
        parts.append(
            f"The multivariable models were internally validated with Harrell's bootstrap ({v0.B} "
            "samples; the whole modelling procedure" + (", covariate selection included," if any(
                v.selection != "explicit" for v in r.validation) else "") + " repeated in each), "
            "giving the optimism-corrected concordance (Harrell's C) and calibration slope "
            "(R's rms::validate)" + (f", and calibration at {v0.horizon:g} {m.time_unit} was shown by "
                                     "groups of predicted survival against Kaplan-Meier estimates"
                                     if v0.horizon is not None and v0.calibration else "") + ".")
    firth = [x for x in (*r.univariable, *r.multivariable) if x.firth]
    if firth:
        which = join_words(sorted({f"{'the ' + x.kind} model of {_lower_first(x.endpoint_label)}"
                                   + (f" ({_lower_first(x.terms[0].label)})" if x.kind == "univariable"
                                      and x.terms else "") for x in firth}))
        parts.append(
            f"Monotone likelihood (a coefficient running to infinity, e.g. no event in one category) "
            f"occurred in {which}; these models were refitted with Firth's penalised partial "
            "likelihood (Heinze and Schemper, 2001), with profile penalised-likelihood CIs and "
            "penalised likelihood-ratio tests.")
    if r.robustness:
        x = r.robustness[0]
        parts.append(
            f"Because {_lower_first(x.label)} took place after the time origin, its effect was "
            "also estimated as a time-dependent covariate in a counting-process Cox model and in "
            f"a landmark analysis at {x.landmark_time:g} {unit}, which avoid the "
            "immortal-time bias of a baseline yes/no coding; the multivariable models report "
            "the time-dependent coding, with the naive baseline coding beside it.")
    course = r.treatments
    if course is not None and course.lines and {"responses", "pfs_by_line"} & set(course.show):
        parts.append(
            "For each line of systemic treatment, the best response (RECIST, as recorded) "
            "gave the objective response rate (complete or partial response) and the disease "
            "control rate (adding stable disease) over all patients treated on the line, with "
            f"exact Clopper-Pearson {ci_name(m.conf_level)}s. Progression-free survival on a "
            "line ran from its start to progression on that line or death (censored at the "
            "start of the next line when no progression was recorded), time to next treatment "
            "to the next line or death, and duration of response from the first documented "
            "response to progression or death; all were estimated with the Kaplan-Meier "
            "method.")
    soft = dict(m.software)
    alpha = 1.0 - m.conf_level
    parts.append(
        f"Tests were two-sided with a significance level of {alpha:.2g}. Analyses used sarcohort "
        f"{m.sarcohort_version} (Python {soft.get('Python', '')}, NumPy {soft.get('NumPy', '')}, "
        f"SciPy {soft.get('SciPy', '')}, pandas {soft.get('pandas', '')}), whose Kaplan-Meier, "
        "log-rank, Cox and cox.zph results are checked against R 4.2.2 with survival 3.5-3 on "
        "reference data sets to a relative difference below 1e-6.")
    return " ".join(parts)


_ENDPOINT_RULES = {
    "os": "from {origin} to death from any cause (event), censored at the last follow-up",
    "pfs": "from {origin} to progression or death, whichever came first (event), censored at "
           "the last follow-up",
}


def _endpoint_definitions(r: Results) -> str:
    """Each endpoint's origin, event and censoring, with its events (STROBE item 6, 12)."""
    origin = f"the {r.meta.time_origin}" if r.meta.time_origin else "the time origin"
    bits = []
    for e in r.endpoints:
        rule = _ENDPOINT_RULES.get(e.name, "from {origin} to the event, censored at the last "
                                             "follow-up").format(origin=origin)
        bits.append(f"{_lower_first(e.label)} ran {rule} ({e.events} events in {e.n} patients)")
    text = join_words(bits)
    return text[:1].upper() + text[1:] + "."


def _model_sentence(x: CoxModel, conf_level: float, corrected: str | None = None) -> str:
    worse = [t for t in x.terms if t.p is not None and t.p < 0.05 and t.hr is not None and t.hr > 1]
    better = [t for t in x.terms if t.p is not None and t.p < 0.05 and t.hr is not None and t.hr < 1]
    missing = [t for t in x.terms if t.hr is None]
    other = [t for t in x.terms if t not in worse and t not in better and t not in missing]
    name = x.endpoint_label
    bits = []
    if worse:
        bits.append("shorter " + _lower_first(name) + " was associated with " + join_words(
            [f"{_lower_first(t.label)} ({hr_phrase(t, conf_level)})" for t in worse]))
    if better:
        bits.append(("longer " + _lower_first(name) + " with " if bits else "longer " +
                     _lower_first(name) + " was associated with ") + join_words(
            [f"{_lower_first(t.label)} ({hr_phrase(t, conf_level)})" for t in better]))
    intro = "In the multivariable model" + (
        f" ({_lower_first(corrected)} as a time-dependent covariate)" if corrected else "")
    text = f"{intro}, " + "; ".join(bits) if bits else (
        f"{intro} of {_lower_first(name)}, no factor reached P < 0.05")
    if other:
        text += ("; " if bits else ": ") + join_words(
            [f"{_lower_first(t.label)} ({hr_phrase(t, conf_level)})" for t in other]) + (
            " was not significant" if len(other) == 1 else " were not significant")
    if missing:
        text += "; the HR of " + join_words([_lower_first(t.label) for t in missing]) + (
            " could not be estimated")
    return text + "."


def followup_phrase(r: Results, e: EndpointSummary) -> str:
    """``With a median follow-up of 62.8 months (IQR 40.1-90.2; reverse Kaplan-Meier on
    overall survival)``: the cohort's follow-up, one definition for the whole report."""
    unit = r.meta.time_unit
    iqr = fmt_time_ci(e.median_followup, e.followup_q1, e.followup_q3).partition(" (")[2]
    return (f"With a median follow-up of {fmt_time(e.median_followup)} {unit} (IQR "
            f"{iqr.rstrip(')')}; reverse Kaplan-Meier on {_lower_first(e.label)})")


def centre_text(r: Results) -> str:
    """The centre-heterogeneity paragraph (``[analysis] centre_effect``); empty without it."""
    out = []
    cl = r.meta.conf_level
    for c in r.centre_effects:
        model = "multivariable model" if c.model == "multivariable" else "model"
        head = f"{c.endpoint_label}, {model} ({c.n} patients, {c.events} events, {c.n_centres} centres): "
        if c.method == "frailty":
            if c.theta == 0:
                out.append(head + "the integrated likelihood was largest at a centre frailty variance of 0 "
                           "(no heterogeneity between centres detected), so the hazard ratios are those "
                           "of the model without the frailty term.")
                continue
            elif c.theta is None or c.frailty_df is None:
                head += "the variance of the centre frailty was not estimable"
            else:
                head += (f"the variance of the centre frailty was {c.theta:.3g} (frailty test "
                         f"{p_phrase(c.frailty_p)}, {c.frailty_df:.1f} effective df)")
            head += "; with the frailty term "
        else:
            head += "stratified by centre, "
        hrs = []
        for t in c.terms:
            with_ = _hr_words(t.hr, t.lower, t.upper, t.p, cl)
            without = _hr_words(t.hr_without, t.lower_without, t.upper_without, t.p_without, cl)
            hrs.append(f"{_lower_first(t.label)} {with_} (without: {without})")
        out.append(head + "; ".join(hrs) + ".")
    return " ".join(out)


def results_text(r: Results) -> str:
    """The results paragraph, in the style of an abstract."""
    t1 = r.table1
    out = []
    first = f"A total of {t1.n[0]} patients were analysed"
    if len(t1.columns) > 1:
        first += " (" + join_words([f"{n} {_lower_first(c)}" for c, n in
                                    zip(t1.columns[1:], t1.n[1:], strict=True)]) + ")"
    out.append(first + ".")
    unit = wording("analysis.time_unit", r.meta.time_unit)
    ci = ci_name(r.meta.conf_level)
    meds = []
    for e in r.endpoints:
        g = r.km(e.name).groups[0]
        meds.append(f"the median {_lower_first(e.label)} was {fmt_time(g.median)} {unit} "
                    f"({ci} {fmt_time(g.median_lower)}-{fmt_time(g.median_upper)})")
    e0 = r.followup()
    if e0 is not None:
        out.append(followup_phrase(r, e0) + ", " + join_words(meds) + ".")
    elif meds:
        out.append(join_words(meds)[:1].upper() + join_words(meds)[1:] + ".")
    for e in r.endpoints:
        g = r.km(e.name).groups[0]
        lms = [lm for lm in g.landmarks if lm.survival is not None]
        if lms:
            times = join_words([f"{lm.time:g}" for lm in lms])
            values = join_words([fmt_survival(lm.survival, lm.lower, lm.upper).replace(
                "% (", f"% ({ci} ") for lm in lms])
            out.append(f"{e.label} at {times} {unit} was {values}"
                       + (" respectively." if len(lms) > 1 else "."))
    if r.meta.group:
        for e in r.endpoints:
            try:
                k = r.km(e.name, r.meta.group)
            except KeyError:
                continue
            by_group = join_words([f"{fmt_time_ci(g.median, g.median_lower, g.median_upper)} "
                                   f"{unit} in {_lower_first(g.label)} patients" for g in k.groups])
            out.append(f"Median {_lower_first(e.label)} was {by_group} (log-rank "
                       f"{p_phrase(k.logrank_p)}).")
    headline = {}
    for e in r.endpoints:
        model, corrected = headline_model(r, e.name)
        if model is not None:
            headline[e.name] = corrected
            out.append(_model_sentence(model, r.meta.conf_level,
                                       corrected.label if corrected else None))
    for x in r.robustness:
        td = x.time_dependent
        if td is None:
            continue
        one = unit[:-1] if unit.endswith("s") else unit
        landmark = (f" and {fmt_hr(x.landmark.hr, x.landmark.lower, x.landmark.upper)} in the "
                    f"{x.landmark_time:g}-{one} landmark analysis" if x.landmark else "")
        if headline.get(x.endpoint) is x:
            out.append(
                f"The naive baseline yes/no coding of {_lower_first(x.label)}, which credits the "
                "time before it to the exposed patients (immortal-time bias), gave an HR for "
                f"{_lower_first(x.endpoint_label)} of "
                f"{fmt_hr(x.naive.hr, x.naive.lower, x.naive.upper)}{landmark}.")
        else:
            out.append(
                f"Analysed as a time-dependent covariate, the HR of {_lower_first(x.label)} for "
                f"{_lower_first(x.endpoint_label)} was {fmt_hr(td.hr, td.lower, td.upper)}, "
                f"against {fmt_hr(x.naive.hr, x.naive.lower, x.naive.upper)} in the naive "
                f"baseline analysis{landmark}.")
    for v in r.validation:
        out.append(f"The {_lower_first(v.endpoint_label)} model had an apparent concordance of "
                   f"{v.value('C', 'apparent'):.2f}, {v.value('C'):.2f} after correction for optimism, "
                   f"and an optimism-corrected calibration slope of {v.value('Slope'):.2f}.")
    centre = centre_text(r)
    if centre:
        out.append(f"Between-centre heterogeneity. {centre}")
    return " ".join(out)
