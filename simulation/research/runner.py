"""Running simulations: one run from plain data, seeds, and many runs in parallel.

A worker needs nothing but a parameter dict and a seed (:func:`run_simulation`), so the
same function serves local processes now and dask workers later. Seeds come from numpy's
SeedSequence, so a run's seed depends only on (base seed, design point, replicate) and
results are identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.metrics import METRIC_NAMES


def run_seed(base_seed: int, replicate: int, point: int = 0) -> int:
    """Seed of one run, derived from the base seed with SeedSequence.

    The same (base_seed, point, replicate) always gives the same seed; different ones give
    statistically independent streams. All strategies of one replicate share the seed
    (point 0), which pairs them for common random numbers.

    Examples
    --------
    >>> run_seed(1, 0) == run_seed(1, 0), run_seed(1, 0) != run_seed(1, 1)
    (True, True)
    """
    ss = np.random.SeedSequence(entropy=int(base_seed), spawn_key=(int(point), int(replicate)))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class Task:
    """One run to do: parameters (plain dict), seed, and labels kept in the outputs."""

    params: Mapping[str, Any]
    seed: int
    labels: Mapping[str, Any] = field(default_factory=dict)
    run_id: str = ""
    point: int = 0

    @property
    def replicate(self) -> int:
        return int(self.labels.get("replicate", 0))

    def as_record(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "point": self.point, "replicate": self.replicate,
                "seed": self.seed, "labels": dict(self.labels), "params": dict(self.params)}


def create_model(params: Mapping[str, Any], rng, **kwargs):
    """The model for ``params``: the vectorised engine, or the per-agent reference when
    ``engine = "reference"``. Both take the same parameters and report the same metrics."""
    from simulation.core.params import Params

    p = params if isinstance(params, Params) else Params(**dict(params))
    if p.engine == "reference":
        from simulation.core.reference import ReferenceModel

        return ReferenceModel(p, rng=rng, **kwargs)
    from simulation.core.model import WordOfMouthModel

    return WordOfMouthModel(p, rng=rng, **kwargs)


def run_simulation(params: Mapping[str, Any], seed: int, labels: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run one simulation; return its tidy timeseries (one row per step, labels as columns).

    Examples
    --------
    >>> df = run_simulation({"n_consumers": 200, "steps": 5}, seed=3)
    >>> len(df), int(df["seed"].iloc[0])
    (6, 3)
    """
    model = create_model(params, rng=seed)
    model.run()
    df = model.timeseries()
    df.insert(0, "seed", seed)
    for i, (key, value) in enumerate((labels or {}).items()):
        df.insert(i, key, value)
    return df


def _run_task(task: Task) -> pd.DataFrame:
    return run_simulation(task.params, task.seed, task.labels)


def _pool_context():
    """forkserver where available: workers fork from a clean, single-threaded server that has
    imported the engine once (fast start, and no fork of a process whose BLAS or progress-bar
    threads are running); spawn elsewhere."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.core.model", "simulation.research.runner"])
        return ctx
    return mp.get_context("spawn")


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run_tasks(tasks: Sequence[Task], workers: int | None = None, progress: bool = True,
              desc: str = "runs") -> list[pd.DataFrame]:
    """Run tasks on local worker processes; results come back in task order.

    With ``workers=1`` everything runs in this process (no pickling; easiest to debug).
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked

    workers = default_workers() if workers is None else max(1, int(workers))
    bar = tqdm(total=len(tasks), desc=desc, unit="run", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    results: list[pd.DataFrame | None] = [None] * len(tasks)
    try:
        if workers == 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                results[i] = _run_task(task)
                bar.update()
        else:
            ctx = _pool_context()
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(_run_task, t): i for i, t in enumerate(tasks)}
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update()
    finally:
        bar.close()
    return results  # type: ignore[return-value]


def final_rows(timeseries: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """The last step of every run: one row per run with its final metric values."""
    keys = list(keys)
    last = timeseries.groupby(keys, sort=False)["step"].transform("max") == timeseries["step"]
    cols = keys + [c for c in timeseries.columns if c not in keys and c in ("step", *METRIC_NAMES)]
    return timeseries.loc[last, cols].reset_index(drop=True)
