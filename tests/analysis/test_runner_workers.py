"""The analyses run at once in forked workers give the results of running them one after
the other (the oracle: the same runner with one worker, itself tested against R and by
hand), every number and warning in the same order."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tomllib
from importlib import resources

import pytest

from sarcohort import _forked
from sarcohort.analysis import _runner
from sarcohort.analysis._runner import PARALLEL_PATIENTS, analysis_workers
from sarcohort.exceptions import InputError

pytestmark = pytest.mark.skipif(not _forked.can_fork(), reason="needs fork (POSIX)")


def _protocol() -> dict:
    text = resources.files("sarcohort").joinpath("examples/reference-study/study.toml").read_text()
    return tomllib.loads(text)


def _univariable_selection(doc: dict) -> dict:
    # the time-dependent models then wait for the univariable ones: one task per endpoint
    doc["analysis"]["multivariable"]["selection"] = "univariable"
    doc["analysis"]["multivariable"]["p_threshold"] = 0.5
    doc["analysis"]["validation"] = {"bootstrap": 5, "seed": 11}
    return doc


#: Run in a new process, so that the workers are forked before numba's OpenMP threads start
#: (they would run the tasks in this process instead: see ``_forked._openmp_started``).
SCRIPT = """
import json, pickle, sys
from pathlib import Path
from sarcohort import _forked
from sarcohort.analysis import _runner
from sarcohort.cohort import cohort_from_frames
from sarcohort.study import Study
from sarcohort.synth import generate

out = sys.argv[1]
doc = pickle.loads(Path(out, "doc.pickle").read_bytes())
s = generate(n=400, seed=5)
real, calls = _runner.run_forked, []

def spy(todo, workers, **kw):
    calls.append([len(todo), workers, not _forked._openmp_started()])
    return real(todo, workers, **kw)

_runner.run_forked = spy
for workers in (2, 1):  # forked first: no OpenMP thread runs yet
    study = Study.from_dict(doc, "study.toml")
    cohort = cohort_from_frames(s.patients, s.treatments, config=study.cohort_config,
                                today="2024-01-01")
    res = study.analyze(cohort, workers=workers, release_treatments=True)
    res.to_json(f"{out}/{workers}.json")
    assert len(res.robustness) == 2
print(json.dumps(calls))
"""


@pytest.mark.parametrize(("variant", "tasks"), [
    (lambda doc: doc, 1 + 2 + 2 + 1),  # course, 2 endpoints, their exposures apart, Table 1
    (_univariable_selection, 1 + 2 + 1),
])
def test_two_workers_give_the_results_of_one(tmp_path, variant, tasks):
    (tmp_path / "doc.pickle").write_bytes(pickle.dumps(variant(_protocol())))  # dates: not JSON
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    calls = json.loads(run.stdout.strip().splitlines()[-1])
    assert calls[0] == [tasks, 2, True]  # forked
    assert (tmp_path / "2.json").read_text() == (tmp_path / "1.json").read_text()


def test_workers_by_default():
    assert analysis_workers(PARALLEL_PATIENTS - 1) == 1
    assert analysis_workers(10**6, engine=object()) == 1  # a SQL engine's connection: not forked
    assert analysis_workers(10, workers=3) == 3
    with pytest.raises(InputError, match="only for a cohort analysed in memory"):
        analysis_workers(10**6, engine=object(), workers=2)


def test_workers_as_the_memory_allows(monkeypatch):
    monkeypatch.setattr(_forked, "usable_cores", lambda: 4)
    monkeypatch.setattr(_runner, "memory_resident", lambda: 1_000)
    monkeypatch.setattr(_forked, "memory_available", lambda: 2_500)
    assert analysis_workers(10**6) == 2
    monkeypatch.setattr(_forked, "memory_available", lambda: 900)
    assert analysis_workers(10**6) == 1
    monkeypatch.setattr(_forked, "memory_available", lambda: None)  # the system does not say
    assert analysis_workers(10**6) == 4
