"""``Study``: the thin facade over the protocol, the cohort and the analysis.

Examples
--------
>>> study = Study.from_toml("study.toml")          # doctest: +SKIP
>>> cohort = study.load()                          # doctest: +SKIP
>>> results = study.analyze(cohort)                # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sarcohort.exceptions import ProtocolError
from sarcohort.protocol.analysis import COHORT_SECTIONS, AnalysisSpec, ReportSpec, parse_protocol

__all__ = ["Study"]


@dataclass(frozen=True)
class Study:
    """A parsed protocol: cohort configuration, analysis and report options."""

    path: Path
    title: str
    version: str
    analysis: AnalysisSpec
    report: ReportSpec
    cohort_config: Any
    protocol_hash: str
    description: str = ""

    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        """Read and check a protocol file; errors name the key path."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProtocolError("cannot read the protocol file", argument=str(path),
                                fix="check the path") from exc
        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ProtocolError(f"not a valid TOML file: {exc}", argument=str(path),
                                fix="fix the syntax at the position shown") from exc
        return cls.from_dict(doc, path, protocol_hash=hashlib.sha256(raw).hexdigest())

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], path: str | Path = "study.toml", *,
                  protocol_hash: str | None = None) -> Study:
        """Build from an already parsed protocol (a dict as TOML gives)."""
        path = Path(path)
        study, analysis, report = parse_protocol(doc)
        if protocol_hash is None:
            import json

            protocol_hash = hashlib.sha256(
                json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
        cohort_doc = {k: doc[k] for k in COHORT_SECTIONS if k in doc}
        from sarcohort.protocol.cohort import CohortConfig

        config = CohortConfig.from_dict(cohort_doc, str(path))
        return cls(path=path, title=study["title"], version=study["version"],
                   analysis=analysis, report=report, cohort_config=config,
                   protocol_hash=protocol_hash, description=study["description"])

    def needed_columns(self) -> dict[str, dict[str, str]]:
        """Template columns this protocol uses, per table, with the key that uses them.

        A missing one is a data error (rule ``column.missing``), never an empty column.
        """
        from sarcohort.cohort.needs import needed_columns

        a = self.analysis
        used: list[tuple[str, str]] = [(c, "analysis.descriptive") for c in a.descriptive]
        used += [(c, "analysis.factors") for c in a.factors]
        if a.group:
            used.append((a.group, "analysis.group"))
        for e, covs in a.multivariable.covariates.items():
            used += [(c, f"analysis.multivariable.{e}") for c in covs]
        for x, col in a.time_dependent.items():
            used += [(x, "analysis.time_dependent"), (col, "analysis.time_dependent")]
        return needed_columns(self.cohort_config.derived, used, a.endpoints)

    def load(self, base_dir: str | Path | None = None) -> Any:
        """Ingest, validate and derive the cohort (files relative to the protocol)."""
        from sarcohort.cohort import build_cohort

        base = Path(base_dir) if base_dir is not None else self.path.parent
        return build_cohort(self.cohort_config, base, needed=self.needed_columns())

    def analyze(self, cohort: Any, *, progress: Callable[[str], None] | None = None) -> Any:
        """Run the protocol's analyses on a cohort; returns :class:`~sarcohort.analysis.Results`."""
        from sarcohort.analysis.runner import run_analysis

        return run_analysis(self, cohort, progress=progress)
