"""Clinical rules across columns and tables, vectorised over rows.

Every rule adds one problem per offending row; see :data:`RULES` in
:mod:`sarcohort.data.validation._problems` for the ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sarcohort.data._days import age_years
from sarcohort.data.validation._collect import Collector

#: Ages at first metastasis above this are data errors whatever the protocol says.
AGE_PLAUSIBLE_MAX = 110.0
_FIRST = np.datetime64("1900-01-01", "ns")
_DATES = ("birth_date", "primary_diagnosis_date", "first_metastasis_date", "progression_date",
          "death_date", "last_followup_date")


def _d(p: pd.DataFrame, col: str) -> np.ndarray:
    return p[col].to_numpy(dtype="datetime64[ns]")


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ~np.isnat(a) & ~np.isnat(b) & (a < b)


def _date_range(p: pd.DataFrame, cols: tuple[str, ...], col: Collector, today: np.datetime64,
                ) -> None:
    for c in cols:
        if c not in p:
            continue
        v = _d(p, c)
        shown = "(birth date not shown)" if c == "birth_date" else v
        known = ~np.isnat(v)  # compared with the two dates, not with columns of them
        col.add(known & (v > today), c, "date.range", "error",
                f"{c} is in the future: check the year", shown)
        col.add(known & (v < _FIRST), c, "date.range", "error",
                f"{c} is before 1900: check the year", shown)


def patient_rules(p: pd.DataFrame, col: Collector, *, age_min: float | None = None,
                  age_max: float | None = None, today: object | None = None,
                  ) -> tuple[np.ndarray, bool]:
    """Date ranges, date order, age, duplicate ids of the typed patients table; returns the
    age at first metastasis of each row (years, NaN when a date is missing), and whether an
    id is used in several centres (else :func:`centre_id_rule` has nothing to say)."""
    t = np.datetime64(pd.Timestamp(today or pd.Timestamp.today()).normalize().to_datetime64(), "ns")
    _date_range(p, _DATES, col, t)
    birth, diag, met = _d(p, "birth_date"), _d(p, "primary_diagnosis_date"), _d(p, "first_metastasis_date")
    prog, death, fu = _d(p, "progression_date"), _d(p, "death_date"), _d(p, "last_followup_date")
    col.add(~_lt(birth, diag) & ~np.isnat(birth) & ~np.isnat(diag), "primary_diagnosis_date",
            "date.order.birth_diagnosis", "error",
            "the primary diagnosis is not after the birth date: check both dates", diag)
    col.add(_lt(met, diag), "first_metastasis_date", "date.order.diagnosis_metastasis", "error",
            "the first metastasis is before the primary diagnosis: check both dates", met)
    col.add(_lt(prog, met), "progression_date", "date.order.metastasis_progression", "error",
            "the progression is before the first metastasis: check both dates", prog)
    col.add(_lt(death, met), "death_date", "date.order.metastasis_death", "error",
            "the death is before the first metastasis: check both dates", death)
    col.add(_lt(death, prog), "progression_date", "date.order.progression_death", "error",
            "the progression is after the death: check both dates", prog)
    col.add(_lt(fu, met), "last_followup_date", "date.order.followup", "error",
            "the last follow-up is before the first metastasis: check both dates", fu)
    col.add(_lt(fu, prog) & ~_lt(fu, met), "last_followup_date", "date.order.followup", "error",
            "the last follow-up is before the progression: the last follow-up is the last "
            "news of the patient, on or after every event", fu)
    col.add(_lt(fu, death) & ~_lt(fu, met) & ~_lt(fu, prog), "last_followup_date",
            "date.order.followup", "warning",
            "the last follow-up is before the death date: the death date is used for OS; set "
            "the last follow-up to the death date", fu)
    col.add(_lt(death, fu), "last_followup_date", "date.order.death_followup", "error",
            "the last follow-up is after the death: check both dates", fu)
    age = age_years(birth, met)
    with np.errstate(invalid="ignore"):
        flagged = np.flatnonzero((age > AGE_PLAUSIBLE_MAX)
                                 | ((age < age_min) if age_min is not None else False)
                                 | ((age > age_max) if age_max is not None else False))
    shown = np.full(len(age), "", dtype=object)  # the age in words where it is shown
    shown[flagged] = np.char.mod("%.1f years", age[flagged]).astype(object)
    with np.errstate(invalid="ignore"):
        implausible = (age > AGE_PLAUSIBLE_MAX)
        col.add(implausible, "birth_date", "age.range", "error",
                f"the age at first metastasis is over {AGE_PLAUSIBLE_MAX:g} years: check the "
                "birth date", shown)
        if age_min is not None:
            col.add((age < age_min) & ~implausible, "birth_date", "age.range", "warning",
                    f"the age at first metastasis is below the protocol's minimum "
                    f"({age_min:g} years): the patient is not included", shown)
        if age_max is not None:
            col.add((age > age_max) & ~implausible, "birth_date", "age.range", "warning",
                    f"the age at first metastasis is above the protocol's maximum "
                    f"({age_max:g} years): the patient is not included", shown)
    return age, _duplicates(p, col)


def _id_frame(p: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The filled-in ids with their centre (missing: "") and row number, and which rows
    have an id."""
    ids = p["patient_id"]
    has = ids.notna().to_numpy()
    return pd.DataFrame({"id": ids, "centre": p["centre"].fillna(""), "row": rows})[has], has


