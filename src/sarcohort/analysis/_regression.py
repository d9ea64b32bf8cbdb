"""Cox models of the runner: univariable per factor, multivariable per endpoint.

Fits come from :func:`sarcohort.stats.cox.cox` (R's coxph). The design matrix
is built here so that every term has a readable label: a yes/no factor gives
one column (HR of yes vs no), a factor with more levels one indicator per level
against its first level (R's treatment coding), a continuous variable enters as
is (HR per unit). Rows with a missing value in any covariate or in the
endpoint are left out and counted (R's ``na.omit``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sarcohort.analysis._results import (
    CoxModel,
    CoxTerm,
    CoxVariable,
    ZphCurve,
    ZphRow,
    clean_float,
)
from sarcohort.analysis._table1 import as_binary, level_labels
from sarcohort.stats.cox import cox
from sarcohort.stats.cox_result import CoxResult
from sarcohort.stats.results import Ties

if TYPE_CHECKING:
    from sarcohort.stats.zph_scaled import ScaledSchoenfeld

EPV_MIN = 10.0


def _continuous_label(text: str, per: float = 1.0) -> str:
    """A continuous covariate's row label, its unit said once: ``Age at metastasis, years``
    with ``per = 10`` reads ``Age at metastasis (per 10 years)``; without a unit in the
    label, ``(per 10 units)``; per 1 unit, a label naming its unit is left as it is.

    Examples
    --------
    >>> _continuous_label("Age, years", 10), _continuous_label("Age, years"), _continuous_label("Score")
    ('Age (per 10 years)', 'Age, years', 'Score (per unit)')
    """
    base, sep, unit = text.rpartition(", ")
    if per == 1.0:
        return text if sep or "(" in text else f"{text} (per unit)"
    if sep:
        return f"{base} (per {per:g} {unit})"
    return f"{text} (per {per:g} units)"


def design(
    data: pd.DataFrame, covariates: Sequence[str], label: Callable[[str], str] = str
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int | None], np.ndarray]:
    """Design matrix, term labels, exposed counts and the complete-case mask.

    Returns ``(X, labels, n_exposed, keep)`` where ``X`` has the kept rows only.
    """
    X, labels, exposed, keep, _ = design_variables(data, covariates, label)
    return X, labels, exposed, keep


def design_variables(
    data: pd.DataFrame, covariates: Sequence[str], label: Callable[[str], str] = str,
    per: Mapping[str, float] | None = None, *, complete: bool = False,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int | None], np.ndarray, list[CoxVariable]]:
    """:func:`design` and the covariates as :class:`CoxVariable` (terms, reference level);
    a continuous covariate named in ``per`` enters divided by it (HR per that many units).
    ``complete``: the caller kept only rows with every covariate (not checked again)."""
    keep = np.ones(len(data), bool)
    for c in () if complete else covariates:
        keep &= data[c].notna().to_numpy()
    cols: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    exposed: dict[str, int | None] = {}
    variables: list[CoxVariable] = []
    columns = list(dict.fromkeys(covariates))  # a registry's rows: only these columns
    sub = data[columns] if keep.all() else data.loc[keep, columns]
    for c in covariates:
        s = sub[c]
        b = as_binary(s)
        if b is not None:
            cols[c] = b.to_numpy(dtype=float)
            labels[c] = label(c)
            exposed[c] = int(cols[c].sum())
            variables.append(CoxVariable(c, label(c), "binary", (c,), reference="No",
                                         compared="Yes"))
        elif pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            k = float((per or {}).get(c, 1.0))
            cols[c] = s.astype(float).to_numpy() / k
            labels[c] = _continuous_label(label(c), k)
            exposed[c] = None
            variables.append(CoxVariable(c, labels[c], "continuous", (c,)))
        else:
            lab, order = level_labels(s)
            order = [o for o in order if (lab == o).any()]
            if len(order) < 2:  # one level only: a constant column, which the fit refuses by name
                cols[c], labels[c], exposed[c] = np.zeros(len(sub)), label(c), None
                variables.append(CoxVariable(c, label(c), "factor", (c,)))
                continue
            names = []
            for lv in order[1:]:
                name = f"{c}={lv}"
                cols[name] = (lab == lv).to_numpy(dtype=float)
                labels[name] = f"{label(c)}: {lv} vs {order[0]}"
                exposed[name] = int(cols[name].sum())
                names.append(name)
            if len(order) == 2:
                variables.append(CoxVariable(c, label(c), "binary", tuple(names),
                                             reference=order[0], compared=order[1]))
            else:
                variables.append(CoxVariable(c, label(c), "factor", tuple(names),
                                             reference=order[0]))
    return pd.DataFrame(cols, index=sub.index), labels, exposed, keep, variables


def zph_global_p(fit: CoxResult) -> float | None:
    """The GLOBAL P of ``fit.zph(transform="km")`` (R's cox.zph), or None when it cannot be computed."""
    try:
        z = fit.zph(transform="km")
    except (ValueError, np.linalg.LinAlgError):  # e.g. a singular information matrix
        return None
    return clean_float(z.p[-1])  # rows: the terms, then GLOBAL


#: Most scaled Schoenfeld residuals of a term kept for the figure and results.json.
ZPH_POINTS = 500


def zph_points(y: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Which residuals (rows in event-time order) the figure shows: all up to ``limit``
    (default :data:`ZPH_POINTS`), else ``limit`` evenly spaced in rank of event time
    (``round(linspace(0, d - 1, limit))``: the first and last event included) plus the
    lowest and the highest residual (so the axis spans the same range). Deterministic;
    the smooth, its band and the test use every residual."""
    limit = ZPH_POINTS if limit is None else limit
    d = int(np.asarray(y).shape[0])
    if d <= limit:
        return np.arange(d)
    even = np.round(np.linspace(0, d - 1, limit)).astype(np.intp)
    extremes = np.array([int(np.nanargmin(y)), int(np.nanargmax(y))], dtype=np.intp)
    return np.unique(np.concatenate([even, extremes]))


def _zph(fit: CoxResult, X: pd.DataFrame, variables: Sequence[CoxVariable]
         ) -> tuple[tuple[ZphRow, ...], ScaledSchoenfeld | None]:
    """R's ``cox.zph(fit, transform = "km")`` per variable (a factor: one row, its columns
    together) and GLOBAL, and the scaled Schoenfeld residuals (None when they cannot be
    computed) for :func:`_zph_curves`."""
    from sarcohort.stats.zph_scaled import scaled_schoenfeld, zph_score_of, zph_terms

    index = {str(c): j for j, c in enumerate(X.columns)}
    groups = [(v.name, [index[t] for t in v.terms]) for v in variables if all(t in index for t in v.terms)]
    labels = {v.name: v.label for v in variables} | {"GLOBAL": "Global test"}
    try:
        score = zph_score_of(fit)  # one pass over the rows, for the tests and the residuals
        z = zph_terms(fit, groups, score=score)
    except (ValueError, np.linalg.LinAlgError):
        return (), None
    rows = tuple(ZphRow(name=n, label=labels.get(n, n), chisq=clean_float(c), df=int(d),
                        p=clean_float(pv))
                 for n, c, d, pv in zip(z.rows, z.chisq, z.df, z.p, strict=True))
    try:
        return rows, scaled_schoenfeld(fit, score=score)
    except (ValueError, np.linalg.LinAlgError):
        return rows, None


def _zph_curves(s: ScaledSchoenfeld | None, columns: Sequence[Any], coef: np.ndarray
                ) -> tuple[ZphCurve, ...]:
    """The scaled Schoenfeld residuals ``s`` of the columns (coefficients ``coef``) and their
    smooth (``plot.cox.zph``); none without residuals or when the spline cannot be fitted."""
    from sarcohort.stats.zph_scaled import time_axis_ticks, zph_smooths

    if s is None:
        return ()
    out = []
    try:
        at, labs = time_axis_ticks(s.x, s.time)
        smooths = zph_smooths(s.x, [s.y[:, j] for j in range(len(columns))],  # from every residual
                              [float(s.var[j, j]) for j in range(len(columns))])
        for j, (term, sm) in enumerate(zip(columns, smooths, strict=True)):
            shown = zph_points(s.y[:, j])
            out.append(ZphCurve(
                term=str(term), label=str(term), coef=clean_float(coef[j]),
                x=tuple(s.x[shown].tolist()), y=tuple(s.y[shown, j].tolist()),
                smooth_x=tuple(map(float, sm.x)), smooth=tuple(map(float, sm.fit)),
                lower=tuple(map(float, sm.lower)), upper=tuple(map(float, sm.upper)),
                axis_at=tuple(float(a) for a in at if np.isfinite(a)),
                axis_labels=tuple(float(b) for a, b in zip(at, labs, strict=True) if np.isfinite(a)),
                points_shown=int(shown.size), points_total=int(s.y.shape[0])))
    except (ValueError, np.linalg.LinAlgError):  # too few distinct event times for the spline
        return ()
    return tuple(out)


def _overall_lr(t: np.ndarray, e: np.ndarray, X: pd.DataFrame, fit: CoxResult, v: CoxVariable,
                *, entry: np.ndarray | None, ties: Ties, conf_level: float) -> CoxVariable:
    """The likelihood-ratio test of a factor's terms together (R's ``drop1(fit, test =
    "Chisq")``, ``anova``): the model refitted without them, on the same rows."""
    rest = X.drop(columns=list(v.terms))
    if rest.shape[1] == 0:
        ll0, df = float(fit.loglik_null), len(v.terms)
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ll0 = float(cox(t, e, rest, entry=entry, ties=ties, conf_level=conf_level).loglik)
            except (ValueError, np.linalg.LinAlgError):
                return v
        if caught:  # the reduced model did not converge: no trustworthy test
            return v
        df = len(v.terms)
    chisq = max(0.0, 2.0 * (float(fit.loglik) - ll0))
    from scipy import special

    return dataclasses.replace(v, overall_chisq=clean_float(chisq), overall_df=df,
                               overall_p=clean_float(special.chdtrc(df, chisq)))


def fit_cox(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    kind: str,
    ties: Ties,
    conf_level: float,
    label: Callable[[str], str] = str,
    entry: np.ndarray | None = None,
    selection: str = "explicit",
    per: Mapping[str, float] | None = None,
    zph_test: bool = True,
) -> CoxModel:
    """Fit one Cox model and summarise it for the report.

    ``time``/``event`` (and ``entry`` for counting-process data) are aligned with
    ``data``'s rows. Rows with missing covariates are dropped and counted.
    ``zph_test``: compute the global proportional-hazards test (cox.zph) of a model that is
    neither univariable nor time-dependent; False leaves ``zph_global_p`` None (a caller
    that keeps only a term saves a pass over the rows).
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    keep = np.isfinite(time)
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    columns = list(dict.fromkeys(covariates))
    X, labels, exposed, _, variables = design_variables(
        data[columns] if keep.all() else data.loc[keep, columns], covariates, label, per,
        complete=True)
    whole = bool(keep.all())  # every row kept (a registry's endpoint): views, not copies
    t, e = (time, event) if whole else (time[keep], event[keep])
    ent = None if entry is None else np.asarray(entry, float)
    ent = ent if ent is None or whole else ent[keep]
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
        try:
            # X is this call's own design, only read after the fit: held by it, not copied
            fit: CoxResult | None = cox(t, e, X, entry=ent, ties=ties, conf_level=conf_level,
                                        copy_X=False)
        except (ValueError, np.linalg.LinAlgError) as exc:  # InputError included: reported, not fatal
            warn_texts.append(f"the model could not be fitted: {exc}")
            fit = None
    firth = False
    if fit is not None and any(_diverged(str(w.message)) for w in caught):
        refit, firth, caught = _firth_refit(t, e, X, caught, entry=ent, ties=ties, conf_level=conf_level)
        fit = refit if firth else fit
        del refit
    for w in caught:
        warn_texts.append(str(w.message))
    if firth:
        warn_texts.append(
            "Monotone likelihood (a coefficient diverged, e.g. no event in one category, and the "
            "ordinary fit did not converge): the model was refitted with Firth's penalised partial likelihood; confidence intervals are "
            "profile penalised-likelihood intervals and P values penalised likelihood-ratio tests.")
    if selection != "explicit":
        warn_texts.append(
            "Covariates were selected by their univariable P value: data-driven selection "
            "inflates the retained effects and makes P values and CIs too optimistic."
        )
    if fit is None:
        empty = tuple(CoxTerm(name=c, label=labels[c], coef=None, se=None, hr=None, lower=None,
                              upper=None, p=None, n_exposed=exposed[c], **_owner(c, variables))
                      for c in X.columns)
        return CoxModel(endpoint=endpoint, endpoint_label=endpoint_label, kind=kind,
                        covariates=tuple(covariates), terms=empty, n=int(keep.sum()),
                        n_event=n_event, n_missing=int((~keep).sum()), epv=epv,
                        zph_global_p=None, lr_p=None, concordance=None,
                        warnings=tuple(warn_texts), selection=selection, variables=tuple(variables))
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
            n_exposed=exposed[c], **_owner(c, variables)))
    variables = [_overall_lr(t, e, X, fit, v, entry=ent, ties=ties, conf_level=conf_level)
                 if v.kind == "factor" and len(v.terms) > 1 and not firth else v for v in variables]
    # the concordance and the residual curves are for multivariable models only (they cost
    # more than the fit); the time-dependent model's zph would test the split rows
    X = X.iloc[:0].copy()  # the rows are in the fit now: free them before the passes below
    conc = fit.concordance if kind == "multivariable" else None
    zph, resid = _zph(fit, X, variables) if kind == "multivariable" else ((), None)
    global_p = (zph[-1].p if zph else zph_global_p(fit)) if zph_test and kind not in (
        "time-dependent", "univariable") else None
    n_fit, n_event_fit, lr_p, coef = int(fit.n), int(fit.n_event), clean_float(fit.lr_test.p), np.asarray(fit.coef)
    del fit  # the fit's sorted rows are no longer read: freed before the spline's QR
    curves = _zph_curves(resid, list(X.columns), coef)
    if curves:
        curves = tuple(dataclasses.replace(cv, label=labels[cv.term]) for cv in curves)
    return CoxModel(
        endpoint=endpoint, endpoint_label=endpoint_label, kind=kind,
        covariates=tuple(covariates), terms=tuple(terms), n=n_fit,
        n_event=n_event_fit, n_missing=int((~keep).sum()), epv=epv,
        zph_global_p=global_p,
        lr_p=lr_p,
        concordance=clean_float(conc.value) if conc is not None else None,
        warnings=tuple(warn_texts), selection=selection, variables=tuple(variables),
        zph=zph, zph_curves=curves, firth=firth)


