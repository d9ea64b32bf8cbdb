"""``sarcohort template``: the empty data template, and its REDCap data dictionary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["run"]


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Workbook to write (.xlsx): sheets patients, treatments and dictionary.")] = Path("template.xlsx"),
    redcap: Annotated[Path | None, typer.Option("--redcap", help="Also write the template as a REDCap data dictionary (.csv).")] = None,
) -> None:
    """Write the empty data template a centre fills in, with its data dictionary.

    The workbook has a 'patients' sheet (one row per patient), a 'treatments'
    sheet (one row per treatment of the metastatic disease) and a 'dictionary'
    sheet giving the meaning, type, unit and allowed codes of every column. With
    --redcap, the same fields are written as a REDCap data dictionary (the
    treatments form is meant to be a repeating instrument).
    """
    if out.suffix.lower() != ".xlsx":
        typer.echo(f"sarcohort template: --out must end in .xlsx (got {out.name})", err=True)
        raise typer.Exit(2)
    if redcap is not None and redcap.suffix.lower() != ".csv":
        typer.echo(f"sarcohort template: --redcap must end in .csv (got {redcap.name})", err=True)
        raise typer.Exit(2)
    from sarcohort.data.template import write_redcap_dictionary, write_template

    try:
        write_template(out)
        typer.echo(f"wrote the template to {out}")
        if redcap is not None:
            write_redcap_dictionary(redcap)
            typer.echo(f"wrote the REDCap data dictionary to {redcap}")
    except OSError as exc:
        typer.echo(f"sarcohort template: cannot write: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
