"""The headline comparison: six strategies at equal budget, paired on the same seeds.

``python run.py`` runs ``experiments/headline.toml``: :func:`run_headline` writes the data
files of ``results/headline/`` (``timeseries.csv``, ``summary.csv``, ``run.json``), then
the command line builds the report beside them (``report.md``, ``report.html`` and the
figures, :mod:`simulation.outputs.report`).

The table it returns is rendered by :func:`simulation.outputs.tables.format_confidence`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from simulation.research.executors import run_tasks
from simulation.research.experiment import Experiment, load_experiment
from simulation.research.provenance import REPO_ROOT, display_path, graphs_used
from simulation.research.runfiles import write_run_outputs
from simulation.research.summaries import confidence_table, incremental_roi
from simulation.research.tasks import final_rows

HEADLINE_FILE = REPO_ROOT / "experiments" / "headline.toml"
TABLE_METRICS = ("loyalty", "loyal_share", "nps", "awareness", "customers", "incremental_roi")


def run_headline(out: Path, experiment: Experiment | None = None, workers: int | None = None,
                 progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the comparison, write its data files into ``out/``, return (timeseries, summary, table).

    The report is not built here (research does not draw): the caller runs
    ``simulation.outputs.report.build_report(out, figure_dir=".")`` next.
    """
    exp = experiment or load_experiment(HEADLINE_FILE)
    start = time.perf_counter()
    tasks = exp.tasks()
    # Built before any run: a bad graph file fails before work starts.
    graphs = graphs_used(tasks, say=lambda note: print(note, file=sys.stderr))
    frames = run_tasks(tasks, workers=workers, progress=progress, desc=exp.name)
    elapsed_runs = time.perf_counter() - start
    ts = pd.concat(frames, ignore_index=True)
    summary = final_rows(ts, ["strategy", "replicate", "seed"])
    summary["incremental_roi"] = incremental_roi(summary)
    table = confidence_table(summary, TABLE_METRICS)

    meta = {
        "experiment": {"name": exp.name, "file": display_path(exp.path), "steps": exp.steps,
                       "replicates": exp.replicates, "seed": exp.seed},
        "base": exp.base, "grid": exp.grid,
        "runs": [{"labels": dict(t.labels), "seed": t.seed} for t in tasks],
        "params": {s: t.params for t in tasks for s in [t.labels.get("strategy")]},
        "graphs": graphs,
        "timing_s": {"runs": round(elapsed_runs, 2), "total": round(time.perf_counter() - start, 2)},
    }
    write_run_outputs(out, ts, summary, meta)
    return ts, summary, table

