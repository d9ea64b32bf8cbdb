"""Scaled Schoenfeld residuals and plot.cox.zph's smooth against R (survival 3.5-3).

Oracle: tests/reference/R/zph_scaled.R -> tests/reference/values/zph_scaled_gbsg.json
(cox.zph(fit, transform = "km") with and without terms, and plot.cox.zph's lines computed
step by step as in its body).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcohort.stats.cox import cox
from sarcohort.stats.zph_scaled import scaled_schoenfeld, time_axis_ticks, zph_smooth, zph_terms

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def case():
    r = json.loads((REF / "values" / "zph_scaled_gbsg.json").read_text())
    d = pd.read_csv(REF / "data" / "gbsg.csv")
    X = pd.DataFrame({"age": d["age"], "hormon": d["hormon"],
                      "grade2": (d["grade"] == 2).astype(float),
                      "grade3": (d["grade"] == 3).astype(float)})
    fit = cox(d["rfstime"].to_numpy(float), d["status"].to_numpy(bool), X, ties="efron")
    return r, fit


def test_coefficients_match(case):
    r, fit = case
    np.testing.assert_allclose(np.asarray(fit.coef), r["coef"], rtol=1e-6)


def test_grouped_terms_match_cox_zph_table(case):
    r, fit = case
    z = zph_terms(fit, [("age", [0]), ("hormon", [1]), ("factor(grade)", [2, 3])])
    t = r["table_terms"]
    assert list(z.rows) == ["age", "hormon", "factor(grade)", "GLOBAL"]
    np.testing.assert_allclose(z.chisq, t["chisq"], rtol=1e-6)
    np.testing.assert_array_equal(z.df, t["df"])
    np.testing.assert_allclose(z.p, t["p"], rtol=1e-6)


@pytest.mark.parametrize("block", [None, 50])
def test_scaled_residuals_match_cox_zph_y(case, block, monkeypatch):
    """Oracle: R's cox.zph(fit)$y; also scaled in blocks of 50 events (a registry's blocks)."""
    from sarcohort.stats import zph_scaled

    if block is not None:
        monkeypatch.setattr(zph_scaled, "BLOCK_ROWS", block)
    r, fit = case
    s = scaled_schoenfeld(fit)
    assert block is None or s.y.shape[0] > 2 * block
    np.testing.assert_allclose(s.time, r["time"], rtol=1e-12)
    np.testing.assert_allclose(s.x, r["x"], rtol=1e-10)
    np.testing.assert_allclose(s.var, np.array(r["var"]), rtol=1e-6)
    y_r = np.array(r["y"])
    # rows with the same event time may come in another order: compare per time, sorted
    for j in range(y_r.shape[1]):
        ours = sorted(zip(s.time, np.round(s.y[:, j], 9), strict=True))
        theirs = sorted(zip(r["time"], np.round(y_r[:, j], 9), strict=True))
        np.testing.assert_allclose([v for _, v in ours], [v for _, v in theirs], rtol=1e-6,
                                   atol=1e-8)


def test_smooth_and_band_match_plot_cox_zph(case):
    r, fit = case
    s = scaled_schoenfeld(fit)
    for j, ref in enumerate(r["smooth"]):
        sm = zph_smooth(s.x, s.y[:, j], s.var[j, j])
        # 1e-6 of the curve's scale: a band crossing zero has no relative precision there
        atol = 1e-6 * float(np.max(np.abs(ref["upper"])))
        np.testing.assert_allclose(sm.x, ref["x"], rtol=1e-10)
        np.testing.assert_allclose(sm.fit, ref["fit"], rtol=1e-6, atol=atol)
        np.testing.assert_allclose(sm.lower, ref["lower"], rtol=1e-6, atol=atol)
        np.testing.assert_allclose(sm.upper, ref["upper"], rtol=1e-6, atol=atol)
    pos, labels = time_axis_ticks(s.x, s.time)
    np.testing.assert_allclose(labels, r["smooth"][0]["axis_labels"])
    np.testing.assert_allclose(pos, r["smooth"][0]["axis_at"], rtol=1e-10)


def test_overall_p_of_a_factor_is_r_drop1_lr_test():
    """The runner's overall P of a factor with 3 levels: R's drop1(fit, test = "Chisq")."""
    from sarcohort.analysis._regression import fit_cox

    r = json.loads((REF / "values" / "zph_scaled_gbsg.json").read_text())["drop1"]
    d = pd.read_csv(REF / "data" / "gbsg.csv")
    d["grade"] = pd.Categorical(d["grade"].astype(str), categories=["1", "2", "3"])
    m = fit_cox("rfs", "RFS", d["rfstime"].to_numpy(float), d["status"].to_numpy(bool), d,
                ["age", "hormon", "grade"], kind="multivariable", ties="efron", conf_level=0.95)
    grade = next(v for v in m.variables if v.name == "grade")
    i = r["rows"].index("factor(grade)")
    assert grade.kind == "factor" and grade.reference == "1" and grade.overall_df == r["df"][i] == 2
    np.testing.assert_allclose(grade.overall_chisq, r["lrt"][i], rtol=1e-6)
    np.testing.assert_allclose(grade.overall_p, r["p"][i], rtol=1e-6)
    zph = {z.name: z for z in m.zph}
    assert zph["grade"].df == 2 and zph["GLOBAL"].df == 4
    t = json.loads((REF / "values" / "zph_scaled_gbsg.json").read_text())["table_terms"]
    np.testing.assert_allclose([zph[k].p for k in ("age", "hormon", "grade", "GLOBAL")], t["p"],
                               rtol=1e-6)
    assert [c.term for c in m.zph_curves] == ["age", "hormon", "grade=2", "grade=3"]


def test_zph_points_by_hand():
    """Evenly spaced in rank: round(linspace(0, 9, 4)) = 0, 3, 6, 9, plus the lowest (index
    4) and the highest (index 7) residual; all of them up to the limit."""
    from sarcohort.analysis._regression import zph_points

    y = np.array([0.0, 1, 2, 3, -5, 4, 5, 9, 6, 7])
    assert zph_points(y, 4).tolist() == [0, 3, 4, 6, 7, 9]
    assert zph_points(y, 10).tolist() == list(range(10))


def test_residual_sample_keeps_smooth_and_test(monkeypatch):
    """With few points allowed (monkeypatched), the model shows a sample of the residuals
    (said in points_shown / points_total); the smooth, its band and the P values are those
    computed from all residuals (checked against R above)."""
    from sarcohort.analysis import _regression
    from sarcohort.analysis._regression import fit_cox

    d = pd.read_csv(REF / "data" / "gbsg.csv")

    def fit():
        return fit_cox("rfs", "RFS", d["rfstime"].to_numpy(float), d["status"].to_numpy(bool),
                       d, ["age", "hormon"], kind="multivariable", ties="efron", conf_level=0.95)

    full = fit()
    monkeypatch.setattr(_regression, "ZPH_POINTS", 50)
    sampled = fit()
    assert [z.p for z in sampled.zph] == [z.p for z in full.zph]
    for a, b in zip(full.zph_curves, sampled.zph_curves, strict=True):
        assert a.points_shown == a.points_total == len(a.x) == int(d["status"].sum())
        assert b.points_total == a.points_total and 50 <= b.points_shown == len(b.x) <= 52
        assert (b.smooth, b.lower, b.upper, b.smooth_x) == (a.smooth, a.lower, a.upper, a.smooth_x)
        idx = _regression.zph_points(np.array(a.y), 50)
        assert b.x == tuple(np.array(a.x)[idx]) and b.y == tuple(np.array(a.y)[idx])
        assert (b.x[0], b.x[-1]) == (a.x[0], a.x[-1])
        assert (min(b.y), max(b.y)) == (min(a.y), max(a.y))


def test_shared_score_and_batched_smooths_give_the_same_numbers(case):
    # the runner computes the score once for the tests and the residuals, and the smooths of
    # all columns from one spline basis: the numbers of the separate calls, exactly
    from sarcohort.stats.zph_scaled import zph_score_of, zph_smooths

    _, fit = case
    groups = [("age", [0]), ("hormon", [1]), ("factor(grade)", [2, 3])]
    score = zph_score_of(fit)
    z0, z1 = zph_terms(fit, groups), zph_terms(fit, groups, score=score)
    np.testing.assert_array_equal(z0.chisq, z1.chisq)
    np.testing.assert_array_equal(z0.p, z1.p)
    s0, s1 = scaled_schoenfeld(fit), scaled_schoenfeld(fit, score=score)
    np.testing.assert_array_equal(s0.y, s1.y)
    np.testing.assert_array_equal(s0.var, s1.var)
    y = s0.y.copy()
    y[3, 1] = np.nan  # a column missing a row: its own factorisation
    p = y.shape[1]
    batch = zph_smooths(s0.x, [y[:, j] for j in range(p)], [s0.var[j, j] for j in range(p)])
    for j, sm in enumerate(batch):
        one = zph_smooth(s0.x, y[:, j], s0.var[j, j])
        for a, b in ((sm.x, one.x), (sm.fit, one.fit), (sm.lower, one.lower), (sm.upper, one.upper)):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="time scale"):
        zph_terms(fit, groups, "identity", score=score)


@pytest.mark.parametrize("case", ["event times", "unsorted", "signed zeros and knots", "distinct"])
def test_spline_rows_by_runs_equal_design_matrix(case):
    """The spline basis's B-spline rows, evaluated once per run of equal values and repeated,
    against scipy's design matrix of every value: bit for bit."""
    from scipy.interpolate import BSpline

    from sarcohort.stats.zph_scaled import _design_rows

    rng = np.random.default_rng(8)
    x = np.sort(rng.integers(0, 300, 20_000) / 7.0)
    if case == "unsorted":
        x = x[rng.permutation(x.size)]
    elif case == "signed zeros and knots":
        x = np.r_[-0.0, 0.0, 0.0, -0.0, x[:-4]]
    elif case == "distinct":
        x = np.sort(rng.random(5000))
    lo, hi = float(x.min()), float(x.max())
    inner = np.quantile(x, [1 / 3, 2 / 3])
    if case == "signed zeros and knots":
        inner = np.array([x[5000], x[12000]])  # knots at data values
    t = np.r_[[lo] * 4, inner, [hi] * 4]
    expect = BSpline.design_matrix(np.clip(x, lo, hi), t, 3).toarray()
    got = _design_rows(np.clip(x, lo, hi), t)
    np.testing.assert_array_equal(got.view(np.uint64), expect.view(np.uint64))
    # the natural-spline constraint applied to the distinct rows before they are repeated
    null = rng.standard_normal((t.size - 4, t.size - 6))
    got = _design_rows(np.clip(x, lo, hi), t, null)
    np.testing.assert_array_equal(got.view(np.uint64), (expect @ null).view(np.uint64))


