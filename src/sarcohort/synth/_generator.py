"""The synthetic patient generator: arrays of patient attributes and treatments.

:func:`simulate` draws one cohort from the calibrated model and returns plain
numpy arrays (days counted from 2009-01-01); :mod:`sarcohort.synth` turns them
into the two canonical tables. The model, step by step:

1. exact counts: timing, sex, site pattern, more than 5 metastases, local
   treatment (surgery / radiotherapy / ablation), no systemic treatment, trial;
   who gets what is drawn by weighted sampling without replacement;
2. age and time to metachronous metastasis on their published ranges with the
   published means hit exactly;
3. progression and death from Weibull proportional-hazards models without
   local treatment; administrative censoring at the data cut-off and loss to
   follow-up;
4. a planned local-treatment date for everyone; candidates (in a weighted random
   order) are treated if alive, progression-free and followed on that date,
   until the published number is treated; from its date on, surgery divides the
   residual cumulative hazards by the true hazard ratios;
5. systemic lines, the first soon after the first metastasis, the next after
   progression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sarcohort.data._days import DAYS_PER_MONTH, DAYS_PER_YEAR

from ._kernels import (
    bounded_with_mean,
    clayton_conditional,
    stratified_uniform,
    weibull_ph_times,
    weighted_choice,
    weighted_order,
)
from ._params import SynthParameters

#: Day 0 of every simulated day count.
EPOCH = np.datetime64("2009-01-01", "D")
#: Day count meaning "no date" (empty cell).
NO_DATE = -(10**9)

LOCAL_NONE, LOCAL_SURGERY, LOCAL_RT, LOCAL_ABLATION = 0, 1, 2, 3
#: Treatment kinds by code (``tr_kind``): the local kinds keep their codes, 4 is systemic.
KIND_NAMES = ("", "surgery", "radiotherapy", "ablation", "systemic")
KIND_SYSTEMIC = 4
#: Best responses by code (``tr_response``); code 0 is "no response recorded".
RESPONSE_NAMES = ("", "CR", "PR", "SD", "PD", "NE")
RESPONSE_CR, RESPONSE_PR, RESPONSE_PD, RESPONSE_NE = 1, 2, 4, 5
#: End reasons by code (``tr_end_reason``).
END_REASON_NAMES = ("progression", "death", "toxicity", "completed", "ongoing")
END_PROGRESSION, END_DEATH, END_TOXICITY, END_COMPLETED, END_ONGOING = range(5)


@dataclass(frozen=True)
class SimulatedArrays:
    """One simulated cohort as arrays (patients in generation order).

    Day counts are integers from :data:`EPOCH`; :data:`NO_DATE` marks "no such date".
    ``tr_*`` arrays describe the treatment rows (``tr_patient`` indexes patients); their
    text columns are codes into :data:`KIND_NAMES`, ``regimen_names``,
    :data:`RESPONSE_NAMES` and :data:`END_REASON_NAMES`. A patient's
    id is ``{id_prefix}-{centre:02d}-{patient_number:0{id_width}d}``
    (:func:`~sarcohort.synth._frames.patient_id_bytes` writes them).
    """

    centre: np.ndarray
    patient_number: np.ndarray
    male: np.ndarray
    birth: np.ndarray
    primary: np.ndarray
    first_met: np.ndarray
    n_metastases: np.ndarray
    lung: np.ndarray
    bone: np.ndarray
    other: np.ndarray
    progression: np.ndarray
    death: np.ndarray
    last_followup: np.ndarray
    tr_patient: np.ndarray
    tr_kind: np.ndarray
    tr_start: np.ndarray
    tr_line: np.ndarray
    tr_regimen: np.ndarray
    tr_trial: np.ndarray
    tr_response: np.ndarray
    tr_end: np.ndarray
    tr_end_reason: np.ndarray
    tr_response_date: np.ndarray
    tr_line_progression: np.ndarray
    id_prefix: str
    id_width: int
    regimen_names: tuple[str, ...]


def regimen_names(p: SynthParameters) -> tuple[str, ...]:
    """Every regimen name of ``[assumptions.regimens]``, once each (codes of ``tr_regimen``)."""
    names: dict[str, None] = {}
    for value in p.a["regimens"].values():
        if isinstance(value, list):
            names.update(dict.fromkeys(str(v) for v in value))
    return tuple(names)


def _codes(table: tuple[str, ...], names: list[str]) -> np.ndarray:
    """Codes of ``names`` in ``table`` (names not in it are left out)."""
    return np.array([table.index(n) for n in names if n in table], dtype=np.int16)


def _days(iso: str) -> int:
    """Day count of an ISO date from :data:`EPOCH`."""
    return int((np.datetime64(iso, "D") - EPOCH) // np.timedelta64(1, "D"))


def _exact_mean_days(rng: np.random.Generator, days: np.ndarray, target_total: int) -> np.ndarray:
    """Move interior values by one day each until ``days.sum() == target_total``.

    The smallest and largest values (the published range ends) are never moved.
    """
    diff = int(target_total - days.sum())
    if diff == 0 or days.size < 3:
        return days
    order = np.argsort(days, kind="stable")
    inner = order[1:-1]
    k = min(abs(diff), inner.size)
    pick = rng.choice(inner, size=k, replace=False)
    days = days.copy()
    days[pick] += np.sign(diff)
    return days


def _centres(rng: np.random.Generator, p: SynthParameters) -> tuple[np.ndarray, np.ndarray]:
    """Centre number (1-based) and pseudonymous patient number of each patient.

    Numbers are drawn without replacement within each centre among those congruent to
    ``p.id_offset`` modulo ``p.id_stride`` below ``10**width``, so the blocks of a cohort
    generated in blocks never share an id (one block: every number from 1).
    """
    sizes = p.sizes_of_centres()
    centre = rng.permutation(np.repeat(np.arange(1, p.centres + 1), sizes))
    width = p.width_of_ids()
    first = p.id_offset if p.id_offset > 0 else p.id_stride
    pool = (10**width - 1 - first) // p.id_stride + 1
    number = np.zeros(p.n, dtype=np.int64)
    for c in range(1, p.centres + 1):
        where = np.flatnonzero(centre == c)
        if where.size:
            number[where] = first + p.id_stride * rng.choice(pool, size=where.size, replace=False)
    return centre, number


def simulate(p: SynthParameters, rng: np.random.Generator, stratified: bool = True) -> SimulatedArrays:
    """Draw one synthetic cohort (see the module docstring for the model)."""
    a = p.a
    n = p.n
    centre, number = _centres(rng, p)

    # --- exact counts ----------------------------------------------------------
    sync = np.zeros(n, dtype=bool)
    sync[rng.permutation(n)[: p.n_synchronous]] = True
    male = np.zeros(n, dtype=bool)
    male[rng.permutation(n)[: p.n_male]] = True
    pats = p.site_patterns
    pat_sites = {
        "lung_only": (1, 0, 0), "bone_only": (0, 1, 0), "other_only": (0, 0, 1),
        "lung_bone": (1, 1, 0), "lung_other": (1, 0, 1), "bone_other": (0, 1, 1),
    }
    sites = np.repeat(np.array([pat_sites[k] for k in pats], dtype=bool),
                      [pats[k] for k in pats], axis=0)
    sites = sites[rng.permutation(n)]
    lung, bone, other = sites[:, 0], sites[:, 1], sites[:, 2]
    n_sites = sites.sum(axis=1)

    m5_w = 1.0 + (float(a["more_than_5"]["synchronous_weight"]) - 1.0) * sync
    m5 = weighted_choice(rng, p.n_more_than_5, m5_w)
    nm = a["n_metastases"]
    le5 = rng.choice(np.arange(1, 6), size=n, p=np.asarray(nm["le5_probabilities"]) /
                     np.sum(nm["le5_probabilities"]))
    gt5 = np.minimum(6 + rng.geometric(float(nm["gt5_geometric_p"]), size=n) - 1,
                     int(nm["gt5_max"]))
    n_met = np.where(m5, gt5, np.maximum(le5, n_sites))

    # --- time to metastasis and age ------------------------------------------------
    sd = a["synchronous_delay"]["value"]
    ttm_days = rng.integers(int(sd[0]), int(sd[1]) + 1, size=n)
    meta = ~sync
    tt = a["time_to_metastasis_shape"]
    pub_ttm = p.p["time_to_metachronous_metastasis"]
    u_ttm = stratified_uniform(rng, np.zeros(int(meta.sum()), dtype=np.int64), stratified)
    months = bounded_with_mean(u_ttm, float(tt["min"]), float(tt["max"]), float(pub_ttm["mean"]),
                               float(tt["value"]))
    md = np.rint(months * DAYS_PER_MONTH).astype(np.int64)
    ttm_total = p.ttm_total_days
    if ttm_total is None:
        ttm_total = round(float(pub_ttm["mean"]) * DAYS_PER_MONTH * md.size)
    md = _exact_mean_days(rng, md, ttm_total)
    ttm_days[meta] = md
    early = ttm_days / DAYS_PER_MONTH < float(a["early_metastasis_definition"]["value"])

    inc = a["inclusion_dates"]
    start = _days(inc["start"])
    span = _days(inc["end"]) - start + 1
    first_met = start + np.floor(
        stratified_uniform(rng, np.zeros(n, dtype=np.int64), stratified) * span).astype(np.int64)
    primary = first_met - ttm_days

    ag = a["age_shape"]
    ages = bounded_with_mean(stratified_uniform(rng, np.zeros(n, dtype=np.int64), stratified),
                             float(ag["min"]), float(ag["max"]), float(p.p["age"]["mean"]),
                             float(ag["value"]))
    age_days = np.rint(ages * DAYS_PER_YEAR).astype(np.int64)
    age_total = p.age_total_days
    if age_total is None:
        age_total = round(float(p.p["age"]["mean"]) * DAYS_PER_YEAR * n)
    age_days = _exact_mean_days(rng, age_days, age_total)
    birth = first_met - age_days

    # --- progression and death without local treatment ------------------------------
    sm, b = a["survival_model"], a["log_hazard_ratios"]
    k_p, sc_p = float(sm["pfs_shape"]), float(sm["pfs_scale"])
    k_o, sc_o = float(sm["os_shape"]), float(sm["os_scale"])
    lp_p = b["pfs_more_than_5"] * m5 + b["pfs_early"] * early + b["pfs_bone"] * bone
    lp_o = b["os_more_than_5"] * m5 + b["os_early"] * early + b["os_bone"] * bone
    group = m5 + 2 * early + 4 * bone
    u_o = stratified_uniform(rng, group, stratified)
    w = stratified_uniform(rng, group, stratified)
    u_p = clayton_conditional(u_o, w, float(sm["clayton_theta"]))
    with np.errstate(divide="ignore"):
        e_o, e_p = -np.log1p(-u_o), -np.log1p(-u_p)
    never, zero = np.full(n, np.inf), np.zeros(n)
    t_o = weibull_ph_times(e_o, lp_o, zero, never, k_o, sc_o)
    t_p = weibull_ph_times(e_p, lp_p, zero, never, k_p, sc_p)

    # --- censoring ------------------------------------------------------------------
    cutoff = _days(a["data_cutoff"]["value"])
    admin = (cutoff - first_met) / DAYS_PER_MONTH
    cens = np.minimum(admin, rng.exponential(1.0 / float(a["loss_to_followup"]["value"]), size=n))

    # --- local treatment: planned for candidates, given only to those who reach it ---
    ss = a["surgery_selection"]
    lung_only = lung & ~bone & ~other
    w_surg = (np.where(~m5, float(ss["le5_weight"]), 1.0)
              * np.where(lung_only, float(ss["lung_only_weight"]), 1.0)
              * np.where(~early, float(ss["late_weight"]), 1.0))
    dl = a["local_treatment_delay"]
    s = np.clip(rng.gamma(float(dl["shape"]), float(dl["mean"]) / float(dl["shape"]), size=n),
                float(dl["min"]), float(dl["max"]))
    horizon = np.minimum(np.minimum(t_p, t_o), cens)  # first progression, death or censoring
    reached = horizon > s
    order = weighted_order(rng, w_surg * np.where(bone, float(ss["bone_weight_for_other_local"]), 1.0))
    hits = np.cumsum(reached[order])
    candidate = np.zeros(n, dtype=bool)
    if hits[-1] >= p.n_local:
        candidate[order[: int(np.searchsorted(hits, p.n_local)) + 1]] = True
    else:  # too few reach their planned date (tiny cohorts): the longest event-free go earlier
        candidate[:] = True
        short = np.flatnonzero(~reached)
        short = short[np.argsort(-horizon[short], kind="stable")][: p.n_local - int(hits[-1])]
        s[short] = 0.5 * horizon[short]
        reached[short] = True
    treated = candidate & reached
    local = np.full(n, LOCAL_NONE, dtype=np.int64)
    surg = weighted_choice(rng, p.local_kinds["surgery"], w_surg * treated)
    local[surg] = LOCAL_SURGERY
    oth = rng.permutation(np.flatnonzero(treated & ~surg))
    local[oth[: p.local_kinds["radiotherapy"]]] = LOCAL_RT
    local[oth[p.local_kinds["radiotherapy"]:]] = LOCAL_ABLATION
    # surgery acts from its date on: the residual cumulative hazard after s is kept
    # (memoryless in H), the hazard ratio exp(gamma) applies to it
    op = local == LOCAL_SURGERY
    s_op = np.where(op, s, np.inf)
    for t, lp, k, sc, g in ((t_p, lp_p, k_p, sc_p, b["pfs_surgery"]),
                            (t_o, lp_o, k_o, sc_o, b["os_surgery"])):
        resid = np.exp(lp) * ((t / sc) ** k - (np.where(op, s, 0.0) / sc) ** k)
        t[op] = weibull_ph_times(resid, lp, np.full(n, float(g)), s_op, k, sc)[op]

    ns = a["no_systemic_selection"]
    w_ns = (np.where(op, float(ns["surgery_weight"]), 1.0)
            * np.where(~m5, float(ns["le5_weight"]), 1.0) * meta)
    no_systemic = weighted_choice(rng, p.n_no_systemic, w_ns)
    trial = weighted_choice(rng, p.n_trial, (~no_systemic).astype(float))

    t_o, t_p = np.asarray(t_o), np.asarray(t_p)
    death_d = np.maximum(np.ceil(t_o * DAYS_PER_MONTH), 1).astype(np.int64)
    prog_d = np.maximum(np.ceil(t_p * DAYS_PER_MONTH), 1).astype(np.int64)
    s_d = np.where(treated, np.floor(np.where(treated, s, 0) * DAYS_PER_MONTH), -1).astype(np.int64)
    cens_d = np.maximum(np.floor(cens * DAYS_PER_MONTH), 1).astype(np.int64)  # >= 1 day
    cens_d = np.maximum(cens_d, s_d + 1)  # followed beyond the local treatment day
    dead = death_d <= cens_d
    progressed = (prog_d < death_d) & (prog_d <= cens_d)
    last_d = np.where(dead, death_d, cens_d)

    death = np.where(dead, first_met + death_d, NO_DATE)
    progression = np.where(progressed, first_met + prog_d, NO_DATE)
    last_fu = first_met + last_d

    tr = _treatments(rng, p, first_met, last_d, prog_d, progressed, local, s_d,
                     ~no_systemic, trial, lung, bone, dead)
    return SimulatedArrays(
        centre=centre, patient_number=number, male=male, birth=birth, primary=primary,
        first_met=first_met, n_metastases=n_met, lung=lung, bone=bone, other=other,
        progression=progression, death=death, last_followup=last_fu, **tr,
        id_prefix=str(a["patient_id"]["value"]).split("-")[0], id_width=p.width_of_ids(),
        regimen_names=regimen_names(p),
    )


def _treatments(
    rng: np.random.Generator,
    p: SynthParameters,
    first_met: np.ndarray,
    last_d: np.ndarray,
    prog_d: np.ndarray,
    progressed: np.ndarray,
    local: np.ndarray,
    s_d: np.ndarray,
    systemic: np.ndarray,
    trial: np.ndarray,
    lung: np.ndarray,
    bone: np.ndarray,
    dead: np.ndarray,
) -> dict[str, np.ndarray]:
    """Treatment rows: one local treatment row per locally treated patient, systemic lines.

    The course of each row (end date and reason, response date, progression on the line)
    is drawn last by :func:`_course`, so that it changes no other draw.
    """
    a = p.a
    n = p.n
    reg = a["regimens"]
    tl = a["treatment_lines"]
    br = a["best_response"]
    rows: list[tuple[np.ndarray, ...]] = []
    table = regimen_names(p)

    def draw(names: list[str], size: int, prob: np.ndarray | None = None) -> np.ndarray:
        """Codes of ``size`` names drawn from ``names`` (as ``rng.choice(names, size, p)``)."""
        return _codes(table, names)[rng.choice(len(names), size=size, p=prob)]

    # local treatments (before progression and death by construction)
    loc = np.flatnonzero(local != LOCAL_NONE)
    kinds = local[loc].astype(np.int8)  # the local codes are the kind codes
    regimen = np.zeros(loc.size, dtype=np.int16)
    surg = _codes(table, reg["surgery"])
    site_reg = np.where(lung[loc], surg[0], np.where(bone[loc], surg[1], surg[2]))
    for code, kind in ((LOCAL_RT, "radiotherapy"), (LOCAL_ABLATION, "ablation")):
        k = kinds == code
        regimen[k] = draw(reg[kind], int(k.sum()))
    regimen[kinds == LOCAL_SURGERY] = site_reg[kinds == LOCAL_SURGERY]
    rows.append((loc, kinds, first_met[loc] + s_d[loc], np.zeros(loc.size, dtype=np.int64),
                 regimen, np.zeros(loc.size, dtype=bool), np.zeros(loc.size, dtype=np.int8)))

    # systemic line 1
    sysp = np.flatnonzero(systemic)
    lo1, hi1 = tl["first_line_delay"]
    d1 = np.minimum(rng.integers(int(lo1), int(hi1) + 1, size=sysp.size), last_d[sysp])
    # the first line starts before the first progression (which it is evaluated against)
    d1 = np.where(progressed[sysp], np.minimum(d1, np.maximum(prog_d[sysp] - 1, 0)), d1)
    reg1 = np.where(trial[sysp], draw(reg["trial"], sysp.size), draw(reg["first_line"], sysp.size))
    resp = RESPONSE_CR + rng.choice(3, size=sysp.size,  # CR, PR, SD
                                    p=np.asarray(br["first_line_probabilities"])
                                    / np.sum(br["first_line_probabilities"]))
    early_pd = progressed[sysp] & (prog_d[sysp] - d1 <= float(br["early_pd_months"]) * DAYS_PER_MONTH)
    resp = np.where(early_pd, RESPONSE_PD,
                    np.where(last_d[sysp] - d1 < 42, RESPONSE_NE, resp)).astype(np.int8)
    rows.append((sysp, np.full(sysp.size, KIND_SYSTEMIC, dtype=np.int8), first_met[sysp] + d1,
                 np.ones(sysp.size, dtype=np.int64), reg1, trial[sysp], resp))

    # systemic line 2 after progression, line 3 later
    lp = np.asarray(br["later_line_probabilities"]) / np.sum(br["later_line_probabilities"])
    lo2, hi2 = tl["second_line_delay"]
    d2 = prog_d + rng.integers(int(lo2), int(hi2) + 1, size=n)
    has2 = (systemic & progressed & (d2 <= last_d)
            & (rng.random(n) < float(tl["second_line_probability"])))
    lo3, hi3 = tl["third_line_delay"]
    d3 = d2 + rng.integers(int(lo3), int(hi3) + 1, size=n)
    has3 = has2 & (d3 <= last_d) & (rng.random(n) < float(tl["third_line_probability"]))
    for line, has, d in ((2, has2, d2), (3, has3, d3)):
        idx = np.flatnonzero(has)
        rows.append((idx, np.full(idx.size, KIND_SYSTEMIC, dtype=np.int8), first_met[idx] + d[idx],
                     np.full(idx.size, line, dtype=np.int64), draw(reg["later_line"], idx.size),
                     np.zeros(idx.size, dtype=bool),  # CR, PR, SD, PD
                     (RESPONSE_CR + rng.choice(4, size=idx.size, p=lp)).astype(np.int8)))

    cols = [np.concatenate([r[i] for r in rows]) for i in range(7)]
    fu_end = first_met + last_d
    cols += _course(rng, p, cols, fu_end, dead, first_met + prog_d, progressed, table)
    order = np.lexsort((cols[3], cols[2], cols[0]))
    names = ("tr_patient", "tr_kind", "tr_start", "tr_line", "tr_regimen", "tr_trial", "tr_response",
             "tr_end", "tr_end_reason", "tr_response_date", "tr_line_progression")
    return {k: c[order] for k, c in zip(names, cols, strict=True)}


def _course(
    rng: np.random.Generator,
    p: SynthParameters,
    cols: list[np.ndarray],
    fu_end: np.ndarray,
    dead: np.ndarray,
    first_progression: np.ndarray,
    progressed: np.ndarray,
    table: tuple[str, ...],
) -> list[np.ndarray]:
    """End date and reason, response date and progression on the line of each treatment row.

    Line 1 progresses at the patient's first progression. Line 2 progresses just before
    line 3 starts, else after an exponential time (``[assumptions.treatment_course]``);
    line 3 likewise. A line ends at its progression, at death, at the end of its planned
    duration (completed; targeted agents are given until progression) or earlier for
    toxicity; a line still running at the last follow-up is ongoing (no end date).
    Responses (CR, PR) are documented at the first evaluation after the start.
    """
    c = p.a["treatment_course"]
    pat, kind, start, line, regimen, _trial, resp = cols
    m = start.size
    end_fu = fu_end[pat]
    died = dead[pat]
    systemic = kind == KIND_SYSTEMIC
    prog = np.full(m, NO_DATE, dtype=np.int64)
    first = systemic & (line == 1) & progressed[pat]
    prog[first] = first_progression[pat][first]
    later_start = np.full(m, NO_DATE, dtype=np.int64)  # start of the next line of the patient
    row_of = np.full(p.n, -1, dtype=np.int64)  # the patient's row of the previous line
    for k in (2, 3):
        nxt = np.flatnonzero(systemic & (line == k))
        prev = np.flatnonzero(systemic & (line == k - 1))
        row_of[:] = -1
        row_of[pat[prev]] = prev
        j = row_of[pat[nxt]]
        later_start[j[j >= 0]] = start[nxt[j >= 0]]
    lo, hi = c["progression_before_next_line"]
    gap = rng.integers(int(lo), int(hi) + 1, size=m)
    draw = start + np.ceil(rng.exponential(float(c["later_line_pfs_mean"]) * DAYS_PER_MONTH,
                                           size=m)).astype(np.int64)
    has_next = later_start != NO_DATE
    later = systemic & (line >= 2)
    prog = np.where(later & has_next, np.maximum(later_start - gap, start + 1), prog)
    prog = np.where(later & ~has_next & (draw < end_fu), draw, prog)
    # planned duration, toxicity
    plo, phi = c["planned_days"]
    planned = start + rng.integers(int(plo), int(phi) + 1, size=m)
    targeted = np.isin(regimen, _codes(table, c["until_progression"]))
    planned = np.where(targeted, np.iinfo(np.int64).max // 2, planned)
    toxic = systemic & (rng.random(m) < float(c["toxicity_probability"]))
    tox_end = start + np.ceil((np.minimum(planned, start + int(phi)) - start)
                              * rng.uniform(0.2, 0.8, size=m)).astype(np.int64)
    planned = np.where(toxic, tox_end, planned)
    big = np.iinfo(np.int64).max // 2
    prog_or_big = np.where(prog == NO_DATE, big, prog)
    death_or_big = np.where(died, end_fu, big)
    end = np.minimum(np.minimum(prog_or_big, death_or_big), planned)
    reason = np.where(end == prog_or_big, END_PROGRESSION,
                      np.where(end == death_or_big, END_DEATH,
                               np.where(toxic, END_TOXICITY, END_COMPLETED))).astype(np.int8)
    # local treatments: surgery and ablation are one day, radiotherapy a few weeks
    rlo, rhi = c["radiotherapy_days"]
    rt_end = start + rng.integers(int(rlo), int(rhi) + 1, size=m)
    end = np.where(systemic, end, np.where(kind == LOCAL_RT, rt_end, start))
    reason = np.where(systemic, reason, END_COMPLETED).astype(np.int8)
    ongoing = end > end_fu
    end = np.where(ongoing, NO_DATE, end)
    reason[ongoing] = END_ONGOING
    elo, ehi = c["response_evaluation_days"]
    seen = start + rng.integers(int(elo), int(ehi) + 1, size=m)
    cap = np.where(prog == NO_DATE, end_fu, prog - 1)
    responded = systemic & ((resp == RESPONSE_CR) | (resp == RESPONSE_PR))
    resp_date = np.where(responded, np.maximum(np.minimum(seen, cap), start), NO_DATE)
    return [end.astype(np.int64), reason, resp_date.astype(np.int64), prog.astype(np.int64)]
