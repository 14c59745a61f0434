"""Helpers shared by the benchmark scripts (not a benchmark itself).

The scripts run as ``python benchmarks/bench_X.py``, so this directory is on ``sys.path``
and ``import benchlib`` works without installing anything.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from importlib import metadata

import numpy as np

PACKAGES = ("womsim", "mesa", "numpy", "scipy", "networkx", "pandas")


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(extra: Iterable[str] = ()) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in (*PACKAGES, *extra):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def blas_note() -> str:
    """Whether OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (recorded, never changed)."""
    parts = [f"{k}={os.environ[k]}" if k in os.environ else f"{k} unset"
             for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")]
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                f"threads={i.get('num_threads')}" for i in threadpool_info()
                if i.get("user_api") == "blas"]
        if blas:
            parts.append("; ".join(blas))
    except ImportError:
        pass
    return ", ".join(parts)


def print_header(extra_packages: Iterable[str] = ()) -> None:
    print(f"machine: {os.cpu_count()} logical CPUs (nproc {len(os.sched_getaffinity(0))}), "
          f"{cpu_model()}, {platform.platform()}")
    print(f"versions: {versions(extra_packages)}")
    print(f"BLAS: {blas_note()}")


def ba_params(n: int, **extra) -> dict:
    """Barabasi-Albert with m = 5 (mean_degree 10), strategy `mixed` unless overridden."""
    return {"n_consumers": n, "network": "barabasi_albert", "mean_degree": 10,
            "strategy": "mixed", **extra}


def shared_graph(params: dict, seed: int):
    """(graph, segment) built once, to run several models on the same consumers."""
    from simulation.core.network import build_graph
    from simulation.core.params import Params

    return build_graph(Params(**params), np.random.default_rng(seed))


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def si_stepper(adjacency, beta: float, initial_share: float, seed: int):
    """The floor: a numpy/scipy-sparse SI step on the model's own adjacency.

    Each susceptible node is infected with probability ``1 - (1 - beta)^k``, k = number
    of infected neighbours, from ONE sparse mat-vec ``A @ infected`` (A = the model's CSR
    with unit entries) and one uniform draw per node. Returns ``step()``; the state
    starts with a share ``initial_share`` infected.
    """
    A = adjacency.to_scipy()
    A.data[:] = 1.0  # count neighbours, not tie strengths
    n = A.shape[0]
    rng = np.random.default_rng(seed)
    infected = rng.random(n) < initial_share
    log_s = np.log1p(-beta)

    def step() -> int:
        nonlocal infected
        k = A @ infected.astype(np.float64)
        p = -np.expm1(k * log_s)  # 1 - (1 - beta)^k
        infected = infected | (rng.random(n) < p)
        return int(infected.sum())

    return step


def max_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def vmhwm_mib() -> float:
    """Peak RSS of this process's own address space (``VmHWM``), MiB; NaN if unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def property_parser(description: str, replicates: int, seed: int) -> argparse.ArgumentParser:
    """The options of the scripts that measure a model property at the defaults (not a timing):
    --replicates, --steps, --n, --seed, --workers, --quick (4 replicates, 52 weeks; applied by
    :func:`parse_property_args`) and --set KEY=VALUE (repeatable)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--replicates", type=int, default=replicates)
    ap.add_argument("--steps", type=int, default=104)
    ap.add_argument("--n", type=int, default=2000, help="n_consumers")
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="4 replicates, 52 weeks")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    return ap


def parse_property_args(ap: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse, then apply --quick."""
    args = ap.parse_args(argv)
    if args.quick:
        args.replicates, args.steps = 4, 52
    return args