@pytest.mark.parametrize("case", ["sorted", "unsorted", "signed zeros", "one"])
def test_sorted_unique_equals_numpy_unique(case):
    """The pooled KM's distinct times by runs of the sorted rows, against ``np.unique``."""
    from sarcohort.stats._zph import _sorted_unique

    rng = np.random.default_rng(3)
    x = np.sort(rng.integers(1, 300, 20_000) / 30.4375)
    if case == "unsorted":
        x = x[rng.permutation(x.size)]
    elif case == "signed zeros":
        x = np.r_[-0.0, 0.0, 0.0, -0.0, x[:-4]]
    elif case == "one":
        x = x[:1]
    times, inv = _sorted_unique(x)
    t2, i2 = np.unique(x, return_inverse=True)
    np.testing.assert_array_equal(times, t2)
    np.testing.assert_array_equal(inv, i2.ravel())
    assert inv.dtype == i2.dtype


@pytest.mark.parametrize("case", ["efron ties", "breslow", "weights", "entry and strata"])
def test_compiled_zph_score_equals_numpy(case):
    """cox.zph's score and information by the compiled passes, against the numpy expressions
    they replace (column sums of C-ordered rows, bincounts, cumulative hazards): bit for bit."""
    from sarcohort.stats._zph import _transform_times, _zph_score_numpy, zph_score

    rng = np.random.default_rng(9)
    n = 3000
    X = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.integers(0, 3, n)])
    t = rng.integers(1, 60, n).astype(float)
    e = rng.random(n) < 0.7
    kw = {}
    if case == "breslow":
        kw["ties"] = "breslow"
    elif case == "weights":
        kw["weights"] = rng.choice([1.0, 2.0, 3.0], n)
    elif case == "entry and strata":
        kw["entry"] = np.where(rng.random(n) < 0.3, t - rng.integers(1, 3, n) - 0.5, 0.0)
        kw["strata"] = rng.integers(0, 3, n)
    fit = cox(t, e, X, **kw)
    cs, ev = fit._state.setup, fit._state.final
    for transform in ("km", "identity"):
        tt = _transform_times(cs, transform)
        g = tt - np.mean(tt[cs.event])
        u0, i0 = _zph_score_numpy(cs, ev, g)
        u1, i1 = zph_score(cs, ev, g)
        np.testing.assert_array_equal(u1.view(np.uint64), u0.view(np.uint64))
        np.testing.assert_array_equal(i1.view(np.uint64), i0.view(np.uint64))


