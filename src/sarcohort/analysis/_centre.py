"""Heterogeneity between centres, for the protocol's ``[analysis] centre_effect``.

The multivariable Cox model of an endpoint (or, without one, the univariable model of
``group``) is refitted on the same patients (those with a known centre) with a shared gamma
frailty on the ``centre`` column (``sc.cox("... + frailty(centre)")``: R's
``coxph(... + frailty(centre))`` at the exact maximiser of its integrated likelihood) or
stratified by centre, and its hazard ratios are shown beside those of the model without the
centre term.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sarcohort.analysis._regression import design_variables
from sarcohort.analysis._results import CentreEffect, CentreTerm, clean_float
from sarcohort.stats.cox import cox
from sarcohort.stats.results import Ties

CENTRE = "centre"


def centre_effect(endpoint: str, endpoint_label: str, time: np.ndarray, event: np.ndarray, data: pd.DataFrame,
                  covariates: Sequence[str], *, method: str, model: str, ties: Ties, conf_level: float,
                  label: Callable[[str], str] = str, per: Mapping[str, float] | None = None,
                  ) -> tuple[CentreEffect | None, list[str]]:
    """Fit the model with and without the centre term; ``(None, notes)`` when it cannot be."""
    time = np.asarray(time, float)
    keep = np.isfinite(time) & data[CENTRE].notna().to_numpy()
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    X, labels, _, _, _ = design_variables(data.loc[keep, list(dict.fromkeys(covariates))], covariates, label, per)
    t, e = time[keep], np.asarray(event).astype(bool)[keep]
    centres = data.loc[keep, CENTRE].astype(str).to_numpy()
    n_centres = len(set(centres))
    what = f"{endpoint_label}, centre effect"
    if n_centres < 2:
        return None, [f"{what}: fewer than two centres among the analysed patients; not assessed."]
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            plain = cox(t, e, X, ties=ties, conf_level=conf_level)
            if method == "frailty":
                cols = {f"sc_x{j + 1}": X.iloc[:, j].to_numpy(float) for j in range(X.shape[1])}
                frame = pd.DataFrame({"sc_time": t, "sc_event": e.astype(int), **cols, "sc_centre": centres})
                formula = f"Surv(sc_time, sc_event) ~ {' + '.join(cols)} + frailty(sc_centre)"
                fit = cox(formula, data=frame, ties=ties, conf_level=conf_level)
            else:
                fit = cox(t, e, X, strata=centres, ties=ties, conf_level=conf_level)
        except (ValueError, np.linalg.LinAlgError) as exc:  # InputError included: reported, not fatal
            return None, [f"{what}: the model could not be fitted: {exc}"]
    notes.extend(f"{what}: {w.message}" for w in caught)
    terms = tuple(CentreTerm(label=labels.get(str(name), str(name)), hr=clean_float(fit.hr[j]), lower=clean_float(fit.hr_lower[j]),
                             upper=clean_float(fit.hr_upper[j]), p=clean_float(fit.p[j]),
                             hr_without=clean_float(plain.hr[j]), lower_without=clean_float(plain.hr_lower[j]),
                             upper_without=clean_float(plain.hr_upper[j]), p_without=clean_float(plain.p[j]))
                  for j, name in enumerate(X.columns))
    ft = getattr(fit, "frailty_test", None)
    return CentreEffect(
        endpoint=endpoint, endpoint_label=endpoint_label, method=method, model=model, n=int(t.size),
        events=int(e.sum()), n_centres=n_centres, theta=clean_float(getattr(fit, "theta", None)),
        frailty_chisq=clean_float(ft.statistic) if ft is not None else None,
        frailty_df=clean_float(ft.df) if ft is not None else None,
        frailty_p=clean_float(ft.p) if ft is not None else None, terms=terms), notes
