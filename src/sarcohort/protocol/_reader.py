"""The one reader of ``study.toml``: bytes -> TOML -> checked, typed, frozen specs.

Every value is checked against the option table
(:mod:`sarcohort.protocol._options`): unknown keys, wrong types, values outside
the allowed ones and bounds raise :class:`~sarcohort.exceptions.ProtocolError`
naming the key's full path (``analysis.median_ci``), the value and a fix.
Absent keys take the table's default. A file saved with a UTF-8 byte-order
mark (as some Windows editors do) reads like one without.

The few rules that involve other keys or other modules (a column of the
template, a date pattern, an expression, the endpoints of the multivariable
models) are the functions named in ``_RULES``, ``_ENTRY_RULES`` and ``_AFTER``.

Examples
--------
>>> p = parse_protocol({"analysis": {"ties": "exact", "factors": ["x"]}})
>>> p.analysis.ties, p.analysis.conf_type, p.analysis.multivariable.covariates["os"]
('exact', 'log-log', ('x',))
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import keyword
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sarcohort.data._schema import PATIENTS, TREATMENTS, is_identifier_name
from sarcohort.data.readers._mapping import closest_name
from sarcohort.exceptions import InputError, ProtocolError
from sarcohort.protocol._options import COHORT_SECTIONS, PROTOCOL, Option, Section
from sarcohort.protocol._spec import (
    DEFAULT_EXPOSURE_TIME,
    DERIVED_COLUMNS,
    SPECS,
    AnalysisSpec,
    CohortConfig,
    CompetingSpec,
    DataConfig,
    EndpointsConfig,
    InclusionConfig,
    MultivariableSpec,
    Protocol,
    ReportSpec,
)
from sarcohort.stats import expressions

_CANONICAL = set(PATIENTS.names) | set(TREATMENTS.names)


def _err(path: str, message: str, value: Any = None, fix: str | None = None) -> ProtocolError:
    return ProtocolError(message, argument=path, value=value, fix=fix)


# --------------------------------------------------------------------------------------
# bytes -> document
# --------------------------------------------------------------------------------------
def read_document(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """The parsed TOML of a protocol file and its bytes.

    A UTF-8 byte-order mark is skipped.

    Raises
    ------
    ProtocolError
        The file cannot be read, is not UTF-8 or is not valid TOML.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProtocolError(f"cannot read the protocol file ({exc.strerror})", argument=str(path),
                            fix="check the path") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not a valid TOML file: not UTF-8 text ({exc.reason} at byte "
                            f"{exc.start})", argument=str(path),
                            fix="save the file as UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"not a valid TOML file: {exc}", argument=str(path),
                            fix="fix the syntax at the position shown") from None
    return doc, raw


# --------------------------------------------------------------------------------------
# generic checks, driven by the option table
# --------------------------------------------------------------------------------------
def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _bounded(o: Option, v: float, path: str) -> None:
    if not math.isfinite(v):
        raise _err(path, "must be a finite number", v)
    bad = ((o.above is not None and not v > o.above) or (o.at_least is not None and v < o.at_least)
           or (o.below is not None and not v < o.below) or (o.at_most is not None and v > o.at_most))
    if bad:
        raise _err(path, f"must be {o.bounds_text()}", v)


