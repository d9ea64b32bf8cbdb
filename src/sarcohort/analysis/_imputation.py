"""Multiple imputation of missing covariates by chained equations, for the Cox models.

statsmodels' :class:`~statsmodels.imputation.mice.MICEData` imputes each incomplete covariate
in turn from all the others by predictive mean matching (an observed value of one of the 5
nearest donors, as R's ``mice`` default), with the outcome in every imputation model as
White & Royston (2009) recommend: the event indicator and the Nelson-Aalen cumulative hazard
at the patient's time (R's ``mice::nelsonaalen``). Factors are imputed on their codes; PMM only
draws observed values, so an imputed factor always holds one of its levels. After a burn-in of
10 cycles, each of the m completed data sets is taken 5 cycles after the previous one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcohort.analysis._regression import design_variables
from sarcohort.analysis._results import CoxTerm, ImputedModel, clean_float
from sarcohort.stats.cox import cox
from sarcohort.stats.pool import pool
from sarcohort.stats.results import Ties

BURN_IN = 10
SKIP = 5
DONORS = 5


@dataclass(frozen=True)
class Imputations:
    """The m completed data sets (the covariates only) and what was imputed."""

    completed: tuple[pd.DataFrame, ...]
    n_imputed: dict[str, int]  # variable -> number of imputed values
    seed: int


def nelson_aalen(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The cumulative hazard at each patient's own time, every death at that time included, as
    ``mice::nelsonaalen`` (``basehaz`` of a null Efron ``coxph``: d tied deaths among n at risk
    add ``1/n + 1/(n-1) + ... + 1/(n-d+1)``, the Fleming-Harrington form)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    ut, inv = np.unique(time, return_inverse=True)
    deaths = np.bincount(inv, weights=event.astype(float), minlength=ut.size).astype(np.int64)
    at_risk = np.cumsum(np.bincount(inv, minlength=ut.size)[::-1])[::-1].astype(float)
    step = np.array([np.sum(1.0 / (n - np.arange(d))) if d else 0.0 for n, d in zip(at_risk, deaths, strict=True)])
    return np.cumsum(step)[inv]


def _codes(s: pd.Series) -> tuple[np.ndarray, list[object] | None]:
    """A numeric column for the imputation, and the levels to map codes back (None: numeric)."""
    if pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.dropna().map(type).eq(bool).all()):
        return s.map({True: 1.0, False: 0.0}).to_numpy(dtype=float), [False, True]
    if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        return s.to_numpy(dtype=float), None
    levels = list(pd.unique(s.dropna()))
    try:
        levels = sorted(levels)
    except TypeError:
        pass
    lookup = {v: float(i) for i, v in enumerate(levels)}
    return s.map(lookup).to_numpy(dtype=float), levels


def impute(data: pd.DataFrame, covariates: Sequence[str], time: np.ndarray, event: np.ndarray, *,
           m: int = 20, seed: int = 1) -> Imputations:
    """m completed copies of ``data[covariates]`` (rows aligned with ``time``/``event``)."""
    from statsmodels.imputation.mice import MICEData

    covariates = list(covariates)
    cols: dict[str, np.ndarray] = {}
    levels: dict[str, list[object] | None] = {}
    for j, c in enumerate(covariates):
        cols[f"v{j}"], levels[c] = _codes(data[c])
    frame = pd.DataFrame(cols)
    frame["event_"] = np.asarray(event, dtype=float)
    frame["hazard_"] = nelson_aalen(time, event)
    missing = {c: int(data[c].isna().sum()) for c in covariates}
    if not any(missing.values()):
        done = data[covariates].copy()
        return Imputations(tuple(done for _ in range(m)), missing, seed)
    rng = np.random.default_rng(seed)
    mice = MICEData(frame, k_pmm=DONORS, rng=rng)
    for j, c in enumerate(covariates):
        if missing[c]:
            mice.set_imputer(f"v{j}", k_pmm=DONORS)
    mice.update_all(BURN_IN)
    out = []
    for _ in range(m):
        mice.update_all(SKIP)
        filled = mice.data
        done = pd.DataFrame(index=data.index)
        for j, c in enumerate(covariates):
            v = filled[f"v{j}"].to_numpy(dtype=float)
            lv = levels[c]
            if lv is None:
                done[c] = v
            else:
                done[c] = pd.Series([lv[int(round(x))] for x in v], index=data.index, dtype=object)
        out.append(done)
    return Imputations(tuple(out), missing, seed)


def fit_imputed(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    m: int,
    seed: int,
    ties: Ties,
    conf_level: float,
    label: Callable[[str], str] = str,
    per: Mapping[str, float] | None = None,
    firth: bool = False,
) -> tuple[ImputedModel | None, str | None]:
    """The multivariable model on m imputed data sets, pooled (``mice::pool``); None and the
    reason when it cannot be fitted. Rows without follow-up time are left out. ``firth``: each
    fit Firth-penalised (when the complete-case model needed it), pooled with its
    ``I(b)^-1`` variance."""
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    ok = np.isfinite(time)
    sub = data.loc[ok]
    t, e = time[ok], event[ok]
    if not any(sub[c].isna().any() for c in covariates):
        return None, "no covariate value is missing: no multiple imputation needed (complete-case estimates)"
    imps = impute(sub, covariates, t, e, m=m, seed=seed)
    fits = []
    X = None
    labels: dict[str, str] = {}
    variables: list = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for done in imps.completed:
                X, labels, _, _, variables = design_variables(done, covariates, label, per)
                fits.append(cox(t, e, X, ties=ties, conf_level=conf_level, firth=firth))
        pooled = pool(fits, conf_level=conf_level)
    except (ValueError, np.linalg.LinAlgError) as exc:  # InputError included
        return None, f"the multiply imputed model could not be fitted: {exc}"
    assert X is not None
    terms = []
    for j, c in enumerate(X.columns):
        owner = next((v for v in variables if c in v.terms), None)
        level = (c.split("=", 1)[1] if "=" in c else (owner.compared if owner is not None and
                                                      owner.kind == "binary" else None))
        terms.append(CoxTerm(
            name=c, label=labels[c], coef=clean_float(pooled.estimate[j]), se=clean_float(pooled.std_error[j]),
            hr=clean_float(pooled.hr[j]), lower=clean_float(pooled.hr_lower[j]),
            upper=clean_float(pooled.hr_upper[j]), p=clean_float(pooled.p[j]),
            variable=owner.name if owner is not None else c, level=level))
    return ImputedModel(
        endpoint=endpoint, endpoint_label=endpoint_label, m=m, seed=seed, terms=tuple(terms),
        fmi=tuple(clean_float(x) for x in pooled.fmi), n=int(ok.sum()), n_event=int(e.sum()),
        n_imputed=tuple((label(c), k) for c, k in imps.n_imputed.items()), firth=firth), None
