"""The treatment course of a study: counts, response rates, per-line PFS, swimmer lanes.

Oracles: the published abstract for the synthetic reference cohort (13 patients without
systemic treatment, 39 in trials, 81 with local treatment: reference-study.md), hand
counts on the example cohort, Clopper-Pearson from scipy.stats.binomtest, and the
per-line Kaplan-Meier against sarcohort.stats.km on the per-line table (itself checked
against R's survfit by the km reference tests).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from fixtures.example_cohort import example_tables
from sarcohort.analysis._results import Results
from sarcohort.analysis._treatments import treatment_course
from sarcohort.cohort import cohort_from_frames
from sarcohort.cohort._lines import treatment_lines
from sarcohort.study import Study
from sarcohort.synth import generate

MONTH = 30.4375
KM = dict(conf_type="log-log", conf_level=0.95, median_ci="brookmeyer-crowley")


@pytest.fixture(scope="module")
def reference():
    study = Study.from_toml("examples/reference-study/study.toml")
    s = generate()
    cohort = cohort_from_frames(s.patients, s.treatments, config=study.cohort_config,
                                today="2024-01-01")
    return study, cohort, study.analyze(cohort)


def test_published_counts(reference):
    _, _, res = reference
    tc = res.treatments
    assert tc.n_patients == 120
    assert tc.n_no_systemic == 13
    assert tc.n_in_trial == 39
    local = dict(tc.local)
    assert sum(local.values()) == 81
    assert tc.lines[0].n == 120 - 13


def test_response_rates_are_exact_intervals(reference):
    _, _, res = reference
    for line in res.treatments.lines:
        counts = dict(line.responses)
        assert sum(counts.values()) == line.n
        assert line.orr.k == counts["CR"] + counts["PR"]
        assert line.dcr.k == counts["CR"] + counts["PR"] + counts["SD"]
        ci = binomtest(line.orr.k, line.orr.n).proportion_ci(method="exact")
        assert line.orr.lower == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
        assert line.orr.upper == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


def test_pfs_by_line_is_the_km_of_the_per_line_table(reference):
    from sarcohort.stats.km import kaplan_meier

    _, cohort, res = reference
    lines, _ = treatment_lines(cohort.patients, cohort.treatments)
    km = res.treatments.pfs_by_line
    assert km.logrank_p is None  # lines share patients: no test
    for g in km.groups:
        k = int(g.label.split()[1])
        sel = lines["line"].to_numpy() == k
        t = lines["pfs_days"].to_numpy(float)[sel] / MONTH
        e = lines["pfs_event"].to_numpy(bool)[sel]
        curve = next(iter(kaplan_meier(t, e).curves.values()))
        assert g.n == sel.sum() and g.events == e.sum()
        assert g.median == pytest.approx(curve.median, rel=1e-12)
        line = res.treatments.lines[k - 1]
        assert line.pfs.median == pytest.approx(curve.median, rel=1e-12)


def test_lanes_are_anonymous_and_complete(reference):
    _, cohort, res = reference
    lanes = res.treatments.lanes
    assert len(lanes) == 120
    text = res.to_json()
    for pid in cohort.patients.index:
        assert f'"{pid}"' not in text  # results hold no patient id, not even pseudonymous
    ends = [lane.end for lane in lanes]
    assert ends == sorted(ends, reverse=True)
    n_lines = sum(len(lane.lines) for lane in lanes)
    lines, _ = treatment_lines(cohort.patients, cohort.treatments)
    assert n_lines == len(lines)
    assert sum(len(lane.surgeries) for lane in lanes) == int(
        (cohort.treatments["kind"] == "surgery").sum())


def test_results_round_trip(reference):
    _, _, res = reference
    assert Results.from_json(res.to_json()).treatments == res.treatments


def test_large_cohorts_get_the_occupancy_summary():
    p, t = example_tables()
    cohort = cohort_from_frames(p, t, today="2024-01-01")
    tc = treatment_course(cohort.patients, cohort.treatments, unit_days=MONTH, swimmer_max=3,
                          **KM)
    assert tc.lanes == () and tc.occupancy is not None
    occ = tc.occupancy
    assert occ.lines == (1, 2)
    total = np.sum(occ.shares, axis=0)
    assert np.all(total <= np.asarray(occ.followed) + 1e-12)
    # at time 0 nobody is on a line yet, everyone is followed
    assert occ.followed[0] == 1.0 and total[0] == 0.0


def test_example_cohort_by_hand():
    p, t = example_tables()
    cohort = cohort_from_frames(p, t, today="2024-01-01")
    tc = treatment_course(cohort.patients, cohort.treatments, unit_days=MONTH, **KM)
    # A1 lines 1 and 2, B1 line 1 (trial), B2 line 1: 3 patients on line 1, 1 on line 2
    assert [(s.line, s.n, s.n_in_trial) for s in tc.lines] == [(1, 3, 1), (2, 1, 0)]
    assert dict(tc.lines[0].responses) == {"CR": 0, "PR": 1, "SD": 1, "PD": 1, "NE": 0,
                                           "missing": 0}
    assert tc.n_no_systemic == 3 and tc.n_in_trial == 1
    assert dict(tc.local) == {"surgery": 1, "radiotherapy": 1, "ablation": 1}
    assert {(r.line, r.regimen, r.n) for r in tc.regimens} == {
        (1, "MAP", 1), (1, "trial drug", 1), (1, "AP", 1), (2, "ifosfamide", 1)}
    # A1 line 1: response 2010-06-01 to progression 2010-10-01 = 122 days
    assert tc.lines[0].response_duration.median == pytest.approx(122 / MONTH)
    relabelled = treatment_course(cohort.patients, cohort.treatments, unit_days=MONTH,
                                  regimen_labels={"AP": "doxorubicin + cisplatin"}, **KM)
    assert (1, "doxorubicin + cisplatin", 1) in {(r.line, r.regimen, r.n)
                                                 for r in relabelled.regimens}


def test_pfs_by_line_equals_r_survfit():
    """PFS1-PFS3 of the synthetic cohort against R's survfit (tests/reference/R/lines_cases.R).

    The CSV R read is first checked to be exactly what the pipeline derives today.
    """
    import json
    import sys
    from pathlib import Path

    ref_dir = Path(__file__).resolve().parents[1] / "reference"
    sys.path.insert(0, str(ref_dir / "R"))
    import pandas as pd
    from make_synth_lines import per_line_pfs

    stored = pd.read_csv(ref_dir / "data" / "synth_lines.csv")
    pd.testing.assert_frame_equal(stored, per_line_pfs(), check_dtype=False)
    ref = json.loads((ref_dir / "values" / "lines" / "synth_pfs_by_line.json").read_text())
    s = generate()
    cohort = cohort_from_frames(s.patients, s.treatments, source_name="synthetic cohort")
    tc = treatment_course(cohort.patients, cohort.treatments, unit_days=MONTH, **KM)
    for g in tc.pfs_by_line.groups:
        r = ref["strata"][g.label.replace("Line ", "line")]
        assert (g.n, g.events) == (r["n"], r["events"])
        assert g.median == pytest.approx(r["median"], rel=1e-9)
        assert g.median_lower == pytest.approx(r["median_lower"], rel=1e-9)
        assert g.median_upper == pytest.approx(r["median_upper"], rel=1e-9)
        np.testing.assert_allclose(g.curve.time, r["time"], rtol=1e-12)
        np.testing.assert_allclose(g.curve.survival, r["surv"], rtol=1e-9)
        lower = [np.nan if x is None else x for x in g.curve.lower]
        r_lower = [np.nan if x is None else x for x in r["lower"]]
        np.testing.assert_allclose(lower, r_lower, rtol=1e-9)


def test_protocol_selects_what_is_shown(tmp_path):
    """[analysis.treatments] show / regimen_labels / swimmer_max reach the report."""
    import tomllib

    from sarcohort.protocol._reader import parse_protocol
    from sarcohort.report._treatment_tables import treatment_tables

    doc = tomllib.loads((Path_ := __import__("pathlib").Path)(
        "examples/reference-study/study.toml").read_text())
    doc["analysis"]["treatments"] = {"show": ["responses"], "swimmer_max": 10,
                                     "regimen_labels": {"sorafenib": "Sorafenib (TKI)"}}
    study = parse_protocol(doc, Path_("examples/reference-study/study.toml"))
    s = generate()
    cohort = cohort_from_frames(s.patients, s.treatments, config=study.cohort_config,
                                today="2024-01-01")
    from sarcohort.analysis._runner import run_analysis

    res = run_analysis(study, cohort)
    tc = res.treatments
    assert tc.show == ("responses",) and tc.lanes == () and tc.occupancy is not None
    assert any(r.regimen == "Sorafenib (TKI)" for r in tc.regimens)
    assert [t.key for t in treatment_tables(tc, res.meta)] == ["treatment_responses"]
    doc["analysis"]["treatments"] = {"show": []}
    none = run_analysis(parse_protocol(doc, Path_("examples/reference-study/study.toml")), cohort)
    assert none.treatments is None


def test_released_treatment_rows_change_no_result(reference):
    """``release_treatments`` empties the cohort's treatment rows once the course is built
    (registry memory); every result is the same as with the rows kept, including the
    warning about a cohort without treatment rows, which is not given."""
    import dataclasses
    import json

    study, cohort, kept = reference
    own = dataclasses.replace(cohort, treatments=cohort.treatments.copy())
    released = study.analyze(own, release_treatments=True)
    assert len(own.treatments) == 0 and list(own.treatments) == list(cohort.treatments)
    assert len(cohort.treatments) > 0

    def plain(res):
        d = json.loads(res.to_json())
        d.pop("meta")  # when it ran
        return d

    assert plain(released) == plain(kept)


def test_narrowed_lines_hold_the_same_values():
    """A registry's per-line table held narrower (float32 whole days, small line numbers,
    texts as categories) reads back as the same values; fractional days stay float64."""
    import numpy as np
    import pandas as pd

    from sarcohort.analysis._treatments import narrowed

    lines = pd.DataFrame({"line": np.array([1, 2, 3], dtype=np.int64),
                          "pfs_days": [10.0, np.nan, 2.0**24 - 1],
                          "dor_days": [1.5, 2.0, np.nan],
                          "regimen": np.array(["AP", None, "AP"], dtype=object),
                          "pfs_event": [True, False, True]})
    got = narrowed(lines)
    assert got["line"].dtype == np.int8 and got["pfs_days"].dtype == np.float32
    assert got["dor_days"].dtype == np.float64 and isinstance(got["regimen"].dtype, pd.CategoricalDtype)
    for c in ("pfs_days", "dor_days", "line"):
        np.testing.assert_array_equal(got[c].to_numpy(float), lines[c].to_numpy(float))
    assert got["regimen"].to_numpy(dtype=object)[[0, 2]].tolist() == ["AP", "AP"]
    assert pd.isna(got["regimen"].to_numpy(dtype=object)[1])
    big = narrowed(pd.DataFrame({"d": [2.0**24]}))
    assert big["d"].dtype == np.float64  # not exact in float32 beyond 2**24
