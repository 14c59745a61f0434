"""Ad-budget elasticity of the focal brand's sales in the market (v2), at launch and established.

    python benchmarks/bench_elasticity.py                      # N = 2,000, 60 replicates, both scenarios
    python benchmarks/bench_elasticity.py --quick              # N = 500, 8 replicates: a smoke run
    python benchmarks/bench_elasticity.py --set ad_attention=0.5 --set reactance_threshold=8
    python benchmarks/bench_elasticity.py --grid --replicates 20   # the settings tried (GRID below)

Not a timed test: it measures a property of the model, never asserts one. The focal brand
follows strategy ``broadcast`` with weekly budget ``budget`` = b (impression units per
consumer); the rivals keep ``rival_budget`` and their own strategy. Everything else is the
defaults of ``simulation/core/params.py`` (docs/ODD.md, 2.3 The brands and 7 Submodels),
changed only by ``--set``.

Definitions
-----------
Sales S are the focal brand's purchases (``model.tally.purchases``, summed over weeks).

* **Short-term elasticity** at base budget b (a temporary change): run b for ``--warmup``
  weeks (52), then b * (1 + delta) for ``--burst`` weeks (4; delta = ``--delta``, 1 by
  default, i.e. the budget doubles); compare the focal sales of those burst weeks with the
  same weeks of the same seed run at b throughout:
  ``e_short(b) = ln(S_burst / S_same weeks at b) / ln(1 + delta)``, a log arc elasticity
  (the derivative d ln S / d ln b near b * sqrt(1 + delta) for a smooth response). Sales in
  the weeks after the burst (carry-over) are not counted: the short-term elasticity of the
  meta-analyses is the same-period effect.
* **Long-term elasticity** (a permanent change): the ln-ln slope of total focal sales over
  the whole horizon (``--steps``, 104 weeks) between two budgets run from week 0,
  ``e_long(b1 -> b2) = ln(S(b2) / S(b1)) / ln(b2 / b1)``, for consecutive budgets
  (0.5 -> 1, 1 -> 2, and 2 -> 4 to see whether sales collapse at high spend). At launch this
  includes the build-up of awareness; for an established brand it is mostly retention.
* **Pooled over 0.5-2**: the short-term elasticity averaged over the base budgets 0.5, 1 and
  2 within a replicate, and the long-term slope ln(S(2) / S(0.5)) / ln 4 (= the mean of the
  two arcs).

Paired seeds (common random numbers): replicate r uses seed ``--seed + r`` for every budget
and both the burst and the steady run, so within a replicate the graph, the segments, the
initial state and every draw up to the first week in which the budgets differ are the same;
from then on the streams diverge (the number of impressions drawn differs), which is the
noise that remains. Elasticities are computed per replicate, then averaged; 95 % intervals
are Student-t intervals across replicates (``simulation.research.stats.mean_ci``). A
replicate with zero sales in a compared window gives an infinite log ratio and is left out
(the count ``n`` is printed when it is below the number of replicates).

Reference values: Sethuraman, R., Tellis, G. J., & Briesch, R. A. (2011). How well does
advertising work? Generalizations from meta-analysis of brand advertising elasticities.
Journal of Marketing Research 48(3), 457-471: mean short-term ad elasticity about 0.12,
long-term about 0.24, higher for new products (here: at launch) than for established ones.
Issue 11 asks for short-term about 0.1 and long-term about 0.2 at budgets 0.5-2, and no
collapse of sales at a few impressions a week.

The budget changes inside a run are made here, not in the engine: between two steps the
focal brand is rebuilt with ``Brand.make`` at the new budget
(``simulation.research.calibration.set_focal_budget``, shared with the calibration check).
Replicates run in ``--workers`` forked processes.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass

import benchlib
import numpy as np

from simulation.core.model import WordOfMouthModel
from simulation.core.network import build_graph
from simulation.core.params import Params
from simulation.research.calibration import set_focal_budget
from simulation.research.stats import mean_ci

SCENARIOS = ("launch", "established")
BUDGETS = (0.5, 1.0, 2.0, 4.0)
POOLED = (0.5, 2.0)  # the budget range of the targets
TARGET_SHORT, TARGET_LONG = 0.1, 0.2

# Settings tried by --grid: name -> parameter overrides (the defaults of params.py otherwise).
GRID: dict[str, dict[str, float]] = {
    "defaults": {},
    "ad_effect=0.15": {"ad_effect": 0.15},
    "ad_attention=0.6": {"ad_attention": 0.6},
    "awareness_decay=0.15": {"awareness_decay": 0.15},
    "ad_effect=0.15, awareness_decay=0.15": {"ad_effect": 0.15, "awareness_decay": 0.15},
    "ad_effect=0.15, reactance_threshold=8, wearout=5": {"ad_effect": 0.15, "reactance_threshold": 8,
                                                         "wearout": 5},
    "purchase_attitude=6": {"purchase_attitude": 6},
    "awareness_decay=0.1": {"awareness_decay": 0.1},
    "awareness_decay=0.1, reactance_threshold=8": {"awareness_decay": 0.1, "reactance_threshold": 8},
    "awareness_decay=0.1, reactance_threshold=8, wearout=5": {"awareness_decay": 0.1, "reactance_threshold": 8,
                                                              "wearout": 5},
    "awareness_decay=0.08, reactance_threshold=8, wearout=5": {"awareness_decay": 0.08, "reactance_threshold": 8,
                                                               "wearout": 5},
    "awareness_decay=0.12, reactance_threshold=8": {"awareness_decay": 0.12, "reactance_threshold": 8},
}


@dataclass(frozen=True)
class Task:
    """One replicate of one scenario under one setting."""

    setting: str
    overrides: tuple[tuple[str, str], ...]
    scenario: str
    seed: int
    n: int
    steps: int
    warmup: int
    burst: int
    delta: float
    budgets: tuple[float, ...]


class _NoCollection:
    """Stands in for Mesa's DataCollector: this script reads the tally, not the metrics, and
    collecting every metric each week is about a fifth of a step. Metrics draw no random
    number, so the run is the same."""

    def collect(self, model) -> None:
        pass


def new_model(params: Params, seed: int, graph) -> WordOfMouthModel:
    model = WordOfMouthModel(params, rng=seed, graph=graph)
    model.datacollector = _NoCollection()
    return model


def weekly_sales(model: WordOfMouthModel, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Run ``weeks`` steps; (focal purchases, category purchases) per week."""
    focal, category = np.zeros(weeks), np.zeros(weeks)
    for w in range(weeks):
        model.step()
        focal[w], category[w] = model.tally.purchases, model.tally.category_purchases
    return focal, category


