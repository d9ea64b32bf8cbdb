"""Non-default protocol options change the numbers, not only the labels: the whole protocol
-> analysis path against R.

Oracle: R 4.2.2 / survival 3.5-3, ``tests/reference/R/protocol_options.R`` (survfit with
conf.type = "plain" and conf.int = 0.9 on times in weeks; coxph with ties = "efron",
"breslow" and "exact"), stored in ``tests/reference/values/protocol/``; the SPSS median
interval also against a hand computation (below). Data: the small cohort of
``fixtures.small_cohort`` with tied survival times (so the three ties methods differ).
"""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from fixtures.small_cohort import MONTH, OS_EVENT, cohort, patients, study
from sarcohort.report._narrative import methods

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "values" / "protocol"
                  / "small_cohort_options.json").read_text())
TIED_MONTHS = [2, 3, 3, 7, 8, 8, 8, 12, 12, 20, 24, 30]
RTOL = 1e-6
OPTIONS = {"time_unit": "weeks", "conf_type": "plain", "conf_level": 0.9, "landmarks": [26, 52]}


def _tied_cohort():
    p = patients()
    p["os_days"] = np.array(TIED_MONTHS, float) * MONTH
    return dataclasses.replace(cohort(), patients=p)


def _run(**analysis):
    return study(**OPTIONS, **analysis).analyze(_tied_cohort())


@pytest.fixture(scope="module")
def bc():
    return _run(median_ci="brookmeyer-crowley", ties="breslow")


@pytest.fixture(scope="module")
def spss():
    return _run(median_ci="spss", ties="exact")


def test_the_r_data_are_the_fixture():
    p = patients()
    data = REF["data"]
    assert data["months"] == TIED_MONTHS
    assert data["os_event"] == [int(x) for x in OS_EVENT]
    assert data["metastasis_surgery"] == p["metastasis_surgery"].astype(int).tolist()
    assert data["met_bone"] == (p["met_bone"] == "yes").astype(int).tolist()
    assert data["more_than_5_metastases"] == p["more_than_5_metastases"].astype(int).tolist()


def test_weeks_plain_90_brookmeyer_crowley(bc):
    g = bc.km("os").groups[0]
    r = REF["overall"]
    assert (g.n, g.events) == (r["n"], r["events"])
    assert g.median == pytest.approx(r["median"], rel=RTOL)
    assert g.median_lower == pytest.approx(r["bc_lower"], rel=RTOL)
    assert g.median_upper == pytest.approx(r["bc_upper"], rel=RTOL)
    for lm, t, s, lo, hi in zip(g.landmarks, r["landmark_times"], r["landmark_surv"],
                                r["landmark_lower"], r["landmark_upper"], strict=True):
        assert lm.time == t
        assert lm.survival == pytest.approx(s, rel=RTOL)
        assert lm.lower == pytest.approx(lo, rel=RTOL)  # plain: S -+ z SE(S), z = 1.645
        assert lm.upper == pytest.approx(hi, rel=RTOL)
    by = bc.km("os", "timing")
    for grp in by.groups:
        rg = REF[grp.label.lower()]
        assert grp.median == pytest.approx(rg["median"], rel=RTOL)
        assert grp.median_lower == pytest.approx(rg["bc_lower"], rel=RTOL)
        assert (grp.median_upper is None) == (rg["bc_upper"] is None)
        if rg["bc_upper"] is not None:
            assert grp.median_upper == pytest.approx(rg["bc_upper"], rel=RTOL)
    assert by.logrank_chisq == pytest.approx(REF["logrank"]["chisq"], rel=RTOL)
    assert by.logrank_p == pytest.approx(REF["logrank"]["p"], rel=RTOL)


def test_spss_median_interval_at_90_percent(spss):
    for g in (spss.km("os").groups[0], *spss.km("os", "timing").groups):
        r = REF["overall" if g.label == "All" else g.label.lower()]
        assert g.median == pytest.approx(r["median"], rel=RTOL)
        assert g.median_lower == pytest.approx(r["spss_lower"], rel=RTOL)
        assert g.median_upper == pytest.approx(r["spss_upper"], rel=RTOL)


def test_spss_median_interval_by_hand(spss):
    """Overall, in months: S = 11/12 at 2, 9/12 at 3, 15/32 at 8 (the median), 9/32 at 12.
    SE(S(8)) by Greenwood: S * sqrt(1/(12*11) + 2/(11*9) + 3/(8*5)); density
    f = (S(3) - S(12)) / (12 - 3) (the last event time with S >= 0.55, the first with
    S <= 0.45); SE(median) = SE(S) / f; interval 8 -+ 1.6449 SE, then in weeks (x 30.4375/7)."""
    s8 = Fraction(15, 32)
    var = Fraction(1, 12 * 11) + Fraction(2, 11 * 9) + Fraction(3, 8 * 5)
    se_s = float(s8) * math.sqrt(var)
    f = float((Fraction(3, 4) - Fraction(9, 32)) / 9)
    z = NormalDist().inv_cdf(0.95)
    weeks = MONTH / 7
    lo, hi = (8 - z * se_s / f) * weeks, (8 + z * se_s / f) * weeks
    g = spss.km("os").groups[0]
    assert g.median == pytest.approx(8 * weeks, rel=1e-12)
    assert g.median_lower == pytest.approx(lo, rel=1e-12)
    assert g.median_upper == pytest.approx(hi, rel=1e-12)
    assert REF["overall"]["spss_lower"] == pytest.approx(lo, rel=1e-12)  # R agrees


def test_the_methods_text_says_what_was_computed(bc, spss):
    text = methods(spss)
    assert "median ± 1.645 SE" in text and "1.96" not in text
    assert "90% confidence intervals" in text and "plain transformation" in text
    assert "exact partial likelihood for ties" in text
    assert "Breslow method for ties" in methods(bc)
    assert "26 and 52 weeks" in methods(bc)


def _cox_terms(res, covariates):
    m = next(m for m in (*res.univariable, *res.multivariable)
             if m.endpoint == "os" and m.covariates == tuple(covariates))
    return m


MODELS = {"uni_more_than_5_metastases": ["more_than_5_metastases"],
          "uni_metastasis_surgery": ["metastasis_surgery"],
          "uni_met_bone": ["met_bone"],
          "multi": ["more_than_5_metastases", "metastasis_surgery"]}


@pytest.mark.parametrize("ties", ["efron", "breslow", "exact"])
def test_cox_ties_and_90_percent_wald_intervals(ties, bc, spss):
    res = {"breslow": bc, "exact": spss}.get(ties) or _run(ties="efron")
    assert res.meta.ties == ties
    for name, covs in MODELS.items():
        r = REF[f"cox_{ties}_{name}"]
        m = _cox_terms(res, covs)
        for field in ("coef", "se", "hr", "lower", "upper", "p"):
            want = np.atleast_1d(r[field])
            got = [getattr(t, field) for t in m.terms]
            np.testing.assert_allclose(got, want, rtol=RTOL, err_msg=f"{ties} {name} {field}")
        assert m.lr_p == pytest.approx(r["lr_p"], rel=RTOL)


def test_the_ties_methods_differ_on_these_data():
    coefs = {t: REF[f"cox_{t}_multi"]["coef"][1] for t in ("efron", "breslow", "exact")}
    assert len({round(c, 6) for c in coefs.values()}) == 3
