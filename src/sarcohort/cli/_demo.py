"""The demo: the whole study machine on a synthetic copy of the reference study.

:func:`run_demo` generates the synthetic cohort (:mod:`sarcohort.synth`, fixed seed),
writes it as a centre would export it, runs the reference protocol
(``examples/reference-study/study.toml``, shipped in the package) through ingestion,
validation, analysis and the report, and builds the *published vs reproduced* table:
every figure of the published abstract beside the value the pipeline computed from the
synthetic patients. Reproduced values are read from the analysis results only, never
from the published file.

Example
-------
>>> from sarcohort.cli._demo import run_demo               # doctest: +SKIP
>>> run = run_demo("demo-out")                        # doctest: +SKIP
>>> run.comparison[["figure", "published", "reproduced"]].head(3)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

#: The reference protocol, shipped inside the package.
PROTOCOL = "examples/reference-study/study.toml"


@dataclass(frozen=True)
class DemoRun:
    """What the demo produced: paths, the comparison table and its timing."""

    out_dir: Path
    report: dict[str, Path]
    comparison: Any  # pandas.DataFrame: figure, published, reproduced, note
    seed: int
    n_patients: int
    seconds: float


def default_out_dir(base: Path | None = None) -> Path:
    """A new folder name in ``base`` (default: the current directory) that does not exist yet."""
    base = Path.cwd() if base is None else base
    stem = "sarcohort-demo-" + datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, k = base / stem, 1
    while candidate.exists():
        k += 1
        candidate = base / f"{stem}-{k}"
    return candidate


def _level_count(results: Any, variable: str, level: str = "Yes", column: int = 0) -> int | None:
    for var in results.table1.variables:
        if var.name == variable:
            for lv in var.levels:
                if lv.level == level:
                    return int(lv.counts[column])
    return None


def _summary(results: Any, variable: str, column: int = 0) -> Any:
    for var in results.table1.variables:
        if var.name == variable and var.summaries:
            return var.summaries[column]
    return None


def _factor_row(pub: dict[str, Any], results: Any, covariate: str) -> tuple[str, str]:
    """Published and reproduced cells of one multivariable Cox factor."""
    from sarcohort.report._format import fmt_hr, fmt_p

    endpoint = pub["endpoint"].lower()
    if pub.get("significant", True):
        rel = "≤" if pub.get("p_relation") == "<=" else "="
        published = f"{pub['direction']}, P {rel} {pub['p']}"  # as printed in the abstract
    else:
        published = "not significant"
    try:
        model = results.model(endpoint)
    except KeyError:
        return published, "not in the protocol's model"
    term = next((t for t in model.terms if t.name == covariate), None)
    if term is None:
        return published, "not in the protocol's model"
    if term.hr is None or term.p is None:
        return published, "not estimable"
    direction = "worse" if term.hr > 1 else "better"
    significance = "" if term.p < 0.05 else ", not significant"
    hr = fmt_hr(term.hr, term.lower, term.upper)
    p = fmt_p(term.p)
    return published, f"{direction}{significance}: HR {hr}, P {p if p.startswith(('<', '>')) else '= ' + p}"


#: published factor key suffix -> the protocol covariate that measures it
FACTOR_COVARIATES = {
    "more_than_5": "more_than_5_metastases",
    "early": "early_metastasis",
    "surgery": "metastasis_surgery",
    "bone": "met_bone",
}


def published_vs_reproduced(published: dict[str, Any], results: Any) -> Any:
    """Every published figure beside the value computed by the pipeline.

    Parameters
    ----------
    published
        The ``published`` table of :func:`sarcohort.synth.load_published`.
    results
        :class:`~sarcohort.analysis._results.Results` of the reference protocol.

    Returns
    -------
    pandas.DataFrame
        Columns ``figure``, ``published``, ``reproduced``, ``note``.
    """
    import pandas as pd

    from sarcohort.report._format import fmt_mean_range, fmt_n_pct, fmt_time_ci

    t1 = results.table1
    columns = [c.lower() for c in t1.columns]
    sync = columns.index("synchronous") if "synchronous" in columns else None
    meta = columns.index("metachronous") if "metachronous" in columns else None
    rows: list[tuple[str, str, str, str]] = []

    def count_row(key: str, reproduced: int | None, note: str = "") -> None:
        p = published[key]
        pct = f" ({p['percent']}%)" if "percent" in p else ""
        shown = "-" if reproduced is None else fmt_n_pct(reproduced, t1.n[0])
        rows.append((p["label"], f"{p['value']}{pct}", shown, note))

    def range_row(key: str, summary: Any, unit: str, note: str) -> None:
        p = published[key]
        shown = "-" if summary is None else fmt_mean_range(summary.mean, summary.minimum, summary.maximum)
        rows.append((f"{p['label']} ({unit})", f"{p['mean']} ({p['min']}-{p['max']})", shown,
                     f"mean (range), {note}"))

    count_row("n_patients", t1.n[0], "patients analysed (after validation and inclusion)")
    count_row("synchronous", t1.n[sync] if sync is not None else None)
    count_row("metachronous", t1.n[meta] if meta is not None else None)
    count_row("male", _level_count(results, "sex", "Male"))
    count_row("female", _level_count(results, "sex", "Female"))
    range_row("age", _summary(results, "age_at_metastasis"), "years", "age at first metastasis")
    for site in ("met_lung", "met_bone", "met_other"):
        count_row(site, _level_count(results, site))
    range_row("time_to_metachronous_metastasis",
              _summary(results, "months_to_metastasis", meta) if meta is not None else None,
              "months", "metachronous patients")
    no_sys = _level_count(results, "no_systemic_treatment")
    no_sys_sync = _level_count(results, "no_systemic_treatment", column=sync) if sync is not None else None
    count_row("no_systemic_treatment", no_sys,
              "" if no_sys_sync is None else f"{no_sys_sync} of them synchronous")
    count_row("in_trial", _level_count(results, "in_trial"))
    count_row("local_treatment", _level_count(results, "local_treatment"))

    method = results.meta.median_ci
    for endpoint, key in (("pfs", "median_pfs"), ("os", "median_os")):
        p = published[key]
        group = results.km(endpoint).groups[0]
        rows.append((
            f"{p['label']} (months)",
            f"{p['value']} ({p['ci_lower']}-{p['ci_upper']})",
            fmt_time_ci(group.median, group.median_lower, group.median_upper),
            f"95% CI by the {method} method",
        ))
    for key, pub in published["factors"].items():
        covariate = FACTOR_COVARIATES[key.split("_", 1)[1]]
        published_cell, reproduced_cell = _factor_row(pub, results, covariate)
        rows.append((f"{pub['endpoint']}: {pub['label']}", published_cell, reproduced_cell,
                     "multivariable Cox; hazard ratios were not published"))
    return pd.DataFrame(rows, columns=["figure", "published", "reproduced", "note"])


def _synthetic_note(source: dict[str, Any], assumptions: dict[str, Any], seed: int) -> str:
    """The methods note on the synthetic data: source, seed, calibration, assumptions."""
    paragraphs = [
        "The patients of this report are synthetic. They were generated by sarcohort.synth "
        f"(seed {seed}) to resemble the published series ({source['citation']} "
        f"doi:{source['doi']}), whose patient-level data are private. Counts are set to the "
        "published figures; survival comes from a proportional-hazards model whose baseline "
        "and effects were chosen to give medians and factor effects like the published ones. "
        "The 'reproduced' column of the comparison table is computed by the same pipeline "
        "that would analyse real data.",
    ]
    calibration = resources.files("sarcohort").joinpath("synth/data/calibration.json")
    if calibration.is_file():
        cal = json.loads(calibration.read_text(encoding="utf-8"))
        paragraphs.append(cal["summary"])
    paragraphs.append("Assumptions (not published; chosen for the generator):")
    for name, item in assumptions.items():  # a list: one item per paragraph
        text = name.replace("_", " ")
        paragraphs.append(f"\u2022 {text[:1].upper() + text[1:]}: {item.get('note', item.get('value'))}")
    return "\n\n".join(paragraphs)


def run_demo(
    out: str | Path | None = None,
    *,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoRun:
    """Generate, validate, analyse and report the synthetic reference study.

    Parameters
    ----------
    out
        Folder to write into; must not exist or be empty. Default: a new folder in the
        current directory (:func:`default_out_dir`), so nothing is overwritten.
    seed
        Seed of the synthetic cohort (default: :data:`sarcohort.synth.DEFAULT_SEED`).
    progress
        Called with a short message at each stage.

    Returns
    -------
    DemoRun
    """
    from sarcohort.exceptions import InputError
    from sarcohort.synth import DEFAULT_SEED, generate, load_published

    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    out_dir = default_out_dir() if out is None else Path(out)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError("the demo writes into a new or empty folder", argument="--out",
                         value=str(out_dir), fix="choose another folder or leave --out out")
    seed = DEFAULT_SEED if seed is None else seed

    say("generating the synthetic cohort")
    cohort_data = generate(seed=seed)
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    cohort_data.write(data_dir)
    protocol = resources.files("sarcohort").joinpath(PROTOCOL)
    protocol_path = data_dir / "study.toml"
    with resources.as_file(protocol) as src:
        shutil.copyfile(src, protocol_path)

    import sarcohort.report
    from sarcohort.study import Study

    sarcohort.report.prepare()  # figure workers import matplotlib while the analysis runs
    say("validating and deriving endpoints")
    study = Study.from_toml(protocol_path)
    cohort = study.load()
    say("analysing")
    results = study.analyze(cohort)
    say("writing the report")
    everything = load_published()
    comparison = published_vs_reproduced(everything["published"], results)
    extra = [
        ("Published vs reproduced", comparison),
        ("Synthetic data", _synthetic_note(everything["source"], everything["assumptions"], seed)),
    ]
    paths = sarcohort.report.write(results, out_dir / "report", extra_sections=extra)
    return DemoRun(
        out_dir=out_dir,
        report=paths,
        comparison=comparison,
        seed=seed,
        n_patients=int(results.table1.n[0]),
        seconds=time.perf_counter() - started,
    )
