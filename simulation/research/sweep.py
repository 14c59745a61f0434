"""Sweeps: run an experiment's tasks on local processes or a Dask cluster into a run store.

The driver alone writes the store; workers run :func:`run_task_safely` (a plain function
of a task) and return the timeseries or the error text. Finished runs are skipped when a
sweep is started again (resume), so a sweep killed at any point loses only the runs that
were in flight. Seeds come from the experiment (see :mod:`simulation.research.experiment`), so the
results are identical run by run whatever the executor or the number of workers.
"""

from __future__ import annotations

import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.research.experiment import Experiment
from simulation.research.provenance import git_commit, package_versions, provenance, write_json
from simulation.research.runner import Task, _pool_context, default_workers, run_simulation
from simulation.research.store import STORE_FILE, RunStore


def run_task_safely(task: Task) -> dict[str, Any]:
    """Run one task; never raises (a failure is returned with its traceback text)."""
    started = time.time()
    try:
        ts = run_simulation(task.params, task.seed)
        return {"ok": True, "timeseries": ts, "started": started, "finished": time.time()}
    except Exception as exc:  # noqa: BLE001 - any model error marks the run failed
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        tb = traceback.format_exc(limit=-3)
        return {"ok": False, "error": f"{text}\n{tb}", "started": started, "finished": time.time()}


@dataclass
class SweepResult:
    total: int
    skipped: int
    done: int
    failed: int
    interrupted: bool
    seconds: float
    store: Path


def run_sweep(exp: Experiment, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True) -> SweepResult:
    """Run every task of ``exp`` not yet finished in ``out/runs.sqlite``.

    ``scheduler``: None = local worker processes; ``"local"`` = a dask ``LocalCluster``
    started here; ``"tcp://host:port"`` = an existing dask.distributed scheduler.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    out = Path(out)
    tasks = exp.tasks()
    store = RunStore.create(out / STORE_FILE, exp.definition())
    versions, commit = package_versions(), git_commit()
    try:
        done_before = store.done_ids()  # reads the store: a damaged one fails here, before any write
    except BaseException:
        store.close()
        raise
    write_json(out / "sweep.json", {"experiment": exp.definition(), "file": str(exp.path),
                                    "tasks": len(tasks), **provenance()})
    todo = [t for t in tasks if t.run_id not in done_before]
    counts = {"done": 0, "failed": 0}
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=exp.name, unit="run",
               disable=not progress, file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               mininterval=0.5 if sys.stderr.isatty() else 5.0)

    def record(task: Task, result: dict[str, Any]) -> None:
        if result["ok"]:
            store.record_done(task.as_record(), result["timeseries"], started=result["started"],
                              finished=result["finished"], versions=versions, git_commit=commit)
            counts["done"] += 1
        else:
            store.record_failed(task.as_record(), result["error"], started=result["started"],
                                finished=result["finished"], versions=versions, git_commit=commit)
            counts["failed"] += 1
            bar.write(f"run {task.run_id} failed: {result['error'].splitlines()[0]}", file=sys.stderr)
        bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.update()

    start = time.perf_counter()
    interrupted = False
    try:
        if not todo:
            pass
        elif scheduler:
            _run_dask(todo, scheduler, workers, record)
        else:
            _run_local(todo, workers, record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        store.close()
    return SweepResult(len(tasks), len(tasks) - len(todo), counts["done"], counts["failed"],
                       interrupted, time.perf_counter() - start, out / STORE_FILE)


def _run_local(todo: list[Task], workers: int | None, record) -> None:
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1:
        for task in todo:
            record(task, run_task_safely(task))
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
    # Keep a bounded window of submitted tasks: memory stays flat for 100,000-run sweeps
    # and Ctrl-C has little to cancel.
    window = 4 * workers
    pending: dict = {}
    queue = iter(todo)
    try:
        for task in queue:
            pending[pool.submit(run_task_safely, task)] = task
            if len(pending) >= window:
                break
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                record(pending.pop(fut), fut.result())
                nxt = next(queue, None)
                if nxt is not None:
                    pending[pool.submit(run_task_safely, nxt)] = nxt
    except BaseException:
        procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown clears it
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        raise
    pool.shutdown(wait=True)


def _run_dask(todo: list[Task], scheduler: str, workers: int | None, record) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        from simulation.errors import WomsimError

        raise WomsimError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout=30)
    try:
        futures = client.map(run_task_safely, todo, pure=False)
        by_key = {f.key: t for f, t in zip(futures, todo)}
        for fut in as_completed(futures):
            record(by_key[fut.key], fut.result())
    except BaseException:
        client.cancel(futures) if "futures" in locals() else None
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
