"""Validation of cohort data: typed schema plus clinical rules, every problem at once.

>>> from sarcohort.data.validation._validate import validate_tables        # doctest: +SKIP
>>> checked = validate_tables(patients_raw, treatments_raw)      # doctest: +SKIP
>>> checked.report.ok, len(checked.report.errors)                # doctest: +SKIP

Errors exclude the patient from analysis (and a treatment-row error excludes
its patient); warnings and infos keep it. Nothing is dropped here: the typed
tables hold every input row, with the first error rule of each patient in
:attr:`ValidatedData.patient_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcohort.data._memory import release_memory
from sarcohort.data._schema import PATIENTS, TREATMENTS, Table
from sarcohort.data.readers._mapping import MappedTable, map_columns
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._coerce import coerce_table
from sarcohort.data.validation._collect import Collector
from sarcohort.data.validation._problems import ValidationReport
from sarcohort.data.validation._rules import (
    centre_id_rule,
    link_treatments,
    patient_rules,
    treatment_rules,
)


@dataclass(frozen=True, eq=False)
class ValidatedData:
    """Typed tables and the validation report.

    Attributes
    ----------
    patients
        Every patient row, template columns typed, then the file's other columns.
    treatments
        Every treatment row, typed (empty table when none were given).
    report
        All problems.
    patient_error
        First error rule of each patient row (None when it has no error).
    treatment_patient
        Position of each treatment's patient in ``patients`` (-1 when unknown).
    patient_rows, treatment_rows
        Row numbers as seen in the files.
    sources
        File name, sheet, SHA-256 and row count of each table read.
    age_at_metastasis
        Age at first metastasis of each patient row (years; NaN when a date is missing),
        as the age rules computed it.
    treatment_error
        First error rule of each treatment row (None when it has no error).
    """

    patients: pd.DataFrame
    treatments: pd.DataFrame
    report: ValidationReport
    patient_error: np.ndarray
    treatment_patient: np.ndarray
    patient_rows: np.ndarray
    treatment_rows: np.ndarray
    sources: tuple[dict, ...]
    age_at_metastasis: np.ndarray | None = None
    treatment_error: np.ndarray | None = None


@dataclass(frozen=True)
class WholeTables:
    """What validation decides over the whole tables, given when one part of them is checked
    (the out-of-core path, :mod:`sarcohort.data.validation._partitioned`).

    Attributes
    ----------
    patients_dates, treatments_dates
        Day/month convention of each table's d/m/y dates (``"dayfirst"``, ``"monthfirst"``;
        None when undecided or set by the protocol).
    treatments_centre
        The treatments table has a centre filled in (links on centre and id).
    treatment_rules
        The error rules of the treatment rows in the order they first appear in the whole
        table: a patient whose treatment rows have several is excluded for the first.
    """

    patients_dates: str | None = None
    treatments_dates: str | None = None
    treatments_centre: bool = False
    treatment_rules: tuple[str, ...] = ()


def _collector(mapped: MappedTable) -> Collector:
    """The table's problems so far: from reading it and from mapping its columns."""
    raw = mapped.raw
    c = Collector(raw.file, raw.sheet, raw.rows, mapped.source_names)
    c.problems.extend(raw.problems)
    for pos, rule in raw.bad_rows.items():
        c.mark(np.array([pos]), rule)
    c.problems.extend(mapped.problems)
    for q in mapped.problems:
        if q.severity == "error":  # a mapping error (e.g. a missing column) marks every row
            c.mark(np.arange(raw.n), q.rule)
    return c


def _mapped(raw: RawTable, table: Table, mapping: Mapping[str, str] | None,
            consume: bool) -> MappedTable:
    """``raw`` mapped to the template; with ``consume``, the mapped frame is the only one
    holding the columns (``raw.frame`` left without columns, its index kept)."""
    mapped = map_columns(raw, table, mapping)
    if consume and mapped.raw.frame is not raw.frame:
        raw.frame.drop(columns=raw.frame.columns, inplace=True)
    return mapped


def _share_ids(p: pd.DataFrame, t: pd.DataFrame, pos: np.ndarray) -> None:
    """Each linked treatment row whose id is written as its patient's holds the patient's
    id string itself (equal text): a registry's treatment rows then hold no id string of
    their own (a million fewer strings)."""
    linked = pos >= 0
    if not linked.any():
        return
    tid = t["patient_id"].to_numpy(dtype=object)
    theirs = p["patient_id"].to_numpy(dtype=object)[np.where(linked, pos, 0)]
    same = linked & (theirs == tid)
    t["patient_id"] = np.where(same, theirs, tid)


def _trim(consume: bool) -> None:
    """Between stages of a consumed table: the memory freed handed back (see
    :func:`~sarcohort.data._memory.release_memory`)."""
    if consume:
        release_memory(heap=True)


def _source(raw: RawTable, role: str) -> dict:
    return {"role": role, "file": raw.file, "sheet": raw.sheet, "sha256": raw.sha256,
            "rows": raw.n}