def _names(o: Option, v: Any, path: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise _err(path, "must be a list of names (strings)", v, fix='e.g. ["sex", "age"]')
    if len(set(v)) != len(v):
        raise _err(path, "lists a name twice", v)
    for i, x in enumerate(v):
        if o.choices and x not in o.choices:
            raise _err(f"{path}[{i}]", "unknown value", x, fix=f"use one of: {', '.join(o.choices)}")
    return tuple(v)


def check_value(o: Option, v: Any, path: str) -> Any:
    """``v`` checked against option ``o`` and converted to its Python type.

    Raises
    ------
    ProtocolError
        Naming ``path``, the value and a fix.
    """
    kind = o.kind
    if kind == "text":
        if o.accept_number and _is_number(v):
            v = str(v)
        if not isinstance(v, str) or not v.strip():
            raise _err(path, "must be a non-empty text", v)
        return v.strip()
    if kind == "choice":
        if not isinstance(v, str) or v not in o.choices:
            raise _err(path, "unknown value", v, fix=f"use one of: {', '.join(o.choices)}")
        return v
    if kind == "number":
        if not _is_number(v):
            raise _err(path, "must be a number", v)
        _bounded(o, float(v), path)
        return float(v)
    if kind == "integer":
        if isinstance(v, bool) or not isinstance(v, int):
            raise _err(path, "must be a whole number" + (f" ({o.bounds_text()})"
                                                         if o.bounds_text() else ""), v)
        _bounded(o, v, path)
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise _err(path, "must be true or false", v)
        return v
    if kind == "date":
        if isinstance(v, _dt.datetime):
            return v.date()
        if isinstance(v, _dt.date):
            return v
        if isinstance(v, str):
            try:
                return _dt.date.fromisoformat(v.strip())
            except ValueError:
                pass
        raise _err(path, "must be a date written YYYY-MM-DD", v)
    if kind == "names":
        return _names(o, v, path)
    if kind == "numbers":
        if not isinstance(v, list) or not all(_is_number(x) and math.isfinite(x) and x > 0
                                               for x in v):
            raise _err(path, "must be a list of positive numbers", v, fix="e.g. [12, 24]")
        return tuple(sorted(float(x) for x in v))
    # "table": the option's own rule reads it
    rule = _RULES.get(path)
    if rule is None:
        raise AssertionError(f"option {path} of kind 'table' has no rule in _RULES")
    return rule(v, path)


def _table(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _err(path, "must be a table", v,
                   fix=f"write it as [{path}] with keys below it" if path else None)
    return v


def _unknown(key: str, s: Section, path: str) -> ProtocolError:
    where = f"{path}.{key}" if path else key
    allowed = ", ".join(s.keys())
    return _err(where, "unknown key", fix=(f"allowed keys in [{path}]: {allowed}" if path
                                           else f"allowed sections: {allowed}"))


def _read(v: Any, s: Section, path: str) -> Any:
    """One section: its dataclass, or a plain mapping for a section of entries only."""
    t = _table(v, path)
    known = set(s.keys())
    if s.entries is None:
        for key in t:
            if key not in known:
                raise _unknown(key, s, path)
    values: dict[str, Any] = {}
    for o in s.options:
        p = f"{path}.{o.key}" if path else o.key
        if o.key in t:
            value = check_value(o, t[o.key], p)
            rule = _RULES.get(p) if o.kind != "table" else None
            values[o.key] = rule(value, p) if rule else value
        else:
            values[o.key] = o.default
    for sub in s.sections:
        p = f"{path}.{sub.name}" if path else sub.name
        values[sub.name] = _read(t.get(sub.name, {}), sub, p)
    if s.entries is not None:
        entry_rule = _ENTRY_RULES.get(path)
        entries = {}
        for key, raw in t.items():
            if key in known:
                continue
            p = f"{path}.{key}"
            value = check_value(s.entries, raw, p) if s.entries.kind != "table" else raw
            entries[str(key).strip()] = entry_rule(str(key), value, p) if entry_rule else value
        if not s.options and not s.sections:
            return entries
        values[s.entries.key] = entries
    cls = SPECS.get(path)
    if cls is None:
        return values
    spec = cls(**values)
    after = _AFTER.get(path)
    return after(spec, t) if after else spec


# --------------------------------------------------------------------------------------
# the rules that need more than the table
# --------------------------------------------------------------------------------------
def _date_format(fmt: str, path: str) -> str:
    if fmt in ("iso", "dayfirst", "monthfirst"):
        return fmt
    if "%" not in fmt:
        raise _err(path, "unknown date format", fmt,
                   fix='use "iso", "dayfirst", "monthfirst" or a pattern like "%d/%m/%Y"')
    try:
        _dt.datetime.strptime(_dt.date(2015, 3, 14).strftime(fmt), fmt)
    except ValueError:
        raise _err(path, "this date pattern cannot read back the dates it writes", fmt,
                   fix='use a pattern like "%d/%m/%Y"') from None
    return fmt


def _time_dependent(v: Any, path: str) -> dict[str, str]:
    """``[exposure, ...]`` (default time columns) or ``{exposure = "time column"}``."""
    if isinstance(v, list):
        names = _names(Option("time_dependent", "names"), v, path)
        return {n: DEFAULT_EXPOSURE_TIME.get(n, f"{n}_days") for n in names}
    t = _table(v, path)
    text = Option("time_dependent", "text")
    return {k: check_value(text, c, f"{path}.{k}") for k, c in t.items()}


def _mapping_target(key: str, v: str, path: str) -> str:
    if v not in _CANONICAL:
        raise _err(path, "is not a template column", v, fix=f"map to one of {sorted(_CANONICAL)}")
    return v


def _codes_table(col: str, table: Any, path: str) -> dict[str, str]:
    spec = next((t.column(col) for t in (PATIENTS, TREATMENTS) if col in t), None)
    if spec is not None and spec.type not in ("code", "text"):
        raise _err(path, "not a template column with codes", col,
                   fix="use a template column name such as sex, met_lung, kind, or a "
                       "column of your own")
    near = closest_name(col, [c.name for t in (PATIENTS, TREATMENTS) for c in t.columns
                              if c.type == "code"]) if spec is None else None
    if near is not None:
        raise _err(path, f"not a template column with codes: did you mean {near!r}? (codes "
                   "are given per template column, after [data.mapping])", col,
                   fix=f"write [data.codes.{near}]")
    if spec is None and is_identifier_name(col):
        raise _err(path, "this column identifies a patient (an id, a name, a birth date or "
                   "free comments): it cannot be declared coded", col,
                   fix="analyse a template column or a coded column of your own instead")
    if not isinstance(table, Mapping):
        raise _err(path, "must be a table of 'your code' = 'template code'", table)
    inner: dict[str, str] = {}
    for k, v in table.items():
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise _err(f"{path}.{k}", "must be a template code (text)", v)
        v = str(v)
        if spec is not None and spec.type == "code" and v not in spec.codes:
            raise _err(f"{path}.{k}", "is not an allowed code", v,
                       fix=f"use one of {list(spec.codes)}")
        inner[str(k).strip().lower()] = v
    return inner


def _derived_expression(name: str, expr: str, path: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise _err(path, "a derived covariate name must be letters, digits and _", name)
    if name in _CANONICAL or name in DERIVED_COLUMNS:
        raise _err(path, "this name is already a cohort column", name, fix="choose another name")
    try:
        expressions.validate(expr)
        used = expressions.names(expr)
    except InputError as exc:
        raise _err(path, f"invalid expression: {exc}",
                   fix="see the expression grammar in the documentation") from None
    dunder = sorted(u for u in used if any(
        part.startswith("__") and part.endswith("__") for part in u.split(".")))
    if dunder:  # no column is called __x__; refuse anything that looks like a probe
        raise _err(path, f"names like __x__ are not allowed: {dunder}", expr)
    return expr


def _inclusion(c: InclusionConfig, raw: Mapping[str, Any]) -> InclusionConfig:
    if c.age_min is not None and c.age_max is not None and c.age_max < c.age_min:
        raise _err("inclusion.age_max", "is below age_min", c.age_max)
    if c.metastasis_from and c.metastasis_to and c.metastasis_to < c.metastasis_from:
        raise _err("inclusion.metastasis_to", "is before metastasis_from", str(c.metastasis_to))
    return c


def _analysis(a: AnalysisSpec, raw: Mapping[str, Any]) -> AnalysisSpec:
    p = "analysis"
    if not a.endpoints:
        raise _err(f"{p}.endpoints", "names no endpoint", fix='e.g. endpoints = ["os", "pfs"]')
    mv = a.multivariable
    if "multivariable" not in raw:
        mv = MultivariableSpec(covariates={e: a.factors for e in a.endpoints})
    else:
        for e in mv.covariates:
            if e not in a.endpoints:
                raise _err(f"{p}.multivariable.{e}", "unknown key", fix=(
                    "allowed keys in [analysis.multivariable]: selection, p_threshold and the "
                    f"endpoints ({', '.join(a.endpoints)})"))
        if mv.selection == "explicit":
            for e in a.endpoints:
                if e not in mv.covariates:
                    raise _err(f"{p}.multivariable.{e}", "no covariate list for this endpoint",
                               fix=f'add {e} = ["factor", ...] or selection = "univariable"')
        mv = replace(mv, covariates={e: mv.covariates[e] for e in a.endpoints
                                     if e in mv.covariates})
    for e, covs in mv.covariates.items():
        if not covs:
            raise _err(f"{p}.multivariable.{e}", "the covariate list is empty")
    return replace(a, multivariable=mv,
                   time_dependent=dict(a.time_dependent or {}))


def _competing(c: CompetingSpec, raw: Mapping[str, Any]) -> CompetingSpec:
    p = "analysis.competing"
    if c.event is None:
        if c.competing is not None or c.factors:
            raise _err(f"{p}.event", "is not set, so the other keys of the section do nothing",
                       fix='set event = "progression" (or "death")')
        return c
    other = "death" if c.event == "progression" else "progression"
    if c.competing is None:
        return replace(c, competing=other)
    if c.competing == c.event:
        raise _err(f"{p}.competing", "is the event of interest itself", c.competing,
                   fix=f'competing = "{other}"')
    return c


#: Rules of single options, run after the generic check (for kind "table": instead of it).
_RULES: dict[str, Callable[[Any, str], Any]] = {
    "data.date_format": _date_format,
    "analysis.time_dependent": _time_dependent,
}
#: Rules of each entry of a section of entries: (key, value, path) -> value.
_ENTRY_RULES: dict[str, Callable[[str, Any, str], Any]] = {
    "data.mapping": _mapping_target,
    "data.codes": _codes_table,
    "derived": _derived_expression,
}
#: Rules of a whole section, once its dataclass is built: (spec, raw table) -> spec.
_AFTER: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "inclusion": _inclusion,
    "analysis": _analysis,
    "analysis.competing": _competing,
}


# --------------------------------------------------------------------------------------
# document -> specs
# --------------------------------------------------------------------------------------
def _section(name: str) -> Section:
    return next(s for s in PROTOCOL.sections if s.name == name)


def _check_top(doc: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    t = _table(doc, "")
    for key in t:
        if key not in allowed:
            raise _unknown(key, PROTOCOL, "")
    return t


def _cohort(doc: Mapping[str, Any], path: str) -> CohortConfig:
    sections = {k: doc[k] for k in COHORT_SECTIONS if k in doc}
    digest = hashlib.sha256(json.dumps(sections, sort_keys=True, default=str).encode()).hexdigest()
    data: DataConfig = _read(doc.get("data", {}), _section("data"), "data")
    inclusion: InclusionConfig = _read(doc.get("inclusion", {}), _section("inclusion"), "inclusion")
    endpoints: EndpointsConfig = _read(doc.get("endpoints", {}), _section("endpoints"), "endpoints")
    derived: dict[str, str] = _read(doc.get("derived", {}), _section("derived"), "derived")
    return CohortConfig(data=data, inclusion=inclusion, endpoints=endpoints,
                        derived=tuple(derived.items()), path=path, source_hash=digest)


def parse_cohort(doc: Mapping[str, Any], path: str | Path = "") -> CohortConfig:
    """The cohort sections (``[data]``, ``[inclusion]``, ``[endpoints]``, ``[derived]``)
    of a parsed protocol; other sections are ignored.

    Raises
    ------
    ProtocolError
        For an unknown key or a wrong value, naming the key path.
    """
    t = _table(doc, "protocol")
    return _cohort(t, str(path) if str(path) else "")


def parse_protocol(doc: Mapping[str, Any], path: str | Path = "study.toml", *,
                   protocol_hash: str | None = None) -> Protocol:
    """Check a whole parsed protocol (a dict as TOML gives) and build its specs.

    Raises
    ------
    ProtocolError
        For an unknown section or key or a wrong value, naming the key path.
    """
    t = _check_top(doc, PROTOCOL.keys())
    if protocol_hash is None:
        protocol_hash = hashlib.sha256(
            json.dumps(t, sort_keys=True, default=str).encode()).hexdigest()
    study: dict[str, Any] = _read(t.get("study", {}), _section("study"), "study")
    analysis: AnalysisSpec = _read(t.get("analysis", {}), _section("analysis"), "analysis")
    report: ReportSpec = _read(t.get("report", {}), _section("report"), "report")
    return Protocol(path=Path(path), title=study["title"], version=study["version"],
                    description=study["description"] or "", analysis=analysis, report=report,
                    cohort_config=_cohort(t, str(path)), protocol_hash=protocol_hash)


def read_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol file (``study.toml``).

    Raises
    ------
    ProtocolError
        The file cannot be read or is not valid TOML, or a key is wrong (naming its path).
    """
    doc, raw = read_document(path)
    return parse_protocol(doc, path, protocol_hash=hashlib.sha256(raw).hexdigest())


def read_cohort_config(path: str | Path) -> CohortConfig:
    """Read the cohort sections of a protocol file (``sarcohort validate --protocol``).

    The same reader as :func:`read_protocol` (bytes, byte-order mark, TOML); the
    other sections are not checked.

    Raises
    ------
    ProtocolError
        The file cannot be read or is not valid TOML, or a cohort key is wrong.
    """
    doc, _ = read_document(path)
    return parse_cohort(doc, str(path))
