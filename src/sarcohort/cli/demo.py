"""``sarcohort demo``: the reference study reproduced on a synthetic cohort, end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer


def run(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (new or empty). Default: a new folder here."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the synthetic cohort.")] = None,
    registry: Annotated[bool, typer.Option("--registry", help="Registry scale: --n patients (default one million) end to end, then the same statistics by the DuckDB engine from a Parquet dataset, with the time of each stage.")] = False,
    n: Annotated[int, typer.Option("--n", min=100, help="Patients of the --registry demo.")] = 1_000_000,
) -> None:
    """Generate a synthetic cohort like the published reference study, validate and analyse
    it with the reference protocol, write the full report, and print published vs reproduced."""
    started = time.perf_counter()
    from rich.console import Console
    from rich.table import Table

    from sarcohort.cli._demo import run_demo
    from sarcohort.cli._progress import progress
    from sarcohort.exceptions import InputError

    console = Console()
    err = Console(stderr=True)
    if registry:
        _registry(out, n, seed or 0, console, err)
        console.print(f"Done in {time.perf_counter() - started:.1f} s.")
        return
    try:
        with progress("starting") as say:
            result = run_demo(out, seed=seed, progress=say)
    except InputError as exc:
        typer.echo(f"sarcohort demo: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:  # a read-only or full disk: the same one line as other commands
        where = exc.filename or out or "the current folder"
        typer.echo(f"sarcohort demo: cannot write {where}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None

    table = Table(title="Published vs reproduced (synthetic cohort)", title_justify="left")
    for name in ("figure", "published", "reproduced"):
        table.add_column(name.capitalize(), overflow="fold")
    for row in result.comparison.itertuples(index=False):
        table.add_row(row.figure, row.published, row.reproduced)
    console.print(table)
    console.print(
        f"{result.n_patients} synthetic patients (seed {result.seed}); "
        "hazard ratios were not published, so only directions and P values are compared."
    )
    console.print(f"Report: [bold]{result.report['html']}[/]", highlight=False)
    console.print(f"Data and protocol: {result.out_dir / 'data'}", highlight=False)
    console.print(f"Done in {time.perf_counter() - started:.1f} s.")


def _registry(out: Path | None, n: int, seed: int, console, err) -> None:
    from rich.table import Table

    from sarcohort.cli._demo import default_out_dir
    from sarcohort.cli._progress import progress
    from sarcohort.cli._registry import run_registry_demo
    from sarcohort.exceptions import InputError

    try:
        with progress("starting") as say:
            run = run_registry_demo(out or default_out_dir(), n=n, seed=seed, progress=say)
    except InputError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    stages = Table(title=f"Registry demo: {run.n_patients:,} patients, {run.n_analysed:,} analysed",
                   title_justify="left")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name, seconds in run.stages:
        stages.add_row(name, f"{seconds:.1f}")
    console.print(stages)
    same = Table(title="The same numbers, in memory and by DuckDB from the Parquet dataset",
                 title_justify="left")
    for name in ("statistic", "memory", "DuckDB"):
        same.add_column(name, justify="left" if name == "statistic" else "right")
    for name, a, b in run.comparison:
        same.add_row(name, f"{a:.10g}", f"{b:.10g}")
    console.print(same)
    console.print(f"Largest relative difference: {run.max_relative_difference:.1e}")
    console.print(f"Report: [bold]{run.report.get('html')}[/]", highlight=False)
