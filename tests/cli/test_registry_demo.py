"""``sarcohort demo --registry``: end to end at a (small) registry size, and the DuckDB engine
reproducing the in-memory numbers from the Parquet dataset (oracle: the memory engine,
itself tested against R's survival)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sarcohort.cli import app
from sarcohort.cli._registry import run_registry_demo


def test_registry_demo_engines_agree(tmp_path: Path) -> None:
    run = run_registry_demo(tmp_path / "out", n=400, seed=2)
    assert run.n_patients == 400 and 0 < run.n_analysed <= 400
    names = [name for name, _ in run.stages]
    assert names[0].startswith("synthesise") and names[-1] == "KM, log-rank, Cox by DuckDB"
    assert len(run.comparison) >= 6
    assert run.max_relative_difference < 1e-10
    assert run.report["html"].is_file()
    assert any((tmp_path / "out" / "cohort-parquet").glob("centre=*"))


def test_registry_demo_refuses_a_used_folder(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x.txt").write_text("mine")
    res = CliRunner().invoke(app, ["demo", "--registry", "--n", "200", "--out", str(tmp_path / "used")])
    assert res.exit_code == 2
    assert (tmp_path / "used" / "x.txt").read_text() == "mine"
