"""Typed schema checks: required values, types, codes and dates, column by column.

Turns a mapped raw table into a typed one (text, codes, ``Int64`` numbers and
``datetime64`` dates) and records a problem for every value that does not fit.
A value that does not fit becomes missing in the typed table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sarcohort.data import _dates as D
from sarcohort.data._memory import release_memory
from sarcohort.data._schema import MISSING_TOKENS, YES_NO, Column, Table
from sarcohort.data.readers._mapping import MappedTable, closest_name
from sarcohort.data.validation._collect import Collector

_HIDDEN = {"birth_date"}


_MISSING_ARROW = sorted(MISSING_TOKENS)
#: the longest missing token, in characters
_MISSING_LEN = max(len(t) for t in MISSING_TOKENS)


def cell_text(v: object) -> str | None:
    """One cell as stripped text (None when missing); 12.0 becomes '12'."""
    if v is None or v is pd.NA or v is pd.NaT:  # Parquet's nullable columns give pd.NA
        return None
    if isinstance(v, float):
        if v != v:
            return None
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else str(v)[:10]
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return str(v.isoformat())[:10] if pd.notna(v) else None
    t = str(v).strip()
    return None if t.lower() in MISSING_TOKENS else t


def arrow_strings(s: pd.Series, dictionary: bool = False):
    """The column as one Arrow string array when it is an Arrow string column (as the
    Parquet reader gives), else None: read without a Python object per cell. A
    dictionary-encoded column is decoded, or kept so with ``dictionary``."""
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        t = dtype.pyarrow_dtype
        coded = pa.types.is_dictionary(t)
        if coded:
            t = t.value_type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            a = pa.array(s.array)
            if isinstance(a, pa.ChunkedArray):
                a = a.combine_chunks()  # one dictionary for all the chunks
            if coded and dictionary:
                return pa.DictionaryArray.from_arrays(a.indices, a.dictionary.cast(pa.string()))
            return a.cast(pa.string())
    return None


def _arrow_text(a):
    """Arrow strings stripped, missing tokens and blanks as nulls (Arrow's C kernels).

    A column of a few distinct values (codes) or of repeated ones (:func:`_worth_encoding`),
    or dictionary-encoded, is read once per distinct value and stays dictionary-encoded
    (its missing values null indices): the code checks and the Python strings then cost a
    look-up per distinct value; :func:`_plain` decodes it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(a.type):
        if not _worth_encoding(a):
            return _arrow_text_each(a)
        a = pc.dictionary_encode(a)
    words = _arrow_text_each(a.dictionary)
    null_word = np.append(~words.is_valid().to_numpy(zero_copy_only=False), True)
    rows = a.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
    missing = null_word[rows]
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(missing, 0, rows).astype(rows.dtype), mask=missing), words)


def _plain(a):
    """Arrow text decoded when it is dictionary-encoded (else as it is)."""
    import pyarrow as pa

    return a.dictionary.take(a.indices) if pa.types.is_dictionary(a.type) else a


def _arrow_text_each(a):
    import pyarrow as pa
    import pyarrow.compute as pc

    a = pc.utf8_trim_whitespace(a)
    # Arrow's lower case maps each character to one character: a text longer than every
    # missing token is none of them (identifiers: no lower-cased copy to look up)
    if not pc.any(pc.less_equal(pc.utf8_length(a), _MISSING_LEN)).as_py():
        return a
    missing = pc.is_in(pc.utf8_lower(a), value_set=pa.array(_MISSING_ARROW, type=pa.string()))
    return pc.if_else(missing, pa.scalar(None, pa.string()), a)


def _head_distinct(a) -> tuple[int, int]:
    """How many values the column's first 10,000 are, and how many distinct ones: what
    says whether hashing it to its distinct values pays."""
    import pyarrow.compute as pc

    head = a.slice(0, 10_000)
    return len(head), len(pc.unique(head))


