"""Bootstrap internal validation of a Cox model, as R's ``rms::validate`` (``validate.cph``).

For each of B bootstrap samples the whole modelling procedure is repeated (including a
data-driven selection of the covariates by their univariable P value, when the protocol uses
one); the refitted linear predictor is scored on the bootstrap sample (training) and on the
original data (test). ``optimism = mean(training - test)``, ``corrected = apparent - optimism``.
Indices, as ``validate.cph``:

* ``Dxy``: Somers' rank correlation between the linear predictor and survival,
  ``2 (C - 1/2)`` with C Harrell's concordance (R's pairs; ``dxy.cens(lp, y, "hazard")``);
* ``C``: Harrell's concordance, ``(Dxy + 1) / 2``;
* ``Slope``: calibration slope, the coefficient of the linear predictor refitted as the only
  covariate (1 on the sample it was fitted on).

All refits are batched (:mod:`sarcohort.stats._cox_batch`): a bootstrap sample is a vector of
frequency weights on the original rows. Replicates whose refit does not converge are left
out and counted, as rms does. Differences from rms: our refits are converged tightly (rms uses
``eps = 1e-4``, ``iter.max = 10``), which moves the optimism far less than its Monte-Carlo
error; strata, (start, stop] data, case weights and offsets are not supported.

Exports :func:`validate_cox`, its result :class:`CoxValidation` and :class:`Selection`
(the variable selection repeated in each bootstrap sample).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import InputError
from sarcohort.stats._concordance_batch import concordance_batch
from sarcohort.stats._cox_batch import cox_batch
from sarcohort.stats.results import Selection

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats.cox_result import CoxResult

__all__ = ["validate_cox", "CoxValidation", "Selection"]


INDICES = ("Dxy", "C", "Slope")


@dataclass(frozen=True)
class CoxValidation:
    """Apparent, optimism and optimism-corrected indices (rows ``Dxy``, ``C``, ``Slope``).

    Attributes
    ----------
    apparent, training, test, optimism, corrected
        Per index (in ``index`` order); ``training``/``test`` are means over the replicates.
    optimism_se
        Monte-Carlo standard error of the optimism (SD of training - test over sqrt(n)).
    B, n_replicates
        Replicates asked for and used (the others did not converge).
    selection, p_threshold
        The modelling procedure repeated in each replicate.
    selected_fraction
        Per term of the full model, the fraction of replicates in which it was selected
        (1 without selection).
    """

    index: tuple[str, ...]
    apparent: np.ndarray
    training: np.ndarray
    test: np.ndarray
    optimism: np.ndarray
    corrected: np.ndarray
    optimism_se: np.ndarray
    B: int
    n_replicates: int
    seed: int | None
    selection: str
    p_threshold: float
    terms: tuple[str, ...]
    selected_fraction: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per index; columns as ``print(validate(fit))``."""
        import pandas as pd

        return pd.DataFrame({"index.orig": self.apparent, "training": self.training, "test": self.test,
                             "optimism": self.optimism, "index.corrected": self.corrected,
                             "n": self.n_replicates}, index=pd.Index(self.index, name="index"))

    def value(self, name: str, column: str = "corrected") -> float:
        """One number, e.g. ``value("C")`` or ``value("Slope", "apparent")``."""
        return float(getattr(self, column)[self.index.index(name)])


