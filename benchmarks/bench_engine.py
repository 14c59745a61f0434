"""Engine speed: ms per step and us per agent-step, median of repeated runs.

    python benchmarks/bench_engine.py [--sizes 10000 100000] [--steps 20] [--repeats 3]
                                      [--facebook ../shared/data/facebook_combined.txt]

Barabasi-Albert graphs with m = 5 (mean_degree = 10), strategy `mixed` (every process
active). Construction (graph, CSR, Mesa agents) is timed separately from stepping.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from simulation import WordOfMouthModel
from simulation.provenance import package_versions


def bench(params: dict, steps: int, repeats: int) -> tuple[float, float, int]:
    build, step_ms, n = [], [], 0
    for r in range(repeats):
        t0 = time.perf_counter()
        model = WordOfMouthModel(params, rng=r)
        t1 = time.perf_counter()
        model.run(steps)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        step_ms.append(1000 * (t2 - t1) / steps)
        n = model.n_consumers
    return statistics.median(build), statistics.median(step_ms), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--facebook", type=Path, default=None, help="path to SNAP facebook_combined.txt")
    args = ap.parse_args()
    print(f"versions: {package_versions()}")
    print(f"{'graph':<28} {'N':>8} {'build s':>8} {'ms/step':>8} {'us/agent-step':>14}")
    cases = [(f"barabasi_albert m=5", {"n_consumers": n, "network": "barabasi_albert", "mean_degree": 10})
             for n in args.sizes]
    if args.facebook:
        cases.append(("SNAP ego-Facebook", {"network": f"file:{args.facebook}"}))
    for name, params in cases:
        build, ms, n = bench({**params, "strategy": "mixed"}, args.steps, args.repeats)
        print(f"{name:<28} {n:>8} {build:>8.2f} {ms:>8.2f} {1000 * ms / n:>14.3f}")


if __name__ == "__main__":
    main()
