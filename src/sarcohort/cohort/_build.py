"""From source tables to a validated cohort: validate, derive endpoints, include, pseudonymise."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sarcohort._clock import now_utc
from sarcohort.cohort._cohort import Cohort
from sarcohort.cohort._derived import evaluate_derived
from sarcohort.cohort._endpoints import overall_survival, progression_free_survival
from sarcohort.cohort._flow import PatientFlow
from sarcohort.cohort._inclusion import apply_inclusion
from sarcohort.cohort._needs import needed_columns
from sarcohort.cohort._timing import metastasis_timing
from sarcohort.cohort._treatments import treatment_summary_columns
from sarcohort.data._days import DAYS_PER_MONTH, age_years, days_between
from sarcohort.data._memory import release_memory
from sarcohort.data._schema import PATIENTS, TREATMENTS
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._problems import ValidationReport
from sarcohort.data.validation._validate import ValidatedData, WholeTables, validate_tables
from sarcohort.exceptions import InputError
from sarcohort.protocol import CohortConfig
from sarcohort.protocol._spec import DERIVED_COLUMNS
from sarcohort.stats import expressions


def pseudo_ids(n: int, numbers: np.ndarray | None = None) -> np.ndarray:
    """``P0001``, ``P0002``... in input order (at least four digits); with ``numbers``, the
    ids of these (1-based) positions among ``n`` patient rows (a part of larger tables).

    >>> pseudo_ids(3).tolist()
    ['P0001', 'P0002', 'P0003']
    >>> pseudo_ids(12345, np.array([7, 12345])).tolist()
    ['P00007', 'P12345']
    """
    width = max(4, len(str(n)))
    # the digits written by array arithmetic (one Python string per id, no format call)
    number = (np.arange(1, n + 1, dtype=np.int64) if numbers is None
              else np.asarray(numbers, dtype=np.int64))
    chars = np.empty((len(number), width + 1), dtype=np.uint8)
    chars[:, 0] = ord("P")
    for k in range(width):
        chars[:, width - k] = ord("0") + (number // 10**k) % 10
    return chars.view(f"S{width + 1}").ravel().astype(f"U{width + 1}").astype(object)


_TIMING = ("timing", "months_to_metastasis")
_OS = ("os_days", "os_event", "os_months")
_PFS = ("pfs_days", "pfs_event", "pfs_months")
#: The per-patient treatment summaries (:func:`treatment_summary_columns`).
_TREATED = tuple(c for c in DERIVED_COLUMNS if c not in {
    "pseudo_id", "source_row", "age_at_metastasis", *_TIMING, *_OS, *_PFS})


def derived_columns(p: pd.DataFrame, t: pd.DataFrame, treatment_patient: np.ndarray,
                    config: CohortConfig, only: set[str] | None = None,
                    age: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The derived columns of every patient row (see :data:`DERIVED_COLUMNS`), as arrays;
    with ``only``, the age at first metastasis and those of ``only`` (at least). ``age``:
    the age at first metastasis when already computed (by the validation's age rules)."""
    def wanted(names: tuple[str, ...]) -> bool:
        return only is None or not only.isdisjoint(names)

    ep = config.endpoints
    met = p["first_metastasis_date"].to_numpy(dtype="datetime64[ns]")
    out: dict[str, np.ndarray] = {
        "age_at_metastasis": age_years(p["birth_date"], met) if age is None else age}
    if wanted(_TIMING):
        timing, _, months = metastasis_timing(p["primary_diagnosis_date"], met,
                                              ep.synchronous_window_days)
        out["timing"] = timing
        out["months_to_metastasis"] = months
    if wanted(_OS):
        os_days, os_event = overall_survival(met, p["death_date"], p["last_followup_date"],
                                             ep.cutoff_date)
        out["os_days"] = os_days
        out["os_event"] = os_event
    if wanted(_PFS):
        pfs_days, pfs_event = progression_free_survival(
            met, p["progression_date"], p["death_date"], p["last_followup_date"], ep.cutoff_date)
        out["pfs_days"] = pfs_days
        out["pfs_event"] = pfs_event
    if "os_days" in out:
        out["os_months"] = out["os_days"] / DAYS_PER_MONTH
    if "pfs_days" in out:
        out["pfs_months"] = out["pfs_days"] / DAYS_PER_MONTH
    if wanted(_TREATED):
        out.update(treatment_summary_columns(
            treatment_patient, t["kind"], t["start_date"], t["line"], t["in_trial"], len(p),
            met, ep.cutoff_date))
    return out


