"""``Study``: the thin facade over the protocol, the cohort and the analysis.

Examples
--------
>>> study = Study.from_toml("study.toml")          # doctest: +SKIP
>>> cohort = study.load()                          # doctest: +SKIP
>>> results = study.analyze(cohort)                # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sarcohort.cohort._build import build_cohort
from sarcohort.cohort._cohort import Cohort
from sarcohort.protocol._reader import parse_protocol, read_protocol
from sarcohort.protocol._spec import Protocol

if TYPE_CHECKING:  # the analysis (scipy, numba) is imported when a study is analysed
    import numpy as np

    from sarcohort.analysis._results import Results
    from sarcohort.analysis._treatments import CourseRows

__all__ = ["Study"]


@dataclass(frozen=True)
class Study(Protocol):
    """A checked protocol (:class:`~sarcohort.protocol._spec.Protocol`) that can load its
    cohort and run its analyses."""

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> Study:
        """The study of an already read protocol."""
        return cls(**{f.name: getattr(protocol, f.name) for f in fields(Protocol)})

    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        """Read and check a protocol file; errors name the key path."""
        return cls.from_protocol(read_protocol(path))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], path: str | Path = "study.toml", *,
                  protocol_hash: str | None = None) -> Study:
        """Build from an already parsed protocol (a dict as TOML gives)."""
        return cls.from_protocol(parse_protocol(doc, path, protocol_hash=protocol_hash))

    def needed_columns(self) -> dict[str, dict[str, str]]:
        """Template columns this protocol uses, per table, with the key that uses them.

        A missing one is a data error (rule ``column.missing``), never an empty column.
        """
        from sarcohort.cohort._needs import needed_columns

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

    def analysed_columns(self) -> set[str]:
        """The cohort columns :meth:`analyze` reads besides the treatment course's: those
        the ``[analysis]`` names, the endpoints', and what the competing risks and the
        centre effect use. A cohort built a part at a time keeps these only."""
        a = self.analysis
        out = {*a.descriptive, *a.factors, *a.time_dependent, *a.time_dependent.values(),
               *a.competing.factors, "os_days", "os_event",
               *[c for covs in a.multivariable.covariates.values() for c in covs]}
        out.update(f"{e}_{kind}" for e in a.endpoints for kind in ("days", "event"))
        if a.group:
            out.add(a.group)
        if a.competing.event is not None:
            out.update(("pfs_days", "pfs_event"))
        if a.centre_effect is not None:
            out.add("centre")
        return out

    def load_in_parts(self, base_dir: str | Path | None = None, *,
                      on_part: Callable[[int, int], None] | None = None,
                      parts_from: Any = None) -> tuple[Cohort, CourseRows | None]:
        """:meth:`load` for Parquet tables larger than memory, and the rows of the treatment
        course (for :meth:`analyze`'s ``course``).

        The tables are validated and derived a part at a time
        (:func:`~sarcohort.cohort._parts.cohort_in_parts`); the cohort keeps
        :meth:`analysed_columns` only, indexed by row number, and no treatment row: each
        part's course rows are made from its treatments
        (:func:`~sarcohort.analysis._treatments.course_rows`). :meth:`analyze` gives the
        same results as from :meth:`load`. ``parts_from``: what makes and checks the parts
        elsewhere (a SQL engine's :meth:`~sarcohort.engines._base.SqlEngine.parts`, e.g.
        Spark's executors), default this machine.
        """
        from sarcohort.analysis._treatments import course_rows, joined_rows, narrowed
        from sarcohort.cohort._parts import cohort_in_parts

        base = Path(base_dir) if base_dir is not None else self.path.parent
        t = self.analysis.treatments
        analysed: dict[int, int] = {}  # patients per part (by its first row: a part checked
        # again in the whole tables' rule order is counted once)

        def course(part: Cohort) -> tuple[CourseRows, np.ndarray] | None:
            if not t.show:
                return None
            rows_of_part = part.patients["source_row"].to_numpy()
            analysed[int(rows_of_part[0]) if len(rows_of_part) else -1] = len(rows_of_part)
            # swimmer lanes while the cohort may need them
            lanes = self.analysis.unit_days if sum(analysed.values()) <= t.swimmer_max else None
            rows = course_rows(part.patients, part.treatments, regimen_labels=t.regimen_labels,
                               lanes_unit_days=lanes, positions=True)
            return (dataclasses.replace(rows, lines=narrowed(rows.lines)),
                    rows_of_part.copy())  # not a view of the part

        cohort, parts = cohort_in_parts(self.cohort_config, base, keep=self.analysed_columns(),
                                        needed=self.needed_columns(), each=course,
                                        treatments=False, on_part=on_part,
                                        parts_from=parts_from)
        made = [p for p in parts if p is not None]
        rows = joined_rows([r for r, _ in made], [o for _, o in made]) if made else None
        return cohort, rows

    def load(self, base_dir: str | Path | None = None) -> Cohort:
        """Ingest, validate and derive the cohort (files relative to the protocol)."""
        base = Path(base_dir) if base_dir is not None else self.path.parent
        return build_cohort(self.cohort_config, base, needed=self.needed_columns())

    def analyze(self, cohort: Cohort, *, progress: Callable[[str], None] | None = None,
                engine: Any = None, release_treatments: bool = False,
                course: CourseRows | None = None, workers: int | None = None) -> Results:
        """Run the protocol's analyses on a cohort; returns :class:`~sarcohort.analysis.Results`.

        ``engine``: a SQL engine of :mod:`sarcohort.engines` for the Kaplan-Meier curves and
        log-rank tests (see :func:`sarcohort.analysis._runner.run_analysis`), or None.
        ``release_treatments``: the cohort's treatment rows are emptied once the treatment
        course is built (memory at registry scale; for a cohort analysed once).
        ``course``: the treatment course's rows when the cohort holds no treatment row
        (:meth:`load_in_parts`).
        ``workers``: how many processes run the analyses at once (None: as the cores and
        the cohort's size allow; see :func:`~sarcohort.analysis._runner.analysis_workers`).
        """
        from sarcohort.analysis._runner import run_analysis

        return run_analysis(self, cohort, progress=progress, engine=engine,
                            release_treatments=release_treatments, course=course, workers=workers)
