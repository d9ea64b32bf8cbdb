"""``sarcohort synth``: write a synthetic cohort calibrated to the reference study."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Same value as :data:`sarcohort.synth.DEFAULT_SEED` (kept here so --help imports nothing heavy;
#: a test checks that both agree).
DEFAULT_SEED = 0

#: Same value as :data:`sarcohort.synth.AUTO_PARQUET_ABOVE` (a test checks that both agree).
AUTO_PARQUET_ABOVE = 100_000


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output: a folder (no suffix) of patients + treatments files, or a .xlsx workbook.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of patients (published: 120; counts scale with n).")] = 120,
    centres: Annotated[int, typer.Option("--centres", min=1, max=99, help="Number of centres.")] = 15,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same cohort.")] = DEFAULT_SEED,
    output_format: Annotated[str, typer.Option("--format", "-f", help=f"Files of a folder: csv (patients.csv, treatments.csv), parquet (patients.parquet, treatments.parquet: typed, compact, fast to read; for large cohorts), xlsx (--out name.xlsx), or auto: xlsx for a .xlsx name, else csv up to {AUTO_PARQUET_ABOVE:,} patients and parquet above.")] = "auto",
    messy: Annotated[bool, typer.Option("--messy", help="Inject realistic data-entry faults and write injected_faults.csv next to the data (csv or xlsx).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the cohort files there (those of the other format too, so the folder holds one cohort).")] = False,
) -> list[Path]:
    """Write a synthetic cohort calibrated to the published figures of the reference study.

    The cohort has the template's two tables (patients, treatments). Counts are
    exactly the published ones for --n 120; everything the publication does not
    give is an assumption listed in the documentation of sarcohort.synth.
    Any size streams to disk in bounded memory (registry scale: --n 10000000
    writes Parquet block by block); each file appears whole when it is complete.
    With --messy, one fault of each kind (swapped day/month, duplicated row,
    missing follow-up, progression after death, code typo) is injected and
    listed in injected_faults.csv with the row it is on and the validator rule
    that must catch it. An existing file is replaced only with --force.
    """
    from sarcohort.cli._progress import progress_bar
    from sarcohort.exceptions import InputError
    from sarcohort.synth import write

    try:
        with progress_bar(n, "synthesising", "patients") as advance:
            paths, n_patients, n_treatments = write(
                out, n=n, centres=centres, seed=seed, messy=messy, format=output_format,
                force=force, progress=advance)
    except InputError as err:
        typer.echo(f"sarcohort synth: {_option_names(err)}", err=True)
        raise typer.Exit(2) from None
    except OSError as err:
        typer.echo(f"sarcohort synth: cannot write {out}: {err.strerror or err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {n_patients} patients, {n_treatments} treatments (seed {seed}) to "
               + ", ".join(str(p) for p in paths))
    return paths


def _option_names(err: Exception) -> str:
    """The library's message with its argument named as the command's option."""
    from sarcohort.exceptions import InputError

    arg = getattr(err, "argument", None)
    if isinstance(err, InputError) and arg and arg.split(" ")[0] in ("out", "format", "n"):
        head, _, rest = arg.partition(" ")
        return str(type(err)(err.reason, argument=f"--{head} {rest}".rstrip(), value=err.value,
                             fix=err.fix))
    return str(err)
