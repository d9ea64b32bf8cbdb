"""Cumulative incidence and Gray's test.

Oracles: ``cmprsk::cuminc`` 2.2-11 and survival 3.5-3's multi-state ``survfit`` (R), through
``tests/reference/values/competing/{cuminc,msm}_*.json`` written by
``tests/reference/R/competing_cases.R``; and a six-subject example worked by hand below.
Tolerance 1e-6 relative (plus 1e-14 absolute, for the exact zeros before the first event).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from reference import competing as ref
from reference.oracle import assert_close
from sarcohort.exceptions import FormulaError, InputError
from sarcohort.stats.cuminc import cuminc

RTOL, ATOL = 1e-6, 1e-14


def _fit_from_call(call: str):
    """Run the R call ``cuminc(d$time, d$status[, d$group][, strata = d$s][, rho = r][, cencode = c])``."""
    m = re.fullmatch(r"cuminc\((\w+)\$(\w+), \1\$(\w+)(?:, \1\$(\w+))?(.*)\)", call)
    assert m, call
    data = ref.dataset({"tiny": "tiny", "synth": "synth_competing"}.get(m.group(1), m.group(1)))
    rest = m.group(5)
    strata = re.search(r"strata = \w+\$(\w+)", rest)
    rho = re.search(r"rho = ([\d.]+)", rest)
    group = data[m.group(4)] if m.group(4) else None
    return cuminc(data[m.group(2)].to_numpy(), data[m.group(3)], group,
                  strata=data[strata.group(1)] if strata else None, rho=float(rho.group(1)) if rho else 0.0)


@pytest.mark.parametrize("name", ref.names("cuminc"))
def test_cuminc_matches_cmprsk(name: str) -> None:
    case = ref.case(name)
    fit = _fit_from_call(case["calls"]["cuminc"])
    res = case["result"]
    tp = res["timepoints"]
    est, var = ref.matrix(tp["est"]), ref.matrix(tp["var"])
    labels = tp["names"] if isinstance(tp["names"], list) else [tp["names"]]
    assert len(labels) == len(fit.curves)
    for i, label in enumerate(labels):
        group, cause = label.rsplit(" ", 1)
        curve = fit.curve(group if len(fit.groups) > 1 else "All", cause)
        pts = curve.at(tp["times"])
        assert_close(pts.estimate, est[i], rtol=RTOL, atol=ATOL, what=f"{name} {label} estimate")
        assert_close(pts.variance, var[i], rtol=RTOL, atol=ATOL, what=f"{name} {label} variance")
    # the step corners cmprsk returns: every jump of every curve
    for c in res["curves"]:
        group, cause = c["name"].rsplit(" ", 1)
        curve = fit.curve(group if len(fit.groups) > 1 else "All", cause)
        jumps = np.asarray(c["time"][2:-1:2], dtype=float)
        np.testing.assert_array_equal(jumps, curve.time[curve.n_event > 0])
        assert_close(curve.at(jumps).estimate, c["est"][2:-1:2], rtol=RTOL, what=f"{name} jumps")
    if "tests" in res:
        t = res["tests"]
        for cause, stat, df, p in zip(t["causes"], t["stat"], t["df"], t["p_upper"], strict=True):
            got = fit.tests[fit.causes[[str(c) for c in fit.causes].index(cause)]]
            assert got.df == df
            assert_close(got.statistic, stat, rtol=RTOL, what=f"{name} Gray statistic, cause {cause}")
            assert_close(got.p, p, rtol=RTOL, what=f"{name} Gray p, cause {cause}")
    else:
        assert fit.tests == {}


def test_formula_and_factor_status_match_cmprsk() -> None:
    """The formula front end, status as a factor whose first level is censoring (pbc)."""
    case = ref.case("cuminc_pbc_factor")
    fit = cuminc("Surv(time, cause) ~ sex", data=ref.dataset("pbc"))
    assert fit.causes == ("transplant", "death") and fit.groups == ("sex=m", "sex=f")
    tp = case["result"]["timepoints"]
    est = ref.matrix(tp["est"])
    for i, label in enumerate(tp["names"]):
        group, cause = label.rsplit(" ", 1)
        assert_close(fit.curve(f"sex={group}", cause).at(tp["times"]).estimate, est[i], rtol=RTOL)
    for cause, stat in zip(case["result"]["tests"]["causes"], case["result"]["tests"]["stat"], strict=True):
        assert_close(fit.tests[cause].statistic, stat, rtol=RTOL)


@pytest.mark.parametrize("name", ref.names("msm"))
def test_estimates_match_multistate_survfit(name: str) -> None:
    """Aalen-Johansen estimates equal survival's multi-state ``pstate`` at every time."""
    case = ref.case(name)
    formula = re.search(r"survfit\((.+), data", case["calls"]["survfit"]).group(1)
    formula = formula.replace("factor(status)", "status")
    fit = cuminc(formula, data=ref.dataset(case["dataset"]))
    states = case["result"]["states"]  # "(s0)", "1", "2"
    for stratum in case["result"]["strata"]:
        pstate = ref.matrix(stratum["pstate"])
        for j, state in enumerate(states):
            if state.startswith("("):
                continue
            curve = fit.curve(stratum["name"], state)
            assert_close(curve.at(stratum["time"]).estimate, pstate[:, j], rtol=RTOL, atol=ATOL,
                         what=f"{name} {stratum['name']} state {state}")
            assert_close(curve.at_risk(stratum["time"]), stratum["n.risk"], rtol=0)


