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
    ``dask.distributed`` scheduler (``"tcp://host:port"``): tasks in batches of about
    :data:`BATCH_SECONDS` of work through a bounded window, the workers' code and package
    versions checked first (:func:`fingerprint`; one-line error).

Inside ``with reusing(workers, scheduler):`` every :func:`execute` with those arguments uses
one pool (or cluster connection) instead of starting its own (a calibration check's
targets, a fit's trials). :func:`dask_processes` starts a cluster of separate ``dask
scheduler`` / ``dask worker`` processes on this machine (the benchmark, the CI test).

:func:`run_tasks` builds on :func:`execute`: it returns the results in task order and
raises the first error of a run (the headline, facts and validation use it); the sweep
(:mod:`simulation.research.sweep`) records every result as it arrives instead.

A model of your own (``model_class=``, e.g. a subclass of
:class:`~simulation.core.model.WordOfMouthModel` that changes a behaviour) runs in the
workers too, also one defined in a Jupyter notebook or in the script run as ``__main__``:
pickle sends a class by its name, which a worker process cannot find in its own
``__main__`` (the notebook's cells are not there; Mesa's ``batch_run`` fails on exactly
that), so a task function that is not a plain module-level function travels by value
(:func:`portable`, with cloudpickle: the class's code goes along; importable classes and
functions still go by name). The seeds are in the tasks, so the numbers are the same as in
this process (README, Notebooks).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import multiprocessing as mp
import multiprocessing.connection
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from simulation.errors import WomsimError
from simulation.research.tasks import Task, run_task

TaskFunction = Callable[[Task], Any]  # sent by name if module-level, else by value (portable)


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


def with_model(fn: TaskFunction, model_class: type | None) -> TaskFunction:
    """``fn`` that builds ``model_class`` instead of the default model: ``fn(task,
    model_class=model_class)`` (the run functions of :mod:`simulation.research.tasks` take
    it); ``fn`` itself when ``model_class`` is None.

    Examples
    --------
    >>> from simulation.core.model import WordOfMouthModel
    >>> with_model(run_task, None) is run_task, with_model(run_task, WordOfMouthModel).keywords
    (True, {'model_class': <class 'simulation.core.model.WordOfMouthModel'>})
    >>> with_model(run_task, "WordOfMouthModel")
    Traceback (most recent call last):
    ...
    simulation.errors.WomsimError: model_class must be a class (a WordOfMouthModel subclass), not 'WordOfMouthModel'
    """
    if model_class is None:
        return fn
    if not isinstance(model_class, type):
        raise WomsimError(f"model_class must be a class (a WordOfMouthModel subclass), not {model_class!r}")
    return functools.partial(fn, model_class=model_class)


def _importable(obj: Any) -> bool:
    """Whether a worker finds ``obj`` by its name: a function or class at the top of a module
    other than ``__main__`` (not a lambda, a nested function, a partial, a notebook's class)."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<" in qualname:
        return False
    found = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found is obj


def portable(fn: TaskFunction) -> TaskFunction:
    """``fn`` ready to be sent to worker processes: a plain module-level function as it is
    (pickle sends its name), anything else (a partial with a ``model_class`` defined in a
    notebook, a lambda) wrapped to travel by value with cloudpickle.

    Examples
    --------
    >>> portable(run_task) is run_task, type(portable(lambda task: task)).__name__
    (True, 'ByValue')
    """
    return fn if _importable(fn) else ByValue(fn)


class ByValue:
    """A task function pickled by value (cloudpickle), so a worker needs no module to find it.

    cloudpickle still sends importable parts by name (``run_task``, ``WordOfMouthModel``) and
    the rest by value (a class defined in ``__main__`` with the globals its methods use). The
    bytes are made once per driver and turned back into the function once per worker process
    (:func:`_from_bytes` caches them), not once per task.
    """

    def __init__(self, fn: TaskFunction) -> None:
        self.fn = fn
        self._payload: bytes | None = None

    def __call__(self, task: Task) -> Any:
        return self.fn(task)

    def __reduce__(self):
        if self._payload is None:
            import cloudpickle  # noqa: PLC0415 - only when something must travel by value

            self._payload = cloudpickle.dumps(self.fn)
        return _from_bytes, (self._payload,)


@functools.lru_cache(maxsize=8)
def _from_bytes(payload: bytes) -> ByValue:
    import cloudpickle  # noqa: PLC0415 - only when something travels by value

    return ByValue(cloudpickle.loads(payload))


class InProcess:
    """One task after another, in this process."""

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


class _Reusable:
    """An executor whose workers can outlive one :meth:`run`: inside ``with executor:`` every
    ``run`` reuses the same pool or cluster connection (a calibration check's targets, a fit's
    trials: see :func:`reusing`); outside, each ``run`` starts and ends its own."""

    _open: Any = None
    _entered: bool = False

    def __enter__(self):
        self._entered = True
        return self

    def __exit__(self, *exc) -> None:
        self._entered = False
        opened, self._open = self._open, None
        if opened is not None:
            self._stop(opened, failed=exc[0] is not None)

    def run(self, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        if self._entered:
            if self._open is None:  # started by the first run inside `with` (or again after an error)
                self._open = self._start()
            yield from self._run(self._open, fn, tasks)
            return
        opened = self._start()
        try:
            yield from self._run(opened, fn, tasks)
        except BaseException:
            self._stop(opened, failed=True)
            raise
        self._stop(opened, failed=False)

    def _start(self) -> Any: ...

    def _stop(self, opened: Any, failed: bool) -> None: ...

    def _run(self, opened: Any, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]: ...


class LocalProcesses(_Reusable):
    """``workers`` local processes, at most ``4 * workers`` tasks submitted at a time.

    An error in a run (or Ctrl-C, or closing the iterator early) terminates the workers, also
    those of a pool kept open by ``with``: the next ``run`` starts a new pool.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_pool_context(),
                                   initializer=_die_with_the_driver)

    def _stop(self, pool: ProcessPoolExecutor, failed: bool) -> None:
        if not failed:
            pool.shutdown(wait=True)
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown clears it
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        # Let the pool's manager thread see its workers gone and close its wake-up pipe
        # now: otherwise, at interpreter exit, concurrent.futures' exit hook may write to
        # that pipe while the thread closes it (a race in CPython 3.12's ProcessPoolExecutor:
        # "OSError: Bad file descriptor" with a traceback after a Ctrl-C).
        # (5 s was too short once on CI's 2 loaded cores: the traceback came back after a SIGTERM.)
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=30)

    def _run(self, pool: ProcessPoolExecutor, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        fn = portable(fn)
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
            for fut in pending:
                fut.cancel()
            if pool is self._open:  # a kept pool: its workers may be busy; end it, the next run starts one
                self._open = None
                self._stop(pool, failed=True)
            raise


# What a dask worker does besides the runs, made rarer (measured, benchmarks/README.md: on a
# busy worker the event loop's 20 ms tick and 0.5 s system monitor took ~30 ms of CPU per
# 0.4 s run, the 10 ms statistical profiler ~4 ms; defaults 20 ms / 500 ms / on). Only the
# dashboard's live plots and profile page lose detail. Set for a LocalCluster here and for
# dask_processes(); README, Sweeps on a cluster, gives them for workers started by hand.
QUIET_DASK = {"distributed.admin.tick.interval": "1s", "distributed.admin.system-monitor.interval": "5s",
              "distributed.worker.profile.enabled": False}


def quiet_dask_environment() -> dict[str, str]:
    """:data:`QUIET_DASK` as the environment variables dask reads at start
    (``DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s``, ...)."""
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
            for key, value in QUIET_DASK.items()}