def bootstrap_counts(n: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, n) how often each row is drawn in each of B samples of n rows with replacement."""
    draws = rng.integers(0, n, size=(B, n))
    flat = (np.arange(B)[:, None] * n + draws).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype(float)


def _select(time, event, X, counts, assign, ties, p_threshold) -> np.ndarray:
    """(B, terms) bool: terms whose univariable fit has a coefficient with Wald P < threshold
    (the runner's rule), in each replicate."""
    B = counts.shape[0]
    keep = np.zeros((B, len(assign)), dtype=bool)
    for k, cols in enumerate(assign):
        f = cox_batch(time, event, X[:, list(cols)], counts, ties=ties)
        se = np.sqrt(np.diagonal(f.var, axis1=1, axis2=2))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * _sp.ndtr(-np.abs(f.coef / se))
        keep[:, k] = f.converged & (np.nan_to_num(p, nan=1.0) < p_threshold).any(axis=1)
    return keep


def _procedure(time, event, X, counts, assign, ties, selection, p_threshold, init):
    """Coefficients over all columns (0 for unselected terms), convergence and the selections."""
    B, p = counts.shape[0], X.shape[1]
    coef = np.zeros((B, p))
    ok = np.ones(B, dtype=bool)
    if selection == "univariable":
        chosen = _select(time, event, X, counts, assign, ties, p_threshold)
    else:
        chosen = np.ones((B, len(assign)), dtype=bool)
    patterns, which = np.unique(chosen, axis=0, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    for k, pat in enumerate(patterns):
        rows = np.flatnonzero(which == k)
        cols = [c for t, on in zip(assign, pat, strict=True) if on for c in t]
        if not cols:
            continue  # nothing selected: linear predictor 0 (rms: Dxy 0, slope 1)
        f = cox_batch(time, event, X[:, cols], counts[rows], ties=ties,
                      init=None if init is None else init[cols])
        coef[np.ix_(rows, cols)] = f.coef
        ok[rows] = f.converged
    return coef, ok, chosen


def _lp(X: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """(B, n) linear predictors, column by column (equal covariate rows get equal predictors)."""
    lp = np.zeros((coef.shape[0], X.shape[0]))
    for j in range(X.shape[1]):
        lp += coef[:, j:j + 1] * X[None, :, j]
    return lp


def _slopes(time, event, lp, ties) -> np.ndarray:
    """Calibration slope of each row of ``lp`` on the original data (1-covariate Cox fits)."""
    out = np.ones(lp.shape[0])
    varies = np.ptp(lp, axis=1) > 0
    if varies.any():
        f = cox_batch(time, event, lp[varies, :, None], None, ties=ties)
        out[varies] = np.where(f.converged, f.coef[:, 0], np.nan)
    return out


def validate_cox(
    fit: CoxResult,
    data: object = None,
    *,
    B: int = 200,
    seed: int | None = None,
    selection: Selection = "explicit",
    p_threshold: float = 0.05,
    groups: Sequence[Sequence[int]] | None = None,
) -> CoxValidation:
    """Bootstrap validation of a Cox fit (R's ``validate(cph(..., x = TRUE, y = TRUE), B)``).

    Parameters
    ----------
    fit
        A fit from :func:`sarcohort.cox` (its analysed rows and design are resampled).
    data
        Not needed (the fit keeps its design); accepted for symmetry with ``sc.cox``.
    B
        Bootstrap replicates.
    seed
        Seed of the random draws (reproducible results).
    selection, p_threshold
        ``"univariable"``: in each replicate keep the terms of ``fit`` with a univariable
        Wald P below ``p_threshold`` before fitting (the protocol's
        ``[analysis.multivariable] selection``), so the validation includes the selection's
        optimism; ``"explicit"``: the model as fitted.

    Returns
    -------
    CoxValidation
    """
    del data
    if B < 1:
        raise InputError("needs at least one bootstrap replicate", argument="B", value=B)
    if selection not in ("explicit", "univariable"):
        raise InputError("unknown selection", argument="selection", value=selection,
                         fix='use "explicit" or "univariable"')
    cs = fit._state.setup
    if getattr(fit, "firth", False):
        raise InputError("bootstrap validation of a Firth-penalised fit is not available", argument="fit",
                         fix="validate the ordinary fit")
    if cs.entry is not None or cs.cw is not None or cs.has_offset or len(fit.strata_labels) > 1:
        raise InputError("bootstrap validation needs a plain right-censored fit (no strata, (start, stop] "
                         "data, case weights or offset)", argument="fit",
                         fix="validate the model without them")
    if fit.ties not in ("efron", "breslow"):
        raise InputError("bootstrap validation needs Efron or Breslow ties", argument="fit", value=fit.ties)
    if fit.coef.size == 0:
        raise InputError("the model has no covariate", argument="fit")
    time, event = np.asarray(cs.stop, dtype=float), np.asarray(cs.event, dtype=bool)
    X = np.ascontiguousarray(cs.X)
    n = time.shape[0]
    if groups is not None:
        assign = tuple(tuple(int(c) for c in g) for g in groups)
        if sorted(c for g in assign for c in g) != list(range(X.shape[1])):
            raise InputError("groups must list every column of the fit once", argument="groups")
    else:
        assign = fit.assign if fit.assign else tuple((j,) for j in range(X.shape[1]))
    ties = fit.ties
    # apparent: the procedure on the original data
    ones = np.ones((1, n))
    coef0, ok0, _ = _procedure(time, event, X, ones, assign, ties, selection, p_threshold, None)
    if not ok0[0]:
        raise InputError("the model does not converge on the original data", argument="fit")
    lp0 = _lp(X, coef0)
    c0 = concordance_batch(time, event, lp0)[0] if coef0.any() else 0.5
    apparent = np.array([2 * c0 - 1, c0, 1.0])
    rng = np.random.default_rng(seed)
    counts = bootstrap_counts(n, B, rng)
    coef, ok, chosen = _procedure(time, event, X, counts, assign, ties, selection, p_threshold, coef0[0])
    coef, counts, chosen = coef[ok], counts[ok], chosen[ok]
    lp = _lp(X, coef)
    nonzero = coef.any(axis=1)
    c_train = np.full(coef.shape[0], 0.5)
    c_test = np.full(coef.shape[0], 0.5)
    if nonzero.any():
        c_train[nonzero] = concordance_batch(time, event, lp[nonzero], counts[nonzero])
        c_test[nonzero] = concordance_batch(time, event, lp[nonzero])
    slope_test = _slopes(time, event, lp, ties)
    good = np.isfinite(slope_test) & np.isfinite(c_train) & np.isfinite(c_test)
    train = np.column_stack([2 * c_train - 1, c_train, np.ones_like(c_train)])[good]
    test = np.column_stack([2 * c_test - 1, c_test, slope_test])[good]
    diff = train - test
    k = diff.shape[0]
    if k == 0:
        raise InputError("no bootstrap replicate could be fitted", argument="fit")
    optimism = diff.mean(axis=0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.full(3, np.nan)
    return CoxValidation(index=INDICES, apparent=apparent, training=train.mean(axis=0), test=test.mean(axis=0),
                         optimism=optimism, corrected=apparent - optimism, optimism_se=se, B=int(B),
                         n_replicates=int(k), seed=seed, selection=selection, p_threshold=float(p_threshold),
                         terms=tuple(fit.term_labels) if fit.term_labels and groups is None else tuple(
                             "+".join(fit.terms[c] for c in g) for g in assign),
                         selected_fraction=chosen[good].mean(axis=0))
