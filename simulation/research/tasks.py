"""Tasks and seeds: the plain functions a worker needs to do one run.

A worker needs nothing but a parameter dict and a seed (:func:`run_simulation`), so the
same functions serve this process, local worker processes and dask workers alike (see
:mod:`simulation.research.executors`). Seeds come from numpy's SeedSequence, so a run's
seed depends only on (base seed, design point, replicate) and results are identical
whatever the executor or the number of workers (docs/ODD.md, 5.4 Seeds).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.metrics import METRIC_NAMES
from simulation.core.params import Params
from simulation.research.provenance import describe_run_graph


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


def create_model(params: Mapping[str, Any], rng, *, model_class: type | None = None, **kwargs):
    """The model for ``params``: the vectorised engine, or the per-agent reference when
    ``engine = "reference"``. Both take the same parameters and report the same metrics.

    ``model_class`` (e.g. a subclass of :class:`~simulation.core.model.WordOfMouthModel`
    that changes a behaviour) is built instead, whatever ``engine`` says, as
    ``model_class(Params, rng=rng, **kwargs)``; it needs ``run()`` and ``timeseries()`` too.
    """
    p = params if isinstance(params, Params) else Params(**dict(params))
    if model_class is not None:
        return model_class(p, rng=rng, **kwargs)
    if p.engine == "reference":
        from simulation.core.reference import ReferenceModel  # noqa: PLC0415 - loads mesa only when a model is made

        return ReferenceModel(p, rng=rng, **kwargs)
    from simulation.core.model import WordOfMouthModel  # noqa: PLC0415 - loads mesa only when a model is made

    return WordOfMouthModel(p, rng=rng, **kwargs)


def run_simulation(params: Mapping[str, Any], seed: int, labels: Mapping[str, Any] | None = None, *,
                   model_class: type | None = None) -> pd.DataFrame:
    """Run one simulation; return its tidy timeseries (one row per step, labels as columns).

    ``model_class``: the class to build instead of the default model (:func:`create_model`).

    Examples
    --------
    >>> df = run_simulation({"n_consumers": 200, "steps": 5}, seed=3)
    >>> len(df), int(df["seed"].iloc[0])
    (6, 3)
    """
    return _simulate(params, seed, labels, model_class)[1]


def _simulate(params: Mapping[str, Any], seed: int, labels: Mapping[str, Any] | None, model_class: type | None = None):
    model = create_model(params, rng=seed, model_class=model_class)
    model.run()
    df = model.timeseries()
    df.insert(0, "seed", seed)
    for i, (key, value) in enumerate((labels or {}).items()):
        df.insert(i, key, value)
    return model, df


def run_task(task: Task, *, model_class: type | None = None) -> pd.DataFrame:
    """Run one task (its labels become columns); raises what the model raises."""
    return run_simulation(task.params, task.seed, task.labels, model_class=model_class)


def run_task_described(task: Task, *, model_class: type | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`run_task` and the measured description of the run's own graph
    (:func:`~simulation.research.provenance.describe_run_graph`), for ``simulate``'s run.json."""
    model, df = _simulate(task.params, task.seed, task.labels, model_class)
    return df, describe_run_graph(model)


def run_task_safely(task: Task, *, model_class: type | None = None) -> dict[str, Any]:
    """Run one task without labels, for the run store; never raises.

    Returns ``{"ok": True, "timeseries": ...}`` or ``{"ok": False, "error": ...}`` (the
    error line and the last frames of its traceback), with wall-clock ``started`` and
    ``finished`` times either way.
    """
    started = time.time()
    try:
        # (run_simulation looked up by name at call time: a test replaces it to make a run fail)
        ts = run_simulation(task.params, task.seed, **({} if model_class is None else {"model_class": model_class}))
        return {"ok": True, "timeseries": ts, "started": started, "finished": time.time()}
    except Exception as exc:  # noqa: BLE001 - any model error marks the run failed
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        tb = traceback.format_exc(limit=-3)
        return {"ok": False, "error": f"{text}\n{tb}", "started": started, "finished": time.time()}


def final_rows(timeseries: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """The last step of every run: one row per run with its final metric values."""
    keys = list(keys)
    last = timeseries.groupby(keys, sort=False)["step"].transform("max") == timeseries["step"]
    cols = keys + [c for c in timeseries.columns if c not in keys and c in ("step", *METRIC_NAMES)]
    return timeseries.loc[last, cols].reset_index(drop=True)
