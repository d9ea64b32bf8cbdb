"""Reading dates as data managers type them, without guessing.

Accepted without a protocol ``date_format``:

* date cells of a workbook, and ``datetime64`` columns;
* ISO dates ``2015-03-14`` (also ``2015/03/14``, with or without a time);
* day-first or month-first dates ``14/03/2015``, ``14.03.2015``, ``14-03-2015``;
* Excel serial numbers (days since 1899-12-30), as numbers or text.

Day-first or month-first is decided per table from the evidence in its
date columns: a value such as ``14/03/2015`` can only be day-first. When
every such value agrees the table's convention is used for the others and
an ``info`` problem says so; when no value decides, ``03/04/2015`` is
reported as ambiguous (never guessed); values contradicting the majority
are impossible dates. A protocol ``date_format`` (``"iso"``,
``"dayfirst"``, ``"monthfirst"`` or a ``strftime`` pattern such as
``"%d/%m/%Y"``) removes the ambiguity. A two-digit year is ambiguous unless
the protocol's pattern says ``%y``. A bare number between 1900 and 2100 is
read as a year alone and rejected.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcohort.data._schema import MISSING_TOKENS

OK, MISSING, INVALID, AMBIGUOUS, TWO_DIGIT_YEAR, YEAR_ONLY = 0, 1, 2, 3, 4, 5
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DAY_NS = 86_400 * 10**9  # nanoseconds in a day

_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_DMY = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_NUM = r"^(\d{1,7})(?:[.,]\d+)?$"


@dataclass(frozen=True, eq=False)
class ParsedDates:
    """Dates of one column: values (``datetime64[ns]``, NaT when not a date) and status codes."""

    values: pd.Series
    status: np.ndarray


@dataclass
class _Pending:
    values: np.ndarray  # datetime64[ns]
    status: np.ndarray  # int8
    a: np.ndarray  # first part of d/m/y strings (0 where not such a string)
    b: np.ndarray
    y: np.ndarray
    dmy: np.ndarray  # bool mask (a, b, y and dmy empty for a column of date cells)


def _from_parts(year, month, day) -> np.ndarray:
    """Vectorised construction of dates; impossible dates give NaT."""
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    with np.errstate(invalid="ignore"):
        out = pd.to_datetime(frame, errors="coerce")
    return out.to_numpy(dtype="datetime64[ns]")


#: The days a ``datetime64[ns]`` holds (years 1677 to 2262): a Parquet or spreadsheet date
#: outside them (9999-12-31 for "unknown") is not a date here, never one wrapped round.
_NS_FIRST_DAY = np.datetime64(pd.Timestamp.min.ceil("D").date(), "D")
_NS_LAST_DAY = np.datetime64(pd.Timestamp.max.floor("D").date(), "D")


def _days_of(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The day of each time of a ``datetime64`` column (NaT kept), as a new
    ``datetime64[ns]`` array, and where a time lies outside the days that array holds
    (NaT there). Converted once when every value is a day already (Parquet ``DATE``
    columns), without the round trip through ``datetime64[D]``."""
    if getattr(series.dt, "tz", None):
        series = series.dt.tz_localize(None)  # the wall-clock day, as written
    raw = series.to_numpy()
    outside = np.zeros(len(raw), bool)
    if raw.dtype != np.dtype("datetime64[ns]"):  # e.g. Parquet DATE as datetime64[ms]
        outside = ~np.isnat(raw) & ((raw < _NS_FIRST_DAY) | (raw > _NS_LAST_DAY))
        if outside.any():
            raw = np.where(outside, np.datetime64("NaT"), raw)
    # a new array (astype copies), so that the typed table never shares the caller's
    vals = raw.astype("datetime64[ns]")
    if np.any((vals.view(np.int64) % _DAY_NS != 0) & ~np.isnat(vals)):
        vals = vals.astype("datetime64[D]").astype("datetime64[ns]")
    return vals, outside


