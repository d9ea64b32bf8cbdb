"""``sarcohort validate``: list every problem of a data file, at once."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from sarcohort.cli._engine_options import MasterOption

#: Problems printed in the terminal's table (all of them go to --report, and to a pipe).
MAX_SHOWN = 50

#: A terminal narrower than this gets one line per problem instead of the table.
MIN_TABLE_WIDTH = 120

FORMATS = ("auto", "table", "lines", "json")

_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")


def _usage(message: str) -> typer.Exit:
    typer.echo(f"sarcohort validate: {message}", err=True)
    return typer.Exit(2)


def _dataset(folder: Path) -> bool:
    """A Parquet dataset folder (Parquet files, no patients.* file): checked out of core."""
    return folder.is_dir() and not any(
        (folder / f"patients{s}").is_file() for s in _SUFFIXES) and any(folder.rglob("*.parquet"))


def _folder_sources(folder: Path) -> tuple[Path, Path | None]:
    def find(stem: str) -> Path | None:
        for suffix in _SUFFIXES:
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
        return None

    p = find("patients")
    if p is None:
        raise _usage(f"{folder} is a folder without a patients.csv (or .xlsx, .parquet) file")
    return p, find("treatments")


def run(
    file: Annotated[Path, typer.Argument(help="Data file: .xlsx (sheets 'patients' and 'treatments'), .csv or .parquet of patients, a folder with patients.csv and treatments.csv, or a Parquet dataset folder of patients (checked out of core).", show_default=False)],
    protocol: Annotated[Path | None, typer.Option("--protocol", "-p", help="study.toml whose \\[data] section maps your columns, codes and date format, and whose \\[inclusion] gives the age range.")] = None,
    report: Annotated[Path | None, typer.Option("--report", "-r", help="Write every problem to this CSV file.")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet of the patients table in a workbook (default: 'patients', else the first).")] = None,
    treatments: Annotated[Path | None, typer.Option("--treatments", "-t", help="Treatments table, when not in the same workbook.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="auto: a table on a wide terminal, else one line per problem (file:row: column: severity: message [rule]); table; lines; json.")] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --report file.")] = False,
    engine: Annotated[str | None, typer.Option("--engine", help="auto | memory | duckdb | spark: memory reads the tables whole; duckdb checks Parquet tables out of core on this machine, a quarter of a million patients at a time (the same problems), and spark on Spark's executors; auto: duckdb for Parquet inputs over 200 MB (default: the protocol's [data] engine, else auto).")] = None,
    master: MasterOption = None,
) -> None:
    """Check a cohort data file against the template and the clinical rules.

    Every problem is listed with its file, sheet, row (as seen in the sheet, header =
    row 1), column, rule and what to do. Exit code 0: no error; 1: errors (those
    patients would be excluded); 2: usage error (missing or unreadable file); 3: the check
    did not finish (a worker process or Spark failed, e.g. out of memory).
    """
    if output_format not in FORMATS:
        raise _usage(f"--format {output_format!r}: use one of {', '.join(FORMATS)}")
    try:
        code = _run(file, protocol, report, sheet, treatments, output_format, force, engine,
                    master)
    except typer.Exit:
        raise
    except (ValueError, OSError) as exc:  # an unreadable file (a bug goes to cli.main: no traceback)
        typer.echo(f"sarcohort validate: {file.name} could not be checked "
                   f"({type(exc).__name__}: {str(exc)[:200]})", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _run(file: Path, protocol: Path | None, report_path: Path | None, sheet: str | None,
         treatments: Path | None, output_format: str = "auto", force: bool = False,
         engine: str | None = None, master: str | None = None) -> int:
    from sarcohort.cohort._build import patient_flow, validated
    from sarcohort.data.readers import read_sources
    from sarcohort.exceptions import InputError, ProtocolError
    from sarcohort.protocol import CohortConfig, read_cohort_config

    if not file.exists():
        raise _usage(f"{file}: file not found")
    if file.is_dir() and not _dataset(file):
        file, found = _folder_sources(file)
        treatments = treatments or found
    elif not file.is_dir() and file.suffix.lower() not in _SUFFIXES:
        raise _usage(f"{file.name}: unsupported file type {file.suffix!r}; use .xlsx, .csv or "
                     ".parquet" + (" (save .xls files as .xlsx)" if file.suffix.lower() == ".xls"
                                   else ""))
    if treatments is not None and not (treatments.is_file() or _dataset(treatments)):
        raise _usage(f"{treatments}: file not found")
    needed = None
    config = CohortConfig()
    if protocol is not None:  # read exactly as `analyze` does: date policy, files, needs
        from sarcohort.study import Study

        try:
            study = Study.from_toml(protocol)
            config, needed = study.cohort_config, study.needed_columns()
        except ProtocolError as whole:
            try:  # the data sections alone, and say that `analyze` would refuse the rest
                config = read_cohort_config(protocol)
            except ProtocolError as exc:
                raise _usage(f"protocol: {exc}") from None
            typer.echo(f"Note: `sarcohort analyze` refuses this protocol ({whole}); the data "
                       "are checked with its [data], [inclusion], [endpoints] and [derived]",
                       err=True)
    for line in _sources(file, treatments, sheet, protocol, config):
        typer.echo(line, err=True)  # standard output holds the problems only (pipes, JSON)
    if report_path is not None:
        _check_report_path(report_path, force, file, treatments, protocol, config)
    t_file = treatments  # as read_sources finds it: else the protocol's
    if t_file is None and config.data.treatments and not config.data.redcap_dictionary:
        t_file = Path(config.base_dir if config.base_dir is not None else Path.cwd()) / (
            config.data.treatments)
    out_of_core = _out_of_core(file, t_file, sheet, config, engine)
    if out_of_core is not None:
        rep, flow, n_patients, n_treatments = _partitioned(file, t_file, config, needed,
                                                           out_of_core, master)
        return _show(rep, flow, n_patients, n_treatments, output_format, report_path)
    from sarcohort.cli._progress import progress

    with progress(f"reading {file.name}") as say:
        try:
            patients_raw, treatments_raw = read_sources(config.data, config.base_dir, patients=file,
                                                        treatments=treatments, sheet=sheet)
        except InputError as exc:
            raise _usage(str(exc)) from None
        say(f"checking {patients_raw.n} patient rows")
        n_patients = patients_raw.n
        n_treatments = treatments_raw.n if treatments_raw else None
        try:  # the flow of the cohort `analyze` would build, without building it
            # the tables as read are dropped column by column once typed
            checked = validated(patients_raw, treatments_raw, config, needed=needed,
                                consume=True)
            flow = patient_flow(checked, config)
        except ProtocolError as exc:
            raise _usage(f"protocol: {exc}") from None
    return _show(checked.report, flow, n_patients, n_treatments, output_format, report_path)


def _show(rep, flow, n_patients: int, n_treatments: int | None, output_format: str,
          report_path: Path | None) -> int:
    """Print the problems and the flow, write --report; the exit code."""
    shown = _choose_format(output_format)
    if shown == "json":
        from sarcohort.cli._plain import problems_json

        typer.echo(problems_json(rep, flow, n_patients, n_treatments))
    elif shown == "lines":
        _print_lines(rep, flow, n_patients, n_treatments)
    else:
        _print(rep, flow, n_patients, n_treatments)
    unlinked = sum(1 for p in rep.errors if p.rule == "treatment.unknown_patient")
    if unlinked:
        typer.echo(f"{unlinked} treatment row(s) match no patient: `sarcohort analyze` stops on "
                   'them unless [data] on_unlinked_treatments = "ignore".', err=True)
    if report_path is not None:
        from sarcohort.data._files import atomic_path

        try:
            with atomic_path(report_path) as tmp:
                rep.write_csv(tmp)
        except OSError as exc:
            raise _usage(f"cannot write the report {report_path}: {exc.strerror}") from None
        typer.echo(f"all {len(rep.problems)} problem(s) written to {report_path}",
                   err=shown != "table")
    return 0 if rep.ok else 1


def _out_of_core(file: Path, treatments: Path | None, sheet: str | None, config,
                 engine: str | None) -> str | None:
    """The engine that checks the tables out of core (None: they are read whole):
    ``--engine`` (duckdb or spark), else the protocol's ``[data] engine``, else auto
    (Parquet inputs over the engines' size threshold); only Parquet files are (the others
    are read whole, and a note says so)."""
    from sarcohort.cohort._parts import whole_read
    from sarcohort.engines import ENGINES, choose_engine

    data = config.data
    wanted = engine or getattr(data, "engine", None) or "auto"
    if wanted.lower() not in ENGINES:
        raise _usage(f"--engine {wanted!r}: unknown engine; use one of {', '.join(ENGINES)}")
    chosen = choose_engine(wanted, [file, treatments])
    why, refusal = whole_read(config, file, treatments, engine=chosen, sheet=sheet)
    if refusal is not None:
        raise _usage(refusal)
    if chosen == "memory":
        return None
    if why is not None:
        typer.echo(f"Note: the tables are read whole ({why}).", err=True)
        return None
    return chosen


def _partitioned(file: Path, treatments: Path | None, config, needed, engine: str,
                 master: str | None):
    """The problems, flow and row counts of Parquet tables checked out of core, a part at a
    time (:func:`~sarcohort.data.validation._partitioned.validate_parquet`), on this machine
    or by Spark's executors (``engine``, on ``master``)."""
    import datetime as dt

    from sarcohort.cli._progress import progress_bar
    from sarcohort.cohort._build import patient_flow, validated
    from sarcohort.cohort._inclusion import merge_flows
    from sarcohort.data.validation._partitioned import parts_for, source_rows, validate_parquet
    from sarcohort.exceptions import InputError, ProtocolError, WorkerError

    today = dt.date.today().isoformat()  # one day for every part
    try:
        n = source_rows(file)
    except InputError as exc:  # an unreadable file: as the whole-table reader says it
        raise _usage(str(exc)) from None
    k = parts_for(n)
    typer.echo(f"Checking out of core: {k} part(s) of about {-(-n // k)} patient rows"
               + (" on Spark" if engine == "spark" else ""), err=True)
    spark = None
    with contextlib.ExitStack() as stack, progress_bar(k, "checking", "parts") as advance:
        try:
            if engine == "spark":
                from sarcohort.engines import open_engine

                spark = stack.enter_context(open_engine("spark", **({"master": master}
                                                                    if master else {})))
            rep, flows, n_patients, n_treatments = validate_parquet(
                file, treatments,
                lambda p, t, whole: validated(p, t, config, today=today, needed=needed,
                                              whole=whole),
                lambda checked: patient_flow(checked, config),
                mapping=config.data.mapping, date_format=config.data.date_format, parts=k,
                on_part=lambda _done, _total: advance(1),
                parts_from=spark.parts() if spark is not None else None)
        except ProtocolError as exc:
            raise _usage(f"protocol: {exc}") from None
        except WorkerError as exc:  # not the user's input: the check did not finish
            typer.echo(f"sarcohort validate: {file.name} was not checked: {exc}", err=True)
            raise typer.Exit(3) from None
        except InputError as exc:
            raise _usage(str(exc)) from None
    return rep, merge_flows(flows), n_patients, n_treatments


