"""``sarcohort init``: write a commented example protocol (study.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["run"]


def run(
    out: Annotated[Path, typer.Argument(help="Where to write the protocol.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example protocol to edit for your study.

    Exit code 0: written; 2: the file exists (use --force) or cannot be written.
    """
    # imported when the command runs, so that `sarcohort --help` imports nothing heavy
    from sarcohort.protocol.options import example_protocol

    if out.exists() and not force:
        typer.echo(f"sarcohort init: {out} exists; use --force to overwrite it", err=True)
        raise typer.Exit(2)
    try:
        out.write_text(example_protocol(), encoding="utf-8")
    except OSError as exc:
        typer.echo(f"sarcohort init: cannot write {out}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {out}; edit it, then run: sarcohort analyze {out} --out report/")
