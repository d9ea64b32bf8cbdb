"""Right-hand side of a model formula -> design matrix, with R's coding and R's names.

``build_design("rx + sex + factor(differ) + age:sex", data)`` returns the columns R's
``model.matrix`` (minus the intercept) would give a ``coxph`` fit, named as R names its
coefficients: ``rxLev``, ``rxLev+5FU``, ``factor(differ)2``, ``age:sex``, ``log(bili)``.

* Terms are expanded by :mod:`formulaic` (``*``, ``:``, ``-``, parentheses) and ordered as R
  orders them: by degree, then as written.
* A factor (a pandas Categorical, text, booleans, or ``factor(x)``) uses treatment contrasts
  with its first level as reference: the Categorical's category order, otherwise the sorted
  values. Levels absent from the analysed rows are dropped (R would keep them and report an
  ``NA`` coefficient). In an interaction a factor is coded with contrasts when the term
  without it is in the model (R's marginality rule), else with one column per level.
* Interaction columns vary the first factor fastest, as R does.
* Every other expression (``log(bili)``, ``age``) is evaluated by
  :func:`sarcohort.stats.expressions.evaluate` and enters as one numeric column.

Exports :func:`build_design`, its :class:`Design` and the :class:`Factor` coding of a term.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sarcohort.exceptions import FormulaError, InputError

__all__ = ["build_design", "Design", "Factor"]

_FACTOR_CALL = re.compile(r"^\s*(?:as\.)?factor\s*\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class Factor:
    """One variable of the formula: numeric, or categorical with its levels (R's labels)."""

    expr: str
    categorical: bool
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """Design matrix and how it was built (to code new data the same way)."""

    X: np.ndarray
    columns: tuple[str, ...]  # R's coefficient names
    terms: tuple[str, ...]  # R's term labels ("celltype", "age:sex")
    assign: tuple[tuple[int, ...], ...]  # columns of each term
    term_factors: tuple[tuple[str, ...], ...]
    factors: dict[str, Factor]
    contrasts: tuple[tuple[bool, ...], ...]  # per term, per factor: treatment contrasts?

    def transform(self, data: Any) -> np.ndarray:
        """The design matrix of new rows (for predictions), coded as the fitted data."""
        n = _nrows(data)
        cols = []
        for factors, contr in zip(self.term_factors, self.contrasts, strict=True):
            cols.extend(_term_columns(factors, contr, self.factors, data, n)[0])
        return np.column_stack(cols) if cols else np.zeros((n, 0))


def expand_terms(rhs: str) -> list[tuple[str, ...]]:
    """Terms of a formula right-hand side, each a tuple of variable expressions, in R's order."""
    from formulaic import Formula

    try:
        formula = Formula(_hide_keywords(_python_operators(rhs)))
    except Exception as exc:  # formulaic raises several parser exception types
        raise FormulaError(f"cannot read the model terms: {exc}", argument="formula", value=rhs,
                           fix="write terms as in R, e.g. 'age + factor(grade) + sex:age'") from exc
    flat = re.sub(r"\s+", "", rhs)

    def first_seen(expr: str) -> int:
        # R orders the variables of an interaction by their first appearance in the formula
        m = re.search(r"(?<![\w.])" + re.escape(re.sub(r"\s+", "", expr)) + r"(?![\w.(])", flat)
        return m.start() if m else len(flat)

    out: list[tuple[str, ...]] = []
    for term in formula:
        exprs = tuple(r_label(_show_keywords(f.expr)) for f in term.factors if f.expr != "1")
        if exprs:
            out.append(tuple(sorted(exprs, key=first_seen)))
    # R orders terms by degree, keeping the written order within a degree (stable sort)
    return sorted(out, key=len)


# Python keywords R accepts as column names (``lambda``, ``class``); the operators stay.
_KEYWORD_NAME = re.compile(r"(?<![\w.`])(" + "|".join(
    k for k in keyword.kwlist if k not in ("and", "or", "not", "in", "is", "if", "else", "True", "False", "None")
) + r")(?![\w.`])")
_HIDDEN_KEYWORD = re.compile(r"_kw_([a-z]+)_kw_")


def _hide_keywords(rhs: str) -> str:
    """Python-keyword column names spelled so that formulaic's Python parser accepts them."""
    return _KEYWORD_NAME.sub(r"_kw_\1_kw_", rhs)


def _show_keywords(expr: str) -> str:
    """The inverse of :func:`_hide_keywords`."""
    return _HIDDEN_KEYWORD.sub(r"\1", expr)


def _python_operators(rhs: str) -> str:
    """R's ``^`` (power) and ``%%`` (modulo) inside calls, as Python writes them for formulaic.

    At the top level ``^`` keeps its formula meaning (``(a + b)^2``: interactions).
    """
    out, depth = [], 0
    i = 0
    while i < len(rhs):
        ch = rhs[i]
        depth += ch == "("
        depth -= ch == ")"
        if rhs.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        out.append("**" if ch == "^" and depth > 0 else ch)
        i += 1
    return "".join(out)


def _nrows(data: Any) -> int:
    if hasattr(data, "shape"):
        return int(data.shape[0])
    return len(next(iter(data.values()))) if data else 0


def _raw(expr: str, data: Any) -> Any:
    """Values of one variable expression: the column itself for a bare name (keeps categories)."""
    from sarcohort.stats.expressions import evaluate

    inner = _FACTOR_CALL.match(expr)
    target = inner.group(1).strip() if inner else expr.strip()
    if target.startswith("`") and target.endswith("`"):
        target = target[1:-1]
    if hasattr(data, "columns") and target in data.columns:
        return data[target]
    if isinstance(data, dict) and target in data:
        return data[target]
    return evaluate(target, data)


def _is_categorical(values: Any) -> bool:
    import pandas as pd

    dtype = getattr(values, "dtype", None)
    if dtype is None:
        values = np.asarray(values)
        dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_string_dtype(dtype))


