"""Scale: build time, us per agent-step and peak RSS of the default model at growing N.

    python benchmarks/bench_scale.py                                   # 10k, 100k, 1M x 10 weeks
    python benchmarks/bench_scale.py --sizes 1000000 2000000 5000000 --weeks 3   # memory growth
    python benchmarks/bench_scale.py --compare 100000                  # networkx vs numpy graph, one process

Each size runs in a fresh subprocess (so its peak RSS, ``ru_maxrss`` of the child, is its
own): ``create_model`` with the default, calibrated parameters (3 brands, strategy
`mixed`, Barabasi-Albert with mean degree 6) and ``n_consumers = N``, the build stages
timed (:mod:`simulation.core.progress`), then ``--weeks`` steps with data collection,
each timed; printed: build seconds by stage, the median step in ms and in us per
agent-step, peak RSS in MiB and in bytes per consumer. From 100,000 consumers the graph
is the vectorised generator's (docs/ODD.md, 5.1); the Mesa view is not made (nobody asks).

``--compare N`` builds the graph and tie strengths of N consumers both ways in this process,
interleaved, ``--repeats`` times: networkx's ``barabasi_albert_graph`` + ``to_adjacency``
against ``barabasi_albert_pairs`` + ``adjacency_from_pairs`` (medians and the ratio).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from simulation.core.progress import listening
from simulation.research.tasks import create_model
n, weeks = int(sys.argv[1]), int(sys.argv[2])
stages = {}
def heard(stage, seconds):
    if seconds is not None:
        stages[stage.split(" (")[0]] = round(seconds, 3)
t0 = time.perf_counter()
with listening(heard):
    model = create_model({"n_consumers": n, "steps": weeks}, rng=1)
build = time.perf_counter() - t0
steps = []
for _ in range(weeks):
    t = time.perf_counter()
    model.step()
    steps.append(time.perf_counter() - t)
print(json.dumps({"n": n, "build_s": round(build, 3), "stages": stages, "steps_s": steps,
                  "view_made": model.mesa_view_made,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_size(n: int, weeks: int) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, str(n), str(weeks)], cwd=ROOT,
                            capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(n: int, repeats: int) -> None:
    import networkx as nx
    import numpy as np

    from simulation.core.network import adjacency_from_pairs, to_adjacency
    from simulation.core.network.vectorised import barabasi_albert_pairs
    from simulation.core.views import cyclic_gc_paused

    nx_s, np_s = [], []
    for r in range(repeats):
        with cyclic_gc_paused():
            nx_s.append(benchlib.timed(lambda r=r: to_adjacency(
                nx.barabasi_albert_graph(n, 3, seed=np.random.default_rng(r)), 0.3)))
            np_s.append(benchlib.timed(lambda r=r: adjacency_from_pairs(
                barabasi_albert_pairs(n, 3, np.random.default_rng(r)), n, 0.3)))
    ratios = [a / b for a, b in zip(nx_s, np_s, strict=True)]
    print(f"N = {n:,}, m = 3, {repeats} interleaved repeats (GC paused as in the model):")
    for name, times in (("networkx graph + to_adjacency", nx_s), ("numpy pairs + adjacency_from_pairs", np_s)):
        print(f"  {name:35s} {benchlib.median(times):8.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    print(f"  ratio (median of per-repeat ratios): {benchlib.median(ratios):.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--weeks", type=int, default=10)
    ap.add_argument("--compare", type=int, default=None, metavar="N")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    benchlib.print_header()
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC")
    if args.compare:
        compare(args.compare, args.repeats)
        return
    print(f"{'N':>10} {'build s':>8} {'graph':>6} {'ties':>6} {'state':>6} {'step ms':>8} {'us/agent-step':>13} "
          f"{'peak MiB':>9} {'B/consumer':>10}")
    rows = []
    for n in args.sizes:
        r = run_size(n, args.weeks)
        step = benchlib.median(r["steps_s"])
        st = r["stages"]
        print(f"{n:>10,} {r['build_s']:>8.2f} {st.get('building graph', 0):>6.2f} {st.get('tie strengths', 0):>6.2f} "
              f"{st.get('initial state', 0):>6.2f} {1000 * step:>8.1f} {1e6 * step / n:>13.3f} "
              f"{r['peak_rss_mib']:>9.0f} {r['peak_rss_mib'] * 2**20 / n:>10.0f}", flush=True)
        rows.append(r)
    if len(rows) >= 2:
        import numpy as np

        n = np.array([r["n"] for r in rows], dtype=float)
        rss = np.array([r["peak_rss_mib"] for r in rows])
        slope, intercept = np.polyfit(n, rss, 1)
        fit = intercept + slope * n
        print(f"peak RSS ~ {intercept:.0f} MiB + {slope * 2**20:.0f} B x N (largest misfit "
              f"{np.max(np.abs(rss - fit) / rss) * 100:.1f} %); at N = 10M: {(intercept + slope * 1e7) / 1024:.1f} GiB")
    print(f"ended {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC")


if __name__ == "__main__":
    main()
