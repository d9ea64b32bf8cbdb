"""Table 1 as gtsummary's tbl_summary(by =), value labels everywhere, HR per protocol unit.

Hand facts of the small cohort (tests/fixtures/small_cohort.py): timing 4 synchronous,
8 metachronous; sex M/F 6/6; age 20, 22, ..., 40 known (one missing).
"""

from __future__ import annotations

import pytest

from fixtures.small_cohort import results
from sarcohort.report import _tables as build
from sarcohort.report._narrative import results_text


@pytest.fixture(scope="module")
def res():
    return results(
        descriptive=["timing", "sex", "age_at_metastasis", "n_metastases", "met_bone"],
        group_defined_by=["n_metastases"],
        continuous_summary=["median_iqr", "mean_sd"],
        levels={"met_bone": {"no": "Absent", "yes": "Present"},
                "timing": {"synchronous": "Synchronous (< 90 days)", "metachronous": "Later"}},
        factors=["met_bone", "sex"],
        multivariable={"os": ["met_bone", "age_at_metastasis"], "pfs": ["sex"]},
        per={"age_at_metastasis": 10},
        time_dependent={})


def test_grouping_variable_is_no_row_and_group_definers_are_not_tested(res):
    f = build.table1(res.table1).frame
    first = list(f["Characteristic"])
    assert not any(x.startswith("Metastasis timing") for x in first)  # by= is the columns
    assert list(f.columns) == ["Characteristic", "Overall (N = 12)",
                               "Synchronous (< 90 days) (N = 4)", "Later (N = 8)", "P"]
    n_met = f.iloc[first.index("Number of metastases")]
    assert n_met["P"] == build.DASH + build.GROUP_MARK
    assert any("Defines the groups: not tested" in n for n in build.table1(res.table1).footnotes)
    age = f.iloc[first.index("Age at metastasis, years")]
    assert age["P"] not in ("", build.DASH)  # a tested variable keeps its P


def test_continuous_summary_rows_one_precision_and_missing(res):
    f = build.table1(res.table1).frame
    first = list(f["Characteristic"])
    i = first.index("Age at metastasis, years")
    assert first[i + 1:i + 4] == ["Median (IQR)", "Mean (SD)", "Missing"]
    # by hand: known ages 20..40 by 2 -> median 30, Q1 25, Q3 35 (type 7), mean 30
    # synchronous 20-26: median 23, Q1 21.5 -> the whole row gets one decimal
    assert f.iloc[i + 1, 1] == "30.0 (25.0-35.0)" and f.iloc[i + 1, 2] == "23.0 (21.5-24.5)"
    assert f.iloc[i + 2, 1].startswith("30.0 (")  # SD 6.6: one decimal for the whole row
    assert f.iloc[i + 3, 1] == "1"


def test_value_labels_in_table1_cox_and_prose(res):
    f = build.table1(res.table1).frame
    first = list(f["Characteristic"])
    assert "Present" in first and "Absent" in first  # levels of a yes/no code, labelled
    cox = build.regression_table(res, "os").frame
    labels = list(cox["Characteristic"])
    assert "Bone metastases: Present vs Absent" in labels
    assert "Age at metastasis (per 10 years)" in labels
    assert "Sex: Male vs Female" in list(build.regression_table(res, "pfs").frame["Characteristic"])
    text = results_text(res)
    assert "synchronous (< 90 days)" in text.lower() and " M patients" not in text


def test_methods_to_strobe_and_checklist(res):
    from sarcohort.report._narrative import methods

    text = methods(res)
    os_ = res.endpoint("os")
    assert (f"overall survival ran from the first metastasis to death from any cause (event), "
            f"censored at the last follow-up ({os_.events} events in {os_.n} patients)") in (
                text[:1].lower() + text[1:]).replace("Overall survival ran", "overall survival ran")
    assert "complete-case" in text and "significance level of 0.05" in text
    mv = res.model("os")
    assert f"{mv.n_missing} of {mv.n + mv.n_missing} patients for overall survival" in text
    assert "number of metastases, which defines the groups, was not tested" in text
    assert "R 4.2.2 with survival 3.5-3" in text
    items = list(build.strobe_table(res).frame["Item"])
    assert {"6", "13", "14", "16"} <= set(items) and any(i.startswith("12") for i in items)


def test_flow_in_words_with_follow_up_status(res):
    t = build.flow_table(res)
    assert build.flow_words("data error (rule date.order.metastasis_death)") == \
        "Data error: death dated before first metastasis"
    assert not any("(rule " in x for x in t.frame["Step"])
    os_ = res.endpoint("os")
    assert t.footnotes == (f"Follow-up status of the {os_.n} patients analysed: {os_.events} dead, "
                           f"{os_.n - os_.events} alive at their last follow-up (censored).",)


def test_inline_svg_has_title_and_label():
    from sarcohort.report._figures import inline_svg

    svg = inline_svg('<svg width="10pt" height="5pt" viewBox="0 0 10 5"><g/></svg>', "f1",
                     'Figure 1. A <b> & "c"')
    assert 'aria-label="Figure 1. A &lt;b&gt; &amp; &quot;c&quot;"' in svg
    assert "<title>Figure 1. A &lt;b&gt; &amp; &quot;c&quot;</title>" in svg


def test_km_by_factor_total_says_how_many_are_missing():
    import dataclasses

    res2 = results(factors=["met_bone", "sex"])
    k = res2.km("os", "sex")
    survival = tuple(dataclasses.replace(x, n_missing=2) if x is k else x for x in res2.survival)
    t = build.survival_table(dataclasses.replace(res2, survival=survival), "os")
    row = next(r for r in t.frame.values.tolist() if r[0].startswith("Sex"))
    assert row[0] == "Sex (2 with a missing value)" and row[1] == str(sum(g.n for g in k.groups))