def _classify(series: pd.Series, date_format: str | None, text: pd.Series | None = None,
              ) -> _Pending:
    n = len(series)
    if n and pd.api.types.is_datetime64_any_dtype(series.dtype):  # no d/m/y text: no parts
        vals, outside = _days_of(series)
        status = np.where(np.isnat(vals), MISSING, OK).astype(np.int8)
        status[outside] = INVALID
        none = np.zeros(0, dtype=np.int64)
        return _Pending(vals, status, none, none, none, np.zeros(0, bool))
    # zeroed on demand by the system (calloc): a column without d/m/y text never touches them
    parts = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
             np.zeros(n, dtype=np.int64), np.zeros(n, bool))
    values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    status = np.full(n, INVALID, dtype=np.int8)
    pend = _Pending(values, status, *parts)
    if n == 0:
        return pend
    if text is not None and not isinstance(text, pd.Series):  # Arrow text (see _coerce)
        text, text_idx = _iso_arrow(text, date_format, pend)
        is_num = np.zeros(n, bool)
        obj = np.empty(0, dtype=object)
    else:
        text, text_idx, is_num, obj = _cells(series, date_format, text, pend)
    if len(text):
        num_from_text = text.str.fullmatch(_NUM).to_numpy(dtype=bool)
    else:
        num_from_text = np.zeros(0, bool)
    # numbers: Excel serials, or a bare year
    numbers = np.full(n, np.nan)
    if is_num.any():
        numbers[is_num] = pd.to_numeric(pd.Series(obj[is_num]), errors="coerce").to_numpy(float)
    if num_from_text.any():
        idx = text_idx[num_from_text]
        numbers[idx] = pd.to_numeric(text[num_from_text].str.replace(",", ".", regex=False),
                                     errors="coerce").to_numpy(float)
        is_num = is_num.copy()
        is_num[idx] = True
    if is_num.any():
        num = numbers[is_num]
        year_only = (num >= 1900) & (num <= 2100)
        ok = np.isfinite(num) & (num >= 1) & (num < 2958466) & ~year_only
        days = np.where(ok, np.floor(np.where(ok, num, 0)), 0).astype("int64")
        vals = (EXCEL_EPOCH.to_datetime64() + days.astype("timedelta64[D]")).astype("datetime64[ns]")
        vals[~ok] = np.datetime64("NaT")
        st = np.where(ok, OK, np.where(year_only, YEAR_ONLY, INVALID)).astype(np.int8)
        pend.values[is_num] = vals
        pend.status[is_num] = st
    # text dates
    if len(text):
        rest = ~num_from_text
        t = text[rest]
        t_idx = text_idx[rest]
        if len(t) == 0:
            return pend
        if date_format and "%" in date_format:
            conv = pd.to_datetime(t, format=date_format, errors="coerce").dt.normalize()
            pend.values[t_idx] = conv.to_numpy(dtype="datetime64[ns]")
            pend.status[t_idx] = np.where(conv.isna().to_numpy(), INVALID, OK)
            return pend
        iso = t.str.extract(_ISO).to_numpy()
        iso_ok = ~pd.isna(iso[:, 0])
        if iso_ok.any():
            ii = t_idx[iso_ok]
            parts = iso[iso_ok].astype(np.int64)
            vals = _from_parts(parts[:, 0], parts[:, 1], parts[:, 2])
            pend.values[ii] = vals
            pend.status[ii] = np.where(np.isnat(vals), INVALID, OK)
        if date_format == "iso":
            return pend
        dmy = t[~iso_ok].str.extract(_DMY).to_numpy()
        dmy_ok = ~pd.isna(dmy[:, 0])
        if dmy_ok.any():
            di = t_idx[~iso_ok][dmy_ok]
            parts = dmy[dmy_ok]
            two_digit = np.array([len(x) == 2 for x in parts[:, 2]], dtype=bool)
            p = parts.astype(np.int64)
            pend.dmy[di] = ~two_digit
            pend.a[di] = p[:, 0]
            pend.b[di] = p[:, 1]
            pend.y[di] = p[:, 2]
            pend.status[di[two_digit]] = TWO_DIGIT_YEAR
    return pend