def _codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of the ids and of the centres, and the number of distinct (centre, id)."""
    ic = pd.factorize(frame["id"].to_numpy(dtype=object))[0]
    cc = pd.factorize(frame["centre"].to_numpy(dtype=object))[0]
    return ic, cc, _n_distinct(cc, ic)  # pairs: as many as rows when no id repeats


def _duplicates(p: pd.DataFrame, col: Collector) -> bool:
    """The duplicate-id rules; returns whether an id is used in several centres."""
    frame, has = _id_frame(p, col.rows)
    ic, cc, pairs = _codes(frame)
    dup = (frame.duplicated(["centre", "id"], keep=False) if pairs < len(frame)
           else pd.Series(False, index=frame.index))
    if dup.any():
        d = frame[dup]
        g = d.groupby(["centre", "id"], sort=False)["row"]
        first = g.transform("min")
        second = g.transform(lambda s: s.nsmallest(2).iloc[-1])
        other = np.where(d["row"] == first, second, first)
        mask = np.zeros(len(p), bool)
        pos = np.flatnonzero(has)[dup.to_numpy()]
        mask[pos] = True
        values = np.full(len(p), "", dtype=object)
        values[pos] = [f"duplicate of row {int(r)}" for r in other]
        col.add(mask, "patient_id", "duplicate_id", "error",
                "this patient id appears more than once in the same centre: merge the rows "
                "or correct the id", values)
    del dup
    _case_duplicates(frame, has, col, cc, pairs)
    return pairs > _n_distinct(ic)


def centre_id_rule(p: pd.DataFrame, col: Collector) -> None:
    """Ids used in several centres when the treatments table has no centre column (rule
    ``duplicate_id.centre``), run once the treatments table is known (after
    :func:`patient_rules`, whose problems come first); only needed when
    :func:`patient_rules` says an id is used in several centres."""
    frame, has = _id_frame(p, col.rows)
    ic, _, pairs = _codes(frame)
    if pairs > _n_distinct(ic):  # an id in several centres
        per_id = frame.drop_duplicates(["centre", "id"]).groupby("id")["centre"].transform("size")
        multi = frame.drop_duplicates(["centre", "id"])[per_id > 1]
        if len(multi):
            mask = np.zeros(len(p), bool)
            pos = np.flatnonzero(has)[frame["id"].isin(multi["id"]).to_numpy()]
            mask[pos] = True
            col.add(mask, "patient_id", "duplicate_id.centre", "warning",
                    "this patient id is used in several centres and the treatments table has "
                    "no centre column: a treatment with this id cannot be linked (error "
                    "treatment.ambiguous_patient, the patients are excluded); make ids unique "
                    "(e.g. prefix the centre) or add a centre column to the treatments table",
                    "same id in another centre")


def _n_distinct(*codes: np.ndarray) -> int:
    """Number of distinct tuples of non-negative integer codes (one per row)."""
    if not codes[0].size:
        return 0
    key = codes[0].astype(np.int64)
    for c in codes[1:]:
        key = key * (int(c.max()) + 1) + c
    return int(pd.unique(key).size)


def _case_duplicates(frame: pd.DataFrame, has: np.ndarray, col: Collector,
                     centre_codes: np.ndarray, pairs: int) -> None:
    """Ids of one centre that differ only by case ("syn-01" and "SYN-01"): a warning.

    ``pairs`` is the number of distinct (centre, id): when the ids compared ignoring case
    give as many (centre, key) pairs, no key has two spellings and nothing is grouped.
    """
    ids = frame["id"].to_numpy(dtype=object)
    if _n_distinct(centre_codes, _key_codes(ids)) == pairs:
        return
    keyed = frame.assign(low=pd.Series(id_key(ids), index=frame.index))
    n_spellings = keyed.groupby(["centre", "low"], sort=False)["id"].transform("nunique")
    flagged = (n_spellings > 1).to_numpy()
    if not flagged.any():
        return
    sub = keyed[flagged]
    rows = sub.groupby(["centre", "low"], sort=False)["row"].transform(
        lambda r: ", ".join(str(int(x)) for x in sorted(r)))
    mask = np.zeros(len(has), bool)
    mask[np.flatnonzero(has)[flagged]] = True
    msgs = np.full(len(has), "", dtype=object)
    msgs[np.flatnonzero(has)[flagged]] = [
        f"this patient id differs from another id of the same centre only by upper/lower case, "
        "spaces or leading zeros "
        f"(rows {r}): probably the same patient; correct the id, or merge the rows" for r in rows]
    col.add(mask, "patient_id", "duplicate_id.case", "warning", msgs, "same id, other case")


def _key(s: pd.Series) -> pd.Series:
    """Centre names compared ignoring case and surrounding spaces."""
    return pd.Series(_folded(s.to_numpy(dtype=object), whole_numbers=False), index=s.index)


def id_key(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Patient ids as compared for linking: ignoring upper/lower case and surrounding
    spaces, and whole numbers ignoring leading zeros (``00001`` = ``1`` = ``1.0``).

    >>> id_key(["00001", " abc ", "ABC", "1.0", None, "P001"]).tolist()
    ['1', 'abc', 'abc', '1', None, 'p001']
    """
    return _folded(values, whole_numbers=True)


