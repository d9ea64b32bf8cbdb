"""Mapping a user's column names to the template's (``[data.mapping]`` of the protocol)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sarcohort.data._schema import Table
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._problems import Problem

_ALIASES = {
    "met_sites___lung": "met_lung",
    "met_sites___bone": "met_bone",
    "met_sites___other": "met_other",
}


@dataclass(frozen=True, eq=False)
class MappedTable:
    """A raw table whose template columns carry their template names.

    Attributes
    ----------
    raw
        The table, columns renamed to template names where they map.
    source_names
        Template (or unknown) column name -> the name written in the file (for problems).
    problems
        Mapping problems (two columns mapped to one template column).
    """

    raw: RawTable
    source_names: dict[str, str]
    problems: tuple[Problem, ...]


def _key(name: str) -> str:
    return " ".join(str(name).strip().lower().split())


def _loose(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def closest_name(name: str, candidates: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The candidate that ``name`` is probably a misspelling of (``progession_date`` ->
    ``progression_date``), compared ignoring case, spaces and punctuation; None when none
    is close enough.

    >>> closest_name("Progession date", ["progression_date", "death_date"])
    'progression_date'
    >>> closest_name("grade", ["progression_date", "death_date"]) is None
    True
    """
    loose = {_loose(c): c for c in candidates}
    key = _loose(name)
    if not key:
        return None
    if key in loose:
        return loose[key]
    hits = difflib.get_close_matches(key, list(loose), n=1, cutoff=cutoff)
    return loose[hits[0]] if hits else None


def map_columns(raw: RawTable, table: Table, mapping: Mapping[str, str] | None = None,
                ) -> MappedTable:
    """Rename the columns of ``raw`` to ``table``'s template names.

    A column is renamed when the protocol maps it (matching ignores case and
    repeated spaces), when it is a template checkbox column of REDCap
    (``met_sites___lung``), or when its name is a template name written with
    other case. Columns mapped to the other table's names are left as they are.
    """
    user = {_key(k): v for k, v in (mapping or {}).items()}
    canonical = {_key(n): n for n in table.names}
    renames: dict[str, str] = {}
    problems: list[Problem] = []
    taken: dict[str, str] = {}
    for col in raw.frame.columns:
        k = _key(col)
        target = user.get(k) or _ALIASES.get(k) or canonical.get(k)
        if target is None or target not in table.names:
            continue
        if target in taken:
            problems.append(Problem(
                raw.file, raw.sheet, None, col, "", "column.duplicate", "error",
                f"both {taken[target]!r} and {col!r} give the template column {target!r}: "
                "remove one or change [data.mapping] in the protocol"))
            continue
        taken[target] = col
        renames[col] = target
    # new names, the same column arrays (nothing writes into them): no copy of the table
    frame = raw.frame.rename(columns=renames, copy=False) if renames else raw.frame
    # columns whose new name collides with an unmapped column keep the mapped one
    source: dict[str, str] = {}
    for c in raw.frame.columns:
        source.setdefault(renames.get(c, c), c)
    if frame.columns.duplicated().any():
        frame = frame.loc[:, ~frame.columns.duplicated(keep="first")]
    return MappedTable(raw.with_(frame=frame), source, tuple(problems))