def _sources(file: Path, treatments: Path | None, sheet: str | None, protocol: Path | None,
             config) -> list[str]:
    """What is read, and which of it the protocol named (so nobody checks one file and
    analyses another)."""
    data = config.data
    if protocol is None:
        return [f"Reading {file} (no protocol: template column names and codes; dates ISO, "
                "or day/month as the unambiguous dates decide)"]
    where = f"from {protocol.name} [data]"
    out = [f"Reading {file}" + (f", sheet {data.patients_sheet!r} ({where} patients_sheet)"
                                if sheet is None and data.patients_sheet else "")
           + f" with the protocol {protocol.name} (as `sarcohort analyze` reads it)"]
    if treatments is None and data.treatments and not data.redcap_dictionary:
        out.append(f"Treatments: {config.base_dir / data.treatments} ({where} treatments)")
    if data.redcap_dictionary:
        out.append(f"REDCap data dictionary: {config.base_dir / data.redcap_dictionary} "
                   f"({where} redcap_dictionary)")
    if data.patients and Path(data.patients).name != file.name:
        out.append(f"Note: the protocol's patients file is {data.patients}; `analyze` reads "
                   "that one, not the file checked here")
    return out


def _check_report_path(path: Path, force: bool, file: Path, treatments: Path | None,
                       protocol: Path | None, config) -> None:
    """--report never replaces an input (whatever --force says), nor a file without --force."""
    from sarcohort.cli._outputs import check_output
    from sarcohort.exceptions import OutputError

    inputs = [file, treatments, protocol]
    for key in ("patients", "treatments", "redcap_dictionary"):
        name = getattr(config.data, key, None)
        if name:
            inputs.append(Path(config.base_dir or ".") / name)
    try:
        check_output(path, option="--report", force=force, inputs=inputs)
    except OutputError as exc:
        raise _usage(str(exc)) from None


