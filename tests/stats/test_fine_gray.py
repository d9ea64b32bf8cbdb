"""Fine-Gray regression against ``cmprsk::crr``.

Oracle: R's ``cmprsk::crr`` 2.2-11 converged with ``gtol = 1e-10`` on pbc (death vs
transplant, both ways; coarse tied times) and on the synthetic cohort (progression vs death
without progression): ``tests/reference/values/competing/crr_*.json`` written by
``tests/reference/R/competing_cases.R``. Tolerance 1e-6 relative. Also a closed-form
property: without competing events the model is Cox's with Breslow ties (coefficients), and
without censoring as well its sandwich variance is Cox's robust variance.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from reference import competing as ref
from reference.oracle import assert_close
from sarcohort.exceptions import FormulaError, InputError
from sarcohort.stats.cox import cox
from sarcohort.stats.fine_gray import fine_gray

RTOL = 1e-6


def _fit(case):
    m = re.search(r"crr\((\w+)\$(\w+), \1\$(\w+).*failcode = (\d+)", case["calls"]["crr"])
    data = ref.dataset({"synth": "synth_competing"}.get(m.group(1), m.group(1)))
    formula = f"Surv({m.group(2)}, {m.group(3)}) {case['calls']['formula']}"
    return fine_gray(formula, data=data, cause=int(m.group(4)))


@pytest.mark.parametrize("name", ref.names("crr"))
def test_matches_crr(name: str) -> None:
    case = ref.case(name)
    r = case["result"]
    fit = _fit(case)
    assert fit.converged and fit.terms == tuple(r["terms"])
    assert fit.n == r["n"]
    assert_close(fit.coef, r["coef"], rtol=RTOL, what=f"{name} coef")
    assert_close(fit.var, ref.matrix(r["var"]), rtol=RTOL, what=f"{name} var")
    assert_close(fit.naive_var, ref.matrix(r["invinf"]), rtol=RTOL, what=f"{name} inverse information")
    assert_close(fit.se, r["se"], rtol=RTOL)
    assert_close(fit.p, r["p"], rtol=RTOL)
    assert_close(fit.lower, r["lower_95"], rtol=RTOL)
    assert_close(fit.upper, r["upper_95"], rtol=RTOL)
    assert_close(fit.loglik, r["loglik"], rtol=RTOL)
    assert_close(fit.loglik_null, r["loglik_null"], rtol=RTOL)
    assert fit.to_frame().shape == (len(fit.terms), 8)


def test_arrays_equal_formula() -> None:
    data = ref.dataset("pbc")
    f = fine_gray("Surv(time, status) ~ age + sex", data=data, cause=1)
    X = pd.DataFrame({"age": data["age"], "sexf": (data["sex"] == "f").astype(float)})
    a = fine_gray(data["time"], data["status"], X, cause=1)
    assert a.terms == ("age", "sexf")
    np.testing.assert_allclose(a.coef, f.coef, rtol=1e-12)
    np.testing.assert_allclose(a.var, f.var, rtol=1e-12)
    # the factor coding of the status: same model
    c = fine_gray("Surv(time, cause) ~ age + sex", data=data, cause="transplant")
    np.testing.assert_allclose(c.coef, f.coef, rtol=1e-12)


def test_no_competing_events_is_cox_breslow() -> None:
    """Closed form: with no competing event the risk sets and likelihood are Cox's (Breslow)."""
    rng = np.random.default_rng(3)
    n = 60
    x = rng.normal(size=(n, 2))
    t = np.round(rng.exponential(np.exp(-x @ [0.5, -0.3])) * 10)  # ties
    s = (rng.uniform(size=n) < 0.7).astype(int)
    fg = fine_gray(t, s, x, cause=1)
    cx = cox(t, s, x, ties="breslow")
    np.testing.assert_allclose(fg.coef, cx.coef, rtol=1e-8)
    np.testing.assert_allclose(fg.loglik, cx.loglik, rtol=1e-10)
    # and without censoring the sandwich is Cox's robust variance
    fg1 = fine_gray(t, np.ones(n, int), x, cause=1)
    cx1 = cox(t, np.ones(n, int), x, ties="breslow", robust=True)
    np.testing.assert_allclose(fg1.var, cx1.var, rtol=1e-8)


def test_errors() -> None:
    data = ref.dataset("pbc")
    with pytest.raises(InputError, match="cause"):
        fine_gray("Surv(time, status) ~ age", data=data, cause=3)
    with pytest.raises(FormulaError, match="strata"):
        fine_gray("Surv(time, status) ~ age + strata(sex)", data=data)
    with pytest.raises(FormulaError, match="covariate"):
        fine_gray("Surv(time, status) ~ 1", data=data)
    data = data.assign(one=1.0)
    with pytest.raises(InputError, match="constant"):
        fine_gray("Surv(time, status) ~ age + one", data=data)
    with pytest.raises(InputError, match="collinear"):
        fine_gray("Surv(time, status) ~ age + I(2 * age)", data=data)


def test_non_convergence_warns() -> None:
    # monotone likelihood: every event of interest in x = 1
    t = np.arange(1, 13, dtype=float)
    s = np.array([1, 0, 1, 2, 1, 0, 2, 0, 2, 0, 2, 0])
    x = (s == 1).astype(float)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit = fine_gray(t, s, x, cause=1, max_iter=10)
    assert not fit.converged and any("did not converge" in str(m.message) for m in w)
