"""Cox models of the runner: univariable per factor, multivariable per endpoint.

Fits come from :func:`sarcohort.stats.cox.cox` (R's coxph). The design matrix
is built here so that every term has a readable label: a yes/no factor gives
one column (HR of yes vs no), a factor with more levels one indicator per level
against its first level (R's treatment coding), a continuous variable enters as
is (HR per unit). Rows with a missing value in any covariate or in the
endpoint are left out and counted (R's ``na.omit``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sarcohort.analysis import _core
from sarcohort.analysis.results import CoxModel, CoxTerm, clean_float
from sarcohort.analysis.table1 import as_binary, level_labels

__all__ = ["design", "fit_cox", "zph_global_p", "EPV_MIN"]

EPV_MIN = 10.0


def design(
    data: pd.DataFrame, covariates: Sequence[str], label: Callable[[str], str] = str
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int | None], np.ndarray]:
    """Design matrix, term labels, exposed counts and the complete-case mask.

    Returns ``(X, labels, n_exposed, keep)`` where ``X`` has the kept rows only.
    """
    keep = np.ones(len(data), bool)
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    cols: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    exposed: dict[str, int | None] = {}
    sub = data.loc[keep]
    for c in covariates:
        s = sub[c]
        b = as_binary(s)
        if b is not None:
            cols[c] = b.to_numpy(dtype=float)
            labels[c] = label(c)
            exposed[c] = int(cols[c].sum())
        elif pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            cols[c] = s.astype(float).to_numpy()
            labels[c] = f"{label(c)} (per unit)"
            exposed[c] = None
        else:
            lab, order = level_labels(s)
            order = [o for o in order if (lab == o).any()]
            if len(order) < 2:  # one level only: a constant column, which the fit refuses by name
                cols[c], labels[c], exposed[c] = np.zeros(len(sub)), label(c), None
            for lv in order[1:]:
                name = f"{c}={lv}"
                cols[name] = (lab == lv).to_numpy(dtype=float)
                labels[name] = f"{label(c)}: {lv} vs {order[0]}"
                exposed[name] = int(cols[name].sum())
    return pd.DataFrame(cols, index=sub.index), labels, exposed, keep


def zph_global_p(fit: Any) -> float | None:
    """The GLOBAL P of ``fit.zph(transform="km")`` (R's cox.zph), or None when it cannot be computed."""
    try:
        z = fit.zph(transform="km")
    except (ValueError, np.linalg.LinAlgError):  # e.g. a singular information matrix
        return None
    return clean_float(z.p[-1])  # rows: the terms, then GLOBAL


def fit_cox(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    kind: str,
    label: Callable[[str], str] = str,
    ties: str = "efron",
    entry: np.ndarray | None = None,
    selection: str = "explicit",
    conf_level: float = 0.95,
) -> CoxModel:
    """Fit one Cox model and summarise it for the report.

    ``time``/``event`` (and ``entry`` for counting-process data) are aligned with
    ``data``'s rows. Rows with missing covariates are dropped and counted.
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    keep = np.isfinite(time)
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    X, labels, exposed, _ = design(data.loc[keep], covariates, label)
    t, e = time[keep], event[keep]
    ent = None if entry is None else np.asarray(entry, float)[keep]
    warn_texts: list[str] = []
    n_event = int(e.sum())
    n_par = X.shape[1]
    epv = clean_float(n_event / n_par) if n_par else None
    if epv is not None and epv < EPV_MIN:
        warn_texts.append(
            f"{n_event} events for {n_par} coefficients: {epv:.1f} events per variable "
            f"(< {EPV_MIN:.0f}); estimates may be unstable and biased away from 1."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kwargs: dict[str, Any] = {"ties": ties, "conf_level": conf_level}
        if ent is not None:
            kwargs["entry"] = ent
        try:
            fit = _core.cox(t, e, X, **kwargs)
        except (ValueError, np.linalg.LinAlgError) as exc:  # InputError included: reported, not fatal
            warn_texts.append(f"the model could not be fitted: {exc}")
            fit = None
    for w in caught:
        warn_texts.append(str(w.message))
    if selection != "explicit":
        warn_texts.append(
            "Covariates were selected by their univariable P value: data-driven selection "
            "inflates the retained effects and makes P values and CIs too optimistic."
        )
    if fit is None:
        empty = tuple(CoxTerm(name=c, label=labels[c], coef=None, se=None, hr=None, lower=None,
                              upper=None, p=None, n_exposed=exposed[c]) for c in X.columns)
        return CoxModel(endpoint=endpoint, endpoint_label=endpoint_label, kind=kind,
                        covariates=tuple(covariates), terms=empty, n=int(keep.sum()),
                        n_event=n_event, n_missing=int((~keep).sum()), epv=epv,
                        zph_global_p=None, lr_p=None, concordance=None,
                        warnings=tuple(warn_texts), selection=selection)
    names = [str(n) for n in fit.terms]
    lookup = {n: i for i, n in enumerate(names)}
    terms = []
    for c in X.columns:
        i = lookup[c]
        terms.append(CoxTerm(
            name=c, label=labels[c],
            coef=clean_float(np.asarray(fit.coef)[i]), se=clean_float(np.asarray(fit.se)[i]),
            hr=clean_float(np.asarray(fit.hr)[i]), lower=clean_float(np.asarray(fit.hr_lower)[i]),
            upper=clean_float(np.asarray(fit.hr_upper)[i]), p=clean_float(np.asarray(fit.p)[i]),
            n_exposed=exposed[c]))
    # the concordance is shown for multivariable models only (it costs more than the fit)
    conc = fit.concordance if kind == "multivariable" else None
    return CoxModel(
        endpoint=endpoint, endpoint_label=endpoint_label, kind=kind,
        covariates=tuple(covariates), terms=tuple(terms), n=int(fit.n),
        n_event=int(fit.n_event), n_missing=int((~keep).sum()), epv=epv,
        zph_global_p=zph_global_p(fit) if kind != "time-dependent" else None,
        lr_p=clean_float(fit.lr_test.p),
        concordance=clean_float(conc.value) if conc is not None else None,
        warnings=tuple(warn_texts), selection=selection)