def derive_endpoints(p: pd.DataFrame, t: pd.DataFrame, treatment_patient: np.ndarray,
                     config: CohortConfig) -> pd.DataFrame:
    """The derived columns of every patient row (see :data:`DERIVED_COLUMNS`)."""
    return pd.DataFrame(derived_columns(p, t, treatment_patient, config), index=p.index)


def _int_if_whole(a: np.ndarray) -> np.ndarray:
    if not np.isnan(a).any():
        return a.astype(np.int64)
    return a


def column_at_rows(values: Any, keep: np.ndarray | None) -> Any:
    """A column's array (pandas extension arrays kept), at the rows ``keep`` (None: all,
    without a copy)."""
    if isinstance(values, pd.Series):  # numpy dtypes as numpy arrays, the others as they are
        values = (values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
                  else values.to_numpy())
    arr = values
    if keep is None:
        return arr
    return arr.take(keep) if isinstance(arr, pd.api.extensions.ExtensionArray) else arr[keep]


def validated(patients: RawTable, treatments: RawTable | None, config: CohortConfig, *,
              today: object | None = None, needed: Mapping[str, Mapping[str, str]] | None = None,
              on_unlinked_treatments: str | None = None,
              whole: WholeTables | None = None, consume: bool = False) -> ValidatedData:
    """The tables validated as the protocol's cohort sections say (``needed``: as
    :func:`cohort_from_tables`; ``whole`` and ``consume``: as :func:`validate_tables`, for a
    part of larger tables, for tables read for this check only)."""
    if needed is None:
        needed = needed_columns(config.derived)
    return validate_tables(
        patients, treatments, mapping=config.data.mapping, codes=config.data.codes,
        date_format=config.data.date_format, age_min=config.inclusion.age_min,
        age_max=config.inclusion.age_max, today=today, needed=needed,
        on_unlinked_treatments=on_unlinked_treatments or config.data.on_unlinked_treatments,
        whole=whole, consume=consume)


def cohort_from_tables(patients: RawTable, treatments: RawTable | None,
                       config: CohortConfig | None = None, *, today: object | None = None,
                       needed: Mapping[str, Mapping[str, str]] | None = None,
                       on_unlinked_treatments: str | None = None) -> Cohort:
    """Validate, derive, include and pseudonymise tables already read.

    ``on_unlinked_treatments`` overrides ``[data] on_unlinked_treatments``.
    ``needed``: the template columns the analysis uses, per table, with the reason
    (:func:`~sarcohort.cohort._needs.needed_columns`; default: both endpoints and the
    ``[derived]`` expressions). A missing one is an error, never an empty column.

    Raises
    ------
    ProtocolError
        When a [derived] expression cannot be evaluated on the cohort.
    """
    config = config or CohortConfig()
    checked = validated(patients, treatments, config, today=today, needed=needed,
                        on_unlinked_treatments=on_unlinked_treatments)
    return cohort_from_checked(checked, config)


def _patient_columns(checked: ValidatedData, derived: dict[str, np.ndarray],
                     keep: np.ndarray | None, ids: np.ndarray | None,
                     only: set[str] | None = None) -> dict[str, Any]:
    """The columns of the cohort table at the rows ``keep``: pseudonymous id, source row,
    the patients' columns (not their id), the derived columns; ``only`` these when given."""
    def wanted(c: str) -> bool:
        return only is None or c in only

    p = checked.patients
    columns: dict[str, Any] = {}
    if wanted("pseudo_id"):
        columns["pseudo_id"] = ids
    if wanted("source_row"):
        columns["source_row"] = column_at_rows(checked.patient_rows, keep)
    for c in p.columns:
        if c != "patient_id" and wanted(c):
            columns[c] = column_at_rows(p[c], keep)
    for c, values in derived.items():
        if wanted(c):
            columns[c] = column_at_rows(values, keep)
    for c in ("os_days", "pfs_days"):
        if c in columns:
            columns[c] = _int_if_whole(columns[c])
    return columns


