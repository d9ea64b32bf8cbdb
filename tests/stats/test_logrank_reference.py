"""Log-rank / G-rho tests against R's survival (the oracle): every ``logrank`` case.

Source of the expected values: ``tests/reference/values/lr_*.json``, R 4.2.2 with survival
3.5-3 ``survdiff`` (see tests/reference/README.md).  Each test is driven by the case's R call
(formula, ``rho``) and its data file, so cases on other datasets run the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from reference.oracle import assert_close, case_names, load_case, load_dataset
from sarcohort.stats.logrank import logrank

RTOL = 1e-6
CASES = case_names("logrank")


def parse_survdiff_call(call: str) -> tuple[str, str, float]:
    """(formula, data name, rho) of ``survdiff(<formula>, data = <name>[, rho = x])``."""
    m = re.fullmatch(r"\s*survdiff\((?P<formula>.+?),\s*data\s*=\s*(?P<data>[\w.]+)(?P<rest>.*)\)\s*", call)
    assert m, f"unrecognised survdiff call: {call}"
    rho = re.search(r"rho\s*=\s*([0-9.eE+-]+)", m.group("rest"))
    return m.group("formula").strip(), m.group("data"), float(rho.group(1)) if rho else 0.0


@pytest.mark.parametrize("name", CASES)
def test_logrank_matches_r(name: str) -> None:
    case = load_case(name)
    formula, data_name, rho = parse_survdiff_call(case["call"])
    assert data_name == case["dataset"]
    ref = case["result"]
    lr = logrank(formula, data=load_dataset(Path(case["data_file"]).stem), rho=rho)
    assert lr.rho == ref["rho"]
    assert list(lr.groups) == ref["groups"]
    assert_close(lr.n, ref["n"], rtol=0, what="n")
    for ours, r_name in [("observed", "observed"), ("expected", "expected"), ("var", "var"),
                         ("chisq", "chisq"), ("p", "p")]:
        assert_close(getattr(lr, ours), ref[r_name], rtol=RTOL, what=f"{name} {r_name}")
    assert_close(lr.p, ref["pvalue_R"], rtol=RTOL, what=f"{name} survdiff's own p")
    assert lr.df == ref["df"]
    frame = lr.to_frame()
    assert_close(frame["o_minus_e_sq_over_e"], ref["o_minus_e_sq_over_e"], rtol=RTOL, what="(O-E)^2/E")
    assert_close(frame["o_minus_e_sq_over_v"], ref["o_minus_e_sq_over_v"], rtol=RTOL, what="(O-E)^2/V")
    if "strata" in ref:
        assert list(lr.strata) == ref["strata"]
        assert_close(lr.strata_n, ref["strata_n"], rtol=0, what="strata_n")
        assert_close(lr.observed_by_strata, ref["observed_by_strata"], rtol=RTOL, what="observed_by_strata")
        assert_close(lr.expected_by_strata, ref["expected_by_strata"], rtol=RTOL, what="expected_by_strata")
    else:
        assert lr.strata == () and lr.observed_by_strata is None


@pytest.mark.parametrize("name", [c for c in CASES if "strata" in load_case(c)["result"]])
def test_stratified_with_arrays_matches_formula(name: str) -> None:
    """The array interface (group=, strata=) gives R's numbers too."""
    case = load_case(name)
    formula, _, rho = parse_survdiff_call(case["call"])
    data = load_dataset(Path(case["data_file"]).stem)
    from sarcohort.stats.formula import model_frame

    mf = model_frame(formula, data)
    grp = mf.data[mf.formula.terms[0]]
    lr = logrank(mf.surv.time, mf.surv.event, np.asarray(grp) if grp.dtype.kind in "if" else grp,
                 strata=mf.strata, rho=rho)
    ref = case["result"]
    assert_close(lr.chisq, ref["chisq"], rtol=RTOL)
    assert_close(lr.var, ref["var"], rtol=RTOL)
    assert_close(lr.observed_by_strata, ref["observed_by_strata"], rtol=RTOL)


def test_all_cases_found() -> None:
    assert len(CASES) >= 10