def _iso_arrow(text, date_format: str | None, pend: _Pending) -> tuple[pd.Series, np.ndarray]:
    """Dates of Arrow text (stripped, missing as null, see :mod:`..validation._coerce`):
    plain ``YYYY-MM-DD`` dates that exist (years 1678-2261) are read here by integer
    arithmetic, giving what the pandas parser gives them; the other texts are returned as
    Python strings, with their positions, for the patterns of :func:`_classify`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from sarcohort.data.validation._coerce import arrow_objects

    valid = text.is_valid().to_numpy(zero_copy_only=False)
    pend.status[~valid] = MISSING
    rest = valid
    if not (date_format and "%" in date_format):
        plain = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$").fill_null(False)
        plain_np = plain.to_numpy(zero_copy_only=False)
        if plain_np.any():
            idx = np.flatnonzero(plain_np)
            ymd = pc.cast(pc.replace_substring(text.filter(plain), "-", ""), pa.int64()).to_numpy()
            y, m, d = ymd // 10000, ymd // 100 % 100, ymd % 100
            months = ((y - 1970) * 12 + np.clip(m, 1, 12) - 1).astype("datetime64[M]")
            first = months.astype("datetime64[D]")
            length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
            ok = (y >= 1678) & (y <= 2261) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= length)
            pend.values[idx[ok]] = (first[ok] + (d[ok] - 1).astype("timedelta64[D]")).astype(
                "datetime64[ns]")
            pend.status[idx[ok]] = OK
            rest = valid.copy()
            rest[idx[ok]] = False
    text_idx = np.flatnonzero(rest)
    cells = (arrow_objects(text.take(pa.array(text_idx))) if text_idx.size
             else np.empty(0, dtype=object))
    return pd.Series(cells, dtype=object).astype(str), text_idx



def _cells(series: pd.Series, date_format: str | None, text: pd.Series | None,
           pend: _Pending) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Cells of any kind (date cells, numbers, text): date cells read; the texts not yet
    read with their positions, the mask of numbers and the cells as objects."""
    obj = series.astype(object).to_numpy()
    stripped = False
    if text is not None or pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        from sarcohort.data.validation._coerce import to_text

        if text is None:
            text = to_text(series)
        if pd.api.types.infer_dtype(text, skipna=True) in ("string", "empty"):
            kinds = np.where(text.isna().to_numpy(), 0, 3)
            obj = text.to_numpy(dtype=object)
            stripped = True
        else:
            kinds = pd.Series(obj).map(_kind).to_numpy()
    else:
        kinds = pd.Series(obj).map(_kind).to_numpy()
    # 0 missing, 1 datetime, 2 number, 3 string, 4 other
    pend.status[kinds == 0] = MISSING
    is_dt = kinds == 1
    if is_dt.any():
        conv = pd.to_datetime(pd.Series(obj[is_dt]), errors="coerce")
        conv = conv.dt.normalize()
        pend.values[is_dt] = conv.to_numpy(dtype="datetime64[ns]")
        pend.status[is_dt] = np.where(conv.isna().to_numpy(), INVALID, OK)
    is_num = kinds == 2
    text_mask = kinds == 3
    text = pd.Series(obj[text_mask]).astype(str)
    if not stripped:
        text = text.str.strip()
    text_idx = np.flatnonzero(text_mask)
    if len(text) and not (date_format and "%" in date_format):
        # fast path: plain YYYY-MM-DD text (C parser); the rest goes through the patterns
        fast = pd.to_datetime(text.where(text.str.len() == 10), format="%Y-%m-%d",
                              errors="coerce")
        fast_ok = fast.notna().to_numpy()
        if fast_ok.any():
            pend.values[text_idx[fast_ok]] = fast[fast_ok].to_numpy(dtype="datetime64[ns]")
            pend.status[text_idx[fast_ok]] = OK
            text = text[~fast_ok]
            text_idx = text_idx[~fast_ok]
    return text, text_idx, is_num, obj

def _kind(v: object) -> int:
    if v is None:
        return 0
    if isinstance(v, bool):
        return 4
    if isinstance(v, (_dt.date, np.datetime64)):
        return 0 if pd.isna(v) else 1
    if isinstance(v, (int, float, np.integer, np.floating)):
        return 0 if v != v else 2
    if isinstance(v, str):
        return 0 if v.strip().lower() in MISSING_TOKENS else 3
    return 4


def dmy_counts(pending) -> tuple[int, int, int]:
    """The d/m/y evidence of classified columns: how many dates can only be day-first, how
    many only month-first, and how many are d/m/y text at all (sums over rows: the counts of
    a table are the sums of those of its parts)."""
    pending = list(pending)
    n_day = sum(int(((p.a > 12) & (p.b <= 12) & p.dmy).sum()) for p in pending)
    n_month = sum(int(((p.b > 12) & (p.a <= 12) & p.dmy).sum()) for p in pending)
    n_dmy = sum(int(p.dmy.sum()) for p in pending)
    return n_day, n_month, n_dmy


