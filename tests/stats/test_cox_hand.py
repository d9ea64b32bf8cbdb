"""Cox partial likelihood computed by hand on a tiny dataset (closed form), as in R survival's
``tests/book1.R`` (Therneau & Grambsch, appendix E: the same six subjects).

Data (time, status, x): (9,1,0) (1,1,1) (1,0,1) (6,1,1) (6,1,0) (8,0,0), plus a row with a
missing status that must be dropped. With r = exp(beta):

* event time 1: one death (x = 1); risk set = all six rows, three with x = 1: S0 = 3r + 3
* event time 6: two deaths (x = 1 and x = 0); risk set rows with time >= 6: S0 = r + 3
* event time 9: one death (x = 0); risk set = that row only: S0 = 1

Breslow: loglik = 2 beta - log(3r + 3) - 2 log(r + 3),
         U = 2 - r/(r + 1) - 2 r/(r + 3),   I = r/(r + 1)^2 + 2 * 3r/(r + 3)^2,
         U = 0  <=>  r^2 - 3r - 6 = 0, r = (3 + sqrt(33)) / 2.
Efron:   the second death at time 6 sees the risk set minus half of both deaths:
         S0 = (r + 3) - (r + 1)/2 = (r + 5)/2, with mean x (r/2) / ((r + 5)/2) = r/(r + 5);
         loglik = 2 beta - log(3r + 3) - log(r + 3) - log((r + 5)/2),
         U = 2 - r/(r + 1) - r/(r + 3) - r/(r + 5),
         I = r/(r + 1)^2 + 3r/(r + 3)^2 + 5r/(r + 5)^2,
         U = 0  <=>  r^3 - 23 r - 30 = 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sarcohort.stats import _cox_kernel as K
from sarcohort.stats.cox import cox

TIME = np.array([9, 3, 1, 1, 6, 6, 8], dtype=float)
STATUS = np.array([1, np.nan, 1, 0, 1, 1, 0])
X = np.array([0, 2, 1, 1, 1, 0, 0], dtype=float)
# arrays refuse a missing status (the formula form drops it, as R's na.omit): fit the others
KEEP = ~np.isnan(STATUS)


def breslow(beta: float) -> tuple[float, float, float]:
    r = math.exp(beta)
    ll = 2 * beta - math.log(3 * r + 3) - 2 * math.log(r + 3)
    u = 2 - r / (r + 1) - 2 * r / (r + 3)
    i = r / (r + 1) ** 2 + 2 * 3 * r / (r + 3) ** 2
    return ll, u, i


def efron(beta: float) -> tuple[float, float, float]:
    r = math.exp(beta)
    ll = 2 * beta - math.log(3 * r + 3) - math.log(r + 3) - math.log((r + 5) / 2)
    u = 2 - r / (r + 1) - r / (r + 3) - r / (r + 5)
    i = r / (r + 1) ** 2 + 3 * r / (r + 3) ** 2 + 5 * r / (r + 5) ** 2
    return ll, u, i


def _setup(method: str) -> K.CoxSetup:
    keep = ~np.isnan(STATUS)
    return K.setup(TIME[keep], STATUS[keep] == 1, X[keep, None], ties=method, means=np.zeros(1))


@pytest.mark.parametrize("method,formula", [("breslow", breslow), ("efron", efron)])
@pytest.mark.parametrize("beta", [-1.0, 0.0, 0.5, 2.0])
def test_loglik_score_information(method, formula, beta) -> None:
    ev = K.evaluate(_setup(method), np.array([beta]))
    ll, u, i = formula(beta)
    assert ev.loglik == pytest.approx(ll, rel=1e-12)
    assert ev.u[0] == pytest.approx(u, rel=1e-12, abs=1e-14)
    assert ev.imat[0, 0] == pytest.approx(i, rel=1e-12)


def test_breslow_fit_closed_form() -> None:
    fit = cox(TIME[KEEP], STATUS[KEEP], X[KEEP], ties="breslow")
    r = (3 + math.sqrt(33)) / 2
    beta = math.log(r)
    assert fit.n == 6 and fit.n_missing == 0 and fit.n_event == 4
    assert fit.coef[0] == pytest.approx(beta, rel=1e-10)
    # the variance is taken at the last evaluated beta (as R), within ~1e-6 of the root
    assert fit.se[0] == pytest.approx(1 / math.sqrt(breslow(beta)[2]), rel=1e-6)
    assert fit.loglik_null == pytest.approx(-math.log(6) - 2 * math.log(4), rel=1e-12)
    assert fit.loglik == pytest.approx(breslow(beta)[0], rel=1e-12)
    # score test at beta = 0: U(0)^2 / I(0) = 1 / (5/8)
    assert fit.score_test.statistic == pytest.approx(1.6, rel=1e-12)
    assert fit.lr_test.statistic == pytest.approx(2 * (breslow(beta)[0] - breslow(0)[0]), rel=1e-10)
    assert fit.wald_test.statistic == pytest.approx(beta**2 * breslow(beta)[2], rel=1e-6)


def test_efron_fit_closed_form() -> None:
    fit = cox(TIME[KEEP], STATUS[KEEP], X[KEEP], ties="efron")
    roots = np.roots([1, 0, -23, -30])
    r = float(max(z.real for z in roots if abs(z.imag) < 1e-12))
    beta = math.log(r)
    assert fit.coef[0] == pytest.approx(beta, rel=1e-10)
    assert fit.se[0] == pytest.approx(1 / math.sqrt(efron(beta)[2]), rel=1e-6)
    assert fit.loglik_null == pytest.approx(-math.log(6) - math.log(4) - math.log(3), rel=1e-12)
    # U(0) = 2 - 1/2 - 1/4 - 1/6 = 13/12, I(0) = 1/4 + 3/16 + 5/36 = 83/144
    assert fit.score_test.statistic == pytest.approx((13 / 12) ** 2 / (83 / 144), rel=1e-12)


def test_efron_baseline_hazard_and_martingale_by_hand() -> None:
    """Efron-type hazard increments at beta-hat (x = 0), one death per k-step: 1/(3r+3) at
    t=1, 1/(r+3) + 1/((r+5)/2) at t=6, 1/1 at t=9. A death at the tied time 6 is charged the
    first step fully and the second step by (1 - 1/2), as R's ``coxmart``."""
    fit = cox(TIME[KEEP], STATUS[KEEP], X[KEEP], ties="efron")
    r = math.exp(fit.coef[0])
    d1, d6, d9 = 1 / (3 * r + 3), 1 / (r + 3) + 1 / ((r + 5) / 2), 1.0
    bh = fit.baseline_hazard(centered=False)
    np.testing.assert_allclose(bh.time, [1, 6, 8, 9])
    np.testing.assert_allclose(bh.hazard, np.cumsum([d1, d6, 0, d9]), rtol=1e-12)
    np.testing.assert_allclose(bh.n_risk, [6, 4, 2, 1])
    mart = fit.residuals("martingale")
    # analysed rows in input order: (9,1,0) (1,1,1) (1,0,1) (6,1,1) (6,1,0) (8,0,0)
    # a death at 6 gets the first k-step fully and half of the second (1 - k/d with k = 1)
    expected = [
        1 - 1 * (d1 + d6 + d9),
        1 - r * d1,
        0 - r * d1,
        1 - r * (d1 + 1 / (r + 3) + 0.5 / ((r + 5) / 2)),
        1 - 1 * (d1 + 1 / (r + 3) + 0.5 / ((r + 5) / 2)),
        0 - 1 * (d1 + d6),
    ]
    np.testing.assert_allclose(mart, expected, rtol=1e-10, atol=1e-12)
    assert abs(mart.sum()) < 1e-10  # martingale residuals sum to zero at the MLE
