"""womsim's `bass` preset vs. NDlib's SIModel on the same graph: adoption curves and speed.

    bash benchmarks/ndlib_env.sh          # once: NDlib in benchmarks/.venv-ndlib
    benchmarks/.venv-ndlib/bin/python benchmarks/bench_ndlib.py --seeds 10

NDlib lives only in its own virtual environment (``benchmarks/.venv-ndlib``, made by
``ndlib_env.sh``, which also installs this repo editable so one script imports both).
Run with the project's interpreter instead, the script says that NDlib is missing and stops.

The mapping (why it is a fair common case)
------------------------------------------
womsim `bass`: a non-adopter with a of its k neighbours adopted adopts this week with
probability ``min(bass_p + bass_q * a / k, 1)`` (synchronous: everybody sees last week's
adopters). NDlib ``SIModel`` (tp_rate = 1, its default): a susceptible node with a infected
neighbours is infected with probability ``1 - (1 - beta)^a``, also synchronous; it has no
spontaneous infection (no p) and starts from a set of infected nodes.

The common case: ``bass_p = 0`` and the SAME initial adopters in both (a share ``--initial``
= 1 % drawn per seed; in womsim they are set through the state before the first step,
``state.purchases[seeds] = 1``, since the preset itself starts with nobody), and
``beta = bass_q / k``.

* On a k-regular graph (``regular``: networkx's random k-regular graph, k = 10) the two
  hazards are equal for a = 0 and a = 1 and differ by at most C(a, 2) beta^2 for a >= 2
  (``1 - (1 - beta)^a = a beta - C(a,2) beta^2 + ...``): NDlib is slightly slower once
  several neighbours have adopted. With a small beta the curves should agree within noise.
* On a Barabasi-Albert graph (``ba``, m = 5) no single beta maps the two: Bass divides by the
  listener's own degree, SI does not, so with beta = q / mean degree hubs adopt far faster
  under SI. That row shows how large the difference of the models is, not a bug.

Curves: the adopted share F(t), t = 0..steps, mean over ``--seeds`` seeds for each model.
Reported: the max over t of |mean difference|, the pooled standard error of the difference
at that t, sqrt(sd_w^2 / S + sd_n^2 / S), and the max over t of |difference| / SE ("within
noise" if <= 3). Controls: the same two rules written in numpy (``numpy_curve``, one
sparse mat-vec per step) with their own random streams; "z w~npBass" is max z of womsim
against numpy-Bass and "z n~npSI" of NDlib against numpy-SI: both should be <= 3, which
shows that any womsim/NDlib gap is the difference of the two rules, not of the codes.
Speed: ms per step (womsim ``model.step`` incl. data collection, NDlib
``model.iteration``), median over seeds, and the ratio NDlib / womsim.
"""

from __future__ import annotations

import argparse
import sys
import time

import benchlib
import networkx as nx
import numpy as np

try:
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc
except ImportError as exc:  # run with the project's interpreter
    ep = mc = None
    NDLIB_ERROR = exc
else:
    NDLIB_ERROR = None

from simulation import WordOfMouthModel
from simulation.core.presets import preset_values