def date_evidence(series: pd.Series, text=None) -> tuple[int, int, int]:
    """:func:`dmy_counts` of one column (``text``: as :func:`parse_date_columns` takes it),
    read without a protocol ``date_format``."""
    return dmy_counts([_classify(series, None, text)])


def choose_convention(n_day: int, n_month: int, n_dmy: int, date_format: str | None,
                      fallback: str | None) -> tuple[str | None, str | None]:
    """The day/month convention of a table's d/m/y text from its evidence
    (:func:`dmy_counts`), and the note in words saying how it was decided (both None when
    nothing decides and nothing needs saying)."""
    if date_format in ("dayfirst", "monthfirst"):
        return date_format, None
    if date_format is not None:
        return None, None
    if n_day and not n_month:
        return "dayfirst", (f"dates written like 14/03/2015 were read day-first "
                            f"(day/month/year): {n_day} of them can only be read that way")
    if n_month and not n_day:
        return "monthfirst", (f"dates written like 03/14/2015 were read month-first "
                              f"(month/day/year): {n_month} of them can only be read that way")
    if n_day and n_month:
        convention = "dayfirst" if n_day >= n_month else "monthfirst"
        return convention, (f"dates are written both day-first ({n_day}) and month-first "
                            f"({n_month}); read {convention}, the others are reported as "
                            "impossible")
    if n_dmy and fallback in ("dayfirst", "monthfirst"):
        return fallback, f"dates like 03/04/2015 were read {fallback}, as in the patients table"
    if n_dmy:
        return None, ("no date tells whether dates are day-first or month-first; "
                      "set date_format in [data] of the protocol")
    return None, None


def parse_date_columns(
    frame: pd.DataFrame, columns: list[str], date_format: str | None = None,
    texts: dict[str, pd.Series] | None = None, fallback: str | None = None,
) -> tuple[dict[str, ParsedDates], str | None, str | None]:
    """Parse the date columns of one table together.

    Parameters
    ----------
    frame
        The table, values as read (text, numbers, date cells).
    columns
        Names of its date columns.
    date_format
        ``None`` (decide from the data), ``"iso"``, ``"dayfirst"``,
        ``"monthfirst"`` or a ``strftime`` pattern.
    texts
        The columns already turned into stripped text (optional, saves time).
    fallback
        Convention to use when this table's dates do not decide (the patients
        table's, for the treatments table of the same source).

    Returns
    -------
    parsed, convention, note
        Parsed dates per column; the convention used for d/m/y text
        (``"dayfirst"``, ``"monthfirst"`` or None when undecided); a note in
        words about how the convention was decided (None when the protocol set it
        or no d/m/y text was found).
    """
    texts = texts or {}
    pending = {c: _classify(frame[c], date_format, texts.get(c)) for c in columns}
    convention, note = choose_convention(*dmy_counts(pending.values()), date_format, fallback)
    out = {}
    for c, p in pending.items():
        m = p.dmy
        if m.any():
            idx = np.flatnonzero(m)
            a, b, y = p.a[idx], p.b[idx], p.y[idx]
            if convention == "dayfirst":
                vals = _from_parts(y, b, a)
                st = np.where(np.isnat(vals), INVALID, OK)
            elif convention == "monthfirst":
                vals = _from_parts(y, a, b)
                st = np.where(np.isnat(vals), INVALID, OK)
            else:
                day_first = _from_parts(y, b, a)
                month_first = _from_parts(y, a, b)
                same = a == b
                both = ~np.isnat(day_first) & ~np.isnat(month_first) & ~same
                vals = np.where(np.isnat(day_first), month_first, day_first)
                st = np.where(both, AMBIGUOUS, np.where(np.isnat(vals), INVALID, OK))
                vals = np.where(both, np.datetime64("NaT"), vals).astype("datetime64[ns]")
            p.values[idx] = vals
            p.status[idx] = st
        out[c] = ParsedDates(pd.Series(p.values, index=frame.index), p.status)
    return out, convention, note
