"""The report folder is whole or absent, and only sarcohort's files are ever touched.

Checked with files each test writes: a rerun replaces an earlier report; a folder of
someone else's files is refused and left as it was; a disk-full failure midway (an
OSError(ENOSPC) raised by a writer) leaves the earlier report intact and no temporary
folder; a crash at every step of the swap, and SIGKILL at random moments of
`sarcohort analyze`, leave the earlier complete report or the new complete one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sarcohort.report
from fixtures.small_cohort import results
from fixtures.tiny_study import write_study
from sarcohort.exceptions import OutputError
from sarcohort.report import _output as output
from sarcohort.report._output import MANIFEST, recover

FAST = {"formats": ("html", "xlsx", "csv"), "figure_formats": ("svg",), "dpi": 72}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file (and link) under ``folder``: relative path -> SHA-256."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() or p.is_symlink():
            out[p.relative_to(folder).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def is_complete_report(folder: Path) -> bool:
    """The folder holds exactly the files its manifest lists, each with its listed hash."""
    doc = json.loads((folder / MANIFEST).read_text())
    files = snapshot(folder)
    files.pop(MANIFEST)
    return files == doc["files"] and {"report.html", "results.json"} <= set(files)


def leftovers(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if ".sarcohort-tmp" in p.name]


@pytest.fixture(scope="module")
def res():
    return results()


def test_rerun_replaces_an_earlier_report_and_lists_its_files(tmp_path, res):
    out = tmp_path / "report"
    sarcohort.report.write(res, out, **FAST)
    first = snapshot(out)
    assert is_complete_report(out)
    assert "csv/table1.csv" in json.loads((out / MANIFEST).read_text())["files"]
    sarcohort.report.write(res, out, formats=("html",), figure_formats=("svg",), dpi=72)
    assert is_complete_report(out)
    assert not (out / "tables.xlsx").exists() and not (out / "csv").exists()  # no stale files
    assert set(snapshot(out)) < set(first)
    assert leftovers(out) == []


def test_a_folder_of_other_files_is_refused_and_untouched(tmp_path, res):
    data = tmp_path / "data"
    data.mkdir()
    (data / "patients.csv").write_text("patient_id\nA1\n")
    (data / "csv").mkdir()
    (data / "csv" / "mine.csv").write_text("x\n")
    (data / "figures").mkdir()
    (data / "figures" / "mine.png").write_bytes(b"png")
    before = snapshot(data)
    with pytest.raises(OutputError, match="not a sarcohort report"):
        sarcohort.report.write(res, data, **FAST)
    assert snapshot(data) == before
    assert leftovers(data) == []


def test_a_report_holding_a_foreign_file_is_refused(tmp_path, res):
    out = tmp_path / "report"
    sarcohort.report.write(res, out, **FAST)
    (out / "csv" / "my_notes.csv").write_text("keep me\n")
    before = snapshot(out)
    with pytest.raises(OutputError, match=r"did not write \(csv/my_notes.csv\)"):
        sarcohort.report.write(res, out, **FAST)
    assert snapshot(out) == before


def test_a_file_is_refused_as_report_folder(tmp_path, res):
    target = tmp_path / "report"
    target.write_text("mine")
    with pytest.raises(OutputError, match="not a folder"):
        sarcohort.report.write(res, target, **FAST)
    assert target.read_text() == "mine"


def test_disk_full_midway_keeps_the_earlier_report(tmp_path, res, monkeypatch):
    out = tmp_path / "report"
    sarcohort.report.write(res, out, **FAST)
    before = snapshot(out)
    from sarcohort.report import _xlsx_writer as xlsx_writer

    real = xlsx_writer.write_xlsx

    def full_disk(path, tables):
        real(path, tables)
        with open(path, "r+b") as fh:  # a truncated file, as a full disk leaves it
            fh.truncate(100)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(xlsx_writer, "write_xlsx", full_disk)
    with pytest.raises(OSError) as err:
        sarcohort.report.write(res, out, **FAST)
    assert err.value.errno == errno.ENOSPC
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_killed_first_run_leaves_nothing_and_is_cleaned_up(tmp_path, res, monkeypatch):
    out = tmp_path / "report"
    monkeypatch.setattr(output, "write_manifest", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        sarcohort.report.write(res, out, **FAST)
    assert not out.exists() and leftovers(out) == []


def _interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (no cleanup code catches it here)."""


def _fake_report(out: Path, text: str) -> None:
    """What report.write does, in miniature: files in folders, written in a staged folder."""
    with output.staged(out) as stage:
        for name in ("report.html", "results.json", "csv/table1.csv", "figures/km.svg"):
            (stage / name).parent.mkdir(exist_ok=True)
            (stage / name).write_text(f"{name}: {text}")


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_kill_at_every_step_of_the_swap(tmp_path, monkeypatch, exchange):
    """Crash the report's replacement at each of its file-system steps (rename, unlink,
    rmdir); the folder is then the old report or the new one, and after recovery (what
    the next run does first) there is no leftover."""
    out = tmp_path / "report"
    _fake_report(out, "run 0")
    old = snapshot(out)
    if not exchange:
        monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    n_steps = None
    for k in range(100):
        calls = {"n": 0}

        def step(real, calls=calls, kill_at=k + 1):
            def wrapped(*args, **kwargs):
                calls["n"] += 1
                if calls["n"] == kill_at:
                    raise Killed
                return real(*args, **kwargs)
            return wrapped

        with monkeypatch.context() as m:
            m.setattr(output, "_remove_stage", lambda stage: None)  # a kill cleans nothing
            for name in ("rename", "unlink", "rmdir"):
                m.setattr(output.os, name, step(getattr(os, name)))
            m.setattr(Path, "unlink", step(Path.unlink))
            m.setattr(Path, "rmdir", step(Path.rmdir))
            m.setattr(output, "_exchange", step(output._exchange))
            try:
                _fake_report(out, f"run {k + 1}")
            except Killed:
                pass
            else:
                n_steps = k
        if out.exists():
            assert snapshot(out) == old or is_complete_report(out), k
        recover(out)
        assert snapshot(out) == old or is_complete_report(out), k
        assert leftovers(out) == [], k
        old = snapshot(out)
        if n_steps is not None:
            break
    assert n_steps and n_steps >= 3  # the swap's steps were all interrupted once


def _processes_of(out: Path) -> list[int]:
    """The processes whose command line names ``out`` (Linux's /proc; none elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if str(out).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # ended meanwhile
            pass
    return found


def test_sigkill_at_random_moments_of_analyze(tmp_path):
    """`sarcohort analyze` killed (SIGKILL) at random moments: the folder is the earlier
    report or the new one, never a mix; the next run cleans up what the killed one left."""
    protocol = write_study(tmp_path, title="Old title")
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "sarcohort", "analyze", str(protocol), "--out", str(out), "-q"]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, cwd=tmp_path)
    duration = time.monotonic() - t0
    old = snapshot(out)
    protocol.write_text(protocol.read_text().replace("Old title", "New title"))
    rng = random.Random(7)
    outcomes = set()
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # its forked workers (figures, analyses) end with it, not orphaned for ever
        deadline = time.monotonic() + 10
        while _processes_of(out) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of(out) == []
        state = snapshot(out) if out.exists() else None
        assert state == old or is_complete_report(out)
        outcomes.add("old" if state == old else "new")
        recover(out)
        assert snapshot(out) == state and leftovers(out) == []
        old = state
    assert outcomes  # at least one run was checked