INSTALL_ADVICE = ("install the same womsim and package versions on every worker, or start the workers with "
                  "PYTHONPATH set to this checkout (README, Sweeps on a cluster)")
BATCH_SECONDS = 0.5  # work per dask task once run times are known: a scheduler round trip is ~1-5 ms
MAX_BATCH = 64


@functools.cache
def fingerprint() -> dict[str, str]:
    """What must be the same on the driver and every worker for identical results: the Python
    and package versions of :func:`~simulation.research.provenance.package_versions` and a
    hash of the ``simulation`` package's sources (two checkouts of one version differ)."""
    from simulation.research.provenance import package_versions  # noqa: PLC0415 - runs on workers, once

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return {**package_versions(), "simulation sources": digest.hexdigest()[:12]}


def _worker_fingerprint() -> dict[str, str]:
    return fingerprint()  # looked up on the worker, by name: the worker's own code answers


def fingerprint_difference(mine: Mapping[str, str], theirs: Mapping[str, str]) -> str | None:
    """The first difference between two fingerprints, as text; None if they agree."""
    for key in dict.fromkeys([*mine, *theirs]):
        if mine.get(key) != theirs.get(key):
            return f"{key} {theirs.get(key, 'missing')} (this process: {mine.get(key, 'missing')})"
    return None


