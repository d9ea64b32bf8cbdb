"""Validation out of core, part by part, gives the in-memory path's problems exactly.

Oracle: :func:`validate_tables` on the whole tables as read (the memory path). The tables
are split into a few parts (many more than their size needs) so that every rule comparing
rows, and every decision over a whole table, crosses parts: messy random tables (every
kind of id, date and code a hand-filled export holds), tables where one row alone decides
the day/month convention, the centre link or a column being empty, the test suite's bad
input files, and ``sarcohort validate`` itself (JSON and lines, byte for byte).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_bad_inputs import CASES
from typer.testing import CliRunner

from data.validation.test_arrow_text import _patients, _treatments
from fixtures.parquet_tables import (
    as_parquet,
    decided_by_one_row,
    messy_synthetic_parquet,
    table_cases,
    write_parquet,
)
from sarcohort.cohort._build import patient_flow, validated
from sarcohort.cohort._inclusion import merge_flows
from sarcohort.data.readers import read_sources
from sarcohort.data.validation._partitioned import hash_text, id_hash, validate_parquet
from sarcohort.protocol import CohortConfig, parse_cohort

TODAY = "2024-01-01"


def _both(p_path: Path, t_path: Path | None, config: CohortConfig, parts: int):
    """(problems, flow, counts) in memory and out of core in ``parts`` parts."""
    p, t = read_sources(config.data, p_path.parent, patients=p_path, treatments=t_path)
    memory = validated(p, t, config, today=TODAY)
    ref = (memory.report.problems, patient_flow(memory, config), p.n, t.n if t else None)
    rep, flows, n_p, n_t = validate_parquet(
        p_path, t_path, lambda a, b, whole: validated(a, b, config, today=TODAY, whole=whole),
        lambda checked: patient_flow(checked, config), mapping=config.data.mapping,
        date_format=config.data.date_format, parts=parts)
    return ref, (rep.problems, merge_flows(flows), n_p, n_t)


@pytest.mark.parametrize("seed", range(6))
def test_messy_tables_in_parts_give_the_same_problems(seed, tmp_path):
    rng = np.random.default_rng(300 + seed)
    p, t = _patients(rng, 400, seed % 2 == 0), _treatments(rng, 700, seed % 2 == 0)
    if seed % 3 == 1:  # linked on centre, and ids in several centres
        t["centre"] = rng.choice(np.array(["Lyon", "paris", "", None], dtype=object), len(t))
    config = parse_cohort({"data": {"date_format": "dayfirst"}} if seed % 3 == 2 else {})
    ref, got = _both(write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), config, parts=3 + seed % 2)
    assert len(ref[0]) > 100
    assert got == ref


def test_one_row_decides_for_every_part(tmp_path):
    """The day-first date, the filled centre and the filled column are in one part only: the
    other parts read as the whole table does (no ambiguous dates, the centre check, no
    column.empty), and the note counts the whole table."""
    p, t = decided_by_one_row()
    p["grade"] = None
    p.loc[11, "grade"] = "3"
    ref, got = _both(write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), CohortConfig(), parts=4)
    rules = {q.rule for q in ref[0]}
    assert "date.format" in rules and "duplicate_id.centre" not in rules
    assert got == ref


#: The bad-input cases written as tables.
TABLE_CASES = table_cases(CASES)


@pytest.mark.parametrize("case", TABLE_CASES, ids=[c.id for c in TABLE_CASES])
def test_bad_input_files_in_parts(case, tmp_path):
    p_path, t_path = case.write(tmp_path)
    assert {p.suffix for p in (p_path, t_path) if p is not None} <= {".csv", ".parquet"}
    try:
        p_path, t_path = as_parquet(p_path, t_path)
    except (ValueError, pd.errors.ParserError):
        pytest.skip("not a table Parquet can hold")
    ref, got = _both(p_path, t_path, parse_cohort(case.config), parts=3)
    assert got == ref


def test_validate_command_out_of_core_is_byte_identical(tmp_path, monkeypatch):
    """``sarcohort validate --engine duckdb`` on a messy synthetic cohort (its CSV files as
    Parquet) in 4 parts prints what ``--engine memory`` prints, in JSON and in lines."""
    import sarcohort.data.validation._partitioned as P
    from sarcohort.cli import app

    runner = CliRunner()
    p_path, t_path = messy_synthetic_parquet(tmp_path)
    monkeypatch.setattr(P, "PART_PATIENTS", 400)
    for fmt in ("json", "lines"):
        out = {}
        for engine in ("memory", "duckdb"):
            r = runner.invoke(app, ["validate", str(p_path), "-t", str(t_path), "-f", fmt,
                                    "--engine", engine])
            assert r.exit_code in (0, 1), r.output
            out[engine] = r.stdout
        assert out["duckdb"] == out["memory"]
        assert out["memory"].count("patients.parquet") > 3


def test_ids_equal_as_the_rules_compare_them_hash_equal():
    ids = pd.Series(["A1", " a1", "001", "1", "+1.0", "Straße", "STRASSE", "x", None, "NA"],
                    dtype=pd.ArrowDtype(pa.string()))
    h, has = id_hash(ids)
    assert h[0] == h[1] and h[2] == h[3] == h[4] and h[5] == h[6] and h[0] != h[7]
    assert has.tolist() == [True] * 8 + [False, False]
    numbers = id_hash(pd.Series([1, 1, 2]))[0]
    assert numbers[0] == numbers[1] == h[3] and numbers[2] != numbers[0]
    words = pa.array(["", "a", "ab", "ba", "a" * 40, None])
    assert len(set(hash_text(words)[:5].tolist())) == 5


def test_a_patient_with_several_treatment_errors_is_excluded_for_the_first_in_the_file(
        tmp_path):
    """The patient's exclusion rule is the one of its treatment errors first seen in the
    whole table: another part holds the first row of that rule (the part is checked again)."""
    from sarcohort.cli import app

    r = CliRunner().invoke(app, ["synth", "--n", "300", "--out", str(tmp_path / "c"), "-f",
                                 "csv"])
    assert r.exit_code == 0, r.output
    p = pd.read_csv(tmp_path / "c" / "patients.csv", dtype=str, keep_default_na=False)
    t = pd.read_csv(tmp_path / "c" / "treatments.csv", dtype=str, keep_default_na=False)
    k = 3
    part = (id_hash(t["patient_id"].astype(object))[0] % np.uint64(k)).astype(int)
    several = t.groupby("patient_id").filter(lambda g: len(g) >= 2)
    x = several["patient_id"].iloc[len(several) // 2]
    rows = np.flatnonzero(t["patient_id"] == x)
    t.loc[rows[0], "kind"] = "bad kind"  # code, then date.invalid in its own part
    t.loc[rows[1], "start_date"] = "not a date"
    other = np.flatnonzero((part != part[rows[0]]) & (np.arange(len(t)) < rows[0]))
    t.loc[other[0], "start_date"] = "not a date"  # date.invalid first in the whole table
    ref, got = _both(write_parquet(p, tmp_path / "patients.parquet"),
                     write_parquet(t, tmp_path / "treatments.parquet"), CohortConfig(), parts=k)
    assert "data error (rule date.invalid in treatments)" in ref[1].excluded
    assert ref[1].excluded["data error (rule date.invalid in treatments)"] == 2
    assert got == ref


def test_engine_option_and_protocol_choose_the_path(tmp_path):
    """``--engine`` (else the protocol's ``[data] engine``) chooses the path (``spark``: see
    tests/engines/test_spark_parts.py); a CSV file is read whole with a note; an unknown
    engine is a usage error."""
    from sarcohort.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["synth", "--n", "200", "--out", str(tmp_path / "c"), "-f", "csv"])
    assert r.exit_code == 0, r.output
    csv = tmp_path / "c" / "patients.csv"
    p_path, t_path = as_parquet(csv, tmp_path / "c" / "treatments.csv")
    protocol = tmp_path / "study.toml"
    protocol.write_text('[data]\npatients = "c/patients.parquet"\n'
                        'treatments = "c/treatments.parquet"\nengine = "duckdb"\n')
    args = ["validate", str(p_path), "-t", str(t_path), "-f", "json"]
    r = runner.invoke(app, [*args, "-p", str(protocol)])
    assert r.exit_code == 0 and "out of core" in r.stderr, r.output
    r = runner.invoke(app, [*args, "-p", str(protocol), "--engine", "memory"])
    assert r.exit_code == 0 and "out of core" not in r.stderr
    whole = r.stdout
    r = runner.invoke(app, ["validate", str(p_path), "-f", "json", "-p", str(protocol)])
    assert r.stdout == whole and "out of core" in r.stderr  # the protocol's treatments
    r = runner.invoke(app, ["validate", str(csv), "--engine", "duckdb", "-f", "json"])
    assert r.exit_code == 0 and "only Parquet" in r.stderr
    r = runner.invoke(app, [*args, "--engine", "pandas"])
    assert r.exit_code == 2 and "unknown engine" in r.stderr


def test_parquet_dataset_folders_read_as_their_files_in_path_order(tmp_path):
    """A folder of Parquet files is the table of its files one after the other (path order),
    ``key=value`` folders giving their column: the problems of that table, in one file."""
    rng = np.random.default_rng(11)
    p, t = _patients(rng, 300, False), _treatments(rng, 600, False)
    t["source"] = rng.choice(np.array(["b", "a"], dtype=object), len(t))
    (tmp_path / "patients").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(p)), 3)):
        write_parquet(p.iloc[rows], tmp_path / "patients" / f"part-{i}.parquet")
    for value in ("a", "b"):
        (tmp_path / "treatments" / f"source={value}").mkdir(parents=True)
        write_parquet(t[t["source"] == value].drop(columns="source"),
               tmp_path / "treatments" / f"source={value}" / "part-0.parquet")
    one = tmp_path / "one"
    one.mkdir()
    ordered = pd.concat([t[t["source"] == v] for v in ("a", "b")])
    ordered = ordered[[c for c in ordered.columns if c != "source"] + ["source"]]
    ref, _ = _both(write_parquet(p, one / "patients.parquet"), write_parquet(ordered, one / "treatments.parquet"),
                   CohortConfig(), parts=1)
    config = CohortConfig()
    rep, flows, n_p, n_t = validate_parquet(
        tmp_path / "patients", tmp_path / "treatments",
        lambda a, b, whole: validated(a, b, config, today=TODAY, whole=whole),
        lambda checked: patient_flow(checked, config), parts=3)
    named = {"patients.parquet": "patients", "treatments.parquet": "treatments"}
    assert len(ref[0]) > 100
    assert rep.problems == tuple(replace(q, file=named[q.file]) for q in ref[0])
    assert (merge_flows(flows), n_p, n_t) == ref[1:]
    from sarcohort.cli import app

    runner = CliRunner()
    args = ["validate", str(tmp_path / "patients"), "-t", str(tmp_path / "treatments")]
    r = runner.invoke(app, [*args, "-f", "lines"])
    assert r.exit_code == 1 and "out of core" in r.stderr, r.output
    assert r.stdout.count("\n") > 100 and r.stdout.startswith("patients:")  # (today's date)
    r = runner.invoke(app, [*args, "--engine", "memory"])
    assert r.exit_code == 2 and "dataset folder" in r.stderr
    # tables that cannot be read in parts (here a workbook sheet named): a folder is never
    # read whole either, as `analyze` refuses it
    r = runner.invoke(app, [*args, "--sheet", "patients"])
    assert r.exit_code == 2 and "dataset folder" in r.stderr and "workbook sheet" in r.stderr, r.output


@pytest.mark.parametrize("broken", ["patients", "treatments"])
def test_an_unreadable_file_is_named_as_in_memory(tmp_path, broken):
    """A truncated Parquet file out of core gets the whole-table reader's message, naming
    that file (not the other one), and the usage exit code; regression: the patients file
    was named when the treatments file was broken."""
    from sarcohort.cli import app

    rng = np.random.default_rng(5)
    paths = {"patients": write_parquet(_patients(rng, 50, False), tmp_path / "patients.parquet"),
             "treatments": write_parquet(_treatments(rng, 80, False), tmp_path / "treatments.parquet")}
    whole = paths[broken].read_bytes()
    paths[broken].write_bytes(whole[: len(whole) // 2])
    args = ["validate", str(paths["patients"]), "-t", str(paths["treatments"])]
    runner = CliRunner()
    for engine in ("duckdb", "memory"):
        r = runner.invoke(app, [*args, "--engine", engine])
        assert r.exit_code == 2, r.output
        assert f"{broken}.parquet: cannot be read as Parquet" in r.stderr


def test_part_workers_by_cores_and_memory(monkeypatch):
    import sarcohort._forked as F
    import sarcohort.data.validation._partitioned as P

    monkeypatch.setattr(F, "usable_cores", lambda: 4)
    monkeypatch.setattr(F, "memory_available", lambda: 3 * P.PART_MEMORY + 1)
    assert P.part_workers(40) == 3  # one per PART_MEMORY still available
    assert P.part_workers(2) == 2  # never more than the parts
    monkeypatch.setattr(F, "memory_available", lambda: P.PART_MEMORY // 2)
    assert P.part_workers(40) == 1
    monkeypatch.setattr(F, "memory_available", lambda: None)  # the system does not say
    assert P.part_workers(40) == 4


def test_a_check_that_did_not_finish_exits_3(tmp_path, monkeypatch):
    """A part's worker that dies (e.g. killed when memory runs out) is neither the data's
    errors (1) nor a usage error (2): exit 3, the reason said, no report written."""
    import sarcohort.data.validation._partitioned as P
    from sarcohort.cli import app
    from sarcohort.exceptions import WorkerError

    def dies(*_args, **_kwargs):
        raise WorkerError("a worker process ended before its answer (killed, e.g. by the system "
                          "when memory ran out)")

    p_path, t_path = messy_synthetic_parquet(tmp_path)
    monkeypatch.setattr(P, "validate_parquet", dies)
    report = tmp_path / "problems.csv"
    r = CliRunner().invoke(app, ["validate", str(p_path), "-t", str(t_path), "--engine", "duckdb",
                                 "--report", str(report)])
    assert r.exit_code == 3, r.output
    assert "patients.parquet was not checked: a worker process ended" in r.stderr
    assert not report.exists()
