"""The headline comparison: six strategies at equal budget in two market scenarios.

``python run.py`` runs ``experiments/headline.toml``: every strategy in both scenarios
(``scenario = "launch"``, a new focal brand among known rivals, and ``"established"``,
every brand known at step 0; docs/ODD.md, 5 Initialization). :func:`run_headline` writes
the data files of ``results/headline/`` (``timeseries.csv``, ``summary.csv``,
``run.json``), then the command line builds the report beside them (``report.md``,
``report.html`` and the figures, :mod:`simulation.outputs.report`).

Common random numbers: every run of a replicate, whatever its strategy *and* its design
point (scenario), runs on the same seed (:func:`paired_tasks`), so the same consumers,
graph and random draws meet each strategy in each scenario. Incremental ROI against
``none`` is paired within (design point, replicate).

The numbers of the table (:func:`headline_table`), per design point and strategy, mean
and 95 % interval over replicates (:func:`simulation.research.summaries.confidence_table`):

* ``market_share_13w``: the focal brand's share of all category purchases in the last
  :data:`SHARE_WEEKS` weeks of a run (purchases pooled over those weeks, i.e. weighted by
  the week's category purchases; a week without any purchase adds nothing). The weekly
  ``market_share`` is a ratio of small counts and too noisy to compare at one week.
* ``scr``, ``loyal_share``, ``trust``: their values at the last week.
* ``nps``: the last survey of each run; beside it the survey's own 95 % interval
  (``nps_low`` .. ``nps_high``) and ``nps_respondents``, averaged over the runs.
* ``incremental_roi``: (profit - profit of ``none`` on the same seed and design point)
  / spend.

A run in which a metric is undefined (NaN: no category purchase in 13 weeks, no focal
buyer in the SCR window, nobody to survey) is left out of that metric's mean, and the
count of runs that had a value is kept (``<metric>_n``) so that the table can show it.

:func:`leaders` says, from the numbers, which strategy has the highest mean of a metric
and whether it is separated from the second (paired differences across replicates);
nothing in the code or the report names a winner in advance.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.metrics import UNIT_RANGE, metric_range
from simulation.core.params import Params
from simulation.research.executors import run_tasks
from simulation.research.experiment import Experiment, load_experiment
from simulation.research.provenance import REPO_ROOT, display_path, graphs_used
from simulation.research.runfiles import write_run_outputs
from simulation.research.stats import mean_ci
from simulation.research.summaries import confidence_table, incremental_roi
from simulation.research.tasks import Task, final_rows, run_seed

HEADLINE_FILE = REPO_ROOT / "experiments" / "headline.toml"
#: Weeks at the end of a run over which ``market_share_13w`` pools the purchases (a quarter).
SHARE_WEEKS = 13
SHARE_COLUMN = "market_share_13w"
#: Metrics of the headline table with an interval across replicates, in column order.
TABLE_METRICS = (SHARE_COLUMN, "scr", "loyal_share", "nps", "trust", "reply_rate", "dialogue_utilisation",
                 "incremental_roi")
#: The survey's own numbers shown beside NPS (means over runs).
SURVEY_COLUMNS = ("nps_low", "nps_high", "nps_respondents")
#: Metrics whose leader :func:`leaders` reports.
LEAD_METRICS = (SHARE_COLUMN, "scr", "loyal_share", "nps", "trust", "incremental_roi")
#: Ranges of the derived columns (the metrics' own come from simulation.core.metrics).
DERIVED_RANGES = {SHARE_COLUMN: UNIT_RANGE}


def design_columns(exp: Experiment) -> list[str]:
    """The columns that tell the design points apart (the grid without the strategy)."""
    return [k for k in exp.grid if k != "strategy"]


def paired_tasks(exp: Experiment) -> list[Task]:
    """The experiment's tasks with one seed per replicate for every design point and
    strategy (common random numbers across strategies and scenarios)."""
    return [dataclasses.replace(t, seed=run_seed(exp.seed, t.replicate)) for t in exp.tasks()]


def late_share(ts: pd.DataFrame, keys: Sequence[str], weeks: int = SHARE_WEEKS) -> pd.DataFrame:
    """Per run (``keys``): the focal brand's share of the category purchases of its last
    ``weeks`` weeks (all its weeks after step 0 if it is shorter), column :data:`SHARE_COLUMN`.

    The focal purchases of a week are ``market_share * category_purchases`` (both per
    consumer); a week without category purchases has an undefined share and weight 0. A
    run without any category purchase in the window gets NaN.
    """
    keys = list(keys)
    last = ts.groupby(keys, sort=False)["step"].transform("max")
    window = ts[(ts["step"] > last - weeks) & (ts["step"] >= 1)]
    cat = window["category_purchases"].to_numpy(dtype=float)
    focal = np.where(cat > 0, window["market_share"].to_numpy(dtype=float) * cat, 0.0)
    sums = pd.DataFrame({"focal": focal, "cat": cat}, index=window.index).groupby(
        [window[k] for k in keys], sort=False).sum()
    share = (sums["focal"] / sums["cat"].where(sums["cat"] > 0)).rename(SHARE_COLUMN)
    return share.reset_index()


def run_outcomes(ts: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per run (``keys``): its final metrics and :data:`SHARE_COLUMN`; everything of
    the headline's outcomes but the incremental ROI, which needs the baseline's run too."""
    keys = list(keys)
    return final_rows(ts, keys).merge(late_share(ts, keys), on=keys, how="left")


