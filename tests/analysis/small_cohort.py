"""A small cohort with hand-checkable answers, shared by the study/analysis/report tests.

Twelve patients (ids P0001..P0012). Times are whole months (days = months x 30.4375).
Hand facts used by the tests:

* timing: 4 synchronous (P0001-P0004), 8 metachronous;
* sex: M for odd patients (6), F for even (6); synchronous M/F = 2/2, metachronous 4/4;
* centre: 3 patients in a centre named ``<script>alert(1)</script>``, 3 in ``=HYPERLINK("x")``,
  6 in ``Lyon``;
* age: 20, 22, ..., 42 (mean 31, range 20-42); one missing (P0012) -> 11 known, mean 30;
* OS months 2, 3, 5, 7, 8, 10, 12, 14, 16, 20, 24, 30; censored: P0004 (7), P0010 (20), P0012 (30).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

MONTH = 30.4375
OS_MONTHS = [2, 3, 5, 7, 8, 10, 12, 14, 16, 20, 24, 30]
OS_EVENT = [True, True, True, False, True, True, True, True, True, False, True, False]
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("x")'


def patients() -> pd.DataFrame:
    n = 12
    ids = [f"P{i:04d}" for i in range(1, n + 1)]
    age = np.arange(20.0, 44.0, 2.0)
    age[-1] = np.nan
    df = pd.DataFrame({
        "centre": [SCRIPT] * 3 + [FORMULA] * 3 + ["Lyon"] * 6,
        "sex": ["M" if i % 2 == 1 else "F" for i in range(1, n + 1)],
        "birth_date": pd.to_datetime([f"19{60 + i}-03-1{i % 9}" for i in range(n)]),
        "age_at_metastasis": age,
        "timing": ["synchronous"] * 4 + ["metachronous"] * 8,
        "n_metastases": [1, 8, 2, 9, 3, 7, 1, 6, 2, 1, 10, 2],
        "met_bone": ["yes", "no", "no", "yes", "no", "no", "no", "yes", "no", "no", "no", "no"],
        "metastasis_surgery": [False, True, False, True, True, False, True, True, False, True,
                               False, True],
        "os_days": np.array(OS_MONTHS, float) * MONTH,
        "os_event": OS_EVENT,
    }, index=pd.Index(ids, name="pseudo_id"))
    df["pfs_days"] = np.round(df["os_days"] * 0.5)
    df["pfs_event"] = True
    df["more_than_5_metastases"] = df["n_metastases"] > 5
    # surgery 1 month after the first metastasis for the operated (before every event)
    df["surgery_days"] = np.where(df["metastasis_surgery"], 1.0 * MONTH, np.nan)
    return df


def cohort() -> SimpleNamespace:
    """A Cohort-like object: patients, flow, manifest (what the runner reads)."""
    from sarcohort.cohort.flow import PatientFlow

    return SimpleNamespace(
        patients=patients(),
        flow=PatientFlow.from_exclusions(14, [("age below 18 at first metastasis", 2)]),
        manifest={"sources": {"patients.csv": "0" * 64}},
        report=None,
    )


def protocol(**analysis: object) -> dict:
    """The protocol of the small cohort (its [analysis] keys overridable)."""
    a = {
        "endpoints": ["os", "pfs"],
        "group": "timing",
        "group_order": ["synchronous", "metachronous"],
        "descriptive": ["centre", "sex", "age_at_metastasis", "n_metastases", "met_bone",
                        "metastasis_surgery"],
        "factors": ["more_than_5_metastases", "metastasis_surgery", "met_bone"],
        "median_ci": "brookmeyer-crowley",
        "landmarks": [6, 12],
        "multivariable": {"os": ["more_than_5_metastases", "metastasis_surgery"],
                          "pfs": ["more_than_5_metastases", "metastasis_surgery"]},
    }
    a.update(analysis)
    return {"study": {"title": f"Small {SCRIPT} study", "version": "0.1"}, "analysis": a,
            "report": {"factor_figures": False}}


def study(**analysis: object):
    from sarcohort.study import Study

    return Study.from_dict(protocol(**analysis), "small/study.toml")


def results(**analysis: object):
    return study(**analysis).analyze(cohort())