def test_qr_overwrite_is_numpy_qr_bit_for_bit():
    from sarcohort.stats.zph_scaled import qr_overwrite

    rng = np.random.default_rng(3)
    for rows, cols in [(2000, 4), (300, 6), (5, 5), (3, 4)]:
        b = rng.normal(size=(rows + 40, cols))
        q0, r0 = np.linalg.qr(b[40:])
        q1, r1 = qr_overwrite(b[40:])  # a view of the rows, as the spline's basis
        np.testing.assert_array_equal(q0, q1)
        np.testing.assert_array_equal(r0, r1)
        assert q0.shape == q1.shape and r0.shape == r1.shape


def test_smooths_of_tied_times_by_runs_equal_the_full_least_squares():
    """Oracle: the least-squares fit of every residual on the full spline basis (numpy's
    lstsq) and the leverage from the QR of that basis, as :func:`zph_smooth` computes them
    for distinct times. Tied event times (runs of equal x, some residuals missing) are fitted
    by the runs' weighted means."""
    from sarcohort.stats.zph_scaled import _runs, natural_spline_basis, zph_smooths

    rng = np.random.default_rng(21)
    x = np.sort(rng.integers(0, 60, 3000) / 61.0)
    assert _runs(x) is not None
    ys = [rng.normal(size=x.size), rng.normal(size=x.size)]
    ys[1][[5, 700, 701, 2999]] = np.nan
    var = [0.3, 1.7]
    got = zph_smooths(x, ys, var)
    pred_x = np.linspace(x.min(), x.max(), 40)
    basis = natural_spline_basis(np.r_[pred_x, x], 4)
    P, B = basis[:40], basis[40:]
    for y, v, sm in zip(ys, var, got, strict=True):
        ok = np.isfinite(y)
        coef = np.linalg.lstsq(B[ok], y[ok], rcond=None)[0]
        r = np.linalg.qr(B[ok])[1]
        half = 2 * np.sqrt(v * np.sum((P @ np.linalg.inv(r)) ** 2, axis=1))
        np.testing.assert_allclose(sm.fit, P @ coef, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sm.upper - sm.fit, half, rtol=1e-9)
        np.testing.assert_allclose(sm.fit - sm.lower, half, rtol=1e-9)
