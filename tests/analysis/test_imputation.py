"""Multiple imputation by chained equations for the multivariable models.

Oracles: the Nelson-Aalen hazard of the imputation models equals R's mice::nelsonaalen
(tests/reference/R/make_pool.R, stored in pool/lung_coxph.json); the pooling equals
mice::pool (tests/stats/test_pool.py). The imputations themselves are random draws (no outside
oracle can reproduce them): their properties are checked (observed values kept, every
imputed value an observed one (predictive mean matching), factor levels valid, the seed
reproduces them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures.small_cohort import results
from sarcohort.analysis._imputation import impute, nelson_aalen
from sarcohort.analysis._results import Results
from sarcohort.report._narrative import methods

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def lung():
    df = pd.read_csv(REF / "data" / "lung.csv")
    df["sex_f"] = np.where(df["sex"] == 2, "female", "male")
    df.loc[[3, 7, 11], "sex_f"] = None
    return df


def test_nelson_aalen_equals_mice(lung) -> None:
    ref = json.loads((REF / "pool" / "lung_coxph.json").read_text())
    got = nelson_aalen(lung["time"].to_numpy(), (lung["status"] == 2).to_numpy())
    np.testing.assert_allclose(got, ref["nelson_aalen"], rtol=1e-12)


def test_imputations_keep_observed_values_and_draw_observed_ones(lung) -> None:
    covs = ["age", "sex_f", "ph.ecog", "wt.loss"]
    ev = (lung["status"] == 2).to_numpy()
    imp = impute(lung, covs, lung["time"].to_numpy(), ev, m=3, seed=4)
    assert imp.n_imputed == {"age": 0, "sex_f": 3, "ph.ecog": 1, "wt.loss": 14}
    assert len(imp.completed) == 3
    for done in imp.completed:
        assert not done.isna().any().any()
        for c in covs:
            seen = lung[c].notna()
            assert (done.loc[seen, c].to_numpy() == lung.loc[seen, c].to_numpy()).all()
            assert set(done.loc[~seen, c]) <= set(lung.loc[seen, c])
    assert not imp.completed[0]["wt.loss"].equals(imp.completed[2]["wt.loss"])  # m different draws
    again = impute(lung, covs, lung["time"].to_numpy(), ev, m=3, seed=4)
    for a, b in zip(imp.completed, again.completed, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_runner_shows_complete_case_and_imputed_side_by_side(tmp_path) -> None:
    r = results(missing={"method": "multiple-imputation", "m": 5, "seed": 2},
                multivariable={"os": ["age_at_metastasis", "met_bone"], "pfs": ["met_bone"]})
    assert [m.endpoint for m in r.imputed] == ["os"]  # pfs: met_bone has no missing value
    assert any("no multiple imputation needed" in w for w in r.warnings)
    os_imp = r.imputed[0]
    assert os_imp.m == 5 and dict(os_imp.n_imputed)["Age at metastasis, years"] == 1
    assert os_imp.n == 12 and r.model("os").n == 11  # one patient has no age
    assert [t.name for t in os_imp.terms] == [t.name for t in r.model("os").terms]
    assert "multiple imputation by chained equations" in methods(r)
    assert Results.from_json(r.to_json()).imputed == r.imputed
    import sarcohort.report

    sarcohort.report.write(r, tmp_path / "rep", formats=("html",), figure_formats=("svg",))
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "multiply imputed multivariable Cox model" in html and "Imputed values per variable" in html
    plain = results()
    assert plain.imputed == () and "imputation" not in methods(plain)
