"""``sarcohort analyze --engine``: the protocol option and the flag, the ``auto`` rule, and the
report's numbers unchanged whichever engine computed the curves (oracle: the memory engine,
itself tested against R's survival)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.engine_study import (
    SLIM,
    assert_engine_writes_the_memory_report,
    assert_same_curves,
    slim_study,
)
from sarcohort.cli import app
from sarcohort.cli._demo import PROTOCOL
from sarcohort.engines import _registry as registry
from sarcohort.engines import choose_engine
from sarcohort.exceptions import InputError


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    return slim_study(tmp_path_factory.mktemp("study"))


def test_slim_protocol_is_the_reference_one_cut_down() -> None:
    """SLIM keeps the reference protocol's data and time settings (so the engines see its rows)."""
    with resources.as_file(resources.files("sarcohort").joinpath(PROTOCOL)) as src:
        reference = src.read_text(encoding="utf-8")
    for line in ('date_format = "iso"', 'endpoints = ["pfs", "os"]', 'group = "timing"',
                 'time_unit = "months"', 'median_ci = "spss"', 'conf_type = "log-log"'):
        assert line in reference and line in SLIM, line


def test_duckdb_engine_gives_the_memory_numbers(study: Path, tmp_path: Path) -> None:
    assert_engine_writes_the_memory_report(study, tmp_path, "duckdb")


def test_protocol_engine_option(study: Path, tmp_path: Path) -> None:
    text = study.read_text(encoding="utf-8")
    bad = tmp_path / "study.toml"
    for name in ("patients.csv", "treatments.csv"):
        shutil.copyfile(study.parent / name, tmp_path / name)
    bad.write_text(text.replace("[data]\n", '[data]\nengine = "oracle"\n', 1), encoding="utf-8")
    res = CliRunner().invoke(app, ["analyze", str(bad), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "data.engine" in res.output
    res = CliRunner().invoke(app, ["analyze", str(study), "--out", str(tmp_path / "r2"), "--engine", "nope"])
    assert res.exit_code == 2 and "unknown engine" in res.output


def test_auto_rule(tmp_path: Path, monkeypatch) -> None:
    small = tmp_path / "p.csv"
    small.write_text("a\n1\n")
    assert choose_engine("auto", [small]) == "memory"
    folder = tmp_path / "dataset"
    folder.mkdir()
    assert choose_engine("auto", [folder]) == "duckdb"  # a Parquet dataset folder
    monkeypatch.setattr(registry, "AUTO_BYTES", 2)
    assert choose_engine("auto", [small]) == "duckdb"  # large inputs
    assert choose_engine("Spark", [small]) == "spark"
    with pytest.raises(InputError, match="unknown engine"):
        choose_engine("oracle")


def test_parquet_cohort_from_synth(study: Path, tmp_path: Path) -> None:
    """`sarcohort synth --format parquet` output is read by validate and analyze (DuckDB
    engine) and gives the numbers of the same cohort as CSV (oracle: the memory engine on
    the CSV files, itself tested against R)."""
    from sarcohort.synth import write

    folder = tmp_path / "pq"
    write(folder, n=150, seed=4, format="parquet")  # the fixture's cohort
    text = study.read_text(encoding="utf-8").replace('"patients.csv"', '"patients.parquet"')
    (folder / "study.toml").write_text(text.replace('"treatments.csv"', '"treatments.parquet"'),
                                       encoding="utf-8")
    runner = CliRunner()
    v = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    v_csv = runner.invoke(app, ["validate", str(study.parent), "--format", "json"])
    assert v.exit_code == v_csv.exit_code == 0, v.output
    assert json.loads(v.stdout)["problems"] == json.loads(v_csv.stdout)["problems"]
    a = runner.invoke(app, ["analyze", str(study), "--out", str(tmp_path / "mem"), "-q",
                            "--engine", "memory"])
    b = runner.invoke(app, ["analyze", str(folder / "study.toml"), "--out", str(tmp_path / "duck"),
                            "-q", "--engine", "duckdb"])
    assert a.exit_code in (0, 1) and b.exit_code == a.exit_code, b.output
    assert_same_curves(tmp_path / "duck", tmp_path / "mem")


def test_workers_give_the_same_report(study: Path, tmp_path: Path) -> None:
    """``--workers 2`` (the analyses in forked workers) writes the report of ``--workers 1``,
    byte for byte; with an engine other than memory it is a usage error, before any work.
    Each run is a new process: its workers are forked before numba's OpenMP threads start."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    outs = []
    for n in ("2", "1"):
        res = subprocess.run([sys.executable, "-m", "sarcohort", "analyze", str(study), "--out",
                              str(tmp_path / n), "--workers", n], capture_output=True, text=True,
                             env=env, timeout=300)
        assert res.returncode in (0, 1), res.stderr
        outs.append(tmp_path / n)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
    res = CliRunner().invoke(app, ["analyze", str(study), "--out", str(tmp_path / "d"),
                                   "--engine", "duckdb", "--workers", "2"])
    assert res.exit_code == 2 and "--workers 2" in res.output and "--engine memory" in res.output
    assert not (tmp_path / "d").exists()
