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


def _best_by_group(responses: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """The best response of each group (first of :data:`RESPONSE_ORDER` present, else None):
    the smallest rank per group, one vectorised group-by (no Python call per group)."""
    rank = responses.map({r: float(i) for i, r in enumerate(RESPONSE_ORDER)})
    best = rank.groupby(keys, sort=True).min()
    names = np.array([*RESPONSE_ORDER, None], dtype=object)
    codes = np.where(best.isna(), len(RESPONSE_ORDER), best.fillna(0)).astype(np.int64)
    return pd.Series(names[codes], index=best.index, dtype=object)


def _join(values: pd.Series) -> object:
    seen = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
    return " + ".join(dict.fromkeys(seen)) or None


def _join_by_group(values: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Each group's distinct non-empty texts, stripped, in order, joined by `` + `` (None when
    none): a Python join only for the groups holding two texts or more."""
    text = values.where(values.map(lambda v: isinstance(v, str))).str.strip()
    text = text.where(text.str.len() > 0)
    frame = pd.DataFrame({"k0": keys[0].to_numpy(), "k1": keys[1].to_numpy(), "v": text.to_numpy()})
    index = frame.groupby(["k0", "k1"], sort=True).size().index
    some = frame.dropna(subset=["v"]).drop_duplicates()
    n = some.groupby(["k0", "k1"], sort=True)["v"].transform("size")
    single = some[n == 1].set_index(["k0", "k1"])["v"]
    multi = some[n > 1].groupby(["k0", "k1"], sort=True)["v"].agg(" + ".join)
    out = pd.concat([single, multi]).reindex(index)
    out.index.names = [keys[0].name, keys[1].name]
    return out.astype(object).where(out.notna(), None)


def treatment_lines(patients: pd.DataFrame, treatments: pd.DataFrame,
                    ) -> tuple[pd.DataFrame, int]:
    """One row per patient and systemic line, with the per-line endpoints.

    Parameters
    ----------
    patients
        The cohort's patients, indexed by pseudonymous id, with ``first_metastasis_date``,
        ``os_days`` and ``os_event``.
    treatments
        The cohort's treatments (``pseudo_id``, ``kind``, ``line``, dates...).

    Returns
    -------
    lines, unnumbered_rows
        The per-line table (columns :data:`LINE_COLUMNS`, sorted by patient then line;
        days from the first metastasis) and the number of systemic rows without a line
        number, which are not in it.
    """
    t = treatments[treatments["kind"] == "systemic"]
    numbered = t["line"].notna() & t["pseudo_id"].isin(patients.index)
    unnumbered = int((~numbered).sum())
    t = t[numbered]
    if t.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LINE_COLUMNS}), unnumbered
    met = patients.loc[t["pseudo_id"], "first_metastasis_date"].to_numpy()

    def days(col: str) -> np.ndarray:
        if col not in t:
            return np.full(len(t), np.nan)
        return days_between(met, t[col])

    rows = pd.DataFrame({
        "pseudo_id": t["pseudo_id"].to_numpy(), "line": t["line"].astype(np.int64).to_numpy(),
        "regimen": t["regimen"].to_numpy(dtype=object) if "regimen" in t else None,
        "in_trial": (t["in_trial"] == "yes").to_numpy() if "in_trial" in t else False,
        "best_response": t["best_response"].to_numpy(dtype=object),
        "end_reason": (t["end_reason"].to_numpy(dtype=object) if "end_reason" in t
                       else None),
        "start": days("start_date"), "end": days("end_date"),
        "progression": days("line_progression_date"), "response": days("response_date"),
    }).sort_values(["pseudo_id", "line", "start"], kind="stable")
    g = rows.groupby(["pseudo_id", "line"], sort=True)
    lines = pd.DataFrame({
        "regimen": _join_by_group(rows["regimen"], [rows["pseudo_id"], rows["line"]]),
        "in_trial": g["in_trial"].any(),
        "best_response": _best_by_group(rows["best_response"], [rows["pseudo_id"], rows["line"]]),
        "end_reason": g["end_reason"].last(),
        "start_days": g["start"].min(),
        "end_days": g["end"].max(),
        "progression_days": g["progression"].min(),
        "response_days": g["response"].min(),
    }).reset_index()
    order = pd.Index(patients.index)
    pos = order.get_indexer(lines["pseudo_id"])
    lines = lines.iloc[np.lexsort((lines["line"].to_numpy(), pos))].reset_index(drop=True)
    pos = order.get_indexer(lines["pseudo_id"])
    ends = line_endpoints(
        patient=pos, line=lines["line"].to_numpy(), start=lines["start_days"].to_numpy(float),
        end=lines["end_days"].to_numpy(float),
        progression=lines["progression_days"].to_numpy(float),
        response=lines["response_days"].to_numpy(float),
        responder=lines["best_response"].isin(OBJECTIVE_RESPONSES).to_numpy(),
        followup=patients["os_days"].to_numpy(float),
        death=patients["os_event"].to_numpy(bool))
    for k, v in ends.items():
        lines[k] = v
    return lines[list(LINE_COLUMNS)], unnumbered
