"""The folders are the stages of the data flow: the import-linter contract in pyproject.toml.

Runs ``lint-imports`` (the contract: each stage imports only the stages below it) so that
the README's test command, and hence CI, checks the layering.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stages_import_only_downward():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_every_module_imports_first():
    """Each module imports on its own, whatever was imported before (no hidden cycle).

    A cycle between two modules can pass the suite when the tests happen to import them in
    a lucky order, then crash a command (``sarcohort template``) that imports the other one
    first. Each module is imported with every sarcohort module unloaded before.
    """
    import importlib
    import pkgutil

    import sarcohort

    names = [m.name for m in pkgutil.walk_packages(sarcohort.__path__, "sarcohort.")]
    saved = {k: v for k, v in sys.modules.items() if k == "sarcohort" or k.startswith("sarcohort.")}
    failures = []
    try:
        for name in names:
            for k in [k for k in sys.modules if k == "sarcohort" or k.startswith("sarcohort.")]:
                del sys.modules[k]
            try:
                importlib.import_module(name)
            except ImportError as exc:
                failures.append(f"{name}: {exc}")
    finally:
        for k in [k for k in sys.modules if k == "sarcohort" or k.startswith("sarcohort.")]:
            del sys.modules[k]
        sys.modules.update(saved)
    assert not failures, "\n".join(failures)
