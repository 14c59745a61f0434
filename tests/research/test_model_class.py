"""``model_class=``: a model class of one's own through womsim's parallel API (issue 15, item 7).

A class that a worker cannot import (defined in ``__main__`` as in a notebook, or inside a
function) is sent by value; the numbers are the serial ones whatever the executor. The notebook
itself is executed by tests/docs/test_notebooks.py; these tests need no kernel.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from simulation.core.model import WordOfMouthModel
from simulation.errors import WomsimError
from simulation.research.executors import ByValue, portable, run_tasks, with_model
from simulation.research.experiment import load_experiment
from simulation.research.store import load
from simulation.research.sweep import run_sweep
from simulation.research.tasks import Task, run_seed, run_task

from conftest import DATA

TINY = DATA / "sweep_tiny.toml"


def notebook_class():
    """A subclass that changes a behaviour, looking like one defined in a notebook's ``__main__``."""
    share = 0.25  # captured by the method: goes with the class

    class Amnesia(WordOfMouthModel):
        def step(self):
            super().step()
            self.state.aware[self.rng.random(self.n_consumers) < share, 0] = False

    Amnesia.__module__, Amnesia.__qualname__ = "__main__", "Amnesia"
    return Amnesia


def tasks(n=4):
    return [Task({"n_consumers": 120, "steps": 5, "strategy": s, "scenario": "established"}, run_seed(5, r),
                 {"strategy": s, "replicate": r}) for s in ("broadcast", "dialogue") for r in range(n // 2)]


def test_a_class_of_main_is_sent_by_value_and_plain_functions_by_name():
    cls = notebook_class()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(cls)  # what a plain pool would do: __main__.Amnesia is not there to find
    fn = portable(with_model(run_task, cls))
    assert isinstance(fn, ByValue)
    back = pickle.loads(pickle.dumps(fn))  # what a worker gets
    task = tasks()[0]
    pd.testing.assert_frame_equal(back(task), run_task(task, model_class=cls))
    assert portable(run_task) is run_task
    assert isinstance(portable(with_model(run_task, WordOfMouthModel)), ByValue)  # a partial goes by value


@pytest.mark.parametrize("workers", [1, 2])
def test_model_class_runs_with_the_same_numbers_whatever_the_workers(workers):
    cls = notebook_class()
    got = run_tasks(tasks(), workers=workers, progress=False, model_class=cls)
    serial = [run_task(t, model_class=cls) for t in tasks()]
    plain = run_tasks(tasks(), workers=1, progress=False)
    for a, b, c in zip(got, serial, plain):
        pd.testing.assert_frame_equal(a, b)
        assert not np.array_equal(a["awareness"], c["awareness"])  # the subclass really ran


def test_the_default_class_is_the_default_model():
    a = run_tasks(tasks(2), workers=2, progress=False, model_class=WordOfMouthModel)
    b = run_tasks(tasks(2), workers=1, progress=False)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)


def test_sweep_with_model_class_names_it_and_matches_serial(tmp_path):
    cls = notebook_class()
    exp = load_experiment(TINY, steps=4, replicates=1)
    two = run_sweep(exp, tmp_path / "two", workers=2, progress=False, model_class=cls)
    one = run_sweep(exp, tmp_path / "one", workers=1, progress=False, model_class=cls)
    assert two.failed == one.failed == 0 and two.done == one.done == len(exp.tasks())
    keys = ["run_id", "step"]
    a, b = (load(tmp_path / d)["timeseries"].sort_values(keys).reset_index(drop=True) for d in ("two", "one"))
    pd.testing.assert_frame_equal(a, b)
    assert json.loads((tmp_path / "two" / "sweep.json").read_text())["model_class"] == "__main__.Amnesia"


@pytest.mark.slow
def test_model_class_on_a_dask_local_cluster():
    cls = notebook_class()
    got = run_tasks(tasks(), workers=2, progress=False, scheduler="local", model_class=cls)
    for a, t in zip(got, tasks()):
        pd.testing.assert_frame_equal(a, run_task(t, model_class=cls))


def test_a_model_class_that_is_not_a_class_is_one_error_line(tmp_path):
    with pytest.raises(WomsimError, match=r"^model_class must be a class \(a WordOfMouthModel subclass\), not 'x'$"):
        run_tasks(tasks(2), workers=1, progress=False, model_class="x")
    with pytest.raises(WomsimError, match=r"^model_class must be a class"):
        instance = WordOfMouthModel(n_consumers=10)  # an instance, not its class
        run_sweep(load_experiment(TINY), tmp_path, workers=1, progress=False, model_class=instance)
    assert not any(tmp_path.iterdir())  # nothing written
