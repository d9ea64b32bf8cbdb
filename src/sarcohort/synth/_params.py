"""Published figures and generator assumptions, read from ``data/published.toml``.

The TOML file is the single source of truth: ``[published.*]`` holds what the
abstract of the reference study publishes, ``[assumptions.*]`` what the
generator needs beyond it. :class:`SynthParameters` is the typed view of both
that the generator uses, with counts already scaled to the requested ``n``.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Location of the data file (shipped as package data).
PUBLISHED_PATH = Path(__file__).resolve().parent / "data" / "published.toml"

#: Size of the published cohort; counts are given for it and scaled for other n.
N_PUBLISHED = 120


@functools.lru_cache(maxsize=1)
def _load_cached() -> dict[str, Any]:
    with PUBLISHED_PATH.open("rb") as fh:
        return tomllib.load(fh)


def load_published() -> dict[str, Any]:
    """Return the published figures of the reference study and the assumptions.

    Returns
    -------
    dict
        ``{"source": {...}, "published": {...}, "assumptions": {...}}`` exactly as
        in ``sarcohort/synth/data/published.toml`` (a fresh deep copy: callers may
        modify it). ``published`` holds only figures of the abstract, each with
        its value, unit and (for medians) 95% CI; ``assumptions`` holds every
        choice of the synthetic generator that the abstract does not give.
    """
    import copy

    return copy.deepcopy(_load_cached())


def largest_remainder(counts: list[float] | np.ndarray, total: int) -> np.ndarray:
    """Integer allocation of ``total`` in proportion to ``counts`` (Hamilton's method).

    Ties in the remainders go to the earlier entry, so the result is
    deterministic; when ``counts`` already sum to ``total`` they are returned as is.
    """
    w = np.asarray(counts, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(w.size, dtype=np.int64)
    exact = w * (total / w.sum())
    base = np.floor(exact + 1e-9).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:rest]] += 1
    return base


def _scale(count: float, n: int) -> int:
    """Nearest integer to ``count * n / 120`` (halves rounded up)."""
    return int(np.floor(count * n / N_PUBLISHED + 0.5 + 1e-9))


@dataclass(frozen=True)
class SynthParameters:
    """Everything the generator needs for a cohort of ``n`` patients.

    Counts (``n_*``) are exact for ``n = 120`` and scaled for other ``n``;
    the rest are the assumptions of ``published.toml``.
    """

    n: int
    centres: int
    n_synchronous: int
    n_male: int
    site_patterns: dict[str, int]
    n_more_than_5: int
    n_no_systemic: int
    n_trial: int
    n_local: int
    local_kinds: dict[str, int]
    raw: dict[str, Any]
    #: Patients per centre (default: ``n`` shared by the ``[centre_sizes]`` rule).
    centre_sizes: tuple[int, ...] | None = None
    #: Digits of the patient number (default: from the largest centre).
    id_width: int | None = None
    #: Patient numbers are ``id_offset`` modulo ``id_stride`` (unique across the blocks
    #: of a cohort generated in blocks; 1 and 0 for a cohort in one block).
    id_stride: int = 1
    id_offset: int = 0
    #: Sum of the age day counts and of the metachronous delays (default: the published
    #: means times the counts, rounded); a block of a larger cohort gets its share.
    age_total_days: int | None = None
    ttm_total_days: int | None = None

    def sizes_of_centres(self) -> np.ndarray:
        """Patients per centre (1..centres)."""
        if self.centre_sizes is not None:
            return np.asarray(self.centre_sizes, dtype=np.int64)
        expo = float(self.a["centre_sizes"]["value"])
        return largest_remainder(np.arange(1, self.centres + 1, dtype=float) ** -expo, self.n)

    def width_of_ids(self) -> int:
        """Digits of the patient number: at least 4, room for ten times the largest centre."""
        if self.id_width is not None:
            return self.id_width
        return max(4, len(str(int(self.sizes_of_centres().max()) * 10)))

    @property
    def a(self) -> dict[str, Any]:
        """The ``[assumptions]`` table."""
        return self.raw["assumptions"]

    @property
    def p(self) -> dict[str, Any]:
        """The ``[published]`` table."""
        return self.raw["published"]


def parameters(n: int, centres: int) -> SynthParameters:
    """Scale the published and assumed counts to a cohort of ``n`` patients."""
    raw = _load_cached()
    pub, asm = raw["published"], raw["assumptions"]
    timing = largest_remainder([pub["synchronous"]["value"], pub["metachronous"]["value"]], n)
    sex = largest_remainder([pub["male"]["value"], pub["female"]["value"]], n)
    pat_names = ["lung_only", "bone_only", "other_only", "lung_bone", "lung_other", "bone_other"]
    pats = largest_remainder([asm["site_patterns"][k] for k in pat_names], n)
    n_sync = int(timing[0])
    n_local = min(_scale(pub["local_treatment"]["value"], n), n)
    kinds = ["surgery", "radiotherapy", "ablation"]
    kind_counts = largest_remainder([asm["local_treatment_kinds"][k] for k in kinds], n_local)
    n_no_sys = min(_scale(pub["no_systemic_treatment"]["value"], n), n - n_sync)
    n_trial = min(_scale(pub["in_trial"]["value"], n), n - n_no_sys)
    return SynthParameters(
        n=n,
        centres=centres,
        n_synchronous=n_sync,
        n_male=int(sex[0]),
        site_patterns=dict(zip(pat_names, (int(x) for x in pats), strict=True)),
        n_more_than_5=min(_scale(asm["more_than_5"]["value"], n), n),
        n_no_systemic=n_no_sys,
        n_trial=n_trial,
        n_local=n_local,
        local_kinds=dict(zip(kinds, (int(x) for x in kind_counts), strict=True)),
        raw=raw,
    )
