"""Where the time of ``run.py simulate`` goes, end to end: phases, cProfile, wall, peak RSS.

    python benchmarks/profile_cli.py                       # N = 1,000,000, 104 weeks
    python benchmarks/profile_cli.py --n 200000 --steps 10 --log benchmarks/logs/profile_cli_200k.log
    python benchmarks/profile_cli.py --plain               # also one run without cProfile, first

Runs exactly what a user runs, ``python run.py simulate --set n_consumers=N --steps T --out
DIR`` (DIR a temporary folder, removed afterwards), in a FRESH subprocess: the child calls
``simulation.cli.main`` with that command line (``sys.argv`` as ``run.py`` would set it),
after importing the modules the command imports (timed as "imports", so that an import is
not charged to the phase that happens to trigger it). The package is not edited; in the
child, from here:

* **phase timers**: the functions the command goes through are wrapped (module attributes
  and class attributes replaced by timed wrappers, as ``bench_floor.py`` does). The timers
  nest: each phase's time is its OWN time, its wrapped callees' time subtracted, so the
  phases add up to the command's time exactly. A few dozen calls plus one per step and
  per data collection: the overhead is negligible. After each phase the child reads
  ``VmHWM`` (peak RSS so far) from ``/proc/self/status``, which shows where the peak is
  reached. The cyclic garbage collector's pauses are timed through ``gc.callbacks`` and
  charged to the phase that was running.
* **cProfile** (unless ``--no-cprofile``) around ``main``: the top ``--top`` functions by
  cumulative and by own time (pstats text), and every function's own time grouped by
  what it belongs to (its file; a C function's time split by its callers' groups).
  cProfile slows pure-Python code (networkx's generators, Mesa's agents) much more than
  numpy, so its shares are distorted; the phase timers of a ``--plain`` run are not.

Wall time is measured by this parent from the spawn to the child's exit (interpreter
start-up and the exit's tear-down included, both reported); peak RSS is the child's own
``ru_maxrss`` from ``os.wait4`` (this parent imports only numpy, so Linux's carry-over of
ru_maxrss across exec does not inflate it; see ``bench_engine.py``), with the child's
``VmHWM`` as a cross-check. Everything printed also goes to ``--log`` (default
``benchmarks/logs/profile_cli_<N>.log``); the ``.prof`` file is kept only if ``--prof`` is
given (never committed).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import benchlib

REPO = Path(__file__).resolve().parents[1]

# The brief's groups, in print order; each phase label of the child maps to one of them.
GROUPS = (
    "graph building (networkx generator)",
    "CSR / tie strengths",
    "Mesa space / agents",
    "steps (model processes)",
    "data collection (DataCollector.collect)",
    "result frames (DataCollector frame, pandas)",
    "writing the output files",
    "provenance: graph rebuilt + described for run.json",
    "provenance: versions, git",
    "model set-up, rest (Mesa Model, initial state, record, ...)",
    "imports",
    "interpreter start-up + exit tear-down",
    "anything else",
    "cProfile: dumping the profile (not the command's work)",
)

# (label in the child, group)
PHASE_GROUP = {
    "model: build_graph (networkx generator)": GROUPS[0],
    "model: build_pairs (numpy generator, N >= 100,000)": GROUPS[0],
    "model: to_adjacency (CSR, tie strengths)": GROUPS[1],
    "model: adjacency_from_pairs (CSR, tie strengths)": GROUPS[1],
    "model: mesa Network (space)": GROUPS[2],
    "model: Consumer.create_agents": GROUPS[2],
    "model: stage agents (rest: cell list)": GROUPS[2],
    "model: step (processes, without collect)": GROUPS[3],
    "model: DataCollector.collect": GROUPS[4],
    "model: timeseries() (DataCollector frame)": GROUPS[5],
    "cli: pandas.concat": GROUPS[5],
    "cli: final_rows": GROUPS[5],
    "cli: write_run_outputs (to_csv, rest)": GROUPS[6],
    "cli: write_atomic / write_json": GROUPS[6],
    "cli: graphs_used (rest)": GROUPS[7],
    "cli: graphs_used > build_graph (graph rebuilt)": GROUPS[7],
    "cli: graphs_used > describe_graph": GROUPS[7],
    "cli: describe_run_graph (the run's own graph, from its CSR)": GROUPS[7],
    "cli: provenance() (versions, git)": GROUPS[8],
    "model: constructor (rest: Mesa Model, initial state, record, ...)": GROUPS[9],
    "imports": GROUPS[10],
    "interpreter start-up": GROUPS[11],
    "exit tear-down": GROUPS[11],
    "cProfile dump (not the command's work)": GROUPS[13],
}


# ----------------------------------------------------------------------------- the child

def child(spec: dict) -> None:
    """In the fresh subprocess: time the imports, install the timers, run the command."""
    t_script = time.time()
    sys.path.insert(0, str(REPO))
    import gc
    import importlib

    timers = Timers()
    t0 = time.perf_counter()
    for module in ("pandas", "mesa", "networkx", "scipy.sparse", "tqdm", "simulation.cli",
                   "simulation.core.params", "simulation.core.presets", "simulation.core.model",
                   "simulation.research.executors", "simulation.research.provenance",
                   "simulation.research.runfiles", "simulation.research.tasks"):
        importlib.import_module(module)
    timers.add("imports", time.perf_counter() - t0)
    install_timers(timers)
    gc.callbacks.append(timers.gc_callback)

    prof = None
    if spec.get("prof"):
        import cProfile

        prof = cProfile.Profile()
    import simulation.cli as cli

    argv = spec["argv"]
    sys.argv = ["run.py", *argv]
    t_main = time.time()
    if prof is not None:
        prof.enable()
    code = timers.wrap(cli.main, "cli: main (rest: parsing, checks, printing)")(argv)
    t_end = time.time()
    if prof is not None:
        prof.disable()
        prof.dump_stats(spec["prof"])
    gc.callbacks.remove(timers.gc_callback)
    report = {
        "exit_code": code, "t_script": t_script, "t_main": t_main, "t_main_end": t_end,
        "own": timers.own, "total": timers.total, "calls": timers.calls, "gc": timers.gc_by_label,
        "gc_collections": timers.gc_collections, "hwm_after": timers.hwm_after,
        "t_report": time.time(), "vmhwm_mib": benchlib.vmhwm_mib(), "maxrss_self_mib": benchlib.max_rss_mib(),
    }
    with open(spec["report"], "w") as fh:
        json.dump(report, fh)
    sys.stdout.flush()
    sys.exit(code)


class Timers:
    """Nested wall-clock timers: own time (callees subtracted), total time, calls, GC pauses."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.total: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.gc_by_label: dict[str, float] = defaultdict(float)
        self.gc_collections: dict[str, int] = defaultdict(int)
        self.hwm_after: dict[str, float] = {}
        self.stack: list[list] = []  # [label, time of wrapped callees]
        self._gc_start = 0.0

    def add(self, label: str, seconds: float) -> None:
        self.own[label] += seconds
        self.total[label] += seconds
        self.calls[label] += 1

    def wrap(self, fn, label: str):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            self.stack.append([label, 0.0])
            try:
                return fn(*a, **k)
            finally:
                elapsed = time.perf_counter() - t0
                _, inner = self.stack.pop()
                self.own[label] += elapsed - inner
                self.total[label] += elapsed
                self.calls[label] += 1
                if self.stack:
                    self.stack[-1][1] += elapsed
                self.hwm_after[label] = benchlib.vmhwm_mib()

        return wrapper

    def gc_callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        label = self.stack[-1][0] if self.stack else "(outside the timers)"
        self.gc_by_label[label] += time.perf_counter() - self._gc_start
        self.gc_collections[f"gen{info.get('generation')}"] += 1


