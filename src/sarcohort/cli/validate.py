"""``sarcohort validate``: list every problem of a data file, at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["run", "MAX_SHOWN"]

#: Problems printed on the terminal (all of them go to --report).
MAX_SHOWN = 50

_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")


def _usage(message: str) -> typer.Exit:
    typer.echo(f"sarcohort validate: {message}", err=True)
    return typer.Exit(2)


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
    file: Annotated[Path, typer.Argument(help="Data file: .xlsx (sheets 'patients' and 'treatments'), .csv or .parquet of patients, or a folder with patients.csv and treatments.csv.", show_default=False)],
    protocol: Annotated[Path | None, typer.Option("--protocol", "-p", help="study.toml whose \\[data] section maps your columns, codes and date format, and whose \\[inclusion] gives the age range.")] = None,
    report: Annotated[Path | None, typer.Option("--report", "-r", help="Write every problem to this CSV file.")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet of the patients table in a workbook (default: 'patients', else the first).")] = None,
    treatments: Annotated[Path | None, typer.Option("--treatments", "-t", help="Treatments table, when not in the same workbook.")] = None,
) -> None:
    """Check a cohort data file against the template and the clinical rules.

    Every problem is listed with its file, sheet, row (as seen in the sheet, header =
    row 1), column, rule and what to do. Exit code 0: no error; 1: errors (those
    patients would be excluded); 2: usage error (missing or unreadable file).
    """
    try:
        code = _run(file, protocol, report, sheet, treatments)
    except typer.Exit:
        raise
    except (ValueError, OSError) as exc:  # an unreadable file (a bug goes to cli.main: no traceback)
        typer.echo(f"sarcohort validate: {file.name} could not be checked "
                   f"({type(exc).__name__}: {str(exc)[:200]})", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _run(file: Path, protocol: Path | None, report_path: Path | None, sheet: str | None,
         treatments: Path | None) -> int:
    from sarcohort.cohort.build import cohort_from_tables
    from sarcohort.data.readers import read_sources
    from sarcohort.exceptions import InputError, ProtocolError
    from sarcohort.protocol import CohortConfig, read_cohort_config

    if not file.exists():
        raise _usage(f"{file}: file not found")
    if file.is_dir():
        file, found = _folder_sources(file)
        treatments = treatments or found
    elif file.suffix.lower() not in _SUFFIXES:
        raise _usage(f"{file.name}: unsupported file type {file.suffix!r}; use .xlsx, .csv or "
                     ".parquet" + (" (save .xls files as .xlsx)" if file.suffix.lower() == ".xls"
                                   else ""))
    if treatments is not None and not treatments.is_file():
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
                       "are checked with its [data], [inclusion], [endpoints] and [derived]")
    for line in _sources(file, treatments, sheet, protocol, config):
        typer.echo(line)
    from sarcohort.cli._progress import progress

    with progress(f"reading {file.name}") as say:
        try:
            patients_raw, treatments_raw = read_sources(config.data, config.base_dir, patients=file,
                                                        treatments=treatments, sheet=sheet)
        except InputError as exc:
            raise _usage(str(exc)) from None
        say(f"checking {patients_raw.n} patient rows")
        try:
            cohort = cohort_from_tables(patients_raw, treatments_raw, config, needed=needed)
        except ProtocolError as exc:
            raise _usage(f"protocol: {exc}") from None
    rep = cohort.report
    _print(rep, cohort.flow, patients_raw.n, treatments_raw.n if treatments_raw else None)
    unlinked = sum(1 for p in rep.errors if p.rule == "treatment.unknown_patient")
    if unlinked:
        typer.echo(f"{unlinked} treatment row(s) match no patient: `sarcohort analyze` stops on "
                   'them unless [data] on_unlinked_treatments = "ignore".')
    if report_path is not None:
        try:
            rep.write_csv(report_path)
        except OSError as exc:
            raise _usage(f"cannot write the report {report_path}: {exc.strerror}") from None
        typer.echo(f"all {len(rep.problems)} problem(s) written to {report_path}")
    return 0 if rep.ok else 1


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


def _print(rep, flow, n_patients: int, n_treatments: int | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

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
