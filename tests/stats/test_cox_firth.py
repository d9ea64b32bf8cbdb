"""Firth-penalised Cox (``sc.cox(..., firth=True)``).

Oracles:
* R (tests/reference/R/make_firth.R): the penalised partial likelihood log L + 1/2 log det I
  with L and I from ``coxph(..., init = beta, iter.max = 0)``, maximised numerically; profile
  limits by ``uniroot``; penalised LR tests by re-maximising. JSON in tests/reference/firth/.
* closed form: two patients, the exposed one dies first (complete separation).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import sarcohort as sc
from sarcohort.exceptions import ConvergenceWarning, InputError
from sarcohort.stats import _firth_kernel as F

REF = Path(__file__).parents[1] / "reference"
CASES = sorted(p.stem for p in (REF / "firth").glob("*.json"))


def _load(case: str) -> tuple[dict, pd.DataFrame]:
    ref = json.loads((REF / "firth" / f"{case}.json").read_text())
    return ref, pd.read_csv(REF / ref["data"])


def test_reference_cases_present() -> None:
    assert {"lung_efron", "lung_breslow_strata", "lung_factor_efron", "sep_efron",
            "sep_breslow_strata"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_matches_r_penalised_likelihood(case: str) -> None:
    ref, df = _load(case)
    fit = sc.cox(ref["formula"], data=df, ties=ref["ties"], firth=True)
    rel = dict(rtol=1e-6, atol=0)
    assert list(fit.terms) == ref["terms"]
    np.testing.assert_allclose(fit.coef, ref["coef"], **rel)
    np.testing.assert_allclose(fit.se, ref["se"], **rel)
    np.testing.assert_allclose(fit.var, np.array(ref["var"]), **rel)
    np.testing.assert_allclose(np.log(fit.hr_lower), ref["lower"], **rel)
    np.testing.assert_allclose(np.log(fit.hr_upper), ref["upper"], **rel)
    np.testing.assert_allclose([t.statistic for t in fit.lr_coef], ref["lr_coef_chisq"], **rel)
    np.testing.assert_allclose(fit.p, ref["lr_coef_p"], **rel)
    np.testing.assert_allclose([fit.penalized_loglik_null, fit.penalized_loglik], ref["penalized_loglik"], **rel)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], **rel)
    np.testing.assert_allclose(fit.lr_test.statistic, ref["lr_global_chisq"], **rel)
    np.testing.assert_allclose(fit.lr_test.p, ref["lr_global_p"], **rel)
    np.testing.assert_allclose([t.statistic for t in fit.lr_terms], ref["term_chisq"], **rel)
    assert [t.df for t in fit.lr_terms] == list(np.atleast_1d(ref["term_df"]))


def test_separated_case_finite_where_ordinary_cox_diverges() -> None:
    ref, df = _load("sep_efron")
    with pytest.warns(ConvergenceWarning, match="monotone likelihood.*grp"):
        ordinary = sc.cox(ref["formula"], data=df)
    assert ordinary.coef[0] < -10  # runs away (R stops at about -19.5)
    assert ref["ordinary_coef"][0] < -10
    fit = sc.cox(ref["formula"], data=df, firth=True)
    assert np.isfinite(fit.coef).all() and np.isfinite(fit.hr_upper).all()
    assert fit.hr[0] < fit.hr_upper[0] < 1


def _two_patients() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # exposed patient dies at t = 1, unexposed censored at t = 2: L(b) = e^b / (e^b + 1)
    return np.array([1.0, 2.0]), np.array([1, 0]), np.array([[1.0], [0.0]])


def test_closed_form_two_patients() -> None:
    """With p = e^b/(1+e^b): log L = log p, I = p(1-p), so pl = 3/2 log p + 1/2 log(1-p),
    maximal at p = 3/4: b = log 3, var = 1/I = 16/3; the global and the coefficient's
    penalised LR statistic 2 (pl(3/4) - pl(1/2)) = 3 log(3/2) + log(1/2)."""
    t, e, X = _two_patients()
    fit = sc.cox(t, e, X, firth=True)
    assert fit.coef[0] == pytest.approx(math.log(3), rel=1e-9)
    assert fit.se[0] == pytest.approx(math.sqrt(16 / 3), rel=1e-9)
    stat = 3 * math.log(1.5) + math.log(0.5)
    assert fit.lr_test.statistic == pytest.approx(stat, rel=1e-9)
    assert fit.lr_coef[0].statistic == pytest.approx(stat, rel=1e-9)

    def pl(b: float) -> float:
        # log p = -log(1 + e^-b), log(1 - p) = -log(1 + e^b)
        return -1.5 * math.log1p(math.exp(-b)) - 0.5 * math.log1p(math.exp(b))

    crit = stats.chi2.ppf(0.95, 1)
    top = pl(math.log(3))
    lo = optimize.brentq(lambda b: 2 * (top - pl(b)) - crit, -20, math.log(3), xtol=1e-14)
    hi = optimize.brentq(lambda b: 2 * (top - pl(b)) - crit, math.log(3), 30, xtol=1e-14)
    assert math.log(fit.hr_lower[0]) == pytest.approx(lo, rel=1e-8)
    assert math.log(fit.hr_upper[0]) == pytest.approx(hi, rel=1e-8)
    with pytest.warns(ConvergenceWarning):
        assert sc.cox(t, e, X).coef[0] > 5  # ordinary Cox: no finite maximum


@pytest.mark.parametrize("method", ["efron", "breslow"])
def test_penalised_score_is_the_gradient(method: str) -> None:
    """U* against central differences of pl (self-consistency of the derivative formula)."""
    rng = np.random.default_rng(3)
    n = 30
    X = rng.normal(size=(n, 3))
    time = rng.integers(1, 8, n).astype(float)  # many ties
    event = rng.random(n) < 0.7
    fd = F.build(time, event, X, strata=np.repeat([0, 1], n // 2), weights=rng.uniform(0.5, 2, n),
                 ties=method)
    beta = np.array([0.3, -0.2, 0.5])
    got = F.penalized(fd, beta).ustar
    h = 1e-5
    num = [(F.penalized(fd, beta + h * d, score=False).pl - F.penalized(fd, beta - h * d, score=False).pl) / (2 * h)
           for d in np.eye(3)]
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


def test_factor_term_and_frame() -> None:
    ref, df = _load("lung_factor_efron")
    fit = sc.cox(ref["formula"], data=df, firth=True)
    assert fit.term_labels == ("age", "factor(ph.ecog)")
    assert fit.lr_terms[1].df == 3
    frame = fit.to_frame()
    assert list(frame.index) == ref["terms"]
    assert np.all(frame["lower 95%"] < frame["hr"]) and np.all(frame["hr"] < frame["upper 95%"])


def test_refuses_exact_ties_and_robust() -> None:
    t, e, X = _two_patients()
    with pytest.raises(InputError, match="Efron and Breslow"):
        sc.cox(t, e, X, ties="exact", firth=True)
    with pytest.raises(InputError, match="robust"):
        sc.cox(t, e, X, robust=True, firth=True)


def test_counting_process_split_rows_give_the_same_fit() -> None:
    """Identity: splitting each follow-up at an interior time into (0, s] (censored) and
    (s, t] with the same covariates changes neither the risk sets nor the penalised
    likelihood, so the Firth fit (estimates, profile limits, tests) is unchanged."""
    ref, df = _load("sep_efron")
    fit = sc.cox(ref["formula"], data=df, firth=True)
    s = df["time"] / 2
    first = df.assign(start=0.0, stop=s, status=0)
    second = df.assign(start=s, stop=df["time"])
    split = pd.concat([first, second], ignore_index=True)
    got = sc.cox("Surv(start, stop, status) ~ grp + age", data=split, firth=True)
    np.testing.assert_allclose(got.coef, fit.coef, rtol=1e-8)
    np.testing.assert_allclose(got.hr_lower, fit.hr_lower, rtol=1e-7)
    np.testing.assert_allclose(got.hr_upper, fit.hr_upper, rtol=1e-7)
    np.testing.assert_allclose(got.lr_test.statistic, fit.lr_test.statistic, rtol=1e-8)
