"""Reports: ``python run.py report DIR [--out OUT]`` writes ``report.html`` and ``report.md``
(and ``figures/``) into ``OUT`` (default ``DIR``; a read-only data folder needs ``--out``).

``DIR`` is the output of ``simulate`` or ``headline`` (``timeseries.csv``, ``summary.csv``,
``run.json``) or of a sweep (``runs.sqlite``). The report says what was run (parameters,
design, seeds, package versions), gives the summary table with confidence
intervals, every figure that applies to the data, and a short "how to read this" per
figure. The HTML is self-contained (figures embedded as data URIs, no external asset), so
it opens offline.

A report is deterministic: the same data folder gives byte-identical files (the figures'
metadata hold no date or version either, :func:`~simulation.outputs.figures.style.save_figure`).
What changes from run to run (the time, the command line, the git commit, the machine,
the timings) stays in the folder's ``run.json`` or ``sweep.json``, which the report names
instead of quoting, so re-running ``python run.py`` rewrites only ``run.json`` among the
committed files of ``results/headline/``. A sweep still in progress is reported as far as it got, and failed runs
are listed with their error.

Which figures a report shows is decided by :data:`FIGURES`, a registry of
:class:`FigureMaker` entries: each says when it applies to the :class:`Data` and makes its
figure(s); a new figure is one more entry.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.metrics import METRIC_NAMES, check_metric
from simulation.core.params import PARAMETERS, STRATEGIES
from simulation.errors import WomsimError
from simulation.outputs import figures
from simulation.outputs.snapshots import plot_network_snapshots
from simulation.outputs.tables import (
    HEADLINE_NOTE,
    INTERVAL_NOTE,
    ROI_ESTIMATE_NOTE,
    HeadlineBlock,
    confidence_cells,
    format_headline,
    headline_blocks,
    render_frame,
    roi_estimate_cells,
)
from simulation.research import headline as H
from simulation.research.experiment import Experiment
from simulation.research.provenance import REPO_ROOT, check_output, write_atomic
from simulation.research.recovery import PRE_WEEKS, RECOVERY_COLUMNS, SMOOTH_WEEKS, event_starts, recovery_rows
from simulation.research.roi import OBSERVED, firm_estimates, roi_comparison
from simulation.research.sensitivity import analyse, sample_warning
from simulation.research.store import load, swept_parameters
from simulation.research.summaries import confidence_table, incremental_roi

SUMMARY_METRICS = ("loyalty", "loyal_share", "nps", "awareness", "customers", "trust", "profit",
                   "incremental_roi")
FIGURE_DIR = "figures"


@dataclass
class Figure:
    """One figure of a report: its files, title and how to read it."""

    name: str
    title: str
    how_to_read: str
    paths: list[Path] = field(default_factory=list)

    @property
    def png(self) -> Path:
        return next(p for p in self.paths if p.suffix == ".png")


@dataclass
class Data:
    """Everything a report is built from, whatever the kind of output folder."""

    kind: str                      # "runs" (simulate / headline) or "sweep"
    directory: Path
    timeseries: pd.DataFrame
    finals: pd.DataFrame
    meta: dict[str, Any]
    varied: list[str]
    runs: pd.DataFrame | None = None
    tasks_total: int | None = None
    #: The design point this is a part of (e.g. ``{"scenario": "launch"}``, :func:`scenario_parts`);
    #: empty for all the data.
    part: dict[str, Any] = field(default_factory=dict)
    #: One row per run with a spend: its true incremental ROI and the firm's estimate
    #: (:func:`firm_roi_runs`); None without the firm's observables or strategies.
    roi_runs: pd.DataFrame | None = None

    @property
    def strategies(self) -> list[str]:
        return list(dict.fromkeys(self.finals["strategy"])) if "strategy" in self.finals else []

    @property
    def design(self) -> str:
        """The sweep's design (grid | lhs | sobol | morris); simulate and headline runs are a grid."""
        return self.meta.get("experiment", {}).get("design", "grid") if self.kind == "sweep" else "grid"

    @property
    def headline(self) -> dict[str, Any] | None:
        """The ``headline`` entry of a headline run's ``run.json`` (its design columns), else None."""
        h = self.meta.get("headline") if self.kind == "runs" else None
        return h if isinstance(h, dict) else None

    @property
    def numeric_varied(self) -> list[str]:
        """The varied parameters that are numeric and take more than one value in the finals."""
        f = self.finals
        return [v for v in self.varied if v in f and pd.api.types.is_numeric_dtype(f[v]) and f[v].nunique() > 1]


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------
def read_output(directory: str | Path) -> Data:
    """Load a simulate/headline folder or a sweep store, with a clear error otherwise."""
    d = Path(directory)
    if not d.is_dir():
        raise WomsimError(f"report: '{d}' is not a folder (give the --out folder of simulate, "
                          "headline or sweep)")
    if (d / "runs.sqlite").exists():
        tables = load(d)
        runs, finals, ts = tables["runs"], tables["finals"], tables["timeseries"]
        sweep_meta = _read_json(d / "sweep.json")
        exp = sweep_meta.get("experiment", {})
        if finals.empty:
            failed = runs[runs["status"] == "failed"] if not runs.empty else runs
            detail = (f"; {len(failed)} run(s) failed, e.g. {failed['run_id'].iloc[0]}: "
                      f"{str(failed['error'].iloc[0]).splitlines()[0]}") if len(failed) else ""
            raise WomsimError(f"report: no finished runs in '{d / 'runs.sqlite'}'{detail}")
        varied = swept_parameters(exp)
        data = Data("sweep", d, ts, finals, sweep_meta, varied, runs, sweep_meta.get("tasks"))
    elif (d / "timeseries.csv").exists():
        ts = _read_run_csv(d / "timeseries.csv")
        meta = _read_json(d / "run.json")
        varied = [k for k in meta.get("grid", {}) if k != "strategy" and k in ts]
        summary_path = d / "summary.csv"
        finals = _read_run_csv(summary_path) if summary_path.exists() else _last_steps(ts, varied)
        data = Data("runs", d, ts, finals, meta, varied)
    else:
        raise WomsimError(f"report: '{d}' holds no womsim output (no runs.sqlite, no timeseries.csv)")
    if "strategy" in data.finals and "incremental_roi" not in data.finals:
        # design points that share seeds (the headline's scenarios) pair within their point
        data.finals["incremental_roi"] = incremental_roi(data.finals, within=data.varied)
    data.roi_runs = firm_roi_runs(data)
    return data


