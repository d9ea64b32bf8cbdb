"""Which columns a report may describe: never an identifier, never free text.

A column of the user's file that is not in the template is free text: it may hold names,
dates or comments, whatever its number of distinct values (a ``commentaire`` with ten
values is as identifying as one with a hundred). It is never described, grouped by or
modelled unless the protocol declares it coded (``[data.codes.<column>]``) or computes a
covariate from it in ``[derived]`` (a comparison, a number). A true/false column cannot hold
a name or a date, and is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sarcohort.data._schema import PATIENTS, is_identifier_name
from sarcohort.exceptions import ProtocolError
from sarcohort.protocol._spec import DERIVED_COLUMNS, Protocol
from sarcohort.stats import expressions

#: Cohort bookkeeping columns, never shown.
_BOOKKEEPING = frozenset({"pseudo_id", "source_row"})


def free_columns(columns: Iterable[str], study: Protocol) -> set[str]:
    """The columns of ``columns`` that are free text: from the user's file, not in the
    template, not declared coded in ``[data.codes]``, not a cohort or ``[derived]`` column."""
    config = study.cohort_config
    declared = set(config.data.codes) | {name for name, _ in config.derived}
    known = set(PATIENTS.names) | set(DERIVED_COLUMNS) | declared
    return {c for c in columns if c not in known}


def check_not_free_text(data: pd.DataFrame, study: Protocol, shown: Iterable[tuple[str, str]],
                        ) -> None:
    """Refuse identifiers and free text among the columns the analysis shows.

    Parameters
    ----------
    data
        The analysed patients.
    study
        The protocol (its ``[data.codes]`` and ``[derived]`` declare columns).
    shown
        ``(column, key)``: the columns described, grouped by or modelled, and the
        protocol key naming each.

    Raises
    ------
    ProtocolError
        Naming the key and the column, with what to do instead.
    """
    derived = dict(study.cohort_config.derived)
    free = free_columns(data.columns, study)
    for name, key in shown:
        if name in _BOOKKEEPING or (name not in derived and is_identifier_name(name)):
            raise ProtocolError(
                "an identifier or a date (an id, a name, a birth date, free comments) is never "
                "described or reported", argument=key, value=name,
                fix="describe a derived variable instead (age, months to metastasis)")
        if name in free and not (name in data.columns
                                 and pd.api.types.is_bool_dtype(data[name].dtype)):
            raise ProtocolError(
                "is a column of your file that is not in the template: free text, which may "
                "hold names, dates or comments, is never described or modelled", argument=key,
                value=name,
                fix=f"declare its codes in [data.codes.{name}] (your value = the code shown), "
                    "or compute a covariate from it in [derived] (e.g. a comparison)")
        if name in derived and name in data.columns and _is_text(data[name]):
            sources = sorted(expressions.names(derived[name]) & free)
            if sources:
                raise ProtocolError(
                    f"is text copied from the free column(s) {', '.join(map(repr, sources))}: "
                    "free text is never described or modelled", argument=key, value=name,
                    fix=f"declare the codes of {sources[0]!r} in [data.codes.{sources[0]}], "
                        "or make the [derived] covariate a comparison")


def _is_text(s: pd.Series) -> bool:
    return not (pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype))
