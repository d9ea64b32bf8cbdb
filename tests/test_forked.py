"""Forked workers (sarcohort._forked): the results of independent tasks run in other
processes are those of running them here, in order; errors and warnings reach the caller
as raised; a Ctrl-C stops the workers."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import threading
import time
import warnings

import pytest

from sarcohort import _forked
from sarcohort._forked import can_fork, run_forked
from sarcohort.exceptions import (
    ConvergenceWarning,
    InputError,
    OutputError,
    ProtocolError,
    WorkerError,
)

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork (POSIX)")


@pytest.fixture(autouse=True)
def _no_openmp_guard(monkeypatch):
    # these tasks use no numba kernel: forked even when an earlier test started OpenMP here
    monkeypatch.setattr(_forked, "_openmp_started", lambda: False)


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def test_results_in_the_tasks_order_from_other_processes():
    data = list(range(40))  # seen by the workers through the fork, not pickled
    tasks = [lambda i=i: (time.sleep(0.05 * (i % 2)), _pid_and(data[i] * 2))[1] for i in range(6)]
    out = run_forked(tasks, workers=2)
    assert [v for _, v in out] == [0, 2, 4, 6, 8, 10]
    pids = {p for p, _ in out}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_one_worker_runs_here_in_order_and_calls_done():
    seen: list[int] = []
    forked: list[bool] = []
    out = run_forked([lambda: _pid_and(1), lambda: _pid_and(2)], workers=1,
                     forked=lambda: forked.append(True), done=seen.append)
    assert out == [(os.getpid(), 1), (os.getpid(), 2)]
    assert seen == [0, 1] and forked == []  # nothing forked: the tasks ran here


def test_forked_is_called_once_and_done_for_every_task():
    seen: list[int] = []
    forked: list[bool] = []
    run_forked([lambda: 1, lambda: 2, lambda: 3], workers=2, forked=lambda: forked.append(True),
               done=seen.append)
    assert forked == [True] and sorted(seen) == [0, 1, 2]


def test_what_a_task_changes_stays_in_its_worker():
    box = {"n": 0}

    def bump() -> int:
        box["n"] += 1
        return box["n"]

    assert run_forked([bump, bump], workers=2) in ([1, 1], [1, 2])  # a worker's own copy
    assert box["n"] == 0


def test_an_error_reaches_the_caller_whole():
    def bad() -> None:
        raise InputError("times must be finite", argument="time", value=float("inf"),
                         fix="check the dates")

    with pytest.raises(InputError) as info:
        run_forked([lambda: 1, bad], workers=2)
    err = info.value
    assert (err.argument, err.value, err.fix, err.reason) == (
        "time", float("inf"), "check the dates", "times must be finite")
    assert str(err) == "time: times must be finite (got inf); check the dates"
    assert not any(p.is_alive() for p in mp.active_children())


@pytest.mark.parametrize("cls", [InputError, ProtocolError, OutputError, WorkerError])
def test_errors_pickle_with_their_fields(cls):
    err = cls("bad key", argument="analysis.ties", value="breslow2", fix="use efron")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert (str(back), back.args, back.argument, back.value, back.fix, back.reason) == (
        str(err), err.args, "analysis.ties", "breslow2", "use efron", "bad key")


def test_warnings_of_the_workers_are_raised_here_in_task_order():
    def warn(text: str) -> int:
        warnings.warn(text, ConvergenceWarning, stacklevel=1)
        return 0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_forked([lambda: (time.sleep(0.2), warn("first"))[1], lambda: warn("second")], workers=2)
    assert [(str(w.message), w.category) for w in caught] == [
        ("first", ConvergenceWarning), ("second", ConvergenceWarning)]


def test_no_fork_within_a_worker():
    out = run_forked([lambda: run_forked([lambda: _pid_and(1), lambda: _pid_and(2)], workers=2),
                      lambda: None], workers=2)
    inner = out[0]
    assert len({p for p, _ in inner}) == 1  # the inner tasks ran in the worker itself


def test_running_openmp_threads_keep_the_tasks_here(monkeypatch):
    # GNU OpenMP aborts a forked child that uses its threads: the tasks run here instead
    monkeypatch.setattr(_forked, "_openmp_started", lambda: True)
    out = run_forked([lambda: _pid_and(1), lambda: _pid_and(2)], workers=2)
    assert {p for p, _ in out} == {os.getpid()}


def test_a_killed_worker_is_an_error_not_a_wait():
    # as the system's out-of-memory killer would: the caller gets an error naming the fix
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    t0 = time.perf_counter()
    with pytest.raises(WorkerError, match="--workers 1"):
        run_forked([lambda: time.sleep(30), killed], workers=2)
    assert time.perf_counter() - t0 < 10
    assert not any(p.is_alive() for p in mp.active_children())


def test_ctrl_c_stops_the_workers():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_forked([lambda: time.sleep(30), lambda: time.sleep(30)], workers=2)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 10  # stopped, not waited for
    assert not any(p.is_alive() for p in mp.active_children())


def test_no_semaphores_run_the_tasks_here(monkeypatch):
    # a sandbox without /dev/shm cannot make a process pool: the tasks run here, unchanged
    def no_pool(*_args):
        raise PermissionError(13, "Permission denied: /dev/shm")

    monkeypatch.setattr(_forked, "_started", no_pool)
    forked: list[bool] = []
    out = run_forked([lambda: _pid_and(1), lambda: _pid_and(2)], workers=2,
                     forked=lambda: forked.append(True))
    assert out == [(os.getpid(), 1), (os.getpid(), 2)] and forked == []
