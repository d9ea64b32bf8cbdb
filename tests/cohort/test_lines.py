"""Per-line endpoints (PFS by line, time to next treatment, time on line, duration of response).

Oracle: hand computation from the definitions in sarcohort.cohort._lines' docstring, on
small cohorts whose day counts are written out below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.cohort._lines import line_endpoints, treatment_lines

NaN = np.nan


def _patients(rows):
    """rows: (pseudo_id, os_days, os_event); first metastasis on 2020-01-01."""
    return pd.DataFrame(
        {"first_metastasis_date": pd.Timestamp("2020-01-01"),
         "os_days": [r[1] for r in rows], "os_event": [r[2] for r in rows]},
        index=[r[0] for r in rows])


def _day(n):
    return pd.NaT if n is None else pd.Timestamp("2020-01-01") + pd.Timedelta(days=n)


def _treatments(rows):
    """rows: (pseudo_id, kind, line, start, end, reason, progression, response, best, regimen)."""
    return pd.DataFrame({
        "pseudo_id": [r[0] for r in rows], "kind": [r[1] for r in rows],
        "line": pd.array([r[2] for r in rows], dtype="Int64"),
        "start_date": [_day(r[3]) for r in rows], "end_date": [_day(r[4]) for r in rows],
        "end_reason": [r[5] for r in rows],
        "line_progression_date": [_day(r[6]) for r in rows],
        "response_date": [_day(r[7]) for r in rows],
        "best_response": [r[8] for r in rows], "regimen": [r[9] for r in rows],
        "in_trial": ["no"] * len(rows)})


def test_hand_cohort():
    patients = _patients([("P1", 400, True), ("P2", 300, False), ("P3", 200, True),
                          ("P4", 500, False)])
    treatments = _treatments([
        # P1: line 1 progresses at 120 (response at 60), line 2 from 150, dies at 400
        ("P1", "systemic", 1, 10, 110, "progression", 120, 60, "PR", "doxorubicin"),
        ("P1", "systemic", 1, 12, 100, "completed", None, None, "SD", "cisplatin"),
        ("P1", "surgery", None, 130, 130, "completed", None, None, None, "metastasectomy"),
        ("P1", "systemic", 2, 150, None, "ongoing", None, None, "PD", "regorafenib"),
        # P2: line 1 ongoing at last follow-up 300, alive: everything censored
        ("P2", "systemic", 1, 20, None, "ongoing", None, 90, "CR", "ifosfamide"),
        # P3: dies at 200 without a recorded progression; line 1 ended for toxicity at 50
        ("P3", "systemic", 1, 5, 50, "toxicity", None, None, "SD", "gemcitabine + docetaxel"),
        # P4: line 2 started at 200 with no progression recorded on line 1
        ("P4", "systemic", 1, 30, 180, "completed", None, None, "SD", "ifosfamide"),
        ("P4", "systemic", 2, 200, 260, "progression", 250, None, "PD", "cabozantinib"),
        ("P4", "systemic", None, 300, None, None, None, None, None, "unknown line"),
    ])
    lines, unnumbered = treatment_lines(patients, treatments)
    assert unnumbered == 1
    got = lines.set_index(["pseudo_id", "line"])
    # P1 line 1: two rows = one line; regimens joined, best response PR, start 10
    p11 = got.loc[("P1", 1)]
    assert p11["regimen"] == "doxorubicin + cisplatin"
    assert p11["best_response"] == "PR"
    assert (p11["start_days"], p11["end_days"]) == (10, 110)
    assert (p11["pfs_days"], p11["pfs_event"]) == (110, True)          # 120 - 10
    assert (p11["ttnt_days"], p11["ttnt_event"]) == (140, True)        # 150 - 10
    assert (p11["time_on_line_days"], p11["time_on_line_event"]) == (100, True)
    assert (p11["dor_days"], p11["dor_event"]) == (60, True)           # 120 - 60
    p12 = got.loc[("P1", 2)]
    assert (p12["pfs_days"], p12["pfs_event"]) == (250, True)          # death at 400
    assert (p12["ttnt_days"], p12["ttnt_event"]) == (250, True)
    assert (p12["time_on_line_days"], p12["time_on_line_event"]) == (250, False)
    assert np.isnan(p12["dor_days"]) and not p12["dor_event"]
    p21 = got.loc[("P2", 1)]
    assert (p21["pfs_days"], p21["pfs_event"]) == (280, False)
    assert (p21["ttnt_days"], p21["ttnt_event"]) == (280, False)
    assert (p21["dor_days"], p21["dor_event"]) == (210, False)         # 300 - 90, censored
    p31 = got.loc[("P3", 1)]
    assert (p31["pfs_days"], p31["pfs_event"]) == (195, True)          # death before progression
    assert (p31["time_on_line_days"], p31["time_on_line_event"]) == (45, True)
    p41 = got.loc[("P4", 1)]
    assert (p41["pfs_days"], p41["pfs_event"]) == (170, False)         # censored at line 2
    assert (p41["ttnt_days"], p41["ttnt_event"]) == (170, True)
    p42 = got.loc[("P4", 2)]
    assert (p42["pfs_days"], p42["pfs_event"]) == (50, True)
    assert list(lines["pseudo_id"]) == ["P1", "P1", "P2", "P3", "P4", "P4"]


def test_events_after_the_end_of_follow_up_are_not_seen():
    # a cut-off at day 100 (os_days = 100, censored) hides a progression at 150
    e = line_endpoints(patient=np.array([0]), line=np.array([1]), start=np.array([20.]),
                       end=np.array([160.]), progression=np.array([150.]),
                       response=np.array([NaN]), responder=np.array([False]),
                       followup=np.array([100.]), death=np.array([False]))
    assert e["pfs_days"].tolist() == [80.0] and e["pfs_event"].tolist() == [False]
    assert e["time_on_line_event"].tolist() == [False]


def test_no_systemic_treatment_gives_an_empty_table():
    patients = _patients([("P1", 100, False)])
    treatments = _treatments([("P1", "surgery", None, 10, 10, "completed", None, None, None,
                               "metastasectomy")])
    lines, unnumbered = treatment_lines(patients, treatments)
    assert lines.empty and unnumbered == 0


@pytest.mark.parametrize("seed", range(5))
def test_pfs_never_exceeds_follow_up(seed):
    rng = np.random.default_rng(seed)
    n = 50
    fu = rng.integers(50, 1000, n).astype(float)
    start = np.floor(fu * rng.random(n))
    prog = np.where(rng.random(n) < 0.5, start + np.floor((fu - start) * rng.random(n)), NaN)
    e = line_endpoints(patient=np.arange(n), line=np.ones(n, int), start=start,
                       end=np.full(n, NaN), progression=prog, response=np.full(n, NaN),
                       responder=np.zeros(n, bool), followup=fu, death=rng.random(n) < 0.5)
    assert np.all(e["pfs_days"] >= 0) and np.all(start + e["pfs_days"] <= fu)
    assert np.all(e["pfs_days"] <= e["ttnt_days"])


def test_in_order_is_lexsort_identity() -> None:
    """The sortedness check that lets treatment_lines skip its sort answers True exactly when
    the stable lexsort by (patient, line, start; NaN last) leaves the rows where they are."""
    import numpy as np

    from sarcohort.cohort._lines import _in_order

    rng = np.random.default_rng(3)
    seen = {True: 0, False: 0}
    for _ in range(3000):
        n = int(rng.integers(0, 7))
        pos = np.sort(rng.integers(0, 3, n)) if rng.random() < 0.7 else rng.integers(0, 3, n)
        line = rng.integers(1, 3, n)
        start = rng.choice([0.0, 1.0, 2.0, np.nan], n)
        if rng.random() < 0.5:  # often sorted, ties and NaN included
            order = np.lexsort((start, line, pos))
            pos, line, start = pos[order], line[order], start[order]
        expect = bool(np.array_equal(np.lexsort((start, line, pos)), np.arange(n)))
        assert _in_order(pos, line, start) == expect, (pos, line, start)
        seen[expect] += 1
    assert min(seen.values()) > 100
