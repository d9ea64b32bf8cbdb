"""``sarcohort template``: the empty data template, and its REDCap data dictionary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Workbook to write (.xlsx): sheets patients, treatments and dictionary.")] = Path("template.xlsx"),
    redcap: Annotated[Path | None, typer.Option("--redcap", help="Also write the template as a REDCap data dictionary (.csv).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
) -> None:
    """Write the empty data template a centre fills in, with its data dictionary.

    The workbook has a 'patients' sheet (one row per patient), a 'treatments'
    sheet (one row per treatment of the metastatic disease) and a 'dictionary'
    sheet giving the meaning, type, unit and allowed codes of every column. With
    --redcap, the same fields are written as a REDCap data dictionary (the
    treatments form is meant to be a repeating instrument). An existing file is
    replaced only with --force.
    """
    if out.suffix.lower() != ".xlsx":
        typer.echo(f"sarcohort template: --out must end in .xlsx (got {out.name})", err=True)
        raise typer.Exit(2)
    if redcap is not None and redcap.suffix.lower() != ".csv":
        typer.echo(f"sarcohort template: --redcap must end in .csv (got {redcap.name})", err=True)
        raise typer.Exit(2)
    from sarcohort.cli._outputs import check_output
    from sarcohort.data._files import atomic_path
    from sarcohort.data._template import write_redcap_dictionary, write_template
    from sarcohort.exceptions import OutputError

    try:
        check_output(out, option="--out", force=force)
        if redcap is not None:
            check_output(redcap, option="--redcap", force=force)
        with atomic_path(out) as tmp:
            write_template(tmp)
        typer.echo(f"wrote the template to {out}")
        if redcap is not None:
            with atomic_path(redcap) as tmp:
                write_redcap_dictionary(tmp)
            typer.echo(f"wrote the REDCap data dictionary to {redcap}")
    except OutputError as exc:
        typer.echo(f"sarcohort template: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"sarcohort template: cannot write: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