def test_hand_worked_cif() -> None:
    """Six subjects, worked by hand (one group).

    time   1   2   2   3   4   5
    cause  1   2   0   1   1   0      (0 = censored; the censoring at 2 is at risk at 2)

    t=1: n=6, S(1-)=1:   F1 = 1/6;                        S(1) = 5/6
    t=2: n=5 (the censored one included): F2 = 5/6 * 1/5 = 1/6;  S(2) = 2/3
    t=3: n=3: F1 = 1/6 + 2/3 * 1/3 = 7/18;                S(3) = 4/9
    t=4: n=2: F1 = 7/18 + 4/9 * 1/2 = 11/18;              S(4) = 2/9 (F1 + F2 + S = 1)

    Gray's variance, v1 + F^2 v3 - 2 F v2 with the increments of ``_cuminc_kernel``:
    t=1 (cause 1, w = 1/36, a = 1 + (6/5)(1/6) = 6/5, b = 6/5): v1 = v2 = v3 = 1/25,
        Var F1(1) = (1/25)(1 - 2/6 + 1/36) = 1/36;
    t=2 (other cause, w = (25/36)/25 = 1/36, a = (1/6)/(2/3) = 1/4, b = 3/2):
        v1 += 1/576, v2 += 1/96, v3 += 1/16 (F1 unchanged, so is its reported variance);
    t=3 (cause 1, w = (4/9)/9 = 4/81, b = 9/4, a = 1 + (9/4)(7/18) = 15/8):
        v1 += 25/144, v2 += 5/24, v3 += 1/4;
        Var F1(3) = v1 + (7/18)^2 v3 - (7/9) v2 = 91/1350.
    """
    ci = cuminc([1, 2, 2, 3, 4, 5], [1, 2, 0, 1, 1, 0])
    f1, f2 = ci.curves["All", 1], ci.curves["All", 2]
    np.testing.assert_allclose(f1.at([0.5, 1, 2, 3, 4, 5]).estimate, [0, 1 / 6, 1 / 6, 7 / 18, 11 / 18, 11 / 18],
                               rtol=1e-14)
    np.testing.assert_allclose(f2.at([1, 2, 5]).estimate, [0, 1 / 6, 1 / 6], rtol=1e-14)
    np.testing.assert_allclose(f1.at([1, 2, 3]).variance, [1 / 36, 1 / 36, 91 / 1350], rtol=1e-12)
    assert np.isnan(f1.at(5.5).estimate[0])  # after the last follow-up, as cmprsk::timepoints
    np.testing.assert_array_equal(f1.at_risk([0, 2, 3, 6]), [6, 5, 3, 0])


