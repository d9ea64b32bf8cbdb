"""Validation out of core by Spark's executors (local[2]) gives the in-memory path's problems.

Oracle: :func:`validate_tables` on the whole tables as read (the memory path), and
:func:`build_cohort` for the cohort derived a part at a time. The tables are split into
more parts than their size needs, so that every rule comparing rows, and every decision over
a whole table, crosses parts; the parts are read, split and checked by Spark (its pandas
frames turned back into the files' Arrow types), and the results come back pickled. One
Spark session for the module.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cohort.test_parts import MESSY_COHORT, _assert_same, _synthetic
from data.test_bad_inputs import CASES
from data.validation.test_arrow_text import _patients, _treatments
from fixtures.parquet_tables import (
    as_parquet,
    decided_by_one_row,
    messy_synthetic_parquet,
    table_cases,
    write_parquet,
)
from sarcohort.cohort._build import build_cohort, patient_flow, validated
from sarcohort.cohort._inclusion import merge_flows
from sarcohort.cohort._parts import cohort_in_parts
from sarcohort.data.readers import read_sources
from sarcohort.data.validation._partitioned import validate_parquet
from sarcohort.exceptions import InputError, WorkerError
from sarcohort.protocol import CohortConfig, parse_cohort

TODAY = "2024-01-01"

#: The bad-input cases written as tables.
TABLE_CASES = table_cases(CASES)


def _validate(spark, p_path, t_path, config: CohortConfig, parts: int):
    return validate_parquet(
        p_path, t_path, lambda a, b, whole: validated(a, b, config, today=TODAY, whole=whole),
        lambda checked: patient_flow(checked, config), mapping=config.data.mapping,
        date_format=config.data.date_format, parts=parts, parts_from=spark.parts())


def _both(spark, p_path, t_path, config: CohortConfig, parts: int):
    """(problems, flow, counts) in memory and by Spark in ``parts`` parts."""
    p, t = read_sources(config.data, p_path.parent, patients=p_path, treatments=t_path)
    memory = validated(p, t, config, today=TODAY)
    ref = (memory.report.problems, patient_flow(memory, config), p.n, t.n if t else None)
    rep, flows, n_p, n_t = _validate(spark, p_path, t_path, config, parts)
    return ref, (rep.problems, merge_flows(flows), n_p, n_t)


@pytest.mark.parametrize("seed", range(3))
def test_messy_tables_checked_by_spark_give_the_same_problems(spark, seed, tmp_path):
    rng = np.random.default_rng(300 + seed)
    p, t = _patients(rng, 400, seed % 2 == 0), _treatments(rng, 700, seed % 2 == 0)
    if seed == 1:  # linked on centre, and ids in several centres
        t["centre"] = rng.choice(np.array(["Lyon", "paris", "", None], dtype=object), len(t))
    config = parse_cohort({"data": {"date_format": "dayfirst"}} if seed == 2 else {})
    ref, got = _both(spark, write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), config, parts=3 + seed % 2)
    assert len(ref[0]) > 100
    assert got == ref


def test_typed_columns_and_parts_without_rows(spark, tmp_path):
    """Columns Spark hands over in other types (whole numbers with missing values as
    floats, dates as objects) reach the rules in the file's types; with more parts than
    patients, the parts without a row are checked too (here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 6
    patients = pa.table({
        "patient_id": pa.array([1, 2, 3, 3, None, 6], pa.int64()),
        "centre": ["Lyon", "Lyon", "Paris", "Paris", "Lyon", None],
        "sex": ["F", "M", "M", "X", None, "F"],
        "birth_date": pa.array([0, 3650, None, 7300, 1, 2], pa.int32()).cast(pa.date32()),
        "primary_diagnosis_date": ["2010-01-05", "05/01/2010", "2011-13-01", None, "x", "2012-02-02"],
        "n_metastases": pa.array([1, None, 3, 2, 0, 4], pa.int64()),
    })
    treatments = pa.table({"patient_id": pa.array([1, 1, 2, None, 9], pa.int64()),
                           "line": pa.array([1, 2, 1, 1, None], pa.int64()),
                           "start_date": ["2010-02-01", "2011-01-01", None, "2010-01-01", "x"]})
    pq.write_table(patients, tmp_path / "patients.parquet")
    pq.write_table(treatments, tmp_path / "treatments.parquet")
    ref, got = _both(spark, tmp_path / "patients.parquet", tmp_path / "treatments.parquet",
                     CohortConfig(), parts=3 * n)
    assert ref[0] and got == ref


def test_one_row_decides_for_every_part(spark, tmp_path):
    """The day-first date and the filled centre are in one part only: every part is
    checked as the whole table says (the evidence counted by a Spark job first)."""
    p, t = decided_by_one_row()
    ref, got = _both(spark, write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), CohortConfig(), parts=4)
    assert "date.format" in {q.rule for q in ref[0]}
    assert got == ref


