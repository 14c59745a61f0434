"""Sweep throughput: runs/s of one fixed experiment, 1 vs. 2 local workers, and local
processes vs. a dask LocalCluster vs. a dask cluster of separate processes.

    python benchmarks/bench_sweep.py --repeats 3

The experiment is written to a temporary TOML file by this script (nothing in
``experiments/`` is used): a grid of 4 strategies (none, broadcast, dialogue, mixed) x
``--replicates`` replicates (default 50, i.e. 200 runs), N = ``--n-consumers`` (2000, the
default), ``--steps`` weeks (104), Barabasi-Albert, budget 1. Each configuration runs it with
``simulation.research.sweep.run_sweep(exp, out, workers=..., scheduler=..., progress=False)`` into a
FRESH temporary folder (so no run is skipped by resume), timed wall-clock around the whole
call, i.e. as a user of ``run.py sweep`` waits for it: store creation, pool or cluster
start-up and shut-down included.

Before the repeats, untimed: one run in this process and an 8-run `local w=2` sweep (the first
pool of a process starts the multiprocessing forkserver, reused by later pools; its wall
time is printed, a `run.py sweep` invocation pays that start once), and an 8-run sweep on the
separate-process cluster (its first, after the workers started).

Configurations, run in turn within each repeat (interleaved, so that a change of the load
on a shared machine hits all of them alike):

- ``local w=1``: ``workers=1`` (runs in this process, no pool);
- ``local w=2``: ``workers=2`` (``ProcessPoolExecutor``, forkserver);
- ``dask w=2``: ``scheduler="local"``, ``workers=2`` (a ``LocalCluster`` of 2 single-threaded
  worker processes, started and closed inside ``run_sweep``);
- ``cluster w=2``: ``scheduler="tcp://127.0.0.1:P"``, a cluster of SEPARATE processes started
  once before the repeats, as a real cluster runs (``dask scheduler`` + 2 x ``dask worker
  --nthreads 1 --nworkers 1 --preload simulation.research.tasks``, with ``PYTHONPATH`` = this
  checkout; :func:`simulation.research.executors.dask_processes`), warmed by one untimed sweep;
- ``cluster only``: the same ``LocalCluster`` + ``Client`` started and closed with no work
  (not a sweep; shows how much of the Dask overhead is fixed start-up cost).

Printed: per configuration the median wall time over ``--repeats`` and the runs/s it gives,
the per-repeat times, and the ratios (median of per-repeat ratios): speed-up
w=1 / w=2 (target >= 1.8 on 2 cores) and Dask overhead dask / local(w=2) - 1 and
cluster / local(w=2) - 1 (target <= 15 %). Where the time goes, per configuration, from the
runs' own ``started``/``finished`` stamps in the store: the median seconds of one run
(inside the worker) and the workers' busy share (sum of run seconds / (wall x workers)); and
the CPU-seconds per run of all the benchmark's own processes (driver, pool workers, the
cluster's scheduler, nannies and workers; from /proc), which a loaded machine distorts less
than wall time: what a configuration costs beyond the runs themselves.
Also, since the machine may be shared: the 1-minute load average before and after each
repeat, and per timed sweep the CPU used by processes outside this benchmark's process tree
(from /proc, in cores = CPU-seconds per wall-second) and the hypervisor's steal time.
Never asserts a timing.

Each sweep's stored results are checked to be identical run by run across the three
configurations (same seeds whatever the executor: the sweep's promise); a mismatch is
printed, it does not stop the benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import benchlib

REPO = Path(__file__).resolve().parents[1]
SPEEDUP_TARGET = 1.8
DASK_OVERHEAD_TARGET = 0.15
STRATEGIES = ("none", "broadcast", "dialogue", "mixed")


def experiment_toml(replicates: int, n_consumers: int, steps: int) -> str:
    strategies = ", ".join(f'"{s}"' for s in STRATEGIES)
    return f"""\
# Written by benchmarks/bench_sweep.py (temporary).
[experiment]
name = "bench_sweep"
steps = {steps}
replicates = {replicates}
seed = 2026

[base]
n_consumers = {n_consumers}
network = "barabasi_albert"
budget = 1.0

[sweep]
design = "grid"

[sweep.parameters]
strategy = [{strategies}]
"""


def load1() -> float:
    return os.getloadavg()[0]


def _proc_snapshot() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, CPU ticks incl. reaped children) for every process visible in /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                s = fh.read()
        except OSError:
            continue
        f = s[s.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid ... utime stime cutime cstime
        out[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]))
    return out


def _machine_ticks() -> tuple[int, int]:
    """(busy, steal) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal


