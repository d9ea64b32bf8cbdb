"""``sarcohort init``: write a commented example protocol (study.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def run(
    path: Annotated[Path | None, typer.Argument(help="Where to write the protocol (same as --out).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the protocol [default: study.toml].", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented example protocol to edit for your study.

    Exit code 0: written; 2: the file exists (use --force) or cannot be written.
    """
    # imported when the command runs, so that `sarcohort --help` imports nothing heavy
    from sarcohort.cli._outputs import check_output
    from sarcohort.data._files import write_text_atomic
    from sarcohort.exceptions import OutputError
    from sarcohort.protocol._options import example_protocol

    if path is not None and out is not None and path != out:
        typer.echo(f"sarcohort init: two places given ({path} and --out {out}); give one",
                   err=True)
        raise typer.Exit(2)
    target = out or path or Path("study.toml")
    try:
        check_output(target, option="--out", force=force)
        write_text_atomic(target, example_protocol())
    except OutputError as exc:
        typer.echo(f"sarcohort init: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"sarcohort init: cannot write {target}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {target}; edit it, then run: sarcohort analyze {target} --out report/")
