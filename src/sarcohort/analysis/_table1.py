"""Table 1: description of the cohort overall and by group, with group comparisons.

Categorical variables: n (%) of the non-missing values per level; compared by
Pearson's chi-square test (no continuity correction), or Fisher's exact test
when any expected count is below 5. Continuous variables: mean (range) and
median (interquartile range, R's default type-7 quantiles); compared by the
Wilcoxon rank-sum test (Mann-Whitney U; Kruskal-Wallis for more than two
groups) or, when the protocol asks, Welch's t test (one-way ANOVA for more than
two groups). Missing values are counted per column and never enter a test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sarcohort.analysis._results import (
    CategoryCount,
    ContinuousSummary,
    Table1,
    Table1Variable,
    clean_float,
)

TEST_NAMES = {
    "chisq": "Pearson's chi-square test",
    "fisher": "Fisher's exact test",
    "wilcoxon": "Wilcoxon rank-sum test",
    "kruskal": "Kruskal-Wallis test",
    "t": "Welch's t test",
    "anova": "one-way ANOVA",
}


_YES = {"yes", "y", "true", "oui", "1"}
_NO = {"no", "n", "false", "non", "0"}


def as_binary(s: pd.Series) -> pd.Series | None:
    """A yes/no column as floats 1/0 (NaN kept), or None when it is not yes/no.

    Booleans, numbers in {0, 1} and text in {yes, no} (also y/n, true/false,
    any case) are yes/no columns.
    """
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if s.dtype == object:  # text: one hash pass for the values and for the result
        return _binary_text(s)
    values = pd.unique(s)  # then the missing ones dropped: no copy of the column without them
    values = values[~pd.isna(values)]
    if len(values) == 0:
        return None
    if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        if set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
            return s.astype(float)
        return None
    if isinstance(s.dtype, pd.CategoricalDtype) and len(s.cat.categories) > 2:
        return None
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return _map_values(s, {v: float(bool(v)) for v in values}).astype(float)
    text = {str(v).strip().lower() for v in values}
    if text <= (_YES | _NO):
        return _map_values(s, {v: 1.0 if str(v).strip().lower() in _YES else 0.0
                               for v in values}).astype(float)
    return None


def _binary_text(s: pd.Series) -> pd.Series | None:
    """:func:`as_binary` of an object column: its distinct values from one factorisation,
    and the floats taken from a table of them by each row's code (no second hash pass over
    a registry's million texts to map them)."""
    codes, values = pd.factorize(s.to_numpy(), use_na_sentinel=True)
    if len(values) == 0:
        return None
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        table = [float(bool(v)) for v in values]
    elif {str(v).strip().lower() for v in values} <= (_YES | _NO):
        table = [1.0 if str(v).strip().lower() in _YES else 0.0 for v in values]
    else:
        return None
    return pd.Series(np.array([*table, np.nan])[codes], index=s.index, name=s.name)


def _map_values(s: pd.Series, mapping: dict) -> pd.Series:
    """``s`` with each distinct value replaced through ``mapping`` (missing stays missing,
    as None in object results): one hash lookup per row, no Python call per row."""
    out = s.astype(object).map(mapping) if isinstance(s.dtype, pd.CategoricalDtype) else s.map(mapping)
    if out.dtype == object:
        out = out.where(out.notna(), None)
    return out


def is_categorical(s: pd.Series) -> bool:
    """Yes/no columns, text and categoricals; numbers with more values are continuous."""
    return _is_categorical(s, as_binary(s))


def _is_categorical(s: pd.Series, binary: pd.Series | None) -> bool:
    """:func:`is_categorical` given ``as_binary(s)`` (a registry column: one pass fewer)."""
    if binary is not None:
        return True
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
        return True
    return bool(pd.api.types.is_string_dtype(s) or pd.api.types.is_bool_dtype(s))


def level_labels(s: pd.Series) -> tuple[pd.Series, list[str]]:
    """String labels of a categorical column (missing stays missing) and the level order.

    Yes/no variables (bool, 0/1, yes/no text) read ``Yes``/``No`` with ``Yes``
    first; categoricals keep their category order; other values are sorted.
    """
    return _level_labels(s, as_binary(s))


def categorical_levels(s: pd.Series) -> tuple[pd.Categorical, list[str]] | None:
    """``level_labels(s)`` of a categorical column as a ``pd.Categorical`` of the labels (its
    categories: the levels in order), None for a continuous one: the yes/no check done once
    for both, and the codes taken from the values where they give them (a registry's million
    rows: no label object per row, no hash pass over labels)."""
    b = as_binary(s)
    if not _is_categorical(s, b):
        return None
    coded = _coded_levels(s, b)
    if coded is not None:
        return pd.Categorical.from_codes(coded[0], categories=coded[1]), coded[1]
    labels, order = _level_labels(s, b)
    return pd.Categorical(labels.to_numpy(dtype=object), categories=list(dict.fromkeys(order))), order


