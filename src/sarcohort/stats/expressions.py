"""Safe evaluation of small expressions over the columns of a table.

Used wherever a user writes an expression: ``Surv(time, status == 2)``, ``log(bili)``,
``offset(0.02 * age)`` in model formulas, and derived covariates in a protocol
(``more_than_5_metastases = "n_metastases > 5"``). Python's ``eval`` is never used: the
expression is parsed with :mod:`ast` and only a small grammar is accepted.

Grammar
-------
numbers, strings (``'x'`` or ``"x"``), ``True``/``False``, column names (dots allowed, as in
R: ``ph.ecog``; backticks quote any name: ```my col```), arithmetic ``+ - * / % ^`` (R's ``^`` and ``%%`` are read as power and modulo),
comparisons ``== != < <= > >=``, ``and``/``or``/``not`` (also R's ``&``/``&&``, ``|``/``||``
and ``!``, and ``~`` for not, all with R's precedence: arithmetic, then comparisons, then
not, and, or; so ``~ met_bone == 'yes'`` is ``not (met_bone == 'yes')`` and
``n > 5 & bone == 'yes'`` is ``(n > 5) and (bone == 'yes')``),
``x in [a, b]`` and ``x not in [...]``, parentheses, and calls to the functions in
:data:`FUNCTIONS`. Attribute access, subscripts, lambdas and any other call are rejected
with an :class:`~sarcohort.exceptions.InputError`.

Missing values propagate: an arithmetic result is NaN where an operand is missing, and a
comparison or logical result is NaN there too (the result is then a float array of 0/1/NaN;
without missing values it is boolean). ``is_missing(x)`` tests for missing values.

Examples
--------
>>> import numpy as np
>>> evaluate("status == 2", {"status": np.array([1, 2, 2])})
array([False,  True,  True])
>>> evaluate("log(ph.ecog + 1)", {"ph.ecog": np.array([0.0, np.nan])})
array([ 0., nan])
>>> evaluate("grade in [2, 3] and not (age < 18)", {"grade": [1, 2, 3], "age": [30, 40, 10]})
array([False,  True, False])

Exports :func:`evaluate`, :func:`names`, :func:`validate` and :data:`FUNCTIONS`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from sarcohort.exceptions import InputError

__all__ = ["evaluate", "names", "validate", "FUNCTIONS"]

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.]*")
_RESERVED = {"and", "or", "not", "in", "True", "False", "None"}


def _pmin(*args: np.ndarray) -> np.ndarray:
    return np.minimum.reduce(np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args]))


def _pmax(*args: np.ndarray) -> np.ndarray:
    return np.maximum.reduce(np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args]))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "I": lambda x: x,
    "factor": lambda x: x,
    "is_missing": lambda x: _missing(x),
    "pmin": _pmin,
    "pmax": _pmax,
}
"""The functions an expression may call."""


class _Parsed:
    """An expression after name substitution: its AST and placeholder -> column map."""

    def __init__(self, tree: ast.Expression, columns: dict[str, str]) -> None:
        self.tree = tree
        self.columns = columns


def _reject(expr: str, why: str) -> InputError:
    return InputError(
        f"expression not allowed: {why}",
        argument="expression",
        value=expr,
        fix="use column names, numbers, strings, arithmetic, comparisons, and/or/not, "
        f"'in [...]' and the functions {', '.join(sorted(FUNCTIONS))}",
    )


def _substitute_names(expr: str) -> tuple[str, dict[str, str]]:
    """Replace column names (dotted or backticked) with placeholders; leave strings alone."""
    out: list[str] = []
    columns: dict[str, str] = {}
    by_name: dict[str, str] = {}
    i, n = 0, len(expr)

    def placeholder(name: str) -> str:
        if name not in by_name:
            by_name[name] = f"col{len(by_name)}_"
            columns[by_name[name]] = name
        return by_name[name]

    while i < n:
        ch = expr[i]
        if ch in "'\"":
            j = expr.find(ch, i + 1)
            if j < 0:
                raise _reject(expr, "unterminated string")
            out.append(expr[i : j + 1])
            i = j + 1
        elif ch == "`":
            j = expr.find("`", i + 1)
            if j < 0:
                raise _reject(expr, "unterminated backtick name")
            out.append(placeholder(expr[i + 1 : j]))
            i = j + 1
        elif _NAME_START.match(ch) and not (out and out[-1][-1:].isdigit()):
            m = _NAME_CHARS.match(expr, i + 1)
            end = m.end() if m else i + 1
            word = expr[i:end]
            rest = expr[end:].lstrip()
            if word in _RESERVED:  # other Python keywords (lambda, class) are column names, as in R
                out.append(word)
            elif rest.startswith("(") and word in FUNCTIONS:
                out.append(word)
            elif rest.startswith("("):
                raise _reject(expr, f"unknown function {word!r}")
            else:
                out.append(placeholder(word))
            i = end
        elif ch == "^":  # R's power operator
            out.append("**")
            i += 1
        elif expr.startswith("%%", i):  # R's modulo
            out.append("%")
            i += 2
        elif ch in "&|":  # R's & and && (| and ||): and, or, with R's precedence
            out.append(" and " if ch == "&" else " or ")
            i += 2 if expr.startswith(ch * 2, i) else 1
        elif (ch == "!" and not expr.startswith("!=", i)) or ch == "~":  # R's !, and ~: not
            out.append(" not ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), columns


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Mod,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
)


@lru_cache(maxsize=512)
def _parse(expr: str) -> _Parsed:
    if not isinstance(expr, str) or not expr.strip():
        raise _reject(str(expr), "empty expression")
    if len(expr) > 2000:
        raise _reject(expr, "longer than 2000 characters")
    text, columns = _substitute_names(expr.strip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _reject(expr, f"syntax error ({exc.msg})") from None
    except (RecursionError, MemoryError):  # pragma: no cover - depends on the Python build
        raise _reject(expr, f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth(tree) > MAX_DEPTH:
        raise _reject(expr, f"nested deeper than {MAX_DEPTH} levels (brackets, operators "
                      "or calls); split it into several [derived] covariates")
    in_lists = {id(c) for node in ast.walk(tree) if isinstance(node, ast.Compare)
                for op, c in zip(node.ops, node.comparators, strict=True)
                if isinstance(op, (ast.In, ast.NotIn))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)) and id(node) not in in_lists:
            raise _reject(expr, "a list [...] may only follow 'in' or 'not in'")
        if not isinstance(node, _ALLOWED_NODES):
            raise _reject(expr, f"{type(node).__name__.lower()} is not part of the grammar")
        if isinstance(node, ast.Name) and node.id not in columns and node.id not in FUNCTIONS:
            raise _reject(expr, f"unknown name {node.id!r}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise _reject(expr, "only the listed functions may be called")
            if node.keywords:
                raise _reject(expr, "keyword arguments are not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
            raise _reject(expr, f"constant {node.value!r}")
        if isinstance(node, ast.Compare):
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, (ast.In, ast.NotIn)) and not isinstance(comp, (ast.List, ast.Tuple)):
                    raise _reject(expr, "'in' needs a list, e.g. x in [1, 2]")
        if isinstance(node, (ast.List, ast.Tuple)) and not all(
            isinstance(e, ast.Constant) or (isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant))
            for e in node.elts
        ):
            raise _reject(expr, "a list may hold only constants")
    return _Parsed(tree, columns)


#: Deepest nesting of an expression (a deeper one is refused, never a RecursionError).
MAX_DEPTH = 100


def _depth(tree: ast.AST) -> int:
    """Depth of the syntax tree, without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


