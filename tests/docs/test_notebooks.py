"""Notebooks: the tutorial executes, committed notebooks carry no outputs, and womsim's parallel
API runs a model class defined in a notebook (issue 15, items 6 and 7).

Notebooks run in a fresh Jupyter kernel (nbclient + ipykernel) of this interpreter: jupyter_client
starts the ``python3`` kernel with ``sys.executable``, and ``PYTHONPATH`` points the kernel at
this checkout. Each runs in its own folder (the tutorial in ``docs/``, so its relative links
hold) and fails on the first cell that raises, with that cell's traceback.

Mesa's ``batch_run`` (README, Notebooks): with womsim's importable model on 2 processes it gives
the serial rows; the reason a notebook's class cannot go through it with ``number_processes`` > 1
(a spawned worker cannot find a class of ``__main__``) is checked directly, without waiting for
the hang it causes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from conftest import DATA, REPO, TIMEOUT

TUTORIAL = REPO / "docs" / "tutorial.ipynb"
STRIP = REPO / "docs" / "strip_notebook.py"
NOTEBOOKS = [TUTORIAL, *sorted((DATA / "notebooks").glob("*.ipynb"))]
CELL_TIMEOUT = 300  # seconds per cell: generous for CI's 2 shared cores (the tutorial takes ~10 s in all)


def execute(path, monkeypatch) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed top to bottom in a fresh kernel, run in its folder."""
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    # As in Jupyter: the kernel picks its inline backend (womsim must not force Agg on it).
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # A first cell of our own, removed again: the kernel is this interpreter, in the notebook's folder.
    nb.cells.insert(0, nbformat.v4.new_code_cell("import os, sys; print(sys.executable); print(os.getcwd())"))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError (with the cell and its traceback) on any error
    executable, cwd = text_of(nb.cells.pop(0).outputs).splitlines()
    assert (os.path.realpath(executable), os.path.realpath(cwd)) == (os.path.realpath(sys.executable),
                                                                      os.path.realpath(path.parent))
    return nb


def outputs(nb: nbformat.NotebookNode, marker: str) -> list:
    """The outputs of the one code cell whose source contains ``marker``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {marker!r}"
    return cells[0].outputs


def text_of(cell_outputs: list) -> str:
    return "".join(o.get("text", "") for o in cell_outputs if o.output_type == "stream")


@pytest.mark.slow
def test_tutorial_executes_and_strips_back_to_the_committed_file(monkeypatch, tmp_path):
    nb = execute(TUTORIAL, monkeypatch)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert "2 workers == 1 worker: yes" in text_of(outputs(nb, "model_class=Amnesia"))
    assert any("image/png" in o.get("data", {}) for o in outputs(nb, "draw_timeseries(left"))  # the figure shows
    dashboard = outputs(nb, "SolaraViz(viz_model")
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in dashboard)
    # The documented way to strip gives back exactly the committed file.
    executed = tmp_path / "tutorial.ipynb"
    nbformat.write(nb, executed)
    subprocess.run([sys.executable, str(STRIP), str(executed)], check=True, capture_output=True, timeout=TIMEOUT)
    assert executed.read_text(encoding="utf-8") == TUTORIAL.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_subclass_defined_in_a_notebook_runs_on_two_workers_with_the_serial_numbers(monkeypatch):
    # The notebook's own asserts: run_tasks and run_sweep with model_class=<its class> on 2 worker
    # processes equal 1 worker (3 replicates x 2 strategies; a sweep of 4 runs), the runs happened
    # in other processes, and the subclass's behaviour changed every run.
    nb = execute(DATA / "notebooks" / "parallel_subclass.ipynb", monkeypatch)
    assert "run_tasks: 2 workers == 1 worker" in text_of(outputs(nb, "run_tasks(tasks, workers=2"))
    assert "run_sweep: 2 workers == 1 worker, 24 rows" in text_of(outputs(nb, "run_sweep(exp"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or counts: python docs/strip_notebook.py {path}"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, nb.metadata


def test_strip_script_clears_outputs_counts_and_run_metadata(tmp_path):
    nb = nbformat.read(TUTORIAL, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    cell.execution_count = 3
    cell.metadata = {"execution": {"iopub.status.busy": "2026-01-01"}, "tags": ["keep"]}
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.1"}
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(nb, dirty)
    result = subprocess.run([sys.executable, str(STRIP), str(dirty)], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0 and "stripped" in result.stdout, result
    clean = nbformat.read(dirty, as_version=4)
    first = next(c for c in clean.cells if c.cell_type == "code")
    assert (first.outputs, first.execution_count, dict(first.metadata)) == ([], None, {"tags": ["keep"]})
    assert clean.metadata["language_info"] == {"name": "python"}
    again = subprocess.run([sys.executable, str(STRIP), str(dirty)], capture_output=True, text=True, timeout=TIMEOUT)
    assert again.returncode == 0 and again.stdout == ""  # already clean: not rewritten


def _script(tmp_path, body: str):
    """Run ``body`` as a script in a fresh interpreter (batch_run sets the global start method)."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=TIMEOUT,
                          cwd=tmp_path, env=env)


