"""The per-line table and the per-patient treatment summary on randomised treatment tables.

Oracle: a row-by-row computation written here from the definitions in the docstrings of
sarcohort.cohort._lines and sarcohort.cohort._treatments (one Python loop per patient and
line), on tables with lines held in several rows, regimens with spaces, empty or missing,
responses outside the scale, unknown patients, missing dates and unnumbered rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarcohort.cohort._lines import RESPONSE_ORDER, treatment_lines
from sarcohort.cohort._treatments import treatment_summary
from sarcohort.data._schema import LOCAL_KINDS

ORIGIN = pd.Timestamp("2020-01-01")


def _cohort(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 12
    ids = [f"P{i:02d}" for i in range(n)]
    patients = pd.DataFrame({"first_metastasis_date": ORIGIN,
                             "os_days": rng.integers(100, 900, n).astype(float),
                             "os_event": rng.random(n) < 0.5}, index=ids)
    m = 70

    def day(p_missing: float) -> list:
        return [pd.NaT if rng.random() < p_missing
                else ORIGIN + pd.Timedelta(days=int(rng.integers(0, 800))) for _ in range(m)]

    pick = lambda options, k=m: [options[i] for i in rng.integers(0, len(options), k)]  # noqa: E731
    treatments = pd.DataFrame({
        "pseudo_id": pick([*ids, "NOBODY"]),
        "kind": pick(["systemic"] * 4 + ["surgery", "radiotherapy", "ablation", "other"]),
        "line": pd.array(pick([1, 1, 2, 2, 3, None]), dtype="Int64"),
        "start_date": day(0.1), "end_date": day(0.3), "line_progression_date": day(0.6),
        "response_date": day(0.6),
        "best_response": pick([*RESPONSE_ORDER, None, "??"]),
        "regimen": pick(["AP", " AP ", "IE", "", None, "gem + doce"]),
        "end_reason": pick(["completed", "toxicity", "progression", None]),
        "in_trial": pick(["yes", "no", None]),
    })
    return patients, treatments


def _days(value: object) -> float:
    return float((value - ORIGIN).days) if not pd.isna(value) else np.nan


def _reference_lines(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and line, aggregated row by row (the docstring's rules)."""
    rank = {r: i for i, r in enumerate(RESPONSE_ORDER)}
    t = treatments[(treatments["kind"] == "systemic") & treatments["line"].notna()
                   & treatments["pseudo_id"].isin(patients.index)]
    out = []
    for pid in patients.index:  # patients in cohort order, lines in number order
        mine = t[t["pseudo_id"] == pid]
        for line in sorted(set(mine["line"].astype(int))):
            g = mine[mine["line"] == line]
            g = g.assign(s=[_days(v) for v in g["start_date"]]).sort_values("s", kind="stable")
            texts = [r.strip() for r in g["regimen"] if isinstance(r, str) and r.strip()]
            ranks = [rank[r] for r in g["best_response"] if r in rank]
            reasons = [r for r in g["end_reason"] if r is not None]

            def agg(col: str, f, g=g) -> float:
                v = [_days(x) for x in g[col] if not pd.isna(x)]
                return float(f(v)) if v else np.nan

            out.append({"pseudo_id": pid, "line": line,
                        "regimen": " + ".join(dict.fromkeys(texts)) or None,
                        "in_trial": bool((g["in_trial"] == "yes").any()),
                        "best_response": RESPONSE_ORDER[min(ranks)] if ranks else None,
                        "end_reason": reasons[-1] if reasons else None,
                        "start_days": agg("start_date", min), "end_days": agg("end_date", max),
                        "progression_days": agg("line_progression_date", min),
                        "response_days": agg("response_date", min)})
    return pd.DataFrame(out)


@pytest.mark.parametrize("seed", range(4))
def test_lines_match_a_row_by_row_computation(seed):
    patients, treatments = _cohort(seed)
    lines, unnumbered = treatment_lines(patients, treatments)
    ref = _reference_lines(patients, treatments)
    systemic = treatments["kind"] == "systemic"
    assert unnumbered == int((systemic & ~(treatments["line"].notna()
                                           & treatments["pseudo_id"].isin(patients.index))).sum())
    got = lines[list(ref.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    # the endpoints of a line need the start of the patient's next line
    for k, row in lines.iterrows():
        nxt = lines.iloc[k + 1] if k + 1 < len(lines) else None
        fu = patients.loc[row["pseudo_id"], "os_days"]
        if (nxt is not None and nxt["pseudo_id"] == row["pseudo_id"] and nxt["start_days"] <= fu
                and np.isfinite(row["start_days"])):
            assert row["ttnt_event"] and row["ttnt_days"] == nxt["start_days"] - row["start_days"]


@pytest.mark.parametrize("seed", range(4))
def test_summary_matches_a_row_by_row_computation(seed):
    patients, treatments = _cohort(seed)
    ids = list(patients.index)
    pos = np.array([ids.index(p) if p in ids else -1 for p in treatments["pseudo_id"]])
    s = treatment_summary(pos, treatments["kind"], treatments["start_date"],
                          treatments["line"], treatments["in_trial"], len(ids),
                          patients["first_metastasis_date"], cutoff="2021-06-30")
    cut = pd.Timestamp("2021-06-30")
    for i in range(len(ids)):
        g = treatments[(pos == i) & (treatments["start_date"].isna()
                                     | (treatments["start_date"] <= cut))]
        surg = g[g["kind"] == "surgery"]
        sysm = g[g["kind"] == "systemic"]
        n_lines = len(set(sysm["line"].dropna())) + int(sysm["line"].isna().sum())
        first = surg["start_date"].min()
        assert s["local_treatment"][i] == bool(g["kind"].isin(LOCAL_KINDS).any())
        assert s["metastasis_surgery"][i] == (len(surg) > 0)
        assert (pd.isna(s["metastasis_surgery_date"][i]) and pd.isna(first)) or (
            s["metastasis_surgery_date"][i] == first)
        assert np.isnan(s["surgery_days"][i]) == pd.isna(first)
        assert s["n_systemic_lines"][i] == n_lines
        assert s["no_systemic_treatment"][i] == (n_lines == 0)
        assert s["in_trial"][i] == bool((g["in_trial"] == "yes").any())