def validate_tables(
    patients: RawTable,
    treatments: RawTable | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    codes: Mapping[str, Mapping[str, str]] | None = None,
    date_format: str | None = None,
    age_min: float | None = 18.0,
    age_max: float | None = None,
    today: object | None = None,
    needed: Mapping[str, Mapping[str, str]] | None = None,
    on_unlinked_treatments: str = "error",
    whole: WholeTables | None = None,
    consume: bool = False,
) -> ValidatedData:
    """Check the patients (and treatments) tables against the template and clinical rules.

    Parameters
    ----------
    patients, treatments
        Tables as read by :mod:`sarcohort.data.readers`.
    mapping, codes, date_format
        ``[data]`` of the protocol: column mapping, code mapping, date format.
    age_min, age_max
        ``[inclusion]`` ages: patients outside get an ``age.range`` warning.
    today
        Reference date for dates in the future (default: today).
    needed
        Per table (``"patients"``, ``"treatments"``), the template columns the analysis
        uses and why (:func:`sarcohort.cohort._needs.needed_columns`): a missing one is an
        error, never a column taken as empty.
    whole
        When the tables are one part of larger ones: what is decided over the whole tables
        (the date conventions, linking on centre), instead of over this part.
    on_unlinked_treatments
        ``"error"`` (default): a treatment row whose patient id matches no patient is an
        error; ``"ignore"``: a warning, and the row is left out.
    consume
        The tables were read for this validation only (the command line, a study's
        ``load``): each column as read is dropped once typed, and ``patients`` and
        ``treatments`` are left without columns (their rows, names and hashes kept).
        A registry's tables as read and typed are then never held whole together.
    """
    needed = needed or {}
    sources = [_source(patients, "patients")]
    mp = _mapped(patients, PATIENTS, mapping, consume)
    pcol = _collector(mp)
    if patients.n == 0:
        pcol.add_table(None, "file.empty", "error", "the patients table has no data row")
    p, convention = coerce_table(mp, PATIENTS, pcol, codes,
                                 whole and whole.patients_dates or date_format,
                                 needed=needed.get("patients"), release=consume)
    del mp
    _trim(consume)
    # the patients' rules before the treatments are typed (a registry's two tables are not
    # held typed beside the rules' working arrays); the one that needs the treatments
    # table, after it (the last rule: the problems in the same order)
    age, several_centres = patient_rules(p, pcol, age_min=age_min, age_max=age_max,
                                         today=today)
    _trim(consume)
    if treatments is not None:
        sources.append(_source(treatments, "treatments"))
        mt = _mapped(treatments, TREATMENTS, mapping, consume)
        tcol = _collector(mt)
        t, _ = coerce_table(mt, TREATMENTS, tcol, codes,
                            whole and whole.treatments_dates or date_format, convention,
                            needed=needed.get("treatments"), release=consume)
        del mt
        _trim(consume)
        t_rows = treatments.rows
    else:
        t, _ = coerce_table(map_columns(RawTable.from_frame(pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in TREATMENTS.names})), TREATMENTS),
            TREATMENTS, Collector("", None, np.zeros(0, np.int64)), codes, date_format)
        tcol = Collector("", None, np.zeros(0, np.int64))
        t_rows = np.zeros(0, np.int64)
    need_centre_check = treatments is not None and not (
        whole.treatments_centre if whole is not None
        else "centre" in t.columns and t["centre"].notna().any())
    if need_centre_check and several_centres:  # else the rule finds nothing
        centre_id_rule(p, pcol)
    pos, ambiguous = (link_treatments(p, t, tcol, patients.rows,
                                      on_unlinked=on_unlinked_treatments) if len(t)
                      else (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    # patients whose id several treatment rows cannot tell apart: excluded, since their
    # treatment covariates (surgery, lines, trials) would be silently wrong
    pcol.mark(ambiguous, "treatment.ambiguous_patient in treatments")
    if consume and len(t):
        _share_ids(p, t, pos)
    _trim(consume)
    if len(t):
        treatment_rules(p, t, pos, tcol, today=today)
        bad = np.flatnonzero((tcol.first_error != None) & (pos >= 0))  # noqa: E711
        rules = pd.unique(tcol.first_error[bad])
        if whole is not None and whole.treatment_rules:  # their order in the whole table
            at = {r: i for i, r in enumerate(whole.treatment_rules)}
            rules = sorted(rules, key=lambda r: at.get(r, len(at)))
        for rule in rules:
            sel = bad[tcol.first_error[bad] == rule]
            pcol.mark(pos[sel], f"{rule} in treatments")
    report = ValidationReport.from_problems(pcol.problems + tcol.problems)
    return ValidatedData(p, t, report, pcol.first_error, pos, patients.rows, t_rows,
                         tuple(sources), age, tcol.first_error)


def validate_frames(patients: pd.DataFrame, treatments: pd.DataFrame | None = None,
                    **kw) -> ValidationReport:
    """Validate in-memory tables (rows numbered as if the header were row 1)."""
    p = RawTable.from_frame(patients, "patients")
    t = RawTable.from_frame(treatments, "treatments") if treatments is not None else None
    return validate_tables(p, t, **kw).report
