"""Table 1 counts by one group-by (``_crosstab``): checked by hand on a small table and
against a per-level count on random data with missing values and missing groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sarcohort.analysis._table1 import _crosstab, build_table1


def test_crosstab_by_hand():
    # levels (-1: missing value) and groups (-1: missing group, counted in Overall only)
    level = np.array([0, 1, 1, -1, 0, 1])
    group = np.array([0, 0, 1, 1, -1, 1])
    # level 0: rows 0 (group 0) and 4 (no group) -> Overall 2, group 0: 1, group 1: 0
    # level 1: rows 1 (group 0), 2 and 5 (group 1) -> 3, 1, 2
    assert _crosstab(level, 2, group, 2).tolist() == [[2, 1, 0], [3, 1, 2]]


def test_table1_counts_match_per_level_counts():
    rng = np.random.default_rng(4)
    n = 3000
    d = pd.DataFrame({"g": rng.choice(["x", "y", None], n, p=[0.5, 0.45, 0.05]),
                      "c": rng.choice(["lo", "mid", "hi", None], n),
                      "b": rng.choice([True, False], n)})
    t = build_table1(d, ["c", "b"], "g")
    assert t.columns == ("Overall", "X", "Y")
    groups = [np.ones(n, bool), (d["g"] == "x").to_numpy(), (d["g"] == "y").to_numpy()]
    c = t.variables[0]
    for lv in c.levels:
        shown = d["c"].str.capitalize()  # levels shown with a capital
        assert lv.counts == tuple(int(((shown == lv.level) & m).sum()) for m in groups)
    assert c.missing == tuple(int((d["c"].isna() & m).sum()) for m in groups)
    yes = next(lv for lv in t.variables[1].levels if lv.level == "Yes")
    assert yes.counts == tuple(int((d["b"] & m).sum()) for m in groups)
