"""Restricted mean survival time compared between groups (the method of R's ``survRM2``).

Per group, the RMST up to ``tau`` and its standard error are survival's restricted mean
(``summary(survfit(...), rmean = tau)``; :func:`sarcohort.stats._rmst.rmst_r`), with a
normal confidence interval ``rmst -+ z se``. Every other group is compared with the first
(the reference), as ``survRM2::rmst2`` compares arm 1 with arm 0:

* difference ``D = rmst_g - rmst_0``, ``se(D) = sqrt(se_g^2 + se_0^2)``, normal CI and P;
* ratio ``exp(log rmst_g - log rmst_0)`` with ``se(log ratio) = sqrt(se_g^2/rmst_g^2 +
  se_0^2/rmst_0^2)``, CI and P on the log scale;
* the same ratio of the restricted mean time lost ``tau - rmst``.

``tau`` must be one the data support (``survRM2``'s rule): no later than a group's last
follow-up time when that observation is censored (the curve is unknown after it), and no
later than the largest follow-up time overall. ``tau=None`` uses that largest usable value.

Exports :func:`rmst_test`, its result :class:`RmstTestResult` and :func:`max_tau`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr, ndtri

from sarcohort.exceptions import InputError
from sarcohort.stats.km import kaplan_meier

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["rmst_test", "RmstTestResult", "max_tau"]


@dataclass(frozen=True)
class RmstTestResult:
    """RMST per group and its contrasts with the first group.

    Attributes
    ----------
    tau
        The horizon.
    groups
        Group labels; ``groups[0]`` is the reference of the contrasts.
    n, n_event
        Rows and events per group.
    rmst, se, lower, upper
        Per group: restricted mean survival time, its SE and normal CI.
    rmtl
        Restricted mean time lost, ``tau - rmst``.
    diff, diff_se, diff_lower, diff_upper, diff_p
        Per non-reference group: ``rmst_g - rmst_0`` with SE, CI and two-sided P.
    ratio, ratio_lower, ratio_upper, ratio_p
        ``rmst_g / rmst_0`` with CI and P (log scale).
    rmtl_ratio, rmtl_ratio_lower, rmtl_ratio_upper, rmtl_ratio_p
        The ratio of restricted mean times lost.
    tau_max
        The largest tau the data support.
    """

    tau: float
    groups: tuple[str, ...]
    n: np.ndarray
    n_event: np.ndarray
    rmst: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rmtl: np.ndarray
    diff: np.ndarray
    diff_se: np.ndarray
    diff_lower: np.ndarray
    diff_upper: np.ndarray
    diff_p: np.ndarray
    ratio: np.ndarray
    ratio_lower: np.ndarray
    ratio_upper: np.ndarray
    ratio_p: np.ndarray
    rmtl_ratio: np.ndarray
    rmtl_ratio_lower: np.ndarray
    rmtl_ratio_upper: np.ndarray
    rmtl_ratio_p: np.ndarray
    tau_max: float
    conf_level: float
    n_missing: int

    def to_frame(self) -> pd.DataFrame:
        """One row per group: RMST with CI, and the contrasts with the reference (NaN on its row)."""
        import pandas as pd

        pad = np.concatenate(([np.nan], self.diff)), np.concatenate(([np.nan], self.ratio))
        return pd.DataFrame({
            "group": self.groups, "n": self.n, "events": self.n_event, "rmst": self.rmst, "se": self.se,
            "lower": self.lower, "upper": self.upper, "rmtl": self.rmtl,
            "diff": pad[0], "diff_lower": np.concatenate(([np.nan], self.diff_lower)),
            "diff_upper": np.concatenate(([np.nan], self.diff_upper)),
            "diff_p": np.concatenate(([np.nan], self.diff_p)), "ratio": pad[1],
            "ratio_lower": np.concatenate(([np.nan], self.ratio_lower)),
            "ratio_upper": np.concatenate(([np.nan], self.ratio_upper)),
            "ratio_p": np.concatenate(([np.nan], self.ratio_p)),
        })


def max_tau(last_time: np.ndarray, last_is_event: np.ndarray) -> float:
    """Largest usable tau (``survRM2``): the smallest last time among groups whose last
    observation is censored, and at most the largest last time.

    >>> max_tau(np.array([10.0, 12.0]), np.array([True, False]))
    12.0
    >>> max_tau(np.array([10.0, 12.0]), np.array([False, True]))
    10.0
    """
    bound = float(np.max(last_time))
    censored = ~np.asarray(last_is_event, dtype=bool)
    if censored.any():
        bound = min(bound, float(np.min(last_time[censored])))
    return bound


def _normal(est: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return est - z * se, est + z * se, 2.0 * ndtr(-np.abs(est) / se)


def rmst_test(
    time_or_formula: Any,
    event: Any = None,
    group: Any = None,
    *,
    data: Any = None,
    tau: float | None = None,
    conf_level: float = 0.95,
) -> RmstTestResult:
    """RMST per group up to ``tau``, with difference and ratio against the first group.

    Parameters
    ----------
    time_or_formula
        Follow-up times, or a formula ``"Surv(time, status) ~ group"`` on ``data``.
    event, group
        Event indicator and groups (arrays).
    data
        pandas DataFrame for a formula.
    tau
        The horizon, in the unit of the times; ``None``: the largest the data support.
    conf_level
        Level of every confidence interval.

    Returns
    -------
    RmstTestResult

    Raises
    ------
    InputError
        ``tau`` beyond what the data support (the message gives the largest usable tau),
        ``tau <= 0``, fewer than two groups, counting-process data.
    """
    if not 0 < float(conf_level) < 1:
        raise InputError("must lie strictly between 0 and 1", argument="conf_level", value=conf_level)
    km = kaplan_meier(time_or_formula, event, group, data=data)
    curves = list(km.curves.values())
    if len(curves) < 2:
        raise InputError("there is only one group", argument="group" if not isinstance(time_or_formula, str)
                         else "formula", fix="give a grouping variable with at least two values")
    last = np.array([c.time[-1] for c in curves])
    last_event = np.array([c.n_event[-1] > 0 and c.n_censor[-1] == 0 for c in curves])
    bound = max_tau(last, last_event)
    if tau is None:
        tau = bound
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise InputError("tau must be a number", argument="tau", value=tau) from None
    if not np.isfinite(tau) or tau <= 0:
        raise InputError("tau must be a positive time", argument="tau", value=tau,
                         fix="give the horizon in the unit of the times")
    if tau > bound:
        which = [c.label for c, t, e in zip(curves, last, last_event, strict=True) if not e and t == bound]
        why = (f"follow-up of {which[0]} ends (censored) at {bound:g}" if which
               else f"the longest follow-up is {bound:g}")
        raise InputError(f"tau = {tau:g} is beyond what the data support: {why}", argument="tau", value=tau,
                         fix=f"the largest usable tau is {bound:g}")
    pairs = np.array([c.rmst(tau) for c in curves])
    rmst, se = pairs[:, 0], pairs[:, 1]
    z = float(ndtri(0.5 + float(conf_level) / 2))
    lower, upper = rmst - z * se, rmst + z * se
    rmtl = tau - rmst
    diff = rmst[1:] - rmst[0]
    diff_se = np.sqrt(se[1:] ** 2 + se[0] ** 2)
    d_lo, d_hi, d_p = _normal(diff, diff_se, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(rmst[1:]) - np.log(rmst[0])
        lr_se = np.sqrt(se[1:] ** 2 / rmst[1:] ** 2 + se[0] ** 2 / rmst[0] ** 2)
        lt = np.log(rmtl[1:]) - np.log(rmtl[0])
        lt_se = np.sqrt(se[1:] ** 2 / rmtl[1:] ** 2 + se[0] ** 2 / rmtl[0] ** 2)
    r_lo, r_hi, r_p = _normal(lr, lr_se, z)
    t_lo, t_hi, t_p = _normal(lt, lt_se, z)
    return RmstTestResult(
        tau=tau, groups=tuple(km.curves), n=np.array([c.n for c in curves]),
        n_event=np.array([int(c.events) for c in curves]), rmst=rmst, se=se, lower=lower, upper=upper,
        rmtl=rmtl, diff=diff, diff_se=diff_se, diff_lower=d_lo, diff_upper=d_hi, diff_p=d_p,
        ratio=np.exp(lr), ratio_lower=np.exp(r_lo), ratio_upper=np.exp(r_hi), ratio_p=r_p,
        rmtl_ratio=np.exp(lt), rmtl_ratio_lower=np.exp(t_lo), rmtl_ratio_upper=np.exp(t_hi), rmtl_ratio_p=t_p,
        tau_max=bound, conf_level=float(conf_level), n_missing=km.n_missing,
    )