def validate(expr: str) -> None:
    """Raise :class:`InputError` unless ``expr`` is inside the grammar."""
    _parse(expr)


def names(expr: str) -> set[str]:
    """The column names an expression uses.

    >>> sorted(names("log(bili) + `my col` * ph.ecog"))
    ['bili', 'my col', 'ph.ecog']
    """
    return set(_parse(expr).columns.values())


def _missing(x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "biu":
        return np.zeros(arr.shape, dtype=bool)
    import pandas as pd

    return np.asarray(pd.isna(arr), dtype=bool)


def _column(data: Any, name: str, expr: str) -> np.ndarray:
    try:
        col = data[name]
    except (KeyError, IndexError):
        raise InputError(
            f"unknown column {name!r} in expression {expr!r}",
            argument="expression",
            fix="check the spelling; column names are case-sensitive",
        ) from None
    if hasattr(col, "dtype") and str(getattr(col, "dtype", "")) == "category":
        return np.asarray(col.astype(object).where(col.notna(), None), dtype=object)
    arr = np.asarray(col.to_numpy() if hasattr(col, "to_numpy") else col)
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64) if _has_na_dtype(col) else arr
    if arr.dtype.kind == "O":
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            return arr
    return arr


def _has_na_dtype(col: Any) -> bool:
    return hasattr(col, "isna") and bool(col.isna().any())