def _choose_format(output_format: str) -> str:
    """``auto``: the table on a terminal wide enough for it, else one line per problem."""
    if output_format != "auto":
        return output_format
    from rich.console import Console

    console = Console()
    return "table" if console.is_terminal and console.width >= MIN_TABLE_WIDTH else "lines"


def _print_lines(rep, flow, n_patients: int, n_treatments: int | None) -> None:
    """Every problem on its own line (standard output); the summary on standard error."""
    from sarcohort.cli._plain import problem_line
    from sarcohort.data._printable import one_line

    for p in rep.problems:
        typer.echo(problem_line(p))
    counts = rep.counts()
    what = f"{n_patients} patient row(s)" + (
        f", {n_treatments} treatment row(s)" if n_treatments is not None else "")
    typer.echo(f"Read {what}: {counts['error']} error(s), {counts['warning']} warning(s), "
               f"{counts['info']} info.", err=True)
    typer.echo(f"Patient flow: {flow.n_read} read, " + "".join(
        f"{s.n_excluded} excluded ({one_line(s.reason)}), " for s in flow.steps if s.n_excluded)
        + f"{flow.n_analysed} would be analysed.", err=True)
    if rep.ok:
        typer.echo("No error.", err=True)


def _print(rep, flow, n_patients: int, n_treatments: int | None) -> None:
    from rich.console import Console
    from rich.markup import escape as _escape
    from rich.table import Table

    from sarcohort.data._printable import one_line

    def escape(text: str) -> str:  # data shown as text: no markup, no control characters
        return _escape(one_line(text))

    console = Console(highlight=False, soft_wrap=False)
    shown = rep.problems[:MAX_SHOWN]
    if shown:
        table = Table(title="Problems", show_lines=False)
        for name in ("file", "sheet", "row", "column", "value", "rule", "severity", "what to do"):
            table.add_column(name, overflow="fold")
        colour = {"error": "red", "warning": "yellow", "info": "dim"}
        for p in shown:
            table.add_row(escape(p.file), escape(p.sheet or ""),
                          "" if p.row is None else str(p.row), escape(p.column or ""),
                          escape(p.value), escape(p.rule),
                          f"[{colour[p.severity]}]{p.severity}[/]", escape(p.message))
        console.print(table)
        if len(rep.problems) > MAX_SHOWN:
            console.print(f"... and {len(rep.problems) - MAX_SHOWN} more: write them all with "
                          "--report problems.csv")
    counts = rep.counts()
    rules = Table(title="Problems per rule")
    for name in ("rule", "errors", "warnings", "infos"):
        rules.add_column(name)
    for rule, c in rep.by_rule().items():
        rules.add_row(escape(rule), str(c.get("error", 0)), str(c.get("warning", 0)),
                      str(c.get("info", 0)))
    if rep.problems:
        console.print(rules)
    what = f"{n_patients} patient row(s)" + (
        f", {n_treatments} treatment row(s)" if n_treatments is not None else "")
    console.print(f"Read {what}: [red]{counts['error']} error(s)[/], "
                  f"[yellow]{counts['warning']} warning(s)[/], {counts['info']} info.")
    console.print(f"Patient flow: {flow.n_read} read, " + "".join(
        f"{s.n_excluded} excluded ({escape(s.reason)}), " for s in flow.steps if s.n_excluded)
        + f"{flow.n_analysed} would be analysed.")
    if rep.ok:
        console.print("[green]No error.[/]")
