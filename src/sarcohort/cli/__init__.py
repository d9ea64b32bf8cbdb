"""The ``sarcohort`` command line: a thin layer over the library.

Each command's implementation lives in :mod:`sarcohort.cli` (one module per command,
a ``run`` function with typed options). This module only registers them, so that
``sarcohort --help`` imports nothing heavy. Exit codes: 0 success, 1 the data or the
analysis has errors, 2 usage error (bad option, missing or unreadable file), 3 (``validate``)
the check did not finish (a worker process or Spark failed).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from sarcohort._version import __version__

#: exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it
EXIT_INTERRUPTED = 130


def _flags_as_flags(params: list[Any]) -> list[Any]:
    """Show an on/off option as ``--force``, without the ``<bool>`` type typer prints."""
    for p in params:
        if getattr(p, "is_flag", False):  # duck-typed: typer may bundle its own click
            p.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


app = typer.Typer(
    cls=_Group,
    name="sarcohort",
    help="Retrospective cancer cohort studies: validate case-report data, analyse survival, write the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command name -> module in sarcohort.cli, in the order shown by --help
COMMANDS = {
    "demo": "demo",
    "synth": "synth",
    "template": "template",
    "validate": "validate",
    "init": "init",
    "analyze": "analyze",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sarcohort {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Retrospective cancer cohort studies, from case-report data to a manuscript-ready report."""


def _summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line (typer keeps line breaks)."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


for _name, _module in COMMANDS.items():
    _run = import_module(f"sarcohort.cli.{_module}").run
    app.command(_name, cls=_Command, help=_summary(_run.__doc__))(_run)


def main() -> None:
    """Entry point of the ``sarcohort`` console script.

    Errors a user can fix are reported by each command with file, row and column. An
    unexpected failure is reported in one line (no traceback) with exit code 1; set
    ``SARCOHORT_DEBUG=1`` to see the traceback. Ctrl-C stops the command with one line
    and exit code 130 (outputs are whole or absent: nothing half-written stays).
    """
    import os
    import signal
    import sys

    class Interrupted(BaseException):
        """Ctrl-C, raised past click (which would turn it into "Aborted!" and exit 1)."""

    def interrupted(_signum: int, _frame: Any) -> None:
        raise Interrupted

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupted)
    try:
        app()
    except (Interrupted, KeyboardInterrupt):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: no traceback either
        print("sarcohort: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence of a CLI
        if os.environ.get("SARCOHORT_DEBUG"):
            raise
        from sarcohort.exceptions import InputError

        if isinstance(exc, InputError):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in sarcohort; run again with SARCOHORT_DEBUG=1 for details.",
            file=sys.stderr,
        )
        sys.exit(1)
