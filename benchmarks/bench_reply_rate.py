"""Reply rate and dialogue utilisation at the defaults: the calibration of ``reply_cost``.

    python benchmarks/bench_reply_rate.py                          # N = 2,000, 104 weeks, 8 replicates
    python benchmarks/bench_reply_rate.py --quick                  # 4 replicates, 52 weeks: a smoke run
    python benchmarks/bench_reply_rate.py --set reply_cost=10000   # any parameter, as on the command line

Not a timed test: it measures a property of the model, never asserts one. For the focal
strategies ``dialogue`` and ``mixed`` (the rivals keep ``rival_strategy``) in both scenarios,
at the defaults of ``simulation/core/params.py`` changed only by ``--set``, it reports at the
last week, mean over replicates (and the standard deviation across them):

* ``reply_rate``: posts about the focal brand ever answered / posts ever written about it;
* ``dialogue_utilisation``: replies / the capacity the dialogue budget bought;
* posts and replies per week about / by the focal brand;
* spend / budget: what was spent (unused capacity is not, docs/ODD.md section 9) over the
  budget.

``reply_cost`` is calibrated on the first row (dialogue, established, budget 1) to a reply
rate of about 15 % (brands answer about 1 in 10 to 1 in 8 social messages; docs/ODD.md 7.8).
While capacity binds (utilisation near 1), replies a week = budget x N / reply_cost, so the
reply rate is inversely proportional to ``reply_cost``; the script prints the
``reply_cost`` that would move the first row to ``--target`` by that rule. Post volume
depends on other defaults (reach, consultation, posting), so rerun this after changing them.
"""

from __future__ import annotations

import sys
import time

import benchlib
import numpy as np

from simulation.core.params import Params
from simulation.research.executors import run_tasks
from simulation.research.tasks import Task, run_seed

STRATEGIES = ("dialogue", "mixed")
SCENARIOS = ("established", "launch")


def main(argv: list[str] | None = None) -> int:
    ap = benchlib.property_parser(__doc__.splitlines()[0], replicates=8, seed=100)
    ap.add_argument("--target", type=float, default=0.15, help="reply rate aimed at (dialogue, established)")
    args = benchlib.parse_property_args(ap, argv)
    overrides = Params.parse_assignments(args.set)
    base = Params(**{"n_consumers": args.n, "steps": args.steps, **overrides})
    tasks = [Task({**base.to_dict(), "strategy": st, "scenario": sc}, run_seed(args.seed, r),
                  {"strategy": st, "scenario": sc, "replicate": r})
             for sc in SCENARIOS for st in STRATEGIES for r in range(args.replicates)]
    start = time.perf_counter()
    frames = run_tasks(tasks, workers=args.workers, progress=False)
    print(f"N = {args.n}, {args.steps} weeks, {args.replicates} replicates, budget = {base.budget:g}, "
          f"reply_cost = {base.reply_cost:g}, rivals {base.rival_strategy}; {time.perf_counter() - start:.0f} s")
    print(f"{'scenario':12s} {'strategy':9s} {'reply_rate':>16s} {'utilisation':>12s} {'posts/wk':>9s} "
          f"{'replies/wk':>11s} {'spend/budget':>13s}")
    first = None
    budget_total = base.budget * args.n * args.steps
    for sc in SCENARIOS:
        for st in STRATEGIES:
            runs = [f for f in frames if f["strategy"].iloc[0] == st and f["scenario"].iloc[0] == sc]
            last = [f.iloc[-1] for f in runs]
            rate = np.array([x["reply_rate"] for x in last], dtype=float)
            util = np.nanmean([x["dialogue_utilisation"] for x in last])
            posts = np.mean([f["posts"].iloc[1:].mean() for f in runs])
            replies = np.mean([f["replies"].iloc[1:].mean() for f in runs])
            spend = np.mean([x["spend"] for x in last]) / budget_total if budget_total else np.nan
            mean = np.nanmean(rate) if np.isfinite(rate).any() else np.nan
            sd = np.nanstd(rate) if np.isfinite(rate).any() else np.nan
            print(f"{sc:12s} {st:9s} {mean:8.3f} (sd {sd:.3f}) {util:12.3f} {posts:9.2f} {replies:11.2f} {spend:13.3f}")
            if first is None:
                first = mean
    if first and np.isfinite(first):
        print(f"reply_cost for a reply rate of {args.target:.0%} (dialogue, established; capacity binding): "
              f"about {base.reply_cost * first / args.target:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