def _folded_python(values: Sequence[object] | np.ndarray, whole_numbers: bool) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    for i, v in enumerate(values):
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            continue
        t = str(v).strip().casefold()
        if whole_numbers and _WHOLE.fullmatch(t):
            t = str(int(t.split(".")[0]))
        out[i] = t
    return out


def _key_codes(ids: np.ndarray) -> np.ndarray:
    """Integer codes of the ids' :func:`id_key` (equal keys, equal codes; -1 for None),
    by Arrow's hashing when every id is printable ASCII text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        a = pa.array(ids, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        a = None
    if a is None or not pc.all(pc.ascii_is_printable(a)).as_py():
        return pd.factorize(id_key(ids))[0]
    enc = pc.dictionary_encode(_fold_ascii(a, whole_numbers=True))
    return enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _fold_ascii(a, whole_numbers: bool):
    """:func:`_folded` of printable ASCII Arrow text, in Arrow."""
    import pyarrow.compute as pc

    t = pc.ascii_lower(pc.utf8_trim(a, " "))
    if whole_numbers:
        t = pc.replace_substring_regex(t, r"^\+?0*(\d+)(?:\.0*)?$", r"\1")
    return t


def _folded(values: Sequence[object] | np.ndarray, whole_numbers: bool) -> np.ndarray:
    """``str(v).strip().casefold()`` of each value (None for missing), and whole numbers
    without leading zeros or sign (``+007.0`` -> ``7``) when ``whole_numbers``.

    Texts of printable ASCII characters go through Arrow's kernels (for them Python's
    ``strip`` removes spaces only and ``casefold`` is ``lower``); the others (accents,
    tabs, numbers as numbers) through Python, so the keys are Python's exactly.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from sarcohort.data.validation._coerce import arrow_objects

    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if len(arr) == 0:
        return np.full(0, None, dtype=object)
    try:
        a = pa.array(arr, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # cells that are not text
        return _folded_python(arr, whole_numbers)
    printable = pc.ascii_is_printable(a).fill_null(True)
    out = arrow_objects(_fold_ascii(a, whole_numbers))
    odd = np.flatnonzero(~printable.to_numpy(zero_copy_only=False))
    if odd.size:
        out[odd] = _folded_python(arr[odd], whole_numbers)
    return out


_WHOLE = re.compile(r"[+]?\d+(?:\.0*)?")


def _match(pk: pd.DataFrame, col: str, tid: np.ndarray, tc: np.ndarray, use_c: np.ndarray,
           rows: np.ndarray, count: np.ndarray, first: np.ndarray) -> None:
    """Count the patients matching each treatment row of ``rows`` on ``col`` (and centre)."""
    by_id = rows & ~use_c
    if by_id.any() and not _match_unique(pk, col, tid, by_id, count, first):
        # patients per distinct key, then one hash look-up per treatment row
        codes, uniq = pd.factorize(pk[col].to_numpy(dtype=object))
        known = codes >= 0
        kc = codes[known]
        del codes
        # one more slot than keys, for the ids no patient has (position -1): no patient
        size = np.bincount(kc, minlength=len(uniq) + 1)
        # keys are numbered in order of first appearance: a key's first patient is where
        # its number first exceeds all before it (np.unique's return_index, without a sort)
        fresh = np.ones(len(kc), bool)
        fresh[1:] = kc[1:] > np.maximum.accumulate(kc)[:-1]
        first_pos = np.append(pk["pos"].to_numpy()[known][fresh], -1)
        del kc, fresh, known
        j = _positions(uniq, tid if by_id.all() else tid[by_id])
        del uniq
        count[by_id] = size[j]
        first[by_id] = first_pos[j]
        del j
    by_c = rows & use_c
    if by_c.any():
        g = pk.groupby(["centre", col], sort=False)["pos"].agg(["size", "first"])
        hit = g.reindex(pd.MultiIndex.from_arrays([tc[by_c], tid[by_c]]))
        count[by_c] = hit["size"].fillna(0).to_numpy(dtype=np.int64)
        first[by_c] = hit["first"].fillna(-1).to_numpy(dtype=np.int64)


def _match_unique(pk: pd.DataFrame, col: str, tid: np.ndarray, by_id: np.ndarray,
                  count: np.ndarray, first: np.ndarray) -> bool:
    """:func:`_match` by ``col`` alone when every patient's key is filled in and distinct
    (a registry's ids): one hash table of the keys both says so and finds each treatment
    row's patient (no factorizing of the keys). False, with nothing done, otherwise."""
    keys = pd.Index(pk[col].to_numpy(dtype=object), dtype=object)
    if keys.hasnans or not keys.is_unique:
        return False
    j = keys.get_indexer(tid if by_id.all() else tid[by_id])
    count[by_id] = j >= 0
    first[by_id] = np.append(pk["pos"].to_numpy(), -1)[j]
    return True


def _positions(uniq: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in the distinct values ``uniq`` (-1 when absent), by one hash
    table of ``uniq`` (Python's equality): no copy of ``values`` (a registry's treatment
    ids, already Python strings) into another form."""
    return pd.Index(uniq, dtype=object).get_indexer(values)


def link_treatments(p: pd.DataFrame, t: pd.DataFrame, tcol: Collector,
                    patient_rows: np.ndarray | None = None, *,
                    on_unlinked: str = "error") -> tuple[np.ndarray, np.ndarray]:
    """Link each treatment row to its patient.

    A row is linked on ``patient_id`` alone, or on (``centre``, ``patient_id``) when
    the treatments table has a ``centre`` column and the row's centre is filled in. Ids
    are first compared as written, then, for rows still unlinked, ignoring case,
    surrounding spaces and leading zeros of whole numbers (:func:`id_key`; an ``info``
    problem counts those rows).
    A row whose key matches no patient is a problem ``treatment.unknown_patient``: an
    error, or a warning when ``on_unlinked`` is ``"ignore"`` (the protocol's
    ``[data] on_unlinked_treatments``); one whose key matches several patients (the
    same id in two centres, and no centre to tell them apart) is an error
    ``treatment.ambiguous_patient``: it is linked to nobody rather than to the wrong
    patient, and those patients are returned so that they are excluded (their
    treatment covariates would be wrong).

    ``patient_rows`` are the patients' row numbers in their file (for the messages).

    Returns
    -------
    position, ambiguous
        Position of each treatment's patient in the patients table (-1 when none or
        several), and the positions of the patients sharing an ambiguous id.
    """
    has = p["patient_id"].notna().to_numpy()
    rows = (np.arange(2, len(p) + 2) if patient_rows is None
            else np.asarray(patient_rows, dtype=np.int64))
    pids = p["patient_id"].to_numpy(dtype=object)[has]
    n = len(t)
    tid = t["patient_id"].to_numpy(dtype=object)
    by_centre = "centre" in t.columns and t["centre"].notna().any()

    def with_centres(pk: pd.DataFrame) -> None:  # the centres: to link by them, or to say
        pk["centre"] = _key(p["centre"]).to_numpy(dtype=object)[has]

    pk = pd.DataFrame({"id": pids, "pos": np.flatnonzero(has)})
    if by_centre:
        with_centres(pk)
    # centres of the rows (read only where use_c: none without a centre column)
    tc = _key(t["centre"]).to_numpy(dtype=object) if by_centre else np.full(0, None, object)
    use_c = pd.notna(tc) if by_centre else np.zeros(n, bool)
    named = pd.notna(tid)
    count = np.zeros(n, np.int64)
    first = np.full(n, -1, np.int64)
    _match(pk, "id", tid, tc, use_c, named, count, first)
    loose = named & (count == 0)
    # the loose keys (ignoring case, spaces, leading zeros) where they are used: rows not
    # linked as written, and rows with a centre (is the id in another centre?)
    tkey = np.full(n, None, dtype=object)
    keyed = loose | use_c
    if keyed.any():
        tkey[keyed] = id_key(tid[keyed])
    pk["key"] = id_key(pids) if keyed.any() else np.full(len(pids), None, dtype=object)
    _match(pk, "key", tkey, tc, use_c, loose, count, first)
    loose &= count > 0
    n_loose = int((loose & (count == 1)).sum())
    if n_loose:
        tcol.add_table("patient_id", "treatment.id_normalised", "info",
                       f"{n_loose} treatment row(s) were linked to their patient after ignoring "
                       "upper/lower case, surrounding spaces or leading zeros of the patient id "
                       "('abc' = 'ABC', '00001' = '1'): write the ids the same way in both "
                       "tables", str(n_loose))
    pos = np.where(count == 1, first, -1)
    id_elsewhere = ((pd.Index(tkey, dtype=object).isin(pk["key"]) & use_c) if use_c.any()
                    else np.zeros(n, bool))
    severity = "warning" if on_unlinked == "ignore" else "error"
    then = (" This row is ignored, as [data] on_unlinked_treatments = \"ignore\" says."
            if on_unlinked == "ignore" else "")
    tcol.add(named & (count == 0) & ~id_elsewhere, "patient_id", "treatment.unknown_patient",
             severity,  # type: ignore[arg-type]
             "no patient with this id in the patients table (even ignoring case, spaces and "
             "leading zeros): correct the id or add the patient." + then,
             "no patient with this id")
    tcol.add(named & (count == 0) & id_elsewhere, "centre", "treatment.unknown_patient",
             severity,  # type: ignore[arg-type]
             "no patient with this id in this centre (the id exists in another centre): "
             "correct the centre or the id." + then, t["centre"] if by_centre else "")
    amb = np.flatnonzero(named & (count > 1))
    if not amb.size:
        return pos, np.zeros(0, np.int64)
    if not by_centre:
        with_centres(pk)
    pk["shown"] = p["centre"].to_numpy(dtype=object)[has]
    pk["row"] = rows[has]
    where: dict[tuple[str, object], list[tuple[int, object, object, int]]] = {}
    for col, ids in (("id", tid), ("key", tkey)):
        sub = pk[pk[col].isin({v for v in ids[amb] if v is not None})]
        for rec in zip(sub[col], sub["row"], sub["shown"], sub["centre"], sub["pos"],
                       strict=True):
            where.setdefault((col, rec[0]), []).append(rec[1:])
    msgs = np.full(n, "", dtype=object)
    done: dict[tuple, str] = {}
    concerned: set[int] = set()
    for i in amb:
        col, ident = ("key", tkey[i]) if loose[i] else ("id", tid[i])
        key = (tc[i] if use_c[i] else None, col, ident)
        if key not in done:
            hits = sorted(h for h in where[(col, ident)] if key[0] is None or h[2] == key[0])
            concerned.update(h[3] for h in hits)
            several = len({h[2] for h in hits}) > 1
            listing = ", ".join(f"row {r}" + (f" ({c})" if several and pd.notna(c) else "")
                                for r, c, _, _ in hits)
            place = ("patients in several centres" if several
                     else "several patients of the same centre")
            done[key] = (f"this patient id belongs to {place} ({listing} of the patients "
                         "table" + (", ignoring case, spaces and leading zeros" if loose[i]
                                    else "")
                         + "): the treatment cannot be linked to one of them; add a centre "
                         "column to the treatments table or make the ids unique")
        msgs[i] = done[key]
    mask = np.zeros(n, bool)
    mask[amb] = True
    tcol.add(mask, "patient_id", "treatment.ambiguous_patient", "error", msgs,
             "id of several patients")
    return pos, np.array(sorted(concerned), dtype=np.int64)


def treatment_rules(p: pd.DataFrame, t: pd.DataFrame, pos: np.ndarray, tcol: Collector,
                    today: object | None = None) -> None:
    """Treatment dates against the patient's dates, and line numbers."""
    now = np.datetime64(pd.Timestamp(today or pd.Timestamp.today()).normalize().to_datetime64(), "ns")
    _date_range(t, ("start_date", "end_date", "response_date", "line_progression_date"), tcol, now)
    start = _d(t, "start_date")
    linked = pos >= 0

    def take(col: str) -> np.ndarray:
        values = np.append(_d(p, col), np.datetime64("NaT"))  # position -1: no patient
        return values[np.where(linked, pos, len(p))]

    met = take("first_metastasis_date")
    fu = take("last_followup_date")
    death = take("death_date")
    last = np.where(np.isnat(death), fu, np.where(np.isnat(fu), death, np.maximum(fu, death)))
    last = np.where(linked, last, np.datetime64("NaT"))
    tcol.add(_lt(start, met), "start_date", "date.order.treatment", "error",
             "the treatment starts before the first metastasis: check the dates (treatments of "
             "the primary tumour do not belong in this table)", start)
    tcol.add(_lt(last, start), "start_date", "date.order.treatment_followup", "warning",
             "the treatment starts after the last follow-up (or death): check the dates",
             start)
    del met, fu, death, last  # a column of dates per treatment each: not kept for the lines
    kind = t["kind"].to_numpy(dtype=object)
    systemic, has_kind = kind == "systemic", pd.notna(kind)  # for the lines' rules too
    del kind
    has_line = t["line"].notna().to_numpy()
    tcol.add(has_line & ~systemic & has_kind, "line", "treatment.line",
             "warning", "a line number is given for a treatment that is not systemic: remove it",
             t["line"])
    tcol.add(~has_line & systemic, "line", "treatment.line", "warning",
             "the line number of this systemic treatment is missing: it is counted as one line")
    del has_line
    line_rules(t, pos, tcol, (systemic, has_kind))


def line_rules(t: pd.DataFrame, pos: np.ndarray, tcol: Collector,
               kinds: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """The course of treatment: end dates and reasons, line order and overlap, responses.

    Rules ``date.order.treatment_end``, ``date.order.line_progression``,
    ``date.order.response``, ``treatment.end_reason``, ``treatment.response_not_systemic``,
    ``treatment.line_order`` (error: line k+1 starts before line k of the same patient) and
    ``treatment.line_overlap`` (warning: line k ends after line k+1 starts).

    ``kinds``: which rows are systemic and which have a kind, when known already.
    """
    start, end = _d(t, "start_date"), _d(t, "end_date")
    prog, resp = _d(t, "line_progression_date"), _d(t, "response_date")
    if kinds is None:
        kind = t["kind"].to_numpy(dtype=object)
        kinds = (kind == "systemic", pd.notna(kind))
        del kind
    systemic, has_kind = kinds
    reason = t["end_reason"].to_numpy(dtype=object)
    tcol.add(_lt(end, start), "end_date", "date.order.treatment_end", "error",
             "the treatment ends before it starts: check the dates", end)
    tcol.add(_lt(prog, start), "line_progression_date", "date.order.line_progression", "error",
             "the progression on this line is dated before the line starts: check the dates",
             prog)
    tcol.add(_lt(resp, start) | _lt(prog, resp), "response_date", "date.order.response",
             "error", "the response is dated before the line starts or after the progression "
             "on this line: check the dates", resp)
    tcol.add(~np.isnat(end) & (reason == "ongoing"), "end_reason", "treatment.end_reason",
             "warning", "the treatment is marked ongoing but has an end date: remove one",
             "ongoing")
    tcol.add(np.isnat(end) & pd.notna(reason) & (reason != "ongoing"), "end_date",
             "treatment.end_reason", "warning",
             "an end reason is given without an end date: add the date the treatment ended")
    not_sys = ~systemic & has_kind
    tcol.add(not_sys & t["best_response"].notna().to_numpy(), "best_response",
             "treatment.response_not_systemic", "warning",
             "a best response is given for a treatment that is not systemic: it is not counted "
             "in the response tables")
    tcol.add(not_sys & ~np.isnat(prog), "line_progression_date",
             "treatment.response_not_systemic", "warning",
             "a line progression date is given for a treatment that is not systemic: it is "
             "ignored")
    line = t["line"].to_numpy(dtype=float, na_value=np.nan)
    ok = systemic & (pos >= 0) & ~np.isnan(line) & ~np.isnat(start)
    if not ok.any():
        return
    early, overlap = line_flags(pos, line, start, end, np.flatnonzero(ok))
    del line, ok

    def rows_of(at: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(t), bool)
        mask[at] = True
        return mask

    tcol.add(rows_of(early), "start_date", "treatment.line_order", "error",
             "this line starts before the line numbered below it: check the line numbers and "
             "dates (per-line outcomes would be wrong)", start)
    tcol.add(rows_of(overlap), "start_date", "treatment.line_overlap", "warning",
             "this line starts before the previous line ends: check the end date of the "
             "previous line", start)


def line_flags(patient: np.ndarray, line: np.ndarray, start: np.ndarray, end: np.ndarray,
               rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of the treatment rows ``rows``, those of the lines (patient, line number) that start
    before the line numbered below them, and those of the lines that start before the
    previous line of the patient ends.

    A line starts at its rows' first start and ends at their last end (missing ends
    ignored; missing when all are). At ``rows``, ``start`` is never missing and ``line``
    never NaN.

    Returns
    -------
    early, overlap
        Positions of the rows of such lines (into the arrays given), in order.

    One sort of the rows (a registry's 2 M rows: no grouping tables, no index of pairs);
    the rows in (patient, line) order are the only copy of the columns held at a time.
    """
    at = rows[np.lexsort((line[rows], patient[rows]))]  # the rows in (patient, line) order
    del rows
    p = patient[at]
    ln = line[at]
    new = np.ones(len(at), bool)
    new[1:] = (p[1:] != p[:-1]) | (ln[1:] != ln[:-1])
    del ln
    first = np.flatnonzero(new)
    lead = p[first]
    del p
    # dates as int64 nanoseconds: a missing end (NaT) is the smallest value, so the
    # maximum ignores it unless the line has no end at all
    s = np.minimum.reduceat(start.astype("datetime64[ns]", copy=False).view(np.int64)[at],
                            first)
    e = np.maximum.reduceat(end.astype("datetime64[ns]", copy=False).view(np.int64)[at],
                            first)
    nat = np.datetime64("NaT", "ns").view(np.int64)
    same = lead[1:] == lead[:-1]
    early = np.zeros(len(first), bool)
    early[1:] = same & (s[1:] < s[:-1])
    overlap = np.zeros(len(first), bool)
    overlap[1:] = same & (e[:-1] != nat) & (e[:-1] > s[1:])
    del s, e, same, lead, first
    line_of = np.cumsum(new) - 1  # each sorted row's line
    return (np.sort(at[early[line_of]]), np.sort(at[overlap[line_of]]))
