"""Text read as Arrow strings (the Parquet reader) is validated in Arrow's kernels, text read
as Python strings (CSV, XLSX, data frames) in pandas: the same cells must give the same typed
tables and the same problems, row for row. Oracle: the pandas path, cell by cell
(``str.strip``, ``str.lower``, ``str.casefold``, the date patterns) on messy random tables that
hold every kind of cell a hand-filled export has (blanks, missing tokens, spaces, tabs, case,
accents, dotted and slashed dates, impossible dates, decimal and signed numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._rules import _folded_python, id_key
from sarcohort.data.validation._validate import validate_tables

TODAY = "2024-01-01"

DATES = ["2010-04-01", "2012-02-29", "2011-02-29", "2010-13-01", "2010-00-10", "0999-01-01",
         "2300-01-01", " 2014-05-06 ", "2014/05/06", "2014.5.6", "06/05/2014", "13/05/2014",
         "05/13/2014", "6-5-14", "2014", "41000", "41000.5", "", "NA", "n/a", "  ", ".",
         "2014-05-06 10:30", "2014-5-06", "abc", "2014-02-30", "1900-01-01", "2025-01-01",
         "2014-05-06\t", "2010-01-01"]
CODES = ["M", "F", "m", " f ", "x", "", "NA", "Male", "É", "yes", "No", "TRUE", "false", "1",
         "0", "maybe", "NULL", "\tyes"]
INTS = ["1", "3", "12", "+3", "-2", "0", "12.0", "12.5", "1e3", "3,0", "", "na", " 7 ", "٣",
        "007", "1_000", "x", "99999999999999999999"]
IDS = ["A1", "a1 ", "A01", "001", "1", "1.0", "+1", "B2", "b2", "Straße", "STRASSE", "İd",
       "\tC3", "C3", "", "NA", "D 4", "d 4", "007.00"]
CENTRES = ["Lyon", "lyon ", "Paris", "PARIS", "Nice", "", "Genève", "GENÈVE"]


def _ascii(pool: list[str]) -> list[str]:
    return [v for v in pool if v.isascii() and len(v) <= 15]


def _patients(rng: np.random.Generator, n: int, plain: bool) -> pd.DataFrame:
    def pick(pool: list[str]) -> list[object]:
        pool = _ascii(pool) if plain else pool  # ASCII columns take Arrow's kernels throughout
        cells: list[object] = list(rng.choice(np.array(pool, dtype=object), n))
        for i in np.flatnonzero(rng.random(n) < 0.05):
            cells[i] = None
        return cells

    return pd.DataFrame({
        "patient_id": pick(IDS), "centre": pick(CENTRES), "sex": pick(CODES),
        "birth_date": pick(["1980-05-17", "1992-02-29", "17/05/1980", "1980", ""]),
        "primary_diagnosis_date": pick(DATES), "first_metastasis_date": pick(DATES),
        "n_metastases": pick(INTS), "met_lung": pick(CODES), "met_bone": pick(CODES),
        "met_other": pick(CODES), "progression_date": pick(DATES), "death_date": pick(DATES),
        "last_followup_date": pick(DATES), "grade": pick(INTS),
    })


def _treatments(rng: np.random.Generator, n: int, plain: bool) -> pd.DataFrame:
    def pick(pool: list[str]) -> list[object]:
        return list(rng.choice(np.array(_ascii(pool) if plain else pool, dtype=object), n))

    return pd.DataFrame({
        "patient_id": pick(IDS), "kind": pick(["systemic", "Surgery", " ablation", "x", ""]),
        "start_date": pick(DATES), "line": pick(INTS), "regimen": pick(["MAP", " AP ", ""]),
        "in_trial": pick(CODES), "best_response": pick(["PR", "cr", "SD ", "zz", ""]),
        "end_date": pick(DATES), "end_reason": pick(["completed", "Ongoing", "other", "?"]),
    })


def _as_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the Parquet reader gives a table of text columns."""
    table = pa.Table.from_pandas(frame.astype(object), preserve_index=False)
    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_string(t)
                           else None)


@pytest.mark.parametrize("seed", range(8))
def test_arrow_text_validates_as_python_text(seed):
    rng = np.random.default_rng(seed)
    plain = seed % 2 == 0
    p, t = _patients(rng, 300, plain), _treatments(rng, 500, plain)
    a_p, a_t = _as_arrow(p), _as_arrow(t)
    assert isinstance(a_p["sex"].dtype, pd.ArrowDtype)
    kw = {"today": TODAY, "date_format": [None, "dayfirst", "iso", None][seed % 4],
          "codes": {"sex": {"male": "M"}, "in_trial": {"maybe": "no"}} if seed % 3 else {}}
    ref = validate_tables(RawTable.from_frame(p, "patients"), RawTable.from_frame(t, "treatments"),
                          **kw)
    got = validate_tables(RawTable.from_frame(a_p, "patients"),
                          RawTable.from_frame(a_t, "treatments"), **kw)
    assert len(ref.report.problems) > 50  # the tables are messy: every path is taken
    assert got.report.problems == ref.report.problems
    pd.testing.assert_frame_equal(got.patients, ref.patients)
    pd.testing.assert_frame_equal(got.treatments, ref.treatments)
    np.testing.assert_array_equal(got.treatment_patient, ref.treatment_patient)
    assert list(got.patient_error) == list(ref.patient_error)


