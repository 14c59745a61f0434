"""Tests of simulation.research.executors: one interface, the same results everywhere.

* every executor (this process, local worker processes) gives the same result per task,
  whatever the number of workers, and :func:`run_tasks` returns them in task order;
* a run that raises: :func:`run_tasks` raises its error, on any executor;
* leaving the iterator early ends the worker processes (nothing is left running);
* a driver killed with SIGKILL while its workers are busy takes them and the forkserver
  with it: within 10 s nothing of its session is left (Linux, real processes);
* inside ``reusing(...)`` every ``execute`` uses the same worker processes (a calibration
  check's targets, a fit's trials), the pool ends with the block, and a run's error inside
  the block replaces the pool without leaving the block's reuse.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from simulation.errors import ParameterError
from simulation.research.executors import InProcess, LocalProcesses, execute, executor_for, reusing, run_tasks
from simulation.research.tasks import Task, run_seed, run_task

from conftest import REPO, needs_proc, session_processes, wait_until_session_ends

SMALL = {"n_consumers": 120, "steps": 4}


def _tasks(n: int = 5) -> list[Task]:
    return [Task({**SMALL, "strategy": s}, run_seed(11, r), {"strategy": s, "replicate": r})
            for r in range(n // 2 + 1) for s in ("broadcast", "dialogue")][:n]


def test_executor_for_picks_by_workers_and_task_count():
    assert isinstance(executor_for(1, None, 10), InProcess)
    assert isinstance(executor_for(4, None, 1), InProcess)
    assert isinstance(executor_for(4, None, 10), LocalProcesses)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_same_results_in_task_order_whatever_the_workers(workers):
    tasks = _tasks()
    expected = [run_task(t) for t in tasks]
    got = run_tasks(tasks, workers=workers, progress=False)
    assert len(got) == len(tasks)
    for frame, want, task in zip(got, expected, tasks):
        assert frame["strategy"].iloc[0] == task.labels["strategy"]
        pd.testing.assert_frame_equal(frame, want)


def test_execute_yields_every_index_once():
    tasks = _tasks()
    with contextlib.closing(execute(tasks, run_task, workers=2)) as done:
        indices = sorted(i for i, _ in done)
    assert indices == list(range(len(tasks)))


@pytest.mark.parametrize("workers", [1, 2])
def test_run_tasks_raises_the_error_of_a_run(workers):
    tasks = [*_tasks(3), Task({**SMALL, "budget": -1.0}, 1)]
    with pytest.raises(ParameterError, match="budget"):
        run_tasks(tasks, workers=workers, progress=False)


def worker_pid(task: Task) -> int:
    """The worker process that ran ``task`` (module level: workers import it by name), after
    a short nap so that every worker of the pool gets tasks."""
    time.sleep(0.2)
    return os.getpid()


def _pids(workers: int = 2) -> set[int]:
    return {pid for _, pid in execute(_tasks(6), worker_pid, workers=workers)}


def test_reusing_keeps_one_pool_for_every_execute_in_the_block():
    assert _pids().isdisjoint(_pids())  # outside the block: a pool per call
    with reusing(2):
        first = _pids()
        # The same pool's workers again (a subset: on a loaded machine one worker may take all
        # six tasks); a new pool would be new processes.
        assert _pids() <= first and os.getpid() not in first
        with reusing(2):  # nested: the outer block's pool
            assert _pids() <= first
        with pytest.raises(ParameterError, match="budget"):
            run_tasks([*_tasks(3), Task({**SMALL, "budget": -1.0}, 1)], workers=2, progress=False)
        again = _pids()
        assert again.isdisjoint(first) and _pids() <= again  # a new pool, kept again
    assert _pids().isdisjoint(again)
    for pid in first | again:  # the block's pools are gone when it ends
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()


def test_closing_early_terminates_the_workers():
    tasks = _tasks(6)
    runs = LocalProcesses(2).run(run_task, tasks)
    next(runs)
    workers = multiprocessing.active_children()
    assert workers
    runs.close()
    for proc in workers:
        proc.join(timeout=10)
    assert not [p for p in workers if p.is_alive()]


# A driver whose two workers each sleep for a minute; it says "busy" once they run.
BUSY_DRIVER = """
import multiprocessing, sys, threading, time
from simulation.research.executors import LocalProcesses

def say_when_busy():
    while len(multiprocessing.active_children()) < 2:
        time.sleep(0.05)
    print("busy", flush=True)

threading.Thread(target=say_when_busy, daemon=True).start()
next(LocalProcesses(2).run(time.sleep, [60.0] * 4))
"""


@needs_proc
def test_workers_and_forkserver_end_when_the_driver_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", BUSY_DRIVER], cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout.readline().strip() == "busy"
        running = session_processes(proc.pid)
        assert sum("forkserver" in p for p in running) >= 3, running  # the server and 2 workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        survivors = wait_until_session_ends(proc, timeout=10)
        proc.stdout.close()
    assert survivors == [], f"still running 10 s after kill -9 of the driver: {survivors}"
