"""Kaplan-Meier and log-rank at n = 1e6: sarcohort vs lifelines vs statsmodels, in one run.

Data: two groups, integer days 1..3650 (many ties), about 30% censored, fixed seed.
Each task is timed end to end from numpy arrays (input checks included), best of
``--repeat`` runs, and the ratio peer / sarcohort is printed (higher = sarcohort faster).

* KM: two curves (one per group) with log-log pointwise bands.  lifelines:
  ``KaplanMeierFitter(...).fit`` per group (its default band is log-log); statsmodels:
  ``SurvfuncRight`` per group (Greenwood SEs; it has no pointwise band method, so the
  log-log band is computed from its SEs in numpy, a negligible cost).
* log-rank: lifelines ``logrank_test``; statsmodels ``survdiff``.

Run: ``python benchmarks/bench_km_logrank.py [--n 1000000] [--repeat 3] [--continuous]``.
The script also checks that the three agree on S(t) and on the chi-square.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _timing import best_of


def make_data(n: int, seed: int = 2026, continuous: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if continuous:
        # Times to 1e-3 day, few ties: exercises the sort-based path instead of bincount.
        # (Rounded so that R's near-tie merge, which sarcohort applies and the peers do
        # not, changes nothing and the agreement check below is exact.)
        group = rng.integers(0, 2, n)
        death = np.round(rng.exponential(np.where(group == 0, 1000.0, 1250.0)), 3) + 0.001
        censor = np.round(rng.uniform(0, 3650, n), 3) + 0.001
        return np.minimum(death, censor), death <= censor, group
    group = rng.integers(0, 2, n)
    scale = np.where(group == 0, 1000.0, 1250.0)
    death = np.ceil(rng.exponential(scale))
    censor = np.ceil(rng.uniform(0, 3650, n))  # staggered entry, analysis at 10 years
    time_ = np.minimum(death, censor)
    event = death <= censor
    return time_.astype(np.float64), event, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--continuous", action="store_true",
                        help="continuous times without ties (sort path) instead of integer days")
    args = parser.parse_args()

    import lifelines
    import statsmodels
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    import sarcohort
    from sarcohort.stats.km import kaplan_meier
    from sarcohort.stats.logrank import logrank

    t, e, g = make_data(args.n, continuous=args.continuous)
    print(f"n = {args.n:,}  censored = {1 - e.mean():.1%}  distinct times = {np.unique(t).size}")
    print(f"sarcohort {sarcohort.__version__}, lifelines {lifelines.__version__}, "
          f"statsmodels {statsmodels.__version__}, numpy {np.__version__}")
    masks = [g == 0, g == 1]

    def sc_km():
        return kaplan_meier(t, e, g, conf_type="log-log")

    def ll_km():
        out = []
        for m in masks:
            kmf = KaplanMeierFitter().fit(t[m], e[m])
            out.append(kmf)
        return out

    def sm_km():
        out = []
        for m in masks:
            sf = SurvfuncRight(t[m], e[m].astype(float))
            # statsmodels has no pointwise band method: the log-log band from its SE.
            with np.errstate(divide="ignore", invalid="ignore"):
                se_log = sf.surv_prob_se / sf.surv_prob
                z = 1.959963984540054 * se_log / np.log(sf.surv_prob)
                _band = (np.exp(-np.exp(np.log(-np.log(sf.surv_prob)) - z)),
                         np.exp(-np.exp(np.log(-np.log(sf.surv_prob)) + z)))
            out.append(sf)
        return out

    def sc_lr():
        return logrank(t, e, g)

    def ll_lr():
        return logrank_test(t[masks[0]], t[masks[1]], e[masks[0]], e[masks[1]])

    def sm_lr():
        return survdiff(t, e.astype(float), g)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = []
        for task, ours, peers in [
            ("Kaplan-Meier, 2 groups, log-log CI", sc_km, {"lifelines": ll_km, "statsmodels": sm_km}),
            ("log-rank, 2 groups", sc_lr, {"lifelines": ll_lr, "statsmodels": sm_lr}),
        ]:
            t_ours, r_ours = best_of(ours, args.repeat)
            timings = {name: best_of(fn, args.repeat) for name, fn in peers.items()}
            rows.append((task, t_ours, r_ours, timings))

    # Agreement checks (same numbers, so the timings compare like with like).
    km_ours = rows[0][2]
    for gi, kmf in enumerate(rows[0][3]["lifelines"][1]):
        c = km_ours.curves[str(gi)]
        s_ll = kmf.survival_function_.iloc[1:, 0].to_numpy()
        idx = np.searchsorted(c.time, kmf.survival_function_.index[1:].to_numpy())
        assert np.allclose(c.survival[idx], s_ll, rtol=1e-9), "KM differs from lifelines"
    for gi, sf in enumerate(rows[0][3]["statsmodels"][1]):
        c = km_ours.curves[str(gi)]
        idx = np.searchsorted(c.time, sf.surv_times)
        assert np.allclose(c.survival[idx], sf.surv_prob, rtol=1e-9), "KM differs from statsmodels"
    chisq = rows[1][2].chisq
    assert np.isclose(rows[1][3]["lifelines"][1].test_statistic, chisq, rtol=1e-9)
    assert np.isclose(rows[1][3]["statsmodels"][1][0], chisq, rtol=1e-9)

    print(f"\n{'task':38s} {'sarcohort':>10s} {'lifelines':>10s} {'statsmodels':>12s} "
          f"{'vs lifelines':>13s} {'vs statsm.':>11s} {'vs faster peer':>15s}")
    for task, t_ours, _, timings in rows:
        t_ll, t_sm = timings["lifelines"][0], timings["statsmodels"][0]
        print(f"{task:38s} {t_ours:9.4f}s {t_ll:9.4f}s {t_sm:11.4f}s "
              f"{t_ll / t_ours:12.1f}x {t_sm / t_ours:10.1f}x {min(t_ll, t_sm) / t_ours:14.1f}x")
    print("\n(ratios: peer time / sarcohort time; best of", args.repeat, "runs each; "
          "results agree to 1e-9)")


if __name__ == "__main__":
    main()
