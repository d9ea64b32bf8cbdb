"""The cohort: flow counts add up, inclusion, pseudonymisation, Parquet + manifest round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import Cohort, PatientFlow, build_cohort, cohort_from_frames
from sarcohort.exceptions import InputError
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"


def _messy():
    p, t = example_tables()
    p = pd.concat([p, p.iloc[[0, 1, 2]]], ignore_index=True)
    p.loc[6:, "patient_id"] = ["D1", "D2", "D3"]
    p.loc[6, "birth_date"] = "2000-01-01"          # D1: 10 years old at metastasis
    p.loc[7, "sex"] = "?"                           # D2: code error
    p.loc[8, "first_metastasis_date"] = "2019-03-01"  # D3: after the window
    p.loc[8, "progression_date"] = None
    p.loc[8, "death_date"] = None
    p.loc[8, "last_followup_date"] = "2020-01-01"
    return p, t


def test_flow_counts_add_up_and_reasons():
    cfg = parse_cohort({"inclusion": {"metastasis_from": "2009-01-01",
                                                "metastasis_to": "2018-12-31"}})
    c = cohort_from_frames(*_messy(), config=cfg, today=TODAY)
    f = c.flow
    assert f.n_read == 9 and f.n_analysed == 6
    assert f.excluded == {"data error (rule code)": 1,
                          "age at first metastasis below 18 years": 1,
                          "first metastasis before 2009-01-01": 0,
                          "first metastasis after 2018-12-31": 1}
    assert f.n_read - f.n_excluded == f.n_analysed == len(c.patients)
    frame = f.to_frame()
    assert frame["n"].iloc[0] == 9 and frame["n"].iloc[-1] == 6
    assert frame.loc[frame["step"] == "excluded", "n"].sum() == 3
    assert c.excluded["reason"].tolist() == ["age at first metastasis below 18 years",
                                             "data error (rule code)",
                                             "first metastasis after 2018-12-31"]
    assert c.excluded["source_row"].tolist() == [8, 9, 10]


def test_flow_must_add_up():
    with pytest.raises(ValueError, match="add up"):
        PatientFlow(10, (), 9)


def test_each_patient_counted_once_in_first_reason():
    p, t = example_tables()
    p.loc[0, "birth_date"] = "2000-01-01"  # too young ...
    p.loc[0, "sex"] = "?"                  # ... and a data error: counted as the error only
    c = cohort_from_frames(p, t, today=TODAY)
    assert c.flow.excluded == {"data error (rule code)": 1,
                               "age at first metastasis below 18 years": 0}


def test_pseudonymous_ids_and_no_identifier_anywhere(tmp_path):
    p, t = example_tables()
    p["patient_id"] = [f"DUPONT-{i}" for i in range(6)]
    t["patient_id"] = t["patient_id"].map(dict(zip(example_tables()[0]["patient_id"],
                                                   p["patient_id"], strict=True)))
    c = cohort_from_frames(p, t, today=TODAY)
    assert c.patients.index.tolist() == [f"P000{i}" for i in range(1, 7)]
    assert (c.patients["pseudo_id"] == c.patients.index).all()
    assert "patient_id" not in c.patients and "patient_id" not in c.treatments
    assert c.treatments["pseudo_id"].tolist()[:3] == ["P0001"] * 3
    out = c.save(tmp_path / "cohort")
    for f in out.iterdir():
        data = f.read_bytes()
        assert b"DUPONT" not in data, f.name
        assert b"1980-05-17" not in data, f.name  # a birth date
    saved = pd.read_parquet(out / "cohort.parquet")
    assert "birth_date" not in saved and "age_at_metastasis" in saved


def test_pseudo_ids_stable_for_input_order():
    a = cohort_from_frames(*example_tables(), today=TODAY)
    b = cohort_from_frames(*example_tables(), today=TODAY)
    assert a.patients.index.tolist() == b.patients.index.tolist()
    assert a.patients.loc["P0003", "n_metastases"] == 8


def test_save_load_round_trip(tmp_path):
    cfg = parse_cohort({"derived": {"more_than_5_metastases": "n_metastases > 5"}})
    c = cohort_from_frames(*_messy(), config=cfg, today=TODAY)
    out = c.save(tmp_path / "cohort")
    assert sorted(x.name for x in out.iterdir()) == ["cohort.parquet", "manifest.json",
                                                     "problems.csv", "treatments.parquet"]
    back = Cohort.load(out)
    cols = [x for x in c.patients.columns if x not in ("birth_date", *c.columns_not_saved())]
    pd.testing.assert_frame_equal(back.patients[cols], c.patients[cols])
    pd.testing.assert_frame_equal(back.treatments, c.treatments)
    assert back.flow == c.flow
    assert back.report.problems == c.report.problems
    m = json.loads((out / "manifest.json").read_text())
    assert m["flow"]["n_read"] == 9 and m["n_analysed"] == 7  # no window: D3 is in
    assert m["validation"]["counts"]["error"] == 1
    assert m["config"]["derived"] == {"more_than_5_metastases": "n_metastases > 5"}
    assert set(m["files"]) == {"cohort.parquet", "treatments.parquet", "problems.csv"}


def test_tampered_cohort_is_refused(tmp_path):
    c = cohort_from_frames(*example_tables(), today=TODAY)
    out = c.save(tmp_path / "cohort")
    frame = pd.read_parquet(out / "cohort.parquet")
    frame.loc[0, "os_days"] = 10_000
    frame.to_parquet(out / "cohort.parquet", index=False)
    with pytest.raises(InputError, match="changed"):
        Cohort.load(out)
    with pytest.raises(InputError, match="no cohort.parquet"):
        Cohort.load(tmp_path)


def test_build_from_protocol_with_relative_paths(tmp_path):
    (tmp_path / "data").mkdir()
    p, t = example_tables()
    with pd.ExcelWriter(tmp_path / "data" / "export.xlsx") as xw:
        p.to_excel(xw, sheet_name="patients", index=False)
        t.to_excel(xw, sheet_name="treatments", index=False)
    toml = tmp_path / "study.toml"
    toml.write_text('[data]\npatients = "data/export.xlsx"\n\n[inclusion]\nage_min = 25\n'
                    '[derived]\nmany = "n_metastases > 5"\n', encoding="utf-8")
    from sarcohort.protocol import read_cohort_config

    c = build_cohort(read_cohort_config(toml), today=TODAY)
    assert c.flow.excluded == {"age at first metastasis below 25 years": 2}
    assert len(c.treatments) == 4  # A1 (3) and B2 (1); B1 and B3 are excluded
    m = c.manifest
    assert [s["role"] for s in m["sources"]] == ["patients", "treatments"]
    assert all(len(s["sha256"]) == 64 for s in m["sources"])
    assert m["protocol"]["file"] == "study.toml" and len(m["protocol"]["sha256"]) == 64
    # the age warnings point at the two young patients
    young = [x.row for x in c.report.warnings if x.rule == "age.range"]
    assert young == [4, 6]


def test_manifest_columns_and_types():
    c = cohort_from_frames(*example_tables(), today=TODAY)
    assert c.patients["os_days"].dtype == np.int64
    assert c.patients["os_event"].dtype == bool
    assert c.patients["metastasis_surgery_date"].dtype == "datetime64[ns]"
    assert set(c.manifest["columns"]) == set(c.patients.columns) - {"birth_date"}


def test_save_never_replaces_a_saved_cohort_without_force(tmp_path):
    from sarcohort.exceptions import OutputError

    c = cohort_from_frames(*example_tables(), today=TODAY)
    out = c.save(tmp_path / "cohort")
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    other = cohort_from_frames(*_messy(), today=TODAY)
    with pytest.raises(OutputError, match="already holds cohort.parquet"):
        other.save(out)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before  # nothing touched
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        c.save(tmp_path / "file")
    other.save(out, force=True)
    assert sorted(f.name for f in out.iterdir()) == sorted(before)  # no temporary file left
    assert Cohort.load(out).n == other.n != c.n
