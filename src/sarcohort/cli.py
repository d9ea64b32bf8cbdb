"""The ``sarcohort`` command line: a thin layer over the library.

Each command's implementation lives in :mod:`sarcohort.commands` (one module per command,
a ``run`` function with typed options). This module only registers them, so that
``sarcohort --help`` imports nothing heavy. Exit codes: 0 success, 1 the data or the
analysis has errors, 2 usage error (bad option, missing or unreadable file).
"""

from __future__ import annotations

from importlib import import_module

import typer

from sarcohort import __version__

app = typer.Typer(
    name="sarcohort",
    help="Retrospective cancer cohort studies: validate case-report data, analyse survival, write the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command name -> module in sarcohort.commands, in the order shown by --help
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


for _name, _module in COMMANDS.items():
    _run = import_module(f"sarcohort.commands.{_module}").run
    app.command(_name, help=_run.__doc__)(_run)


def main() -> None:
    """Entry point of the ``sarcohort`` console script."""
    app()
