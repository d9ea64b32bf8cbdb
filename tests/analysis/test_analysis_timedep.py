"""Post-baseline exposure: counting-process split (hand-built rows), identities of the
time-dependent and landmark analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.small_cohort import MONTH, cohort, results
from sarcohort.analysis._timedep import compare_exposure, split_at_exposure


def test_split_by_hand():
    # patient 0: exposed at 2, event at 5 -> (0, 2] no event + (2, 5] event, exposed
    # patient 1: never exposed, censored at 4 -> (0, 4]
    # patient 2: exposed at 0 -> exposed throughout (0, 3]
    # patient 3: "exposed" at 6 after its end at 6 -> unexposed (0, 6]
    start, stop, ev, x, row = split_at_exposure(
        np.array([5.0, 4.0, 3.0, 6.0]), np.array([True, False, True, True]),
        np.array([2.0, np.nan, 0.0, 6.0]))
    got = sorted(zip(row.tolist(), start.tolist(), stop.tolist(), ev.tolist(), x.tolist(),
                     strict=True))
    assert got == [(0, 0.0, 2.0, False, 0.0), (0, 2.0, 5.0, True, 1.0),
                   (1, 0.0, 4.0, False, 0.0), (2, 0.0, 3.0, True, 1.0),
                   (3, 0.0, 6.0, True, 0.0)]
    # follow-up time is conserved: sum of intervals == sum of times
    assert (stop - start).sum() == pytest.approx(5 + 4 + 3 + 6)


def test_exposure_at_origin_gives_the_naive_hr():
    # every exposed patient exposed at time 0: no immortal time, so the time-dependent
    # model is the naive model and the HRs are identical
    p = cohort().patients
    t = p["os_days"].to_numpy() / MONTH
    e = p["os_event"].to_numpy()
    s = np.where(p["metastasis_surgery"], 0.0, np.nan)
    x = compare_exposure("os", "OS", t, e, p, "metastasis_surgery", s, [], landmark_time=3.0,
                         ties="efron", conf_level=0.95)
    assert x.time_dependent is not None
    assert x.time_dependent.hr == pytest.approx(x.naive.hr, rel=1e-9)
    assert x.ratio_td_naive == pytest.approx(1.0, rel=1e-9)


def test_landmark_population_by_hand():
    # landmark at 6 months: patients with OS > 6 (7c, 8, 10, 12, 14, 16, 20c, 24, 30c) -> 9,
    # of whom 6 have an event (c: censored)
    r = results(time_dependent={"metastasis_surgery": "surgery_days"}, landmark_time=6)
    x = next(x for x in r.robustness if x.endpoint == "os")
    assert x.landmark_time == 6.0
    assert x.landmark_n == 9 and x.landmark_events == 6
    # surgery at 1 month, every event after 2 months: the split only moves event-free time,
    # so the risk sets at every event time are unchanged and the HRs are identical
    assert x.ratio_td_naive == pytest.approx(1.0, rel=1e-9)
    assert x.naive.hr == pytest.approx(
        next(t.hr for t in r.model("os").terms if t.name == "metastasis_surgery"), rel=1e-12)
    assert "adjusted for" in x.note


def _os_in_months():
    """The example cohort's patients, OS time and event, and surgery time, in months."""
    p = cohort().patients
    return (p, p["os_days"].to_numpy() / MONTH, p["os_event"].to_numpy(),
            p["surgery_days"].to_numpy() / MONTH)


def test_time_dependent_equals_core_counting_process():
    from sarcohort.stats.cox import cox

    p, t, e, s = _os_in_months()
    x = compare_exposure("os", "OS", t, e, p, "metastasis_surgery", s, [], landmark_time=6.0,
                         ties="efron", conf_level=0.95)
    start, stop, ev, xx, _ = split_at_exposure(t, e, s)
    fit = cox(stop, ev, pd.DataFrame({"metastasis_surgery": xx}), entry=start)
    assert x.time_dependent.hr == pytest.approx(float(fit.hr[0]), rel=1e-10)


def test_non_binary_exposure_is_refused():
    from sarcohort.exceptions import ProtocolError

    p = cohort().patients
    with pytest.raises(ProtocolError, match="yes/no"):
        compare_exposure("os", "OS", p["os_days"].to_numpy(), p["os_event"].to_numpy(), p,
                         "n_metastases", p["surgery_days"].to_numpy(), [], landmark_time=6.0,
                         ties="efron", conf_level=0.95)


def test_conf_level_reaches_every_model():
    # closed form: the 90% Wald interval is exp(coef -/+ z * se), z = Phi^-1(0.95)
    from scipy.special import ndtri

    p, t, e, s = _os_in_months()
    x = compare_exposure("os", "OS", t, e, p, "metastasis_surgery", s, [], landmark_time=6.0,
                         ties="efron", conf_level=0.90)
    z = ndtri(0.95)
    for term in (x.naive, x.time_dependent, x.landmark):
        assert term is not None
        assert term.lower == pytest.approx(np.exp(term.coef - z * term.se), rel=1e-9)
        assert term.upper == pytest.approx(np.exp(term.coef + z * term.se), rel=1e-9)


