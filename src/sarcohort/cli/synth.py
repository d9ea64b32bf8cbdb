"""``sarcohort synth``: write a synthetic cohort calibrated to the reference study."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Same value as :data:`sarcohort.synth.DEFAULT_SEED` (kept here so --help imports nothing heavy;
#: a test checks that both agree).
DEFAULT_SEED = 0


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output: a .xlsx workbook, or a folder (no suffix) of patients.csv + treatments.csv.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of patients (published: 120; counts scale with n).")] = 120,
    centres: Annotated[int, typer.Option("--centres", min=1, max=99, help="Number of centres.")] = 15,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same cohort.")] = DEFAULT_SEED,
    messy: Annotated[bool, typer.Option("--messy", help="Inject realistic data-entry faults and write injected_faults.csv next to the data.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
) -> list[Path]:
    """Write a synthetic cohort calibrated to the published figures of the reference study.

    The cohort has the template's two tables (patients, treatments). Counts are
    exactly the published ones for --n 120; everything the publication does not
    give is an assumption listed in the documentation of sarcohort.synth.
    With --messy, one fault of each kind (swapped day/month, duplicated row,
    missing follow-up, progression after death, code typo) is injected and
    listed in injected_faults.csv with the row it is on and the validator rule
    that must catch it. An existing file is replaced only with --force.
    """
    from sarcohort.cli._outputs import check_output
    from sarcohort.exceptions import InputError
    from sarcohort.synth import FAULTS_FILE, generate

    try:
        if out.suffix and out.suffix.lower() != ".xlsx":
            raise InputError("the output must be an .xlsx file or a folder (no suffix)",
                             argument="--out", value=str(out), fix="use e.g. cohort.xlsx or cohort")
        if out.exists() and out.suffix == "" and not out.is_dir():
            raise InputError("a file of that name exists; a folder is needed",
                             argument="--out", value=str(out), fix="choose another name")
        if out.suffix:
            targets = [out] + ([out.parent / FAULTS_FILE] if messy else [])
        else:
            targets = [out / "patients.csv", out / "treatments.csv"] + (
                [out / FAULTS_FILE] if messy else [])
        for target in targets:
            check_output(target, option="--out", force=force)
        cohort = generate(n=n, centres=centres, seed=seed, messy=messy)
        paths = cohort.write(out)
    except InputError as err:
        typer.echo(f"sarcohort synth: {err}", err=True)
        raise typer.Exit(2) from None
    except OSError as err:
        typer.echo(f"sarcohort synth: cannot write {out}: {err.strerror or err}", err=True)
        raise typer.Exit(2) from None
    n_rows = len(cohort.patients)
    typer.echo(f"wrote {n_rows} patients, {len(cohort.treatments)} treatments (seed {seed}) to "
               + ", ".join(str(p) for p in paths))
    return paths
