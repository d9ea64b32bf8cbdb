"""Every `sarcohort ...` command line of README.md runs as written.

The command lines are read from the README itself (its code blocks and its table of
commands), so a changed README is tested as changed. ``[...]`` parts are optional:
each line runs with none and with all of them. Placeholders: FILE = a cohort workbook,
DIR = a new folder, S = a seed, N = a count (2); of alternatives (``auto\\|memory``) the first; a
registry-sized ``--n`` (1,000,000) runs at 2,000 so that the suite stays fast. Each run starts in a fresh folder holding what the
command reads (a protocol from `sarcohort init`, the synthetic cohort as CSV next to it
and as cohort.xlsx).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarcohort.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDERS = {"FILE": "cohort.xlsx", "DIR": "out-dir", "S": "1", "N": "2"}
#: exit codes a command may give on the (synthetic, slightly messy) data: never 2 (usage)
ALLOWED = {"validate": {0, 1}, "analyze": {0, 1}}


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"^\| `(sarcohort [^`]+)`", text, flags=re.M)  # the table of commands
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            found += [part.strip() for part in line.split("&&") if part.strip().startswith("sarcohort ")]
    return list(dict.fromkeys(found))


def variants(line: str) -> list[list[str]]:
    """The line without its optional parts and with all of them, placeholders filled."""
    line = re.sub(r"(\w+)(\\\|\w+)+", r"\1", line)  # "auto\|memory\|duckdb": the first choice
    bare = re.sub(r"\s*\[[^\]]*\]", "", line)
    full = re.sub(r"\[([^\]]*)\]", r"\1", line)
    out = []
    for form in dict.fromkeys([bare, full]):
        words = [PLACEHOLDERS.get(w, w) for w in shlex.split(form)]
        # the registry-sized example (--n 1000000) runs at 2000 patients: the suite stays fast
        words = ["2000" if w.isdigit() and int(w) >= 100_000 else w for w in words]
        out.append(words[1:])  # without "sarcohort"
    return out


CASES = list(map(list, dict.fromkeys(tuple(args) for line in readme_commands()
                                       for args in variants(line))))
# `demo --registry` without --n is a million-patient run: only its form with --n (at 2000)
CASES = [a for a in CASES if not ("--registry" in a and "--n" not in a)]


def test_the_readme_shows_every_command():
    shown = {args[0] for args in CASES}
    assert {"demo", "template", "validate", "init", "analyze", "synth"} <= shown


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """What the commands read: a protocol, the cohort as CSV beside it and as a workbook."""
    from sarcohort import synth

    folder = tmp_path_factory.mktemp("inputs")
    cohort = synth.generate(n=60, seed=1)
    cohort.write(folder)
    cohort.write(folder / "cohort.xlsx")
    result = CliRunner().invoke(app, ["init", "--out", str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a) for a in CASES])
def test_readme_command_runs_as_written(args, inputs, tmp_path, monkeypatch):
    for f in inputs.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    if args[0] in ("init", "template", "synth"):  # they write what we copied: start empty
        for f in tmp_path.iterdir():
            f.unlink()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in ALLOWED.get(args[0], {0}), result.output
