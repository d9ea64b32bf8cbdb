"""The cohort sections of a protocol (``study.toml``): ``[data]``, ``[inclusion]``,
``[endpoints]`` and ``[derived]``.

Example
-------
.. code-block:: toml

    [data]
    patients = "export.xlsx"          # CSV, XLSX, Parquet or a REDCap records export
    patients_sheet = "patients"       # XLSX only (default: "patients", else the first sheet)
    treatments = "export.xlsx"        # optional; may be the same workbook
    treatments_sheet = "treatments"
    date_format = "dayfirst"          # "iso" | "dayfirst" | "monthfirst" | "%d/%m/%Y" ...
    redcap_dictionary = "dict.csv"    # set when `patients` is a REDCap records export

    [data.mapping]                    # your column -> template column
    sexe = "sex"
    "date de naissance" = "birth_date"

    [data.codes.sex]                  # your code -> template code, per template column
    Homme = "M"
    Femme = "F"

    [inclusion]
    age_min = 18                      # years at first metastasis (default 18)
    age_max = 80                      # optional
    metastasis_from = 2009-01-01      # optional inclusion window of the first metastasis
    metastasis_to = 2018-12-31

    [endpoints]
    synchronous_window_days = 90      # first metastasis within this many days of diagnosis
    cutoff_date = 2020-06-30          # optional data cut-off: later events are censored

    [derived]
    more_than_5_metastases = "n_metastases > 5"
    early_metastasis = "months_to_metastasis < 24"

Paths in ``[data]`` are relative to the protocol file. Unknown keys and wrong
types raise :class:`~sarcohort.exceptions.ProtocolError` naming the key path.
Other top-level sections belong to the study and are ignored here.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import keyword
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarcohort.data.schema import PATIENTS, TREATMENTS
from sarcohort.exceptions import ProtocolError

__all__ = [
    "CohortConfig",
    "DataConfig",
    "InclusionConfig",
    "EndpointsConfig",
    "load_cohort_config",
    "COHORT_SECTIONS",
    "DERIVED_COLUMNS",
    "REDCAP_ALIASES",
]

COHORT_SECTIONS = ("data", "inclusion", "endpoints", "derived")

#: Columns the cohort derives; a [derived] covariate may not reuse these names.
DERIVED_COLUMNS: tuple[str, ...] = (
    "pseudo_id", "source_row", "age_at_metastasis", "timing", "months_to_metastasis",
    "os_days", "os_event", "pfs_days", "pfs_event", "os_months", "pfs_months",
    "local_treatment", "metastasis_surgery", "metastasis_surgery_date", "surgery_days",
    "n_systemic_lines", "no_systemic_treatment", "in_trial",
)

#: Built-in names of the template's REDCap checkbox columns.
REDCAP_ALIASES: dict[str, str] = {
    "met_sites___lung": "met_lung",
    "met_sites___bone": "met_bone",
    "met_sites___other": "met_other",
}

_CANONICAL = set(PATIENTS.names) | set(TREATMENTS.names)


def _err(path: str, message: str, value: Any = None, fix: str | None = None) -> ProtocolError:
    return ProtocolError(message, argument=path, value=value, fix=fix)


def _check_keys(section: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    for key in section:
        if key not in allowed:
            raise _err(f"{prefix}.{key}", "unknown key", fix=f"use one of {sorted(allowed)}")


def _str(d: Mapping[str, Any], key: str, prefix: str) -> str | None:
    if key not in d:
        return None
    v = d[key]
    if not isinstance(v, str) or not v.strip():
        raise _err(f"{prefix}.{key}", "must be a non-empty text", value=v)
    return v.strip()


def _number(d: Mapping[str, Any], key: str, prefix: str, default: float | None,
            ) -> float | None:
    if key not in d:
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(f"{prefix}.{key}", "must be a number", value=v)
    return float(v)


def _date(d: Mapping[str, Any], key: str, prefix: str) -> _dt.date | None:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise _err(f"{prefix}.{key}", "must be a date written YYYY-MM-DD", value=v)


@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the data are and how the user's columns and codes map to the template."""

    patients: str | None = None
    patients_sheet: str | None = None
    treatments: str | None = None
    treatments_sheet: str | None = None
    date_format: str | None = None
    redcap_dictionary: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    _KEYS = ("patients", "patients_sheet", "treatments", "treatments_sheet", "date_format",
             "redcap_dictionary", "mapping", "codes")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], prefix: str = "data") -> DataConfig:
        """Parse and check the ``[data]`` table."""
        if not isinstance(d, Mapping):
            raise _err(prefix, "must be a table", value=d)
        _check_keys(d, set(cls._KEYS), prefix)
        kw: dict[str, Any] = {k: _str(d, k, prefix) for k in cls._KEYS[:6]}
        fmt = kw["date_format"]
        if fmt is not None and fmt not in ("iso", "dayfirst", "monthfirst"):
            if "%" not in fmt:
                raise _err(f"{prefix}.date_format", "unknown date format", value=fmt,
                           fix='use "iso", "dayfirst", "monthfirst" or a pattern like "%d/%m/%Y"')
            try:
                _dt.datetime.strptime(_dt.date(2015, 3, 14).strftime(fmt), fmt)
            except ValueError:
                raise _err(f"{prefix}.date_format", "this date pattern cannot read back the "
                           "dates it writes", value=fmt, fix='use a pattern like "%d/%m/%Y"') from None
        mapping = d.get("mapping", {})
        if not isinstance(mapping, Mapping):
            raise _err(f"{prefix}.mapping", "must be a table of 'your column' = 'template column'",
                       value=mapping)
        targets = _CANONICAL | set(REDCAP_ALIASES)
        clean_map: dict[str, str] = {}
        for k, v in mapping.items():
            if not isinstance(v, str):
                raise _err(f"{prefix}.mapping.{k}", "must be a template column name (text)", value=v)
            if v not in _CANONICAL:
                raise _err(f"{prefix}.mapping.{k}", "is not a template column", value=v,
                           fix=f"map to one of {sorted(targets & _CANONICAL)}")
            clean_map[str(k).strip()] = v
        codes = d.get("codes", {})
        if not isinstance(codes, Mapping):
            raise _err(f"{prefix}.codes", "must be a table of tables, e.g. [data.codes.sex]",
                       value=codes)
        clean_codes: dict[str, dict[str, str]] = {}
        for col, table in codes.items():
            path = f"{prefix}.codes.{col}"
            spec = next((t.column(col) for t in (PATIENTS, TREATMENTS) if col in t), None)
            if spec is None or spec.type not in ("code", "text"):
                raise _err(path, "not a template column with codes", value=col,
                           fix="use a template column name such as sex, met_lung, kind")
            if not isinstance(table, Mapping):
                raise _err(path, "must be a table of 'your code' = 'template code'", value=table)
            inner: dict[str, str] = {}
            for k, v in table.items():
                if isinstance(v, bool) or not isinstance(v, (str, int)):
                    raise _err(f"{path}.{k}", "must be a template code (text)", value=v)
                v = str(v)
                if spec.type == "code" and v not in spec.codes:
                    raise _err(f"{path}.{k}", "is not an allowed code", value=v,
                               fix=f"use one of {list(spec.codes)}")
                inner[str(k).strip().lower()] = v
            clean_codes[col] = inner
        return cls(mapping=clean_map, codes=clean_codes, **kw)


