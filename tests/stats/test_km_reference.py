"""Kaplan-Meier against R's survival (the oracle): every ``km`` case in tests/reference.

Source of the expected values: ``tests/reference/values/km_*.json``, produced by R 4.2.2 with
survival 3.5-3 (``survfit``, ``summary(fit)$table``, ``quantile(fit)``,
``summary(fit, rmean = ...)``); see tests/reference/README.md.  Each test is driven by the
case's own R call strings (formula, ``conf.type``, the ``rmean`` horizon) and data file, so
cases on other datasets run the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from reference.oracle import assert_close, case_names, load_case, load_dataset
from sarcohort.exceptions import InputError
from sarcohort.stats.km import kaplan_meier

RTOL = 1e-6
CASES = case_names("km")

ARRAYS = {
    "time": "time",
    "n.risk": "n_risk",
    "n.event": "n_event",
    "n.censor": "n_censor",
    "surv": "survival",
    "std.err": "std_err",
    "cumhaz": "cumhaz",
    "std.chaz": "cumhaz_se",
}


def parse_survfit_call(call: str) -> tuple[str, str, str]:
    """(formula, data name, conf.type) of ``survfit(<formula>, data = <name>, conf.type = "...")``."""
    m = re.fullmatch(r"\s*survfit\((?P<formula>.+?),\s*data\s*=\s*(?P<data>[\w.]+)(?P<rest>.*)\)\s*", call)
    assert m, f"unrecognised survfit call: {call}"
    ct = re.search(r'conf\.type\s*=\s*"([^"]+)"', m.group("rest"))
    return m.group("formula").strip(), m.group("data"), ct.group(1) if ct else "log"


def parse_rmean_tau(call: str) -> float:
    """The numeric horizon of ``summary(fit, rmean = 365)``."""
    m = re.search(r"rmean\s*=\s*([0-9.eE+-]+)", call)
    assert m, f"no numeric rmean in {call}"
    return float(m.group(1))


def fit(case: dict, conf_type_call: str):
    formula, data_name, conf_type = parse_survfit_call(conf_type_call)
    assert data_name == case["dataset"]
    data = load_dataset(Path(case["data_file"]).stem)
    w = re.search(r"weights\s*=\s*([\w.]+)", conf_type_call)  # survfit(..., weights = column)
    return kaplan_meier(formula, data=data, conf_type=conf_type, conf_level=case["result"]["conf.int"],
                        weights=None if w is None else data[w.group(1)])


SUMMARY_CASES = [n for n in CASES if "summary_times" in load_case(n)["result"]["strata"][0]]


@pytest.mark.parametrize("name", SUMMARY_CASES)
def test_summary_at_times_matches_r(name: str) -> None:
    """R's summary(fit, times = ...): counts since the previous time, S, its SE and band."""
    case = load_case(name)
    km = fit(case, case["call"])
    for s in case["result"]["strata"]:
        ref = s["summary_times"]
        asked = [float(v) for v in re.search(r"times = c\((.*)\)\)", ref["call"]).group(1).split(",")]
        got = km.curves[s["name"]].summary(asked)  # times past the curve's end are dropped, as R
        for key in ("time", "n.risk", "n.event", "n.censor"):
            assert_close(getattr(got, key.replace(".", "_")), ref[key], rtol=1e-12, what=f"{name} {key}")
        for key, attr in (("surv", "survival"), ("std.err", "std_err"), ("lower", "lower"), ("upper", "upper")):
            assert_close(getattr(got, attr), ref[key], rtol=RTOL, what=f"{name} {key}")


@pytest.mark.parametrize("name", CASES)
def test_curves_match_r(name: str) -> None:
    """time, n.risk, n.event, n.censor, surv, std.err, cumhaz, std.chaz and the counts."""
    case = load_case(name)
    km = fit(case, case["call"])
    expected = case["result"]["strata"]
    assert list(km.curves) == [s["name"] for s in expected]
    assert case["result"]["n_strata"] == len(km.curves)
    logse = case["result"].get("logse", True)  # R: False for jackknife SEs (std.err is the SE of S)
    for s in expected:
        curve = km.curves[s["name"]]
        for r_name, ours in ARRAYS.items():
            got = getattr(curve, ours)
            if r_name == "std.err" and not logse:
                got = got * curve.survival
            assert_close(got, s[r_name], rtol=RTOL, what=f"{name} {s['name']} {r_name}")
        assert curve.robust == (not logse)
        assert curve.n == s["records"] == s["n"]
        if not logse:  # weighted sums: equal up to rounding
            assert curve.n_start == pytest.approx(s["n.start"], rel=1e-12)
            assert curve.events == pytest.approx(s["events"], rel=1e-12)
            continue
        assert curve.n == s["records"] == s["n"]
        assert curve.n_start == s["n.start"]
        assert curve.n_max == s["n.max"]
        assert curve.events == s["events"]


