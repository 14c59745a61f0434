"""Engine vs. the floor: the full model step against a bare numpy/scipy SI step, same graph.

    python benchmarks/bench_floor.py --repeats 3            # N = 10k and 100k
    python benchmarks/bench_floor.py --sizes 100000 --repeats 3 --profile --cprofile 25
    python benchmarks/bench_floor.py --sizes 100000 --repeats 3 --set n_brands=1 --clock cpu

The floor is the cheapest thing a network-diffusion step can be in numpy: each
susceptible node is infected with probability 1 - (1 - beta)^k, k = number of infected
neighbours, from ONE sparse mat-vec ``A @ infected`` on the model's own adjacency (as a
scipy CSR with unit entries) and one uniform draw per node; beta = 0.05, 1 % infected at
the start. The model step is ``WordOfMouthModel.step`` with strategy `mixed` (every process
on), data collection included.

Per size, the graph is built once (Barabasi-Albert m = 5) and shared. Each repeat builds a
fresh model on it (seed = repeat) and times ``--steps`` model steps, then times ``--steps``
SI steps on the same adjacency, so the two are measured side by side. Printed: medians
over repeats of ms/step and the ratio model/SI (the median of the per-repeat ratios).
Target: ratio <= 5 at N = 100k.

``--profile`` (on by default whenever the ratio is above 5) times each process function
of ``simulation.core.processes`` by wrapping it from here (the package is not edited) and
prints ms/step per process; ``--cprofile K`` adds cProfile's top K functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import io
import pstats
import time
from collections import defaultdict

import benchlib

import simulation.core.processes as proc
from simulation import WordOfMouthModel
from simulation.core.params import Params

TARGET = 5.0
# The process functions WordOfMouthModel.step calls through ``proc.<name>``.
PROCESS_FUNCTIONS = ("broadcast", "fanpage", "purchase", "experience", "choose_talkers",
                     "word_of_mouth", "read_public_record", "post_publicly", "dialogue", "forget")


#: The clock of every timing: wall time (``perf_counter``) by default; ``--clock cpu`` uses
#: this process's CPU time (``process_time``), less disturbed by other processes on a shared
#: machine (numpy and scipy run single-threaded here, so the two agree on a quiet machine).
CLOCK = time.perf_counter


def time_model(params: dict, graph, seed: int, steps: int, warmup: int) -> float:
    model = WordOfMouthModel(params, rng=seed, graph=graph)
    model.run(warmup)
    t0 = CLOCK()
    model.run(steps)
    return 1000 * (CLOCK() - t0) / steps


def time_si(model_adjacency, seed: int, steps: int, beta: float, initial: float) -> float:
    step = benchlib.si_stepper(model_adjacency, beta, initial, seed)
    t0 = CLOCK()
    for _ in range(steps):
        step()
    return 1000 * (CLOCK() - t0) / steps


def _timed(fn, label: str, into: dict):
    """``fn`` wrapped so that its wall time accumulates in ``into[label]``."""

    @functools.wraps(fn)
    def wrapper(*a, **k):
        t0 = CLOCK()
        try:
            return fn(*a, **k)
        finally:
            into[label] += CLOCK() - t0

    return wrapper


def _patch(owner, attr: str, label: str, into: dict, undo: list) -> None:
    """Replace ``owner.attr`` by a timed wrapper (from here: the package is not edited)."""
    fn = getattr(owner, attr)
    setattr(owner, attr, _timed(fn, label, into))
    undo.append((owner, attr, fn))


def process_profile(params: dict, graph, seed: int, steps: int, warmup: int):
    """ms/step per process function, data collection and the rest of the step (these add
    up to the step), plus, separately, what is inside them: helpers of the processes and
    each metric of the data collection."""
    # The modules, not the functions of the same name that simulation.core.processes re-exports.
    broadcast_mod = importlib.import_module("simulation.core.processes.broadcast")
    record_mod = importlib.import_module("simulation.core.processes.public_record")
    wom_mod = importlib.import_module("simulation.core.processes.word_of_mouth")

    spent: dict[str, float] = defaultdict(float)
    inner: dict[str, float] = defaultdict(float)
    undo: list = []
    try:
        for name in PROCESS_FUNCTIONS:
            _patch(proc, name, name, spent, undo)
        for owner, attr, label in [
            (broadcast_mod, "apply_exposures", "broadcast > apply_exposures"),
            (wom_mod, "social_influence", "word_of_mouth > social_influence"),
            (record_mod, "social_influence", "read_public_record > social_influence"),
            (record_mod.PublicRecord, "sample", "read_public_record > PublicRecord.sample"),
            (record_mod.PublicRecord, "recency_weights", "PublicRecord.recency_weights (all callers)"),
        ]:
            _patch(owner, attr, label, inner, undo)
        model = WordOfMouthModel(params, rng=seed, graph=graph)
        dc = model.datacollector
        _patch(dc, "collect", "datacollector.collect", spent, undo)
        for name, fn in list(dc.model_reporters.items()):  # the model's own collector only
            dc.model_reporters[name] = _timed(fn, f"collect > metric {name}", inner)
        model.run(warmup)
        spent.clear()
        inner.clear()
        t0 = CLOCK()
        model.run(steps)
        total = CLOCK() - t0
    finally:
        for owner, attr, fn in reversed(undo):
            setattr(owner, attr, fn)
    out = {name: 1000 * s / steps for name, s in spent.items()}
    out["(rest of step: online draw, snapshot copy, tallies)"] = 1000 * (total - sum(spent.values())) / steps
    out["TOTAL"] = 1000 * total / steps
    return out, {name: 1000 * s / steps for name, s in inner.items()}


def cprofile_top(params: dict, graph, seed: int, steps: int, warmup: int, top: int) -> str:
    model = WordOfMouthModel(params, rng=seed, graph=graph)
    model.run(warmup)
    prof = cProfile.Profile()
    prof.enable()
    model.run(steps)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    ap.add_argument("--warmup", type=int, default=2, help="untimed model steps first")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--initial", type=float, default=0.01, help="initially infected share")
    ap.add_argument("--profile", action="store_true",
                    help="per-process breakdown even when the target is met")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time (default) or this process's CPU time (steadier on a shared machine)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a model parameter for both the model and its graph, e.g. n_brands=1 (repeatable)")
    ap.add_argument("--cprofile", type=int, default=0, metavar="K",
                    help="also print cProfile's top K functions (by own time)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    extra = Params.parse_assignments(args.set)
    benchlib.print_header()
    print(f"strategy mixed, BA m=5, {args.steps} timed steps per repeat after {args.warmup} "
          f"warm-up steps, {args.repeats} repeats; SI beta={args.beta}, {args.initial:.0%} infected; "
          f"clock {args.clock}; overrides {extra or 'none'}")
    rows = []
    for n in args.sizes:
        params = benchlib.ba_params(n, **extra)
        t0 = time.perf_counter()
        graph = benchlib.shared_graph(params, seed=0)
        print(f"\nN={n}: graph built in {time.perf_counter() - t0:.1f} s")
        model_ms, si_ms, ratios = [], [], []
        adjacency = None
        for r in range(args.repeats):
            m_ms = time_model(params, graph, r, args.steps, args.warmup)
            if adjacency is None:
                adjacency = WordOfMouthModel(params, rng=0, graph=graph).adjacency
            s_ms = time_si(adjacency, r, args.steps, args.beta, args.initial)
            model_ms.append(m_ms)
            si_ms.append(s_ms)
            ratios.append(m_ms / s_ms)
            print(f"  repeat {r}: model {m_ms:8.2f} ms/step   SI {s_ms:7.3f} ms/step   ratio {m_ms / s_ms:6.1f}")
        row = (n, benchlib.median(model_ms), benchlib.median(si_ms), benchlib.median(ratios))
        rows.append(row)
        if args.profile or row[3] > TARGET:
            breakdown, inner = process_profile(params, graph, 0, args.steps, args.warmup)
            print(f"  per-process ms/step (wrapped, seed 0, {args.steps} steps; SI floor {row[2]:.3f} ms):")
            for name, ms in sorted(breakdown.items(), key=lambda kv: -kv[1]):
                share = ms / breakdown["TOTAL"]
                print(f"    {name:<52} {ms:8.2f}  {share:6.1%}  = {ms / row[2]:6.1f} x SI")
            print("  inside those (already counted above; metrics: the top 8):")
            metrics = sorted(((k, v) for k, v in inner.items() if k.startswith("collect >")),
                             key=lambda kv: -kv[1])
            others = sorted(((k, v) for k, v in inner.items() if not k.startswith("collect >")),
                            key=lambda kv: -kv[1])
            for name, ms in others + metrics[:8]:
                print(f"    {name:<52} {ms:8.2f}  {ms / breakdown['TOTAL']:6.1%}")
        if args.cprofile:
            print(cprofile_top(params, graph, 0, args.steps, args.warmup, args.cprofile))

    print(f"\n{'N':>8} {'model ms/step':>14} {'SI ms/step':>11} {'model/SI':>9}  target <= {TARGET:g}")
    for n, m, s, q in rows:
        print(f"{n:>8} {m:>14.2f} {s:>11.3f} {q:>9.1f}  {'met' if q <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