@dataclass(frozen=True)
class InclusionConfig:
    """``[inclusion]``: who is analysed."""

    age_min: float | None = 18.0
    age_max: float | None = None
    metastasis_from: _dt.date | None = None
    metastasis_to: _dt.date | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], prefix: str = "inclusion") -> InclusionConfig:
        """Parse and check the ``[inclusion]`` table."""
        if not isinstance(d, Mapping):
            raise _err(prefix, "must be a table", value=d)
        _check_keys(d, {"age_min", "age_max", "metastasis_from", "metastasis_to"}, prefix)
        out = cls(_number(d, "age_min", prefix, 18.0), _number(d, "age_max", prefix, None),
                  _date(d, "metastasis_from", prefix), _date(d, "metastasis_to", prefix))
        if out.age_min is not None and out.age_max is not None and out.age_max < out.age_min:
            raise _err(f"{prefix}.age_max", "is below age_min", value=out.age_max)
        if out.metastasis_from and out.metastasis_to and out.metastasis_to < out.metastasis_from:
            raise _err(f"{prefix}.metastasis_to", "is before metastasis_from",
                       value=str(out.metastasis_to))
        return out


@dataclass(frozen=True)
class EndpointsConfig:
    """``[endpoints]``: how endpoints and timing are derived."""

    synchronous_window_days: int = 90
    cutoff_date: _dt.date | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], prefix: str = "endpoints") -> EndpointsConfig:
        """Parse and check the ``[endpoints]`` table."""
        if not isinstance(d, Mapping):
            raise _err(prefix, "must be a table", value=d)
        _check_keys(d, {"synchronous_window_days", "cutoff_date"}, prefix)
        w = d.get("synchronous_window_days", 90)
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise _err(f"{prefix}.synchronous_window_days", "must be a whole number of days >= 0",
                       value=w)
        return cls(w, _date(d, "cutoff_date", prefix))