class OthersCPU:
    """CPU used by processes OUTSIDE this benchmark's process tree during an interval, in
    cores (CPU-seconds / wall-seconds), and the hypervisor's steal time in cores. Linux
    /proc only (NaN elsewhere). Approximate: processes that end inside the interval count
    only if reaped by a surviving outside process (e.g. another session's shell)."""

    def __enter__(self):
        self.ok = os.path.isdir("/proc/self")
        if self.ok:
            self.a, self.m0, self.t0 = _proc_snapshot(), _machine_ticks(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        if not self.ok:
            self.others = self.ours = self.steal = float("nan")
            return
        b, m1, wall = _proc_snapshot(), _machine_ticks(), time.perf_counter() - self.t0
        parent = {pid: pp for snap in (self.a, b) for pid, (pp, _) in snap.items()}
        me = os.getpid()

        def ours(pid: int) -> bool:
            seen = set()
            while pid and pid not in seen:
                if pid == me:
                    return True
                seen.add(pid)
                pid = parent.get(pid, 0)
            return False

        tck = os.sysconf("SC_CLK_TCK")

        def used(mine: bool) -> float:
            total = sum(t - self.a.get(pid, (0, 0))[1] for pid, (_, t) in b.items() if ours(pid) == mine)
            # a process that ended was (at best) reaped into its parent's child time, which
            # then holds its whole life: take off what it had used before the interval
            total -= sum(t for pid, (_, t) in self.a.items() if pid not in b and ours(pid) == mine)
            return max(0, total) / tck

        self.others = used(False) / wall
        self.ours = used(True)  # CPU-seconds of this benchmark's processes (driver, pool, cluster)
        self.steal = (m1[1] - self.m0[1]) / tck / wall


def run_once(exp, root: Path, label: str, workers: int, scheduler: str | None):
    """Wall seconds of one full sweep into a fresh folder; (seconds, result, out folder)."""
    from simulation.research.sweep import run_sweep

    out = Path(tempfile.mkdtemp(prefix=f"{label.replace(' ', '_').replace('=', '')}_", dir=root))
    with OthersCPU() as cpu:
        t0 = time.perf_counter()
        result = run_sweep(exp, out, workers=workers, scheduler=scheduler, progress=False)
        wall = time.perf_counter() - t0
    if result.done != result.total or result.failed or result.interrupted:
        raise SystemExit(f"{label}: sweep incomplete: {result}")
    return wall, cpu, out


def cluster_only(workers: int) -> float:
    """Start and close the LocalCluster + Client that run_sweep uses, with no work."""
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.close()
    cluster.close()
    return time.perf_counter() - t0


def run_seconds(out: Path) -> list[float]:
    """Seconds of every run inside its worker (the store's finished - started)."""
    from simulation.research.store import load

    return [float(x) for x in load(out)["runs"]["seconds"]]


def finals_key(out: Path):
    from simulation.research.store import load

    f = load(out)["finals"].sort_values("run_id").reset_index(drop=True)
    return f.drop(columns=[c for c in ("started", "finished") if c in f.columns])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--replicates", type=int, default=50, help="replicates per strategy (4 strategies)")
    ap.add_argument("--n-consumers", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=104)
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask configurations")
    args = ap.parse_args()

    benchlib.print_header(extra_packages=("dask", "distributed"))
    try:
        import distributed  # noqa: F401

        have_dask = not args.no_dask
    except ImportError:
        have_dask = False
        print("dask.distributed is not installed: the Dask rows are skipped")

    from simulation.research.experiment import load_experiment
    from simulation.research.tasks import run_simulation

    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    stack = contextlib.ExitStack()
    try:
        path = root / "bench_sweep.toml"
        path.write_text(experiment_toml(args.replicates, args.n_consumers, args.steps))
        exp = load_experiment(path)
        small = root / "warmup.toml"  # 8 runs: enough to start the forkserver, the cluster's imports
        small.write_text(experiment_toml(2, args.n_consumers, args.steps))
        warm = load_experiment(small)
        n_runs = len(exp.tasks())
        print(f"experiment: {len(STRATEGIES)} strategies x {args.replicates} replicates = {n_runs} runs, "
              f"N = {args.n_consumers}, {args.steps} weeks, Barabasi-Albert; {args.repeats} repeats")
        # Warm-up (untimed): imports and first-call costs of this process, so that the
        # in-process w=1 sweep of the first repeat is not charged for them.
        t0 = time.perf_counter()
        run_simulation(exp.tasks()[0].params, exp.tasks()[0].seed)
        print(f"one run in this process (warm-up, untimed in the table): {time.perf_counter() - t0:.2f} s")
        # The first pool of a process starts the multiprocessing forkserver (which imports the
        # engine once); later pools reuse it. Start it here, untimed, so that every repeat of
        # `local w=2` is alike; its cost is printed (a `run.py sweep` invocation pays it once).
        wall, _, out = run_once(warm, root, "warmup", 2, None)
        shutil.rmtree(out, ignore_errors=True)
        print(f"first local w=2 sweep of this process (8 runs; starts the forkserver; untimed): {wall:.2f} s")

        configs = [("local w=1", 1, None), ("local w=2", 2, None)]
        if have_dask:
            configs.append(("dask w=2", 2, "local"))
            from simulation.research.executors import dask_processes

            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
            address = stack.enter_context(dask_processes(2, env=env))
            wall, _, out = run_once(warm, root, "warmup", 2, address)
            shutil.rmtree(out, ignore_errors=True)
            print(f"first sweep on the separate-process cluster {address} (8 runs, untimed): {wall:.2f} s")
            configs.append(("cluster w=2", 2, address))
        times: dict[str, list[float]] = {c[0]: [] for c in configs}
        run_secs: dict[str, list[float]] = {c[0]: [] for c in configs}
        cpu_ms: dict[str, list[float]] = {c[0]: [] for c in configs}
        busy: dict[str, list[float]] = {c[0]: [] for c in configs}
        others: dict[str, list[float]] = {c[0]: [] for c in configs}
        steal: dict[str, list[float]] = {c[0]: [] for c in configs}
        if have_dask:
            times["cluster only"] = []
        loads = []
        mismatches = []
        for r in range(args.repeats):
            before = load1()
            outs = {}
            for label, workers, scheduler in configs:
                wall, cpu, out = run_once(exp, root, label, workers, scheduler)
                times[label].append(wall)
                secs = run_seconds(out)
                run_secs[label].append(benchlib.median(secs))
                busy[label].append(sum(secs) / (wall * workers))
                cpu_ms[label].append(1000 * cpu.ours / n_runs)
                others[label].append(cpu.others)
                steal[label].append(cpu.steal)
                outs[label] = out
            if have_dask:
                times["cluster only"].append(cluster_only(2))
            loads.append((before, load1()))
            ref = finals_key(outs["local w=1"])
            for label, out in outs.items():
                other = finals_key(out)
                if not (other.shape == ref.shape and other.equals(ref)):
                    mismatches.append(f"repeat {r}: {label} differs from local w=1")
                shutil.rmtree(out, ignore_errors=True)
            print(f"repeat {r}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
                  + "; other processes' CPU (cores) " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in others.items())
                  + f"; load1 {before:.2f} -> {loads[-1][1]:.2f}", flush=True)
    finally:
        stack.close()
        shutil.rmtree(root, ignore_errors=True)

    med = {k: benchlib.median(v) for k, v in times.items()}
    print("\n| configuration | median wall (s) | min-max | runs/s | median run inside its worker (s) "
          "| workers busy | CPU per run, all our processes (ms) | per-repeat wall (s) "
          "| other processes' CPU, cores (per repeat) | steal, cores |")
    print("|---|---:|---|---:|---:|---:|---:|---|---|---|")
    for k, v in times.items():
        rate = f"{n_runs / med[k]:.2f}" if k != "cluster only" else "(no runs)"
        oth = ", ".join(f"{x:.2f}" for x in others.get(k, [])) or "-"
        st = ", ".join(f"{x:.2f}" for x in steal.get(k, [])) or "-"
        inside = f"{benchlib.median(run_secs[k]):.3f}" if run_secs.get(k) else "-"
        share = f"{100 * benchlib.median(busy[k]):.0f} %" if busy.get(k) else "-"
        per_run = f"{benchlib.median(cpu_ms[k]):.0f}" if cpu_ms.get(k) else "-"
        print(f"| {k} | {med[k]:.2f} | {min(v):.2f}-{max(v):.2f} | {rate} | {inside} | {share} | {per_run} "
              f"| {', '.join(f'{x:.2f}' for x in v)} | {oth} | {st} |")

    ups = [a / b for a, b in zip(times["local w=1"], times["local w=2"])]
    speedup = benchlib.median(ups)
    print(f"\nspeed-up local w=1 / w=2: {speedup:.2f} (min-max {min(ups):.2f}-{max(ups):.2f}; "
          f"target >= {SPEEDUP_TARGET}: "
          f"{'met' if speedup >= SPEEDUP_TARGET else 'missed'})")
    if have_dask:
        ratios = [a / b - 1 for a, b in zip(times["dask w=2"], times["local w=2"])]
        over = benchlib.median(ratios)
        print(f"LocalCluster overhead dask / local (w=2) - 1: {100 * over:.0f} % (min-max {100 * min(ratios):.0f}-"
              f"{100 * max(ratios):.0f} %; target <= "
              f"{100 * DASK_OVERHEAD_TARGET:.0f} %: {'met' if over <= DASK_OVERHEAD_TARGET else 'missed'})")
        net = benchlib.median((a - c) / b - 1 for a, b, c in
                              zip(times["dask w=2"], times["local w=2"], times["cluster only"]))
        print(f"  of which not cluster start/stop: (dask - cluster only) / local - 1 = {100 * net:.0f} %")
        ratios = [a / b - 1 for a, b in zip(times["cluster w=2"], times["local w=2"])]
        over = benchlib.median(ratios)
        print(f"separate-process cluster overhead cluster / local (w=2) - 1: {100 * over:.0f} % "
              f"(min-max {100 * min(ratios):.0f}-{100 * max(ratios):.0f} %; target <= "
              f"{100 * DASK_OVERHEAD_TARGET:.0f} %: {'met' if over <= DASK_OVERHEAD_TARGET else 'missed'})")
    print("load1 before/after each repeat: " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in loads))
    print("results identical run by run across configurations: "
          + ("yes" if not mismatches else "NO: " + "; ".join(mismatches)))


if __name__ == "__main__":
    main()
