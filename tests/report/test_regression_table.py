"""The Cox regression table as journals print it (structure; the numbers are the fits', which
tests/stats checks against R) and the proportional-hazards table and warnings."""

from __future__ import annotations

import pytest

from fixtures.small_cohort import results
from sarcohort.report import _tables as build
from sarcohort.report._format import fmt_hr, fmt_p


@pytest.fixture(scope="module")
def res():
    return results(factors=["more_than_5_metastases", "sex", "centre"],
                   multivariable={"os": ["sex", "centre", "age_at_metastasis"],
                                  "pfs": ["more_than_5_metastases"]},
                   time_dependent={})


def test_univariable_and_multivariable_side_by_side(res):
    t = build.regression_table(res, "os")
    f = t.frame
    mv = res.model("os")
    assert list(f.columns[:5]) == ["Characteristic", "N", "Events", "Univariable HR (95% CI)", "P"]
    assert f.columns[5] == f"Multivariable (n = {mv.n}, {mv.n_event} events) HR (95% CI)"
    first = list(f["Characteristic"])
    # every multivariable variable has its univariable row (age is not a protocol factor)
    assert first[0] == "Sex: Male vs Female"  # value labels, R's reference level (F)
    age = f.iloc[first.index(next(x for x in first if x.startswith("Age")))]
    u_age = next(m for m in res.univariable if m.endpoint == "os"
                 and m.covariates == ("age_at_metastasis",))
    assert age.iloc[1] == str(u_age.n) == "11"  # one age missing: N says so
    assert age.iloc[3] == fmt_hr(u_age.terms[0].hr, u_age.terms[0].lower, u_age.terms[0].upper)


@pytest.fixture(scope="module")
def gbsg(res):
    """The report's OS models replaced by models of R's gbsg data (a 3-level grade)."""
    import dataclasses
    from pathlib import Path

    import pandas as pd

    from sarcohort.analysis._regression import fit_cox

    d = pd.read_csv(Path(__file__).parents[1] / "reference" / "data" / "gbsg.csv")
    d["grade"] = pd.Categorical(d["grade"].astype(str), categories=["1", "2", "3"])
    t, e = d["rfstime"].to_numpy(float), d["status"].to_numpy(bool)

    def fit(covs, kind):
        return fit_cox("os", "Overall survival", t, e, d, covs, kind=kind, label=str.capitalize,
                       ties="efron", conf_level=0.95)

    uni = tuple(fit([c], "univariable") for c in ("age", "hormon", "grade"))
    return dataclasses.replace(res, univariable=uni,
                               multivariable=(fit(["age", "hormon", "grade"], "multivariable"),),
                               robustness=())


def test_factor_rows_reference_and_overall_p(gbsg):
    t = build.regression_table(gbsg, "os")
    rows = t.frame.values.tolist()
    i = next(k for k, r in enumerate(rows) if r[0] == "Grade")
    kinds = t.row_kinds
    assert kinds[i] == "header" and kinds[i + 1] == kinds[i + 2] == kinds[i + 3] == "level"
    uni = next(m for m in gbsg.univariable if m.covariates == ("grade",))
    mv = next(v for v in gbsg.model("os").variables if v.name == "grade")
    assert rows[i][4] == fmt_p(uni.lr_p)  # the univariable model's LR test
    assert rows[i][6] == fmt_p(mv.overall_p) and mv.overall_df == 2  # drop1, checked against R
    assert [r[0] for r in rows[i + 1:i + 4]] == ["1", "2", "3"]
    assert rows[i + 1][3] == rows[i + 1][5] == build.REFERENCE
    g3 = next(x for x in gbsg.model("os").terms if x.name == "grade=3")
    assert rows[i + 3][5] == fmt_hr(g3.hr, g3.lower, g3.upper)
    assert any("likelihood-ratio" in n for n in t.footnotes)
    assert rows[0][0] == "Age (per unit)" and rows[1][0] == "Hormon: Yes vs No"


def test_zph_table_and_warning(gbsg):
    z = build.zph_table(gbsg, "os")
    names = list(z.frame["Variable"])
    assert names == ["Age (per unit)", "Hormon", "Grade", "Global test"]  # a factor: one row
    assert list(z.frame["df"]) == ["1", "1", "2", "4"]
    from sarcohort.analysis._runner import ph_warnings

    warned = ph_warnings(gbsg.model("os"))
    # R's cox.zph: age P = 0.006, grade P = 0.001 (tests/stats/test_zph_scaled.py)
    assert len(warned) == 2 and "Age" in warned[0] and "Grade" in warned[1]
    assert all("stratify" in w for w in warned)


def test_zph_plot_draws_r_smooth(gbsg):
    """The plot draws the curves checked against R's plot.cox.zph (tests/stats/test_zph_scaled)."""
    import numpy as np

    from sarcohort.report.plots._zph import plot_zph

    model = gbsg.model("os")
    axes = plot_zph(model, time_label="Days since randomisation")
    assert len(axes) == len(model.zph_curves) == 4
    for ax, cv in zip(axes, model.zph_curves, strict=True):
        fit, lower, upper = (line.get_ydata() for line in ax.get_lines()[:3])
        np.testing.assert_allclose(fit, cv.smooth)
        np.testing.assert_allclose(lower, cv.lower)
        np.testing.assert_allclose(upper, cv.upper)
        assert ax.get_xlabel() == "Days since randomisation"
        sizes = [t.get_fontsize() for t in [ax.xaxis.label, ax.yaxis.label, ax.title,
                                            *ax.get_xticklabels(), *ax.get_yticklabels()]]
        assert min(sizes) >= 7
    assert "Age" in axes[0].get_ylabel()
    import matplotlib.pyplot as plt

    plt.close(axes[0].figure)


def test_followup_is_reverse_km_on_os_with_iqr(res):
    from sarcohort.report._narrative import followup_phrase, results_text

    fu = res.followup()
    assert fu is not None and fu.name == "os"
    # by hand: censored at 7, 20, 30 months; reverse KM 8/9 at 7, 8/9 x 2/3 = 0.59 at 20
    # (first <= 0.75: Q1 = 20), 0 at 30 (median = Q3 = 30)
    assert fu.followup_q1 == pytest.approx(20.0) and fu.median_followup == pytest.approx(30.0)
    assert fu.followup_q3 == pytest.approx(30.0)
    phrase = followup_phrase(res, fu)
    assert "reverse Kaplan-Meier on overall survival" in phrase and "IQR" in phrase
    assert phrase in results_text(res)
    assert not results_text(res)[0].isdigit()  # no sentence starts with a numeral
