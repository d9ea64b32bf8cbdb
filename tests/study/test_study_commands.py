"""`sarcohort init` and `sarcohort analyze` through typer, on a synthetic cohort."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sarcohort.cli import analyze as analyze_cmd
from sarcohort.cli import init as init_cmd
from sarcohort.study import Study

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reference-study" / "study.toml"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("init")(init_cmd.run)
    app.command("analyze")(analyze_cmd.run)
    return app


def test_init_writes_a_valid_protocol(tmp_path):
    out = tmp_path / "study.toml"
    res = CliRunner().invoke(_app(), ["init", str(out)])
    assert res.exit_code == 0, res.output
    s = Study.from_toml(out)
    assert s.analysis.factors and s.analysis.landmarks == (12.0, 24.0)
    again = CliRunner().invoke(_app(), ["init", str(out)])
    assert again.exit_code == 2  # never overwrites without --force
    assert CliRunner().invoke(_app(), ["init", str(out), "--force"]).exit_code == 0


def test_analyze_missing_protocol(tmp_path):
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2
    assert "no such protocol" in res.output


def test_analyze_bad_key_exits_2(tmp_path):
    p = tmp_path / "study.toml"
    p.write_text(EXAMPLE.read_text().replace('median_ci = "spss"', 'median_ci = "sas"'))
    res = CliRunner().invoke(_app(), ["analyze", str(p), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "analysis.median_ci" in res.output
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_analyze_reference_study_on_synthetic_data(tmp_path):
    from sarcohort import synth

    shutil.copy(EXAMPLE, tmp_path / "study.toml")
    synth.generate().write(tmp_path)
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path / "study.toml"), "--out",
                                      str(tmp_path / "report"), "--quiet"])
    assert res.exit_code == 0, res.output
    for name in ("report.html", "tables.docx", "tables.xlsx", "results.json",
                 "figures/km_os_timing.png", "figures/km_os_timing.svg", "csv/table1.csv"):
        assert (tmp_path / "report" / name).is_file(), name


def test_analyze_missing_data_file_exits_2(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "study.toml")
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path / "study.toml")])
    assert res.exit_code == 2
    assert "patients.csv" in res.output and "no such file" in res.output