@pytest.mark.slow
def test_mesa_batch_run_on_two_processes_gives_the_serial_rows(tmp_path):
    result = _script(tmp_path, """
        import mesa, pandas as pd
        from simulation.core.model import WordOfMouthModel
        if __name__ == "__main__":
            kw = dict(parameters={"n_consumers": 150, "strategy": ["broadcast", "dialogue"]}, rng=[1, 2],
                      max_steps=4, data_collection_period=1, display_progress=False)
            two = pd.DataFrame(mesa.batch_run(WordOfMouthModel, number_processes=2, **kw))
            one = pd.DataFrame(mesa.batch_run(WordOfMouthModel, number_processes=1, **kw))
            order = ["RunId", "Step"]
            pd.testing.assert_frame_equal(two.sort_values(order).reset_index(drop=True),
                                          one.sort_values(order).reset_index(drop=True))
            two.to_csv("rows.csv", index=False)
    """)
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "rows.csv")
    # 2 strategies x 2 seeds, weeks 0..4 each; the seed is batch_run's `rng`, the weeks its max_steps
    assert len(rows) == 20 and set(rows["strategy"]) == {"broadcast", "dialogue"} and set(rows["rng"]) == {1, 2}
    assert rows["Step"].max() == 4
    # the same rows as womsim's own run of that model and seed
    from simulation.core.model import WordOfMouthModel
    model = WordOfMouthModel({"n_consumers": 150, "strategy": "dialogue"}, rng=2)
    model.run(4)
    mine = rows[(rows["strategy"] == "dialogue") & (rows["rng"] == 2)].sort_values("Step")
    assert mine["awareness"].tolist() == model.timeseries()["awareness"].tolist()


def test_a_spawned_worker_cannot_find_a_class_of_main(tmp_path):
    # Why batch_run(number_processes > 1) fails for a notebook's class: it forces "spawn" and sends
    # the class by name; a spawned worker has no such class in its __main__ (a kernel's or a
    # script's without a main file). The pool then replaces the dead worker forever (the hang).
    result = _script(tmp_path, """
        import multiprocessing as mp, pickle
        from simulation.core.model import WordOfMouthModel
        class Mine(WordOfMouthModel):
            pass
        if __name__ == "__main__":
            import __main__
            del __main__.__file__  # as in a Jupyter kernel: spawn cannot re-run the main module
            with mp.get_context("spawn").Pool(1) as pool:
                try:
                    pool.apply(pickle.loads, (pickle.dumps(Mine),))
                except AttributeError as exc:
                    print("worker:", exc)
    """)
    assert result.returncode == 0, result.stderr
    assert "worker: Can't get attribute 'Mine' on <module '__main__'" in result.stdout
