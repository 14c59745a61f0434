"""A real dask cluster of separate processes, the way a cluster runs (issue 14, target 4).

* ``dask scheduler`` + 2 ``dask worker`` started as subprocesses on 127.0.0.1 (a free port;
  :func:`simulation.research.executors.dask_processes`), ``run.py sweep ... --scheduler
  tcp://127.0.0.1:P`` through the real command line: the store equals a local sweep's run
  by run (rows, seeds, every metric), and every process of the cluster is gone afterwards,
  also when the test fails (the context manager ends them in ``finally``);
* those processes run with ``QUIET_DASK`` (rarer ticks, system monitor, no profiler);
* a worker that runs other code than the driver (a changed ``simulation`` source, another
  package version) is refused with a one-line error, before any run and inside a batch;
* a scheduler address nobody answers at: one line, exit 2, no traceback;
* batches: one run until run times are known, then about ``BATCH_SECONDS`` of work, a
  fair share of what is left at the end; every index comes back once.

Marked ``slow`` (CI runs it): ~20-30 s on 2 cores, most of it the processes' start.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simulation.errors import WomsimError
from simulation.research import executors
from simulation.research.executors import DaskCluster, batch_size, dask_processes, fingerprint, run_batch
from simulation.research.store import load
from simulation.research.tasks import Task, run_seed, run_task

from conftest import DATA, REPO, describe, run_cli

pytest.importorskip("distributed")

CLUSTER = DATA / "sweep_cluster.toml"


def _env() -> dict[str, str]:
    """The workers import this checkout (as a real cluster's workers import an installed womsim)."""
    here = [str(REPO / "tests" / "research"), str(REPO / "tests")]  # this file (its functions are sent) and conftest
    path = os.pathsep.join(filter(None, [str(REPO), *here, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _worker_config() -> dict:
    import dask

    return {key: dask.config.get(key) for key in executors.QUIET_DASK}


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}") and "zombie" not in _state(pid)]


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((line for line in fh if line.startswith("State:")), "").lower()
    except OSError:
        return "zombie"  # gone


@pytest.mark.slow
def test_sweep_on_separate_dask_processes_equals_a_local_sweep(tmp_path):
    local = tmp_path / "local"
    result = run_cli("sweep", CLUSTER, "--out", local, "--workers", "1", "--no-progress")
    assert result.returncode == 0, describe(result)
    started = []
    with dask_processes(2, env=_env()) as address:
        from distributed import Client

        with Client(address) as client:  # the cluster's processes: scheduler side and worker pids
            started = [*client.run(os.getpid).values(), client.run_on_scheduler(os.getpid)]
        assert len(started) == 3
        result = run_cli("sweep", CLUSTER, "--out", tmp_path / "cluster", "--scheduler", address, "--no-progress")
        assert result.returncode == 0, describe(result)
    a, b = load(local), load(tmp_path / "cluster")
    assert len(a["finals"]) == len(b["finals"]) == 12
    from test_sweep import assert_same_results

    assert_same_results(a, b)
    assert not _alive(started), "a process of the cluster outlived the test"


@pytest.mark.slow
def test_processes_end_when_the_body_fails():
    pids = []
    with pytest.raises(RuntimeError, match="on purpose"), dask_processes(1, env=_env()) as address:
        from distributed import Client

        with Client(address) as client:
            pids = [*client.run(os.getpid).values(), client.run_on_scheduler(os.getpid)]
            # the workers' background chores are made rarer (QUIET_DASK)
            assert list(client.run(_worker_config).values()) == [executors.QUIET_DASK]
        raise RuntimeError("on purpose")
    assert len(pids) == 2 and not _alive(pids)


@pytest.mark.slow
def test_a_worker_with_other_code_is_refused_in_one_line(monkeypatch):
    tasks = [Task({"n_consumers": 100, "steps": 2}, run_seed(1, r)) for r in range(3)]
    with dask_processes(1, env=_env()) as address:
        # The workers hash their sources; this driver pretends its own differ.
        monkeypatch.setattr(executors, "fingerprint", lambda: {**fingerprint(), "numpy": "0.0-other"})
        with pytest.raises(WomsimError) as err:
            list(DaskCluster(address).run(run_task, tasks))
    text = str(err.value)
    assert "\n" not in text and "numpy" in text and "0.0-other" in text and "same womsim" in text


def test_a_batch_on_a_worker_with_other_code_raises_before_any_run():
    other = {**fingerprint(), "simulation sources": "0123456789ab"}
    with pytest.raises(WomsimError, match="simulation sources"):
        run_batch(run_task, [Task({"n_consumers": 100, "steps": 2}, 1)], other)
    results, seconds = run_batch(run_task, [Task({"n_consumers": 100, "steps": 2}, 1)], fingerprint())
    assert len(results) == 1 and seconds > 0


def test_no_scheduler_at_the_address_is_one_line(tmp_path):
    from simulation.research.executors import _free_port

    address = f"tcp://127.0.0.1:{_free_port('127.0.0.1')}"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    result = subprocess.run([sys.executable, "run.py", "sweep", str(CLUSTER), "--out", str(tmp_path / "o"),
                             "--scheduler", address, "--no-progress"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and address in lines[0], describe(result)


@pytest.mark.parametrize(("per_run", "remaining", "slots", "expected"), [
    (None, 1000, 2, 1),     # run time unknown: one run per task
    (2.0, 1000, 2, 1),      # long runs: one each
    (0.05, 1000, 2, 10),    # ~BATCH_SECONDS of work
    (0.001, 100000, 4, executors.MAX_BATCH),
    (0.01, 12, 2, 3),       # the end: a fair share of what is left for each of the 2 x slots in flight
    (0.01, 1, 2, 1),
])
def test_batch_size(per_run, remaining, slots, expected):
    assert batch_size(per_run, remaining, slots) == expected
