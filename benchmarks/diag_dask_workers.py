"""Where a busy dask worker's CPU goes, thread by thread (issue 14, target 4: why runs on
dask cost more CPU than in a local pool).

    python benchmarks/diag_dask_workers.py            # QUIET_DASK (what womsim uses)
    python benchmarks/diag_dask_workers.py --defaults  # dask's default configuration

Starts a cluster of separate processes (``dask scheduler`` + 2 ``dask worker --nthreads 1``,
:func:`simulation.research.executors.dask_processes`), runs one untimed 40-run sweep (4
strategies x 10 replicates, N = 2000, 104 weeks), then a second one while reading every
worker thread's CPU time from ``/proc/PID/task/TID/stat``; prints, per worker process, the
CPU milliseconds per run of the sweep spent in each thread (the task thread, the event
loop's ``MainThread``, ``Profile``, ...). Linux only; a diagnostic, not a timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench_sweep import REPO, experiment_toml


def thread_ticks(pid: int) -> dict[int, int]:
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                s = fh.read()
        except OSError:
            continue
        f = s[s.rfind(")") + 2:].split()
        out[int(tid)] = int(f[11]) + int(f[12])
    return out


def thread_names() -> dict[int, str]:
    return {t.native_id: t.name for t in threading.enumerate()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--defaults", action="store_true", help="dask's default configuration, not QUIET_DASK")
    args = ap.parse_args()
    from distributed import Client

    from simulation.research.executors import dask_processes
    from simulation.research.experiment import load_experiment
    from simulation.research.sweep import run_sweep

    root = Path(tempfile.mkdtemp(prefix="diag_dask_"))
    try:
        (root / "e.toml").write_text(experiment_toml(10, 2000, 104))
        exp = load_experiment(root / "e.toml")
        n = len(exp.tasks())
        tck = os.sysconf("SC_CLK_TCK")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        with dask_processes(2, env=env, quiet=not args.defaults) as address:
            run_sweep(exp, root / "warm", scheduler=address, progress=False)
            with Client(address) as client:
                pids = list(client.run(os.getpid).values())
                names: dict[int, str] = {}
                for found in client.run(thread_names).values():
                    names.update(found)
            before = {pid: thread_ticks(pid) for pid in pids}
            t0 = time.perf_counter()
            run_sweep(exp, root / "timed", scheduler=address, progress=False)
            wall = time.perf_counter() - t0
            after = {pid: thread_ticks(pid) for pid in pids}
        print(f"{'dask defaults' if args.defaults else 'QUIET_DASK'}; {n} runs, wall {wall:.1f} s")
        for pid in pids:
            used = sorted(((t - before[pid].get(tid, 0), tid) for tid, t in after[pid].items()), reverse=True)
            print(f"worker {pid}: " + "; ".join(f"{names.get(tid, 'task thread')} {1000 * d / tck / n:.1f}"
                                              for d, tid in used if d) + " (CPU ms per run of the sweep)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
