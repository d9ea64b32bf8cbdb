"""R survival formulas: ``Surv(time, status) ~ age + factor(grade) + strata(centre)``.

An R user pastes the model they already have. :func:`parse_formula` splits it into the
response, the ordinary terms and the specials (``strata()``, ``cluster()``, ``offset()``, and
``frailty()``, which only :func:`sarcohort.stats.cox.cox` accepts);
:func:`model_frame` evaluates it on a DataFrame the way R's ``model.frame`` with
``na.omit`` does: rows with a missing value in any variable the formula uses are dropped
and counted. Expressions are evaluated with :mod:`sarcohort.stats.expressions` (never ``eval``).
The design matrix of the ordinary terms is built by :mod:`sarcohort.stats.design`.

Examples
--------
>>> f = parse_formula("Surv(time, status == 2) ~ age + log(bili) + strata(sex) + cluster(id)")
>>> f.surv, f.terms, f.strata, f.cluster
(('time', 'status == 2'), ('age', 'log(bili)'), ('sex',), 'id')

Exports :func:`parse_formula` (a :class:`SurvFormula`, its frailty term a :class:`FrailtyTerm`)
and :func:`model_frame` (a :class:`ModelFrame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sarcohort.exceptions import FormulaError, InputError
from sarcohort.stats import expressions
from sarcohort.stats.survdata import SurvivalData

__all__ = ["parse_formula", "model_frame", "SurvFormula", "ModelFrame", "FrailtyTerm"]

_SPECIALS = ("strata", "cluster", "offset")
# frailty terms: R's frailty() and its distribution-specific spellings
_FRAILTY_CALLS = ("frailty", "frailty.gamma", "frailty.gaussian", "frailty.t")
_FRAILTY_ARGS = ("distribution", "theta", "method", "sparse")


@dataclass(frozen=True)
class FrailtyTerm:
    """A ``frailty(group, ...)`` term (shared gamma frailty of a Cox model).

    Attributes
    ----------
    text
        The term as written (named in error messages).
    group
        The grouping expression (``centre``).
    theta
        A fixed frailty variance (``frailty(centre, theta = 0.5)``), or None to estimate it.
    sparse
        R's ``sparse =`` (None: R's default, sparse when there are more than 5 groups).
    """

    text: str
    group: str
    theta: float | None = None
    sparse: bool | None = None


def _frailty_term(term: str) -> FrailtyTerm | None:
    """Parse a ``frailty(...)`` term, refusing (naming the term) what is not supported."""
    call = next((c for c in _FRAILTY_CALLS if _call_args(term, c) is not None), None)
    if call is None:
        return None
    args = _call_args(term, call) or []
    if call != "frailty" and call != "frailty.gamma":
        raise InputError(f"only the gamma frailty is supported, not {call}()", argument="formula", value=term,
                         fix="write frailty(group) (R's default gamma distribution)")
    positional = [a for a in args if not _is_named(a)]
    named: dict[str, str] = {}
    for a in args:
        if _is_named(a):
            key, value = (x.strip() for x in a.split("=", 1))
            if key not in _FRAILTY_ARGS:
                raise InputError(f"argument {key!r} of frailty() is not supported", argument="formula", value=term,
                                 fix="use frailty(group), frailty(group, theta = t) or frailty(group, sparse = FALSE)")
            named[key] = value
    if len(positional) != 1:
        raise InputError("frailty() takes one grouping variable", argument="formula", value=term,
                         fix="write e.g. frailty(centre)")
    dist = named.get("distribution", '"gamma"').strip("'\"")
    if not dist or not "gamma".startswith(dist):
        raise InputError(f"only the gamma frailty is supported, not distribution = {dist!r}", argument="formula",
                         value=term, fix="drop distribution= (R's default is the gamma frailty)")
    theta: float | None = None
    if "theta" in named:
        try:
            theta = float(named["theta"])
        except ValueError:
            raise InputError("theta must be a number", argument="formula", value=term) from None
        if not (theta >= 0 and np.isfinite(theta)):
            raise InputError("theta (the frailty variance) must be finite and >= 0", argument="formula", value=term)
    method = named.get("method", '"fixed"' if theta is not None else '"em"').strip("'\"")
    if method not in ("em", "fixed") or (method == "fixed") != (theta is not None):
        raise InputError(f"method = {method!r} is not supported" if method not in ("em", "fixed") else
                         "method = 'fixed' needs theta, and theta needs method = 'fixed' (or no method)",
                         argument="formula", value=term,
                         fix="estimate theta (R's method 'em': frailty(group)) or fix it: frailty(group, theta = t)")
    sparse: bool | None = None
    if "sparse" in named:
        if named["sparse"] not in ("TRUE", "FALSE", "T", "F"):
            raise InputError("sparse must be TRUE or FALSE", argument="formula", value=term)
        sparse = named["sparse"] in ("TRUE", "T")
    return FrailtyTerm(text=term, group=positional[0], theta=theta, sparse=sparse)


def _is_named(arg: str) -> bool:
    eq = arg.find("=")
    return eq > 0 and arg[eq + 1: eq + 2] != "=" and arg[eq - 1] not in "=!<>"


@dataclass(frozen=True)
class SurvFormula:
    """A parsed survival formula.

    Attributes
    ----------
    text
        The formula as written.
    surv
        Expressions of ``Surv()``: ``(time, event)`` or ``(start, stop, event)``.
    terms
        Right-hand-side terms other than the specials, as written.
    rhs
        Those terms joined by ``+`` (``"1"`` when there are none).
    strata
        Expressions inside ``strata(...)``, in order (several allowed).
    cluster
        Expression inside ``cluster(...)``, if any.
    offset
        Expression inside ``offset(...)``, if any.
    frailty
        The ``frailty(group, ...)`` term (:class:`FrailtyTerm`), if any (Cox models only).
    """

    text: str
    surv: tuple[str, ...]
    terms: tuple[str, ...]
    rhs: str
    strata: tuple[str, ...]
    cluster: str | None
    offset: str | None
    frailty: FrailtyTerm | None = None

    @property
    def variables(self) -> set[str]:
        """Every column name the formula uses."""
        used: set[str] = set()
        group = self.frailty.group if self.frailty is not None else None
        for expr in (*self.surv, *self.strata, self.cluster, self.offset, group):
            if expr is not None:
                used |= expressions.names(expr)
        for term in self.terms:
            used |= expressions.names(term.replace(":", "*"))
        return used


@dataclass(frozen=True)
class ModelFrame:
    """A formula evaluated on data, after ``na.omit``.

    Attributes
    ----------
    formula
        The parsed formula.
    surv
        The validated response of the kept rows.
    data
        The kept rows (original index), all columns.
    kept
        Boolean mask over the input rows.
    n_missing
        Number of rows dropped for a missing value.
    strata
        Integer stratum codes ``0..k-1`` or None; labels in ``strata_labels``.
    strata_labels
        R-style stratum labels (``"sex=1"``).
    cluster
        Integer cluster codes or None.
    offset
        Offset values or None.
    frailty, frailty_levels
        Integer codes ``0..G-1`` of the ``frailty()`` groups (levels sorted, as R's
        ``factor``) and the levels; None and ``()`` without a frailty term.
    """

    formula: SurvFormula
    surv: SurvivalData
    data: Any
    kept: np.ndarray
    n_missing: int
    strata: np.ndarray | None
    strata_labels: tuple[str, ...]
    cluster: np.ndarray | None
    offset: np.ndarray | None
    frailty: np.ndarray | None = None
    frailty_levels: tuple[Any, ...] = ()


def refuse_frailty(parsed: SurvFormula, what: str) -> None:
    """A clear error when a formula for anything but a Cox model has a ``frailty()`` term."""
    if parsed.frailty is not None:
        raise InputError(f"{parsed.frailty.text} is only part of a Cox model: {what} has no frailty term",
                         argument="formula", value=parsed.text,
                         fix="remove the frailty() term (use strata() for a stratified analysis, or "
                             "sc.cox(...) for a shared frailty model)")


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses, brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise FormulaError("unbalanced parentheses", argument="formula", value=text)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0 or quote:
        raise FormulaError("unbalanced parentheses or quotes", argument="formula", value=text)
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _call_args(term: str, name: str) -> list[str] | None:
    """Arguments of ``name(...)`` when ``term`` is exactly such a call, else None."""
    head = term[: len(name)]
    rest = term[len(name) :].lstrip()
    if head != name or not rest.startswith("(") or not rest.endswith(")"):
        return None
    inner = rest[1:-1]
    if _split_top_level("(" + inner + ")", ",") != ["(" + inner + ")"]:
        return None  # e.g. "strata(a) + b(c)" is not a single call
    args = _split_top_level(inner, ",")
    return [a for a in args if a]


def parse_formula(formula: str) -> SurvFormula:
    """Parse ``Surv(...) ~ terms`` into its parts.

    Raises
    ------
    FormulaError
        When the formula has no ``~``, no ``Surv()`` response, or a malformed special.
    """
    if not isinstance(formula, str):
        raise FormulaError("a formula must be a string", argument="formula", value=formula)
    sides = _split_top_level(formula, "~")
    if len(sides) != 2 or not sides[0] or not sides[1]:
        raise FormulaError(
            "expected one '~' between the response and the terms",
            argument="formula",
            value=formula,
            fix='write e.g. "Surv(time, status) ~ age + sex"',
        )
    lhs, rhs = sides
    surv = _call_args(lhs, "Surv")
    if surv is None or len(surv) not in (2, 3) or any("=" in a and "==" not in a for a in surv):
        raise FormulaError(
            "the response must be Surv(time, event) or Surv(start, stop, event)",
            argument="formula",
            value=lhs,
        )
    terms: list[str] = []
    strata: list[str] = []
    cluster: str | None = None
    offset: str | None = None
    frailty: FrailtyTerm | None = None
    for term in _split_top_level(rhs, "+"):
        if not term:
            raise FormulaError("empty term", argument="formula", value=formula)
        if term in ("1", "0", "-1"):
            continue
        fr = _frailty_term(term)
        if fr is not None:
            if frailty is not None:
                raise FormulaError("only one frailty() term is supported", argument="formula", value=term,
                                   fix=f"keep one of {frailty.text} and {term}")
            frailty = fr
            continue
        if "frailty" in term and "frailty(" in term.replace(" ", ""):
            raise FormulaError("frailty() must be a term of its own (not inside an interaction or a function)",
                               argument="formula", value=term)
        special = {name: _call_args(term, name) for name in _SPECIALS}
        if special["strata"] is not None:
            if not special["strata"]:
                raise FormulaError("strata() needs a variable", argument="formula", value=term)
            strata.extend(special["strata"])
        elif special["cluster"] is not None:
            if len(special["cluster"]) != 1 or cluster is not None:
                raise FormulaError("one cluster() with one variable", argument="formula", value=term)
            cluster = special["cluster"][0]
        elif special["offset"] is not None:
            if len(special["offset"]) != 1 or offset is not None:
                raise FormulaError("one offset() with one expression", argument="formula", value=term)
            offset = special["offset"][0]
        else:
            terms.append(term)
    parsed = SurvFormula(
        text=formula,
        surv=tuple(surv),
        terms=tuple(terms),
        rhs=" + ".join(terms) if terms else "1",
        strata=tuple(strata),
        cluster=cluster,
        offset=offset,
        frailty=frailty,
    )
    try:
        parsed.variables  # noqa: B018 - validates every expression against the grammar
    except FormulaError:
        raise
    except ValueError as exc:
        raise FormulaError(str(exc), argument="formula", value=formula) from None
    return parsed


def format_level(value: Any) -> str:
    """A value as R prints it in a label: ``1`` not ``1.0``, text as is.

    >>> format_level(1.0), format_level(2.5), format_level("Lev+5FU")
    ('1', '2.5', 'Lev+5FU')
    """
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.15g}"
    return str(value)


def present_levels(series: Any) -> list[Any]:
    """The levels R uses for a grouping or factor variable: a Categorical's categories that
    occur, in category order; otherwise the distinct values, sorted.

    >>> import pandas as pd
    >>> present_levels(pd.Series(["b", "a", None])), present_levels(pd.Categorical(["b", "a"], ["c", "b", "a"]))
    (['a', 'b'], ['b', 'a'])
    """
    import pandas as pd

    series = series if isinstance(series, pd.Series) else pd.Series(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().astype(object))
        return [c for c in series.cat.categories if c in present]
    values = series.dropna().unique()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _codes(column: Any, name: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 where missing) and labels ``name=value`` of one grouping column."""
    import pandas as pd

    series = pd.Series(column) if not isinstance(column, pd.Series) else column
    levels = present_levels(series)
    codes = np.asarray(pd.Categorical(series, categories=levels).codes, dtype=np.int64)
    return codes, [f"{name}={format_level(v)}" for v in levels]