def make_graph(kind: str, n: int, k: int, seed: int) -> nx.Graph:
    if kind == "regular":
        return nx.random_regular_graph(k, n, seed=seed)
    if kind == "ba":
        return nx.barabasi_albert_graph(n, k // 2, seed=seed)
    raise ValueError(kind)


def womsim_curve(G: nx.Graph, q: float, seeds: np.ndarray, steps: int, seed: int):
    n = G.number_of_nodes()
    params = {**preset_values("bass"), "n_consumers": n, "bass_p": 0.0, "bass_q": q}
    model = WordOfMouthModel(params, rng=seed, graph=(G, np.zeros(n, dtype=np.int8)))
    model.state.purchases[seeds] = 1
    curve = [float((model.state.purchases >= 1).mean())]
    t0 = time.perf_counter()
    spent = 0.0
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        spent += time.perf_counter() - t0
        curve.append(float((model.state.purchases >= 1).mean()))
    return np.array(curve), 1000 * spent / steps


def ndlib_curve(G: nx.Graph, beta: float, seeds: np.ndarray, steps: int, seed: int):
    n = G.number_of_nodes()
    model = ep.SIModel(G, seed=seed)
    cfg = mc.Configuration()
    cfg.add_model_parameter("beta", beta)
    cfg.add_model_initial_configuration("Infected", [int(i) for i in seeds])
    model.set_initial_status(cfg)
    first = model.iteration(node_status=False)  # iteration 0: the initial state, no step
    curve = [first["node_count"][1] / n]
    spent = 0.0
    for _ in range(steps):
        t0 = time.perf_counter()
        it = model.iteration(node_status=False)
        spent += time.perf_counter() - t0
        curve.append(it["node_count"][1] / n)
    return np.array(curve), 1000 * spent / steps


def numpy_curve(G: nx.Graph, hazard: str, q: float, beta: float, seeds: np.ndarray, steps: int,
                seed: int) -> np.ndarray:
    """Control: the same two rules in ten lines of numpy (one sparse mat-vec per step).
    ``hazard = "bass"``: min(q a / k, 1); ``"si"``: 1 - (1 - beta)^a."""
    n = G.number_of_nodes()
    A = nx.to_scipy_sparse_array(G, nodelist=range(n), format="csr", dtype=np.float64)
    k = np.asarray(A.sum(axis=1)).ravel()
    rng = np.random.default_rng([seed, 7])
    adopted = np.zeros(n, dtype=bool)
    adopted[seeds] = True
    curve = [adopted.mean()]
    for _ in range(steps):
        a = A @ adopted.astype(np.float64)
        if hazard == "bass":
            h = np.minimum(q * np.divide(a, k, out=np.zeros(n), where=k > 0), 1.0)
        else:
            h = 1.0 - (1.0 - beta) ** a
        adopted = adopted | (rng.random(n) < h)
        curve.append(adopted.mean())
    return np.array(curve)


def max_z(X: np.ndarray, Y: np.ndarray) -> tuple[float, float, int, float]:
    """(max |mean diff|, pooled SE there, t there, max |diff| / SE over t)."""
    s = X.shape[0]
    diff = X.mean(0) - Y.mean(0)
    se = np.sqrt(X.var(0, ddof=1) / s + Y.var(0, ddof=1) / Y.shape[0])
    z = np.divide(np.abs(diff), se, out=np.zeros_like(diff), where=se > 0)
    t = int(np.argmax(np.abs(diff)))
    return float(abs(diff[t])), float(se[t]), t, float(z.max())


def compare(kind: str, n: int, k: int, q: float, steps: int, n_seeds: int, initial: float,
            graph_seed: int) -> dict:
    G = make_graph(kind, n, k, graph_seed)
    mean_degree = 2 * G.number_of_edges() / n
    beta = q / mean_degree
    w_curves, n_curves, w_ms, n_ms, b_curves, s_curves = [], [], [], [], [], []
    for s in range(n_seeds):
        rng = np.random.default_rng([graph_seed, s])
        seeds = rng.choice(n, size=max(1, round(initial * n)), replace=False)
        wc, wm = womsim_curve(G, q, seeds, steps, seed=s)
        nc, nm = ndlib_curve(G, beta, seeds, steps, seed=s)
        w_curves.append(wc), n_curves.append(nc), w_ms.append(wm), n_ms.append(nm)
        b_curves.append(numpy_curve(G, "bass", q, beta, seeds, steps, s))
        s_curves.append(numpy_curve(G, "si", q, beta, seeds, steps, s))
        print(f"  {kind} q={q:g} seed {s}: F({steps}) womsim {wc[-1]:.4f} NDlib {nc[-1]:.4f}   "
              f"ms/step womsim {wm:.2f} NDlib {nm:.1f}", flush=True)
    W, D = np.array(w_curves), np.array(n_curves)
    diff_, se_, t_max, z_ = max_z(W, D)
    control_w = max_z(W, np.array(b_curves))[3]
    control_n = max_z(D, np.array(s_curves))[3]
    return {"kind": kind, "n": n, "mean_degree": mean_degree, "q": q, "beta": beta,
            "steps": steps, "seeds": n_seeds, "max_abs_diff": diff_,
            "t_max": t_max, "se_at_max": se_, "max_z": z_,
            "z_w_vs_numpy_bass": control_w, "z_n_vs_numpy_si": control_n,
            "F_end_w": float(W.mean(0)[-1]), "F_end_n": float(D.mean(0)[-1]), "w_ms": benchlib.median(w_ms),
            "n_ms": benchlib.median(n_ms), "w_mean": W.mean(0), "n_mean": D.mean(0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=10, help="degree (regular) / mean degree 2m (BA)")
    ap.add_argument("--cases", nargs="+", default=["regular:0.38", "regular:0.1", "ba:0.38"],
                    help="graph:bass_q pairs; graph is regular or ba")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=10, help="seeds per model (>= 5)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="alias of --seeds (each seed is one timed repeat)")
    ap.add_argument("--initial", type=float, default=0.01, help="initial adopter share")
    ap.add_argument("--graph-seed", type=int, default=1)
    ap.add_argument("--curves", action="store_true", help="print both mean curves")
    args = ap.parse_args()
    n_seeds = args.repeats or args.seeds
    if NDLIB_ERROR is not None:
        print(f"SKIPPED: NDlib is not importable here ({NDLIB_ERROR}). Make its environment with "
              "`bash benchmarks/ndlib_env.sh` and run this script with "
              "benchmarks/.venv-ndlib/bin/python.")
        sys.exit(0)
    benchlib.print_header(extra_packages=("ndlib",))
    print(f"bass preset with bass_p = 0 vs NDlib SIModel (tp_rate 1), beta = bass_q / mean degree; "
          f"N = {args.n}, {args.initial:.0%} initial adopters (same nodes in both), "
          f"{args.steps} steps, {n_seeds} seeds")
    results = []
    for case in args.cases:
        kind, q = case.split(":")
        results.append(compare(kind, args.n, args.k, float(q), args.steps, n_seeds,
                               args.initial, args.graph_seed))
    print(f"\n{'graph':<8} {'k':>5} {'q':>5} {'beta':>7} {'F_end w':>8} {'F_end n':>8} "
          f"{'max|diff|':>9} {'at t':>5} {'SE there':>9} {'max z':>7} {'within noise':>12} "
          f"{'womsim ms':>10} {'NDlib ms':>9} {'NDlib/womsim':>13} {'z w~npBass':>11} {'z n~npSI':>9}")
    for r in results:
        ok = "yes" if r["max_z"] <= 3 else "NO"
        print(f"{r['kind']:<8} {r['mean_degree']:>5.2f} {r['q']:>5.2f} {r['beta']:>7.4f} "
              f"{r['F_end_w']:>8.3f} {r['F_end_n']:>8.3f} {r['max_abs_diff']:>9.4f} {r['t_max']:>5} "
              f"{r['se_at_max']:>9.4f} {r['max_z']:>7.1f} {ok:>12} {r['w_ms']:>10.2f} "
              f"{r['n_ms']:>9.1f} {r['n_ms'] / r['w_ms']:>13.1f} {r['z_w_vs_numpy_bass']:>11.1f} "
              f"{r['z_n_vs_numpy_si']:>9.1f}")
    if args.curves:
        for r in results:
            print(f"\n{r['kind']} q={r['q']:g}: t, womsim F, NDlib F")
            for t, (a, b) in enumerate(zip(r["w_mean"], r["n_mean"])):
                print(f"  {t:>3} {a:.4f} {b:.4f}")


if __name__ == "__main__":
    main()
