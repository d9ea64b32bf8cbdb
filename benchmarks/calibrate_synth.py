"""Calibration of the synthetic cohort across seeds (issue 6).

Runs ``sarcohort.synth.generate(n=120, seed=s)`` for many seeds and reports

* how often the Kaplan-Meier medians of PFS and OS land within 15% (and 10%)
  of the published 5.5 and 20.5 months (goal: >= 80% of seeds within 15%);
* how often each published factor of the multivariate Cox models comes out
  significant (P < 0.05) in the published direction (goal: >= 70% each):
  OS ~ more_than_5 + early + surgery + bone, PFS ~ the same four (bone is
  "not significant" for PFS as published, so its rate should be low);
* the mean naive surgery log-HR beside the time-dependent estimate (surgery as
  a covariate switching on at its date, counting-process Cox) and the true
  log-HR of the generator: the immortal-time gap;
* generation time per cohort.

Each cohort goes through the same validation and endpoint derivation as a real export
(``sarcohort.cohort.cohort_from_frames``, via ``sarcohort.synth.derive``). Statistics come
from sarcohort's own ``sc.kaplan_meier`` / ``sc.cox`` (Efron ties)
when importable, else from lifelines; ``--engine`` forces one. ``--find-default``
prints the smallest seed meeting the default-seed criteria (medians within 10%,
all seven published factors significant as published, PFS bone not significant).

Usage::

    .venv/bin/python benchmarks/calibrate_synth.py                 # 200 seeds, stratified
    .venv/bin/python benchmarks/calibrate_synth.py --sampling iid  # plain random draws
    .venv/bin/python benchmarks/calibrate_synth.py --find-default
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from sarcohort.synth import derive, generate, load_published

FACTORS = ("more_than_5", "early", "surgery", "bone")
#: published direction of each factor: +1 worse (HR > 1), -1 better
DIRECTION = {"more_than_5": 1, "early": 1, "surgery": -1, "bone": 1}

Stats = tuple[Callable[[np.ndarray, np.ndarray], float],
              Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
              Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]]


def _sarcohort_engine() -> Stats:
    import sarcohort as sc

    def median(t: np.ndarray, e: np.ndarray) -> float:
        return float(sc.kaplan_meier(t, e).curves["All"].median)

    def cox(t: np.ndarray, e: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = sc.cox(t, e, x)
        return np.asarray(fit.coef, dtype=float), np.asarray(fit.p, dtype=float)

    def cox_td(start: np.ndarray, stop: np.ndarray, e: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.asarray(sc.cox(stop, e, x, entry=start).coef, dtype=float)

    return median, cox, cox_td


def _lifelines_engine() -> Stats:
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter

    def median(t: np.ndarray, e: np.ndarray) -> float:
        return float(KaplanMeierFitter().fit(t, e).median_survival_time_)

    def cox(t: np.ndarray, e: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        df = pd.DataFrame(x, columns=list(FACTORS))
        df["t"], df["e"] = t, e
        fit = CoxPHFitter().fit(df, "t", "e")
        return fit.params_.to_numpy(), fit.summary["p"].to_numpy()

    def cox_td(start: np.ndarray, stop: np.ndarray, e: np.ndarray, x: np.ndarray) -> np.ndarray:
        from lifelines import CoxTimeVaryingFitter

        df = pd.DataFrame(x, columns=list(FACTORS))
        df["start"], df["stop"], df["e"] = start, stop, e
        df["id"] = np.arange(len(df))
        fit = CoxTimeVaryingFitter().fit(df, id_col="id", start_col="start", stop_col="stop",
                                         event_col="e")
        return fit.params_[list(FACTORS)].to_numpy()

    return median, cox, cox_td


def engine(name: str) -> tuple[str, Stats]:
    """Pick the statistics engine: sarcohort's own if it works, else lifelines."""
    if name in ("auto", "sarcohort"):
        try:
            warnings.simplefilter("ignore")
            st = _sarcohort_engine()
            one_seed(0, st, "stratified")  # probe on a real synthetic cohort
            return "sarcohort (sc.kaplan_meier, sc.cox)", st
        except Exception as err:  # noqa: BLE001 - any failure: fall back, and say so
            if name == "sarcohort":
                raise
            print(f"sarcohort statistics unavailable ({type(err).__name__}: {err}); using lifelines")
    return "lifelines (KaplanMeierFitter, CoxPHFitter)", _lifelines_engine()