def _take_labels(code: np.ndarray, shown: list[str], s: pd.Series) -> pd.Series:
    """Labels by position in ``shown`` (code -1: missing, None), an object Series like
    ``s``: one take from the table of distinct labels, no hash lookup per row."""
    table = np.array([*shown, None], dtype=object)
    return pd.Series(table[code], index=s.index, dtype=object, name=s.name)


def _coded_levels(s: pd.Series, binary: pd.Series | None) -> tuple[np.ndarray, list[str]] | None:
    """Each row's position in the level order of :func:`level_labels` (-1: missing) and
    that order, read from the values (yes/no) or the categories without a label per row;
    None for other columns (and categories shown alike, whose labels merge)."""
    if binary is not None:
        b = binary.to_numpy(dtype=float)
        return np.where(b == 1.0, 0, np.where(b == 0.0, 1, -1)), ["Yes", "No"]
    if isinstance(s.dtype, pd.CategoricalDtype):
        order = [str(c) for c in s.cat.categories]
        if len(set(order)) == len(order):
            return np.asarray(s.cat.codes, dtype=np.int64), order
    return None


def _level_labels(s: pd.Series, binary: pd.Series | None) -> tuple[pd.Series, list[str]]:
    """:func:`level_labels` given ``as_binary(s)``."""
    coded = _coded_levels(s, binary)
    if coded is not None:
        return _take_labels(coded[0], coded[1], s), coded[1]
    if isinstance(s.dtype, pd.CategoricalDtype):
        order = [str(c) for c in s.cat.categories]
        lab = _map_values(s, {c: str(c) for c in s.cat.categories}).astype(object)
        return lab, order
    values = pd.unique(s)  # then the missing ones dropped: a Series masked would cache its
    # RangeIndex's values on the index (a registry's 10^7 rows: 80 MB held as long as the data)
    values = sorted(values[~pd.isna(values)], key=lambda v: (isinstance(v, str), v))
    lab = _map_values(s, {v: display_level(v) for v in values}).astype(object)
    return lab, [display_level(v) for v in values]


def _with_code_labels(name: str, s: pd.Series) -> pd.Series:
    """A template column's codes shown by their labels (``M`` -> ``Male``), as the data
    dictionary defines them; yes/no columns and other columns are left as they are."""
    from sarcohort.data._schema import PATIENTS, YES_NO

    if name not in PATIENTS or isinstance(s.dtype, pd.CategoricalDtype):
        return s  # not a template column, or already shown by its labels (analysis.levels)
    column = PATIENTS.column(name)
    if not column.labels or tuple(column.codes) == tuple(YES_NO):
        return s
    categories = list(column.labels)
    mapped = s.map(dict(zip(column.codes, column.labels, strict=True)))
    return pd.Series(pd.Categorical(mapped, categories=categories), index=s.index)


def display_level(value: object) -> str:
    """A level as shown: text in lower case gets a capital (``synchronous`` -> ``Synchronous``)."""
    text = str(value)
    return text[:1].upper() + text[1:] if text.islower() else text


def ordered(levels: Sequence[str], first: Sequence[str]) -> list[str]:
    """``levels`` with those named in ``first`` (data values) moved to the front, in order."""
    first = [display_level(v) for v in first]
    head = [lv for lv in first if lv in levels]
    return head + [lv for lv in levels if lv not in head]


def _quantile7(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q, method="linear"))


def _summary(x: np.ndarray) -> ContinuousSummary:
    n = int(x.size)
    if n == 0:
        return ContinuousSummary(0, None, None, None, None, None, None, None)
    return ContinuousSummary(
        n=n,
        mean=clean_float(x.mean()),
        sd=clean_float(x.std(ddof=1)) if n > 1 else None,
        minimum=clean_float(x.min()),
        maximum=clean_float(x.max()),
        median=clean_float(np.median(x)),
        q1=clean_float(_quantile7(x, 0.25)),
        q3=clean_float(_quantile7(x, 0.75)),
    )


def _categorical_test(table: np.ndarray) -> tuple[str | None, float | None, float | None]:
    from sarcohort.analysis import _group_tests as gt

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None, None, None
    stat, p, expected = gt.chisq_test(table)
    if (expected < 5).any():
        if table.shape == (2, 2):
            return "fisher", None, clean_float(gt.fisher_2x2(table))
        from scipy import stats  # r x c exact test: rare, and only then the heavy import

        try:
            # scipy >= 1.15 estimates an r x c P by Monte Carlo: a fixed seed, so that the
            # same data give the same P (and byte-identical reports) on every run
            method = stats.MonteCarloMethod(rng=np.random.default_rng(20240601))
            return "fisher", None, clean_float(stats.fisher_exact(table, method=method).pvalue)
        except (ValueError, TypeError, AttributeError):  # scipy < 1.15: 2 x 2 only
            pass
    return "chisq", clean_float(stat), clean_float(p)


