"""Value labels: a variable's codes shown by their names everywhere (``M`` -> ``Male``).

Labels come from the data dictionary (the template's code labels) and from the
protocol's ``[analysis.levels.<variable>]`` tables, which win. A labelled
column becomes a pandas categorical whose categories are the labels in the
order the table lists them (the first is the reference level of a Cox model);
values the table does not name keep their own text, after the named ones.
Table 1 headers, Kaplan-Meier legends and risk tables, Cox rows and the prose
all read the labels from there.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd


def _key(value: object) -> str:
    """A data value as a levels-table key: ``1``, ``1.0`` and ``"1"`` all read ``"1"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def dictionary_levels(columns: Collection[str]) -> dict[str, dict[str, str]]:
    """The template's code labels of ``columns`` (yes/no columns excluded: they read Yes/No),
    in the order of the codes (R's factor levels: the first is the reference)."""
    from sarcohort.data._schema import PATIENTS, YES_NO

    out: dict[str, dict[str, str]] = {}
    for name in columns:
        if name not in PATIENTS:
            continue
        column = PATIENTS.column(name)
        if column.labels and tuple(column.codes) != tuple(YES_NO):
            # in the order of the codes, as R's factor() sorts them: F (Female) is the reference
            pairs = sorted(zip(map(str, column.codes), map(str, column.labels), strict=True))
            out[name] = dict(pairs)
    return out


def apply_levels(data: pd.DataFrame, levels: Mapping[str, Mapping[str, str]],
                 skip: Collection[str] = ()) -> pd.DataFrame:
    """``data`` with each column of ``levels`` (but those in ``skip``) shown by its labels.

    Examples
    --------
    >>> d = pd.DataFrame({"sex": ["M", "F", None, "M"]})
    >>> apply_levels(d, {"sex": {"M": "Male", "F": "Female"}})["sex"].tolist()
    ['Male', 'Female', nan, 'Male']
    """
    out = data.copy(deep=False)  # labelled columns are replaced, never written into
    for name, table in levels.items():
        if name not in out.columns or name in skip or not table:
            continue
        s = out[name]
        names = {str(k).strip(): str(v) for k, v in table.items()}
        # one hash pass over the rows (missing: code -1), a lookup per distinct value, and the
        # categorical's codes taken from a table of the distinct values' codes (no second
        # hash pass over the labels of a registry's million rows)
        code, distinct = pd.factorize(s, use_na_sentinel=True)
        if isinstance(distinct, pd.Index):  # the values as pd.unique gives them (numpy scalars)
            distinct = distinct.to_numpy()
        shown = [names.get(_key(v), str(v)) for v in distinct]
        present = set(shown)
        extra = sorted(present - set(names.values()))
        categories = [c for c in list(dict.fromkeys(names.values())) + extra if c in present]
        position = {c: i for i, c in enumerate(categories)}
        recode = np.array([position[c] for c in shown] + [-1], dtype=np.int64)
        out[name] = pd.Categorical.from_codes(recode[code], categories=categories)
    return out
