"""Forked worker processes: how the analysis and the report use several cores.

A pool's workers are forked (:func:`fork_executor`): they start with the parent's memory (a
cohort included, shared copy-on-write), so only a task's index and its result are pickled.
They ignore Ctrl-C, which is the parent's to handle (it stops them); a worker killed before
its answer is an error, not a wait. :func:`run_forked` runs independent tasks on such a pool
and returns their results in the tasks' order, the same as running them one after the other.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sarcohort.exceptions import WorkerError

_TASKS: Sequence[Callable[[], Any]] = ()  # what run_forked's workers run, inherited by the fork
_IN_WORKER = False  # a worker of a pool runs its tasks one by one (a worker has no children)


def can_fork() -> bool:
    """Whether this process can fork workers (POSIX; not from within a worker)."""
    import multiprocessing as mp

    return not _IN_WORKER and "fork" in mp.get_all_start_methods()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def memory_available() -> int | None:
    """Bytes of memory the system can still give (Linux's ``MemAvailable``), or None where
    it does not say."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_resident() -> int | None:
    """Bytes of memory this process holds (its resident set, Linux), or None where the
    system does not say."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def workers_for(memory_each: int | None) -> int:
    """Workers to fork: one per usable core, and at most one per ``memory_each`` bytes of
    memory still available (no such limit where the system or the caller does not say)."""
    n = usable_cores()
    available = memory_available()
    if memory_each and available is not None:
        n = min(n, available // memory_each)
    return max(1, n)


#: How often a worker looks whether its parent is still there (seconds).
PARENT_CHECK_SECONDS = 0.5


def _quiet_worker(initializer: Callable[[], None] | None) -> None:
    """Worker initialiser: Ctrl-C is the parent's to handle (it stops the workers), so a
    worker neither dies with a traceback of its own nor leaves half-written output; and a
    worker whose parent is gone (killed: SIGKILL, the system's out-of-memory killer) ends
    within :data:`PARENT_CHECK_SECONDS`, not idle or computing for nobody for ever."""
    import signal
    import threading

    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="sarcohort-parent-watch", daemon=True).start()
    if initializer is not None:
        initializer()


def _noop() -> None:
    return None


def fork_executor(workers: int, initializer: Callable[[], None] | None = None) -> Any:
    """A process pool of ``workers`` workers forked now, that never see Ctrl-C: they are
    forked with SIGINT ignored (and ignore it after their ``initializer`` too), so a Ctrl-C
    is the parent's alone (:func:`stop` ends them). A worker killed before its answer makes
    the pool's futures raise ``BrokenProcessPool`` (never a wait for ever); a pool left
    unused is shut down at interpreter exit.

    Raises ``OSError`` where no process pool can be made (no semaphores: a sandbox without
    ``/dev/shm``).
    """
    import multiprocessing as mp
    import signal
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"),
                               initializer=_quiet_worker, initargs=(initializer,))
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to set
        previous = None
    try:
        pool.submit(_noop)  # a fork pool forks all its workers at its first task
    except BaseException:
        stop(pool)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return pool


def stop(pool: Any) -> None:
    """End ``pool``'s workers now (a process pool would wait for their tasks: they are
    terminated as ``Process.terminate`` does) and forget its pending tasks."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _openmp_started() -> bool:
    """Whether numba's OpenMP threads run in this process: GNU OpenMP aborts a forked child
    that uses them (numba's own thread pool, ``workqueue``, does not)."""
    numba = sys.modules.get("numba")
    if numba is None:
        return False
    try:
        return numba.threading_layer() == "omp"
    except ValueError:  # not started yet: each child starts its own
        return False


def _run_task(i: int) -> tuple[Any, list[tuple[str, type[Warning]]]]:
    """Task ``i`` of :data:`_TASKS`, and the warnings it raised (for the parent to raise)."""
    with warnings.catch_warnings(record=True) as caught:
        value = _TASKS[i]()
    return value, [(str(w.message), w.category) for w in caught]


def run_forked(tasks: Sequence[Callable[[], Any]], workers: int, *,
               forked: Callable[[], None] | None = None,
               done: Callable[[int], None] | None = None) -> list[Any]:
    """Run independent ``tasks`` on ``workers`` forked workers; their results in order.

    Each task is called with no argument in a worker forked now, so it sees this process's
    memory as it is (a closure over a cohort is not pickled); its result and the exception
    it raises are pickled back. Its warnings are raised here, in the tasks' order, once all
    are done. With fewer than 2 workers or tasks, or where forking is not possible or safe
    (no ``fork`` or no semaphores, within a worker, numba's OpenMP threads already running),
    the tasks run here one after the other. A worker killed before its answer (e.g. by the
    system when memory runs out) is a :class:`~sarcohort.exceptions.WorkerError`.

    Parameters
    ----------
    tasks
        Functions of no argument; what one changes in memory is not seen by the others
        (nor here) when they run in workers.
    workers
        The most processes that run tasks at once.
    forked
        Called here once the workers are forked (not when the tasks run here): e.g. to free
        what only the tasks needed.
    done
        Called here with a task's index when it is done (in the order they finish).

    Examples
    --------
    >>> run_forked([lambda: 1, lambda: 2, lambda: 3], workers=2)
    [1, 2, 3]
    """
    global _TASKS
    pool = None
    if min(workers, len(tasks)) >= 2 and can_fork() and not _openmp_started():
        _TASKS = tasks
        try:
            pool, futures = _started(min(workers, len(tasks)), len(tasks))
        except (OSError, ImportError):  # no semaphores (a sandbox without /dev/shm): here
            _TASKS = ()
    if pool is None:
        out = []
        for i, task in enumerate(tasks):
            out.append(task())
            if done is not None:
                done(i)
        return out
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    results: list[Any] = [None] * len(tasks)
    try:
        if forked is not None:
            forked()
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if done is not None:
                done(i)
    except BrokenProcessPool:
        stop(pool)
        raise WorkerError("a worker process ended before its answer (killed, e.g. by the "
                          "system when memory ran out)", argument="workers", value=workers,
                          fix="free memory and run again; `sarcohort analyze --workers 1` "
                          "runs its analyses in one process") from None
    except BaseException:  # the task's error, Ctrl-C: the other workers stop now
        stop(pool)
        raise
    finally:
        _TASKS = ()
    pool.shutdown(wait=True)
    for _, caught in results:
        for message, category in caught:
            warnings.warn(message, category, stacklevel=2)
    return [value for value, _ in results]


def _started(workers: int, n: int) -> tuple[Any, dict[Any, int]]:
    """A pool of ``workers`` forked workers running the ``n`` tasks of :data:`_TASKS`, and
    their futures."""
    pool = fork_executor(workers)
    try:
        return pool, {pool.submit(_run_task, i): i for i in range(n)}
    except BaseException:
        stop(pool)
        raise
