"""Restricted mean survival time (RMST) of a Kaplan-Meier curve, as R's ``survmean``.

The restricted mean up to ``tau`` is the area under the curve from the start time
(0) to ``tau``; the curve is held flat after its last time.  Its standard error is the
one R prints as ``se(rmean)`` (``summary(fit, rmean = tau)$table``), from Miller
(Survival Analysis, 1981, pp. 195-196): with ``A_j`` the area from the ``j``-th time to
``tau``, ``var = sum_j A_j^2 d_j / (n_j (n_j - d_j))`` over times ``<= tau``
(terms with ``n_j = d_j`` count 0).
"""

from __future__ import annotations

import numpy as np


def rmst_r(
    time: np.ndarray,
    surv: np.ndarray,
    n_risk: np.ndarray,
    n_event: np.ndarray,
    tau: float,
    start: float = 0.0,
) -> tuple[float, float]:
    """Restricted mean survival up to ``tau`` and its standard error (R's ``rmean``).

    Parameters
    ----------
    time, surv, n_risk, n_event
        The curve over its distinct times.
    tau
        Upper limit of integration; beyond the last time the curve is held flat.
    start
        Start of integration (R: ``min(0, time)``); the result counts from 0 as R's does.

    Returns
    -------
    (rmean, se)

    Examples
    --------
    Two deaths at 1 and 2 among 2 subjects: area 1 * 1 + 1 * 0.5 = 1.5.

    >>> rmst_r(np.array([1.0, 2.0]), np.array([0.5, 0.0]), np.array([2, 1]),
    ...        np.array([1, 1]), tau=2.0)[0]
    1.5
    """
    time = np.asarray(time, dtype=float)
    surv = np.asarray(surv, dtype=float)
    n_risk = np.asarray(n_risk, dtype=float)
    n_event = np.asarray(n_event, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    keep = np.flatnonzero(time <= tau)
    if keep.size == 0:  # tau before the first time: the curve is 1 on [start, tau]
        temptime = np.array([tau])
        tempsurv = np.array([1.0])
        hh = np.array([0.0])
    else:
        temptime = np.append(time[keep], tau)
        tempsurv = np.append(surv[keep], surv[keep[-1]])
        hh = np.append(hh[keep], 0.0)
    delta = np.diff(np.concatenate(([start], temptime)))
    rectangles = delta * np.concatenate(([1.0], tempsurv[:-1]))
    # R: sum(cumsum(rev(rectangles[-1]))^2 * rev(hh)[-1])
    tail_area = np.cumsum(rectangles[1:][::-1])
    varmean = float(np.sum(tail_area**2 * hh[::-1][1:]))
    mean = float(np.sum(rectangles) + start)
    return mean, float(np.sqrt(varmean))
