"""The runner refits a model with monotone likelihood by Firth's method and says so.

Oracle: tests/reference/firth/sep_efron.json (R, penalised partial likelihood maximised
numerically; see tests/reference/R/make_firth.R): the report's numbers are Firth's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from fixtures.small_cohort import cohort, study
from sarcohort.analysis._regression import fit_cox
from sarcohort.report._narrative import methods

REF = Path(__file__).parents[1] / "reference"


def test_monotone_likelihood_refitted_with_firth() -> None:
    ref = json.loads((REF / "firth" / "sep_efron.json").read_text())
    df = pd.read_csv(REF / ref["data"])
    df["grp"] = np.where(df["grp"] == 1, "yes", "no")  # a yes/no factor, 'yes' without events
    m = fit_cox("os", "Overall survival", df["time"].to_numpy(), df["status"].to_numpy(), df,
                ["grp", "age"], kind="multivariable", ties="efron", conf_level=0.95)
    assert m.firth
    np.testing.assert_allclose([t.coef for t in m.terms], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose([np.log(t.lower) for t in m.terms], ref["lower"], rtol=1e-6)
    np.testing.assert_allclose([np.log(t.upper) for t in m.terms], ref["upper"], rtol=1e-6)
    np.testing.assert_allclose([t.p for t in m.terms], ref["lr_coef_p"], rtol=1e-6)
    assert any("Firth" in w for w in m.warnings)
    assert not any(w.startswith("monotone likelihood") for w in m.warnings)


def test_report_methods_name_the_refit() -> None:
    c = cohort()
    # no event among the patients flagged: the three censored ones
    c.patients["flag"] = ~c.patients["os_event"].to_numpy()
    r = study(factors=["flag", "met_bone"]).analyze(c)
    uni = [m for m in r.univariable if m.covariates == ("flag",) and m.endpoint == "os"]
    assert uni and uni[0].firth and uni[0].terms[0].hr is not None and uni[0].terms[0].hr < 1
    text = methods(r)
    assert "Firth's penalised partial likelihood" in text and "univariable model of overall survival" in text
    assert not any(m.firth for m in r.univariable if m.covariates == ("met_bone",))
    assert "Firth" not in methods(study().analyze(cohort()))
