"""``sarcohort analyze study.toml --out DIR``: run a protocol and write its report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from sarcohort.cli._engine_options import MasterOption


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"sarcohort analyze: {message}", err=True)
    return typer.Exit(code)


def analyze(study: Any, out: Path, *, quiet: bool = False, engine: Any = None,
            in_parts: bool = False, workers: int | None = None) -> tuple[dict[str, Path], bool]:
    """Load, analyse and report a parsed :class:`~sarcohort.study.Study`.

    ``in_parts``: the Parquet tables are validated and derived a part at a time
    (:meth:`~sarcohort.study.Study.load_in_parts`: tables larger than memory).
    ``workers``: the processes that run the analyses at once (None: as the cores, the
    memory and the cohort allow).
    Returns the paths written, and whether the data were clean (no data error excluded
    or changed a patient; otherwise the report opens its warnings with the problems).
    """
    from sarcohort.cli._progress import progress
    from sarcohort.report import prepare, write

    prepare()  # figure workers import matplotlib while the cohort is loaded and analysed
    with progress(f"{study.title}: loading the cohort") as say:
        course = None
        if in_parts:
            cohort, course = study.load_in_parts(on_part=lambda done, k: say(
                f"loading the cohort: part {done} of {k} checked"),
                parts_from=engine.parts() if engine is not None else None)
        else:
            cohort = study.load()
        results = study.analyze(cohort, progress=say, engine=engine, release_treatments=True,
                                course=course, workers=workers)
        del course
        say("writing the report")
        paths = write(results, out)
    n_err = len(cohort.report.errors)
    if not quiet or n_err:
        typer.echo(f"{len(cohort.patients)} patients analysed"
                   + (f"; the data have {n_err} error(s) ({cohort.flow.n_excluded} patient(s) "
                      "excluded): see the report's warnings and `sarcohort validate`"
                      if n_err else ""), err=True)
    return paths, n_err == 0


def _check_sources(study: Any) -> None:
    """Missing data files are usage errors (exit 2), found before any work (a table may be
    a Parquet dataset folder)."""
    data = study.cohort_config.data
    base = study.path.parent
    for key in ("patients", "treatments", "redcap_dictionary"):
        name = getattr(data, key)
        if name and not ((base / name).is_file()
                         or (key != "redcap_dictionary" and (base / name).is_dir())):
            raise _fail(f"{study.path}: [data] {key} = {name!r}: no such file "
                        f"{base / name} (paths are relative to the protocol)", 2)


def _in_parts(study: Any, chosen: str, quiet: bool) -> bool:
    """Whether the tables are loaded a part at a time: an engine other than memory and
    tables that can be (:func:`~sarcohort.cohort._parts.read_whole_why`; else a note, or
    a usage error for a dataset folder, which is never read whole)."""
    from sarcohort.cohort._parts import whole_read

    data = study.cohort_config.data
    base = study.path.parent
    patients = base / data.patients
    treatments = base / data.treatments if data.treatments else None
    why, refusal = whole_read(study.cohort_config, patients, treatments, engine=chosen)
    if refusal is not None:
        raise _fail(refusal, 2)
    if chosen == "memory":
        return False
    if why is not None and not quiet:
        typer.echo(f"Note: the tables are read whole ({why}).", err=True)
    return why is None


def _engine(study: Any, name: str | None) -> str:
    """The engine that runs: ``--engine``, else the protocol's ``[data] engine``; ``auto`` by
    the size of the data files (usage error, exit 2, for an unknown name)."""
    from sarcohort.engines import ENGINES, choose_engine

    data = study.cohort_config.data
    wanted = name or getattr(data, "engine", None) or "auto"
    if wanted.lower() not in ENGINES:
        raise _fail(f"--engine {wanted!r}: unknown engine; use one of {', '.join(ENGINES)}", 2)
    base = study.path.parent
    files = [base / f for f in (data.patients, data.treatments) if f]
    return choose_engine(wanted, files)


def run(
    protocol: Annotated[Path, typer.Argument(help="The study protocol (study.toml); `sarcohort init` writes an example.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.html, tables.docx, tables.xlsx, csv/, figures/ and results.json: new, empty, or an earlier report, which is replaced whole (never a folder of other files).")] = Path("report"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the report's path.")] = False,
    engine: Annotated[str | None, typer.Option("--engine", help="What computes the Kaplan-Meier curves and log-rank tests: auto | memory | duckdb | spark (default: the protocol's [data] engine, else auto: DuckDB for inputs over 200 MB or a Parquet folder); other than memory, Parquet tables are read out of core, a part at a time. The numbers are the same.")] = None,
    master: MasterOption = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes that run the treatment course, Table 1 and each endpoint's analyses at once, for a cohort analysed in memory (default: one per core, as the memory still available allows, for 20,000 patients or more; 1 with --engine duckdb or spark). Each takes up to about the memory the cohort does; the numbers are the same.")] = None,
) -> None:
    """Run a study protocol: patient flow, Table 1, Kaplan-Meier, Cox models, and the report.

    Exit code 0: report written on clean data; 1: the data have errors (the report is
    written, the excluded patients and problems first in its warnings) or the analysis
    failed (the message says which file, row, column or key); 2: usage error (missing
    protocol, bad key in it).
    """
    from sarcohort.exceptions import InputError, OutputError, ProtocolError
    from sarcohort.report._output import check_target
    from sarcohort.study import Study

    if not protocol.is_file():
        raise _fail(f"{protocol}: no such protocol file (create one with `sarcohort init`)", 2)
    t0 = time.perf_counter()
    try:
        study = Study.from_toml(protocol)
        _check_sources(study)
        check_target(out)  # a folder of other files is refused before any work
        chosen = _engine(study, engine)
        if workers is not None and workers > 1 and chosen != "memory":
            raise _fail(f"--workers {workers}: the analyses run in several processes only for a "
                        f"cohort analysed in memory, and the {chosen} engine runs; use "
                        "--engine memory, or leave --workers out", 2)
        in_parts = _in_parts(study, chosen, quiet)
        eng = None
        if chosen != "memory":
            from sarcohort.engines import open_engine

            eng = open_engine(chosen, **({"master": master} if chosen == "spark" and master else {}))
            if not quiet:
                done_there = ("validation, derivation, " if in_parts and eng.parts() is not None
                              else "")
                typer.echo(f"The {done_there}Kaplan-Meier curves and log-rank tests by the "
                           f"{chosen} engine", err=True)
        try:
            paths, clean = analyze(study, out, quiet=quiet, engine=eng, in_parts=in_parts,
                                   workers=workers)
        finally:
            if eng is not None:
                eng.close()
    except ProtocolError as exc:
        raise _fail(f"{protocol}: {exc}", 2) from None
    except OutputError as exc:
        raise _fail(f"--out {exc}", 2) from None
    except InputError as exc:
        raise _fail(str(exc), 1) from None
    except OSError as exc:
        raise _fail(f"cannot write the report to {out}: {exc.strerror or exc}"
                    + ("; the previous report there is unchanged" if out.is_dir() else ""),
                    1) from None
    main = paths.get("html") or paths.get("json")
    if quiet:
        typer.echo(str(main))
    else:
        typer.echo(f"Report written to {main} ({time.perf_counter() - t0:.1f} s)")
    if not clean:  # scripts can rely on it: 0 only when the data were clean
        raise typer.Exit(1)