def install_timers(timers: Timers) -> None:
    """Replace the functions ``simulate`` goes through by timed wrappers (in this process)."""
    import contextlib

    import mesa
    import pandas as pd

    import simulation.core.inputs as inputs
    import simulation.core.model as model_mod
    import simulation.core.views as views
    import simulation.research.provenance as provenance
    import simulation.research.runfiles as runfiles
    import simulation.research.tasks as tasks
    from simulation.core.agents import Consumer
    from simulation.core.running import RunMixin

    def patch(owner, attr: str, label: str) -> None:
        setattr(owner, attr, timers.wrap(getattr(owner, attr), label))

    patch(inputs, "build_graph", "model: build_graph (networkx generator)")
    patch(inputs, "build_pairs", "model: build_pairs (numpy generator, N >= 100,000)")
    patch(inputs, "to_adjacency", "model: to_adjacency (CSR, tie strengths)")
    patch(inputs, "adjacency_from_pairs", "model: adjacency_from_pairs (CSR, tie strengths)")
    patch(views, "Network", "model: mesa Network (space)")  # made when first asked for (issue 14)
    patch(Consumer, "create_agents", "model: Consumer.create_agents")  # called as Consumer.create_agents(model, ...)
    patch(model_mod.WordOfMouthModel, "step", "model: step (processes, without collect)")
    patch(mesa.DataCollector, "collect", "model: DataCollector.collect")
    patch(RunMixin, "timeseries", "model: timeseries() (DataCollector frame)")
    patch(tasks, "create_model", "model: constructor (rest: Mesa Model, initial state, record, ...)")
    patch(tasks, "final_rows", "cli: final_rows")
    patch(pd, "concat", "cli: pandas.concat")
    patch(provenance, "graphs_used", "cli: graphs_used (rest)")
    patch(provenance, "build_graph", "cli: graphs_used > build_graph (graph rebuilt)")
    patch(provenance, "describe_graph", "cli: graphs_used > describe_graph")
    patch(tasks, "describe_run_graph", "cli: describe_run_graph (the run's own graph, from its CSR)")
    patch(runfiles, "write_run_outputs", "cli: write_run_outputs (to_csv, rest)")
    patch(runfiles, "write_atomic", "cli: write_atomic / write_json")
    patch(runfiles, "write_json", "cli: write_atomic / write_json")
    patch(runfiles, "provenance", "cli: provenance() (versions, git)")

    # The agents stage (Network + the cell list + create_agents) as a phase of its own.
    original_stage = views.stage

    @contextlib.contextmanager
    def timed_stage(name, on_stage=None):
        label = "model: stage agents (rest: cell list)" if name.startswith("agents") else None
        with original_stage(name, on_stage):
            if label is None:
                yield
                return
            t0 = time.perf_counter()
            timers.stack.append([label, 0.0])
            try:
                yield
            finally:
                elapsed = time.perf_counter() - t0
                _, inner = timers.stack.pop()
                timers.own[label] += elapsed - inner
                timers.total[label] += elapsed
                timers.calls[label] += 1
                if timers.stack:
                    timers.stack[-1][1] += elapsed
                timers.hwm_after[label] = benchlib.vmhwm_mib()

    views.stage = timed_stage