@dataclass(frozen=True)
class CohortConfig:
    """The cohort sections of a protocol.

    Attributes
    ----------
    data, inclusion, endpoints
        The ``[data]``, ``[inclusion]`` and ``[endpoints]`` sections.
    derived
        ``[derived]``: ``(name, expression)`` pairs in protocol order.
    path
        The protocol file (paths in ``[data]`` are relative to its folder), or "".
    source_hash
        SHA-256 of the cohort sections (canonical JSON), for the manifest.
    """

    data: DataConfig = field(default_factory=DataConfig)
    inclusion: InclusionConfig = field(default_factory=InclusionConfig)
    endpoints: EndpointsConfig = field(default_factory=EndpointsConfig)
    derived: tuple[tuple[str, str], ...] = ()
    path: str = ""
    source_hash: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], path: str = "") -> CohortConfig:
        """Build from a parsed protocol; only the four cohort sections are read.

        Raises
        ------
        ProtocolError
            For an unknown key or a wrong type, naming the key path.
        """
        if not isinstance(d, Mapping):
            raise _err("protocol", "must be a table", value=d)
        derived_raw = d.get("derived", {})
        if not isinstance(derived_raw, Mapping):
            raise _err("derived", "must be a table of name = \"expression\"", value=derived_raw)
        from sarcohort.exceptions import InputError
        from sarcohort.stats import expressions

        reserved = _CANONICAL | set(DERIVED_COLUMNS)
        derived = []
        for name, expr in derived_raw.items():
            key = f"derived.{name}"
            if not isinstance(expr, str):
                raise _err(key, "must be an expression in quotes", value=expr)
            if not name.isidentifier() or keyword.iskeyword(name):
                raise _err(key, "a derived covariate name must be letters, digits and _",
                           value=name)
            if name in reserved:
                raise _err(key, "this name is already a cohort column", value=name,
                           fix="choose another name")
            try:
                expressions.validate(expr)
                used = expressions.names(expr)
            except InputError as exc:
                raise _err(key, f"invalid expression: {exc}", fix="see the expression grammar in "
                           "the documentation") from None
            dunder = sorted(u for u in used if any(
                part.startswith("__") and part.endswith("__") for part in u.split(".")))
            if dunder:  # no column is called __x__; refuse anything that looks like a probe
                raise _err(key, f"names like __x__ are not allowed: {dunder}", value=expr)
            derived.append((name, expr))
        sections = {k: d[k] for k in COHORT_SECTIONS if k in d}
        digest = hashlib.sha256(json.dumps(sections, sort_keys=True, default=str).encode()
                                ).hexdigest()
        return cls(DataConfig.from_dict(d.get("data", {})),
                   InclusionConfig.from_dict(d.get("inclusion", {})),
                   EndpointsConfig.from_dict(d.get("endpoints", {})),
                   tuple(derived), str(path), digest)

    @property
    def base_dir(self) -> Path:
        """Folder that [data] paths are relative to (the protocol's folder, else the cwd)."""
        return Path(self.path).parent if self.path else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (dates as ISO text), for the manifest."""
        from dataclasses import asdict

        def conv(v: Any) -> Any:
            if isinstance(v, _dt.date):
                return v.isoformat()
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            return v

        return {"data": conv(asdict(self.data)), "inclusion": conv(asdict(self.inclusion)),
                "endpoints": conv(asdict(self.endpoints)), "derived": dict(self.derived)}


def load_cohort_config(toml_path: str | Path) -> CohortConfig:
    """Read the cohort sections of a ``study.toml``.

    Raises
    ------
    ProtocolError
        When the file is missing, is not valid TOML, or a cohort key is wrong.
    """
    toml_path = Path(toml_path)
    try:
        data = toml_path.read_bytes()
    except OSError as exc:
        raise ProtocolError(f"cannot read the protocol ({exc.strerror})", argument=str(toml_path),
                            fix="check the path") from None
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not a valid TOML file ({exc})", argument=toml_path.name,
                            fix="check the syntax around the line named") from None
    return CohortConfig.from_dict({k: doc[k] for k in COHORT_SECTIONS if k in doc},
                                  str(toml_path))
