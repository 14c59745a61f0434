"""How much the headline leans on ``post_attention``: the focal market share per strategy as the
share of noticed reads about an unknown brand varies.

    python benchmarks/bench_post_attention.py              # N = 2,000, 104 weeks, 10 replicates, established
    python benchmarks/bench_post_attention.py --quick      # 4 replicates, 52 weeks
    python benchmarks/bench_post_attention.py --set scenario=launch

Not a timed test: it measures a property of the model, never asserts one. ``post_attention``
(docs/ODD.md 7.7) is an assumption (0.3, the value of ``ad_attention``); the table shows, for
each value, the focal brand's share of all category purchases in the last 13 weeks (pooled over
those weeks: ``market_share_13w`` of the headline, :func:`simulation.research.headline.late_share`),
mean [95 % t-interval] over replicates that share their seeds across values and strategies
(common random numbers).
"""

from __future__ import annotations

import sys
import time

import benchlib
import numpy as np
import pandas as pd
from scipy import stats

from simulation.core.params import Params
from simulation.research.executors import run_tasks
from simulation.research.headline import SHARE_COLUMN, SHARE_WEEKS, late_share
from simulation.research.tasks import Task, run_seed

STRATEGIES = ("none", "broadcast", "dialogue", "mixed")
VALUES = (0.1, 0.3, 0.6, 1.0)


def main(argv: list[str] | None = None) -> int:
    ap = benchlib.property_parser(__doc__.splitlines()[0], replicates=10, seed=2026)
    args = benchlib.parse_property_args(ap, argv)
    overrides = {"scenario": "established", **Params.parse_assignments(args.set)}
    base = Params(**{"n_consumers": args.n, "steps": args.steps, **overrides})
    tasks = [Task({**base.to_dict(), "strategy": st, "post_attention": v}, run_seed(args.seed, r),
                  {"strategy": st, "post_attention": v, "replicate": r})
             for v in VALUES for st in STRATEGIES for r in range(args.replicates)]
    start = time.perf_counter()
    frames = run_tasks(tasks, workers=args.workers, progress=False)
    print(f"scenario {base.scenario}, N = {args.n}, {args.steps} weeks, {args.replicates} replicates; "
          f"{time.perf_counter() - start:.0f} s")
    print(f"focal share of category purchases, last {SHARE_WEEKS} weeks: mean [95 % t-interval]")
    print(f"{'post_attention':>14s} " + " ".join(f"{st:>22s}" for st in STRATEGIES))
    for v in VALUES:
        cells = []
        for st in STRATEGIES:
            runs = [f for f in frames if f["strategy"].iloc[0] == st and f["post_attention"].iloc[0] == v]
            x = late_share(pd.concat(runs), ["replicate"])[SHARE_COLUMN].to_numpy()
            m, h = x.mean(), stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
            cells.append(f"{m:.3f} [{max(0.0, m - h):.3f}, {min(1.0, m + h):.3f}]")
        print(f"{v:14.1f} " + " ".join(f"{c:>22s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