def headline_summary(ts: pd.DataFrame, design: Sequence[str] = ()) -> pd.DataFrame:
    """One row per run: the final metrics, :data:`SHARE_COLUMN` and ``incremental_roi``
    (paired on seed within the ``design`` columns)."""
    summary = run_outcomes(ts, [*design, "strategy", "replicate", "seed"])
    summary["incremental_roi"] = incremental_roi(summary, within=design)
    return summary


def headline_table(summary: pd.DataFrame, design: Sequence[str] = ()) -> pd.DataFrame:
    """Per design point and strategy: ``n`` runs, mean, 95 % interval and count of finite
    values (``_n``) of :data:`TABLE_METRICS` and :data:`SURVEY_COLUMNS`."""
    metrics = [m for m in (*TABLE_METRICS, *SURVEY_COLUMNS) if m in summary.columns]
    return confidence_table(summary, metrics, [*design, "strategy"], counts=True, bounds=DERIVED_RANGES)


def leaders(summary: pd.DataFrame, design: Sequence[str] = (), metrics: Sequence[str] = LEAD_METRICS,
            baseline: str = "none") -> pd.DataFrame:
    """Per design point and metric: the strategy with the highest mean and the second,
    and the paired difference first - second over the replicates (same seed) with its
    95 % t-interval.

    Columns: the design columns, ``metric``, ``first``, ``second``, ``first_mean``,
    ``second_mean``, ``diff``, ``diff_lo``, ``diff_hi`` and ``pairs`` (replicates where
    both have a value). ``separated`` is True when the interval excludes 0. The baseline
    is left out of ``incremental_roi`` (it has none). Only strategies with a value in at
    least half of the replicates compete (a mean of the two runs where a rarely bought brand
    could be surveyed does not lead a table), and the interval of a difference stays inside
    what a difference of the metric can be (twice its declared range, at most).
    """
    rows = []
    groups = summary.groupby(list(design), sort=False) if design else [((), summary)]
    for point, g in groups:
        point = point if isinstance(point, tuple) else (point,)
        for m in metrics:
            if m not in g.columns:
                continue
            wide = g.pivot_table(index="seed", columns="strategy", values=m, aggfunc="first", dropna=False)
            if m == "incremental_roi":
                wide = wide.drop(columns=baseline, errors="ignore")
            enough = wide.count() * 2 >= len(wide)
            means = wide.loc[:, enough].mean().dropna().sort_values(ascending=False, kind="stable")
            if len(means) < 2:
                continue
            first, second = means.index[:2]
            diff = (wide[first] - wide[second]).to_numpy(dtype=float)
            d, lo, hi = mean_ci(diff)
            low, high = DERIVED_RANGES.get(m) or metric_range(m)
            width = high - low  # inf for an unbounded metric: nothing to clip
            lo, hi = max(lo, -width), min(hi, width)
            rows.append({**dict(zip(design, point)), "metric": m, "first": first, "second": second,
                         "first_mean": float(means.iloc[0]), "second_mean": float(means.iloc[1]),
                         "diff": d, "diff_lo": lo, "diff_hi": hi, "pairs": int(np.isfinite(diff).sum()),
                         "separated": bool(np.isfinite(lo) and (lo > 0 or hi < 0))})
    return pd.DataFrame(rows)


