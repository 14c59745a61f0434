"""Where runs are executed: this process, local worker processes, or a Dask cluster.

One interface, :func:`execute`: it calls a plain function of one task (from
:mod:`simulation.research.tasks`) on every task and yields ``(index, result)`` pairs as
the runs finish, whichever executor does the work. Seeds travel inside the tasks, so
the results are the same whatever the executor and the number of workers; only their
order of completion differs.

Executors (chosen by :func:`executor_for`):

:class:`InProcess`
    Runs one task after another here (``workers = 1``): no pickling, easiest to debug.
:class:`LocalProcesses`
    A pool of worker processes started by forkserver, fed through a bounded window of
    submitted tasks, so memory stays flat for 100,000-run sweeps and Ctrl-C has little to
    cancel. On any exception (Ctrl-C included) the workers are terminated; if the driver
    itself dies (SIGKILL, a crash), the workers and the forkserver end with it
    (:func:`_die_with_the_driver`).
:class:`DaskCluster`
    A dask ``LocalCluster`` started here (``scheduler = "local"``) or an existing
    ``dask.distributed`` scheduler (``"tcp://host:port"``).

:func:`run_tasks` builds on :func:`execute`: it returns the results in task order and
raises the first error of a run (the headline, facts and validation use it); the sweep
(:mod:`simulation.research.sweep`) records every result as it arrives instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

import pandas as pd

from simulation.errors import WomsimError
from simulation.research.tasks import Task, run_task

TaskFunction = Callable[[Task], Any]  # a module-level function: workers import it by name


class Executor(Protocol):
    """Runs ``fn`` on every task; yields ``(index into tasks, result)`` as runs finish.

    An exception raised by ``fn`` (or Ctrl-C) leaves the iterator and ends the runs still
    in flight; closing the iterator early does the same.
    """

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]: ...


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _pool_context():
    """forkserver where available: workers fork from a clean, single-threaded server that has
    imported the engine once (fast start, and no fork of a process whose BLAS or progress-bar
    threads are running); spawn elsewhere."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.core.model", "simulation.research.tasks"])
        return ctx
    return mp.get_context("spawn")


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_the_driver() -> None:
    """Worker initializer: this worker ends when the driver process ends, however it ends.

    Without it a driver killed by SIGKILL (or SIGTERM before it handles signals) leaves its
    workers waiting for tasks forever, and with them the forkserver: a worker holds the
    write end of the queue it reads (so it never sees end-of-file), and the forkserver
    only exits when every holder of its "alive" pipe, the workers included, is gone.

    Two independent ways out (measured: either one alone ends everything within a second
    of a ``kill -9`` of the driver; without both, the processes were still there 40 s on):

    * Linux, a chain the kernel runs: the inherited write end of the forkserver's alive
      pipe is closed here (workers start no processes), so the forkserver sees
      end-of-file and exits as soon as the driver is gone; ``prctl(PR_SET_PDEATHSIG,
      SIGKILL)`` then has the kernel kill this worker when its parent (the forkserver;
      the driver under spawn) exits, even in the middle of a long C call.
    * Everywhere: a daemon thread waits on the parent-process sentinel multiprocessing
      gives every child (a pipe the driver holds open; a process handle on Windows) and
      ends the worker when it closes, i.e. when the driver exits.
    """
    forkserver = sys.modules.get("multiprocessing.forkserver")
    alive_fd = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_alive_fd", None)
    if alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(alive_fd)
        forkserver._forkserver._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    parent = mp.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_when_closed, args=(parent.sentinel,), name="womsim-driver-watch",
                         daemon=True).start()


def _exit_when_closed(sentinel) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)  # the driver is gone: nobody will read this worker's result


class InProcess:
    """One task after another, in this process."""

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