# ---------------------------------------------------------------------------- the parent

class Tee:
    def __init__(self, path: Path | None) -> None:
        self.fh = open(path, "w") if path else None

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        if self.fh:
            self.fh.write(text + "\n")
            self.fh.flush()

    def close(self) -> None:
        if self.fh:
            self.fh.close()


def run_child(argv: list[str], prof: str | None, workdir: Path) -> dict:
    report = workdir / "report.json"
    spec = {"argv": argv, "prof": prof, "report": str(report)}
    console = workdir / "console.txt"
    with open(console, "w") as out:
        t_spawn = time.time()
        proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)], cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        t_exit = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
    r = json.loads(report.read_text()) if report.exists() else {}
    r.update(wall=t_exit - t_spawn, returncode=proc.returncode, maxrss_mib=usage.ru_maxrss / 1024.0,
             user_s=usage.ru_utime, sys_s=usage.ru_stime, console=console.read_text(errors="replace"))
    if "t_script" in r:
        r["own"]["interpreter start-up"] = r["t_script"] - t_spawn
        r["own"]["exit tear-down"] = t_exit - r["t_report"]
        r["own"]["cProfile dump (not the command's work)"] = r["t_report"] - r["t_main_end"]
        # the child's time between its first line and main(), outside the import timer
        r["own"]["anything else"] = (r["t_main"] - r["t_script"]) - r["own"]["imports"]
    return r


def phase_table(r: dict, say: Tee) -> dict[str, float]:
    wall = r["wall"]
    own = r["own"]
    say(f"  {'phase (own time: wrapped callees subtracted)':<66} {'s':>8} {'% wall':>7} {'calls':>6} "
        f"{'of which GC s':>13} {'VmHWM after MiB':>16}")
    for label, s in sorted(own.items(), key=lambda kv: -kv[1]):
        say(f"  {label:<66} {s:8.2f} {s / wall:7.1%} {r['calls'].get(label, ''):>6} "
            f"{r['gc'].get(label, 0.0):13.2f} {r['hwm_after'].get(label, float('nan')):16.0f}")
    say(f"  {'(sum)':<66} {sum(own.values()):8.2f} {sum(own.values()) / wall:7.1%}")
    groups: dict[str, float] = defaultdict(float)
    for label, s in own.items():
        groups[PHASE_GROUP.get(label, "anything else")] += s
    say(f"\n  {'group':<62} {'s':>8} {'% wall':>7}")
    for g in GROUPS:
        say(f"  {g:<62} {groups.get(g, 0.0):8.2f} {groups.get(g, 0.0) / wall:7.1%}")
    tot = r["total"]
    step_label = "model: step (processes, without collect)"
    build = tot.get("model: constructor (rest: Mesa Model, initial state, record, ...)", 0.0)
    steps = tot.get(step_label, 0.0)
    command = wall - own.get("cProfile dump (not the command's work)", 0.0)
    around = command - build - steps
    say(f"\n  the model itself: constructor {build:.1f} s + {r['calls'].get(step_label, 0)} steps {steps:.1f} s "
        f"(data collection included) = {build + steps:.1f} s; the command's own work around it: "
        f"{around:.1f} s of {command:.1f} s ({around / command:.0%}; wall without the cProfile dump)")
    gc_total = sum(r["gc"].values())
    say(f"  cyclic GC pauses in all: {gc_total:.2f} s ({gc_total / wall:.1%} of wall), collections "
        f"{dict(sorted(r['gc_collections'].items()))}")
    return groups


