"""Post-baseline exposures: naive baseline coding vs time-dependent and landmark analyses.

An exposure that happens after the time origin (surgery of metastases) coded
as a baseline yes/no credits the time before it to the exposed group
(immortal-time bias; Suissa 2008, Levesque et al. BMJ 2010). Two corrections
are run beside the naive model, with the same adjustment covariates:

* time-dependent covariate in a counting-process Cox model (Mantel & Byar
  1974): each exposed patient is split at the exposure time into an unexposed
  interval ``(0, s]`` without event and an exposed interval ``(s, t]`` carrying
  the patient's event; an exposure at time 0 is exposed throughout;
* landmark analysis (Anderson, Cain & Gelber 1983): patients still at risk at
  the landmark ``L``, exposure defined by ``s <= L``, time restarted at ``L``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sarcohort.analysis._regression import fit_cox
from sarcohort.analysis._results import CoxModel, CoxTerm, ExposureComparison, clean_float
from sarcohort.analysis._table1 import as_binary
from sarcohort.exceptions import ProtocolError
from sarcohort.stats.cox import cox_row_order, release_shared
from sarcohort.stats.results import Ties


def split_at_exposure(
    time: np.ndarray, event: np.ndarray, exposure_time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counting-process rows ``(start, stop, event, exposed, row)``.

    ``exposure_time`` is NaN for never exposed. An exposure at or after the
    end of follow-up leaves the patient unexposed; at time 0, exposed throughout.
    ``row`` indexes the input row each interval comes from.
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    s = np.asarray(exposure_time, float)
    n = time.size
    split = np.isfinite(s) & (s > 0) & (s < time)
    from_start = np.isfinite(s) & (s <= 0)
    rows = np.arange(n)
    # the first interval of every patient: (0, s] for split ones, (0, t] otherwise
    start1 = np.zeros(n)
    stop1 = np.where(split, s, time)
    event1 = np.where(split, False, event)
    exp1 = from_start.astype(float)
    # the second interval of split patients: (s, t]
    start2, stop2, event2 = s[split], time[split], event[split]
    exp2 = np.ones(int(split.sum()))
    return (
        np.concatenate([start1, start2]),
        np.concatenate([stop1, stop2]),
        np.concatenate([event1, event2]),
        np.concatenate([exp1, exp2]),
        np.concatenate([rows, rows[split]]),
    )


def _split_fit(endpoint: str, endpoint_label: str, time: np.ndarray, event: np.ndarray,
               exposure_time: np.ndarray, data: pd.DataFrame, covs: Sequence[str], rows: np.ndarray,
               *, label: Callable[[str], str], ties: Ties, conf_level: float,
               per: Mapping[str, float] | None, splits: dict | None = None) -> CoxModel:
    """The time-dependent model of ``covs[0]``: :func:`fit_cox` of the ``rows`` (usable, every
    covariate known) split at the exposure time.

    A registry's split rows are the endpoint's largest fit, so they are built small: only
    complete rows are split (the fit then copies none of them), in the fit's sorted order (the
    fit holds their design rather than a sorted copy), a yes/no covariate as booleans (the
    design's 0/1 from either), and the fit runs with no other model's sort or time structures
    held. The fit's sorted rows are those of the unsorted split, so are its numbers.
    ``splits``: where the sorted split of these ``rows`` is kept for the next model of the
    same exposure and endpoint, the unadjusted one (the same patients when every adjustment
    covariate is known: one split and sort, not two; its only covariate is the exposure, so
    the intervals' patient rows are not kept). It is reused only for equal rows, times,
    events and exposure times; None: not kept.
    """
    kept = (splits or {}).get("split")
    split_of = (rows, time, event, exposure_time)
    src: np.ndarray | None = None
    if kept is not None and len(covs) == 1 and all(
            np.array_equal(a, b, equal_nan=True) for a, b in zip(kept[0], split_of, strict=True)):
        start, stop, ev, exposed = kept[1:]
    else:
        start, stop, ev, exposed, src = _sorted_split(time, event, exposure_time, rows)
        if splits is not None:
            splits["split"] = (split_of, start, stop, ev, exposed)
    td_data = pd.DataFrame({covs[0]: exposed})
    for c in dict.fromkeys(covs[1:]):
        assert src is not None  # a kept split serves a model of the exposure alone
        b = as_binary(data[c])
        td_data[c] = (b.to_numpy() > 0)[src] if b is not None else data[c].array.take(src)
        del b
    del src, exposed
    # only a sort of the split rows can serve this fit (the other exposure model's, or none)
    release_shared(keep_rows=start.size)
    return fit_cox(endpoint, endpoint_label, stop, ev, td_data, covs, kind="time-dependent",
                   label=label, ties=ties, entry=start, conf_level=conf_level, per=per)


def _sorted_split(time: np.ndarray, event: np.ndarray, exposure_time: np.ndarray, rows: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``rows`` split at the exposure time (:func:`split_at_exposure`), in the fit's own
    order (:func:`~sarcohort.stats.cox.cox_row_order`): start, stop, event, exposed (bool) and
    the input row of each interval."""
    idx = np.flatnonzero(rows)
    start, stop, ev, exp_td, split_rows = split_at_exposure(time[idx], event[idx], exposure_time[idx])
    # in the fit's own order: its design is then held, not copied sorted (``copy_X``)
    order = cox_row_order(stop, ev, start)
    return start[order], stop[order], ev[order], exp_td[order] > 0, idx[split_rows[order]]


def _term(model: object, name: str) -> CoxTerm | None:
    for t in model.terms:  # type: ignore[attr-defined]
        if t.name == name:
            return t
    return None


def compare_exposure(
    endpoint: str,
    endpoint_label: str,
    time: np.ndarray,
    event: np.ndarray,
    data: pd.DataFrame,
    exposure: str,
    exposure_time: np.ndarray,
    adjust: Sequence[str],
    *,
    landmark_time: float,
    ties: Ties,
    conf_level: float,
    label: Callable[[str], str] = str,
    per: Mapping[str, float] | None = None,
    naive: CoxTerm | None = None,
    splits: dict | None = None,
) -> ExposureComparison:
    """Naive, time-dependent and landmark hazard ratios of one exposure.

    ``time`` and ``exposure_time`` are in the same unit; ``adjust`` are the other
    covariates of the model (empty: unadjusted); ``conf_level`` is the level of every
    HR interval (the protocol's). ``naive``: the exposure's term of the naive model
    (``fit_cox`` of these rows, ``[exposure, *adjust]``, these options) when the caller has
    fitted it already (the unadjusted one is the univariable model): not fitted again.
    ``splits``: a dict shared by the calls for one exposure and endpoint (the same ``time``,
    ``event``, ``exposure_time`` and ``data``), where the sorted split rows are kept for the
    next call (see :func:`_split_fit`); None: nothing kept.
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    s = np.asarray(exposure_time, float)
    b = as_binary(data[exposure])
    if b is None:
        raise ProtocolError("a time-dependent exposure must be a yes/no variable",
                            argument="analysis.time_dependent", value=exposure,
                            fix="name a yes/no column such as metastasis_surgery")
    exposed = b.to_numpy(dtype=float)
    del b  # its values are ``exposed``'s: freed with them, before the split rows' fit
    # an exposed patient without an exposure time cannot be split: left out of the corrections
    s = np.where(exposed > 0, s, np.nan)
    covs = [exposure, *[c for c in adjust if c != exposure]]
    # of the naive and landmark models only the exposure's term is kept: no zph test
    if naive is None:
        naive = _term(fit_cox(endpoint, endpoint_label, time, event, data, covs, kind="naive",
                              label=label, ties=ties, conf_level=conf_level, per=per,
                              zph_test=False), exposure)
    if naive is None:  # cannot happen: the exposure is the first covariate of the model
        raise RuntimeError(f"no term for {exposure!r} in the naive model")
    # the naive fit's time structures are not shared by the landmark rows (a registry: several
    # hundred MB); its sort goes before the split rows' fit (:func:`_split_fit`)
    release_shared(sorts=False)

    at_risk = time > landmark_time
    lm_data = data.loc[at_risk, list(dict.fromkeys(covs))].copy()
    lm_data[exposure] = (np.isfinite(s[at_risk]) & (s[at_risk] <= landmark_time)).astype(float)
    lm = None
    lm_events = int(event[at_risk].sum())
    if at_risk.sum() > 1 and 0 < lm_data[exposure].sum() < at_risk.sum():
        lm_model = fit_cox(endpoint, endpoint_label, time[at_risk] - landmark_time, event[at_risk],
                           lm_data, covs, kind="landmark", label=label, ties=ties, conf_level=conf_level,
                           per=per, zph_test=False)
        lm = _term(lm_model, exposure)
        del lm_model
    del lm_data

    # the model counts intervals; a table counts patients (those with every covariate)
    complete = np.isfinite(time) & data[covs].notna().all(axis=1).to_numpy()
    usable = ~((exposed > 0) & ~np.isfinite(s))
    del exposed
    td_model = _split_fit(endpoint, endpoint_label, time, event, s, data, covs, usable & complete,
                          label=label, ties=ties, conf_level=conf_level, per=per, splits=splits)
    td = _term(td_model, exposure)
    td_model = dataclasses.replace(td_model, n=int((usable & complete).sum()),
                                   n_missing=int((~complete).sum()))

    ratio = None
    if td is not None and td.hr is not None and naive.hr is not None:
        ratio = clean_float(td.hr / naive.hr)
    names = [label(c) for c in covs[1:]]
    names = [n[:1].lower() + n[1:] if n[1:2].islower() else n for n in names]
    note = ("adjusted for " + ", ".join(names)) if names else "unadjusted"
    n_left = int((~usable).sum())
    if n_left:
        note += f"; {n_left} exposed patient(s) without an exposure date left out of the corrected analyses"
    return ExposureComparison(
        endpoint=endpoint, endpoint_label=endpoint_label, exposure=exposure, label=label(exposure),
        naive=naive, time_dependent=td, landmark=lm, landmark_time=float(landmark_time),
        landmark_n=int(at_risk.sum()), landmark_events=lm_events, ratio_td_naive=ratio, note=note,
        time_dependent_model=td_model)
