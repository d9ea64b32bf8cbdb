"""The public ``cox`` front: array and formula forms agree, R's coding and names, input errors,
monotone likelihood, missing values, and the result's frame.

Oracles: R's ``coxph`` reference cases (tests/reference, R 4.2.2 / survival 3.5-3) for the
numbers; R's documented ``model.matrix`` rules for names (treatment contrasts, a factor in an
interaction without its main effect gets one column per level, the first factor varies
fastest); the exact partial likelihood equals Breslow's when no event times are tied.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reference.oracle import assert_close, load_case, load_dataset
from sarcohort.exceptions import ConvergenceWarning, InputError
from sarcohort.stats.cox import cox
from sarcohort.stats.design import build_design


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return load_dataset("lung")


def test_arrays_equal_formula_and_r(lung) -> None:
    r = load_case("cox_lung_age_sex_efron")["result"]
    fit = cox(lung["time"].to_numpy(), lung["status"].to_numpy(), lung[["age", "sex"]])
    assert fit.terms == ("age", "sex")
    assert_close(fit.coef, r["tight_fit"]["coef"], rtol=1e-6)
    assert_close(fit.se, r["se"], rtol=1e-6)
    g = cox("Surv(time, status) ~ age + sex", data=lung)
    np.testing.assert_allclose(fit.coef, g.coef, rtol=1e-12)
    assert fit.concordance.value == pytest.approx(r["concordance"]["concordance"], rel=1e-9)


def test_array_strata_cluster_and_missing_values(lung) -> None:
    """Array form of ``age + ph.ecog + strata(sex)`` (one NA in ph.ecog: arrays refuse it, as
    kaplan_meier and logrank do; the caller drops the row) and of ``age + sex + cluster(inst)``
    (one NA in inst)."""
    r = load_case("cox_lung_strata_sex_efron")["result"]
    x = lung[["age", "ph.ecog"]].to_numpy()
    with pytest.raises(InputError, match=r"^X: missing value at row 13, column ph.ecog"):
        cox(lung["time"], lung["status"], x, strata=lung["sex"].to_numpy(), names=["age", "ph.ecog"])
    ok = ~np.isnan(x).any(axis=1)
    fit = cox(lung["time"][ok], lung["status"][ok], x[ok], strata=lung["sex"].to_numpy()[ok],
              names=["age", "ph.ecog"])
    assert fit.n_missing == 0 and fit.n == r["n"] == len(lung) - r["n_missing"]
    assert_close(fit.coef, r["tight_fit"]["coef"], rtol=1e-6)
    assert fit.strata_labels == ("strata=1", "strata=2")
    r = load_case("cox_lung_cluster_inst_efron")["result"]
    inst = lung["inst"].to_numpy()
    keep = ~np.isnan(inst)
    fit = cox(lung["time"][keep], lung["status"][keep], lung[["age", "sex"]][keep], cluster=inst[keep])
    assert_close(fit.robust_se, r["robust_se"], rtol=1e-6)
    assert_close(fit.robust_score_test.statistic, r["robust_score_test"]["statistic"], rtol=1e-6)
    assert_close(fit.concordance.se, r["concordance"]["se"], rtol=1e-6)


def test_offset_array(lung) -> None:
    r = load_case("cox_lung_offset_efron")["result"]
    fit = cox(lung["time"], lung["status"], lung[["sex"]], offset=0.02 * lung["age"].to_numpy())
    assert_close(fit.coef, r["tight_fit"]["coef"], rtol=1e-6)
    assert_close([fit.loglik_null, fit.loglik], r["loglik"], rtol=1e-9)


def test_exact_equals_breslow_without_ties() -> None:
    rng = np.random.default_rng(3)
    n = 40
    t = rng.permutation(n).astype(float) + 1  # all distinct
    e = rng.random(n) < 0.7
    x = rng.normal(size=(n, 2))
    a = cox(t, e, x, ties="exact")
    b = cox(t, e, x, ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)


def test_r_names_and_coding() -> None:
    df = pd.DataFrame({
        "celltype": pd.Categorical(["squamous", "adeno", "large", "adeno"],
                                   categories=["squamous", "smallcell", "adeno", "large"]),
        "karno": [60.0, 70.0, 80.0, 90.0],
        "grade": [1, 2, 3, 2],
        "sex": ["m", "f", "f", "m"],
    })
    d = build_design("karno + factor(grade) + sex + karno:sex", df)
    assert d.columns == ("karno", "factor(grade)2", "factor(grade)3", "sexm", "karno:sexm")
    assert d.terms == ("karno", "factor(grade)", "sex", "karno:sex")
    np.testing.assert_array_equal(d.X[:, 1], [0, 1, 0, 1])
    np.testing.assert_array_equal(d.X[:, 4], [60, 0, 0, 90])
    # variables of an interaction in order of first appearance; karno is in the model, so
    # celltype gets contrasts (unused level 'smallcell' dropped: R would give an NA column)
    d = build_design("karno + celltype:karno", df)
    assert d.columns == ("karno", "karno:celltypeadeno", "karno:celltypelarge")
    assert d.terms == ("karno", "karno:celltype")
    # without the margin, one column per level
    d = build_design("celltype:karno", df)
    assert d.columns == ("celltypesquamous:karno", "celltypeadeno:karno", "celltypelarge:karno")
    # interactions expand and are ordered by degree, first factor fastest
    d = build_design("(karno + sex) * celltype", df)
    assert d.columns[:5] == ("karno", "sexm", "celltypeadeno", "celltypelarge", "karno:celltypeadeno")
    assert d.terms == ("karno", "sex", "celltype", "karno:celltype", "sex:celltype")
    assert d.columns[-2:] == ("sexm:celltypeadeno", "sexm:celltypelarge")


def test_monotone_likelihood_warns_with_the_covariate_name() -> None:
    rng = np.random.default_rng(1)
    n = 80
    metastases = rng.integers(0, 2, n).astype(float)
    age = rng.normal(60, 10, n)
    t = rng.integers(1, 100, n).astype(float)
    e = (rng.random(n) < 0.6) & (metastases == 0)  # no event among patients with metastases
    with pytest.warns(ConvergenceWarning, match="metastases"):
        cox(t, e, np.column_stack([age, metastases]), names=["age", "metastases"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        cox(t, rng.random(n) < 0.6, np.column_stack([age, metastases]))  # a regular fit: no warning


@pytest.mark.parametrize(
    "kwargs,argument",
    [
        ({"ties": "average"}, "ties"),
        ({"X": np.ones((5, 1))}, "X"),
        ({"time": -np.arange(10.0)}, "time"),
        ({"entry": np.full(10, 20.0)}, "entry"),
        ({"X": np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])}, "x2"),
        ({"X": np.ones((10, 1))}, "x1"),
        ({"event": np.full(10, 3)}, "event"),
        ({"event": np.zeros(10)}, "event"),
    ],
)
def test_input_errors_name_the_argument(kwargs, argument) -> None:
    base = {"time": np.arange(1.0, 11.0), "event": np.tile([1, 0], 5), "X": np.arange(10.0)[:, None] % 3}
    base.update(kwargs)
    args = (base.pop("time"), base.pop("event"), base.pop("X"))
    with pytest.raises(InputError) as err:
        cox(*args, **base)
    assert argument in str(err.value)


def test_formula_errors(lung) -> None:
    with pytest.raises(InputError):
        cox("Surv(time, status) ~ age + nosuchcolumn", data=lung)
    with pytest.raises(InputError, match=r"log\(wt.loss \+ 1\)"):  # wt.loss = -1 gives log(0)
        cox("Surv(time, status) ~ age + log(wt.loss + 1)", data=lung.assign(**{"wt.loss": lung["wt.loss"].fillna(-1)}))


def test_nan_from_a_transform_is_dropped_and_counted(lung) -> None:
    """R's model.frame evaluates log(x) first and na.omit drops the NaN rows: log(wt.loss)
    is NaN for negative weight loss, -Inf for 0 (kept out here with wt.loss + 0.5)."""
    f = cox("Surv(time, status) ~ age + log(wt.loss + 0.5)", data=lung)
    ok = lung["wt.loss"].notna() & (lung["wt.loss"] + 0.5 > 0)
    assert f.n == int(ok.sum()) and f.n_missing == len(lung) - int(ok.sum())
    g = cox("Surv(time, status) ~ age + log(wt.loss + 0.5)", data=lung[ok])
    np.testing.assert_allclose(f.coef, g.coef, rtol=1e-12)
    with pytest.raises(InputError, match="data"):
        cox("Surv(time, status) ~ age")


def test_to_frame_and_predict(lung) -> None:
    fit = cox("Surv(time, status) ~ age + sex", data=lung, robust=True)
    frame = fit.to_frame()
    assert list(frame.index) == ["age", "sex"]
    assert {"coef", "hr", "se", "robust_se", "z", "p", "lower 95%", "upper 95%"} <= set(frame.columns)
    np.testing.assert_allclose(frame["hr"], np.exp(fit.coef))
    # array predictions equal formula predictions for the same profile
    arr = cox(lung["time"], lung["status"], lung[["age", "sex"]], robust=True)
    a = arr.predict_survival(np.array([[60.0, 2.0]])).curves[0]
    b = fit.predict_survival(pd.DataFrame({"age": [60], "sex": [2]})).curves[0]
    np.testing.assert_allclose(a.surv, b.surv, rtol=1e-12)
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)
    assert fit.baseline_hazard().to_frame().shape[1] == 4
    assert fit.zph().to_frame().index[-1] == "GLOBAL"


def test_case_weights_equal_replicated_rows_breslow() -> None:
    """With Breslow ties, integer case weights are the same likelihood as replicated rows
    (oracle: the definition; Efron's approximation differs between the two, as in R)."""
    rng = np.random.default_rng(5)
    n = 60
    t = rng.integers(1, 30, n).astype(float)
    e = rng.random(n) < 0.7
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    w = rng.integers(1, 4, n)
    a = cox(t, e, x, weights=w.astype(float), ties="breslow")
    rep = np.repeat(np.arange(n), w)
    b = cox(t[rep], e[rep], x[rep], ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-6)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    np.testing.assert_allclose(a.baseline_hazard().hazard, b.baseline_hazard().hazard, rtol=1e-6)


def test_formula_weights_missing_dropped_and_checked_as_arrays():
    # R's na.omit drops a row whose weight is NA; the formula path equals the array path
    # fitted on the other rows, and a non-positive weight is refused in both paths
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"t": rng.exponential(size=40), "s": rng.integers(0, 2, 40),
                       "x": rng.normal(size=40)})
    w = rng.uniform(0.5, 2.0, 40)
    w[3] = np.nan
    f = cox("Surv(t, s) ~ x", data=df, weights=w)
    keep = ~np.isnan(w)
    g = cox(df.t.to_numpy()[keep], df.s.to_numpy()[keep], df[["x"]].to_numpy()[keep],
            weights=w[keep])
    assert f.n_missing == 1 and f.n == 39
    np.testing.assert_allclose(f.coef, g.coef, rtol=1e-12)
    w[3] = -1.0
    with pytest.raises(InputError, match="weights"):
        cox("Surv(t, s) ~ x", data=df, weights=w)


def test_constant_covariates_are_refused_not_estimated():
    """R gives NA for a constant covariate; we stop and name it rather than print a made-up HR."""
    rng = np.random.default_rng(4)
    n = 60
    df = pd.DataFrame({"t": rng.exponential(size=n), "e": rng.random(n) < 0.7, "x": rng.normal(size=n),
                       "one": 1.0, "flag": True, "partly": np.where(np.arange(n) < 5, np.nan, 2.0)})
    for term in ("one", "flag", "partly"):  # partly: constant once na.omit drops its missing rows
        with pytest.raises(InputError, match=term):
            cox(f"Surv(t, e) ~ x + {term}", data=df)
    with pytest.raises(InputError, match="constant"):
        cox(df["t"].to_numpy(), df["e"].to_numpy(), np.column_stack([df["x"], np.ones(n)]))
