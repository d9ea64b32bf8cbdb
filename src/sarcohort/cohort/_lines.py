"""The course of systemic treatment: one row per patient and line, with per-line endpoints.

Times are days from the first metastasis (the cohort's origin). The patient's follow-up
ends where overall survival ends (``os_days``; death when ``os_event``), so a data
cut-off applies to every per-line endpoint as it does to OS. For line *k* of a patient:

``pfs`` (per-line progression-free survival, PFS1, PFS2, ...)
    From the start of line *k* to the progression on line *k* or death, whichever comes
    first; censored at the end of follow-up. When line *k + 1* starts with no
    progression recorded on line *k*, PFS on line *k* is censored at that start (the
    progression, if any, is undocumented: it is not invented).
``ttnt`` (time to next treatment)
    From the start of line *k* to the start of line *k + 1* or death; censored at the end
    of follow-up.
``time_on_line`` (duration of treatment)
    From the start of line *k* to its end date (event: the line ended, whatever the
    reason); censored at the end of follow-up while it is ongoing.
``dor`` (duration of response)
    For lines whose best response is CR or PR and whose response date is known: from that
    date to the progression on line *k* or death; censored at the end of follow-up.

A line held in several rows (two drugs entered separately) is one line: it starts at
the earliest start, ends at the latest end, its regimens are joined with " + " (as
written, in order of start), its best response is the best of its rows (CR > PR > SD >
PD > NE) and it is in a trial if any row is. Systemic rows without a line number are
left out of the per-line table and counted (``unnumbered_rows``); validation warns
about each of them.

Examples
--------
>>> import numpy as np
>>> e = line_endpoints(patient=np.array([0, 0]), line=np.array([1, 2]),
...                    start=np.array([10., 100.]), end=np.array([90., np.nan]),
...                    progression=np.array([95., np.nan]), response=np.array([np.nan, np.nan]),
...                    responder=np.array([False, False]),
...                    followup=np.array([300.]), death=np.array([True]))
>>> e["pfs_days"].tolist(), e["pfs_event"].tolist()
([85.0, 200.0], [True, True])
>>> e["ttnt_days"].tolist(), e["ttnt_event"].tolist()
([90.0, 200.0], [True, True])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sarcohort.data._days import days_between
from sarcohort.data._schema import OBJECTIVE_RESPONSES

#: Best response first.
RESPONSE_ORDER: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")

#: Columns of :func:`treatment_lines`, in order.
LINE_COLUMNS: tuple[str, ...] = (
    "pseudo_id", "line", "regimen", "in_trial", "best_response", "end_reason",
    "start_days", "end_days", "progression_days", "response_days",
    "pfs_days", "pfs_event", "ttnt_days", "ttnt_event",
    "time_on_line_days", "time_on_line_event", "dor_days", "dor_event",
)


def line_endpoints(*, patient: np.ndarray, line: np.ndarray, start: np.ndarray,
                   end: np.ndarray, progression: np.ndarray, response: np.ndarray,
                   responder: np.ndarray, followup: np.ndarray, death: np.ndarray,
                   ) -> dict[str, np.ndarray]:
    """Per-line endpoints from day counts (the kernel of :func:`treatment_lines`).

    Parameters
    ----------
    patient
        Index of each line's patient into ``followup``/``death``; lines must be sorted by
        patient then line number.
    line
        Line numbers.
    start, end, progression, response
        Days from the origin to the line's start, end, progression on the line and first
        objective response (NaN: none recorded).
    responder
        Best response on the line is CR or PR.
    followup, death
        Per patient: days to the end of follow-up (OS time) and whether it ends by death.

    Returns
    -------
    dict of arrays
        ``pfs_days, pfs_event, ttnt_days, ttnt_event, time_on_line_days,
        time_on_line_event, dor_days, dor_event`` (``dor_*`` NaN/False for non-responders
        or a missing response date).
    """
    patient = np.asarray(patient, dtype=np.int64)
    fu = np.asarray(followup, float)[patient]
    dead = np.asarray(death, bool)[patient]
    start = np.asarray(start, float)
    n = start.size
    same_next = np.zeros(n, bool)
    same_next[:-1] = patient[1:] == patient[:-1]
    next_start = np.full(n, np.nan)
    next_start[:-1] = np.where(same_next[:-1], start[1:], np.nan)
    # events beyond the end of follow-up (a cut-off) are not seen
    prog = np.where(np.asarray(progression, float) <= fu, progression, np.nan)
    nxt = np.where(next_start <= fu, next_start, np.nan)
    stop = np.asarray(end, float)
    stop = np.where(stop <= fu, stop, np.nan)

    has_prog = ~np.isnan(prog)
    # progression on the line, else censored at the next line's start, else death / follow-up
    pfs_end = np.where(has_prog, prog, np.where(~np.isnan(nxt), nxt, fu))
    pfs_event = has_prog | (np.isnan(nxt) & dead)
    ttnt_end = np.where(~np.isnan(nxt), nxt, fu)
    ttnt_event = ~np.isnan(nxt) | dead
    on_end = np.where(~np.isnan(stop), stop, fu)
    on_event = ~np.isnan(stop)
    resp = np.asarray(response, float)
    has_resp = np.asarray(responder, bool) & ~np.isnan(resp) & (resp <= fu)
    dor_end = np.where(has_prog, prog, fu)
    dor_event = has_resp & (has_prog | dead)
    return {
        "pfs_days": pfs_end - start,
        "pfs_event": pfs_event,
        "ttnt_days": ttnt_end - start,
        "ttnt_event": ttnt_event,
        "time_on_line_days": on_end - start,
        "time_on_line_event": on_event,
        "dor_days": np.where(has_resp, dor_end - resp, np.nan),
        "dor_event": dor_event,
    }


def _codes(values: np.ndarray, value_of: dict | None = None, *, strip: bool = False,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct value as a code (-1: missing, or not in ``value_of``) and the
    values of the codes: one hash pass over the rows, Python only per distinct value.

    ``strip``: texts stripped, empty or non-text values missing; ``value_of``: distinct
    values mapped through it (values it does not hold are missing).
    """
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    shown: list[object] = []
    for u in uniques:
        if strip:
            u = u.strip() if isinstance(u, str) and u.strip() else None
        if value_of is not None:
            u = value_of.get(u)
        shown.append(u)
    # distinct values that read the same after stripping share a code
    canon, names = pd.factorize(pd.Series(shown, dtype=object), use_na_sentinel=True)
    table = np.append(canon, -1).astype(np.int64)  # code -1 (missing) stays -1
    return table[codes], np.asarray(names, dtype=object)


