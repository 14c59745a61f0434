"""Sweeps: run an experiment's tasks on local processes or a Dask cluster into a run store.

The driver alone writes the store; workers run
:func:`~simulation.research.tasks.run_task_safely` (a plain function of a task, through
:func:`~simulation.research.executors.execute`) and return the timeseries or the error
text, so a failing run is recorded and the sweep goes on. Finished runs are skipped when a
sweep is started again (resume), so a sweep killed at any point loses only the runs that
were in flight. Seeds come from the experiment (see :mod:`simulation.research.experiment`), so the
results are identical run by run whatever the executor or the number of workers.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.research.executors import execute, with_model
from simulation.research.experiment import Experiment
from simulation.research.provenance import (
    git_commit,
    graphs_used,
    package_versions,
    provenance,
    write_json,
)
from simulation.research.store import STORE_FILE, RunStore
from simulation.research.tasks import Task, run_task_safely


@dataclass
class SweepResult:
    """What a sweep did: runs in all, skipped (done before), done, failed, interrupted, time."""

    total: int
    skipped: int
    done: int
    failed: int
    interrupted: bool
    seconds: float
    store: Path


def run_sweep(exp: Experiment, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              model_class: type | None = None) -> SweepResult:
    """Run every task of ``exp`` not yet finished in ``out/runs.sqlite``.

    ``scheduler``: None = local worker processes; ``"local"`` = a dask ``LocalCluster``
    started here; ``"tcp://host:port"`` = an existing dask.distributed scheduler.
    ``model_class``: build this class instead of the default model in every run (a subclass
    of ``WordOfMouthModel``, also one defined in a notebook; see
    :func:`~simulation.research.executors.execute`); its name is written to ``sweep.json``.
    The store does not know the class: resume a sweep with the class that started it.
    A KeyboardInterrupt (Ctrl-C, or SIGTERM, which the command line raises as one) ends
    the runs in flight and returns with ``interrupted = True``; every run recorded before
    it stays in the store.
    """
    from tqdm import tqdm  # noqa: PLC0415 - keeps `import` of this module light

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
    run = with_model(run_task_safely, model_class)  # a bad model_class fails here, before anything is written
    out = Path(out)
    tasks = exp.tasks()
    store = RunStore.create(out / STORE_FILE, exp.definition())
    versions, commit = package_versions(), git_commit()
    try:
        done_before = store.done_ids()  # reads the store: a damaged one fails here, before any write
    except BaseException:
        store.close()
        raise
    # Not strict: a graph that cannot be built fails its runs, which the store records.
    graphs = graphs_used(tasks, strict=False, say=lambda note: print(note, file=sys.stderr))
    model = {} if model_class is None else {"model_class": f"{model_class.__module__}.{model_class.__qualname__}"}
    write_json(out / "sweep.json", {"experiment": exp.definition(), "file": str(exp.path),
                                    "tasks": len(tasks), "graphs": graphs, **model, **provenance()})
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
        if todo:
            with contextlib.closing(execute(todo, run, workers=workers, scheduler=scheduler)) as done:
                for i, result in done:
                    record(todo[i], result)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        store.close()
    return SweepResult(len(tasks), len(tasks) - len(todo), counts["done"], counts["failed"],
                       interrupted, time.perf_counter() - start, out / STORE_FILE)
