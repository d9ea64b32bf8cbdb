"""sarcohort: retrospective cancer cohort studies, from case-report data to a report.

The public API (stable names; see the README for a tour)::

    import sarcohort as sc
    km  = sc.kaplan_meier("Surv(time, status) ~ sex", data=df, conf_type="log-log")
    lr  = sc.logrank("Surv(time, status) ~ sex + strata(centre)", data=df)
    cox = sc.cox("Surv(time, status) ~ age + factor(grade)", data=df, ties="efron")
    study  = sc.Study.from_toml("study.toml")
    cohort = study.load()
    result = study.analyze(cohort)

More of the core: ``sc.cuminc``, ``sc.rmst_test``, ``sc.cox_anova``, ``sc.validate_cox``,
``sc.pool``; :class:`SurvivalData` and :func:`parse_formula` are the inputs they share.
Errors: :class:`InputError` (``FormulaError``, ``ProtocolError``), warnings:
:class:`ConvergenceWarning`.

The packages are the stages of the data flow, each importing only those below it:
``protocol`` (study.toml and its option table), ``data`` (readers, template, validation),
``cohort``, ``stats`` (the numerical core), ``analysis`` (protocol -> Results),
``report``, ``synth``; ``sarcohort.study`` holds :class:`Study` and ``sarcohort.cli`` the
commands.

Submodules are imported on first use, so ``import sarcohort`` (and the command line's
``--help``) stays fast and never imports matplotlib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sarcohort._version import __version__

_LAZY = {
    "kaplan_meier": "sarcohort.stats.km",
    "logrank": "sarcohort.stats.logrank",
    "cox": "sarcohort.stats.cox",
    "cox_anova": "sarcohort.stats.cox_compare",
    "cuminc": "sarcohort.stats.cuminc",
    "validate_cox": "sarcohort.stats.validate_cox",
    "rmst_test": "sarcohort.stats.rmst_test",
    "pool": "sarcohort.stats.pool",
    "fine_gray": "sarcohort.stats.fine_gray",
    "Study": "sarcohort.study",
    "SurvivalData": "sarcohort.stats.survdata",
    "parse_formula": "sarcohort.stats.formula",
    "InputError": "sarcohort.exceptions",
    "FormulaError": "sarcohort.exceptions",
    "ProtocolError": "sarcohort.exceptions",
    "ConvergenceWarning": "sarcohort.exceptions",
}
_SUBMODULES = {"protocol", "data", "cohort", "stats", "analysis", "report", "synth"}

__all__ = [
    "__version__",
    "kaplan_meier",
    "logrank",
    "cox",
    "cox_anova",
    "cuminc",
    "validate_cox",
    "rmst_test",
    "pool",
    "fine_gray",
    "Study",
    "SurvivalData",
    "parse_formula",
    "InputError",
    "FormulaError",
    "ProtocolError",
    "ConvergenceWarning",
]

if TYPE_CHECKING:  # pragma: no cover
    from sarcohort.exceptions import (
        ConvergenceWarning,
        FormulaError,
        InputError,
        ProtocolError,
    )
    from sarcohort.stats.cox import cox
    from sarcohort.stats.cox_compare import cox_anova
    from sarcohort.stats.cuminc import cuminc
    from sarcohort.stats.fine_gray import fine_gray
    from sarcohort.stats.formula import parse_formula
    from sarcohort.stats.km import kaplan_meier
    from sarcohort.stats.logrank import logrank
    from sarcohort.stats.pool import pool
    from sarcohort.stats.rmst_test import rmst_test
    from sarcohort.stats.survdata import SurvivalData
    from sarcohort.stats.validate_cox import validate_cox
    from sarcohort.study import Study


def __getattr__(name: str) -> Any:
    """Import public names and submodules on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return import_module(f"sarcohort.{name}")
    raise AttributeError(f"module 'sarcohort' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, *_SUBMODULES])
