"""The headline comparison: six strategies at equal budget, paired on the same seeds.

``python run.py`` runs ``experiments/headline.toml`` and writes ``results/headline/``:
the tidy CSVs, ``run.json``, and the report (``report.md``, ``report.html``) with its
figures beside them: ``loyalty.png`` (loyalty over time with 95 % CI bands), ``final.png``
(final metrics per strategy), ``metrics.png`` and the others that apply.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from simulation.research.experiment import Experiment, load_experiment
from simulation.research.provenance import REPO_ROOT, provenance, write_atomic, write_json
from simulation.research.runner import final_rows, run_tasks
from simulation.research.summaries import confidence_table, incremental_roi

HEADLINE_FILE = REPO_ROOT / "experiments" / "headline.toml"
TABLE_METRICS = ("loyalty", "loyal_share", "nps", "awareness", "customers", "incremental_roi")


def run_headline(out: Path, experiment: Experiment | None = None, workers: int | None = None,
                 progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the comparison, write ``out/``, return (timeseries, summary, table)."""
    exp = experiment or load_experiment(HEADLINE_FILE)
    start = time.perf_counter()
    tasks = exp.tasks()
    frames = run_tasks(tasks, workers=workers, progress=progress, desc=exp.name)
    elapsed_runs = time.perf_counter() - start
    ts = pd.concat(frames, ignore_index=True)
    summary = final_rows(ts, ["strategy", "replicate", "seed"])
    summary["incremental_roi"] = incremental_roi(summary)
    table = confidence_table(summary, TABLE_METRICS)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "timeseries.csv", ts.to_csv(index=False, float_format="%.6g"))
    write_atomic(out / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    elapsed = time.perf_counter() - start
    meta = {
        "experiment": {"name": exp.name, "file": _display_path(exp.path), "steps": exp.steps,
                       "replicates": exp.replicates, "seed": exp.seed},
        "base": exp.base, "grid": exp.grid,
        "runs": [{"labels": dict(t.labels), "seed": t.seed} for t in tasks],
        "params": {s: t.params for t in tasks for s in [t.labels.get("strategy")]},
        "timing_s": {"runs": round(elapsed_runs, 2), "total": round(elapsed, 2)},
        **provenance(),
    }
    write_json(out / "run.json", meta)
    from simulation.outputs.report import build_report

    build_report(out, figure_dir=".")  # report.md, report.html and every figure, beside the CSVs
    return ts, summary, table


def _display_path(path: str) -> str:
    """A path relative to the repository when inside it (outputs should not leak /home/...)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
