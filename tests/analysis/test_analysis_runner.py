"""The runner on a 12-patient cohort whose answers are counted or computed by hand
(see small_cohort.py), and checks that the runner's numbers equal the core's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fixtures.small_cohort import MONTH, OS_EVENT, OS_MONTHS, cohort, results, study
from sarcohort.analysis._results import Results


@pytest.fixture(scope="module")
def res() -> Results:
    return results()


def _var(r: Results, name: str):
    return next(v for v in r.table1.variables if v.name == name)


def test_table1_counts_by_hand(res):
    t1 = res.table1
    assert t1.columns == ("Overall", "Synchronous", "Metachronous")  # shown capitalised
    assert t1.n == (12, 4, 8)
    sex = _var(res, "sex")
    counts = {c.level: c.counts for c in sex.levels}
    assert counts == {"Male": (6, 2, 4), "Female": (6, 2, 4)}  # codes shown by their dictionary labels
    bone = _var(res, "met_bone")  # yes/no text read as a yes/no variable
    assert [c.level for c in bone.levels] == ["Yes", "No"]
    assert bone.levels[0].counts == (3, 2, 1)
    age = _var(res, "age_at_metastasis")
    assert age.missing == (1, 0, 1)
    assert age.denominators == (11, 4, 7)
    s = age.summaries[0]
    assert (s.n, s.mean, s.minimum, s.maximum, s.median) == (11, 30.0, 20.0, 40.0, 30.0)
    assert (s.q1, s.q3) == (25.0, 35.0)  # type-7 quantiles of 20, 22, ..., 40


def test_table1_tests_closed_form(res):
    # sex x timing = [[2, 4], [2, 4]]: expected counts 2 < 5 -> Fisher; identical rows -> P = 1
    sex = _var(res, "sex")
    assert sex.test == "fisher"
    assert sex.p == pytest.approx(1.0, rel=1e-12)
    # ages 20-26 (synchronous) vs 28-40 (metachronous): complete separation, no ties, so the
    # exact two-sided Wilcoxon P is 2 / C(11, 4) (R: wilcox.test(...)$p.value)
    age = _var(res, "age_at_metastasis")
    assert age.test == "wilcoxon"
    assert age.p == pytest.approx(2 / math.comb(11, 4), rel=1e-9)


def test_chisq_closed_form():
    # [[20, 10], [10, 20]]: X2 = N (ad - bc)^2 / (r1 r2 c1 c2) = 60 * 300^2 / 30^4 = 6.667,
    # P = erfc(sqrt(X2 / 2)) for 1 df
    from sarcohort.analysis._table1 import _categorical_test

    test, stat, p = _categorical_test(np.array([[20.0, 10.0], [10.0, 20.0]]))
    assert test == "chisq"
    assert stat == pytest.approx(60 * 300**2 / 30**4, rel=1e-12)
    assert p == pytest.approx(math.erfc(math.sqrt(stat / 2)), rel=1e-9)


def test_fisher_closed_form():
    # [[3, 0], [0, 3]]: the two most extreme tables each have probability 1 / C(6, 3)
    from sarcohort.analysis._table1 import _categorical_test

    test, _, p = _categorical_test(np.array([[3.0, 0.0], [0.0, 3.0]]))
    assert test == "fisher"
    assert p == pytest.approx(2 / math.comb(6, 3), rel=1e-12)


def test_km_by_hand(res):
    # overall OS (months): S(6) = 9/12 = 0.75; S(12) = 0.75 * 7/8 * 6/7 * 5/6 = 0.46875,
    # the first time S <= 0.5 -> median 12; at risk at 6 and 12: 9 and 6 patients
    g = res.km("os").groups[0]
    assert g.n == 12 and g.events == sum(OS_EVENT)
    assert g.median == 12.0
    assert [lm.survival for lm in g.landmarks] == pytest.approx([0.75, 0.46875], rel=1e-12)
    assert [lm.n_risk for lm in g.landmarks] == [9, 6]
    k = res.km("os")
    assert g.at_risk[0] == 12
    expected = [sum(t >= x for t in OS_MONTHS) for x in k.risk_times]
    assert list(g.at_risk) == expected


def test_km_equals_core(res):
    from sarcohort.stats.km import kaplan_meier
    from sarcohort.stats.logrank import logrank

    p = cohort().patients
    t = p["os_days"].to_numpy() / MONTH
    e = p["os_event"].to_numpy()
    k = res.km("os", "timing")
    for g in k.groups:
        m = (p["timing"] == g.label.lower()).to_numpy()
        c = next(iter(kaplan_meier(t[m], e[m], conf_type="log-log").curves.values()))
        lo, hi = c.median_ci(method="brookmeyer-crowley")
        for got, want in ((g.median, c.median), (g.median_lower, lo), (g.median_upper, hi)):
            if want is None or not np.isfinite(want):
                assert got is None
            else:
                assert got == pytest.approx(want, rel=1e-12)
    lr = logrank(t, e, (p["timing"] == "metachronous").to_numpy().astype(int))
    assert k.logrank_p == pytest.approx(lr.p, rel=1e-12)
    assert k.logrank_chisq == pytest.approx(lr.chisq, rel=1e-12)


def test_cox_equals_core(res):
    import pandas as pd

    from sarcohort.stats.cox import cox

    p = cohort().patients
    X = pd.DataFrame({"more_than_5_metastases": p["more_than_5_metastases"].astype(float),
                      "metastasis_surgery": p["metastasis_surgery"].astype(float)})
    fit = cox(p["os_days"].to_numpy() / MONTH, p["os_event"].to_numpy(), X)
    m = res.model("os")
    assert [t.name for t in m.terms] == list(fit.terms)
    assert [t.hr for t in m.terms] == pytest.approx(list(fit.hr), rel=1e-10)
    assert [t.p for t in m.terms] == pytest.approx(list(fit.p), rel=1e-10)
    assert (m.n, m.n_event) == (12, 9)
    assert m.epv == pytest.approx(9 / 2)
    assert any("events per variable" in w for w in m.warnings)  # EPV < 10 is flagged
    assert m.zph_global_p is not None and 0 <= m.zph_global_p <= 1


def test_univariable_terms(res):
    names = [(m.endpoint, m.covariates) for m in res.univariable]
    assert ("os", ("met_bone",)) in names
    m = next(m for m in res.univariable if m.endpoint == "os" and m.covariates == ("met_bone",))
    assert m.terms[0].name == "met_bone" and m.terms[0].n_exposed == 3


def test_selection_by_univariable_p_warns():
    r = results(multivariable={"selection": "univariable", "p_threshold": 0.999})
    for m in r.multivariable:
        assert m.selection == "univariable"
        assert any("data-driven selection" in w for w in m.warnings)


def test_results_json_roundtrip(res, tmp_path):
    path = tmp_path / "results.json"
    text = res.to_json(path)
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(path.read_text())
    assert doc["meta"]["protocol_hash"] == res.meta.protocol_hash
    assert doc["meta"]["sarcohort_version"]
    assert doc["meta"]["manifest"]["sources"]["patients.csv"] == "0" * 64
    back = Results.from_json(path)
    assert back == res
    assert back.km("os").groups[0].median == 12.0


def test_no_identifier_in_results(res):
    text = res.to_json()
    for pid in cohort().patients.index:
        assert pid not in text  # not even pseudonymous ids: results hold aggregates only
    assert "1960-03" not in text  # birth dates never appear


def test_identifier_columns_are_refused():
    from sarcohort.exceptions import ProtocolError

    with pytest.raises(ProtocolError, match="identifier or a date"):
        results(descriptive=["birth_date"])


def test_unknown_column_names_the_key():
    from sarcohort.exceptions import ProtocolError

    with pytest.raises(ProtocolError, match="analysis.factors"):
        results(factors=["no_such_column"])


def test_study_analyze_is_the_runner():
    r = study().analyze(cohort())
    assert r.meta.title.startswith("Small")
    assert [s.n for s in r.flow] == [14, 12, 12]
