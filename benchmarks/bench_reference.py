"""Engine vs. the per-agent reference: same parameters, same graph, ms/step and ratio.

    python benchmarks/bench_reference.py --repeats 3
    python benchmarks/bench_reference.py --sizes 10000 --repeats 5 --steps 10 --clock cpu

The vectorised engine (``WordOfMouthModel``) and the per-agent Mesa reference
(``create_model({..., "engine": "reference"})``, ``simulation/core/reference.py``) run the same
model: Barabasi-Albert m = 5, strategy `mixed`, at N = 10k and N = 300. Both get the
same prepared graph (``graph=``; if the reference does not take it, the same seed, which
builds the same graph when both draw it first: checked and reported). The engine runs
``--steps`` steps, the reference ``--ref-steps`` steps (it is slow on purpose); each
repeat times both side by side; printed are medians of ms/step and of the per-repeat
ratio reference/engine. Target: ratio >= 100 at N = 10k.

If the reference cannot be imported yet (``ImportError``), that part is skipped with a
message and only the engine is timed.
"""

from __future__ import annotations

import argparse
import time

import benchlib

from simulation.research.tasks import create_model

TARGET = 100.0


def make(params: dict, seed: int, graph):
    """A model for ``params`` on ``graph``; (model, how the graph was given)."""
    try:
        return create_model(params, rng=seed, graph=graph), "graph="
    except TypeError as exc:  # a reference without the graph= keyword
        if "graph" not in str(exc):
            raise
        return create_model(params, rng=0), "same seed 0"


def same_graph(model, graph) -> bool | None:
    g = getattr(model, "graph", None)
    if g is None:
        return None
    G = graph[0]
    return g.number_of_nodes() == G.number_of_nodes() and set(map(frozenset, g.edges())) == set(
        map(frozenset, G.edges()))


#: The clock: wall time by default; ``--clock cpu``: this process's CPU time, less disturbed
#: by other processes on a shared machine (both models run single-threaded).
CLOCK = time.perf_counter


def ms_per_step(model, steps: int) -> float:
    t0 = CLOCK()
    for _ in range(steps):
        model.step()
    return 1000 * (CLOCK() - t0) / steps


def reference_available() -> str | None:
    """None if the reference imports, else the reason it does not."""
    try:
        create_model({"n_consumers": 20, "engine": "reference"}, rng=0)
    except ImportError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 10_000])
    ap.add_argument("--steps", type=int, default=5, help="timed steps per repeat (both)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first (both)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time (default) or this process's CPU time (steadier on a shared machine)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    benchlib.print_header()
    print(f"clock {args.clock}")
    missing = reference_available()
    if missing:
        print(f"\nSKIPPED the reference: create_model(engine='reference') raised {missing}; "
              "timing the engine only.")
    rows = []
    for n in args.sizes:
        params = benchlib.ba_params(n)
        graph = benchlib.shared_graph(params, seed=0)
        eng, ref, ratios, how, same = [], [], [], "", None
        for r in range(args.repeats):
            e_model, _ = make(params, r, graph)
            e_model.run(args.warmup)
            e = ms_per_step(e_model, args.steps)  # the same weeks as the reference
            eng.append(e)
            line = f"  N={n} repeat {r}: engine {e:8.2f} ms/step"
            if not missing:
                r_model, how = make({**params, "engine": "reference"}, r, graph)
                if same is None:
                    same = same_graph(r_model, graph)
                for _ in range(args.warmup):
                    r_model.step()
                f = ms_per_step(r_model, args.steps)
                ref.append(f)
                ratios.append(f / e)
                line += f"   reference {f:9.1f} ms/step   ratio {f / e:7.1f}"
            print(line, flush=True)
        rows.append((n, benchlib.median(eng), benchlib.median(ref) if ref else None,
                     benchlib.median(ratios) if ratios else None, how, same))

    print(f"\n{'N':>7} {'engine ms/step':>15} {'reference ms/step':>18} {'ref/engine':>11}  "
          f"graph given by / same graph   target >= {TARGET:g} at 10k")
    for n, e, f, q, how, same in rows:
        if f is None:
            print(f"{n:>7} {e:>15.2f} {'skipped':>18} {'-':>11}")
            continue
        verdict = ("met" if q >= TARGET else "MISSED") if n >= 10_000 else "(no target)"
        print(f"{n:>7} {e:>15.2f} {f:>18.1f} {q:>11.1f}  {how} / {same}   {verdict}")


if __name__ == "__main__":
    main()