def one_seed(seed: int, st: Stats, sampling: str) -> dict[str, float]:
    """Medians, Cox coefficients and P values of one synthetic cohort."""
    c = generate(seed=seed, sampling=sampling)  # type: ignore[arg-type]
    d = derive(c.patients, c.treatments)
    x = d[list(FACTORS)].to_numpy(dtype=float)
    # date of surgery (months from first metastasis), NaN when none
    tr = c.treatments[c.treatments["kind"] == "surgery"].groupby("patient_id")["start_date"].min()
    met = c.patients.set_index("patient_id")["first_metastasis_date"]
    s_op = ((tr - met.reindex(tr.index)).dt.days / 30.4375).reindex(d["patient_id"]).to_numpy()
    op = ~np.isnan(s_op)
    out: dict[str, float] = {}
    for ep in ("pfs", "os"):
        t = d[f"{ep}_months"].to_numpy(dtype=float)
        e = d[f"{ep}_event"].to_numpy(dtype=int)
        out[f"median_{ep}"] = st[0](t, e)
        coef, p = st[1](t, e, x)
        for f, b, pv in zip(FACTORS, coef, p, strict=True):
            out[f"{ep}_{f}_coef"], out[f"{ep}_{f}_p"] = float(b), float(pv)
        if st[2] is not None:
            # counting process: before surgery (surgery = 0), then from its date (surgery = 1)
            j = FACTORS.index("surgery")
            x0 = x.copy()
            x0[:, j] = 0.0
            x1 = x[op].copy()
            x1[:, j] = 1.0
            start = np.r_[np.zeros(len(t)), s_op[op]]
            stop = np.r_[np.where(op, s_op, t), t[op]]
            ev = np.r_[np.where(op, 0, e), e[op]]
            out[f"{ep}_surgery_td"] = float(st[2](start, stop, ev, np.vstack([x0, x1]))[j])
    return out


def significant(r: dict[str, float], ep: str, f: str) -> bool:
    """P < 0.05 in the published direction."""
    return r[f"{ep}_{f}_p"] < 0.05 and np.sign(r[f"{ep}_{f}_coef"]) == DIRECTION[f]


