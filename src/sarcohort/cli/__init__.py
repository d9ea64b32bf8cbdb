"""The ``sarcohort`` command line: a thin layer over the library.

Each command's implementation lives in :mod:`sarcohort.cli` (one module per command,
a ``run`` function with typed options). This module only registers them, so that
``sarcohort --help`` imports nothing heavy. Exit codes: 0 success, 1 the data or the
analysis has errors, 2 usage error (bad option, missing or unreadable file).
"""

from __future__ import annotations

from importlib import import_module

import typer

from sarcohort._version import __version__

app = typer.Typer(
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
    app.command(_name, help=_summary(_run.__doc__))(_run)


def main() -> None:
    """Entry point of the ``sarcohort`` console script.

    Errors a user can fix are reported by each command with file, row and column. An
    unexpected failure is reported in one line (no traceback) with exit code 1; set
    ``SARCOHORT_DEBUG=1`` to see the traceback.
    """
    import os
    import sys

    try:
        app()
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