def firm_roi_runs(data: Data) -> pd.DataFrame | None:
    """Per run with a spend: the design columns, strategy, true ``incremental_roi`` and the
    firm's estimate from the run's own weekly ``sales`` and ``spend_week``
    (:func:`simulation.research.roi.firm_estimates`); None if the data lack them."""
    ts, finals = data.timeseries, data.finals
    if not set(OBSERVED) <= set(ts) or "incremental_roi" not in finals or "strategy" not in finals:
        return None
    # Only flighted runs (docs/ODD.md 4.11): without a schedule, spend varies only with what
    # the channels used (replies, paid page views), which follows the market, not the firm's plan.
    always = PARAMETERS["flighting"].default
    if data.kind == "sweep" and data.runs is not None and "params" in data.runs:
        keys = ["run_id"]
        params = data.runs.set_index("run_id")["params"].map(json.loads)
        margin = params.map(lambda p: p.get("margin", PARAMETERS["margin"].default)).astype(float)
        flighted = set(params.index[params.map(lambda p: p.get("flighting", always) != always)])
        finals = finals[finals["run_id"].isin(flighted)]
    else:
        keys = [c for c in (*data.varied, "strategy", "replicate", "seed") if c in ts]
        margin = float(_params_of(data).get("margin", PARAMETERS["margin"].default))
        if _params_of(data).get("flighting", always) == always:
            return None
    spent = finals[finals["spend"] > 0]
    if spent.empty:
        return None
    estimates = firm_estimates(ts[ts[keys[0]].isin(spent[keys[0]])] if keys == ["run_id"] else ts, keys, margin)
    cols = list(dict.fromkeys([*keys, *[v for v in data.varied if v in finals], "strategy", "incremental_roi"]))
    return spent[cols].merge(estimates, on=keys, how="inner")


def _roi_by(data: Data) -> list[str]:
    """Groups of the ROI-estimate table: the varied parameters (up to 2) and the strategy."""
    runs = data.roi_runs
    return [v for v in data.varied[:2] if runs is not None and v in runs and runs[v].nunique() > 1] + ["strategy"]


def roi_estimate_table(data: Data) -> pd.DataFrame | None:
    """Cells of the firm's estimate against the truth per group (:func:`_roi_by`), or None
    when no run has both (no flighted spend, no ``none`` baseline on the same seeds)."""
    runs = data.roi_runs
    if runs is None:
        return None
    by = _roi_by(data)
    comparison = roi_comparison(runs, by)
    if comparison.empty:
        return None
    # design points as run (labels) or by value (numbers), strategies in the model's order
    order = {c: list(dict.fromkeys(runs[c])) for c in by[:-1] if not pd.api.types.is_numeric_dtype(comparison[c])}
    order["strategy"] = list(STRATEGIES)
    comparison = comparison.sort_values(by, kind="stable", ignore_index=True,
                                        key=lambda col: col.map(order[col.name].index) if col.name in order else col)
    return roi_estimate_cells(comparison, by)


#: Columns every ``timeseries.csv`` and ``summary.csv`` of simulate / headline has.
RUN_COLUMNS = ("strategy", "replicate", "seed", "step", *METRIC_NAMES)


