"""The patient flow: rows read, excluded per reason, analysed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

@dataclass(frozen=True)
class FlowStep:
    """One exclusion: its reason, how many rows it excluded and how many remain."""

    reason: str
    n_excluded: int
    n_remaining: int


@dataclass(frozen=True)
class PatientFlow:
    """Rows read -> excluded with reason and count -> analysed.

    Each patient row is counted once, in the first step that excludes it, so
    ``n_read - sum(excluded) == n_analysed`` always holds (checked on creation).
    """

    n_read: int
    steps: tuple[FlowStep, ...]
    n_analysed: int

    def __post_init__(self) -> None:
        total = sum(s.n_excluded for s in self.steps)
        if self.n_read - total != self.n_analysed:
            raise ValueError(f"patient flow does not add up: {self.n_read} read, {total} "
                             f"excluded, {self.n_analysed} analysed")

    @classmethod
    def from_exclusions(cls, n_read: int, exclusions: list[tuple[str, int]]) -> PatientFlow:
        """Build from ``(reason, n_excluded)`` pairs in order."""
        remaining = n_read
        steps = []
        for reason, n in exclusions:
            remaining -= n
            steps.append(FlowStep(reason, int(n), int(remaining)))
        return cls(int(n_read), tuple(steps), int(remaining))

    @property
    def excluded(self) -> dict[str, int]:
        """Number excluded per reason."""
        return {s.reason: s.n_excluded for s in self.steps}

    @property
    def n_excluded(self) -> int:
        """Total excluded."""
        return sum(s.n_excluded for s in self.steps)

    def to_frame(self) -> pd.DataFrame:
        """One row for the rows read, one per exclusion, one for the analysed patients."""
        import pandas as pd

        rows: list[dict[str, Any]] = [{"step": "read", "reason": "patient rows read",
                                       "n": self.n_read, "remaining": self.n_read}]
        rows += [{"step": "excluded", "reason": s.reason, "n": s.n_excluded,
                  "remaining": s.n_remaining} for s in self.steps]
        rows.append({"step": "analysed", "reason": "patients analysed", "n": self.n_analysed,
                     "remaining": self.n_analysed})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for the manifest and results.json."""
        return {"n_read": self.n_read, "n_analysed": self.n_analysed,
                "excluded": [{"reason": s.reason, "n": s.n_excluded, "remaining": s.n_remaining}
                             for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PatientFlow:
        """Inverse of :meth:`to_dict`."""
        return cls(int(d["n_read"]), tuple(FlowStep(s["reason"], int(s["n"]), int(s["remaining"]))
                                           for s in d["excluded"]), int(d["n_analysed"]))