@pytest.mark.parametrize("name", CASES)
def test_bands_medians_quantiles_match_r(name: str) -> None:
    """Pointwise CI, median with its (Brookmeyer-Crowley) CI and quantiles with CIs, per conf.type."""
    case = load_case(name)
    calls = case["calls"]["km"]
    assert calls, "case without conf.type calls"
    for conf_type, call in calls.items():
        km = fit(case, call)
        assert km.conf_type == conf_type
        for s in case["result"]["strata"]:
            curve = km.curves[s["name"]]
            ref = s["ci"][conf_type]
            what = f"{name} {s['name']} {conf_type}"
            assert_close(curve.lower, ref["lower"], rtol=RTOL, what=f"{what} lower")
            assert_close(curve.upper, ref["upper"], rtol=RTOL, what=f"{what} upper")
            assert_close(curve.median, ref["median"], rtol=RTOL, what=f"{what} median")
            assert_close(
                curve.median_ci("brookmeyer-crowley"),
                [ref["median_lower"], ref["median_upper"]],
                rtol=RTOL,
                what=f"{what} median CI",
            )
            q = ref["quantile"]
            got = np.array([curve.quantile(p) for p in q["probs"]])
            assert_close(got[:, 0], q["quantile"], rtol=RTOL, what=f"{what} quantiles")
            assert_close(got[:, 1], q["lower"], rtol=RTOL, what=f"{what} quantile lower")
            assert_close(got[:, 2], q["upper"], rtol=RTOL, what=f"{what} quantile upper")


@pytest.mark.parametrize("name", CASES)
def test_rmean_matches_r(name: str) -> None:
    """Restricted means with se: common, individual and fixed horizons."""
    case = load_case(name)
    km = fit(case, case["call"])
    tau_fixed = parse_rmean_tau(case["calls"]["rmean_fixed_tau"])
    if not case["result"].get("logse", True):  # jackknife SEs: the RMST's SE is refused, not guessed
        with pytest.raises(InputError, match="RMST"):
            km.rmst(tau_fixed)
        return
    by_kind = {
        "common": km.rmst("common"),
        "individual": km.rmst("individual"),
        "fixed_tau": km.rmst(tau_fixed),
    }
    common_tau = max(float(c.time[-1]) for c in km.curves.values())
    for s in case["result"]["strata"]:
        curve = km.curves[s["name"]]
        for kind, values in by_kind.items():
            ref = s["rmean"][kind]
            what = f"{name} {s['name']} rmean {kind}"
            tau = {"common": common_tau, "individual": float(curve.time[-1]), "fixed_tau": tau_fixed}[kind]
            assert_close(tau, ref["tau"], rtol=RTOL, what=f"{what} tau")
            assert_close(values[s["name"]], [ref["rmean"], ref["se"]], rtol=RTOL, what=what)
        # The per-curve method gives the same numbers.
        assert_close(curve.rmst(tau_fixed), [s["rmean"]["fixed_tau"]["rmean"], s["rmean"]["fixed_tau"]["se"]],
                     rtol=RTOL, what=f"{name} curve.rmst")


def test_all_cases_found() -> None:
    """The index lists the km cases the README promises (guards against an empty parametrisation)."""
    assert len(CASES) >= 12


def test_strata_term_is_grouping_arrays_agree_and_missing_rows_counted() -> None:
    """``~ strata(x)`` gives the same curves as ``~ x`` (survfit treats both as grouping); the
    array interface gives the same numbers; the row with ph.ecog NA is dropped and counted.
    Oracle: km_lung_ph_ecog (R: 227 of 228 rows used, 1 deleted for missingness)."""
    case = load_case("km_lung_ph_ecog")
    lung = load_dataset("lung")
    by_term = kaplan_meier("Surv(time, status) ~ ph.ecog", data=lung)
    by_strata = kaplan_meier("Surv(time, status) ~ strata(ph.ecog)", data=lung)
    assert by_term.n_missing == by_strata.n_missing == 1
    assert sum(c.n for c in by_term.curves.values()) == len(lung) - 1
    assert list(by_strata.curves) == [s["name"] for s in case["result"]["strata"]]
    keep = lung["ph.ecog"].notna().to_numpy()
    by_array = kaplan_meier(lung["time"].to_numpy()[keep], lung["status"].to_numpy()[keep],
                            lung["ph.ecog"].to_numpy()[keep])
    assert list(by_array.curves) == ["0", "1", "2", "3"]
    for s, label in zip(case["result"]["strata"], by_array.curves, strict=True):
        for curve in (by_strata.curves[s["name"]], by_array.curves[label]):
            assert_close(curve.survival, s["surv"], rtol=RTOL)
            assert_close(curve.lower, s["ci"]["log"]["lower"], rtol=RTOL)
