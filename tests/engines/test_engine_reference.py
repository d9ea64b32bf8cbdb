"""The DuckDB engine against R's survival 3.5-3 (tests/reference): the aggregates path is
checked against the outside oracle directly, not only against the memory engine."""

from __future__ import annotations

import pytest

from reference.oracle import assert_close, load_case, load_dataset
from sarcohort import engines as E


def _lung():
    df = load_dataset("lung")
    df["sex"] = df["sex"].astype(int)
    return df


def test_km_delayed_entry_heart():
    """survfit(Surv(start, stop, event) ~ 1, data = heart): entries, fractional near-ties."""
    r = load_case("km_heart_overall")["result"]["strata"][0]
    km = E.kaplan_meier(load_dataset("heart"), time="stop", event="event", entry="start",
                        engine="duckdb")
    c = km.curves["All"]
    assert_close(c.time, r["time"], what="time")
    assert_close(c.n_risk, r["n.risk"], what="n.risk")
    assert_close(c.survival, r["surv"], what="surv")
    assert_close(c.std_err, r["std.err"], what="std.err")


def test_stratified_logrank_lung():
    """survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = lung); status coded 1/2."""
    r = load_case("lr_lung_sex_strata_ph_ecog")["result"]
    lr = E.logrank(_lung(), time="time", event="status", group="sex", strata=["ph.ecog"],
                   engine="duckdb")
    assert_close(lr.observed, r["observed"], what="observed")
    assert_close(lr.expected, r["expected"], what="expected")
    assert_close(lr.var, r["var"], what="var")
    assert_close(lr.chisq, r["chisq"], what="chisq")
    assert lr.n_missing == 1  # the patient without ph.ecog, as R's na.omit


@pytest.mark.parametrize("case, kw", [
    ("cox_lung_strata_sex_efron", dict(time="time", event="status", covariates=["age", "ph.ecog"],
                                       strata=["sex"])),
    ("cox_lung_age_sex_breslow", dict(time="time", event="status", covariates=["age", "sex"],
                                      ties="breslow")),
    ("cox_heart_efron", dict(time="stop", event="event", entry="start",
                             covariates=["age", "year", "surgery", "transplant"])),
])
def test_cox(case, kw):
    r = load_case(case)["result"]
    data = _lung() if "lung" in case else load_dataset("heart")
    if "transplant" in data:
        data["transplant"] = data["transplant"].astype(int)
    fit = E.cox(data, engine="duckdb", **kw)
    assert_close(fit.coef, r["coef"], what="coef")
    assert_close(fit.se, r["se"], what="se")
    assert_close(fit.loglik, r["loglik_final"] if "loglik_final" in r else r["loglik"][1], what="loglik")
    assert fit.n == int(r["n"]) and fit.n_event == int(r["nevent"])
