"""R formula parsing and model frames, checked against R's na.omit counts in the reference cases."""

import numpy as np
import pandas as pd
import pytest

from reference.oracle import load_case, load_dataset
from sarcohort.exceptions import FormulaError, InputError
from sarcohort.stats.formula import format_level, group_labels, model_frame, parse_formula


def test_parse_specials():
    f = parse_formula("Surv(start, stop, event) ~ (age + surgery) * transplant + strata(a, b) + cluster(id) + offset(0.02 * age)")
    assert f.surv == ("start", "stop", "event")
    assert f.terms == ("(age + surgery) * transplant",)
    assert f.strata == ("a", "b") and f.cluster == "id" and f.offset == "0.02 * age"
    assert f.variables == {"start", "stop", "event", "age", "surgery", "transplant", "a", "b", "id"}
    assert parse_formula("Surv(time, status) ~ 1").rhs == "1"


@pytest.mark.parametrize(
    "bad", ["time ~ age", "Surv(time) ~ age", "Surv(time, status)", "Surv(time, status ~ x", "Surv(t, s) ~ a + + b"]
)
def test_malformed_formulas(bad):
    with pytest.raises(FormulaError):
        parse_formula(bad)


@pytest.mark.parametrize(
    "case",
    ["cox_lung_multi_na_efron", "cox_colon_death_full_efron", "cox_colon_marginal_efron", "cox_pbc_mayo_efron"],
)
def test_na_omit_matches_r(case):
    """R's n, nevent and n_missing for coxph(..., na.action = na.omit)."""
    ref = load_case(case)
    call = ref["call"]
    formula = call[call.index("(") + 1 : call.index(", data")]
    frame = model_frame(formula, load_dataset(ref["dataset"]))
    assert frame.n_missing == ref["result"]["n_missing"]
    assert frame.surv.n == ref["result"]["n"]
    assert int(frame.surv.event.sum()) == ref["result"]["nevent"]


def test_counting_process_and_strata():
    frame = model_frame("Surv(start, stop, event) ~ age + strata(transplant)", load_dataset("heart"))
    assert frame.surv.entry is not None and (frame.surv.entry < frame.surv.time).all()
    # transplant is a factor: R's strata() then labels by level alone (its shortlabel rule)
    assert frame.strata_labels == ("0", "1")
    numeric = model_frame("Surv(time, status) ~ age + strata(sex)", load_dataset("lung"))
    assert numeric.strata_labels == ("sex=1", "sex=2")  # as basehaz in cox_lung_strata_sex_efron


def test_group_labels_r_style():
    lung = load_dataset("lung")
    codes, labels = group_labels(lung, ["ph.ecog"])
    assert labels == ("ph.ecog=0", "ph.ecog=1", "ph.ecog=2", "ph.ecog=3")
    assert (codes == -1).sum() == 1  # the NA row R drops
    _, labels = group_labels(load_dataset("colon_death"), ["rx"])
    assert labels == ("rx=Obs", "rx=Lev", "rx=Lev+5FU")  # factor level order, not sorted
    _, labels = group_labels(lung, ["sex", "ph.ecog"])
    assert labels[0] == "sex=1, ph.ecog=0"
    assert format_level(np.float64(3.0)) == "3" and format_level(True) == "TRUE"


def test_model_frame_errors_name_the_column():
    df = pd.DataFrame({"time": [1.0, -2.0], "status": [1, 0], "x": [1, 2]})
    with pytest.raises(FormulaError, match="'nope'"):
        model_frame("Surv(time, status) ~ nope", df)
    with pytest.raises(InputError, match="time"):
        model_frame("Surv(time, status) ~ x", df)
