"""Bootstrap internal validation of a multivariable Cox model, for the report.

The model's modelling procedure (its covariates, or the univariable selection among the
candidates when the protocol uses one) is validated by :func:`sarcohort.stats.validate_cox.validate_cox`
(rms::validate's Dxy, C and calibration slope, optimism-corrected). The calibration at a
horizon is the apparent one of rms::calibrate (``cmethod = "KM"``): patients grouped by
their predicted survival at the horizon (tertiles, or groups of about 50 patients), the
mean predicted survival of each group against its Kaplan-Meier estimate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sarcohort.analysis._regression import design_variables
from sarcohort.analysis._results import CalibrationGroup, ModelValidation, clean_float
from sarcohort.protocol._options import default_of
from sarcohort.stats.cox import cox
from sarcohort.stats.km import kaplan_meier
from sarcohort.stats.results import Ties
from sarcohort.stats.validate_cox import Selection, validate_cox


def calibration_groups(time: np.ndarray, event: np.ndarray, surv_pred: np.ndarray, horizon: float,
                       conf_level: float = default_of("analysis.conf_level")) -> tuple[CalibrationGroup, ...]:
    """Groups of patients by predicted survival at ``horizon``: mean prediction vs Kaplan-Meier."""
    n = time.shape[0]
    k = int(min(5, max(3, n // 50)))
    order = np.argsort(surv_pred, kind="stable")
    out = []
    for rows in np.array_split(order, k):
        km = kaplan_meier(time[rows], event[rows], conf_type="log-log", conf_level=conf_level)
        curve = next(iter(km.curves.values()))
        s, lo, hi = (float(a[0]) for a in curve.survival_at(horizon))
        out.append(CalibrationGroup(n=int(rows.size), predicted=float(surv_pred[rows].mean()),
                                    observed=clean_float(s), lower=clean_float(lo), upper=clean_float(hi)))
    return tuple(out)


#: Largest cohort validated by bootstrap in the report.
BOOTSTRAP_MAX_PATIENTS = 50_000


def validate_model(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    data: pd.DataFrame,
    covariates: Sequence[str],
    candidates: Sequence[str],
    *,
    selection: Selection,
    p_threshold: float,
    ties: Ties,
    B: int,
    seed: int,
    horizon: float | None,
    conf_level: float,
    label: Callable[[str], str] = str,
) -> tuple[ModelValidation | None, str | None]:
    """Validate one multivariable model; returns the validation, or None and the reason.

    Above :data:`BOOTSTRAP_MAX_PATIENTS` patients the bootstrap is not run: the optimism
    of a model of a few parameters is then negligible (it shrinks as parameters / events),
    and B refits of a registry would hold B x n weights in memory.
    """
    if ties not in ("efron", "breslow"):
        return None, "bootstrap validation needs Efron or Breslow ties"
    if len(data) > BOOTSTRAP_MAX_PATIENTS:
        return None, (f"bootstrap validation not run above {BOOTSTRAP_MAX_PATIENTS:,} patients "
                      f"({len(data):,} here): its optimism correction is negligible at this size")
    pool = list(candidates) if selection == "univariable" else list(covariates)
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    keep = np.isfinite(time)
    for c in pool:
        keep &= data[c].notna().to_numpy()
    X, _, _, _, variables = design_variables(data.loc[keep, list(dict.fromkeys(pool))], pool, label)
    t, e = time[keep], event[keep]
    groups = [[list(X.columns).index(c) for c in v.terms] for v in variables]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = cox(t, e, X, ties=ties)
            v = validate_cox(fit, B=B, seed=seed, selection=selection, p_threshold=p_threshold,
                             groups=groups)
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, f"bootstrap validation not possible: {exc}"
    if any("monotone likelihood" in str(w.message) for w in caught):
        return None, "bootstrap validation not done: the model has a diverging coefficient"
    calib: tuple[CalibrationGroup, ...] = ()
    if horizon is not None:
        cols = [c for vv, g in zip(variables, groups, strict=True) if vv.name in covariates for c in g]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = cox(t, e, X.iloc[:, cols], ties=ties) if len(cols) != X.shape[1] else fit
            base = model.baseline_hazard(centered=True)
            k = np.searchsorted(base.time, horizon, side="right") - 1
            h0 = float(base.hazard[k]) if k >= 0 else 0.0
            pred = np.exp(-h0 * np.exp(model.linear_predictors))
            calib = calibration_groups(t, e, pred, horizon, conf_level)
        except (ValueError, np.linalg.LinAlgError):
            calib = ()
    return ModelValidation(
        endpoint=endpoint, endpoint_label=endpoint_label, index=tuple(v.index),
        apparent=tuple(map(float, v.apparent)), optimism=tuple(map(float, v.optimism)),
        corrected=tuple(map(float, v.corrected)), optimism_se=tuple(map(float, v.optimism_se)),
        B=v.B, n_replicates=v.n_replicates, seed=seed, selection=selection, n=int(fit.n),
        n_event=int(fit.n_event), horizon=horizon, calibration=calib), None
