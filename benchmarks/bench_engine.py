"""Engine speed: ms per step and us per agent-step, median of repeated runs; peak RSS.

    python benchmarks/bench_engine.py --repeats 3 --facebook ../shared/data/facebook_combined.txt
    python benchmarks/bench_engine.py --rss-only --facebook ../shared/data/facebook_combined.txt

Barabasi-Albert graphs with m = 5 (mean_degree = 10), strategy `mixed` (every process
active). Construction (graph, CSR, Mesa agents) is timed separately from stepping.

``--rss`` (on by default; ``--no-rss`` skips it, ``--rss-only`` does nothing else): for
each graph, one model of ``--rss-steps`` (20) steps in a FRESH subprocess, which reports
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux) at the end, printed in MiB,
and, as a cross-check, ``VmHWM`` from ``/proc/self/status`` (the peak RSS of the child's
own address space). A subprocess that only imports the package gives the interpreter +
library baseline.

Linux carries ru_maxrss across fork/vfork + exec: a child's ru_maxrss is at least the peak
RSS of the process that started it. So the RSS part runs FIRST, while this parent has
imported nothing but numpy (the package is imported lazily), and the children's ru_maxrss
is their own; VmHWM is immune to this.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchlib


def bench(params: dict, steps: int, repeats: int) -> tuple[float, float, int]:
    from simulation import WordOfMouthModel

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


def rss_child(params: dict | None, steps: int) -> None:
    """Runs in the fresh subprocess: one model, ``steps`` steps, then peak RSS as JSON."""
    from simulation import WordOfMouthModel

    out = {"n": 0}
    if params is not None:
        model = WordOfMouthModel(params, rng=0)
        model.run(steps)
        out["n"] = model.n_consumers
    out["maxrss_mib"] = benchlib.max_rss_mib()
    out["vmhwm_mib"] = benchlib.vmhwm_mib()
    print(json.dumps(out))


def rss_in_subprocess(params: dict | None, steps: int) -> dict:
    cmd = [sys.executable, __file__, "--rss-child", json.dumps(params), "--rss-steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cases(args) -> list[tuple[str, dict]]:
    out = [("barabasi_albert m=5", benchlib.ba_params(n)) for n in args.sizes]
    if args.facebook:
        out.append(("SNAP ego-Facebook", {"network": f"file:{args.facebook}", "strategy": "mixed"}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--facebook", type=Path, default=None, help="path to SNAP facebook_combined.txt")
    ap.add_argument("--rss", action=argparse.BooleanOptionalAction, default=True,
                    help="peak RSS of one run per graph, each in a fresh subprocess")
    ap.add_argument("--rss-only", action="store_true", help="only the peak-RSS part")
    ap.add_argument("--rss-steps", type=int, default=20)
    ap.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child is not None:
        rss_child(json.loads(args.rss_child), args.rss_steps)
        return

    benchlib.print_header()
    if args.rss or args.rss_only:
        print(f"\npeak RSS: one run of {args.rss_steps} steps per graph, each in a fresh subprocess "
              f"(this parent's own peak so far: {benchlib.max_rss_mib():.1f} MiB, a floor for ru_maxrss)")
        print(f"{'graph':<24} {'N':>8} {'ru_maxrss MiB':>13} {'VmHWM MiB':>10} "
              f"{'KiB/agent over baseline':>24}")
        b = rss_in_subprocess(None, 0)
        base = b["maxrss_mib"]
        print(f"{'(imports only)':<24} {0:>8} {base:>13.1f} {b['vmhwm_mib']:>10.1f} {'':>24}")
        for name, params in cases(args):
            r = rss_in_subprocess(params, args.rss_steps)
            per = 1024 * (r["maxrss_mib"] - base) / r["n"]
            print(f"{name:<24} {r['n']:>8} {r['maxrss_mib']:>13.1f} {r['vmhwm_mib']:>10.1f} "
                  f"{per:>24.2f}", flush=True)
    if not args.rss_only:
        print(f"\nspeed: strategy mixed, {args.steps} steps, median of {args.repeats} runs (seeds 0..)")
        print(f"{'graph':<24} {'N':>8} {'build s':>8} {'ms/step':>8} {'us/agent-step':>14}")
        for name, params in cases(args):
            build, ms, n = bench(params, args.steps, args.repeats)
            print(f"{name:<24} {n:>8} {build:>8.2f} {ms:>8.2f} {1000 * ms / n:>14.3f}", flush=True)


if __name__ == "__main__":
    main()
