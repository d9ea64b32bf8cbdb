"""The command line: fast start, exit codes, no traceback."""

import subprocess
import sys

from typer.testing import CliRunner

import sarcohort
from sarcohort.cli import COMMANDS, app


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and sarcohort.__version__ in result.output


def test_help_imports_nothing_heavy():
    code = (
        "import sys, sarcohort.cli; "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'openpyxl', 'docx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def test_public_api_is_lazy_and_complete():
    assert set(sarcohort.__all__) - {"__version__"} == set(sarcohort._LAZY)
    for name in sarcohort.__all__:
        assert getattr(sarcohort, name) is not None