def test_columns_differing_only_by_case_are_two(spark, tmp_path):
    """``sex`` and ``SEX``, ``Notes`` and ``NOTES``: two columns each, as in memory (the
    duplicate template column an error, the others free text); Spark SQL, which by default
    takes them for one and refused the table, has its setting given back after."""
    rng = np.random.default_rng(9)
    p, t = _patients(rng, 200, True), _treatments(rng, 300, True)
    p["SEX"] = p["sex"].iloc[::-1].to_numpy()
    p["Notes"], p["NOTES"] = "x", "y"
    before = spark.spark.conf.get("spark.sql.caseSensitive")
    ref, got = _both(spark, write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), CohortConfig(), parts=3)
    assert {("SEX", "column.duplicate"), ("NOTES", "column.unknown")} <= {(q.column, q.rule) for q in ref[0]}
    assert got == ref
    assert spark.spark.conf.get("spark.sql.caseSensitive") == before


@pytest.mark.parametrize("case", TABLE_CASES, ids=[c.id for c in TABLE_CASES])
def test_bad_input_files_checked_by_spark(spark, case, tmp_path):
    p_path, t_path = case.write(tmp_path)
    try:
        p_path, t_path = as_parquet(p_path, t_path)
    except (ValueError, pd.errors.ParserError):
        pytest.skip("not a table Parquet can hold")
    ref, got = _both(spark, p_path, t_path, parse_cohort(case.config), parts=3)
    assert got == ref


def test_dataset_folders_numbered_in_path_order(spark, tmp_path):
    """A folder of Parquet files (``key=value`` folders giving their column) is numbered
    as on this machine: its files one after the other in path order."""
    rng = np.random.default_rng(11)
    p, t = _patients(rng, 300, False), _treatments(rng, 600, False)
    t["source"] = rng.choice(np.array(["b", "a"], dtype=object), len(t))
    (tmp_path / "patients").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(p)), 3)):
        write_parquet(p.iloc[rows], tmp_path / "patients" / f"part {i}.parquet")  # a space: %20
    for value in ("a", "b"):
        (tmp_path / "treatments" / f"source={value}").mkdir(parents=True)
        write_parquet(t[t["source"] == value].drop(columns="source"),
               tmp_path / "treatments" / f"source={value}" / "part-0.parquet")
    config = CohortConfig()
    here = validate_parquet(
        tmp_path / "patients", tmp_path / "treatments",
        lambda a, b, whole: validated(a, b, config, today=TODAY, whole=whole),
        lambda checked: patient_flow(checked, config), parts=3)
    there = _validate(spark, tmp_path / "patients", tmp_path / "treatments", config, parts=3)
    assert len(here[0].problems) > 100 and {q.file for q in here[0].problems} == {
        "patients", "treatments"}
    assert there[0].problems == here[0].problems
    assert (merge_flows(there[1]), *there[2:]) == (merge_flows(here[1]), *here[2:])


def test_a_part_error_and_warnings_reach_the_caller(spark, tmp_path):
    """What a part's check raises on an executor is raised here as it is (an InputError
    naming its row), and its warnings are raised here."""
    rng = np.random.default_rng(2)
    p_path = write_parquet(_patients(rng, 60, False), tmp_path / "patients.parquet")
    config = CohortConfig()

    def failing(a, b, whole):
        raise InputError("a rule failed", argument="row", value=int(a.rows[0]))

    with pytest.raises(InputError, match="a rule failed") as caught:
        validate_parquet(p_path, None, failing, lambda checked: None, parts=2,
                         parts_from=spark.parts())
    assert type(caught.value) is InputError and caught.value.value >= 2

    def warning(a, b, whole):
        warnings.warn("part checked", UserWarning, stacklevel=1)
        return validated(a, b, config, today=TODAY, whole=whole)

    with pytest.warns(UserWarning, match="part checked"):
        rep, _, n, _ = validate_parquet(p_path, None, warning, lambda checked: None, parts=2,
                                        parts_from=spark.parts())
    assert n == 60


