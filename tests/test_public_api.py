"""The public API is what the docs document: every name a package exports (``__all__``)
is named in its docstring (the top level: in the README too), resolves, and no exception
class is exported that nothing raises."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import sarcohort
import sarcohort.exceptions

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGES = sorted(m.name for m in pkgutil.walk_packages(sarcohort.__path__, "sarcohort.")
                  if m.ispkg and not any(p.startswith("_") for p in m.name.split(".")))


def test_top_level_names_are_in_the_readme_and_resolve():
    for name in sarcohort.__all__:
        if name == "__version__":
            continue
        assert getattr(sarcohort, name) is not None
        assert re.search(rf"\b{name}\b", README), f"sc.{name} is not in the README"
    for stable in ("kaplan_meier", "logrank", "cox", "Study", "SurvivalData", "parse_formula",
                   "InputError", "FormulaError", "ProtocolError", "ConvergenceWarning"):
        assert stable in sarcohort.__all__
    assert sarcohort.report.write  # sc.report.write(results, "report/")


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_exports_what_its_docstring_documents(package):
    mod = importlib.import_module(package)
    doc = mod.__doc__ or ""
    for name in getattr(mod, "__all__", ()):
        assert getattr(mod, name) is not None, (package, name)
        assert re.search(rf"\b{name}\b", doc), f"{package}.{name} is exported, not documented"


MODULES = sorted(m.name for m in pkgutil.walk_packages(sarcohort.__path__, "sarcohort.")
                 if not m.ispkg and not any(p.startswith("_") for p in m.name.split(".")))


@pytest.mark.parametrize("module", MODULES)
def test_a_public_module_exports_what_its_docstring_documents(module):
    """Modules whose names start with ``_`` are internal; a public module's ``__all__`` is what
    its docstring names."""
    mod = importlib.import_module(module)
    doc = mod.__doc__ or ""
    for name in getattr(mod, "__all__", ()):
        assert getattr(mod, name) is not None, (module, name)
        assert re.search(rf"\b{name}\b", doc), f"{module}.{name} is exported, not documented"


def test_every_exported_exception_is_raised_somewhere():
    src = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py")
                    if p.name != "exceptions.py")
    for name in sarcohort.exceptions.__all__:
        if name == "SarcohortError":  # the base class
            continue
        assert re.search(rf"\b{name}\(", src) or re.search(rf"warn\([^)]*{name}", src), name
