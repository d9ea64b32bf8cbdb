"""Competing risks of progression-free survival, for the protocol's ``[analysis.competing]``.

The causes come from the cohort's PFS and OS columns: a PFS event whose time is the death
time (``pfs_days == os_days`` with ``os_event``) is a death without progression; any other
PFS event is a progression; a patient without a PFS event is censored at ``pfs_days``. (A
progression recorded on the day of death therefore counts as a death: the dates cannot
tell them apart.)

The cumulative incidence of each cause, overall and by the protocol's group, with Gray's
test, comes from :func:`sarcohort.stats.cuminc.cuminc` (``cmprsk::cuminc``); the Fine-Gray
model of the event of interest from :func:`sarcohort.stats.fine_gray.fine_gray`
(``cmprsk::crr``), its covariates coded as the Cox models' (:func:`design_variables`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from sarcohort.analysis._regression import design_variables
from sarcohort.analysis._results import (
    CifCurve,
    CifPoint,
    CompetingRisks,
    CoxTerm,
    FineGrayModel,
    GrayTestRow,
    clean_float,
)
from sarcohort.exceptions import InputError
from sarcohort.stats.cuminc import CumincResult, cuminc
from sarcohort.stats.fine_gray import fine_gray

#: How the report names each cause.
CAUSE_LABELS: dict[str, str] = {"progression": "Progression",
                                "death": "Death without progression"}
CENSORED = "censored"


def competing_status(pfs_days: np.ndarray, pfs_event: np.ndarray, os_days: np.ndarray,
                     os_event: np.ndarray) -> np.ndarray:
    """Each patient's status: ``"progression"``, ``"death"`` (without progression) or
    ``"censored"``, from the PFS and OS columns (see the module docstring)."""
    pfs_event = np.asarray(pfs_event, bool)
    death = pfs_event & np.asarray(os_event, bool) & (np.asarray(pfs_days, float)
                                                      == np.asarray(os_days, float))
    out = np.full(pfs_event.shape, CENSORED, dtype=object)
    out[pfs_event] = "progression"
    out[death] = "death"
    return out


def _floats(values: np.ndarray) -> tuple[float | None, ...]:
    return tuple(clean_float(v) for v in np.asarray(values, float))


def _curves(res: CumincResult, group: str, shown: str | None, causes: Sequence[str],
            landmarks: Sequence[float], risk_times: Sequence[float]) -> list[CifCurve]:
    out = []
    for cause in causes:
        c = res.curves.get((group, cause))
        if c is None:  # no event of this cause in the data: not estimable as a curve
            continue
        pts = c.at(list(landmarks)) if landmarks else None
        marks = tuple(CifPoint(float(t), clean_float(pts.estimate[i]), clean_float(pts.lower[i]),
                               clean_float(pts.upper[i]), int(c.at_risk([t])[0]))
                      for i, t in enumerate(landmarks)) if pts is not None else ()
        out.append(CifCurve(cause, CAUSE_LABELS[cause], shown, int(c.n), int(c.events),
                            tuple(float(x) for x in c.time), _floats(c.estimate), _floats(c.lower),
                            _floats(c.upper), marks,
                            tuple(int(n) for n in c.at_risk(list(risk_times)))))
    return out


def _fine_gray(t: np.ndarray, status: np.ndarray, data: pd.DataFrame, covariates: Sequence[str],
               event: str, *, conf_level: float, label: Callable[[str], str],
               per: Mapping[str, float] | None) -> tuple[FineGrayModel | None, str | None]:
    keep = np.ones(len(data), bool)
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    X, labels, exposed, _, _ = design_variables(data.loc[keep, list(dict.fromkeys(covariates))],
                                                covariates, label, per)
    code = np.where(status == event, 1, np.where(status == CENSORED, 0, 2))[keep]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = fine_gray(t[keep], code, X.to_numpy(float), cause=1, names=list(X.columns),
                            conf_level=conf_level)
        except (InputError, ValueError, np.linalg.LinAlgError) as exc:
            return None, f"the Fine-Gray model could not be fitted: {exc}"
    terms = tuple(CoxTerm(name, labels[name], clean_float(fit.coef[i]), clean_float(fit.se[i]),
                          clean_float(fit.shr[i]), clean_float(fit.lower[i]),
                          clean_float(fit.upper[i]), clean_float(fit.p[i]),
                          n_exposed=exposed.get(name))
                  for i, name in enumerate(fit.terms))
    return FineGrayModel(event, CAUSE_LABELS[event], tuple(covariates), terms, int(fit.n),
                         int(fit.n_event), int(fit.n_competing), int(fit.n_censored),
                         int((~keep).sum()), bool(fit.converged),
                         tuple(dict.fromkeys(str(w.message) for w in caught))), None


def competing_risks(data: pd.DataFrame, *, event: str, competing: str, unit_days: float,
                    group: str | None, group_labels: np.ndarray | None, order: Sequence[str],
                    covariates: Sequence[str], landmarks: Sequence[float],
                    risk_times: Sequence[float], conf_type: str, conf_level: float,
                    label: Callable[[str], str], per: Mapping[str, float] | None = None,
                    ) -> tuple[CompetingRisks | None, list[str]]:
    """The competing-risks analysis and the warnings for the report.

    ``data`` holds ``pfs_days``, ``pfs_event``, ``os_days`` and ``os_event``; times are shown
    in units of ``unit_days`` days. ``group_labels`` (aligned with ``data``) and ``order``
    give the groups of ``group``. Returns ``(None, [reason])`` when nothing can be estimated.
    """
    notes: list[str] = []
    days = pd.to_numeric(data["pfs_days"], errors="coerce").to_numpy(float)
    status = competing_status(days, data["pfs_event"].fillna(False).astype(bool).to_numpy(),
                              pd.to_numeric(data["os_days"], errors="coerce").to_numpy(float),
                              data["os_event"].fillna(False).astype(bool).to_numpy())
    t = days / unit_days
    ok = np.isfinite(t)
    causes = [event, competing]
    if not np.isin(status[ok], causes).any():
        return None, ["Competing risks: no progression and no death in the analysed patients; "
                      "no cumulative incidence."]
    for c in causes:
        if not (status[ok] == c).any():
            notes.append(f"Competing risks: no {CAUSE_LABELS[c].lower()} in the analysed patients.")
    st = pd.Categorical(status[ok], categories=[CENSORED, *causes])
    conf: Literal["log-log", "plain"] = "plain" if conf_type == "plain" else "log-log"
    overall = cuminc(t[ok], st, conf_type=conf, conf_level=conf_level)
    all_group = overall.groups[0]
    res_overall = _curves(overall, all_group, None, causes, landmarks, risk_times)
    by_group: list[CifCurve] = []
    tests: list[GrayTestRow] = []
    if group is not None and group_labels is not None:
        g = np.asarray(group_labels, dtype=object)[ok]
        inside = pd.Series(g).isin(list(order)).to_numpy()
        present = [o for o in order if (g[inside] == o).any()]
        if len(present) >= 2:
            gc = pd.Categorical(g[inside], categories=present)
            st_g = pd.Categorical(status[ok][inside], categories=[CENSORED, *causes])
            res = cuminc(t[ok][inside], st_g, gc, conf_type=conf, conf_level=conf_level)
            for lab in res.groups:
                by_group.extend(_curves(res, lab, str(lab), causes, landmarks, risk_times))
            for c in causes:
                gt = res.tests.get(c)
                if gt is not None:
                    tests.append(GrayTestRow(c, CAUSE_LABELS[c], clean_float(gt.statistic), int(gt.df),
                                             clean_float(gt.p)))
    model = None
    if covariates and (status[ok] == event).any():
        model, why = _fine_gray(t[ok], status[ok], data.loc[ok, list(dict.fromkeys(covariates))],
                                covariates, event,
                                conf_level=conf_level, label=label, per=per)
        if why:
            notes.append(f"Competing risks: {why}.")
        elif model is not None:
            notes.extend(f"Competing risks, Fine-Gray model: {w}" for w in model.warnings)
    return CompetingRisks(
        endpoint="pfs", endpoint_label=label("pfs"), event=event, event_label=CAUSE_LABELS[event],
        competing=competing, competing_label=CAUSE_LABELS[competing], factor=group,
        factor_label=label(group) if group else None, risk_times=tuple(float(x) for x in risk_times),
        overall=tuple(res_overall), by_group=tuple(by_group), tests=tuple(tests), model=model,
        n=int(ok.sum()), n_missing=int((~ok).sum())), notes
