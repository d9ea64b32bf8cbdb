"""Validation that consumes the tables as read (``consume=True``, the command line and a
study's load: each column dropped once typed) gives what validation of the same tables kept
whole gives: the same problems, typed tables, links and row errors. Oracle: the same call
with ``consume=False`` on a copy of the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sarcohort.data.readers._parquet import read_parquet
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._rules import _positions
from sarcohort.data.validation._validate import validate_tables

TODAY = "2024-01-01"
DATES = ["2010-04-01", "2011-02-29", "13/05/2014", "", "NA", "2014", "2300-01-01", "2012-06-01"]
CODES = ["M", "F", " f ", "x", "", "yes", "No", "É"]
IDS = ["A1", "a1 ", "001", "1", "B2", "Straße", "", "C3", "c3", "D4", "E5"]


def _tables(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def pick(pool: list[str], n: int) -> list[object]:
        return list(rng.choice(np.array(pool, dtype=object), n))

    n, m = 200, 400
    p = pd.DataFrame({
        "Patient ID": pick(IDS, n), "centre": pick(["Lyon", "lyon", "Nice", ""], n),
        "sex": pick(CODES, n), "birth_date": pick(["1980-05-17", "1992-02-29", ""], n),
        "primary_diagnosis_date": pick(DATES, n), "first_metastasis_date": pick(DATES, n),
        "n_metastases": pick(["1", "3", "-2", "x", ""], n), "met_lung": pick(CODES, n),
        "met_bone": pick(CODES, n), "met_other": pick(CODES, n),
        "progression_date": pick(DATES, n), "death_date": pick(DATES, n),
        "last_followup_date": pick(DATES, n), "grade": pick(["1", "2", "x"], n),
        "stage": pick(["I", "II", "zz"], n)})
    t = pd.DataFrame({
        "patient_id": pick(IDS + ["Z9"], m), "kind": pick(["systemic", "surgery", "x"], m),
        "start_date": pick(DATES, m), "line": pick(["1", "2", "0", ""], m),
        "regimen": pick(["MAP", "AP", ""], m), "in_trial": pick(CODES, m),
        "best_response": pick(["PR", "cr", "zz", ""], m), "end_date": pick(DATES, m),
        "end_reason": pick(["completed", "ongoing", "?"], m)})
    return p, t


def _same(got, ref) -> None:
    assert len(ref.report.problems) > 50  # messy: every rule path is taken
    assert got.report.problems == ref.report.problems
    pd.testing.assert_frame_equal(got.patients, ref.patients)
    pd.testing.assert_frame_equal(got.treatments, ref.treatments)
    np.testing.assert_array_equal(got.treatment_patient, ref.treatment_patient)
    assert list(got.patient_error) == list(ref.patient_error)
    assert got.sources == ref.sources


@pytest.mark.parametrize("seed", range(4))
def test_consumed_frames_validate_as_kept_ones(seed):
    p, t = _tables(seed)
    kw = {"today": TODAY, "mapping": {"Patient ID": "patient_id"},
          "codes": {"stage": {"i": "I", "ii": "II"}} if seed % 2 else {}}
    ref = validate_tables(RawTable.from_frame(p.copy(), "patients"),
                          RawTable.from_frame(t.copy(), "treatments"), **kw)
    raw_p, raw_t = RawTable.from_frame(p, "patients"), RawTable.from_frame(t, "treatments")
    got = validate_tables(raw_p, raw_t, consume=True, **kw)
    _same(got, ref)
    # the tables as read are left without columns, their rows counted as before
    assert raw_p.frame.shape == (200, 0) and raw_t.frame.shape == (400, 0)
    assert (raw_p.n, raw_t.n) == (200, 400)


def test_consumed_parquet_validates_as_kept(tmp_path):
    """Arrow text and dictionary-encoded codes (the Parquet reader's), consumed."""
    p, t = _tables(11)
    for frame, name in ((p, "patients"), (t, "treatments")):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       tmp_path / f"{name}.parquet")

    def read() -> list[RawTable]:
        return [read_parquet(tmp_path / f"{n}.parquet") for n in ("patients", "treatments")]

    kw = {"today": TODAY, "mapping": {"Patient ID": "patient_id"}}
    ref = validate_tables(*read(), **kw)
    raw = read()
    _same(validate_tables(*raw, consume=True, **kw), ref)
    assert raw[0].frame.shape[1] == 0 and raw[1].frame.shape[1] == 0


def test_positions_are_dict_look_ups():
    """Oracle: a Python dict of the distinct values (equal strings, equal numbers)."""
    uniq = np.array(["A1", "a1", "Straße", "1", 1, 2.5, ""], dtype=object)
    values = np.array(["a1", "A1", "STRASSE", 1, "1", 2.5, "x", "", None], dtype=object)
    where = {v: i for i, v in enumerate(uniq)}
    assert _positions(uniq, values).tolist() == [where.get(v, -1) for v in values]