def test_a_failed_spark_job_is_a_worker_error(spark, tmp_path):
    """A Spark job that fails (here: an executor's Python process ends in a part's check) is
    a WorkerError naming Spark, not a Java traceback."""
    rng = np.random.default_rng(3)
    p_path = write_parquet(_patients(rng, 40, False), tmp_path / "patients.parquet")
    with pytest.raises(WorkerError, match="Spark could not check"):
        validate_parquet(p_path, None, lambda a, b, whole: os._exit(3), lambda checked: None,
                         parts=2, parts_from=spark.parts())


def test_cohort_built_by_spark_is_the_whole_tables_cohort(spark, tmp_path):
    """A messy synthetic cohort: patients excluded for errors and by the protocol,
    treatments of excluded patients and unlinked ones, derived by Spark's executors."""
    from sarcohort.cli import app

    _synthetic(tmp_path, CliRunner(), app)
    config = parse_cohort(MESSY_COHORT)
    whole = build_cohort(config, tmp_path, today=TODAY)
    got, _ = cohort_in_parts(config, tmp_path, keep=set(whole.patients.columns), today=TODAY,
                             parts=3, parts_from=spark.parts())
    assert len(whole.excluded) > 5 and len(whole.patients) > 500
    _assert_same(whole, got)


def test_study_loaded_by_spark_is_loaded_as_here(spark, tmp_path):
    """:meth:`Study.load_in_parts` with Spark's parts: the cohort and the treatment
    course's rows are those of the parts made here."""
    from sarcohort.cli import app
    from sarcohort.study import Study

    _synthetic(tmp_path, CliRunner(), app)
    study = Study.from_toml(tmp_path / "ds.toml")
    here, course_here = study.load_in_parts()
    there, course_there = study.load_in_parts(parts_from=spark.parts())
    _assert_same(here, there)
    assert course_here is not None and course_there is not None
    for a, b in zip(course_here.__dict__.values(), course_there.__dict__.values(), strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b


def test_validate_command_on_spark_is_byte_identical(spark, tmp_path, monkeypatch):
    """``sarcohort validate --engine spark`` on a messy synthetic cohort (its CSV files as
    Parquet) in 4 parts prints what ``--engine memory`` prints, in JSON."""
    import sarcohort.data.validation._partitioned as P
    from sarcohort.cli import app

    runner = CliRunner()
    p_path, t_path = messy_synthetic_parquet(tmp_path)
    monkeypatch.setattr(P, "PART_PATIENTS", 400)
    out = {}
    for engine in ("memory", "spark"):
        r = runner.invoke(app, ["validate", str(p_path), "-t", str(t_path), "-f", "json",
                                "--engine", engine])
        assert r.exit_code == 1, r.output
        out[engine] = r.stdout
    assert "4 part(s)" in r.stderr and "on Spark" in r.stderr
    assert out["spark"] == out["memory"] and out["memory"].count("patients.parquet") > 3


@pytest.mark.parametrize("broken", ["patients", "treatments"])
def test_an_unreadable_file_is_named_as_in_memory(spark, tmp_path, broken):
    """A truncated Parquet file checked on Spark gets the whole-table reader's message,
    naming that file, and the usage exit code (as on this machine)."""
    from sarcohort.cli import app

    rng = np.random.default_rng(5)
    paths = {"patients": write_parquet(_patients(rng, 50, False), tmp_path / "patients.parquet"),
             "treatments": write_parquet(_treatments(rng, 80, False),
                                         tmp_path / "treatments.parquet")}
    whole = paths[broken].read_bytes()
    paths[broken].write_bytes(whole[: len(whole) // 2])
    r = CliRunner().invoke(app, ["validate", str(paths["patients"]), "-t",
                                 str(paths["treatments"]), "--engine", "spark"])
    assert r.exit_code == 2, r.output
    assert f"{broken}.parquet: cannot be read as Parquet" in r.stderr