def test_hand_worked_gray_score() -> None:
    """Gray's score for cause 1, two groups of three, worked by hand.

    A: 1 (cause 1), 3 (cause 1), 4 (censored);  B: 2 (cause 2), 3 (censored), 5 (cause 1).
    Score of A = sum over cause-1 times of d_A - D R_A / R, R_k = n_k (1 - F_k(t-)) / S_k(t-):
    t=1: R_A = 3, R_B = 3:                                   1 - 3/6 = 1/2
    t=3: R_A = 2 (1 - 1/3)/(2/3) = 2, R_B = 2 * 1 / (2/3) = 3:  1 - 2/5 = 3/5
    t=5: nobody of A at risk, R_A = 0:                         0
    score = 11/10. Its variance and the statistic are cmprsk's (case cuminc_tiny).
    """
    data = ref.dataset("tiny")
    fit = cuminc("Surv(time, status) ~ group", data=data)
    np.testing.assert_allclose(fit.tests[1].score, [11 / 10], rtol=1e-14)
    stat = ref.case("cuminc_tiny")["result"]["tests"]["stat"][0]
    assert_close(fit.tests[1].statistic, stat, rtol=RTOL)
    assert_close(fit.tests[1].var[0, 0], 11 / 10 * 11 / 10 / stat, rtol=RTOL)


def test_band_and_frames() -> None:
    ci = cuminc([1, 2, 2, 3, 4, 5, 6, 7], [1, 2, 0, 1, 1, 0, 2, 1], conf_type="log-log")
    c = ci.curves["All", 1]
    ok = (c.estimate > 0) & (c.estimate < 1)
    assert np.all(c.lower[ok] < c.estimate[ok]) and np.all(c.estimate[ok] < c.upper[ok])
    # log-log band, closed form: F^exp(+-z se / (F log F))
    f, se, z = c.estimate[0], np.sqrt(c.variance[0]), 1.959963984540054
    np.testing.assert_allclose([c.lower[0], c.upper[0]],
                               [f ** np.exp(-z * se / (f * np.log(f))), f ** np.exp(z * se / (f * np.log(f)))],
                               rtol=1e-12)
    plain = cuminc([1, 2, 3], [1, 1, 0], conf_type="plain").curves["All", 1]
    np.testing.assert_allclose(plain.upper, np.clip(plain.estimate + z * np.sqrt(plain.variance), 0, 1), rtol=1e-12)
    frame = ci.to_frame()
    assert list(frame["cause"].unique()) == [1, 2] and len(frame) == 2 * c.time.size


def test_missing_rows_dropped_and_counted() -> None:
    df = pd.DataFrame({"t": [1.0, 2, np.nan, 4, 5], "s": [1, 0, 1, 2, 1], "g": ["a", "b", "a", None, "b"]})
    fit = cuminc("Surv(t, s) ~ g", data=df)
    assert fit.n_missing == 2 and fit.n == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"time_or_formula": [1, -2], "status": [1, 0]}, "non-negative"),
    ({"time_or_formula": [1, 2], "status": [0, 0]}, "no events"),
    ({"time_or_formula": [1, 2], "status": [1]}, "length"),
    ({"time_or_formula": [1, 2], "status": [1, 0], "conf_type": "log"}, "conf_type"),
    ({"time_or_formula": [1, 2], "status": [1, 0], "rho": "x"}, "rho"),
])
def test_bad_input(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        cuminc(**kwargs)


def test_formula_errors() -> None:
    df = pd.DataFrame({"t": [1, 2], "s": [1, 0], "g": [1, 2]})
    with pytest.raises(FormulaError, match="unknown column"):
        cuminc("Surv(t, s) ~ h", data=df)
    with pytest.raises(FormulaError, match="entry"):
        cuminc("Surv(t, t, s) ~ g", data=df)
    with pytest.raises(InputError, match="needs data"):
        cuminc("Surv(t, s) ~ g")
