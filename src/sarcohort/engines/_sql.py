"""The SQL of the statistics, written once and run by DuckDB and by Spark SQL.

Every statement is plain ANSI SQL that both dialects read alike (``CAST``, ``CASE``,
``exp``, ``isnan``, ``sum``, ``count``, ``GROUP BY``); the one difference, how an
identifier is quoted, is the :class:`Dialect`. Numbers are written in ``%.17e`` form, a
double literal in both dialects that reads back to the same float.

The plan of a survival statistic:

1. :func:`survival_view` -- the analysed rows: time, event (0/1), entry, the key columns,
   rows with a missing value left out (R's ``na.omit``);
2. :func:`survival_summary` -- one pass of checks and counts (rows read, analysed, the
   smallest time, entries not before their exit, event codes);
3. :func:`exit_counts` / :func:`entry_counts` -- records and events per (keys, exact time);
4. for Cox, :func:`cox_view` (centered covariates) and one :func:`cox_cell_sums` per Newton
   iteration: the ``exp(x'b)``-weighted sums per (stratum, exact time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """How a dialect quotes an identifier (the only difference the plan needs)."""

    name: str
    quote_char: str

    def q(self, name: str) -> str:
        """``name`` as a quoted identifier."""
        c = self.quote_char
        return c + str(name).replace(c, c + c) + c


DUCKDB = Dialect("duckdb", '"')
SPARK = Dialect("spark", "`")


def literal(x: float) -> str:
    """A double literal that reads back to exactly ``x`` in DuckDB and Spark SQL."""
    return f"{float(x):.17e}"


def _not_missing(d: Dialect, name: str, numeric: bool) -> str:
    col = d.q(name)
    if numeric:
        return f"({col} IS NOT NULL AND NOT isnan(CAST({col} AS DOUBLE)))"
    return f"({col} IS NOT NULL)"


def survival_view(d: Dialect, source: str, *, time: str, event: str, entry: str | None,
                  keys: Sequence[str], numeric: dict[str, bool],
                  covariates: Sequence[str] = ()) -> str:
    """SELECT of the analysed rows: ``t``, ``e_raw``, (``en``), ``k0..``, (``x0..``)."""
    cols = [f"CAST({d.q(time)} AS DOUBLE) AS t", f"CAST({d.q(event)} AS DOUBLE) AS e_raw"]
    used = [time, event]
    if entry is not None:
        cols.append(f"CAST({d.q(entry)} AS DOUBLE) AS en")
        used.append(entry)
    for i, k in enumerate(keys):
        cols.append(f"{d.q(k)} AS k{i}")
        used.append(k)
    for j, x in enumerate(covariates):
        cols.append(f"CAST({d.q(x)} AS DOUBLE) AS x{j}")
        used.append(x)
    where = " AND ".join(_not_missing(d, c, numeric.get(c, False)) for c in dict.fromkeys(used))
    return f"SELECT {', '.join(cols)} FROM {source} WHERE {where}"


def survival_summary(source: str, view: str, *, has_entry: bool) -> str:
    """Rows read and analysed, smallest time, entries not before exit (one pass each)."""
    bad_entry = "sum(CASE WHEN en >= t THEN 1 ELSE 0 END)" if has_entry else "0"
    return (f"SELECT (SELECT count(*) FROM {source}) AS n_read, count(*) AS n, min(t) AS min_t, "
            f"max(t) AS max_t, {bad_entry} AS bad_entry, "
            f"sum(CASE WHEN abs(t) = CAST('Infinity' AS DOUBLE) THEN 1 ELSE 0 END) AS bad_time "
            f"FROM {view}")


def event_values(view: str) -> str:
    """The distinct event codes (at most a few)."""
    return f"SELECT DISTINCT e_raw FROM {view} LIMIT 4"


def _event_expr(coding: str) -> str:
    return "(CASE WHEN e_raw = 2 THEN 1.0 ELSE 0.0 END)" if coding == "r" else "e_raw"


def exit_counts(view: str, n_keys: int, coding: str) -> str:
    """Records and events per (keys, exact exit time)."""
    keys = "".join(f"k{i}, " for i in range(n_keys))
    return (f"SELECT {keys}t, count(*) AS n, sum({_event_expr(coding)}) AS d FROM {view} "
            f"GROUP BY {keys}t")


def entry_counts(view: str, n_keys: int) -> str:
    """Records per (keys, exact entry time)."""
    keys = "".join(f"k{i}, " for i in range(n_keys))
    return f"SELECT {keys}en, count(*) AS n FROM {view} GROUP BY {keys}en"


def cox_moments(view: str, p: int, coding: str) -> str:
    """Rows, events, means, ranges and event sums of the covariates (centering, checks)."""
    e = _event_expr(coding)
    parts = ["count(*) AS n", f"sum({e}) AS d"]
    for j in range(p):
        parts += [f"avg(x{j}) AS m{j}", f"min(x{j}) AS lo{j}", f"max(x{j}) AS hi{j}",
                  f"sum({e} * x{j}) AS xd{j}"]
    return f"SELECT {', '.join(parts)} FROM {view}"


def cox_view(view: str, n_keys: int, p: int, means: Sequence[float], coding: str,
             has_entry: bool) -> str:
    """The Cox rows: keys, ``t``, ``e`` (0/1), ``en``, covariates centered at ``means``."""
    cols = [f"k{i}" for i in range(n_keys)] + ["t", f"{_event_expr(coding)} AS e"]
    if has_entry:
        cols.append("en")
    cols += [f"x{j} - {literal(means[j])} AS x{j}" for j in range(p)]
    return f"SELECT {', '.join(cols)} FROM {view}"


def _weighted(view: str, p: int, beta: Sequence[float]) -> str:
    lin = " + ".join(f"{literal(b)} * x{j}" for j, b in enumerate(beta)) or "0.0"
    return f"(SELECT *, exp({lin}) AS w FROM {view})"


def _moment_sums(p: int, prefix: str, weight: str) -> list[str]:
    out = [f"sum({weight}) AS {prefix}0"]
    out += [f"sum({weight} * x{j}) AS {prefix}1_{j}" for j in range(p)]
    out += [f"sum({weight} * x{i} * x{j}) AS {prefix}2_{i}_{j}" for i in range(p) for j in range(i, p)]
    return out


def cox_cell_sums(view: str, n_keys: int, p: int, beta: Sequence[float]) -> str:
    """Per (keys, exit time): sums of w, w x, w x x' over all exits and over the events."""
    keys = "".join(f"k{i}, " for i in range(n_keys))
    cols = _moment_sums(p, "s", "w") + _moment_sums(p, "d", "e * w") + ["sum(e) AS nd"]
    return f"SELECT {keys}t, {', '.join(cols)} FROM {_weighted(view, p, beta)} GROUP BY {keys}t"


def cox_entry_sums(view: str, n_keys: int, p: int, beta: Sequence[float]) -> str:
    """Per (keys, entry time): sums of w, w x, w x x' over the records entering then."""
    keys = "".join(f"k{i}, " for i in range(n_keys))
    cols = _moment_sums(p, "s", "w")
    return f"SELECT {keys}en, {', '.join(cols)} FROM {_weighted(view, p, beta)} GROUP BY {keys}en"
