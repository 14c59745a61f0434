"""Build time of a model, stage by stage: median seconds of repeated builds.

    python benchmarks/bench_build.py --sizes 100000 1000000 --repeats 3

The stages are the ones the command line reports while a model is built
(:mod:`simulation.core.progress`): graph generation, tie strengths (CSR), initial state,
Mesa agents. Barabasi-Albert with the model's default parameters (what
``run.py simulate --set n_consumers=N`` builds), seeds 0, 1, 2, ...; each build is timed
through the model's own ``on_stage`` listener, so the figures are exactly the stages a
user waits for. No step is run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import time
from collections import defaultdict

import benchlib


def build_once(n: int, seed: int, engine: str) -> tuple[dict[str, float], float]:
    """Stage durations (stage name without its size, plus ``rest``: the constructor's time
    outside the stages) and the whole constructor's time."""
    from simulation.research.tasks import create_model

    stages: dict[str, float] = {}

    def listener(stage: str, seconds: float | None) -> None:
        if seconds is not None:
            stages[stage.split(" (")[0]] = seconds

    t0 = time.perf_counter()
    model = create_model({"n_consumers": n, "network": "barabasi_albert", "engine": engine},
                         rng=seed, on_stage=listener)
    total = time.perf_counter() - t0
    stages["rest"] = total - sum(stages.values())  # Mesa model set-up, first data collection
    del model
    gc.collect()
    return stages, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--engine", default="vectorised", choices=("vectorised", "reference"))
    args = ap.parse_args()
    benchlib.print_header()
    for module in ("simulation.core.model", "simulation.core.reference"):
        importlib.import_module(module)  # imported before timing: not a build stage
    print(f"Barabasi-Albert, default parameters, engine {args.engine}; median of {args.repeats} builds "
          "(seeds 0..); seconds per stage")
    for n in args.sizes:
        per_stage: dict[str, list[float]] = defaultdict(list)
        totals = []
        for seed in range(args.repeats):
            stages, total = build_once(n, seed, args.engine)
            for name, seconds in stages.items():
                per_stage[name].append(seconds)
            totals.append(total)
            print(f"  N = {n:,} seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
                  + f", constructor total {total:.2f}", flush=True)
        cells = ", ".join(f"{k} {benchlib.median(v):.2f}" for k, v in per_stage.items())
        print(f"N = {n:,}: median {cells}; constructor total {benchlib.median(totals):.2f} s", flush=True)


if __name__ == "__main__":
    main()