def _worth_encoding(a) -> bool:
    """True when the first 10,000 values hold at most 1,000 distinct ones (codes, not
    identifiers), or for a long column whose values repeat (a registry's treatment rows:
    each patient id about twice): worth hashing the column to its distinct values. The text
    kernels then run once per distinct value, and the column is held as its distinct
    values and an index per row rather than as a copy per kernel."""
    n, distinct = _head_distinct(a)
    return distinct <= 1_000 or (len(a) > 20_000 and distinct <= n // 2)


def _hardly_repeated(a) -> bool:
    """True for a long column whose values hardly repeat (identifiers), judged from its
    first 10,000 values: hashing it to its distinct values would not pay."""
    n, distinct = _head_distinct(a)
    return len(a) > 20_000 and distinct > n // 2


def arrow_objects(a) -> np.ndarray:
    """Arrow strings as an object array of Python strings (None for nulls), one Python
    string per distinct value (a code column costs a pointer per row, not a string) unless
    the values hardly repeat (identifiers: one string per row, without the hashing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(a) == 0:
        return np.empty(0, dtype=object)
    if pa.types.is_dictionary(a.type):  # encoded already
        enc = a
    elif _hardly_repeated(a):  # ids: no hashing
        return np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)
    else:
        enc = pc.dictionary_encode(a)
    words = np.empty(len(enc.dictionary) + 1, dtype=object)  # the last one: None, for nulls
    words[:-1] = enc.dictionary.to_numpy(zero_copy_only=False)
    idx = enc.indices.fill_null(len(enc.dictionary)).to_numpy()
    return words[idx]


def text_arrow(s: pd.Series):
    """The column's text as Arrow strings (stripped, missing as null), or None when the
    column is not text (numbers, dates or mixed cells: :func:`to_text` handles those)."""
    a = arrow_strings(s)
    if a is None:
        if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return None
        import pyarrow as pa

        a = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    return _arrow_text(a)


def to_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text; missing tokens and blanks become None; 12.0 becomes '12'."""
    a = text_arrow(s)
    if a is not None:
        # Arrow's string kernels run in C: about twice as fast as pandas' object strings
        return pd.Series(arrow_objects(a), index=s.index, dtype=object)
    return s.astype(object).map(cell_text)


def _missing_mask(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.isna().to_numpy()
    return to_text(s).isna().to_numpy()


def _numbers(text: pd.Series, decimal_comma: bool) -> pd.Series:
    t = text.where(text.notna(), None)
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    return pd.to_numeric(t, errors="coerce")


def _shown(col: str, values: pd.Series) -> pd.Series | str:
    """Values shown in problems (the birth date never is); the Collector turns the values of
    the rows with a problem into text."""
    if col in _HIDDEN:
        return "(birth date not shown)"
    return values


def coerce_table(mapped: MappedTable, table: Table, collector: Collector,
                 codes: Mapping[str, Mapping[str, str]] | None = None, date_format: str | None = None,
                 fallback_convention: str | None = None,
                 needed: Mapping[str, str] | None = None, *,
                 release: bool = False) -> tuple[pd.DataFrame, str | None]:
    """Check and convert every template column of one table.

    Parameters
    ----------
    mapped
        The table with template column names.
    table
        Its template (patients or treatments).
    collector
        Receives the problems.
    codes
        ``[data.codes]``: per template column, lower-cased user code -> template code.
    date_format
        ``[data] date_format`` of the protocol, or None.
    fallback_convention
        Day-first or month-first convention used when this table's dates do not decide.
    needed
        Template columns the analysis uses, with the reason: a missing one is an error
        (rule ``column.missing``), not an empty column.
    release
        Drop each column of ``mapped.raw.frame`` once it is typed (the caller read the
        table for this check only): the values as read and the typed ones are never
        both held whole.

    Returns
    -------
    typed, convention
        Template columns typed (missing ones all empty), then the other columns
        (numbers where every value is a number, else text); the day/month
        convention used for d/m/y text (None if undecided).
    """
    raw = mapped.raw
    frame = raw.frame
    n = len(frame)
    codes = codes or {}
    needed = needed or {}
    out: dict[str, pd.Series] = {}
    columns = list(frame.columns)  # as read (``release`` drops them from ``frame``)
    present = [c for c in table.names if c in frame.columns]
    unknown = [c for c in columns if c not in table.names]
    absent = [c for c in table.names if c not in frame.columns]
    for spec in table.columns:
        if spec.name in frame.columns:
            continue
        hint = _hint_yours(spec.name, unknown, mapped.source_names)
        excused = spec.name == "last_followup_date" and "death_date" in frame
        if spec.required and not excused:
            collector.add_table(spec.name, "required", "error",
                                f"the required column {spec.name!r} is missing{hint}: add it "
                                "or map your column to it in [data.mapping] of the protocol")
        elif spec.name in needed:
            collector.add_table(spec.name, "column.missing", "error",
                                f"the column {spec.name!r} is missing{hint}, and "
                                f"{needed[spec.name]} needs it: add it or map your column to "
                                "it in [data.mapping] of the protocol (a missing column is "
                                "never taken as empty)")
        else:
            collector.add_table(spec.name, "column.missing", "warning",
                                f"the column {spec.name!r} is missing{hint}: nothing in the "
                                "analysis uses it, and its values are taken as empty")
    # dates, all columns of the table together (one day/month convention per table)
    date_cols = [c for c in present if table.column(c).type == "date"]
    # Arrow text columns (the Parquet reader's) are read in Arrow's kernels, with no Python
    # object per cell until a column's text is needed as such; Python text (CSV, XLSX, data
    # frames) in pandas, cell by cell as written (the two agree: tests/data/validation).
    # A column's text is made when its turn comes and dropped once it is typed (the text
    # of dates once they are parsed): only one column's text at a time.
    text_cols = {c for c in present if not _typed(frame[c])}
    arrows: dict[str, Any] = {}
    texts: dict[str, pd.Series] = {}

    def read_text(c: str) -> None:
        a = arrow_strings(frame[c], dictionary=True)
        if a is None:
            texts[c] = to_text(frame[c])
        else:
            arrows[c] = _arrow_text(a)

    def text_of(c: str) -> pd.Series:
        if c not in texts:
            texts[c] = pd.Series(arrow_objects(arrows[c]), index=frame.index, dtype=object)
        return texts[c]

    def missing_of(c: str) -> np.ndarray:
        if c in arrows:
            return ~arrows[c].is_valid().to_numpy(zero_copy_only=False)
        return (texts[c] if c in texts else frame[c]).isna().to_numpy()

    for c in date_cols:
        if c in text_cols:
            t = date_text(frame[c])
            if isinstance(t, pd.Series):
                texts[c] = t
            else:
                arrows[c] = t
    parsed, convention, note = D.parse_date_columns(
        frame, date_cols, date_format, {c: arrows.get(c, texts.get(c)) for c in date_cols
                                         if c in arrows or c in texts}, fallback_convention)
    date_missing = {c: missing_of(c) for c in date_cols}
    arrows.clear()
    texts.clear()
    note_dates(collector, note)

    def done(c: str) -> None:
        if release and c in frame.columns:
            del frame[c]
            release_memory()

    for spec in table.columns:
        name = spec.name
        if name not in columns:
            out[name] = _empty(spec, n)
            continue
        s = frame[name]
        is_text = name in text_cols
        if is_text and name not in date_missing:
            read_text(name)
            if release and name in arrows:  # its text is Arrow's now: of the column as
                s = s.iloc[:0]  # read, only the type is used (the values are not)
                done(name)
        missing = date_missing[name] if name in date_missing else missing_of(name)
        if n and missing.all() and not spec.required:
            why = f" ({needed[name]} uses it)" if name in needed else ""
            collector.add_table(name, "column.empty", "warning",
                                f"the column {name!r} is empty in every row{why}: check that "
                                "it was filled in and exported")
        if spec.required:
            need = missing
            if name == "last_followup_date" and "death_date" in columns:
                need = missing & (date_missing["death_date"] if "death_date" in date_missing
                                  else missing_of("death_date"))
            collector.add(need, name, "required", "error",
                          f"{name} is required: fill it in" + (
                              " (or give the death date)" if name == "last_followup_date" else ""))
        if spec.type == "date":
            out[name] = _dates(spec, s, parsed.pop(name), collector)
        elif spec.type == "int":
            fast = (_ints_arrow(spec, arrows[name], missing, collector, raw.decimal_comma)
                    if name in arrows else None)
            out[name] = fast if fast is not None else _ints(
                spec, s, missing, collector, raw.decimal_comma, text_of(name) if is_text else None)
        elif spec.type == "code":
            fast = (_codes_arrow(spec, arrows[name], collector, codes.get(name, {}))
                    if name in arrows else None)
            out[name] = fast if fast is not None else _codes(
                spec, s, collector, codes.get(name, {}), text_of(name) if is_text else None)
        else:
            text = text_of(name) if is_text else to_text(s)
            user = codes.get(name)
            if user:
                low = text.str.lower()
                text = low.map(user).where(low.isin(list(user)), text)
            out[name] = text
        arrows.pop(name, None)
        texts.pop(name, None)
        del s
        done(name)
    typed = pd.DataFrame(out, index=frame.index, copy=False)  # no copy into 2-D blocks
    del out
    for col in unknown:
        if col in codes:  # a column of the user's own, declared coded by the protocol
            typed[col] = _declared(col, frame[col], collector, codes[col])
            done(col)
            continue
        near = closest_name(col, absent)
        if near is not None:
            collector.add_table(col, "column.unknown", "warning",
                                f"the column {mapped.source_names.get(col, col)!r} is not in "
                                f"the template: did you mean {near!r}? Rename it, or map it "
                                "in [data.mapping] of the protocol")
        else:
            collector.add_table(col, "column.unknown", "info",
                                f"the column {col!r} is not in the template: it is kept as "
                                "free text (never described or modelled unless [data.codes] "
                                "declares its codes)")
        typed[col] = _extra(frame[col], raw.decimal_comma)
        done(col)
    return typed, convention


def date_text(s: pd.Series):
    """A date column's text as :func:`coerce_table` parses it: Arrow text (stripped, missing
    as null, decoded) of an Arrow text column, Python text of other text, None for dates or
    numbers stored as such."""
    if _typed(s):
        return None
    a = arrow_strings(s, dictionary=True)
    return to_text(s) if a is None else _plain(_arrow_text(a))


def note_dates(collector: Collector, note: str | None) -> None:
    """The table's problem saying how its d/m/y dates were read (``date.format``): a warning
    when nothing decided, else an info; nothing when ``note`` is None."""
    if note:
        undecided = note.startswith("no date tells")
        collector.add_table(None, "date.format", "warning" if undecided else "info", note)


def _typed(s: pd.Series) -> bool:
    """A column of dates or numbers as stored (not text)."""
    return pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype)


def _hint_yours(name: str, unknown: list[str], source: Mapping[str, str]) -> str:
    """``' (did you mean your column 'progession_date'?)'`` when one of the file's unknown
    columns is a near spelling of the template column ``name``."""
    for col in unknown:
        if closest_name(col, [name]) is not None:
            return f" (is your column {source.get(col, col)!r} meant to be it?)"
    return ""


def _empty(spec: Column, n: int) -> pd.Series:
    if spec.type == "date":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if spec.type == "int":
        return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    return pd.Series([None] * n, dtype=object)


def _dates(spec: Column, s: pd.Series, parsed: D.ParsedDates, col: Collector) -> pd.Series:
    st = parsed.status
    name = spec.name
    shown = _shown(name, s)
    col.add(st == D.INVALID, name, "date.invalid", "error",
            f"{name} is not a valid date: write it as YYYY-MM-DD (or DD/MM/YYYY)", shown)
    col.add(st == D.YEAR_ONLY, name, "date.invalid", "error",
            f"{name} holds a year only: give the full date (YYYY-MM-DD)", shown)
    col.add(st == D.AMBIGUOUS, name, "date.ambiguous", "error",
            f"{name} can be read day-first or month-first: write it as YYYY-MM-DD, or set "
            'date_format = "dayfirst" (or "monthfirst") in [data] of the protocol', shown)
    col.add(st == D.TWO_DIGIT_YEAR, name, "date.ambiguous", "error",
            f"{name} has a two-digit year: write the year in full (YYYY)", shown)
    return parsed.values


def _ints(spec: Column, s: pd.Series, missing: np.ndarray, col: Collector,
          decimal_comma: bool, text: pd.Series | None = None) -> pd.Series:
    name = spec.name
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce").astype(float)
        text = s.astype(object)
    else:
        text = to_text(s) if text is None else text
        # digits only ("12", "+3", "12.0"): "1e3", "0x10" or "1_000" are not written whole numbers
        sep = "[.,]" if decimal_comma else "[.]"
        plain = text.str.fullmatch(rf"[+-]?\d+(?:{sep}0*)?", na=False)
        num = _numbers(text.where(plain, None), decimal_comma)
    num_arr = num.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(num_arr) & (np.floor(num_arr) == num_arr)
    bad = ~missing & ~whole
    col.add(bad, name, "type", "error", f"{name} must be a whole number", text)
    if spec.minimum is not None:
        low = whole & (num_arr < spec.minimum)
        col.add(low, name, f"{name}.min", "error",
                f"{name} must be at least {spec.minimum}", text)
    kept = np.where(whole, num_arr, 0.0)
    if np.abs(kept).max(initial=0.0) < 2.0**53:  # whole numbers a float holds exactly
        return pd.Series(pd.arrays.IntegerArray(kept.astype(np.int64), ~whole))
    values = pd.array(np.where(whole, num_arr, np.nan), dtype="Float64")
    ints = pd.Series(values).round().astype("Int64")
    ints[~pd.Series(whole)] = pd.NA
    return ints


def _codes(spec: Column, s: pd.Series, col: Collector, user: Mapping[str, str],
           text: pd.Series | None = None) -> pd.Series:
    name = spec.name
    text = to_text(s) if text is None else text
    low = text.str.lower()
    canon = {c.lower(): c for c in spec.codes}
    if spec.codes == YES_NO:  # booleans (Parquet, REDCap yesno) and 0/1
        canon.update({"true": "yes", "false": "no", "1": "yes", "0": "no"})
    mapping = {**canon, **user}
    known = low.isin(list(mapping))
    values = low.map(mapping).where(known, None)
    bad = (text.notna() & ~known).to_numpy()
    col.add(bad, name, "code", "error",
            f"{name} must be one of {', '.join(spec.codes)}"
            + (" (or true/false, 1/0)" if spec.codes == YES_NO else "") + ": correct the value or map your code "
            f"in [data.codes.{name}] of the protocol", text)
    return values.astype(object)


def _all_ascii(a) -> bool:
    import pyarrow.compute as pc

    return bool(pc.all(pc.string_is_ascii(a)).as_py() is not False)


def _ints_arrow(spec: Column, a, missing: np.ndarray, col: Collector, decimal_comma: bool,
                ) -> pd.Series | None:
    """:func:`_ints` of Arrow text in Arrow's kernels (None when a value is not plain ASCII
    or too long to be read exactly, which :func:`_ints` then reads): the same numbers,
    problems and values (the rows with a problem shown from ``a`` itself)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    a = _plain(a)
    if len(a) == 0 or not _all_ascii(a) or (pc.max(pc.utf8_length(a)).as_py() or 0) > 15:
        return None
    sep = "[.,]" if decimal_comma else "[.]"
    plain = pc.match_substring_regex(a, rf"^[+-]?\d+(?:{sep}0*)?$").fill_null(False)
    whole_part = pc.replace_substring_regex(pc.replace_substring_regex(a, r"[.,]0*$", ""),
                                            r"^\+", "")
    num = pc.cast(pc.if_else(plain, whole_part, pa.scalar(None, pa.string())), pa.float64())
    num_arr = num.to_numpy(zero_copy_only=False)
    whole = plain.to_numpy(zero_copy_only=False)
    name = spec.name
    bad = ~missing & ~whole
    if bad.any():
        col.add(bad, name, "type", "error", f"{name} must be a whole number", a)
    if spec.minimum is not None:
        low = whole & (num_arr < spec.minimum)
        if low.any():
            col.add(low, name, f"{name}.min", "error",
                    f"{name} must be at least {spec.minimum}", a)
    return pd.Series(pd.array(np.where(whole, num_arr, 0).astype(np.int64), dtype="Int64")
                     ).where(pd.Series(whole), pd.NA).astype("Int64")


def _codes_arrow(spec: Column, a, col: Collector, user: Mapping[str, str],
                 ) -> pd.Series | None:
    """:func:`_codes` of Arrow text in Arrow's kernels (None when a value is not ASCII, whose
    lower case :func:`_codes` gives as Python does): the same codes and problems (the rows
    with a problem shown from ``a`` itself)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    coded = pa.types.is_dictionary(a.type)  # looked up once per distinct value
    if not _all_ascii(a.dictionary if coded else a):
        return None
    name = spec.name
    canon = {c.lower(): c for c in spec.codes}
    if spec.codes == YES_NO:
        canon.update({"true": "yes", "false": "no", "1": "yes", "0": "no"})
    mapping = {**canon, **user}
    keys = list(mapping)
    valid = a.is_valid().to_numpy(zero_copy_only=False)
    found = pc.index_in(pc.utf8_lower(a.dictionary if coded else a), value_set=pa.array(
        keys, type=pa.string())).fill_null(-1).to_numpy(zero_copy_only=False)
    if coded:  # each distinct value's key, taken by the rows (a missing one: none)
        at = np.append(found, -1)[a.indices.fill_null(len(found)).to_numpy(zero_copy_only=False)]
        at[~valid] = -1
    else:
        at = found
    known = at >= 0
    bad = valid & ~known
    if bad.any():
        col.add(bad, name, "code", "error",
                f"{name} must be one of {', '.join(spec.codes)}"
                + (" (or true/false, 1/0)" if spec.codes == YES_NO else "") + ": correct the "
                f"value or map your code in [data.codes.{name}] of the protocol", a)
    words = np.array([mapping[k] for k in keys] + [None], dtype=object)
    return pd.Series(words[np.where(known, at, len(keys))], dtype=object)


def _declared(name: str, s: pd.Series, col: Collector, user: Mapping[str, str]) -> pd.Series:
    """A column of the user's own whose codes ``[data.codes.<name>]`` declares: each value
    is one of its codes (or the code shown), else an error ``code``."""
    text = to_text(s)
    low = text.str.lower()
    shown = {v.lower(): v for v in user.values()}
    mapping = {**shown, **user}
    known = low.isin(list(mapping))
    col.add((text.notna() & ~known).to_numpy(), name, "code", "error",
            f"{name} must be one of the codes declared in [data.codes.{name}] of the protocol "
            f"({', '.join(dict.fromkeys(user.values()))}): correct the value or declare it",
            text)
    return low.map(mapping).where(known, None).astype(object)


def _extra(s: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    text = to_text(s)
    if text.notna().any():
        num = _numbers(text, decimal_comma)
        if (num.notna() == text.notna()).all():
            return num.astype(float)
    return text
