"""``[analysis] centre_effect``: the multivariable Cox model refitted with a shared gamma frailty
on the centre, or stratified by centre, beside the model without.

The numbers are :func:`sarcohort.stats.cox.cox`'s (the frailty fit tested against R's coxph in
tests/stats/test_cox_frailty.py): here, that the runner hands it the right patients and
columns (the same HRs as calling ``sc.cox`` directly), that results.json keeps them, and the
wording of the methods and of the centre paragraph. The small cohort has 3 centres (R's
non-sparse frailty), two of them named with HTML and a spreadsheet formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from fixtures.small_cohort import SCRIPT, cohort, results
from sarcohort.analysis._results import Results
from sarcohort.exceptions import ProtocolError
from sarcohort.report._narrative import centre_text, methods, results_text

MONTH = 30.4375
COVS = ["more_than_5_metastases", "metastasis_surgery"]


def _direct(endpoint: str, frailty: bool):
    p = cohort().patients
    df = pd.DataFrame({"t": pd.to_numeric(p[f"{endpoint}_days"]).to_numpy(float) / MONTH,
                       "e": p[f"{endpoint}_event"].astype(int).to_numpy(),
                       "x1": p["more_than_5_metastases"].astype(float).to_numpy(),
                       "x2": p["metastasis_surgery"].astype(float).to_numpy(),
                       "centre": p["centre"].to_numpy()})
    rhs = "x1 + x2 + frailty(centre)" if frailty else "x1 + x2 + strata(centre)"
    return (sc.cox(f"Surv(t, e) ~ {rhs}", data=df), sc.cox("Surv(t, e) ~ x1 + x2", data=df))


def test_frailty_numbers_are_cox_with_frailty_and_without() -> None:
    r = results(centre_effect="frailty")
    assert [c.endpoint for c in r.centre_effects] == ["os", "pfs"]
    for c in r.centre_effects:
        fit, plain = _direct(c.endpoint, frailty=True)
        assert c.method == "frailty" and c.model == "multivariable"
        assert (c.n, c.events, c.n_centres) == (12, fit.n_event, 3)
        assert c.theta == pytest.approx(fit.theta, rel=1e-12)
        assert c.frailty_p == pytest.approx(fit.frailty_test.p, rel=1e-12)
        assert c.frailty_df == pytest.approx(fit.frailty_test.df, rel=1e-12)
        np.testing.assert_allclose([t.hr for t in c.terms], fit.hr, rtol=1e-12)
        np.testing.assert_allclose([t.lower for t in c.terms], fit.hr_lower, rtol=1e-12)
        np.testing.assert_allclose([t.p for t in c.terms], fit.p, rtol=1e-12)
        np.testing.assert_allclose([t.hr_without for t in c.terms], plain.hr, rtol=1e-12)
        np.testing.assert_allclose([t.upper_without for t in c.terms], plain.hr_upper, rtol=1e-12)
        assert [t.label for t in c.terms] == ["More than 5 metastases", "Surgery of metastases"]
    assert Results.from_json(r.to_json()).centre_effects == r.centre_effects


def test_strata_numbers_are_the_stratified_cox_model() -> None:
    r = results(centre_effect="strata")
    c = r.centre_effects[0]
    fit, plain = _direct("os", frailty=False)
    assert c.method == "strata" and c.theta is None and c.frailty_p is None
    np.testing.assert_allclose([t.hr for t in c.terms], fit.hr, rtol=1e-12)
    np.testing.assert_allclose([t.hr_without for t in c.terms], plain.hr, rtol=1e-12)
    assert "stratification by the treating centre" in methods(r)
    assert "Overall survival, multivariable model (12 patients, 9 events, 3 centres): stratified by centre, " \
           "more than 5 metastases HR" in centre_text(r)


def test_paragraph_and_methods_wording() -> None:
    r = results(centre_effect="frailty")
    c = r.centre_effects[0]
    text = centre_text(r)
    expected_head = (f"Overall survival, multivariable model (12 patients, 9 events, 3 centres): the variance of "
                     f"the centre frailty was {c.theta:.3g} (frailty test P = ")
    assert text.startswith(expected_head)
    assert "; with the frailty term more than 5 metastases HR " in text and "(without: HR " in text
    assert "Between-centre heterogeneity. " + text in results_text(r)
    assert "a shared gamma frailty on the treating centre (R's coxph with frailty(centre)" in methods(r)
    assert SCRIPT not in text  # the centres are counted, never named
    plain = results()
    assert plain.centre_effects == () and centre_text(plain) == ""
    assert "frailty" not in methods(plain)


def test_bad_value_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="centre_effect"):
        results(centre_effect="random")


def test_table_and_html_report(tmp_path) -> None:
    from sarcohort.report._tables import all_tables

    r = results(centre_effect="frailty")
    tables = {t.key: t for t in all_tables(r)}
    table = tables["centre_os"]
    assert table.title == "Overall survival: heterogeneity between centres"
    assert list(table.frame["Variable"]) == ["More than 5 metastases", "Surgery of metastases"]
    assert table.frame.iloc[1, 1].startswith("0.56 (0.14")  # without: HR 0.56 (0.14-2.28)
    assert any("frailty variance 2.16" in n for n in table.footnotes)
    sc.report.write(r, tmp_path / "report", formats=("html",), figure_formats=("svg",))
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "heterogeneity between centres" in html and "Between-centre heterogeneity." in html
    assert SCRIPT not in html


def test_paragraph_when_theta_is_zero() -> None:
    """The maximum at theta = 0 (the demo's synthetic centres have no effect): said in words,
    without repeating identical hazard ratios."""
    import dataclasses

    r = results(centre_effect="frailty")
    zero = dataclasses.replace(r.centre_effects[0], theta=0.0, frailty_chisq=0.0, frailty_df=0.0, frailty_p=1.0)
    r0 = dataclasses.replace(r, centre_effects=(zero,))
    assert centre_text(r0) == (
        "Overall survival, multivariable model (12 patients, 9 events, 3 centres): the integrated likelihood "
        "was largest at a centre frailty variance of 0 (no heterogeneity between centres detected), so the "
        "hazard ratios are those of the model without the frailty term.")