def replicate(task: Task) -> dict:
    """Steady runs at every budget (whole horizon) and burst runs (warm-up, then the raised
    budget for the burst weeks), all on the same seed."""
    out = {"task": task, "total": [], "share": [], "awareness": [], "base_window": [], "burst_window": []}
    window = slice(task.warmup, task.warmup + task.burst)
    graph = None
    for b in task.budgets:
        params = Params(**dict(task.overrides), n_consumers=task.n, steps=task.steps,
                        scenario=task.scenario, strategy="broadcast", budget=b)
        if graph is None:  # the graph does not depend on the budget: build it once (~40 % of the cost)
            graph = build_graph(params, np.random.default_rng(task.seed))
        model = new_model(params, task.seed, graph)
        focal, category = weekly_sales(model, task.steps)
        out["total"].append(focal.sum())
        out["share"].append(focal.sum() / max(category.sum(), 1.0))
        out["awareness"].append(float(model.state.aware[:, 0].mean()))
        out["base_window"].append(focal[window].sum())

        model = new_model(params, task.seed, graph)
        weekly_sales(model, task.warmup)
        set_focal_budget(model, b * (1.0 + task.delta))
        out["burst_window"].append(weekly_sales(model, task.burst)[0].sum())
    return {k: (np.asarray(v) if k != "task" else v) for k, v in out.items()}