def _read_run_csv(path: Path) -> pd.DataFrame:
    """A ``timeseries.csv`` or ``summary.csv`` of a run folder, with its columns checked: a
    foreign CSV of the same name is a one-line error naming the file and what it lacks."""
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise WomsimError(f"report: '{path}' cannot be read as a womsim CSV: {str(exc).splitlines()[0]}") from None
    missing = [c for c in RUN_COLUMNS if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise WomsimError(f"report: '{path}' is not a womsim {path.stem} (missing column(s): {shown}); "
                          "give the --out folder of simulate or headline")
    return df


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise WomsimError(f"report: '{path}' cannot be read: {exc}") from None


def _last_steps(ts: pd.DataFrame, varied: list[str]) -> pd.DataFrame:
    keys = [c for c in (*varied, "strategy", "replicate", "seed") if c in ts]
    return ts[ts["step"] == ts.groupby(keys)["step"].transform("max")].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# summary table
# --------------------------------------------------------------------------------------
def summary_table(data: Data, metrics=SUMMARY_METRICS) -> pd.DataFrame:
    """Mean [95 % CI] of the final metrics per strategy (and per varied parameter, up to 2),
    and the number of runs ``n``, as cells (:func:`simulation.outputs.tables.confidence_cells`).

    The intervals are :func:`simulation.research.summaries.confidence_table`'s, as in the
    headline table.
    """
    metrics = [m for m in metrics if m in data.finals]
    by = [*data.varied[:2], "strategy"] if len(data.finals.groupby(data.varied[:2] or ["strategy"])) <= 60 \
        else ["strategy"]
    by = [b for b in by if b in data.finals]
    table = confidence_table(data.finals, metrics, by)
    numeric = [b for b in by[:-1] if pd.api.types.is_numeric_dtype(table[b])]
    if numeric:  # design points in parameter order (labels such as scenarios as run), strategies as run
        table = table.sort_values(numeric, kind="stable", ignore_index=True)
    return confidence_cells(table, metrics, by, n=True)


# --------------------------------------------------------------------------------------
# recovery after an event (sweeps with [sweep.events])
# --------------------------------------------------------------------------------------
#: What the recovery table says under it.
RECOVERY_NOTE = (f"Per run: focal sales ({SMOOTH_WEEKS}-week trailing mean) and mean trust in the focal brand, "
                 "measured against the run without the event on the same seed (identical until the event) when "
                 f"the experiment has an event set without events, else against the mean of the {PRE_WEEKS} weeks "
                 "before the event. drop: the deepest gap, as a share of that pre-event mean; half_weeks: weeks from "
                 "the event's start until half of the drop is back (mean over the runs that got there: "
                 "*_recovered* says how many of n did). simulation/research/recovery.py, docs/ODD.md 7.13.")


def _event_design(data: Data) -> tuple[dict[str, int], str | None, list[str]]:
    """(first week per event set, the set without events, the other design columns)."""
    exp = data.meta.get("experiment", {}) if data.kind == "sweep" else {}
    if "events" not in data.timeseries:
        return {}, None, []
    starts, empty = event_starts(exp)
    return starts, empty, [v for v in data.varied if v != "events" and v in data.timeseries]


def recovery_table(data: Data) -> pd.DataFrame | None:
    """Mean [95 % CI] of the :data:`~simulation.research.recovery.RECOVERY_COLUMNS` per design
    point, event set and strategy, with the runs that recovered half of each drop; None
    without event sets."""
    starts, empty, other = _event_design(data)
    if not starts or "strategy" not in data.timeseries:
        return None
    keys = [*other, "events", "strategy", "replicate"]
    rows = recovery_rows(data.timeseries, keys, starts, reference_set=empty)
    by = keys[:-1]
    bounds = {c: (0.0, float("inf")) for c in RECOVERY_COLUMNS}
    table = confidence_table(rows, RECOVERY_COLUMNS, by, bounds=bounds, counts=True)
    cells = confidence_cells(table, RECOVERY_COLUMNS, by, n=True)
    for name in ("sales", "trust"):  # runs with a finite half-recovery time: those that got there
        cells[f"{name}_recovered"] = table[f"{name}_half_weeks_n"].astype(int).to_numpy()
    return cells


# --------------------------------------------------------------------------------------
# figures: a registry of makers, each saying when it applies
# --------------------------------------------------------------------------------------
def _scenario(data: Data) -> str:
    if data.kind == "sweep":
        exp = data.meta.get("experiment", {})
        return (f"{exp.get('name', data.directory.name)}: {exp.get('design', 'grid')} design, "
                f"{exp.get('replicates', '?')} replicates, {exp.get('steps', '?')} weeks")
    p = _params_of(data)
    n = p.get("n_consumers", "?")
    where = "".join(f"{k} = {v}, " for k, v in data.part.items())
    return f"{where}{n} consumers, {p.get('network', '?')}, budget {p.get('budget', '?')}"


def _params_of(data: Data) -> dict[str, Any]:
    """The parameters of a simulate/headline run (headline: those of the first strategy
    at the data's design point, or at the first point)."""
    p = data.meta.get("params") or data.meta.get("base") or {}
    return H.point_params(p, data.part) if isinstance(p, dict) else {}


#: The design column a headline report repeats its per-run figures for.
SPLIT_COLUMN = "scenario"


def scenario_parts(data: Data) -> list[Data]:
    """The data of each value of :data:`SPLIT_COLUMN` when it is a varied parameter with
    more than one value (the headline's scenarios), else ``[data]``.

    Strategies are compared within a scenario, never pooled across scenarios: a figure
    that pools them would average a launch with an established brand.
    """
    col = SPLIT_COLUMN
    if data.kind != "runs" or col not in data.varied or col not in data.finals or data.finals[col].nunique() < 2:
        return [data]
    parts = []
    for value in dict.fromkeys(data.finals[col]):
        parts.append(Data(data.kind, data.directory, data.timeseries[data.timeseries[col] == value],
                          data.finals[data.finals[col] == value].reset_index(drop=True), data.meta,
                          [v for v in data.varied if v != col], data.runs, data.tasks_total,
                          {**data.part, col: value}))
    return parts


@dataclass(frozen=True)
class FigureMaker:
    """One kind of report figure.

    ``applies(data)`` says whether the data have what the figure needs; ``make(data, out,
    metric)`` draws it (or several, e.g. one per varied parameter) into ``out`` and returns
    the :class:`Figure` entries. ``reruns_model``: the figure runs the model again (the
    network snapshots), so ``build_figures(..., snapshots=False)`` leaves it out.
    ``per_scenario``: made once per part of :func:`scenario_parts` (file names end in
    ``_<scenario>``), for figures that compare strategies within one scenario.
    """

    name: str
    applies: Callable[[Data], bool]
    make: Callable[[Data, Path, str], list[Figure]]
    reruns_model: bool = False
    per_scenario: bool = False


def _one(data: Data, name: str, title: str, how: str, draw: Callable[[Path], list[Path]],
         out: Path) -> list[Figure]:
    """One figure, its file name and title marked with the data's design point (if a part)."""
    if data.part:
        name += "".join(f"_{v}" for v in data.part.values())
        title += " (" + ", ".join(f"{k} = {v}" for k, v in data.part.items()) + ")"
    return [Figure(name, title, how, draw(out / name))]


def _has_strategies(data: Data) -> bool:
    return "strategy" in data.timeseries


def _make_metrics(data: Data, out: Path, metric: str) -> list[Figure]:
    panels = ["awareness", "market_share", "scr", "loyal_share", "nps", "trust"]
    return _one(data, "metrics", "Main metrics over time",
                "One line per strategy: the mean over runs; the band is the 95 % confidence interval of "
                "that mean. In a sweep, runs of all design points are pooled per strategy.",
                lambda p: figures.plot_small_multiples(data.timeseries, panels, p,
                                                       title=f"Main metrics over time\n{_scenario(data)}"), out)


def _make_loyalty(data: Data, out: Path, metric: str) -> list[Figure]:
    return _one(data, "loyalty", "Loyalty over time",
                "Mean loyalty of customers per strategy with its 95 % band. Lines that separate early and "
                "stay apart are robust differences.",
                lambda p: figures.plot_timeseries(data.timeseries, "loyalty", p,
                                                  title=f"Loyalty of customers by strategy\n{_scenario(data)}"),
                out)


def _make_final(data: Data, out: Path, metric: str) -> list[Figure]:
    finals = data.finals
    shown = [m for m in ("scr", "loyal_share", "nps", "trust", "customers", "incremental_roi") if m in finals]
    return _one(data, "final", "Final values per strategy",
                "After the last week: the large marker and bar are the mean and its 95 % interval, the "
                "small points the single runs.",
                lambda p: figures.plot_final(finals, shown, p, title=f"Final values\n{_scenario(data)}"), out)


def _has_roi(data: Data) -> bool:
    return "incremental_roi" in data.finals and bool(data.finals["incremental_roi"].notna().any())


def _make_roi(data: Data, out: Path, metric: str) -> list[Figure]:
    return _one(data, "incremental_roi", "Incremental ROI across replicates",
                "Profit gained over doing nothing (same seed), per unit spent, one point per run. The width "
                "of the interval is the answer to 'why is ROI so hard to compute': the same strategy on the "
                "same budget returns very different amounts from run to run.",
                lambda p: figures.plot_incremental_roi(
                    data.finals, p, title=f"Incremental ROI against no marketing\n{_scenario(data)}",
                    facet=SPLIT_COLUMN if len(scenario_parts(data)) > 1 else None), out)


def _has_roi_estimate(data: Data) -> bool:
    runs = data.roi_runs
    return runs is not None and bool((np.isfinite(runs["estimated_roi"]) & np.isfinite(runs["incremental_roi"])).any())


def _make_roi_estimate(data: Data, out: Path, metric: str) -> list[Figure]:
    by = _roi_by(data)[:-1]
    facet = SPLIT_COLUMN if SPLIT_COLUMN in by else (by[0] if by and not
                                                     pd.api.types.is_numeric_dtype(data.roi_runs[by[0]]) else None)
    size = next((b for b in by if b != facet), None)
    return _one(data, "roi_estimate", "The firm's ROI estimate against the true incremental ROI",
                "Each small point is one run: x its true incremental ROI (against 'none' on the same seed, which "
                "no firm can run), y what the firm estimates from its own weekly sales and spend by a "
                "marketing-mix regression with adstock. On the dashed diagonal the estimate is right; the large "
                "points are the means per strategy (and budget, by size) with the intervals of both means. A "
                "strategy whose points lie far from the diagonal, or spread along a vertical line, cannot have "
                "its ROI measured from a firm's data.",
                lambda p: figures.plot_roi_estimate(
                    data.roi_runs, p, title=f"The firm's ROI estimate vs. the truth\n{_scenario(data)}",
                    facet=facet, size=size), out)


def _has_segments(data: Data) -> bool:
    return {"loyalty_natives", "loyalty_immigrants"} <= set(data.finals)


def _make_segments(data: Data, out: Path, metric: str) -> list[Figure]:
    return _one(data, "segments", "Digital natives vs. immigrants",
                "Loyalty and awareness by segment and strategy: dialogue and the public record reach "
                "digital natives; digital immigrants are rarely online and see more mass media.",
                lambda p: figures.plot_segments(data.finals, p, title=f"Segments\n{_scenario(data)}"), out)


def _make_sweep_1d(data: Data, out: Path, metric: str) -> list[Figure]:
    figs = []
    for x in data.numeric_varied:
        figs += _one(data, f"sweep_{x}", f"{metric} vs. {x}",
                     f"Final {metric} (mean and 95 % band over replicates and over the other swept parameters) "
                     f"as {x} varies, one line per strategy. Where lines cross, the answer flips.",
                     lambda p, x=x: figures.plot_sweep_1d(data.finals, x, metric, p,
                                                          title=f"{metric} vs. {x}\n{_scenario(data)}"), out)
    return figs


def _two_axes(data: Data) -> bool:
    return len(data.numeric_varied) >= 2


def _make_heatmaps(data: Data, out: Path, metric: str) -> list[Figure]:
    x, y = data.numeric_varied[:2]
    figs = []
    for st in data.strategies:
        if st == "none":
            continue
        figs += _one(data, f"heatmap_{st}", f"{metric}: {x} x {y} ({st})",
                     f"Mean final {metric} over the {x} x {y} grid for strategy {st}; contour lines join "
                     "equal values.",
                     lambda p, st=st: figures.plot_heatmap(data.finals, x, y, metric, p, strategy=st,
                                                           title=f"{metric}, {st}\n{_scenario(data)}"), out)
    return figs


def _has_difference(data: Data) -> bool:
    # sampled designs share no axis values to pin: a difference map needs two strategies or a grid
    return _two_axes(data) and ({"dialogue", "broadcast"} <= set(data.strategies) or data.design == "grid")


def _make_difference(data: Data, out: Path, metric: str) -> list[Figure]:
    finals = data.finals
    x, y = data.numeric_varied[:2]
    if {"dialogue", "broadcast"} <= set(data.strategies):
        a, b, label = "dialogue", "broadcast", "dialogue minus broadcast"
    else:
        # one strategy: compare each value of an axis with its lowest value, preferably
        # dialogue_share (its lowest value is pure broadcast)
        others = [s for s in data.strategies if s != "none"] or data.strategies
        pin = "dialogue_share" if "dialogue_share" in (x, y) else y
        a, b = others[0], {pin: float(np.min(finals[pin]))}
        label = f"{a}: each {pin} minus {pin} = {np.min(finals[pin]):g}"
    return _one(data, "difference", f"Where the answer flips: {label}",
                f"Difference of mean final {metric}: {label}. Blue (positive) favours the first, red "
                "the second; the bold zero contour is where the answer flips.",
                lambda p: figures.plot_difference(finals, x, y, metric, p, a=a, b=b,
                                                  title=f"{metric}: {label}\n{_scenario(data)}"), out)


def _is_sensitivity_design(data: Data) -> bool:
    return data.design in ("sobol", "morris")


def _make_sensitivity(data: Data, out: Path, metric: str) -> list[Figure]:
    exp = Experiment.from_definition(data.meta["experiment"], str(data.directory))
    try:
        table = analyse(exp, data.finals, metric)
    except WomsimError:
        return []  # sweep still in progress: indices need every design point
    if table.empty:
        return []
    return _one(data, "sensitivity", f"Sensitivity of {metric}",
                "Sobol: first-order (S1, the parameter alone) and total (ST, with interactions) shares "
                "of the variance of the output, with 95 % intervals. Morris: mu* ranks influence, "
                "sigma flags non-linearity and interactions.",
                lambda p: figures.plot_indices(table, p, metric, f"Sensitivity of final {metric}\n{_scenario(data)}",
                                               sample_warning(exp, table)),
                out)


#: Largest population whose network snapshots a report re-runs and draws.
SNAPSHOT_MAX_CONSUMERS = 20_000


def _has_events(data: Data) -> bool:
    return bool(_event_design(data)[0]) and "strategy" in data.timeseries


def _make_event_window(data: Data, out: Path, metric: str) -> list[Figure]:
    starts, _, other = _event_design(data)
    table = figures.event_window_table(data.timeseries, starts, panels=[*other, "events"])
    return _one(data, "event_window", "Focal sales around the event",
                f"One panel per design point and event set: the focal brand's weekly sales ({SMOOTH_WEEKS}-week "
                "trailing mean) from 8 weeks before to 40 weeks after the event's start (dotted line), mean per "
                "strategy over replicates with its 95 % band. A line that dips and climbs back quickly is a "
                "strategy that recovers fast. The runs without the event (same seeds) are the reference of the "
                "recovery table, not drawn here.",
                lambda p: figures.plot_event_window(table, p, title=f"Focal sales around the event\n{_scenario(data)}"),
                out)


def _has_network(data: Data) -> bool:
    params = _params_of(data)
    return (data.kind == "runs" and bool({"broadcast", "dialogue"} & set(data.strategies)) and bool(params)
            and params.get("n_consumers", 0) <= SNAPSHOT_MAX_CONSUMERS)


def _make_network(data: Data, out: Path, metric: str) -> list[Figure]:
    params = _params_of(data)
    steps = int(params.get("steps", 52))
    pair = [s for s in ("broadcast", "dialogue") if s in data.strategies]
    seed = int(data.finals["seed"].iloc[0]) if "seed" in data.finals else 0
    return _one(data, "network", "Attitudes on the network",
                "Each dot a consumer on the same layout in every panel: colour = attitude (blue "
                "positive, red negative, grey unaware), size = loyalty; one row per strategy, one "
                "column per week shown. Same consumers and seed in both rows.",
                lambda p: plot_network_snapshots(params, seed, sorted({0, steps // 4, steps // 2, steps}), pair, p,
                                                 title=f"Attitudes on the network\n{_scenario(data)}"), out)


#: Every figure a report can show, in the order it shows them.
FIGURES: tuple[FigureMaker, ...] = (
    FigureMaker("metrics", _has_strategies, _make_metrics, per_scenario=True),
    FigureMaker("loyalty", _has_strategies, _make_loyalty, per_scenario=True),
    FigureMaker("final", _has_strategies, _make_final, per_scenario=True),
    FigureMaker("incremental_roi", _has_roi, _make_roi),  # one figure, a panel per scenario
    FigureMaker("roi_estimate", _has_roi_estimate, _make_roi_estimate),  # a panel per scenario
    FigureMaker("segments", _has_segments, _make_segments, per_scenario=True),
    FigureMaker("sweep_1d", lambda data: bool(data.numeric_varied), _make_sweep_1d),
    FigureMaker("heatmap", _two_axes, _make_heatmaps),
    FigureMaker("difference", _has_difference, _make_difference),
    FigureMaker("sensitivity", _is_sensitivity_design, _make_sensitivity),
    FigureMaker("event_window", _has_events, _make_event_window),
    FigureMaker("network", _has_network, _make_network, reruns_model=True, per_scenario=True),
)


def build_figures(data: Data, out: Path, metric: str = "loyalty", snapshots: bool = True) -> list[Figure]:
    """Every figure of :data:`FIGURES` that applies to the data, saved under ``out``
    (``snapshots=False``: without those that re-run the model)."""
    figs: list[Figure] = []
    parts = scenario_parts(data)
    for maker in FIGURES:
        if not snapshots and maker.reruns_model:
            continue
        for part in parts if maker.per_scenario else [data]:
            if maker.applies(part):
                figs += maker.make(part, out, metric)
    return figs


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
def _status(data: Data) -> tuple[str, list[tuple[str, str]]]:
    if data.kind != "sweep" or data.runs is None:
        return f"{len(data.finals)} finished run(s).", []
    counts = data.runs["status"].value_counts().to_dict()
    done, failed = counts.get("done", 0), counts.get("failed", 0)
    total = data.tasks_total or (done + failed)
    text = f"{done} of {total} runs finished, {failed} failed."
    if done + failed < total:
        text += (f" **The sweep is still in progress or was interrupted**: this report covers the "
                 f"{done} finished runs; run the same sweep command again to complete it.")
    bad = data.runs[data.runs["status"] == "failed"]
    return text, [(r, str(e).splitlines()[0] if e else "") for r, e in zip(bad["run_id"], bad["error"])]


# --------------------------------------------------------------------------------------
# the headline: one table per scenario
# --------------------------------------------------------------------------------------
#: The headline tables of a headline folder as Markdown, beside its report (README's block).
HEADLINE_FILE_MD = "headline.md"
README_BEGIN = ("<!-- BEGIN headline tables: generated by `python run.py` (results/headline/headline.md), "
                "do not edit by hand -->")
README_END = "<!-- END headline tables -->"


def headline_of(data: Data) -> list[HeadlineBlock]:
    """The blocks of :func:`simulation.outputs.tables.headline_blocks` of a headline folder
    (one per design point, e.g. scenario), empty for other data."""
    h = data.headline
    if h is None or "strategy" not in data.finals:
        return []
    design = [c for c in h.get("design", []) if c in data.finals]
    table = H.headline_table(data.finals, design)
    points = H.points_of(table, design)
    texts = [H.scenario_text(H.point_params(data.meta.get("params") or {}, pt)) for pt in points]
    return headline_blocks(table, H.leaders(data.finals, design), points, texts, H.TABLE_METRICS)


def headline_text(directory: str | Path, markdown: bool = False) -> str:
    """The headline tables of a headline output folder, as the command line prints them."""
    return format_headline(headline_of(read_output(directory)), markdown)


def sync_readme(directory: str | Path, readme: Path = REPO_ROOT / "README.md",
                committed: Path = REPO_ROOT / "results" / "headline") -> bool:
    """Replace README's generated headline block (between :data:`README_BEGIN` and
    :data:`README_END`) with ``directory/headline.md`` when ``directory`` is the
    repository's ``committed`` headline folder; True if README changed.

    So the README's headline tables are always those of the committed results: re-running
    ``python run.py`` after a change of defaults updates both; a headline written
    elsewhere (``--out``) leaves README alone.
    """
    d = Path(directory).resolve()
    source = d / HEADLINE_FILE_MD
    if d != Path(committed).resolve() or not source.is_file() or not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        return False
    new = text[:start + len(README_BEGIN)] + "\n" + source.read_text(encoding="utf-8").rstrip() + "\n" + text[end:]
    if new == text:
        return False
    write_atomic(readme, new)
    return True


#: Provenance keys of run.json / sweep.json quoted in a report: the ones that do not change
#: when the same code runs again (not ``created``, ``command``, ``git_commit``, ``machine``).
STABLE_PROVENANCE = ("versions",)


def build_report(directory: str | Path, metric: str = "loyalty", snapshots: bool = True,
                 figure_dir: str = FIGURE_DIR, out: str | Path | None = None) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` (and the figures, in ``figure_dir``) into
    ``out`` (default: ``directory``, the data folder), checked before any figure is drawn."""
    data = read_output(directory)
    d = check_output(out if out is not None else data.directory,
                     option="--out" if out is not None else "report folder (the data folder; give --out elsewhere)")
    figs = build_figures(data, d / figure_dir, metric=metric, snapshots=snapshots)
    table = summary_table(data)
    recovery = recovery_table(data)
    status, failed = _status(data)
    meta = data.meta
    # Only what the same code and environment reproduce; the rest stays in the JSON file.
    prov = {k: meta.get(k) for k in STABLE_PROVENANCE if k in meta}
    prov["time, command, commit, machine"] = "sweep.json" if data.kind == "sweep" else "run.json"
    what = meta.get("experiment") or {k: meta.get(k) for k in ("changed", "base_seed", "seeds", "replicates")}
    title = f"womsim report: {data.directory.name}"
    blocks = headline_of(data)
    roi = roi_estimate_table(data)
    md = _markdown(title, data, what, prov, status, failed, table, figs, figure_dir, blocks, recovery, roi)
    html_text = _html(title, data, what, prov, status, failed, table, figs, blocks, recovery, roi)
    write_atomic(d / "report.md", md)
    write_atomic(d / "report.html", html_text)
    paths = {"md": d / "report.md", "html": d / "report.html"}
    if blocks:
        write_atomic(d / HEADLINE_FILE_MD, format_headline(blocks, markdown=True) + "\n")
        paths["headline"] = d / HEADLINE_FILE_MD
    return paths


#: What a headline report says before its tables.
HEADLINE_INTRO = ("Strategies are compared within each scenario, never pooled across them: every strategy and "
                  "scenario of a replicate runs on the same seed (common random numbers), and the incremental ROI "
                  "pairs each run with the `none` run of the same seed and scenario.")


#: Heading of the report's section on the firm's ROI estimate.
ROI_ESTIMATE_HEADING = "The firm's ROI estimate against the true incremental ROI"


def _markdown(title, data, what, prov, status, failed, table, figs, figure_dir, blocks=(), recovery=None,
              roi=None) -> str:
    parts = [f"# {title}", "", "## What was run", "",
             f"- Output: `{data.directory}` ({'sweep run store' if data.kind == 'sweep' else 'simulation runs'})",
             f"- Definition: `{json.dumps(what, default=str)}`",
             f"- Provenance: `{json.dumps(prov, default=str)}`", "", f"**Status:** {status}", ""]
    if failed:
        parts += ["### Failed runs", ""] + [f"- `{r}`: {e}" for r, e in failed] + [""]
    if blocks:
        parts += ["## Headline: one table per scenario", "", HEADLINE_INTRO, "",
                  format_headline(blocks, markdown=True), ""]
    parts += ["## Final values (mean [95 % confidence interval] over runs)", "", render_frame(table, markdown=True), "",
              INTERVAL_NOTE, ""]
    if recovery is not None:
        parts += ["## Recovery after the event (mean [95 % confidence interval] over runs)", "",
                  render_frame(recovery, markdown=True), "", RECOVERY_NOTE, ""]
    if roi is not None:
        parts += [f"## {ROI_ESTIMATE_HEADING}", "", render_frame(roi, markdown=True), "", ROI_ESTIMATE_NOTE, ""]
    parts += ["## Figures", ""]
    for f in figs:
        src = f.png.name if figure_dir in ("", ".") else f"{figure_dir}/{f.png.name}"
        parts += [f"### {f.title}", "", f"![{f.title}]({src})", "",
                  f"*How to read:* {f.how_to_read}", ""]
    return "\n".join(parts)


_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}table{border-collapse:collapse;font-size:.85em;margin:1em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}th{background:#f3f3f3}
img{max-width:100%;border:1px solid #eee}code{background:#f6f6f6;padding:0 .2em;word-break:break-all}
.how{color:#444;font-style:italic}.status{background:#fff8e1;padding:.5em;border-left:4px solid #E69F00}"""


def _html_table(table: pd.DataFrame) -> str:
    esc = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
                   for r in table.itertuples(index=False))
    head = "".join(f"<th>{esc(str(c))}</th>" for c in table.columns)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _html(title, data, what, prov, status, failed, table, figs, blocks=(), recovery=None, roi=None) -> str:
    esc = html.escape
    body = [f"<h1>{esc(title)}</h1>", "<h2>What was run</h2><ul>",
            f"<li>Output: <code>{esc(str(data.directory))}</code></li>",
            f"<li>Definition: <code>{esc(json.dumps(what, default=str))}</code></li>",
            f"<li>Provenance: <code>{esc(json.dumps(prov, default=str))}</code></li></ul>",
            f"<p class='status'><b>Status:</b> {esc(status).replace('**', '')}</p>"]
    if failed:
        body.append("<h3>Failed runs</h3><ul>" + "".join(
            f"<li><code>{esc(r)}</code>: {esc(e)}</li>" for r, e in failed) + "</ul>")
    if blocks:
        body.append(f"<h2>Headline: one table per scenario</h2><p>{esc(HEADLINE_INTRO)}</p>")
        for b in blocks:
            body.append(f"<h3>{esc(b.title)}</h3><p>{esc(b.description)}</p>{_html_table(b.cells)}")
            if b.sentences:
                body.append("<p>Highest means, from the numbers above:</p><ul>"
                            + "".join(f"<li>{esc(x)}</li>" for x in b.sentences) + "</ul>")
        body.append(f"<p class='how'>{esc(HEADLINE_NOTE)}</p>")
    body.append(f"<h2>Final values (mean [95 % confidence interval] over runs)</h2>{_html_table(table)}"
                f"<p class='how'>{esc(INTERVAL_NOTE)}</p>")
    if recovery is not None:
        body.append("<h2>Recovery after the event (mean [95 % confidence interval] over runs)</h2>"
                    f"{_html_table(recovery)}<p class='how'>{esc(RECOVERY_NOTE)}</p>")
    if roi is not None:
        body.append(f"<h2>{esc(ROI_ESTIMATE_HEADING)}</h2>{_html_table(roi)}"
                    f"<p class='how'>{esc(ROI_ESTIMATE_NOTE)}</p>")
    body.append("<h2>Figures</h2>")
    for f in figs:
        data_uri = "data:image/png;base64," + base64.b64encode(f.png.read_bytes()).decode()
        body.append(f"<h3>{esc(f.title)}</h3><img alt='{esc(f.title)}' src='{data_uri}'>"
                    f"<p class='how'>How to read: {esc(f.how_to_read)}</p>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def main_report(directory: str, metric: str = "loyalty", snapshots: bool = True,
                out: str | None = None) -> int:
    check_metric(metric)
    paths = build_report(directory, metric, snapshots, out=out)
    print(f"wrote {paths['html']} and {paths['md']}")
    return 0
