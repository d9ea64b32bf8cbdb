"""Calibration groups of the model validation: predicted survival at the horizon.

Oracle: each patient's prediction equals ``fit.predict_survival`` (R's survfit(fit, newdata),
checked in tests/stats) at the horizon; observed = the group's Kaplan-Meier at the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from sarcohort.analysis._validation import validate_model

MONTH = 30.4375


def test_calibration_groups_use_the_model_predictions() -> None:
    df = pd.read_csv("tests/reference/data/lung.csv").dropna(subset=["age", "sex", "ph.ecog"])
    t, e = df["time"].to_numpy() / MONTH, (df["status"] == 2).to_numpy()
    v, why = validate_model("os", "OS", t, e, df, ["age", "sex", "ph.ecog"], ["age", "sex", "ph.ecog"],
                            selection="explicit", p_threshold=0.05, ties="efron", B=10, seed=1,
                            horizon=12.0, conf_level=0.95)
    assert why is None and v is not None
    X = df[["age", "sex", "ph.ecog"]].astype(float)
    fit = sc.cox(t, e, X)
    curves = fit.predict_survival(X).curves
    pred = np.array([c.surv[np.searchsorted(c.time, 12.0, side="right") - 1] for c in curves])
    order = np.argsort(pred, kind="stable")
    groups = np.array_split(order, len(v.calibration))
    assert [g.n for g in v.calibration] == [len(g) for g in groups]
    for cg, rows in zip(v.calibration, groups, strict=True):
        assert cg.predicted == pytest.approx(pred[rows].mean(), rel=1e-9)
        km = next(iter(sc.kaplan_meier(t[rows], e[rows]).curves.values()))
        assert cg.observed == pytest.approx(km.survival_at(12.0)[0][0], rel=1e-12)