class LocalProcesses:
    """``workers`` local processes, at most ``4 * workers`` tasks submitted at a time."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_pool_context(),
                                   initializer=_die_with_the_driver)
        window = 4 * self.workers
        pending: dict[Future, int] = {}
        queue = iter(enumerate(tasks))

        def submit_next() -> None:
            item = next(queue, None)
            if item is not None:
                pending[pool.submit(fn, item[1])] = item[0]

        try:
            for _ in range(window):
                submit_next()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    index = pending.pop(fut)
                    submit_next()
                    yield index, fut.result()
        except BaseException:  # Ctrl-C, a run's error, or the caller closing the iterator
            procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown clears it
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            # Let the pool's manager thread see its workers gone and close its wake-up pipe
            # now: otherwise, at interpreter exit, concurrent.futures' exit hook may write to
            # that pipe while the thread closes it (a race in CPython 3.12's ProcessPoolExecutor:
            # "OSError: Bad file descriptor" with a traceback after a Ctrl-C).
            manager = getattr(pool, "_executor_manager_thread", None)
            if manager is not None:
                manager.join(timeout=5)
            raise
        pool.shutdown(wait=True)


class DaskCluster:
    """A dask ``LocalCluster`` of ``workers`` processes, or the scheduler at ``tcp://...``."""

    def __init__(self, scheduler: str, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        try:
            from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415 - optional library
        except ImportError:
            raise WomsimError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
        cluster = None
        if self.scheduler == "local":
            cluster = LocalCluster(n_workers=self.workers or default_workers(), threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(self.scheduler, timeout=30)
        futures = []
        try:
            futures = client.map(fn, list(tasks), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                yield index[fut.key], fut.result()
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def executor_for(workers: int | None = None, scheduler: str | None = None, n_tasks: int | None = None) -> Executor:
    """The executor for ``workers`` (None = every core) and ``scheduler`` (None = local).

    A single task, or ``workers = 1``, runs in this process (unless a scheduler is given).
    """
    if scheduler:
        return DaskCluster(scheduler, workers)
    workers = default_workers() if workers is None else max(1, int(workers))
    if workers == 1 or (n_tasks is not None and n_tasks <= 1):
        return InProcess()
    return LocalProcesses(workers)


def execute(tasks: Sequence[Task], fn: TaskFunction, *, workers: int | None = None,
            scheduler: str | None = None) -> Iterator[tuple[int, Any]]:
    """Run ``fn`` on every task; yield ``(index into tasks, fn(task))`` as runs finish.

    ``workers``: None = every core, 1 = in this process. ``scheduler``: None = this machine;
    ``"local"`` = a dask ``LocalCluster``; ``"tcp://host:port"`` = an existing dask
    scheduler. ``fn`` must be a module-level function (workers import it by name).
    Use the iterator in a ``with contextlib.closing(...)`` block (or to the end), so
    that leaving early also ends the runs in flight.

    Examples
    --------
    >>> from simulation.research.tasks import run_seed, run_simulation
    >>> tasks = [Task({"n_consumers": 100, "steps": 2}, run_seed(0, r)) for r in range(2)]
    >>> [(i, len(df)) for i, df in execute(tasks, run_task, workers=1)]
    [(0, 3), (1, 3)]
    """
    return executor_for(workers, scheduler, len(tasks)).run(fn, tasks)


def run_tasks(tasks: Sequence[Task], workers: int | None = None, progress: bool = True,
              desc: str = "runs", *, fn: TaskFunction = run_task,
              scheduler: str | None = None) -> list[pd.DataFrame]:
    """Run tasks (labels as columns); results come back in task order.

    The first run that raises stops everything and its error propagates. With
    ``workers=1`` everything runs in this process (no pickling; easiest to debug).
    ``fn`` (default :func:`~simulation.research.tasks.run_task`, the time series) may reduce
    a run to what the caller keeps; ``scheduler`` as for :func:`execute`.
    """
    from tqdm import tqdm  # noqa: PLC0415 - keeps `import` of this module light

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked

    bar = tqdm(total=len(tasks), desc=desc, unit="run", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    results: list[pd.DataFrame | None] = [None] * len(tasks)
    try:
        with contextlib.closing(execute(tasks, fn, workers=workers, scheduler=scheduler)) as done:
            for i, frame in done:
                results[i] = frame
                bar.update()
    finally:
        bar.close()
    return results  # type: ignore[return-value]
