"""The per-line summaries of the treatment course equal those of a pandas group-by.

Oracle: the group-by implementation the array-based one replaced (one ``groupby("line")``,
``value_counts`` of the regimens, ``==`` per response), kept here verbatim; the results
must be equal field by field (floats bit for bit) on randomised treatment tables (lines
held in several rows, missing regimens and responses, unknown patients, regimen labels).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sarcohort.analysis._results import LineSummary, RegimenCount
from sarcohort.analysis._survival import KMOptions, km_analysis
from sarcohort.analysis._treatments import _duration, _share, treatment_course
from sarcohort.cohort import cohort_from_frames
from sarcohort.cohort._lines import RESPONSE_ORDER, treatment_lines
from sarcohort.data._schema import DISEASE_CONTROL, OBJECTIVE_RESPONSES
from sarcohort.synth import generate

KM = dict(conf_type="log-log", conf_level=0.95, median_ci="brookmeyer-crowley")
UNIT = 30.4375


def _cohort(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort's tables, some regimens and responses blanked, a line split over
    two rows with a second regimen."""
    rng = np.random.default_rng(seed)
    s = generate(n=150, seed=seed, messy=seed % 2 == 1)
    cohort = cohort_from_frames(s.patients, s.treatments, today="2024-01-01")
    t = cohort.treatments.copy()
    t.loc[rng.random(len(t)) < 0.1, "regimen"] = None
    t.loc[rng.random(len(t)) < 0.1, "best_response"] = None
    extra = t[t["kind"] == "systemic"].head(5).assign(regimen="ifosfamide")
    return cohort.patients, pd.concat([t, extra], ignore_index=True)


def _groupby_course(patients, treatments, labels):
    """The replaced implementation: regimens, line summaries and PFS by line."""
    lines, _ = treatment_lines(patients, treatments)
    if labels and len(lines):
        lines["regimen"] = lines["regimen"].map(lambda r: labels.get(r, r) if r else r)
    km = KMOptions(**KM)
    regimens, summaries = [], []
    for k, g in lines.groupby("line", sort=True):
        n_line = len(g)
        names = g["regimen"].fillna("not recorded")
        for reg, cnt in names.value_counts(sort=False).sort_index().items():
            regimens.append(RegimenCount(int(k), str(reg), int(cnt), n_line))
        best = g["best_response"]
        counts = tuple((r, int((best == r).sum())) for r in RESPONSE_ORDER)
        counts += (("missing", int(best.isna().sum())),)
        responders = g["best_response"].isin(OBJECTIVE_RESPONSES).to_numpy()
        dor = (_duration(g["dor_days"].to_numpy(float)[responders] / UNIT,
                         g["dor_event"].to_numpy(bool)[responders], km)
               if responders.any() else None)
        summaries.append(LineSummary(
            line=int(k), n=n_line, n_in_trial=int(g["in_trial"].sum()), responses=counts,
            orr=_share(int(responders.sum()), len(g), 0.95),
            dcr=_share(int(best.isin(DISEASE_CONTROL).sum()), len(g), 0.95),
            pfs=_duration(g["pfs_days"].to_numpy(float) / UNIT, g["pfs_event"].to_numpy(bool), km),
            time_to_next=_duration(g["ttnt_days"].to_numpy(float) / UNIT,
                                   g["ttnt_event"].to_numpy(bool), km),
            time_on_line=_duration(g["time_on_line_days"].to_numpy(float) / UNIT,
                                   g["time_on_line_event"].to_numpy(bool), km),
            response_duration=dor))
    t = lines["pfs_days"].to_numpy(float) / UNIT
    ok = np.isfinite(t)
    groups = ("Line " + lines["line"].astype(int).astype(str)).to_numpy(dtype=object)
    order = [f"Line {k}" for k in sorted(lines["line"].unique())]
    pfs = km_analysis("pfs_line", "Progression-free survival", t[ok],
                      lines["pfs_event"].to_numpy(bool)[ok], groups[ok], order, factor="line",
                      factor_label="Line of treatment",
                      options=dataclasses.replace(km, times_at_risk=(0.0, 12.0, 24.0)))
    return tuple(regimens), tuple(summaries), pfs.groups


@pytest.mark.parametrize("labels", [{}, {"sorafenib": "cabozantinib", "ifosfamide": "IFO"}])
@pytest.mark.parametrize("seed", range(6))
def test_course_equals_the_groupby_computation(seed, labels):
    patients, treatments = _cohort(seed)
    course = treatment_course(patients, treatments, unit_days=UNIT, regimen_labels=labels,
                              times_at_risk=(0.0, 12.0, 24.0), **KM)
    regimens, summaries, pfs_groups = _groupby_course(patients, treatments, labels)
    assert course.regimens == regimens
    assert course.lines == summaries
    assert course.pfs_by_line is not None and course.pfs_by_line.groups == pfs_groups
    assert repr(course.lines) == repr(summaries)  # floats bit for bit (NaN included)