def run_batch(fn: TaskFunction, tasks: Sequence[Task], expected: Mapping[str, str]) -> tuple[list[Any], float]:
    """On a dask worker: ``fn`` on each task, after checking that the worker runs the same code
    and packages as the driver (``expected``); returns the results and the seconds they took."""
    diff = fingerprint_difference(expected, fingerprint())
    if diff is not None:
        raise WomsimError(f"a dask worker runs {diff}: {INSTALL_ADVICE}")
    start = time.perf_counter()
    return [fn(task) for task in tasks], time.perf_counter() - start


def batch_size(per_run: float | None, remaining: int, slots: int) -> int:
    """Runs in the next dask task: one until a run time is known, then about
    :data:`BATCH_SECONDS` of work, never more than a fair share of what is left (so the
    last tasks end together) nor :data:`MAX_BATCH`.

    Examples
    --------
    >>> batch_size(None, 200, 2), batch_size(0.01, 200, 2), batch_size(0.01, 12, 2), batch_size(2.0, 200, 2)
    (1, 50, 3, 1)
    """
    if per_run is None:
        return 1
    wanted = max(1, int(BATCH_SECONDS / max(per_run, 1e-6)))
    return max(1, min(wanted, MAX_BATCH, remaining // (2 * max(1, slots))))


class DaskCluster(_Reusable):
    """A dask ``LocalCluster`` of ``workers`` processes, or the scheduler at ``tcp://...``.

    Tasks go out in batches (:func:`batch_size`) through a window of two batches per worker
    thread, so a 100,000-run sweep holds few futures and Ctrl-C has little to cancel; nothing
    is scattered (a task is a parameter dict and a seed). Before the first batch every worker
    connected is asked for its :func:`fingerprint` (womsim's code, Python and package
    versions); a worker that differs, or cannot import ``simulation``, stops the sweep with a
    one-line error, and each batch checks again on whichever worker runs it (late joiners).
    """

    def __init__(self, scheduler: str, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers

    def _start(self):
        try:
            from distributed import Client, LocalCluster  # noqa: PLC0415 - optional library
        except ImportError:
            raise WomsimError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
        if self.scheduler == "local":
            import dask  # noqa: PLC0415 - optional library

            # The engine is imported when each worker starts (preload), not inside the first runs;
            # the nannies hand this configuration to their workers.
            with dask.config.set(QUIET_DASK):
                cluster = LocalCluster(n_workers=self.workers or default_workers(), threads_per_worker=1,
                                       processes=True, dashboard_address=None, preload=["simulation.research.tasks"])
            try:
                return Client(cluster), cluster
            except BaseException:
                cluster.close()  # a cluster whose client failed would outlive the command
                raise
        try:
            client = Client(self.scheduler)  # waits distributed.comm.timeouts.connect (30 s)
        except OSError as exc:
            raise WomsimError(f"--scheduler {self.scheduler}: no dask scheduler answers there ({exc})") from None
        try:
            self._check_workers(client)
        except BaseException:
            client.close()
            raise
        return client, None

    def _check_workers(self, client) -> None:
        try:
            found = client.run(_worker_fingerprint)
        except Exception as exc:  # noqa: BLE001 - dask re-raises a worker's failure to unpickle as plain Exception
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise WomsimError(f"the dask workers at {self.scheduler} cannot load this womsim ({reason}): "
                              f"{INSTALL_ADVICE}") from None
        mine = fingerprint()
        for worker, theirs in sorted(found.items()):
            diff = fingerprint_difference(mine, theirs)
            if diff is not None:
                raise WomsimError(f"dask worker {worker} runs {diff}: {INSTALL_ADVICE}")

    def _stop(self, opened, failed: bool) -> None:
        client, cluster = opened
        client.close()
        if cluster is not None:
            cluster.close()

    def _run(self, opened, fn: TaskFunction, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed  # noqa: PLC0415 - optional library

        client, _ = opened
        fn = portable(fn)
        expected = fingerprint()
        slots = max(1, sum(client.nthreads().values()) or self.workers or 1)
        tag = uuid.uuid4().hex[:8]
        pending: dict[str, tuple[Any, list[int]]] = {}  # key -> (future, task indices); a result
        position, seconds, runs = 0, 0.0, 0             # is released as soon as it is read

        def submit_next():
            nonlocal position
            if position >= len(tasks):
                return None
            size = batch_size(seconds / runs if runs else None, len(tasks) - position, slots)
            indices = list(range(position, min(position + size, len(tasks))))
            position = indices[-1] + 1
            fut = client.submit(run_batch, fn, [tasks[i] for i in indices], expected,
                                key=f"womsim-{tag}-{indices[0]}", pure=False)
            pending[fut.key] = (fut, indices)
            return fut

        done = as_completed([f for f in (submit_next() for _ in range(2 * slots)) if f is not None])
        try:
            for fut in done:
                results, took = fut.result()
                seconds, runs = seconds + took, runs + len(results)
                following = submit_next()
                if following is not None:
                    done.add(following)
                _, indices = pending.pop(fut.key)
                del fut
                yield from zip(indices, results)
        except BaseException:  # Ctrl-C, a run's error, or the caller closing the iterator
            client.cancel([f for f, _ in pending.values()])
            raise


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dask_processes(n_workers: int = 2, *, host: str = "127.0.0.1", env: Mapping[str, str] | None = None,
                   timeout: float = 120.0, quiet: bool = True) -> Iterator[str]:
    """A dask cluster of separate processes on this machine, the way a real cluster runs:
    ``dask scheduler --host HOST --port P`` and ``n_workers`` x ``dask worker tcp://HOST:P
    --nthreads 1 --nworkers 1 --preload simulation.research.tasks``, each in its own process group.

    Yields the scheduler's address once every worker has joined; on leaving (an error or
    Ctrl-C included) every process is ended (SIGTERM, then SIGKILL of its process group).
    ``env`` is the processes' environment (default this one's: set ``PYTHONPATH`` for a
    checkout that is not installed), with :func:`quiet_dask_environment` over it unless
    ``quiet`` is False (dask's defaults, for a comparison). Used by the benchmark and the CI
    test of a real cluster.
    """
    from distributed import Client  # noqa: PLC0415 - optional library

    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        raise WomsimError("the `dask` command is not installed: pip install 'dask[distributed]'")
    address = f"tcp://{host}:{_free_port(host)}"
    port = address.rsplit(":", 1)[1]
    # A process group of its own each (ended as a group; a terminal's Ctrl-C reaches the
    # caller, which ends them), but this session: Linux's autogroup scheduler shares the CPU
    # between sessions, so processes in new sessions would get more CPU than the caller's
    # local pool on a loaded machine and bias a comparison.
    env = {**(os.environ if env is None else env), **(quiet_dask_environment() if quiet else {})}
    flags = {"env": env, "stdin": subprocess.DEVNULL,
             "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "process_group": 0}
    procs = []
    try:
        procs.append(subprocess.Popen([dask, "scheduler", "--host", host, "--port", port, "--no-dashboard"], **flags))
        for _ in range(n_workers):
            procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--preload", "simulation.research.tasks"], **flags))
        with Client(address, timeout=timeout) as client:
            client.wait_for_workers(n_workers, timeout=timeout)
        yield address
    finally:
        for proc in reversed(procs):  # workers first: they leave the scheduler cleanly
            proc.terminate()
        for proc in reversed(procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # what is left of its group (a worker under its nanny)
            proc.wait()


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
            scheduler: str | None = None, model_class: type | None = None) -> Iterator[tuple[int, Any]]:
    """Run ``fn`` on every task; yield ``(index into tasks, fn(task))`` as runs finish.

    ``workers``: None = every core, 1 = in this process. ``scheduler``: None = this machine;
    ``"local"`` = a dask ``LocalCluster``; ``"tcp://host:port"`` = an existing dask
    scheduler. ``fn``: best a module-level function (workers import it by name); anything
    else travels by value (:func:`portable`). ``model_class``: build this class instead of
    the default model (``fn`` must take ``model_class=``, as :func:`run_task` does), also a
    class defined in a notebook. Use the iterator in a ``with contextlib.closing(...)``
    block (or to the end), so that leaving early also ends the runs in flight.

    Examples
    --------
    >>> from simulation.research.tasks import run_seed, run_simulation
    >>> tasks = [Task({"n_consumers": 100, "steps": 2}, run_seed(0, r)) for r in range(2)]
    >>> [(i, len(df)) for i, df in execute(tasks, run_task, workers=1)]
    [(0, 3), (1, 3)]
    """
    fn = with_model(fn, model_class)
    executor = executor_for(workers, scheduler, len(tasks))
    kept = _kept.get(_key(workers, scheduler))
    if kept is not None and not isinstance(executor, InProcess):
        executor = kept
    return executor.run(fn, tasks)


_kept: dict[tuple[int | None, str | None], Executor] = {}


def _key(workers: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """Which kept executor serves (workers, scheduler): an existing scheduler's workers are its own."""
    if scheduler and scheduler != "local":
        return None, scheduler
    return (default_workers() if workers is None else max(1, int(workers))), scheduler or None


@contextlib.contextmanager
def reusing(workers: int | None = None, scheduler: str | None = None) -> Iterator[None]:
    """Inside this block every :func:`execute` (and :func:`run_tasks`) with these ``workers``
    and ``scheduler`` uses ONE pool of worker processes, dask cluster or connection, started
    by the first of them and ended when the block ends, instead of one each: a calibration
    check measures a dozen targets, a fit runs a check per trial. Nested blocks with the same
    arguments share the outer one's. Results are the same (seeds travel in the tasks).
    """
    key = _key(workers, scheduler)
    executor = executor_for(workers, scheduler)
    if key in _kept or not isinstance(executor, _Reusable):
        yield
        return
    with executor:
        _kept[key] = executor
        try:
            yield
        finally:
            del _kept[key]


def run_tasks(tasks: Sequence[Task], workers: int | None = None, progress: bool = True,
              desc: str = "runs", *, fn: TaskFunction = run_task,
              scheduler: str | None = None, model_class: type | None = None) -> list[pd.DataFrame]:
    """Run tasks (labels as columns); results come back in task order.

    The first run that raises stops everything and its error propagates. With
    ``workers=1`` everything runs in this process (no pickling; easiest to debug).
    ``fn`` (default :func:`~simulation.research.tasks.run_task`, the time series) may reduce
    a run to what the caller keeps; ``scheduler`` and ``model_class`` as for :func:`execute`
    (a subclass of ``WordOfMouthModel`` defined in a notebook works with any ``workers``).

    Examples
    --------
    >>> from simulation.core.model import WordOfMouthModel
    >>> from simulation.research.tasks import run_seed
    >>> class Quiet(WordOfMouthModel):  # a model of your own; here it changes nothing
    ...     pass
    >>> tasks = [Task({"n_consumers": 100, "steps": 2}, run_seed(0, r), {"replicate": r}) for r in range(2)]
    >>> frames = run_tasks(tasks, workers=1, progress=False, model_class=Quiet)
    >>> [len(df) for df in frames]
    [3, 3]
    """
    from tqdm import tqdm  # noqa: PLC0415 - keeps `import` of this module light

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked

    bar = tqdm(total=len(tasks), desc=desc, unit="run", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    results: list[pd.DataFrame | None] = [None] * len(tasks)
    try:
        with contextlib.closing(execute(tasks, fn, workers=workers, scheduler=scheduler,
                                        model_class=model_class)) as done:
            for i, frame in done:
                results[i] = frame
                bar.update()
    finally:
        bar.close()
    return results  # type: ignore[return-value]
