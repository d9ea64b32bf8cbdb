"""The validated cohort, and its Parquet + JSON manifest form on disk."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sarcohort.cohort._flow import PatientFlow
from sarcohort.data._files import atomic_path, write_text_atomic
from sarcohort.data._schema import PATIENTS, TREATMENTS
from sarcohort.data.validation._problems import ValidationReport
from sarcohort.exceptions import InputError, OutputError
from sarcohort.protocol._spec import DERIVED_COLUMNS

#: Columns never written to disk (the identifier is not even kept in memory).
NEVER_SAVED = ("patient_id", "birth_date")

#: Columns the cohort adds to the treatments table (saved with the template's columns).
TREATMENT_DERIVED = ("pseudo_id", "source_row", "start_days")

#: what :meth:`Cohort.save` writes, the manifest last
SAVED_FILES = ("cohort.parquet", "treatments.parquet", "problems.csv", "manifest.json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True, eq=False)
class Cohort:
    """A validated cohort with its endpoints, ready for analysis.

    Attributes
    ----------
    patients
        One row per analysed patient, indexed by pseudonymous id (``P0001``...):
        template columns (never ``patient_id``), the file's other columns, the
        derived columns and the protocol's ``[derived]`` covariates.
    treatments
        Treatments of the analysed patients, with ``pseudo_id`` instead of ``patient_id``.
    report
        Every problem found in the data.
    flow
        Patient flow: rows read, excluded per reason, analysed.
    manifest
        Sources (file hashes), protocol hash, validation summary, flow, columns.
    excluded
        One row per excluded patient: ``pseudo_id``, ``source_row``, ``reason``.
    """

    patients: pd.DataFrame
    treatments: pd.DataFrame
    report: ValidationReport
    flow: PatientFlow
    manifest: dict[str, Any]
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n(self) -> int:
        """Number of analysed patients."""
        return len(self.patients)

    @property
    def problems(self) -> tuple:
        """All problems (same as ``report.problems``)."""
        return self.report.problems

    def columns_not_saved(self) -> list[str]:
        """Columns of the patients file that are not in the template (kept in memory only).

        A free column may hold anything, names included, so it is never written to disk;
        the protocol's ``[derived]`` covariates computed from it are.
        """
        derived = set(self.manifest.get("config", {}).get("derived") or {})
        known = {*PATIENTS.names, *DERIVED_COLUMNS, *derived, "pseudo_id", "source_row"}
        return [c for c in self.patients.columns if c not in known]

    def treatment_columns_not_saved(self) -> list[str]:
        """Columns of the treatments file that are not in the template (kept in memory only).

        Same rule as :meth:`columns_not_saved`: only the template's treatment columns and
        the columns this layer adds (``pseudo_id``, ``source_row``, ``start_days``) are saved.
        """
        known = {*TREATMENTS.names, *TREATMENT_DERIVED}
        return [c for c in self.treatments.columns if c not in known]

    def save(self, directory: str | Path, *, force: bool = False) -> Path:
        """Write ``cohort.parquet``, ``treatments.parquet``, ``problems.csv`` and ``manifest.json``.

        The birth date is not written (the age at first metastasis is), nor are free
        columns of either table that are not in the template (:meth:`columns_not_saved`,
        :meth:`treatment_columns_not_saved`); the manifest records the SHA-256 of both
        Parquet files and, under ``columns_not_saved``, the names (never the values) of
        the columns left out of each table.

        Each file is written whole or not at all, the manifest last: a save killed midway
        leaves files that :meth:`load` refuses (their hashes are not the manifest's), never
        a cohort that reads as another.

        Parameters
        ----------
        directory
            The folder (made if absent).
        force
            Replace the files of a cohort already saved there; without it, an existing
            file of these names is an :class:`~sarcohort.exceptions.OutputError`.
        """
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise OutputError("exists and is not a folder", argument=str(out),
                              fix="choose a folder name for the cohort")
        existing = [name for name in SAVED_FILES if (out / name).exists()]
        if existing and not force:
            raise OutputError(f"the folder already holds {', '.join(existing)}", argument=str(out),
                              fix="choose another folder, or replace them with force=True")
        out.mkdir(parents=True, exist_ok=True)
        not_saved = self.columns_not_saved()
        t_not_saved = self.treatment_columns_not_saved()
        patients = self.patients.drop(columns=[c for c in (*NEVER_SAVED, *not_saved) if c in self.patients])
        treatments = self.treatments.drop(
            columns=[c for c in (*NEVER_SAVED, *t_not_saved) if c in self.treatments])
        (out / "manifest.json").unlink(missing_ok=True)  # the old files no longer read as a cohort
        with atomic_path(out / "cohort.parquet") as tmp:
            patients.to_parquet(tmp, index=False)
        with atomic_path(out / "treatments.parquet") as tmp:
            treatments.to_parquet(tmp, index=False)
        with atomic_path(out / "problems.csv") as tmp:
            self.report.write_csv(tmp)
        manifest = dict(self.manifest)
        manifest["columns_not_saved"] = {"patients": not_saved, "treatments": t_not_saved}
        manifest["columns"] = {k: v for k, v in manifest.get("columns", {}).items() if k not in not_saved}
        manifest["files"] = {name: _sha256(out / name) for name in SAVED_FILES if name != "manifest.json"}
        write_text_atomic(out / "manifest.json",
                          json.dumps(manifest, indent=2, default=str) + "\n")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Cohort:
        """Read a cohort written by :meth:`save`, checking the file hashes of the manifest.

        Raises
        ------
        InputError
            When a file is missing or was changed after it was saved.
        """
        d = Path(directory)
        for name in ("cohort.parquet", "treatments.parquet", "manifest.json"):
            if not (d / name).is_file():
                raise InputError(f"no {name} in this folder", argument=str(d),
                                 fix="give a folder written by Cohort.save")
        try:
            manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"manifest.json cannot be read ({exc})", argument=str(d)) from None
        for name, digest in manifest.get("files", {}).items():
            if (d / name).is_file() and _sha256(d / name) != digest:
                raise InputError(f"{name} was changed after the cohort was saved",
                                 argument=str(d), fix="rebuild the cohort from the sources")
        patients = pd.read_parquet(d / "cohort.parquet")
        patients.index = pd.Index(patients["pseudo_id"].to_numpy(), name=None)
        treatments = pd.read_parquet(d / "treatments.parquet")
        report = (ValidationReport.read_csv(d / "problems.csv") if (d / "problems.csv").is_file()
                  else ValidationReport())
        flow = PatientFlow.from_dict(manifest["flow"])
        excluded = pd.DataFrame(manifest.get("excluded", []),
                                columns=["pseudo_id", "source_row", "reason"])
        return cls(patients, treatments, report, flow, manifest, excluded)