def _included(checked: ValidatedData, config: CohortConfig, only: set[str] | None = None,
              ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, PatientFlow]:
    """The derived columns of every patient row (``only``: as :func:`derived_columns`),
    then who is analysed: mask, exclusion reason of each row and the patient flow."""
    p = checked.patients
    derived = derived_columns(p, checked.treatments, checked.treatment_patient, config, only,
                              checked.age_at_metastasis)
    analysed, reason, flow = apply_inclusion(
        checked.patient_error, derived["age_at_metastasis"],
        p["first_metastasis_date"].to_numpy(dtype="datetime64[ns]"), config.inclusion,
        config.endpoints.cutoff_date)
    return derived, analysed, reason, flow


def _names(expr: str) -> set[str]:
    """The columns ``expr`` names (none when it is not an expression: evaluate_derived
    then raises its error, in its turn)."""
    try:
        return expressions.names(expr)
    except InputError:
        return set()


def patient_flow(checked: ValidatedData, config: CohortConfig) -> PatientFlow:
    """The patient flow of the cohort :func:`cohort_from_checked` would build, without
    building it (``sarcohort validate``): its ``[derived]`` expressions are evaluated as
    there, on the analysed rows, with only the columns they name.

    Raises
    ------
    ProtocolError
        When a [derived] expression cannot be evaluated on the cohort (as
        :func:`cohort_from_checked`).
    """
    used: set[str] = set().union(*(_names(e) for _, e in config.derived))
    derived, analysed, _, flow = _included(checked, config, only=used)
    if config.derived:
        keep = None if analysed.all() else np.flatnonzero(analysed)
        ids = column_at_rows(pseudo_ids(len(analysed)), keep) if "pseudo_id" in used else None
        columns = _patient_columns(checked, derived, keep, ids, only=used)
        del derived
        n = len(analysed) if keep is None else len(keep)
        evaluate_derived(pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False),
                         config.derived, config.data.codes)
    return flow


def cohort_from_checked(checked: ValidatedData, config: CohortConfig, *,
                        ids: np.ndarray | None = None) -> Cohort:
    """Derive, include and pseudonymise validated tables.

    Every column is built once, as an array of the analysed rows (no copy of a column at
    all when every patient is analysed), and the tables are assembled from them: no wide
    frame is concatenated or copied. ``ids``: the pseudonymous id of each patient row
    (default :func:`pseudo_ids` in row order; a part of larger tables gives the whole
    tables' ids).
    """
    p, t = checked.patients, checked.treatments
    derived, analysed, reason, flow = _included(checked, config)
    pids = pseudo_ids(len(p)) if ids is None else ids
    keep = None if analysed.all() else np.flatnonzero(analysed)
    ids = column_at_rows(pids, keep)
    columns = _patient_columns(checked, derived, keep, ids)
    table = pd.DataFrame(columns, index=pd.Index(ids, name=None), copy=False)
    del columns, derived
    if config.derived:
        table = evaluate_derived(table, config.derived, config.data.codes)
    # treatments of analysed patients, linked by pseudonymous id
    pos = checked.treatment_patient
    linked = pos >= 0
    linked[linked] = analysed[pos[linked]]
    rows = None if linked.all() else np.flatnonzero(linked)
    t_pos = column_at_rows(pos, rows)
    tcols: dict[str, object] = {"pseudo_id": pids[t_pos],
                                "source_row": column_at_rows(checked.treatment_rows, rows)}
    for c in t.columns:
        if c != "patient_id":
            tcols[c] = column_at_rows(t[c], rows)
    met = p["first_metastasis_date"].to_numpy(dtype="datetime64[ns]")
    tcols["start_days"] = days_between(met[t_pos], np.asarray(tcols["start_date"],
                                                              dtype="datetime64[ns]"))
    tr = pd.DataFrame(tcols, index=pd.RangeIndex(len(t_pos)), copy=False)
    del tcols
    excluded = pd.DataFrame({"pseudo_id": pids[~analysed],
                             "source_row": checked.patient_rows[~analysed],
                             "reason": reason[~analysed]})
    manifest = cohort_manifest(checked.sources, checked.report, config, flow, table, excluded)
    manifest["treatment_rows"] = treatment_accounting(checked.treatment_patient, analysed)
    return Cohort(table, tr, checked.report, flow, manifest, excluded)


