"""Time to build the full report of a 1,000-run sweep (target < 20 s).

    python benchmarks/bench_report.py [--runs 1000] [--repeats 3]

A grid sweep of 1,000 short runs (N = 100, 10 weeks: the report's cost depends on the
number of runs and steps, not on N) is made once into a temporary folder; then
``simulation.outputs.report.build_report`` is timed (all figures, Markdown and self-contained
HTML), median of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from simulation.outputs.report import build_report
from simulation.research.experiment import load_experiment
from simulation.research.provenance import package_versions
from simulation.research.sweep import run_sweep

EXPERIMENT = """
[experiment]
name = "bench_report"
steps = 10
replicates = {replicates}
seed = 1
[base]
n_consumers = 100
[sweep]
design = "grid"
baseline = true
[sweep.parameters]
budget = [0.25, 0.5, 1.0, 2.0, 4.0]
dialogue_share = [0.0, 0.25, 0.5, 0.75, 1.0]
strategy = ["broadcast", "dialogue", "mixed"]
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    per_replicate = 25 * 4  # 5 x 5 grid x (3 strategies + none)
    replicates = max(1, round(args.runs / per_replicate))
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "exp.toml"
        f.write_text(EXPERIMENT.format(replicates=replicates))
        exp = load_experiment(f)
        t0 = time.perf_counter()
        res = run_sweep(exp, Path(tmp) / "out", workers=args.workers, progress=False)
        print(f"versions: {package_versions()}")
        print(f"sweep: {res.done} runs in {time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            build_report(Path(tmp) / "out", snapshots=False)
            times.append(time.perf_counter() - t)
        n_figs = len(list((Path(tmp) / "out" / "figures").glob("*.png")))
        med = statistics.median(times)
        print(f"report of {res.done} runs ({n_figs} figures, HTML + Markdown): median {med:.1f} s "
              f"over {args.repeats} (all: {', '.join(f'{x:.1f}' for x in times)}); target < 20 s: "
              f"{'met' if med < 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