def test_unadjusted_naive_is_the_univariable_model_of_the_runner():
    # the runner hands the univariable model's term to the unadjusted comparison instead of
    # fitting the same model again: it must be what compare_exposure fits itself
    from sarcohort.analysis._regression import fit_cox

    p, t, e, s = _os_in_months()
    own = compare_exposure("os", "OS", t, e, p, "metastasis_surgery", s, [], landmark_time=6.0,
                           ties="efron", conf_level=0.95)
    uni = fit_cox("os", "OS", t, e, p, ["metastasis_surgery"], kind="univariable", ties="efron",
                  conf_level=0.95)
    given = compare_exposure("os", "OS", t, e, p, "metastasis_surgery", s, [], landmark_time=6.0,
                             ties="efron", conf_level=0.95, naive=uni.terms[0])
    assert given == own


def test_split_rows_of_complete_patients_fit_as_every_split_row():
    """Oracle: the time-dependent model fitted the direct way (every usable patient split, the
    covariates as given, the exposure as 0/1 floats; fit_cox drops the incomplete rows), which
    :func:`test_time_dependent_equals_core_counting_process` ties to the core fit. The
    registry-lean path (complete patients split, sorted, yes/no columns as booleans) must give
    the same model, every number bit for bit."""
    from sarcohort.analysis._regression import fit_cox

    rng = np.random.default_rng(7)
    n = 400
    t = rng.integers(1, 1500, n) / 30.4375
    e = rng.random(n) < 0.6
    exposed = rng.random(n) < 0.4
    s = np.where(exposed, np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * t * 1.2), np.nan)
    p = pd.DataFrame({
        "surgery": exposed,
        "bone": pd.Series(np.where(rng.random(n) < 0.5, "yes", "no"), dtype=object).where(
            rng.random(n) > 0.05, None),
        "grade": pd.Categorical(rng.choice(["low", "mid", "high"], n), categories=["low", "mid", "high"]),
        "age": np.where(rng.random(n) < 0.05, np.nan, rng.normal(50, 10, n)),
    })
    covs = ["surgery", "bone", "grade", "age"]
    got = compare_exposure("os", "OS", t, e, p, "surgery", s, covs[1:], landmark_time=6.0,
                           ties="efron", conf_level=0.95)

    usable = ~(exposed & ~np.isfinite(s))
    start, stop, ev, x, rows = split_at_exposure(t[usable], e[usable], np.where(exposed, s, np.nan)[usable])
    td_data = p[covs].iloc[np.flatnonzero(usable)[rows]].reset_index(drop=True)
    td_data["surgery"] = x
    want = fit_cox("os", "OS", stop, ev, td_data, covs, kind="time-dependent", ties="efron",
                   conf_level=0.95, entry=start)
    assert got.time_dependent == next(tm for tm in want.terms if tm.name == "surgery")
    complete = p[covs].notna().all(axis=1).to_numpy()
    assert got.time_dependent_model.terms == want.terms
    assert got.time_dependent_model.n == int((usable & complete).sum())
    assert got.time_dependent_model.n_missing == int((~complete).sum())


@pytest.mark.parametrize("missing", [False, True])
def test_split_rows_shared_by_the_adjusted_and_unadjusted_models(missing: bool) -> None:
    """Oracle: each model compared on its own (no split shared), every number equal. The
    runner's adjusted then unadjusted comparison of one exposure share the sorted split rows
    when the same patients are split (every adjustment covariate known), and split their own
    when an adjustment covariate is missing for some patients."""
    rng = np.random.default_rng(8)
    n = 500
    t = rng.integers(1, 1500, n) / 30.4375
    e = rng.random(n) < 0.6
    exposed = rng.random(n) < 0.4
    s = np.where(exposed, rng.random(n) * t * 1.2, np.nan)
    bone = np.where(rng.random(n) < 0.5, 1.0, 0.0)
    if missing:
        bone[rng.random(n) < 0.1] = np.nan
    p = pd.DataFrame({"surgery": exposed, "bone": bone, "age": rng.normal(50, 10, n)})
    splits: dict = {}
    options = dict(landmark_time=6.0, ties="efron", conf_level=0.95)
    adjusted = compare_exposure("os", "OS", t, e, p, "surgery", s, ["bone", "age"], splits=splits,
                                **options)
    first = splits["split"]
    unadjusted = compare_exposure("os", "OS", t, e, p, "surgery", s, [], splits=splits, **options)
    assert (splits["split"] is first) != missing  # reused, or the unadjusted model's own
    alone = [compare_exposure("os", "OS", t, e, p, "surgery", s, adjust, **options)
             for adjust in (["bone", "age"], [])]
    assert [adjusted, unadjusted] == alone