# cProfile: a function's group by its file (or its name, for C functions with no caller group).
FILE_GROUPS = (
    ("networkx/generators", GROUPS[0]),
    ("networkx/utils", GROUPS[0]),
    ("networkx/classes", "networkx graph classes (add_edge, ...: generator, Mesa, description)"),
    ("networkx/algorithms/components", "networkx connected components (describe_graph)"),
    ("networkx/", "networkx other"),
    ("simulation/core/network/adjacency", GROUPS[1]),
    ("simulation/core/network/description", GROUPS[7]),
    ("simulation/core/network", GROUPS[0]),
    ("mesa/discrete_space", GROUPS[2]),
    ("mesa/agent", GROUPS[2]),
    ("simulation/core/agents", GROUPS[2]),
    ("mesa/datacollection", GROUPS[4]),
    ("simulation/core/metrics", GROUPS[4]),
    ("simulation/core/processes", GROUPS[3]),
    ("simulation/core/state", GROUPS[3]),
    ("simulation/core/model", GROUPS[3]),
    ("simulation/core/brand", GROUPS[3]),
    ("simulation/core/flighting", GROUPS[3]),
    ("simulation/research/runfiles", GROUPS[6]),
    ("simulation/research/provenance", "provenance (graphs_used, versions, git, write_atomic)"),
    ("pandas/io", GROUPS[6]),
    ("pandas/", "pandas (other than writing)"),
    ("mesa/", "mesa other (Model, RNG)"),
    ("numpy/", "numpy (Python level)"),
    ("scipy/", "scipy (Python level)"),
    ("simulation/", "simulation other"),
)


def file_group(func: tuple) -> str | None:
    filename = func[0].replace(os.sep, "/")
    if filename == "~":
        return None  # a C function: grouped by its callers
    for part, group in FILE_GROUPS:
        if part in filename:
            return group
    if "importlib" in filename or filename.startswith("<frozen"):
        return GROUPS[10]
    return "python stdlib / other"


# Helpers that belong to whoever calls them: C functions, numpy's and the standard library's
# Python-level functions (networkx's generator spends most of its time in numpy.prod through
# random.choice); their own time goes to their callers' groups, recursively.
PASS_THROUGH = {None, "numpy (Python level)", "python stdlib / other", "scipy (Python level)"}
UNATTRIBUTED = "helpers called from helpers only (unattributed)"


def caller_groups(func: tuple, raw: dict, memo: dict, active: set, weight: int) -> dict[str, float]:
    """Fractions of ``func``'s time by the group it is called from: its own file's group, or, for
    a pass-through helper, its callers' groups weighted by their calls' own time (``weight`` 2)
    for the helper itself or cumulative time (3) further up."""
    key = (func, weight)
    if key in memo:
        return memo[key]
    g = file_group(func)
    if g not in PASS_THROUGH:
        return {g: 1.0}
    callers = raw.get(func, (0, 0, 0, 0, {}))[4]
    if func in active or not callers:
        return {UNATTRIBUTED: 1.0}
    active.add(func)
    total = sum(v[weight] for v in callers.values())
    dist: dict[str, float] = defaultdict(float)
    for caller, v in callers.items():
        w = v[weight] / total if total else 1.0 / len(callers)
        for cg, frac in caller_groups(caller, raw, memo, active, 3).items():
            dist[cg] += w * frac
    active.discard(func)
    memo[key] = dict(dist)
    return memo[key]