def _with_missing(result: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if missing.any():
        out = np.asarray(result, dtype=float).copy()
        out[np.broadcast_to(missing, out.shape)] = np.nan
        return out
    return result


def _truth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    miss = _missing(x)
    if miss.any():
        return np.where(miss, False, np.asarray(x, dtype=object) == True), miss  # noqa: E712
    return np.asarray(x).astype(bool), miss


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


class _Evaluator:
    def __init__(self, parsed: _Parsed, data: Any, expr: str,
                 levels: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.parsed, self.data, self.expr = parsed, data, expr
        self.levels = levels or {}

    def _coded(self, node: ast.AST) -> str | None:
        """The column of a bare column-name node whose values are codes, else None."""
        if isinstance(node, ast.Name) and node.id in self.parsed.columns:
            name = self.parsed.columns[node.id]
            return name if name in self.levels else None
        return None

    def _code_of(self, column: str, node: ast.AST) -> Any:
        """The value a text constant compared with a coded column means: a code, or a
        label of a code (``'Yes'`` -> ``'yes'``, ``'Male'`` -> ``'M'``)."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self._code_of(column, e) for e in node.elts]
        value = self(node)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        spellings = self.levels[column]
        key = str(value).strip().casefold()
        if key in spellings:
            return spellings[key]
        codes = list(dict.fromkeys(str(v) for v in spellings.values()))
        others = [k for k in spellings if k not in {c.casefold() for c in codes}]
        raise InputError(
            f"{value!r} is not a value of {column}, so this comparison would be false for "
            f"every patient", argument="expression", value=self.expr,
            fix=f"use one of its codes {', '.join(map(repr, codes))}"
                + (f" (or their labels {', '.join(map(repr, others))})" if others else ""))

    def _operand(self, node: ast.AST, other: ast.AST) -> Any:
        column = self._coded(other)
        if column is not None and isinstance(node, (ast.List, ast.Tuple, ast.Constant)):
            return self._code_of(column, node)
        return self(node)

    def __call__(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        return _column(self.data, self.parsed.columns[node.id], self.expr)

    def _List(self, node: ast.List | ast.Tuple) -> list[Any]:
        return [self(e) for e in node.elts]

    _Tuple = _List

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self(node.operand)
        if isinstance(node.op, ast.Not):
            truth, miss = _truth(np.asarray(value))
            return _with_missing(~truth, miss)
        arr = np.asarray(value, dtype=float)
        return -arr if isinstance(node.op, ast.USub) else arr

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self(node.left), self(node.right)
        try:
            a, b = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        except (TypeError, ValueError):
            raise InputError(
                f"arithmetic on a non-numeric value in {self.expr!r}",
                argument="expression",
                fix="compare text columns with == or 'in [...]' instead",
            ) from None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _BINOPS[type(node.op)](a, b)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        return self._logical(isinstance(node.op, ast.And), node.values)

    def _logical(self, is_and: bool, operands: list[ast.expr]) -> Any:
        truths, misses = zip(*(_truth(np.asarray(self(v))) for v in operands), strict=True)
        result = np.logical_and.reduce(truths) if is_and else np.logical_or.reduce(truths)
        # Kleene logic: a definite False (and) / True (or) wins over a missing operand.
        decided = np.logical_or.reduce(
            [~t & ~m if is_and else t & ~m for t, m in zip(truths, misses, strict=True)]
        )
        missing = np.logical_or.reduce(misses) & ~decided
        return _with_missing(result, missing)

    def _Compare(self, node: ast.Compare) -> Any:
        left = self._operand(node.left, node.comparators[0])
        left_node: ast.AST = node.left
        result: Any = None
        missing: Any = False
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self._operand(comp, left_node)
            left_node = comp
            larr = np.asarray(left)
            if isinstance(op, (ast.In, ast.NotIn)):
                part = _isin(larr, right)
                if isinstance(op, ast.NotIn):
                    part = ~part
                miss = _missing(larr)
            else:
                rarr = np.asarray(right)
                miss = _missing(larr) | _missing(rarr)
                part = _compare(_CMPOPS[type(op)], larr, rarr, self.expr)
            result = part if result is None else result & part
            missing = missing | miss
            left = right
        return _with_missing(np.asarray(result, dtype=bool), np.asarray(missing))

    def _Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        args = [self(a) for a in node.args]
        if func in (np.log, np.log2, np.log10, np.exp, np.sqrt, np.abs):
            args = [np.asarray(a, dtype=float) for a in args]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return func(*args)


def _isin(values: np.ndarray, options: list[Any]) -> np.ndarray:
    if values.dtype.kind in "fiub" and all(isinstance(o, (int, float, bool)) for o in options):
        return np.isin(values, np.asarray(options, dtype=float))
    as_text = {str(o) for o in options}
    return np.fromiter((str(v) in as_text for v in values.ravel()), bool, values.size).reshape(values.shape)


def _as_number(text: np.ndarray, expr: str) -> np.ndarray:
    """A text constant compared with numbers: its number, or an error (never all false)."""
    try:
        return np.asarray(float(str(text[()])))
    except ValueError:
        raise InputError(
            f"compares numbers (or true/false values) with the text {str(text[()])!r}: it "
            "would be false for every row", argument="expression", value=expr,
            fix="compare with a number, e.g. n_metastases > 5, or with true/false") from None


def _compare(op: Callable[[Any, Any], Any], left: np.ndarray, right: np.ndarray, expr: str) -> np.ndarray:
    if left.dtype.kind in "fiub" and right.ndim == 0 and right.dtype.kind == "U":
        right = _as_number(right, expr)
    elif right.dtype.kind in "fiub" and left.ndim == 0 and left.dtype.kind == "U":
        left = _as_number(left, expr)
    numeric = left.dtype.kind in "fiub" and right.dtype.kind in "fiub"
    if numeric:
        with np.errstate(invalid="ignore"):
            return np.asarray(op(left, right), dtype=bool)
    if op in (np.equal, np.not_equal):
        l_obj = left.astype(object) if left.dtype.kind != "O" else left
        r_obj = right.astype(object) if right.dtype.kind != "O" else right
        eq = np.vectorize(_equal_values, otypes=[bool])(l_obj, r_obj)
        return eq if op is np.equal else ~eq
    try:
        return np.asarray(op(left, right), dtype=bool)
    except TypeError:
        raise InputError(
            f"cannot order text and numbers in {expr!r}",
            argument="expression",
            fix="compare text with == / != or 'in [...]'",
        ) from None


def _equal_values(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - exotic objects
        return False


def evaluate(expr: str, data: Mapping[str, Any] | Any, *,
             levels: Mapping[str, Mapping[str, Any]] | None = None) -> np.ndarray:
    """Evaluate ``expr`` over the columns of ``data`` (a DataFrame or a mapping of arrays).

    Parameters
    ----------
    expr
        An expression in the grammar of this module.
    data
        A pandas DataFrame or a mapping from column name to array-like.
    levels
        Coded columns: column -> {spelling (case-folded): value}. A text constant
        compared (``==``, ``!=``, ``in``) with such a column must be one of its
        spellings, and means that value (``'Male'`` -> ``'M'``); anything else is an
        error listing the codes, never a comparison false for every row.

    Returns
    -------
    numpy.ndarray
        One value per row (a scalar expression is broadcast to the number of rows when it
        uses no column).

    Raises
    ------
    InputError
        For anything outside the grammar, a column that does not exist, a text that is
        not a value of the coded column it is compared with, or values that cannot be
        combined (columns of different lengths, arithmetic on text).
    """
    parsed = _parse(expr)
    try:
        value = np.asarray(_Evaluator(parsed, data, expr, levels)(parsed.tree))
    except (ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot be evaluated ({exc})", argument="expression", value=expr,
                         fix="check that every column has one value per row, and the "
                             "types of the values compared") from None
    if value.ndim == 0:
        n = len(data) if hasattr(data, "__len__") and hasattr(data, "columns") else None
        if n is None and isinstance(data, Mapping) and data:
            n = len(next(iter(data.values())))
        if n is not None:
            value = np.full(n, value[()])
    return value

