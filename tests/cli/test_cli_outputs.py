"""Every command: never over one of its inputs, never over a file without --force, one
clean line on a write error or Ctrl-C, plain output when piped, flags shown as flags.

Each test writes its own files (the six hand-made patients of fixtures/example_cohort).
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.example_cohort import example_tables
from fixtures.tiny_study import write_study
from sarcohort.cli import app

runner = CliRunner()


def invoke(*args, **kwargs):
    result = runner.invoke(app, [str(a) for a in args], **kwargs)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def write_csvs(folder: Path, patients=None) -> Path:
    p, t = example_tables()
    p = p if patients is None else patients
    folder.mkdir(parents=True, exist_ok=True)
    p.to_csv(folder / "patients.csv", index=False)
    t.to_csv(folder / "treatments.csv", index=False)
    return folder / "patients.csv"


# ------------------------------------------------------------------ never over a file


def test_validate_report_never_replaces_an_input(tmp_path):
    patients = write_csvs(tmp_path)
    before = patients.read_bytes()
    for extra in ([], ["--force"]):
        r = invoke("validate", patients, "--report", patients, *extra)
        assert r.exit_code == 2 and "also an input" in r.output, r.output
        assert patients.read_bytes() == before
    treatments = tmp_path / "treatments.csv"
    r = invoke("validate", tmp_path, "--report", treatments, "--force")
    assert r.exit_code == 2 and treatments.is_file()


def test_validate_report_needs_force_to_replace_a_file(tmp_path):
    patients = write_csvs(tmp_path / "data")
    out = tmp_path / "problems.csv"
    out.write_text("mine\n")
    r = invoke("validate", patients, "--report", out)
    assert r.exit_code == 2 and "--force" in r.output
    assert out.read_text() == "mine\n"
    r = invoke("validate", patients, "--report", out, "--force")
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8-sig").startswith("file,sheet,row")
    assert [p.name for p in tmp_path.iterdir() if "sarcohort-tmp" in p.name] == []


def test_template_and_synth_need_force(tmp_path):
    wb = tmp_path / "template.xlsx"
    wb.write_bytes(b"mine")
    assert invoke("template", "--out", wb).exit_code == 2
    assert wb.read_bytes() == b"mine"
    assert invoke("template", "--out", wb, "--force").exit_code == 0
    assert wb.read_bytes()[:2] == b"PK"

    cohort = tmp_path / "cohort.xlsx"
    cohort.write_bytes(b"mine")
    r = invoke("synth", "--n", 20, "--out", cohort)
    assert r.exit_code == 2 and "--force" in r.output
    assert cohort.read_bytes() == b"mine"
    assert invoke("synth", "--n", 20, "--out", cohort, "--force").exit_code == 0
    folder = tmp_path / "csvs"
    write_csvs(folder)
    before = (folder / "patients.csv").read_bytes()
    assert invoke("synth", "--n", 20, "--out", folder).exit_code == 2
    assert (folder / "patients.csv").read_bytes() == before


def test_init_out_as_the_readme_writes_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("init", "--out", "study.toml")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "study.toml").read_text()
    assert invoke("init", "--out", "study.toml").exit_code == 2  # exists
    assert invoke("init", "other.toml").exit_code == 0  # the positional form still works
    (tmp_path / "study.toml").write_text("mine")
    assert invoke("init", "--out", "study.toml", "--force").exit_code == 0
    assert (tmp_path / "study.toml").read_text() == text


def test_analyze_into_the_data_folder_is_refused_before_any_work(tmp_path):
    protocol = write_study(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    t0 = time.monotonic()
    r = invoke("analyze", protocol, "--out", tmp_path)
    assert r.exit_code == 2 and "not a sarcohort report" in r.output, r.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert time.monotonic() - t0 < 10


def test_demo_cannot_write_gets_one_clean_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = invoke("demo", "--out", blocker / "demo")  # its parent is a file: the OS refuses
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sarcohort demo: cannot write"), r.output


def test_demo_into_a_read_only_folder(tmp_path, monkeypatch):
    """Permission denied, as a read-only folder gives (simulated: the tests may run as root)."""
    from sarcohort.cli import _demo

    def denied(*_a, **_k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr(_demo, "run_demo", denied)
    r = invoke("demo", "--out", tmp_path / "ro" / "demo")
    assert r.exit_code == 2
    assert r.output.strip() == f"sarcohort demo: cannot write {tmp_path / 'ro'}: Permission denied"


# ------------------------------------------------------------------ piped output


def messy_patients(folder: Path) -> Path:
    p, _ = example_tables()
    p.loc[1, "sex"] = "\x1b[31mX"  # a terminal escape in a data cell
    p.loc[2, "death_date"] = "2012-02-31"
    return write_csvs(folder, p)


LINE = re.compile(r"^(?P<file>[^:]+)(:(?P<row>\d+))?:( (?P<column>[^:]+):)? "
                  r"(?P<severity>error|warning|info): .* \[(?P<rule>[\w.]+)\]$")


def test_validate_piped_gives_one_line_per_problem(tmp_path):
    patients = messy_patients(tmp_path)
    r = invoke("validate", patients)
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any(line.startswith("patients.csv:3: sex: error: ") and "\\x1b[31mX" in line
               for line in lines), lines
    assert any(LINE.match(line)["rule"] == "date.invalid" for line in lines)
    assert "\x1b" not in r.output


def test_validate_json(tmp_path):
    patients = messy_patients(tmp_path)
    r = invoke("validate", patients, "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["counts"]["error"] >= 2
    first = doc["problems"][0]
    assert set(first) == {"file", "sheet", "row", "column", "value", "rule", "severity", "message"}
    assert any(p["value"] == "\x1b[31mX" for p in doc["problems"])  # JSON escapes it itself
    assert "\x1b" not in r.stdout


def test_problems_csv_is_spreadsheet_safe_in_every_cell(tmp_path):
    folder = tmp_path / "data"
    p, t = example_tables()
    p.loc[1, "sex"] = "=HYPER\x0bLINK(\"x\")"
    folder.mkdir()
    evil = folder / "=cmd.csv"  # the file column is data too
    p.to_csv(evil, index=False)
    out = tmp_path / "problems.csv"
    invoke("validate", evil, "--report", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows and all(r["file"] == "'=cmd.csv" for r in rows)
    assert any(r["value"] == "'=HYPER\\x0bLINK(\"x\")" for r in rows), rows
    for r in rows:
        for cell in r.values():
            assert not cell.startswith(("=", "+", "@")), cell
            assert not re.search(r"[\x00-\x08\x0b-\x1f]", cell), cell


# ------------------------------------------------------------------ help, -q, Ctrl-C


@pytest.mark.parametrize("command", ["demo", "synth", "template", "validate", "init", "analyze"])
def test_help_shows_flags_as_flags(command):
    r = invoke(command, "--help", env={"COLUMNS": "160"})
    assert r.exit_code == 0
    assert "<bool>" not in r.output and "BOOLEAN" not in r.output
    assert "--no-" not in r.output


def test_top_help_shows_flags_as_flags():
    r = invoke("--help", env={"COLUMNS": "160"})
    assert "--version" in r.output and "<bool>" not in r.output


def _sarcohort(*args: object, **kwargs):
    # Ctrl-C's default action in the child, as a terminal gives it: a test process whose
    # SIGINT is ignored would pass that on, and the CLI rightly keeps an ignored SIGINT ignored
    return subprocess.Popen([sys.executable, "-m", "sarcohort", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs)


def test_quiet_prints_only_the_path_and_ctrl_c_exits_130(tmp_path):
    protocol = write_study(tmp_path)
    out = tmp_path / "report"
    proc = _sarcohort("analyze", protocol, "--out", out, "-q", cwd=tmp_path)
    stdout, _ = proc.communicate(timeout=300)
    assert stdout == f"{out / 'report.html'}\n"
    # Ctrl-C while the report is being written (its temporary folder exists, the figure
    # workers are busy) reaches the whole process group, as a terminal sends it. On a busy
    # machine the writing may end between seeing the folder and the signal: that run wrote
    # its whole report (exit 0), and the next one is interrupted instead (a few tries).
    finished = []
    for _ in range(5):
        before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        proc = _sarcohort("analyze", protocol, "--out", out, "-q", cwd=tmp_path)
        deadline = time.monotonic() + 300
        while not any(".sarcohort-tmp-new" in p.name for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        assert [p.name for p in tmp_path.iterdir() if "sarcohort-tmp" in p.name] == []
        if proc.returncode == 0:  # finished before the signal: a whole report, as asked
            assert stdout == f"{out / 'report.html'}\n"
            finished.append(stderr)
            continue
        assert proc.returncode == 130, stderr
        assert stderr == "sarcohort: interrupted\n" and stdout == ""
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
        break
    else:
        raise AssertionError("no run was interrupted while writing its report; test process "
                             f"SIGINT {signal.getsignal(signal.SIGINT)!r}; stderr {finished!r}")
