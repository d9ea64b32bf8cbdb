"""A cohort built a part at a time is the cohort built from the whole tables.

Oracle: :func:`build_cohort` on the whole tables (the memory path). The tables are split
into many more parts than their size needs, so that patients, their treatment rows and
every exclusion cross parts: messy random tables (every kind of id, date and code a
hand-filled export holds), a messy synthetic cohort, and ``sarcohort analyze`` itself on a
Parquet dataset folder (its report byte for byte the memory path's).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from data.validation.test_arrow_text import _patients, _treatments
from fixtures.parquet_tables import write_parquet
from sarcohort.cohort._build import build_cohort
from sarcohort.cohort._parts import cohort_in_parts
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"

#: The protocol of the messy synthetic cohort (:func:`_synthetic`'s tables in ``c/``).
MESSY_COHORT = {
    "data": {"patients": "c/patients.parquet", "treatments": "c/treatments.parquet",
             "on_unlinked_treatments": "ignore"},
    "inclusion": {"age_min": 18}, "derived": {"many": "n_metastases > 2"}}


def _assert_same(whole, parts) -> None:
    pd.testing.assert_frame_equal(parts.patients, whole.patients)
    pd.testing.assert_frame_equal(parts.treatments, whole.treatments)
    pd.testing.assert_frame_equal(parts.excluded.reset_index(drop=True),
                                  whole.excluded.reset_index(drop=True))
    assert parts.flow.to_dict() == whole.flow.to_dict()
    assert parts.report.problems == whole.report.problems
    strip = lambda m: {k: v for k, v in m.items() if k != "created_utc"}  # noqa: E731
    assert strip(parts.manifest) == strip(whole.manifest)


@pytest.mark.parametrize("seed", range(2))
def test_tables_of_errors_only_in_parts_give_the_same_empty_cohort(seed, tmp_path):
    """Random hand-filled tables: every patient row has an error, all are excluded."""
    rng = np.random.default_rng(700 + seed)
    write_parquet(_patients(rng, 400, seed % 2 == 0), tmp_path / "patients.parquet")
    write_parquet(_treatments(rng, 700, seed % 2 == 0), tmp_path / "treatments.parquet")
    config = parse_cohort({
        "data": {"patients": "patients.parquet", "treatments": "treatments.parquet",
                 "on_unlinked_treatments": "ignore",
                 **({"date_format": "dayfirst"} if seed == 1 else {})},
        "derived": {"many": "n_metastases > 2"}})
    whole = build_cohort(config, tmp_path, today=TODAY)
    parts, _ = cohort_in_parts(config, tmp_path, keep=set(whole.patients.columns),
                               today=TODAY, parts=3)
    assert len(whole.excluded) == 400 and whole.patients.empty
    _assert_same(whole, parts)


@pytest.mark.parametrize("parts", [3, 4])
def test_messy_cohort_in_parts_gives_the_same_cohort(parts, tmp_path):
    """A messy synthetic cohort: patients excluded for errors and by the protocol,
    treatments of excluded patients and unlinked ones, split across the parts."""
    from sarcohort.cli import app

    _synthetic(tmp_path, CliRunner(), app)
    config = parse_cohort(MESSY_COHORT)
    whole = build_cohort(config, tmp_path, today=TODAY)
    got, _ = cohort_in_parts(config, tmp_path, keep=set(whole.patients.columns), today=TODAY,
                             parts=parts)
    assert len(whole.excluded) > 5 and len(whole.patients) > 500
    assert whole.manifest["treatment_rows"]["of_excluded_patients"] > 0
    _assert_same(whole, got)


def test_kept_columns_only(tmp_path):
    """``keep`` names the patient columns held (the analysis's): without the ids, the
    table is indexed by row number; equal texts are one object."""
    from sarcohort.cli import app

    _synthetic(tmp_path, CliRunner(), app)
    config = parse_cohort({"data": {"patients": "c/patients.parquet"}})
    whole = build_cohort(config, tmp_path, today=TODAY)
    got, _ = cohort_in_parts(config, tmp_path, keep={"os_days", "os_event", "sex"},
                             today=TODAY, parts=2)
    assert list(got.patients.columns) == ["sex", "os_days", "os_event"]
    assert isinstance(got.patients.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(got.patients,
                                  whole.patients[got.patients.columns].reset_index(drop=True))
    sex = got.patients["sex"].dropna()
    assert len({id(v) for v in sex}) == sex.nunique() < 5


#: The analyses that read columns besides the protocol's named ones (competing risks: PFS and
#: OS; the centre effect: the centre), and multiple imputation (which finds no covariate
#: missing here, and says so) and RMST.
EVERY_ANALYSIS = {
    '# centre_effect = "frailty"': 'centre_effect = "strata"',
    "# rmst_tau = 24": "rmst_tau = 24",
    'method = "complete-case"': 'method = "multiple-imputation"\nm = 2',
    '# event = "progression"': 'event = "progression"',
}


def _synthetic(tmp_path: Path, runner, app, swimmer_max: int = 150,
               every: bool = False) -> Path:
    r = runner.invoke(app, ["synth", "--n", "600", "--messy", "--out", str(tmp_path / "c"),
                            "-f", "csv", "--seed", "4"])
    assert r.exit_code == 0, r.output
    (tmp_path / "ds" / "patients").mkdir(parents=True)
    (tmp_path / "ds" / "treatments").mkdir()
    for name in ("patients", "treatments"):
        frame = pd.read_csv(tmp_path / "c" / f"{name}.csv", dtype=str, keep_default_na=False)
        write_parquet(frame, tmp_path / "c" / f"{name}.parquet")
        for i, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
            write_parquet(frame.iloc[rows], tmp_path / "ds" / name / f"part-{i}.parquet")
    from sarcohort.protocol._options import example_protocol

    text = example_protocol().replace("bootstrap = 200", "bootstrap = 0")
    text = text.replace("# swimmer_max = 150", f"swimmer_max = {swimmer_max}")
    text = text.replace('formats = ["html", "docx", "xlsx", "csv"]', 'formats = ["csv"]')
    for old, new in EVERY_ANALYSIS.items() if every else ():
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace('figure_formats = ["svg", "png"]', 'figure_formats = ["svg"]')
    text = text.replace('# [analysis.treatments.regimen_labels]\n# AP =',
                        '[analysis.treatments.regimen_labels]\nAP =')
    text = text.replace('# on_unlinked_treatments = "error"', 'on_unlinked_treatments = "ignore"')
    for folder in ("c", "ds"):
        t = text.replace('patients = "patients.csv"', f'patients = "{folder}/patients'
                         + ('.parquet"' if folder == "c" else '"'))
        t = t.replace('treatments = "treatments.csv"', f'treatments = "{folder}/treatments'
                      + ('.parquet"' if folder == "c" else '"'))
        (tmp_path / f"{folder}.toml").write_text(t)
    return tmp_path


@pytest.mark.parametrize(("swimmer_max", "every"), [(150, True), (5000, False)])
def test_analyze_in_parts_writes_the_memory_report(tmp_path, monkeypatch, swimmer_max, every):
    """``sarcohort analyze`` on a Parquet dataset folder (read in 4 parts; the treatment
    course summarised from the parts' rows, its swimmer lanes too when the cohort is
    small enough; competing risks, centre effect, imputation and RMST, which read columns
    of their own) writes the report the memory path writes from the same rows in one
    file: results.json (its sources' names and digests aside) and every CSV table byte
    for byte."""
    import sarcohort.data.validation._partitioned as P
    from sarcohort.cli import app

    runner = CliRunner()
    _synthetic(tmp_path, runner, app, swimmer_max, every)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setattr(P, "PART_PATIENTS", 200)
    out = {}
    for folder, engine in (("c", "memory"), ("ds", "auto")):
        r = runner.invoke(app, ["analyze", str(tmp_path / f"{folder}.toml"), "--out",
                                str(tmp_path / f"out-{folder}"), "--engine", engine])
        assert r.exit_code == 1, r.output  # the messy data have errors: excluded patients
        res = json.loads((tmp_path / f"out-{folder}" / "results.json").read_text())
        manifest = res["meta"]["manifest"]
        assert manifest["flow"]["n_read"] > 600 and manifest["excluded"]  # messy: duplicates
        manifest.pop("sources")
        manifest["protocol"] = {}  # the two protocols differ in [data] only
        res["meta"].pop("protocol_hash")
        manifest["config"].pop("data")
        out[folder] = res
    course = out["c"]["treatments"]
    assert bool(course["lanes"]) == (swimmer_max > 600) and course["regimens"]
    assert any(r["regimen"] == "doxorubicin + cisplatin" for r in course["regimens"])
    if every:
        assert out["c"]["competing"] and out["c"]["centre_effects"]
        assert out["c"]["rmst"] and any("imputation" in w for w in out["c"]["warnings"])
    assert out["ds"] == out["c"]
    for f in sorted((tmp_path / "out-c" / "csv").iterdir()):
        assert (tmp_path / "out-ds" / "csv" / f.name).read_bytes() == f.read_bytes(), f.name


def test_a_folder_needs_a_part_at_a_time(tmp_path):
    """``--engine memory`` never reads a dataset folder whole: a usage error (exit 2)."""
    from sarcohort.cli import app

    runner = CliRunner()
    _synthetic(tmp_path, runner, app)
    r = runner.invoke(app, ["analyze", str(tmp_path / "ds.toml"), "--out",
                            str(tmp_path / "o"), "--engine", "memory"])
    assert r.exit_code == 2 and "dataset folder" in r.stderr, r.output


def test_shared_texts_keep_every_value():
    """Equal texts become one object; missing values stay the objects they were; a column
    holding other objects (1, 1.0 and True compare equal) is left as it is."""
    from sarcohort.cohort._parts import shared_objects

    nan = float("nan")
    texts = np.array(["yes", "no", None, "y" + "es", nan], dtype=object)
    got = shared_objects(texts, seen := {})
    assert got.tolist()[:2] == ["yes", "no"] and got[0] is got[3] and got[2] is None
    assert got[4] is nan
    again = shared_objects(np.array(["n" + "o"], dtype=object), seen)
    assert again[0] is got[1]
    mixed = np.array([1, 1.0, True, "1"], dtype=object)
    assert [type(v) for v in shared_objects(mixed, {})] == [int, float, bool, str]


#: Run in a new process: its workers are forked before numba's OpenMP threads start (they
#: would check the parts in this process instead: see ``sarcohort._forked._openmp_started``).
FORKED = """
import pickle, sys
from pathlib import Path
from sarcohort import _forked
from sarcohort.cohort._build import build_cohort
from sarcohort.cohort._parts import cohort_in_parts
from sarcohort.data.validation import _partitioned
from sarcohort.protocol import parse_cohort

base = Path(sys.argv[1])
config = parse_cohort({
    "data": {"patients": "c/patients.parquet", "treatments": "c/treatments.parquet",
             "on_unlinked_treatments": "ignore"},
    "inclusion": {"age_min": 18}, "derived": {"many": "n_metastases > 2"}})
real, calls = _partitioned.run_forked, []

def spy(tasks, workers, **kw):
    calls.append((len(tasks), workers, not _forked._openmp_started()))
    return real(tasks, workers, **kw)

_partitioned.run_forked = spy
parts, _ = cohort_in_parts(config, base, keep={"pseudo_id", "os_days", "os_event", "sex",
                                               "many", "age_at_metastasis"},
                           today="2024-01-01", parts=4, workers=2)
whole = build_cohort(config, base, today="2024-01-01")
(base / "out.pickle").write_bytes(pickle.dumps((calls, whole, parts)))
"""


def test_parts_built_in_forked_workers_give_the_same_cohort(tmp_path):
    """Four parts built by two forked workers (each part's cohort pickled back): the cohort
    of the whole tables."""
    import pickle
    import subprocess
    import sys

    from sarcohort.cli import app

    _synthetic(tmp_path, CliRunner(), app)
    run = subprocess.run([sys.executable, "-c", FORKED, str(tmp_path)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    calls, whole, parts = pickle.loads((tmp_path / "out.pickle").read_bytes())
    assert calls == [(4, 2, True)]  # forked
    keep = list(parts.patients.columns)
    assert len(keep) == 6 and len(whole.excluded) > 5
    pd.testing.assert_frame_equal(parts.patients, whole.patients[keep])
    pd.testing.assert_frame_equal(parts.excluded.reset_index(drop=True),
                                  whole.excluded.reset_index(drop=True))
    assert parts.flow.to_dict() == whole.flow.to_dict()
    assert parts.report.problems == whole.report.problems


#: ``sarcohort analyze`` in a new process (its part workers forked before any OpenMP thread),
#: with parts of 150 patients checked by two workers: each worker counts only its own parts'
#: patients when it decides on the swimmer lanes.
FORKED_ANALYZE = """
import sys
from sarcohort import _forked
from sarcohort.data.validation import _partitioned
_partitioned.PART_PATIENTS = 150
_forked.usable_cores = lambda: 2
from sarcohort.cli import app
app(sys.argv[1:])
"""


@pytest.mark.parametrize("swimmer_max", [400, 5000])
def test_analyze_with_parts_in_forked_workers_writes_the_memory_report(tmp_path, swimmer_max):
    """The report of parts built by forked workers is the memory path's, swimmer lanes
    included: with lanes for at most 400 patients, parts of 150 have lanes one by one
    (a worker counts 150, 300) although the cohort (about 600) has none; with 5000, every
    patient's lane is kept."""
    import os
    import subprocess
    import sys

    from sarcohort.cli import app

    runner = CliRunner()
    _synthetic(tmp_path, runner, app, swimmer_max)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    out = {}
    for folder, engine in (("c", "memory"), ("ds", "auto")):
        run = subprocess.run([sys.executable, "-c", FORKED_ANALYZE, "analyze",
                              str(tmp_path / f"{folder}.toml"), "--out",
                              str(tmp_path / f"out-{folder}"), "--engine", engine],
                             capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 1, run.stderr  # the messy data have errors
        res = json.loads((tmp_path / f"out-{folder}" / "results.json").read_text())
        manifest = res["meta"]["manifest"]
        manifest.pop("sources")
        manifest["protocol"] = {}
        res["meta"].pop("protocol_hash")
        manifest["config"].pop("data")
        out[folder] = res
    assert bool(out["c"]["treatments"]["lanes"]) == (swimmer_max > 600)
    assert out["ds"] == out["c"]
    for f in sorted((tmp_path / "out-c" / "csv").iterdir()):
        assert (tmp_path / "out-ds" / "csv" / f.name).read_bytes() == f.read_bytes(), f.name
