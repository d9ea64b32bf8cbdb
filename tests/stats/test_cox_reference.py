"""Cox regression against R's survival (the oracle): every ``coxph`` case in tests/reference.

Source of the expected values: ``tests/reference/values/cox_*.json``, produced by R 4.2.2 with
survival 3.5-3 (``coxph``, ``summary.coxph``, ``fit$concordance``, ``basehaz``, ``survfit``
with ``newdata``, ``cox.zph`` and ``residuals.coxph``); see tests/reference/README.md. Each
test is driven by the case's own R call strings (formula, ``ties``, ``robust = TRUE``, the
``newdata`` of the survfit call) and its data file, so cases on other datasets (factors,
strata, counting process) run the same way with no case-specific code.

Coefficients are compared with R's tightly converged refit (``tight_fit``, eps = 1e-12) since
we iterate past R's default rule; everything else with R's default fit, at 1e-6 relative.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reference.oracle import as_array, assert_close, case_names, load_case, load_dataset
from sarcohort.stats._cox_residuals import schoenfeld_times
from sarcohort.stats.cox import cox

RTOL = 1e-6
CASES = case_names("coxph")


def _split_args(text: str) -> list[str]:
    """Split an R argument list at top-level commas (respecting parentheses and quotes)."""
    out, depth, cur, quote = [], 0, "", None
    for ch in text:
        if quote:
            cur += ch
            quote = None if ch == quote else quote
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return out


def parse_coxph_call(call: str) -> dict[str, Any]:
    """``coxph(<formula>, data = x, ties = "efron", robust = TRUE)`` -> its parts."""
    m = re.fullmatch(r"\s*coxph\((.*)\)\s*", call, re.S)
    assert m, call
    args = _split_args(m.group(1))
    kw = dict((s.strip() for s in a.split("=", 1)) for a in args[1:])
    robust = {"TRUE": True, "FALSE": False}.get(kw.get("robust", ""))  # absent: R's default rule
    return {"formula": args[0], "ties": kw.get("ties", '"efron"').strip('"'), "robust": robust,
            "weights": kw.get("weights"), "timefix": kw.get("timefix", "TRUE") == "TRUE"}


def parse_newdata(call: str) -> pd.DataFrame:
    """The ``data.frame(...)`` of a ``survfit(fit, newdata = data.frame(...))`` call."""
    m = re.search(r"newdata\s*=\s*data\.frame\((.*)\)\s*\)\s*$", call, re.S)
    assert m, call
    row: dict[str, list[Any]] = {}
    for arg in _split_args(m.group(1)):
        k, v = (s.strip() for s in arg.split("=", 1))
        row[k] = [v[1:-1]] if v[0] in "\"'" else [float(v)]
    return pd.DataFrame(row)


@cache
def fit_case(name: str):
    case = load_case(name)
    call = parse_coxph_call(case["call"])
    dataset = case["data_file"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    data = load_dataset(dataset)
    weights = None if call["weights"] is None else data[call["weights"]]
    return cox(call["formula"], data=data, ties=call["ties"], robust=call["robust"], weights=weights,
               timefix=call["timefix"])


def _r(name: str) -> dict[str, Any]:
    return load_case(name)["result"]


@pytest.mark.parametrize("name", CASES)
def test_counts_and_names(name: str) -> None:
    r, fit = _r(name), fit_case(name)
    assert fit.terms == tuple(r["terms"])
    assert (fit.n, fit.n_event, fit.n_missing) == (r["n"], r["nevent"], r["n_missing"])
    assert fit.ties == r["method"]
    assert fit.converged
    assert 1 <= fit.iterations <= r["tight_fit"]["iter"]


@pytest.mark.parametrize("name", CASES)
def test_coefficients(name: str) -> None:
    r, fit = _r(name), fit_case(name)
    assert_close(fit.coef, r["tight_fit"]["coef"], rtol=RTOL, what="coef (tight fit)")
    assert_close(fit.se, r["se"], rtol=RTOL, what="se")
    assert_close(fit.hr, r["exp_coef"], rtol=RTOL, what="exp(coef)")
    assert_close(1 / fit.hr, r["exp_neg_coef"], rtol=RTOL, what="exp(-coef)")
    assert_close(fit.hr_lower, r["lower_95"], rtol=RTOL, what="lower .95")
    assert_close(fit.hr_upper, r["upper_95"], rtol=RTOL, what="upper .95")
    assert_close(fit.z, r["z"], rtol=RTOL, what="z")
    assert_close(fit.p, r["p"], rtol=RTOL, what="p")
    assert_close(fit.var, r["var"], rtol=RTOL, what="var")
    assert_close(fit.means, r["means"], rtol=1e-12, what="means")
    if "robust_se" in r:
        assert_close(fit.robust_se, r["robust_se"], rtol=RTOL, what="robust se")
        assert_close(fit.naive_var, r["naive_var"], rtol=RTOL, what="naive var")
    else:
        assert fit.robust_se is None


@pytest.mark.parametrize("name", CASES)
def test_likelihood_and_global_tests(name: str) -> None:
    r, fit = _r(name), fit_case(name)
    assert_close([fit.loglik_null, fit.loglik], r["loglik"], rtol=1e-9, what="loglik")
    for ours, key in [(fit.lr_test, "lr_test"), (fit.wald_test, "wald_test"), (fit.score_test, "score_test")]:
        assert_close(ours.statistic, r[key]["statistic"], rtol=RTOL, what=key)
        assert ours.df == r[key]["df"]
        assert_close(ours.p, r[key]["p"], rtol=RTOL, what=f"{key} p")
    if "robust_score_test" in r:
        rs = fit.robust_score_test
        assert_close(rs.statistic, r["robust_score_test"]["statistic"], rtol=RTOL, what="robust score")
        assert_close(rs.p, r["robust_score_test"]["p"], rtol=RTOL, what="robust score p")
        assert rs.df == r["robust_score_test"]["df"]
    else:
        assert fit.robust_score_test is None


@pytest.mark.parametrize("name", CASES)
def test_concordance(name: str) -> None:
    r, fit = _r(name)["concordance"], fit_case(name).concordance
    assert_close(fit.value, r["concordance"], rtol=RTOL, what="concordance")
    assert_close(fit.se, r["se"], rtol=RTOL, what="concordance se")
    got = [fit.concordant, fit.discordant, fit.tied_x, fit.tied_y, fit.tied_xy]
    # pair counts (weighted sums with case weights: equal up to summation order)
    assert_close(got, [r["concordant"], r["discordant"], r["tied.x"], r["tied.y"], r["tied.xy"]], rtol=1e-12,
                 what="pair counts")


@pytest.mark.parametrize("name", CASES)
def test_baseline_hazard(name: str) -> None:
    r, fit = _r(name), fit_case(name)
    bh = fit.baseline_hazard(centered=False)
    ref = r["basehaz"]
    assert_close(bh.time, ref["time"], rtol=0, what="time")
    assert_close(bh.hazard, ref["hazard"], rtol=RTOL, what="hazard")
    assert_close(bh.n_risk, ref["n.risk"], rtol=1e-12, what="n.risk")  # case-weighted sums
    assert_close(bh.n_event, ref["n.event"], rtol=1e-12, what="n.event")
    if "strata" in ref:
        assert list(bh.strata) == ref["strata"]
    if "basehaz_centered" in r:  # at the (case-weighted) means
        bc = fit.baseline_hazard(centered=True)
        assert_close(bc.time, r["basehaz_centered"]["time"], rtol=0, what="time")
        assert_close(bc.hazard, r["basehaz_centered"]["hazard"], rtol=RTOL, what="centered hazard")
    if "basehaz_breslow" in r:
        bb = fit.baseline_hazard("breslow")
        assert_close(bb.hazard, r["basehaz_breslow"]["hazard"], rtol=RTOL, what="Breslow hazard")
        assert_close(bb.n_event, r["basehaz_breslow"]["n.event"], rtol=0, what="n.event")


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("transform", ["km", "identity"])
def test_cox_zph(name: str, transform: str) -> None:
    r, fit = _r(name)["cox_zph"][transform], fit_case(name)
    z = fit.zph(transform)
    assert z.rows == tuple(r["rows"])
    assert_close(z.chisq, r["chisq"], rtol=RTOL, what="chisq")
    assert z.df.tolist() == r["df"]
    assert_close(z.p, r["p"], rtol=RTOL, what="p")


@pytest.mark.parametrize("name", CASES)
def test_survfit_newdata(name: str) -> None:
    r, fit = _r(name)["survfit_newdata"], fit_case(name)
    assert r["conf.type"] == "log"
    curves = fit.predict_survival(parse_newdata(r["call"]), conf_level=r["conf.int"]).curves
    assert len(curves) == len(r["curves"])
    for ours, ref in zip(curves, r["curves"], strict=True):
        assert ours.name == ref["name"]
        for key in ("time", "n.risk", "n.event", "n.censor"):  # counts: case-weighted sums
            assert_close(getattr(ours, key.replace(".", "_")), ref[key], rtol=1e-12, what=key)
        for key in ("surv", "std.err", "cumhaz", "std.chaz", "lower", "upper"):
            assert_close(getattr(ours, key.replace(".", "_")), ref[key], rtol=RTOL, what=key)


RESIDUAL_CASES = [n for n in CASES if "residuals" in load_case(n)["result"]]


@pytest.mark.parametrize("name", RESIDUAL_CASES)
@pytest.mark.parametrize("kind", ["martingale", "deviance", "score", "schoenfeld", "dfbeta", "dfbetas"])
def test_residuals(name: str, kind: str) -> None:
    """Elementwise 1e-6 relative, with an absolute floor of 1e-9 x the largest |value| for
    entries that are zero up to rounding (residuals are differences of similar numbers)."""
    ref = _r(name)["residuals"]
    fit = fit_case(name)
    if kind not in ref:  # older cases have no dfbetas: R's dfbeta over its model-based SE
        assert kind == "dfbetas"
        ref = {kind: as_array(ref["dfbeta"]) / np.sqrt(np.diag(as_array(_r(name).get("naive_var", _r(name)["var"]))))}
    expected = as_array(ref[kind])
    assert_close(fit.residuals(kind), expected, rtol=RTOL, atol=1e-9 * np.nanmax(np.abs(expected)), what=kind)
    if kind == "schoenfeld":
        # R's times here are row names, printed with 15 significant digits
        assert_close(schoenfeld_times(fit), ref["schoenfeld_time"], rtol=1e-14, what="schoenfeld time")


@pytest.mark.parametrize("name", RESIDUAL_CASES)
def test_linear_predictors(name: str) -> None:
    ref = _r(name)["residuals"]
    fit = fit_case(name)
    lp = as_array(ref["linear_predictors"])
    assert_close(fit.linear_predictors, lp, rtol=RTOL, atol=1e-9 * np.max(np.abs(lp)), what="lp")
    # R's predict(type = "risk") centres a stratified model within strata (reference = "strata")
    assert_close(fit.predict(kind="risk").fit, ref["risk"], rtol=RTOL, what="risk")


EXTRA_CASES = [n for n in CASES if "predict_newdata" in load_case(n)["result"]]


@pytest.mark.parametrize("name", EXTRA_CASES)
def test_predict_aic_anova(name: str) -> None:
    """R's predict(fit, newdata, type = "lp"/"risk", se.fit = TRUE), predict(type = "expected"),
    AIC(fit) and anova(fit0, fit) (cases generated with issue 11)."""
    r, fit = _r(name), fit_case(name)
    ref = r["predict_newdata"]
    nd = parse_newdata(r["survfit_newdata"]["call"])
    lp = fit.predict(nd, kind="lp", se_fit=True)
    assert_close(lp.fit, ref["lp"], rtol=RTOL, atol=1e-12, what="lp")
    assert_close(lp.se, ref["lp_se"], rtol=RTOL, what="lp se")
    risk = fit.predict(nd, kind="risk", se_fit=True)
    assert_close(risk.fit, ref["risk"], rtol=RTOL, what="risk")
    assert_close(risk.se, ref["risk_se"], rtol=RTOL, what="risk se")
    expected = as_array(r["predict_expected"]["expected"])
    assert_close(fit.predict(kind="expected").fit, expected, rtol=RTOL, atol=1e-9 * expected.max(), what="expected")
    assert fit.aic == pytest.approx(r["aic"]["aic"], rel=1e-9)
    if "anova" in r:
        from sarcohort.stats.cox_compare import cox_anova

        m = re.fullmatch(r"\s*coxph\((.*)\)\s*", r["anova"]["smaller"], re.S)
        args = _split_args(m.group(1))
        data = load_dataset(load_case(name)["data_file"].rsplit("/", 1)[-1][:-4])
        if args[1].startswith("data = subset("):  # subset(<data>, !is.na(<column>))
            col = re.search(r"!is\.na\(([\w.]+)\)", args[1]).group(1)
            data = data[data[col].notna()].reset_index(drop=True)
        kw = dict((s.strip() for s in a.split("=", 1)) for a in args[2:] if not a.startswith("data"))
        weights = data[kw["weights"]] if "weights" in kw else None
        fit0 = cox(args[0], data=data, ties=kw.get("ties", '"efron"').strip('"'), weights=weights)
        an = cox_anova(fit0, fit)
        ref_an = r["anova"]
        assert_close(an.loglik, ref_an["loglik"], rtol=1e-9, what="anova loglik")
        assert_close(an.chisq, ref_an["chisq"], rtol=RTOL, what="anova chisq")
        assert_close(an.test_df, ref_an["df"], rtol=0, what="anova df")
        assert_close(an.p, ref_an["p"], rtol=RTOL, what="anova p")


@pytest.mark.parametrize("conf_type", ["log-log", "plain", "logit", "arcsin"])
def test_predict_survival_conf_type_uses_the_km_band(conf_type: str) -> None:
    """survfit.coxph's limits come from the same survfit_confint as survfit's: check our curve's
    limits against the KM band function (itself checked against R) on the curve's S and SE."""
    from sarcohort.stats.km import confidence_band

    fit = fit_case("cox_lung_age_sex_efron")
    nd = pd.DataFrame({"age": [60.0], "sex": [2.0]})
    curve = fit.predict_survival(nd, conf_type=conf_type).curves[0]
    lo, hi = confidence_band(curve.surv, curve.std_err, conf_type, fit.conf_level)
    np.testing.assert_array_equal(curve.lower, lo)
    np.testing.assert_array_equal(curve.upper, hi)