def points_of(table: pd.DataFrame, design: Sequence[str]) -> list[dict[str, Any]]:
    """The design points of a table, in order of appearance (``[{}]`` without design columns)."""
    if not design:
        return [{}]
    return [dict(zip(design, v)) for v in dict.fromkeys(table[list(design)].itertuples(index=False, name=None))]


def rows_of(table: pd.DataFrame, point: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``table`` at one design point."""
    mask = np.ones(len(table), dtype=bool)
    for k, v in point.items():
        mask &= (table[k] == v).to_numpy()
    return table[mask]


def point_params(params: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of one design point from ``run.json``'s nested ``params`` (those of
    its first strategy; the strategies of a point differ only in ``strategy``)."""
    node: Any = params
    for v in point.values():
        node = node.get(str(v), {}) if isinstance(node, Mapping) else {}
    while isinstance(node, Mapping) and node and isinstance(next(iter(node.values())), Mapping):
        node = next(iter(node.values()))
    return dict(node or {})


def scenario_text(params: Mapping[str, Any]) -> str:
    """What the market looks like at step 0 under these parameters, in one sentence."""
    p = Params(**params)
    rivals = p.n_brands - 1
    def pct(x: float) -> str:
        return f"{100 * x:.3g} %"

    habit = (f"every consumer aware of a known brand starts with a habitual brand among those they know "
             f"(loyalty {p.initial_loyalty:g})")
    if p.scenario == "established":
        return (f"Established brand: all {p.n_brands} brands, the focal one included, are known to "
                f"{pct(p.known_awareness)} of consumers at week 0, and {habit}.")
    if rivals == 0:
        return (f"Launch: the focal brand is new ({pct(p.initial_awareness)} of consumers aware of it at week 0) "
                "and alone in its category (besides the outside option).")
    return (f"Launch: the focal brand is new ({pct(p.initial_awareness)} of consumers aware of it at week 0); "
            f"its {rivals} rival{'s are' if rivals > 1 else ' is'} each known to {pct(p.known_awareness)}, and "
            f"{habit}.")


def run_headline(out: Path, experiment: Experiment | None = None, workers: int | None = None,
                 progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the comparison, write its data files into ``out/``, return (timeseries, summary, table).

    The table is :func:`headline_table` (one row per design point and strategy). The
    report is not built here (research does not draw): the caller runs
    ``simulation.outputs.report.build_report(out, figure_dir=".")`` next.
    """
    exp = experiment or load_experiment(HEADLINE_FILE)
    design = design_columns(exp)
    start = time.perf_counter()
    tasks = paired_tasks(exp)
    # Built before any run: a bad graph file fails before work starts.
    graphs = graphs_used(tasks, say=lambda note: print(note, file=sys.stderr))
    frames = run_tasks(tasks, workers=workers, progress=progress, desc=exp.name)
    elapsed_runs = time.perf_counter() - start
    ts = pd.concat(frames, ignore_index=True)
    summary = headline_summary(ts, design)
    table = headline_table(summary, design)

    params: dict[str, Any] = {}
    for t in tasks:  # nested by design value(s), then strategy: {"launch": {"none": {...}}}
        node = params
        for k in design:
            node = node.setdefault(str(t.labels[k]), {})
        node[t.labels["strategy"]] = t.params
    meta = {
        "experiment": {"name": exp.name, "file": display_path(exp.path), "steps": exp.steps,
                       "replicates": exp.replicates, "seed": exp.seed},
        "base": exp.base, "grid": exp.grid,
        "headline": {"design": design, "share_weeks": SHARE_WEEKS,
                     "seeds": "one per replicate, shared by every strategy and design point"},
        "runs": [{"labels": dict(t.labels), "seed": t.seed} for t in tasks],
        "params": params,
        "graphs": graphs,
        "timing_s": {"runs": round(elapsed_runs, 2), "total": round(time.perf_counter() - start, 2)},
    }
    write_run_outputs(out, ts, summary, meta)
    return ts, summary, table