def _labels(values: Any) -> np.ndarray:
    """Each value as R's level label (missing -> None)."""
    from sarcohort.stats.formula import format_level

    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape[0], dtype=object)
    for i, v in enumerate(arr):
        missing = v is None or (isinstance(v, float) and np.isnan(v))
        out[i] = None if missing else format_level(v)
    return out


def _make_factor(expr: str, data: Any) -> Factor:
    import pandas as pd

    from sarcohort.stats.formula import format_level, present_levels

    values = _raw(expr, data)
    explicit = _FACTOR_CALL.match(expr) is not None
    if not (explicit or _is_categorical(values)):
        return Factor(expr, False)
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    levels = [format_level(v) for v in present_levels(series)]
    if len(levels) < 2:  # R: "contrasts can be applied only to factors with 2 or more levels"
        raise InputError(f"factor has {len(levels)} level in the analysed rows (its effect cannot be "
                         "estimated)", argument=expr, value=levels, fix="remove it from the model")
    return Factor(expr, True, tuple(levels))


def _columns_of(f: Factor, contrast: bool, data: Any, n: int) -> tuple[list[np.ndarray], list[str]]:
    values = _raw(f.expr, data)
    if not f.categorical:
        try:
            x = np.asarray(values, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise InputError("the variable is not numeric", argument=f.expr, fix="wrap it in factor(...) "
                             "or make it numeric") from exc
        if x.shape[0] != n:
            x = np.broadcast_to(x, (n,)).astype(float)
        return [x], [f.expr]
    labels = _labels(values)
    known = set(f.levels)
    unknown = {v for v in labels if v is not None and v not in known}
    if unknown:
        raise InputError("value not among the levels seen in the fitted data", argument=f.expr,
                         value=sorted(unknown)[:5], fix=f"use one of {list(f.levels)}")
    levels = f.levels[1:] if contrast else f.levels
    cols = [np.where(labels == lev, 1.0, 0.0) for lev in levels]
    missing = np.array([v is None for v in labels])
    for c in cols:
        c[missing] = np.nan
    return cols, [f"{f.expr}{lev}" for lev in levels]


def _term_columns(factors: Sequence[str], contrasts: Sequence[bool], info: dict[str, Factor],
                  data: Any, n: int) -> tuple[list[np.ndarray], list[str]]:
    cols: list[np.ndarray] = [np.ones(n)]
    names: list[str] = [""]
    for expr, contr in zip(factors, contrasts, strict=True):
        fc, fn = _columns_of(info[expr], contr, data, n)
        # R: the first factor varies fastest
        cols = [a * b for b in fc for a in cols]
        names = [f"{a}:{b}" if a else b for b in fn for a in names]
    return cols, names


def build_design(rhs: str | Sequence[tuple[str, ...]], data: Any) -> Design:
    """Design matrix of a formula's right-hand side over ``data`` (the analysed rows).

    Parameters
    ----------
    rhs
        The right-hand side without specials (``"age + factor(grade) + sex:age"``), or terms
        already expanded as tuples of variable expressions.
    data
        A pandas DataFrame (or a mapping of column name to values).

    Returns
    -------
    Design
        ``X`` (n x p), R's coefficient names, term labels and the term -> columns map.
    """
    terms = expand_terms(rhs) if isinstance(rhs, str) else [tuple(t) for t in rhs]
    n = _nrows(data)
    info: dict[str, Factor] = {}
    for term in terms:
        for expr in term:
            if expr not in info:
                info[expr] = _make_factor(expr, data)
    term_sets = {frozenset(t) for t in terms}
    all_cols: list[np.ndarray] = []
    names: list[str] = []
    assign: list[tuple[int, ...]] = []
    contrasts_all: list[tuple[bool, ...]] = []
    for term in terms:
        contr = []
        for expr in term:
            rest = frozenset(term) - {expr}
            # the intercept stands for the empty term: main effects of factors get contrasts
            contr.append(len(rest) == 0 or rest in term_sets)
        cols, cnames = _term_columns(term, contr, info, data, n)
        start = len(all_cols)
        all_cols.extend(cols)
        names.extend(cnames)
        assign.append(tuple(range(start, start + len(cols))))
        contrasts_all.append(tuple(contr))
    X = np.column_stack(all_cols) if all_cols else np.zeros((n, 0))
    return Design(X=X, columns=tuple(names), terms=tuple(":".join(t) for t in terms),
                  assign=tuple(assign), term_factors=tuple(terms), factors=info,
                  contrasts=tuple(contrasts_all))


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<tick>`[^`]*`)|(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z_.][A-Za-z0-9_.]*)|(?P<op>%[A-Za-z/*]*%|==|!=|<=|>=|&&|\|\||\*\*|[-+*/^<>&|!~:=%])"
    r"|(?P<punct>[(),\[\]]))"
)
_SPACED = {"+", "-", "*", "==", "!=", "<", ">", "<=", ">=", "&", "|", "&&", "||", "~", "="}


def r_label(expr: str) -> str:
    """An expression spelled as R deparses it, for coefficient names (``I(age/10)``).

    R puts spaces around ``+ - * == < >`` and the logical operators, none around
    ``/ ^ %% :``, none after a unary minus, and one after each comma.

    >>> r_label("I(age / 10)"), r_label("log(wt.loss+1)"), r_label("I(( age*2 )-sex)")
    ('I(age/10)', 'log(wt.loss + 1)', 'I((age * 2) - sex)')
    >>> r_label("I(-age)"), r_label("pmin(a,b)"), r_label("I(age > 60)"), r_label("I(age % 10)")
    ('I(-age)', 'pmin(a, b)', 'I(age > 60)', 'I(age%%10)')
    """
    out: list[str] = []
    previous = ""  # kind of the previous token: "operand", "op" or "open"
    pos = 0
    text = expr.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return expr.strip()  # something unusual: keep the user's spelling
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(kind).strip()  # type: ignore[arg-type]
        if kind == "op":
            tok = {"**": "^", "%": "%%"}.get(tok, tok)  # R's spelling of power and modulo
            if previous in ("", "op", "open") and tok in ("-", "+", "!"):
                out.append(tok)  # unary
            elif tok in _SPACED:
                out.append(f" {tok} ")
            else:
                out.append(tok)
            previous = "op"
        elif kind == "punct":
            out.append(", " if tok == "," else tok)
            previous = "operand" if tok in ")]" else "open"
        else:
            out.append(tok)
            previous = "operand"
    return "".join(out)