def treatment_accounting(patient: np.ndarray, analysed: np.ndarray) -> dict[str, int]:
    """Every treatment row counted once: of an analysed patient, of an excluded patient,
    or linked to no patient (its id matches none, or several).

    >>> treatment_accounting(np.array([0, 0, 1, -1]), np.array([True, False]))
    {'read': 4, 'analysed': 2, 'of_excluded_patients': 1, 'unlinked': 1}
    """
    pos = np.asarray(patient, dtype=np.int64)
    linked = pos >= 0
    of_analysed = np.zeros(len(pos), dtype=bool)
    of_analysed[linked] = np.asarray(analysed, dtype=bool)[pos[linked]]
    return {"read": int(len(pos)), "analysed": int(of_analysed.sum()),
            "of_excluded_patients": int((linked & ~of_analysed).sum()),
            "unlinked": int((~linked).sum())}


def cohort_manifest(sources: Sequence[dict], report: ValidationReport, config: CohortConfig,
                    flow: PatientFlow, table: pd.DataFrame, excluded: pd.DataFrame) -> dict:
    """What the cohort was built from and of (:attr:`Cohort.manifest`): its sources, the
    protocol, the validation counts, the flow, the excluded patients, the columns."""
    from sarcohort._version import __version__

    protocol: dict = {"file": Path(config.path).name if config.path else None,
                      "cohort_sections_sha256": config.source_hash or None}
    if config.path and Path(config.path).is_file():
        protocol["sha256"] = hashlib.sha256(Path(config.path).read_bytes()).hexdigest()
    return {
        "format": "sarcohort-cohort",
        "format_version": 1,
        "sarcohort_version": __version__,
        "created_utc": now_utc().isoformat(timespec="seconds"),
        "sources": list(sources),
        "protocol": protocol,
        "config": config.to_dict(),
        "validation": {"ok": report.ok, "counts": report.counts(), "by_rule": report.by_rule()},
        "flow": flow.to_dict(),
        "excluded": excluded.astype(object).to_dict("records"),
        "n_analysed": int(len(table)),
        "columns": {c: str(table[c].dtype) for c in table.columns if c != "birth_date"},
        "template_columns": {"patients": list(PATIENTS.names),
                             "treatments": list(TREATMENTS.names)},
    }


def cohort_from_frames(patients: pd.DataFrame, treatments: pd.DataFrame | None = None,
                       config: CohortConfig | None = None, source_name: str = "data frame",
                       *, today: object | None = None,
                       needed: Mapping[str, Mapping[str, str]] | None = None) -> Cohort:
    """Build a cohort from in-memory tables (e.g. from :mod:`sarcohort.synth`).

    Row numbers in problems count a header as row 1 (the first row is row 2).
    """
    p = RawTable.from_frame(patients, source_name, "patients")
    t = (RawTable.from_frame(treatments, source_name, "treatments")
         if treatments is not None else None)
    return cohort_from_tables(p, t, config, today=today, needed=needed)


def build_cohort(config: CohortConfig, base_dir: str | Path | None = None, *,
                 today: object | None = None,
                 needed: Mapping[str, Mapping[str, str]] | None = None) -> Cohort:
    """Read the protocol's sources and build the cohort.

    Parameters
    ----------
    config
        The cohort sections of the protocol.
    base_dir
        Folder the ``[data]`` paths are relative to (default: the protocol's folder).
    today, needed
        As :func:`cohort_from_tables`.

    Raises
    ------
    InputError
        When a source file is missing or unreadable (ProtocolError for a wrong protocol).
    """
    from sarcohort.data.readers import read_sources

    base = Path(base_dir) if base_dir is not None else config.base_dir
    # the tables as read are dropped once validated (before the cohort is built)
    checked = validated(*read_sources(config.data, base), config, today=today, needed=needed,
                        on_unlinked_treatments=None, consume=True)
    release_memory()  # Arrow's pool keeps the freed Parquet buffers (1e6: ~0.5 GB) otherwise
    return cohort_from_checked(checked, config)

