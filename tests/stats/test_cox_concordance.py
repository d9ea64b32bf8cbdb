"""Concordance against a brute-force pair count (oracle: the definition, pair by pair).

R's definition (survival 3.x ``concordancefit``, ``timewt = "n"``): a pair (i, j) is
comparable when i has an event at t_i and j is at risk after it (later time, or the same time
and censored; for (start, stop] data j entered before t_i), within a stratum. Events tied in
time are ``tied.y`` (``tied.xy`` when the predictors tie too). The vectorised merge-sort count
must reproduce the O(n^2) loop exactly, and its standard error the jackknife formula.
"""

from __future__ import annotations

import numpy as np
import pytest

from sarcohort.stats.concordance import concordance


def brute(time, event, lp, entry=None, strata=None):
    n = time.size
    strata = np.zeros(n, int) if strata is None else strata
    entry = np.full(n, -np.inf) if entry is None else entry
    C = D = T = Y = XY = 0
    infl = np.zeros((n, 3))
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[j] != strata[i]:
                continue
            if event[j] and time[j] == time[i]:
                if j > i:
                    if lp[i] == lp[j]:
                        XY += 1
                    else:
                        Y += 1
                continue
            later = time[j] > time[i] or (time[j] == time[i] and not event[j])
            if not later or entry[j] >= time[i]:
                continue
            k = 0 if lp[i] > lp[j] else (1 if lp[i] < lp[j] else 2)
            C, D, T = C + (k == 0), D + (k == 1), T + (k == 2)
            infl[i, k] += 1
            infl[j, k] += 1
    npair = C + D + T
    somer = (C - D) / npair
    dfbeta = ((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somer) / (2 * npair)
    return (somer + 1) / 2, np.sqrt(np.sum(dfbeta**2)), [C, D, T, Y, XY]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("counting,stratified", [(False, False), (True, False), (False, True), (True, True)])
def test_matches_brute_force(seed, counting, stratified) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 70))
    time = rng.integers(1, 15, n).astype(float)  # many ties in time
    event = rng.random(n) < 0.6
    lp = rng.integers(0, 6, n).astype(float)  # many ties in the predictor
    entry = np.floor(time * rng.random(n)) if counting else None
    strata = rng.integers(0, 3, n) if stratified else None
    value, se, counts = brute(time, event, lp, entry, strata)
    got = concordance(time, event, lp, entry=entry, strata=strata)
    assert [got.concordant, got.discordant, got.tied_x, got.tied_y, got.tied_xy] == counts
    np.testing.assert_allclose([got.value, got.se], [value, se], rtol=1e-12)