def _combine(
    columns: Sequence[tuple[str, Any]], *, short_labels: bool = False
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Combine grouping columns: codes in lexicographic level order, first column slowest.

    With ``short_labels`` the labels are the levels alone (``"squamous"``), without ``name=``.
    """
    parts = [_codes(col, name) for name, col in columns]
    if short_labels:
        parts = [(codes, [label.split("=", 1)[1] for label in labels]) for codes, labels in parts]
    if len(parts) == 1:
        return parts[0][0], tuple(parts[0][1])
    stacked = np.column_stack([c for c, _ in parts])
    missing = (stacked < 0).any(axis=1)
    combos, codes = np.unique(stacked[~missing], axis=0, return_inverse=True)
    labels = tuple(", ".join(parts[j][1][k] for j, k in enumerate(row)) for row in combos)
    out = np.full(len(stacked), -1, dtype=np.int64)
    out[~missing] = codes.reshape(-1)
    return out, labels


def group_labels(data: Any, terms: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Group codes ``0..k-1`` and R-style labels for KM / log-rank grouping terms.

    Factor (pandas Categorical) levels keep their category order; other values are sorted.
    Several terms combine as R's ``survfit`` does: ``"sex=1, ph.ecog=0"``. A row with a
    missing value gets code -1 (callers drop it, as R's ``na.omit``).

    Examples
    --------
    >>> import pandas as pd
    >>> codes, labels = group_labels(pd.DataFrame({"sex": [2, 1, 2]}), ["sex"])
    >>> codes.tolist(), labels
    ([1, 0, 1], ('sex=1', 'sex=2'))
    """
    if not terms:
        return np.zeros(len(data), dtype=np.int64), ("All",)
    columns = []
    for term in terms:
        inner = _call_args(term, "strata")
        for expr in inner if inner is not None else [term]:
            columns.append((expr, _evaluate_grouping(expr, data)))
    return _combine(columns)


def _evaluate_grouping(expr: str, data: Any) -> Any:
    if expr in getattr(data, "columns", ()):
        return data[expr]
    inner = _call_args(expr, "factor")
    if inner is not None and len(inner) == 1 and inner[0] in getattr(data, "columns", ()):
        return data[inner[0]]
    return expressions.evaluate(expr, data)


def _missing_mask(data: Any, expr: str) -> np.ndarray:
    value = expressions.evaluate(expr, data)
    return np.asarray(expressions.FUNCTIONS["is_missing"](value), dtype=bool).reshape(-1)


def model_frame(formula: str | SurvFormula, data: Any, *, allow_frailty: bool = False,
                what: str = "this analysis") -> ModelFrame:
    """Evaluate a survival formula on a DataFrame with R's ``na.omit``.

    Parameters
    ----------
    formula
        A formula string or a :class:`SurvFormula`.
    data
        A pandas DataFrame holding every variable the formula uses.
    allow_frailty
        Accept a ``frailty()`` term (Cox models); otherwise it is refused, naming ``what``.

    Raises
    ------
    FormulaError
        When a variable is not a column of ``data``.
    InputError
        When the response is invalid (negative times, bad event codes, ...).
    """
    import pandas as pd

    parsed = formula if isinstance(formula, SurvFormula) else parse_formula(formula)
    if not allow_frailty:
        refuse_frailty(parsed, what)
    if not isinstance(data, pd.DataFrame):
        raise FormulaError("a formula needs a pandas DataFrame", argument="data", value=type(data).__name__)
    unknown = sorted(parsed.variables - set(map(str, data.columns)))
    if unknown:
        raise FormulaError(
            f"unknown column(s) {', '.join(map(repr, unknown))}",
            argument="formula",
            value=parsed.text,
            fix=f"available columns: {', '.join(map(str, data.columns[:30]))}",
        )
    used = sorted(parsed.variables)
    missing = data[used].isna().any(axis=1).to_numpy() if used else np.zeros(len(data), bool)
    for expr in (*parsed.surv, parsed.offset):
        if expr is not None:
            missing |= _missing_mask(data, expr)
    kept = ~missing
    frame = data.loc[kept]
    values = [expressions.evaluate(e, frame) for e in parsed.surv]
    names = parsed.surv if len(parsed.surv) == 3 else (parsed.surv[0], parsed.surv[1], "entry")
    if len(values) == 3:
        surv = SurvivalData.from_arrays(values[1], values[2], values[0], names=(names[1], names[2], names[0]))
    else:
        surv = SurvivalData.from_arrays(values[0], values[1], names=(names[0], names[1], names[2]))
    strata_codes: np.ndarray | None = None
    strata_labels: tuple[str, ...] = ()
    if parsed.strata:
        columns = [(e, _evaluate_grouping(e, frame)) for e in parsed.strata]
        # R's strata() omits "name=" from its labels when every argument is a factor.
        all_factors = all(isinstance(getattr(c, "dtype", None), pd.CategoricalDtype) for _, c in columns)
        strata_codes, strata_labels = _combine(columns, short_labels=all_factors)
    cluster = None
    if parsed.cluster is not None:
        cluster = pd.factorize(pd.Series(_evaluate_grouping(parsed.cluster, frame)), sort=True)[0]
    offset = None
    if parsed.offset is not None:
        offset = np.asarray(expressions.evaluate(parsed.offset, frame), dtype=np.float64)
    frailty, frailty_levels = None, ()
    if parsed.frailty is not None:
        codes, uniq = pd.factorize(pd.Series(_evaluate_grouping(parsed.frailty.group, frame)), sort=True)
        frailty, frailty_levels = np.asarray(codes, dtype=np.int64), tuple(uniq.tolist())
    return ModelFrame(
        formula=parsed,
        surv=surv,
        data=frame,
        kept=kept,
        n_missing=int(missing.sum()),
        strata=strata_codes,
        strata_labels=strata_labels,
        cluster=cluster,
        offset=offset,
        frailty=frailty,
        frailty_levels=frailty_levels,
    )