def _continuous_test(samples: list[np.ndarray], kind: str) -> tuple[str | None, float | None, float | None]:
    from sarcohort.analysis import _group_tests as gt

    samples = [s for s in samples if s.size > 0]
    if len(samples) < 2 or any(s.size < 2 for s in samples):
        return None, None, None
    if np.ptp(np.concatenate(samples)) == 0:  # all values equal: nothing to compare
        return None, None, None
    if kind == "t":
        name, (stat, p) = (("t", gt.welch_t(samples[0], samples[1])) if len(samples) == 2
                           else ("anova", gt.anova(samples)))
    else:
        name, (stat, p) = (("wilcoxon", gt.wilcoxon(samples[0], samples[1]))
                           if len(samples) == 2 else ("kruskal", gt.kruskal(samples)))
    return name, clean_float(stat), clean_float(p)


def _codes(labels: pd.Series, order: Sequence[str]) -> np.ndarray:
    """Each row's position in ``order`` (-1: missing or not in it), by one hash lookup."""
    return np.asarray(pd.Categorical(labels, categories=list(order)).codes, dtype=np.int64)


def _crosstab(level: np.ndarray, n_levels: int, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of each level (rows) in each column: Overall, then each group (-1 codes: a
    missing value, counted nowhere; a missing group, counted in Overall only). One
    ``bincount`` over the rows: a group-by count, whatever the number of patients."""
    key = (level + 1) * (n_groups + 1) + (group + 1)
    tab = np.bincount(key, minlength=(n_levels + 1) * (n_groups + 1)).reshape(
        n_levels + 1, n_groups + 1)[1:]
    return np.column_stack([tab.sum(axis=1), tab[:, 1:]])


def build_table1(
    data: pd.DataFrame,
    variables: Sequence[str],
    group: str | None,
    *,
    label: Callable[[str], str] = str,
    continuous_test: str = "wilcoxon",
    group_order: Sequence[str] = (),
    not_tested: Sequence[str] = (),
    summary: Sequence[str] = ("median_iqr",),
) -> Table1:
    """Describe ``variables`` overall and by ``group``.

    Parameters
    ----------
    data
        One row per analysed patient.
    variables
        Column names, in the order of the table.
    group
        Grouping column (None: overall only). Patients with a missing group are
        counted in Overall only.
    label
        Display label of a column name.
    continuous_test
        ``"wilcoxon"`` (default) or ``"t"``.
    group_order
        Levels of ``group`` to show first, in this order (others follow).
    not_tested
        Variables that define the groups: described, never tested against them
        (the grouping variable itself is never a row).
    summary
        Statistics of continuous variables, a row each (``median_iqr``, ``mean_sd``,
        ``mean_range``, ``median_range``).
    """
    if group is not None:
        glab, gorder = level_labels(data[group])
        gorder = ordered(gorder, group_order)
        gcode = _codes(glab, gorder)
        seen = np.bincount(gcode[gcode >= 0], minlength=len(gorder)) > 0
        gorder = [g for g, present in zip(gorder, seen, strict=True) if present]
        gcode = _codes(glab, gorder)
        masks = [np.ones(len(data), bool)] + [gcode == k for k in range(len(gorder))]
        columns = ("Overall", *gorder)
    else:
        gcode = np.full(len(data), -1, dtype=np.int64)
        masks = [np.ones(len(data), bool)]
        columns = ("Overall",)
    out = []
    for name in variables:
        s = _with_code_labels(name, data[name])
        miss = s.isna().to_numpy()
        missing = tuple(int((miss & m).sum()) for m in masks)
        denoms = tuple(int((~miss & m).sum()) for m in masks)
        b = as_binary(s)
        if _is_categorical(s, b):
            coded = _coded_levels(s, b)
            if coded is None:
                lab, order = _level_labels(s, b)
                coded = _codes(lab, order), order
            code, order = coded
            table = _crosstab(code, len(order), gcode, len(masks) - 1)
            levels = tuple(CategoryCount(level=lv, counts=tuple(int(n) for n in row))
                           for lv, row in zip(order, table, strict=True))
            test = stat = p = None
            if len(masks) > 2 and name not in not_tested:
                table = np.array([c.counts[1:] for c in levels], dtype=float).reshape(
                    len(levels), len(masks) - 1)  # no level at all: an empty column
                test, stat, p = _categorical_test(table)
            out.append(Table1Variable(name=name, label=label(name), kind="categorical",
                                      denominators=denoms, missing=missing, levels=levels,
                                      test=test, statistic=stat, p=p,
                                      defines_group=name in not_tested and group is not None))
        else:
            x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(x)
            samples = [x[ok & m] for m in masks]
            test = stat = p = None
            if len(masks) > 2 and name not in not_tested:
                test, stat, p = _continuous_test(samples[1:], continuous_test)
            out.append(Table1Variable(name=name, label=label(name), kind="continuous",
                                      denominators=tuple(int(v.size) for v in samples),
                                      missing=tuple(int((~ok & m).sum()) for m in masks),
                                      summaries=tuple(_summary(v) for v in samples),
                                      test=test, statistic=stat, p=p,
                                      defines_group=name in not_tested and group is not None))
    return Table1(group=group, group_label=label(group) if group else None, columns=columns,
                  n=tuple(int(m.sum()) for m in masks), variables=tuple(out),
                  summary=tuple(summary))
