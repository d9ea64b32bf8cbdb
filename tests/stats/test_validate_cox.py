"""Bootstrap validation (``sc.validate_cox``) against R's rms::validate.

Oracle: tests/reference/R/make_validate.R (rms 6.5-0, ``validate(cph(..., x = TRUE, y = TRUE,
surv = TRUE), B = 2000)`` on lung complete cases). The apparent indices do not depend on the
draws: identical to 1e-6. The corrected indices are Monte-Carlo estimates: with our B = 200
and R's B = 2000 their difference has SD sqrt(se^2 + se^2 / 10), se the Monte-Carlo SE of our
optimism; the test allows 4 such SDs (about 0.014 for Dxy and 0.05 for the slope here).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from sarcohort.exceptions import InputError
from sarcohort.stats.validate_cox import _procedure, bootstrap_counts

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def lung():
    ref = json.loads((REF / "validate" / "lung_efron.json").read_text())
    df = pd.read_csv(REF / ref["data"]).dropna(subset=ref["complete_cases"])
    return ref, df, sc.cox(ref["formula"], data=df, ties=ref["ties"])


def test_apparent_equals_rms(lung) -> None:
    ref, df, fit = lung
    v = sc.validate_cox(fit, B=5, seed=1)
    idx = ref["index"]
    assert fit.n == ref["n"]
    assert v.value("Dxy", "apparent") == pytest.approx(ref["index_orig"][idx.index("Dxy")], rel=1e-6)
    assert v.value("Slope", "apparent") == ref["index_orig"][idx.index("Slope")] == 1
    assert v.value("C", "apparent") == pytest.approx(fit.concordance.value, rel=1e-12)


def test_corrected_within_monte_carlo_error_of_rms(lung) -> None:
    ref, df, fit = lung
    v = sc.validate_cox(fit, B=200, seed=7)
    assert v.n_replicates == 200
    idx = ref["index"]
    for name in ("Dxy", "Slope"):
        se = v.optimism_se[v.index.index(name)]
        tol = 4 * np.sqrt(se**2 + se**2 * 200 / ref["B"])
        assert abs(v.value(name) - ref["index_corrected"][idx.index(name)]) < tol, name
        assert v.value(name, "optimism") > 0  # a 4-covariate model on 226 patients is optimistic
    frame = v.to_frame()
    assert list(frame.columns) == ["index.orig", "training", "test", "optimism", "index.corrected", "n"]
    np.testing.assert_allclose(frame["index.corrected"], frame["index.orig"] - frame["optimism"])
    assert v.value("C") == pytest.approx((v.value("Dxy") + 1) / 2, rel=1e-12)


def test_same_seed_same_result(lung) -> None:
    _, _, fit = lung
    a = sc.validate_cox(fit, B=20, seed=3)
    b = sc.validate_cox(fit, B=20, seed=3)
    np.testing.assert_array_equal(a.corrected, b.corrected)


def test_selection_repeated_in_each_replicate(lung) -> None:
    """The batched procedure (univariable Wald P < 0.05, then the model of the kept terms)
    equals the procedure done by hand with sc.cox on each resampled data set."""
    _, df, fit = lung
    cs = fit._state.setup
    time, event, X = cs.stop, cs.event, np.ascontiguousarray(cs.X)
    counts = bootstrap_counts(time.size, 4, np.random.default_rng(2))
    assign = fit.assign
    coef, ok, chosen = _procedure(time, event, X, counts, assign, "efron", "univariable", 0.05, None)
    for b in range(4):
        rows = np.repeat(np.arange(time.size), counts[b].astype(int))
        keep = [k for k, cols in enumerate(assign)
                if sc.cox(time[rows], event[rows], X[rows][:, list(cols)]).p.min() < 0.05]
        assert list(np.flatnonzero(chosen[b])) == keep
        cols = [c for k in keep for c in assign[k]]
        ref = sc.cox(time[rows], event[rows], X[rows][:, cols]).coef
        np.testing.assert_allclose(coef[b, cols], ref, rtol=1e-8)
        assert not coef[b, [c for c in range(X.shape[1]) if c not in cols]].any()
    v = sc.validate_cox(fit, B=30, seed=5, selection="univariable")
    assert v.selection == "univariable" and 0 < v.selected_fraction.min() <= v.selected_fraction.max() <= 1


def test_refuses_what_it_cannot_validate(lung) -> None:
    _, df, _ = lung
    strat = sc.cox("Surv(time, status) ~ age + strata(sex)", data=df)
    with pytest.raises(InputError, match="strata"):
        sc.validate_cox(strat, B=5)
    with pytest.raises(InputError, match="replicate"):
        sc.validate_cox(sc.cox("Surv(time, status) ~ age", data=df), B=0)