def log_ratio(num, den) -> np.ndarray:
    """ln(num / den), NaN where either is 0 (left out of the means)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(num / den)
    return np.where(np.isfinite(r), r, np.nan)


@dataclass
class Summary:
    """Per-replicate elasticities of one setting and scenario, arrays over replicates."""

    budgets: tuple[float, ...]
    total: np.ndarray        # (R, K) focal sales over the horizon
    share: np.ndarray        # (R, K) focal share of category purchases over the horizon
    awareness: np.ndarray    # (R, K) focal awareness at the end
    short: np.ndarray        # (R, K) short-term elasticity at each base budget
    long: np.ndarray         # (R, K - 1) long-term arc elasticity between consecutive budgets
    short_pooled: np.ndarray  # (R,)
    long_pooled: np.ndarray   # (R,)


def summarise(results: list[dict], delta: float) -> Summary:
    budgets = results[0]["task"].budgets
    get = lambda key: np.vstack([r[key] for r in results])  # noqa: E731 - a local shorthand
    total = get("total")
    short = log_ratio(get("burst_window"), get("base_window")) / math.log1p(delta)
    long = log_ratio(total[:, 1:], total[:, :-1]) / np.log(np.asarray(budgets[1:]) / np.asarray(budgets[:-1]))
    lo, hi = budgets.index(POOLED[0]), budgets.index(POOLED[1])
    return Summary(budgets, total, get("share"), get("awareness"), short, long,
                   short[:, lo:hi + 1].mean(axis=1),
                   log_ratio(total[:, hi], total[:, lo]) / math.log(POOLED[1] / POOLED[0]))


def ci(values, digits: int = 3) -> str:
    """'mean [lo, hi]' over the finite values, with their count if some were left out."""
    values = np.asarray(values, float)
    m, lo, hi = mean_ci(values)
    n, total = int(np.isfinite(values).sum()), values.size
    text = f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text if n == total else f"{text} (n = {n})"


def detail_table(scenario: str, s: Summary, delta: float, steps: int) -> str:
    rows = [f"\n**{scenario}** ({s.total.shape[0]} replicates; short-term: budget x {1 + delta:g} "
            f"for the burst weeks)\n",
            f"| budget | focal sales ({steps} wk) | focal share of category purchases ({steps} wk) "
            "| focal awareness (end) "
            "| short-term elasticity at b | long-term arc b -> next |",
            "|---:|---:|---:|---:|---:|---:|"]
    for k, b in enumerate(s.budgets):
        arc = ci(s.long[:, k]) + f" ({b:g} -> {s.budgets[k + 1]:g})" if k < len(s.budgets) - 1 else ""
        rows.append(f"| {b:g} | {s.total[:, k].mean():,.0f} | {s.share[:, k].mean():.3f} "
                    f"| {s.awareness[:, k].mean():.3f} | {ci(s.short[:, k])} | {arc} |")
    rows.append(f"\npooled over budgets {POOLED[0]:g}-{POOLED[1]:g}: short-term {ci(s.short_pooled)}, "
                f"long-term {ci(s.long_pooled)} (targets about {TARGET_SHORT}, {TARGET_LONG})")
    return "\n".join(rows)


GRID_HEADER = ("| setting | launch short | launch long | launch long 2->4 | est. short | est. long "
               "| est. long 2->4 | share at b=1 (launch / est.) | awareness at b=1 (launch / est.) |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def grid_row(name: str, by_scenario: dict[str, Summary]) -> str:
    cells = [name]
    for sc in SCENARIOS:
        s = by_scenario[sc]
        k4 = s.budgets.index(4.0) - 1 if 4.0 in s.budgets else None
        cells += [ci(s.short_pooled, 2), ci(s.long_pooled, 2), ci(s.long[:, k4], 2) if k4 is not None else ""]
    k1 = by_scenario[SCENARIOS[0]].budgets.index(1.0)
    cells.append(" / ".join(f"{by_scenario[sc].share[:, k1].mean():.3f}" for sc in SCENARIOS))
    cells.append(" / ".join(f"{by_scenario[sc].awareness[:, k1].mean():.3f}" for sc in SCENARIOS))
    return "| " + " | ".join(cells) + " |"


def run_all(tasks: list[Task], workers: int) -> list[dict]:
    """Every task, in ``workers`` forked processes; progress on stderr."""
    t0, results = time.perf_counter(), []
    step = max(1, len(tasks) // 10)
    with mp.get_context("fork").Pool(workers) as pool:
        for i, res in enumerate(pool.imap_unordered(replicate, tasks), 1):
            results.append(res)
            if i % step == 0 or i == len(tasks):
                print(f"  {i}/{len(tasks)} replicate-scenarios, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-consumers", type=int, default=2000)
    ap.add_argument("--replicates", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0, help="replicate r uses seed + r")
    ap.add_argument("--steps", type=int, default=104, help="horizon of the long-term runs (weeks)")
    ap.add_argument("--warmup", type=int, default=52, help="weeks at the base budget before the burst")
    ap.add_argument("--burst", type=int, default=4, help="weeks of the raised budget")
    ap.add_argument("--delta", type=float, default=1.0, help="the burst multiplies the budget by 1 + delta")
    ap.add_argument("--budgets", type=float, nargs="+", default=list(BUDGETS))
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter override (repeatable), as in run.py")
    ap.add_argument("--grid", nargs="*", metavar="NAME", default=None,
                    help="run these settings of GRID (all if no name is given), with --set on top")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="N = 500, 8 replicates: a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.n_consumers, args.replicates = 500, 8
    budgets = tuple(sorted(set(args.budgets) | set(POOLED) | {1.0}))
    if args.warmup + args.burst > args.steps:
        ap.error("--warmup + --burst must fit in --steps")
    common = Params.parse_assignments(args.set)
    if args.grid is not None:
        unknown = [name for name in args.grid if name not in GRID]
        if unknown:
            ap.error(f"unknown grid setting(s) {unknown}; known: {list(GRID)}")
        settings = {name: {**GRID[name], **common} for name in (args.grid or GRID)}
    else:
        settings = {", ".join(args.set) or "defaults": common}

    benchlib.print_header()
    last_seed = args.seed + args.replicates - 1
    print(f"N = {args.n_consumers:,}, {args.replicates} replicates (seeds {args.seed}..{last_seed}), "
          f"horizon {args.steps} weeks, burst weeks {args.warmup + 1}-{args.warmup + args.burst} at budget x "
          f"{1 + args.delta:g}, budgets {', '.join(f'{b:g}' for b in budgets)}, focal strategy broadcast, "
          f"{args.workers} workers", flush=True)
    t0, cpu0 = time.perf_counter(), os.times()
    tasks = [Task(name, tuple(sorted((k, str(v)) for k, v in values.items())), sc, args.seed + r,
                  args.n_consumers, args.steps, args.warmup, args.burst, args.delta, budgets)
             for name, values in settings.items() for sc in args.scenarios for r in range(args.replicates)]
    results = run_all(tasks, args.workers)
    wall, cpu1 = time.perf_counter() - t0, os.times()
    cpu = (cpu1.user + cpu1.system + cpu1.children_user + cpu1.children_system
           - cpu0.user - cpu0.system - cpu0.children_user - cpu0.children_system)

    summaries: dict[str, dict[str, Summary]] = {}
    for name in settings:
        for sc in args.scenarios:
            chosen = sorted((r for r in results if r["task"].setting == name and r["task"].scenario == sc),
                            key=lambda r: r["task"].seed)
            summaries.setdefault(name, {})[sc] = summarise(chosen, args.delta)
    for name, by_scenario in summaries.items():
        print(f"\n### setting: {name}")
        for sc, s in by_scenario.items():
            print(detail_table(sc, s, args.delta, args.steps))
    if set(args.scenarios) == set(SCENARIOS):
        print("\nSummary (elasticities pooled over budgets 0.5-2, long 2->4 the arc at high spend; 95 % CI "
              "across replicates)\n")
        print(GRID_HEADER)
        for name, by_scenario in summaries.items():
            print(grid_row(name, by_scenario))
    runs = len(tasks) * len(budgets)
    print(f"\nwall {wall:.0f} s for {len(tasks)} replicate-scenarios ({runs} steady runs of {args.steps} weeks "
          f"+ {runs} burst runs of {args.warmup + args.burst} weeks), {args.workers} workers, "
          f"{cpu:.0f} CPU-s")


if __name__ == "__main__":
    main()