def _last_present(present: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (rows ``starts[k]`` to the next start), the last row where ``present``
    holds, or -1."""
    where = np.where(present, np.arange(present.size), -1)
    return np.maximum.reduceat(where, starts) if present.size else np.zeros(0, np.int64)


def _join_in_groups(text: np.ndarray, names: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each group's distinct texts (codes ``text``, -1 missing), in row order, joined by
    `` + `` (None when none): a Python join only for groups holding two texts or more."""
    has = text >= 0
    count = np.add.reduceat(has.astype(np.int64), starts)
    out = np.full(starts.size, None, dtype=object)
    single = count == 1
    last = _last_present(has, starts)
    out[single] = names[text[last[single]]]
    ends = np.append(starts[1:], text.size)
    for k in np.flatnonzero(count > 1):
        codes = text[starts[k]:ends[k]]
        out[k] = " + ".join(names[c] for c in dict.fromkeys(codes[codes >= 0].tolist()))
    return out


def treatment_lines(patients: pd.DataFrame, treatments: pd.DataFrame, *,
                    positions: np.ndarray | None = None, systemic: np.ndarray | None = None,
                    ) -> tuple[pd.DataFrame, int]:
    """One row per patient and systemic line, with the per-line endpoints.

    Parameters
    ----------
    patients
        The cohort's patients, indexed by pseudonymous id, with ``first_metastasis_date``,
        ``os_days`` and ``os_event``.
    treatments
        The cohort's treatments (``pseudo_id``, ``kind``, ``line``, dates...).
    positions
        Each treatment row's patient as a position in ``patients`` (-1: none), when the
        caller has it already (default: looked up from ``pseudo_id``).
    systemic
        Each treatment row is systemic (``kind == "systemic"``), when the caller has it
        already.

    Returns
    -------
    lines, unnumbered_rows
        The per-line table (columns :data:`LINE_COLUMNS`, sorted by patient then line;
        days from the first metastasis) and the number of systemic rows without a line
        number, which are not in it.

    Notes
    -----
    Rows are grouped by the patient's position in ``patients`` (an integer sort, never
    one on the identifier's text) and aggregated with ``reduceat`` over the sorted rows;
    Python runs per distinct regimen or response text, and per line held in two rows or
    more with two regimens.
    """
    if systemic is None:
        systemic = (treatments["kind"] == "systemic").to_numpy(dtype=bool)
    rows = np.flatnonzero(systemic)
    pos = (pd.Index(patients.index).get_indexer(treatments["pseudo_id"].to_numpy()[rows])
           if positions is None else np.asarray(positions, dtype=np.int64)[rows])
    line = _numbers(treatments["line"], rows)
    numbered = ~np.isnan(line) & (pos >= 0)
    unnumbered = int((~numbered).sum())
    if not numbered.any():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LINE_COLUMNS}), unnumbered
    rows, pos, line = rows[numbered], pos[numbered], line[numbered].astype(np.int64)
    met = patients["first_metastasis_date"].to_numpy(dtype="datetime64[ns]")[pos]

    def column(col: str) -> np.ndarray:
        if col not in treatments:
            return np.full(rows.size, None, dtype=object)
        return treatments[col].to_numpy()[rows]

    def days(col: str) -> np.ndarray:
        if col not in treatments:
            return np.full(rows.size, np.nan)
        return days_between(met, treatments[col].to_numpy()[rows])

    start = days("start_date")
    # by patient, line, then start (missing last), stable: the order regimens are joined in;
    # a registry's rows come in that order already (checked in one pass: no sort, no copy)
    if not _in_order(pos, line, start):
        order = np.lexsort((start, line, pos))
        pos, line, start = pos[order], line[order], start[order]
        rows, met = rows[order], met[order]  # column() and days() read the sorted rows
        del order
    del numbered
    first = np.ones(rows.size, bool)
    first[1:] = (pos[1:] != pos[:-1]) | (line[1:] != line[:-1])
    starts = np.flatnonzero(first)
    pid = pos[starts]
    del pos, first
    # each column of the table as soon as its inputs are read, the row arrays it needed
    # dropped then: a registry's lines are a million rows each
    cols: dict[str, Any] = {"pseudo_id": pd.Index(patients.index).to_numpy()[pid],
                            "line": line[starts]}
    del line
    resp, resp_names = _codes(column("best_response"), {r: r for r in RESPONSE_ORDER})
    ranks = np.array([float(RESPONSE_ORDER.index(r)) for r in resp_names] + [np.nan])
    best = np.fmin.reduceat(ranks[resp], starts)  # the best response: the smallest rank
    del resp
    rank = np.nan_to_num(best).astype(np.int64)
    cols["best_response"] = np.where(np.isnan(best), np.array(None, dtype=object),
                                     np.array(RESPONSE_ORDER, dtype=object)[rank])
    responds = np.array([r in OBJECTIVE_RESPONSES for r in RESPONSE_ORDER])
    responder = ~np.isnan(best) & responds[rank]
    del best, rank
    regimen, regimen_names = _codes(column("regimen"), strip=True)
    cols["regimen"] = _join_in_groups(regimen, regimen_names, starts)
    del regimen
    reason = column("end_reason")
    reason_last = _last_present(~pd.isna(reason), starts)
    cols["end_reason"] = np.where(reason_last >= 0, reason[np.maximum(reason_last, 0)], None)
    del reason, reason_last
    trial = (column("in_trial") == "yes") if "in_trial" in treatments else np.zeros(rows.size, bool)
    cols["in_trial"] = np.logical_or.reduceat(np.asarray(trial, dtype=bool), starts)
    del trial
    cols["start_days"] = np.fmin.reduceat(start, starts)
    del start
    cols["end_days"] = np.fmax.reduceat(days("end_date"), starts)
    cols["progression_days"] = np.fmin.reduceat(days("line_progression_date"), starts)
    cols["response_days"] = np.fmin.reduceat(days("response_date"), starts)
    cols.update(line_endpoints(
        patient=pid, line=cols["line"], start=cols["start_days"], end=cols["end_days"],
        progression=cols["progression_days"], response=cols["response_days"],
        responder=responder, followup=patients["os_days"].to_numpy(float),
        death=patients["os_event"].to_numpy(bool)))
    # one frame of the columns in their order: no column added and no copy afterwards (the
    # per-line table of a registry is a million rows)
    return pd.DataFrame({c: cols[c] for c in LINE_COLUMNS}, copy=False), unnumbered


def _in_order(pos: np.ndarray, line: np.ndarray, start: np.ndarray) -> bool:
    """Whether the rows are sorted by ``pos``, then ``line``, then ``start`` (NaN last, as
    ``np.lexsort`` puts it): their stable lexsort is then the identity."""
    if pos.size < 2:
        return True
    dp, dl = np.diff(pos), np.diff(line)
    s0, s1 = start[:-1], start[1:]
    with np.errstate(invalid="ignore"):
        start_ok = (s0 <= s1) | np.isnan(s1)
    return bool(np.all((dp > 0) | ((dp == 0) & ((dl > 0) | ((dl == 0) & start_ok)))))


def _numbers(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """A column's numbers at ``rows`` as floats (NaN: missing or not a number): a numeric
    column (``Int64`` as validated) without a Python object per row."""
    if values.dtype.kind in "iuf":
        return values.to_numpy(dtype=float, na_value=np.nan)[rows]
    picked = pd.Series(values.to_numpy()[rows], dtype=object)
    return pd.to_numeric(picked, errors="coerce").to_numpy(float)