@pytest.mark.parametrize("seed", range(4))
def test_parquet_text_validates_as_python_text(seed, tmp_path):
    """Through a Parquet file: code columns arrive dictionary-encoded (as stored), checked
    once per distinct value; the same problems and typed tables as Python text."""
    import pyarrow.parquet as pq

    from sarcohort.data.readers._parquet import read_parquet

    rng = np.random.default_rng(100 + seed)
    p, t = _patients(rng, 300, seed % 2 == 0), _treatments(rng, 500, seed % 2 == 0)
    raw = []
    for frame, name in ((p, "patients"), (t, "treatments")):
        pq.write_table(pa.Table.from_pandas(frame.astype(object), preserve_index=False),
                       tmp_path / f"{name}.parquet")
        raw.append(read_parquet(tmp_path / f"{name}.parquet", display_name=name))
    assert pa.types.is_dictionary(raw[0].frame["sex"].dtype.pyarrow_dtype)
    kw = {"today": TODAY, "codes": {"sex": {"male": "M"}} if seed % 3 else {}}
    ref = validate_tables(RawTable.from_frame(p, "patients"), RawTable.from_frame(t, "treatments"),
                          **kw)
    got = validate_tables(*raw, **kw)
    assert len(ref.report.problems) > 50
    assert got.report.problems == ref.report.problems
    pd.testing.assert_frame_equal(got.patients, ref.patients)
    pd.testing.assert_frame_equal(got.treatments, ref.treatments)
    assert list(got.patient_error) == list(ref.patient_error)


def test_parquet_code_column_with_no_value_validates_as_python_text(tmp_path):
    """A code column whose every cell is missing arrives with an empty dictionary: the
    problems of Python text (regression: an IndexError)."""
    import pyarrow.parquet as pq

    from sarcohort.data.readers._parquet import read_parquet

    p = pd.DataFrame({"patient_id": ["1", "2", "3"], "sex": [None, None, None],
                      "vital_status": ["dead", None, "alive"]})
    pq.write_table(pa.table({"patient_id": p["patient_id"].tolist(),
                             "sex": pa.array([None] * 3, pa.string()),
                             "vital_status": p["vital_status"].tolist()}),
                   tmp_path / "patients.parquet")
    raw = read_parquet(tmp_path / "patients.parquet", display_name="patients")
    assert pa.types.is_dictionary(raw.frame["sex"].dtype.pyarrow_dtype)
    ref = validate_tables(RawTable.from_frame(p, "patients"), None, today=TODAY)
    got = validate_tables(raw, None, today=TODAY)
    assert "required" in {q.rule for q in ref.report.problems}
    assert got.report.problems == ref.report.problems
    pd.testing.assert_frame_equal(got.patients, ref.patients)


def test_id_key_in_arrow_is_python_casefold():
    rng = np.random.default_rng(7)
    alphabet = list("aZ09 +.-_\t") + ["ß", "İ", "é", "\u00a0", "\x1c"]
    values: list[object] = ["".join(rng.choice(alphabet, rng.integers(0, 6))) for _ in range(3000)]
    values += [None, float("nan"), "0", "000", "+0012.00", "1.", "12.5"]
    assert id_key(values).tolist() == _folded_python(values, whole_numbers=True).tolist()
    mixed = np.array(["A1", 12, None], dtype=object)  # numbers as cells: Python's path
    assert id_key(mixed).tolist() == ["a1", "12", None]


@pytest.mark.parametrize("distinct", [3, 40_000])
def test_arrow_objects_are_the_python_strings(distinct):
    """Few distinct values (codes: one string each) or many (ids: one per row): the cells as
    ``to_pylist`` gives them, nulls as None."""
    from sarcohort.data.validation._coerce import arrow_objects

    rng = np.random.default_rng(1)
    cells = [None if k % 11 == 0 else f"v{k}" for k in rng.integers(0, distinct, 50_000)]
    a = pa.array(cells, type=pa.string())
    assert arrow_objects(a).tolist() == a.to_pylist()


def test_key_codes_group_ids_as_id_key():
    """Equal codes exactly where :func:`id_key` gives equal keys (printable ASCII ids in
    Arrow, the others through Python)."""
    from sarcohort.data.validation._rules import _key_codes

    rng = np.random.default_rng(5)
    for pool in (["A1", "a1 ", "001", "1", "+1.0", "B2", "b2", None],
                 ["A1", "Straße", "STRASSE", "\tx", "X", None]):
        ids = np.array(list(rng.choice(np.array(pool, dtype=object), 400)), dtype=object)
        codes, keys = _key_codes(ids), id_key(ids)
        for i in range(0, 400, 7):
            for j in range(0, 400, 13):
                assert (codes[i] == codes[j]) == (keys[i] == keys[j])