def cprofile_sections(prof: str, top: int, wall: float, say: Tee) -> None:
    import pstats

    stats = pstats.Stats(prof)
    raw = stats.stats  # func -> (cc, nc, tt, ct, callers {caller: (cc, nc, tt, ct)})
    groups: dict[str, float] = defaultdict(float)
    members: dict[str, list] = defaultdict(list)
    memo: dict = {}
    for func, (_, nc, tt, ct, _callers) in raw.items():
        for g, frac in caller_groups(func, raw, memo, set(), 2).items():
            groups[g] += tt * frac
            members[g].append((tt * frac, ct * frac, nc, func))
    profiled = sum(groups.values())
    say(f"\n  cProfile own time by group (profiled {profiled:.1f} s; a helper's time (C, numpy, stdlib) "
        "goes to its callers' groups):")
    for g, s in sorted(groups.items(), key=lambda kv: -kv[1]):
        say(f"  {g:<72} {s:8.2f} {s / profiled:7.1%}")
        for tt, _, nc, func in sorted(members[g], key=lambda m: -m[0])[:4]:
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})" if func[0] != "~" else func[2]
            say(f"      {name:<68} {tt:8.2f}  calls {nc}")
    for key, what in (("cumulative", "cumulative time"), ("tottime", "own time")):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(top)
        text = buf.getvalue()
        start = text.find("   ncalls")
        say(f"\n  cProfile: top {top} by {what}\n" + (text[start:] if start >= 0 else text).rstrip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="n_consumers (default: %(default)s)")
    ap.add_argument("--steps", type=int, default=104, help="weeks (default: %(default)s)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="more --set for the command (repeatable)")
    ap.add_argument("--plain", action="store_true", help="first, one run with the phase timers only")
    ap.add_argument("--no-cprofile", action="store_true", help="no cProfile run (with --plain: only the plain run)")
    ap.add_argument("--top", type=int, default=30, help="functions listed by cumulative and by own time")
    ap.add_argument("--prof", default=None, help="keep the cProfile data here (default: a temporary file)")
    ap.add_argument("--log", type=Path, default=None,
                    help="also write everything here (default: benchmarks/logs/profile_cli_<N>.log)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(json.loads(args.child))
        return

    label = f"{args.n // 1_000_000}m" if args.n % 1_000_000 == 0 else (
        f"{args.n // 1000}k" if args.n % 1000 == 0 else str(args.n))
    log = args.log or REPO / "benchmarks" / "logs" / f"profile_cli_{label}.log"
    say = Tee(log)
    header = io.StringIO()
    stdout, sys.stdout = sys.stdout, header
    try:
        benchlib.print_header()
    finally:
        sys.stdout = stdout
    for line in header.getvalue().splitlines():
        say(line)
    say(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average {os.getloadavg()}")
    runs = ([("plain (phase timers only)", False)] if args.plain else []) + (
        [] if args.no_cprofile else [("cProfile", True)])
    for name, with_profile in runs:
        work = Path(tempfile.mkdtemp(prefix="profile_cli-"))
        out = work / "out"
        argv = ["simulate", "--set", f"n_consumers={args.n}", *(a for s in args.set for a in ("--set", s)),
                "--steps", str(args.steps), "--out", str(out)]
        prof = (args.prof or str(work / "cli.prof")) if with_profile else None
        say(f"\n=== run: {name}: python run.py {' '.join(argv)}")
        say(f"    (started {time.strftime('%H:%M:%S')}, load average {os.getloadavg()})")
        r = run_child(argv, prof, work)
        say("  the command's console output:")
        for line in r["console"].replace("\r", "\n").splitlines():
            if line.strip():
                say(f"    | {line}")
        if r["returncode"] != 0 or "own" not in r:
            say(f"  FAILED: exit code {r['returncode']}")
            shutil.rmtree(work, ignore_errors=True)
            continue
        sizes = {p.name: p.stat().st_size for p in out.iterdir()} if out.exists() else {}
        say(f"  wall {r['wall']:.1f} s (user {r['user_s']:.1f} s, sys {r['sys_s']:.1f} s); peak RSS "
            f"{r['maxrss_mib']:.0f} MiB = {r['maxrss_mib'] / 1024:.2f} GiB (ru_maxrss from wait4; child's "
            f"VmHWM {r['vmhwm_mib']:.0f} MiB); output files {sizes}; load average after {os.getloadavg()}")
        phase_table(r, say)
        if with_profile:
            cprofile_sections(prof, args.top, r["wall"], say)
        if args.prof and with_profile:
            say(f"  cProfile data kept in {args.prof}")
        shutil.rmtree(work, ignore_errors=True)
    say.close()
    print(f"log: {log}")


if __name__ == "__main__":
    main()