def default_ok(r: dict[str, float], pub: dict) -> bool:
    """The demo's criteria for the default seed."""
    within = (abs(r["median_pfs"] / pub["median_pfs"]["value"] - 1) <= 0.10
              and abs(r["median_os"] / pub["median_os"]["value"] - 1) <= 0.10)
    factors = all(significant(r, "os", f) for f in FACTORS) and all(
        significant(r, "pfs", f) for f in ("more_than_5", "early", "surgery"))
    return within and factors and r["pfs_bone_p"] >= 0.05


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--sampling", choices=("stratified", "iid"), default="stratified")
    ap.add_argument("--engine", choices=("auto", "sarcohort", "lifelines"), default="auto")
    ap.add_argument("--find-default", action="store_true")
    ap.add_argument("--summary-json", type=str, default=None,
                    help="also write the calibration summary the demo report quotes "
                         "(src/sarcohort/synth/data/calibration.json)")
    args = ap.parse_args()
    raw = load_published()
    pub, lhr = raw["published"], raw["assumptions"]["log_hazard_ratios"]
    name, st = engine(args.engine)
    print(f"statistics: {name}; sampling: {args.sampling}")
    warnings.simplefilter("ignore")

    if args.find_default:
        for seed in range(10_000):
            r = one_seed(seed, st, args.sampling)
            if default_ok(r, pub):
                print(f"smallest seed meeting the default criteria: {seed}")
                print({k: round(v, 4) for k, v in r.items()})
                return
        raise SystemExit("no seed below 10000 meets the criteria")

    t0 = time.perf_counter()
    for s in range(5):
        generate(seed=10_000 + s)
    gen_ms = (time.perf_counter() - t0) / 5 * 1e3
    rows = [one_seed(s, st, args.sampling) for s in range(args.seeds)]
    k = len(rows)

    def rate(cond: Callable[[dict[str, float]], bool]) -> str:
        return f"{100 * sum(map(cond, rows)) / k:5.1f}%"

    print(f"\n{k} seeds (0..{k - 1}), n = 120; generate(): {gen_ms:.1f} ms per cohort")
    print("\nmedians          published  mean   sd    within 15%  within 10%")
    for ep in ("pfs", "os"):
        ref = pub[f"median_{ep}"]["value"]
        m = np.array([r[f"median_{ep}"] for r in rows])
        print(f"  {ep.upper():4s}           {ref:7.1f} {np.nanmean(m):6.2f} {np.nanstd(m):5.2f}   "
              f"{rate(lambda r, e=ep, v=ref: abs(r[f'median_{e}'] / v - 1) <= .15)}"
              f"      {rate(lambda r, e=ep, v=ref: abs(r[f'median_{e}'] / v - 1) <= .10)}")
    both = rate(lambda r: abs(r["median_pfs"] / 5.5 - 1) <= .15 and abs(r["median_os"] / 20.5 - 1) <= .15)
    print(f"  both within 15%: {both}   (goal >= 80%)")
    print("\nmultivariate Cox  published       significant as published  mean naive log-HR  true log-HR")
    for ep in ("os", "pfs"):
        for f in FACTORS:
            fp = pub["factors"][f"{ep}_{f}"]
            shown = (f"{fp['direction']}, P {fp['p_relation']} {fp['p']}" if fp["significant"]
                     else "not significant")
            mean_b = np.mean([r[f"{ep}_{f}_coef"] for r in rows])
            note = "(goal >= 70%)" if fp["significant"] else "(should be low)"
            print(f"  {ep.upper():3s} {f:12s} {shown:24s} {rate(lambda r, e=ep, g=f: significant(r, e, g))} "
                  f"{note:15s} {mean_b:+.2f}             {lhr[f'{ep}_{f}']:+.2f}")
    print("\nsurgery of metastases: immortal time (mean log-HR over the seeds)")
    print("  endpoint  naive yes/no  time-dependent  true (generator)")
    for ep in ("os", "pfs"):
        naive = np.mean([r[f"{ep}_surgery_coef"] for r in rows])
        td = np.mean([r[f"{ep}_surgery_td"] for r in rows])
        print(f"  {ep.upper():8s}  {naive:+.2f}         {td:+.2f}           {lhr[f'{ep}_surgery']:+.2f}")
    print(f"\ndefault-seed criteria met by {rate(lambda r: default_ok(r, pub))} of seeds")
    if args.summary_json:
        write_summary(args.summary_json, rows, name, args.sampling)


def write_summary(path: str, rows: list[dict[str, float]], engine_name: str, sampling: str) -> None:
    """The calibration figures as one sentence for the demo report's note on synthetic data."""
    import json

    def pct(cond: Callable[[dict[str, float]], bool]) -> float:
        return round(100 * sum(map(cond, rows)) / len(rows), 1)

    both = pct(lambda r: abs(r["median_pfs"] / 5.5 - 1) <= .15 and abs(r["median_os"] / 20.5 - 1) <= .15)
    factor_rates = {f"{ep}_{f}": pct(lambda r, e=ep, g=f: significant(r, e, g))
                    for ep in ("os", "pfs") for f in FACTORS}
    labels = {"more_than_5": "more than 5 metastases", "early": "time to metastasis < 24 months",
              "surgery": "surgery of metastases", "bone": "bone metastases"}
    shown = "; ".join(f"{ep.upper()}: " + ", ".join(f"{labels[f]} {factor_rates[f'{ep}_{f}']}%"
                                                    for f in FACTORS if f"{ep}_{f}" != "pfs_bone")
                      for ep in ("os", "pfs"))
    summary = (f"Calibration over {len(rows)} seeds (benchmarks/calibrate_synth.py, {sampling} sampling, "
               f"statistics by {engine_name}): both medians within 15% of the published values in "
               f"{both}% of seeds (goal 80%); each published factor significant (P < 0.05) in the "
               f"published direction: {shown} (goal 70% each); bone metastases significant for PFS, "
               f"published as not significant, in {factor_rates['pfs_bone']}% of seeds.")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"seeds": len(rows), "sampling": sampling, "engine": engine_name,
                   "medians_within_15pct": both, "factor_significant_pct": factor_rates,
                   "summary": summary}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