def _diverged(message: str) -> bool:
    """A warning of the ordinary fit that Firth's correction answers: a diverging coefficient
    (monotone likelihood), or no convergence (the same, short of R's detection rule)."""
    return "monotone likelihood" in message or "did not converge" in message


def _firth_refit(t: np.ndarray, e: np.ndarray, X: pd.DataFrame, caught: list[warnings.WarningMessage], *,
                 entry: np.ndarray | None, ties: Ties, conf_level: float
                 ) -> tuple[Any, bool, list[warnings.WarningMessage]]:
    """The Firth-penalised refit of a model with monotone likelihood (the ordinary fit's
    divergence warning is dropped: the refit replaces it); the ordinary fit if it fails."""
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        try:
            fit = cox(t, e, X, entry=entry, ties=ties, conf_level=conf_level, firth=True)
        except (ValueError, np.linalg.LinAlgError):
            return None, False, caught
    kept = [w for w in caught if not _diverged(str(w.message))]
    return fit, True, kept + list(again)


def _owner(term: str, variables: Sequence[CoxVariable]) -> dict[str, Any]:
    """The variable a term belongs to and, for a factor's indicator, its level."""
    for v in variables:
        if term in v.terms:
            level = term.split("=", 1)[1] if "=" in term else (v.compared if v.kind == "binary"
                                                                else None)
            return {"variable": v.name, "level": level}
    return {"variable": term, "level": None}
