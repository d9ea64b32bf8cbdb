"""Bad input gives an InputError naming argument, value and fix; edge cases give R's values.

Oracles: the R conventions documented in tests/reference/README.md (``std.err`` is Inf and the
``log`` band NA where S = 0; ``log-log`` NA where S = 1) and closed-form hand values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.exceptions import InputError
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.logrank import logrank


@pytest.mark.parametrize(
    ("kwargs", "argument", "needle"),
    [
        (dict(time_or_formula=[1, -2, 3], event=[1, 0, 1]), "time", "non-negative"),
        (dict(time_or_formula=[1, np.nan, 3], event=[1, 0, 1]), "time", "finite"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 3, 1]), "event", "event codes"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 0]), "event", "length"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 0, 1], group=[1, 2]), "group", "3 times"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 0, 1], group=[1, np.nan, 2]), "group", "missing"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 0, 1], entry=[0, 2, 1]), "entry", "before exit"),
        (dict(time_or_formula=[1, 2, 3], event=[1, 0, 1], entry=[0, 1]), "entry", "length"),
        (dict(time_or_formula=[], event=[]), "time", "no observations"),
        (dict(time_or_formula=[1, 2], event=[1, 0], conf_type="probit"), "conf_type", "probit"),
        (dict(time_or_formula=[1, 2], event=[1, 0], conf_level=1.5), "conf_level", "between 0 and 1"),
        (dict(time_or_formula=[1, 2], event=None), "event", "required"),
        (dict(time_or_formula=[1, 2], event=[1, 0], data=pd.DataFrame()), "data", "formula"),
        (dict(time_or_formula="Surv(time, status) ~ 1"), "data", "needs data"),
    ],
)
def test_kaplan_meier_bad_input(kwargs, argument, needle) -> None:
    with pytest.raises(InputError) as info:
        kaplan_meier(**kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.argument == argument
    assert needle in str(err)
    assert str(err).startswith(f"{argument}:")


def test_formula_with_unknown_column_and_extra_arrays() -> None:
    df = pd.DataFrame({"time": [1, 2, 3], "status": [1, 0, 1], "sex": [1, 2, 1]})
    with pytest.raises(InputError, match="unknown column"):
        kaplan_meier("Surv(time, status) ~ age", data=df)
    with pytest.raises(InputError) as info:
        kaplan_meier("Surv(time, status) ~ sex", event=[1, 0, 1], data=df)
    assert info.value.argument == "event"


def test_logrank_bad_input() -> None:
    with pytest.raises(InputError) as info:
        logrank([1, 2, 3], [1, 0, 1], [1, 1, 1])
    assert info.value.argument == "group" and "one group" in str(info.value)
    with pytest.raises(InputError) as info:
        logrank([1, 2, 3], [1, 0, 1], [1, 2, 1], rho=float("nan"))
    assert info.value.argument == "rho"
    df = pd.DataFrame({"start": [0, 0, 1], "stop": [1, 2, 3], "event": [1, 0, 1], "g": [1, 2, 1]})
    with pytest.raises(InputError, match="right-censored"):
        logrank("Surv(start, stop, event) ~ g", data=df)


def test_curve_method_bad_input() -> None:
    c = kaplan_meier([1, 2, 3], [1, 0, 1]).curves["All"]
    with pytest.raises(InputError) as info:
        c.median_ci("wald")
    assert info.value.argument == "method"
    with pytest.raises(InputError) as info:
        c.quantile(1.5)
    assert info.value.argument == "p"
    with pytest.raises(InputError):
        kaplan_meier([1, 2, 3], [1, 0, 1]).rmst("longest")


def test_all_censored_curve_is_flat_at_one() -> None:
    # No event: S = 1, std.err = 0, log band [1, 1], log-log band NA (S = 1), no median.
    km = kaplan_meier([3, 5, 7], [0, 0, 0])
    c = km.curves["All"]
    np.testing.assert_array_equal(c.survival, [1, 1, 1])
    np.testing.assert_array_equal(c.std_err, [0, 0, 0])
    np.testing.assert_array_equal(c.lower, [1, 1, 1])
    assert np.isnan(c.median) and np.isnan(c.median_ci()).all() and np.isnan(c.median_ci("spss")).all()
    assert np.isnan(c.quantile(0.5)).all()
    assert c.rmst() == (7.0, 0.0)  # area under S = 1 from 0 to 7
    loglog = kaplan_meier([3, 5, 7], [0, 0, 0], conf_type="log-log").curves["All"]
    assert np.isnan(loglog.lower).all() and np.isnan(loglog.upper).all()


def test_single_subject_group_and_survival_reaching_zero() -> None:
    # Group "b" has one subject who dies at 4: S = 0, std.err = Inf, log band NA, plain NaN,
    # cumhaz = 1/1 with SE 1 (as R's lung ph.ecog = 3 curve).
    time, event, group = [1, 2, 3, 4], [1, 0, 1, 1], ["a", "a", "a", "b"]
    for conf_type in ("log", "log-log", "plain"):
        km = kaplan_meier(time, event, group, conf_type=conf_type)
        b = km.curves["b"]
        assert b.survival.tolist() == [0.0] and b.std_err.tolist() == [np.inf]
        assert np.isnan(b.lower).all() and np.isnan(b.upper).all()
        assert b.cumhaz.tolist() == [1.0] and b.cumhaz_se.tolist() == [1.0]
        assert b.median == 4.0 and np.isnan(b.median_ci()).all()
        assert b.quantile(0.25) == (4.0, pytest.approx(np.nan, nan_ok=True), pytest.approx(np.nan, nan_ok=True))
        assert b.rmst() == (4.0, 0.0)
        a = km.curves["a"]
        # a: deaths at 1 (3 at risk) and 3 (1 at risk): S = 2/3, 2/3, 0
        np.testing.assert_allclose(a.survival, [2 / 3, 2 / 3, 0.0], rtol=1e-15)


def test_logrank_without_events_has_no_test() -> None:
    lr = logrank([1, 2, 3, 4], [0, 0, 0, 0], [0, 0, 1, 1])
    assert lr.chisq == 0.0 and np.isnan(lr.p)
    np.testing.assert_array_equal(lr.expected, [0, 0])


def test_results_are_frozen_and_to_frame_works() -> None:
    km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1], [0, 1, 0, 1])
    c = km.curves["0"]
    with pytest.raises(AttributeError):
        c.label = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        c.survival[0] = 0.5
    frame = km.to_frame()
    assert list(frame["curve"].unique()) == ["0", "1"] and len(frame) == 4
    assert set(km.summary_frame()["curve"]) == {"0", "1"}
    np.testing.assert_array_equal(c.at_risk([0, 1, 1.5, 2, 9]), [2, 2, 1, 1, 0])
    s, lo, hi = c.survival_at([0.5, 1, 2, 9])  # last time of curve "0" is 2
    np.testing.assert_allclose(s[:3], [1.0, 0.5, 0.5])
    assert np.isnan(s[3]) and np.isnan(lo[3]) and np.isnan(hi[3])
