"""Pictures of the network: attitudes spreading over the consumers, strategy beside strategy.

Three outputs, all drawn on one layout of the social graph that is computed once:

:func:`plot_network_snapshots`
    A grid of panels, one row per strategy and one column per chosen week (PNG + SVG).
:func:`animate`
    A GIF (or MP4 when ffmpeg is installed) of the weeks, two strategies side by side,
    with the week and each panel's metrics in a caption bar; a JSON file of provenance
    is written beside it.
:func:`snapshot_states`
    The consumer arrays behind both: attitude, loyalty, awareness and this week's talkers
    at chosen weeks, one run per strategy on the same graph with the same seed.

Every strategy runs on the *same* consumers: the graph and segments are built once with
``build_graph(Params(**params), numpy.random.default_rng(seed))`` and handed to each
model, whose own generator is seeded with ``seed``. So week 0 looks the same in every
row, and any difference later is the strategy's doing (plus the different random draws
it causes).

Large graphs are not drawn whole: above :data:`MAX_DRAWN` consumers a snowball sample of
:data:`MAX_DRAWN` consumers around the best-connected one is drawn with the ties among
them, and the caption says so ("showing 1,500 of 100,000 consumers: ..."). The layout is
never recomputed per step or per panel: :func:`layout` caches positions in memory (keyed
by a hash of the edge list) and optionally on disk.

Examples
--------
>>> import networkx as nx
>>> G = nx.karate_club_graph()
>>> pos = layout(G, seed=1)
>>> pos.shape, layout(G, seed=1) is pos  # the second call is a cache hit
((34, 2), True)
>>> d = drawing(nx.path_graph(5000), max_nodes=100)
>>> len(d.nodes), d.sampled, d.caption.startswith("showing 100 of 5,000 consumers")
(100, True, True)
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from simulation.errors import ParameterError, WomsimError
from simulation.core.params import STRATEGIES, Params

__all__ = [
    "ATTITUDE_CMAP",
    "DEFAULT_WEEKS",
    "MAX_DRAWN",
    "Drawing",
    "Frame",
    "Snapshots",
    "animate",
    "clear_layout_cache",
    "draw_network_snapshots",
    "drawing",
    "layout",
    "main_animate",
    "plot_network_snapshots",
    "sample_nodes",
    "snapshot_states",
]

#: Most consumers drawn in one panel; larger graphs are shown as a sample of this size.
MAX_DRAWN = 1500
#: Above this many nodes :func:`layout` uses the fast (anchored) layout.
FAST_LAYOUT_ABOVE = 2000
#: Most ties drawn in one panel; denser samples show a random subset of their ties.
MAX_EDGES = 12_000
#: Contacts followed per consumer by the snowball sample.
SNOWBALL_FOLLOW = 10
#: Weeks of an animation when neither ``steps`` nor the ``steps`` parameter is given.
DEFAULT_WEEKS = 52
#: Diverging, colour-blind friendly (ColorBrewer RdBu): red negative, blue positive.
ATTITUDE_CMAP = "RdBu"
UNAWARE_COLOR = "#ABABAB"
EDGE_COLOR = "#C8C8C8"
TALKER_EDGE = "#111111"
OUTLINE = "#7A7A7A"
METRICS_SHOWN = ("awareness", "loyalty", "nps", "trust")

_LAYOUT_VERSION = "fr1"  # part of the cache key: change it when the algorithm changes
_LAYOUT_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_LAYOUT_CACHE_SIZE = 16


# ----------------------------------------------------------------------------------------
# Layout
# ----------------------------------------------------------------------------------------
def clear_layout_cache() -> None:
    """Forget every in-memory layout (the disk cache is left alone)."""
    _LAYOUT_CACHE.clear()


def _node_index(G: nx.Graph) -> tuple[list, dict | None]:
    """Nodes in row order, and a node -> row map (None when nodes are already 0..n-1)."""
    nodes = list(G)
    n = len(nodes)
    if all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) for u in nodes) \
            and n and min(nodes) == 0 and max(nodes) == n - 1:
        return list(range(n)), None
    return nodes, {u: i for i, u in enumerate(nodes)}


def _edge_array(G: nx.Graph) -> np.ndarray:
    """(m, 2) int64 row pairs, each with the smaller row first, sorted, no loops."""
    _, index = _node_index(G)
    m = G.number_of_edges()
    if index is None:
        flat = np.fromiter((x for e in G.edges() for x in e[:2]), dtype=np.int64, count=2 * m)
    else:
        flat = np.fromiter((index[x] for e in G.edges() for x in e[:2]), dtype=np.int64, count=2 * m)
    e = flat.reshape(-1, 2)
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    if len(e):
        e = np.unique(e, axis=0)
    return e


def _is_complete(G: nx.Graph) -> bool:
    n = G.number_of_nodes()
    return bool(G.graph.get("mean_field")) or (n > 3 and G.number_of_edges() >= n * (n - 1) // 2)


def _layout_key(G: nx.Graph, edges: np.ndarray, seed: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    kind = "complete" if _is_complete(G) else "graph"
    h.update(f"{_LAYOUT_VERSION}|{kind}|n={G.number_of_nodes()}|seed={seed}|".encode())
    if kind == "graph":
        h.update(np.ascontiguousarray(edges, dtype=np.int64).tobytes())
    return h.hexdigest()


def layout(G: nx.Graph, seed: int = 0, cache_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Positions of the nodes of ``G``, computed once per graph and cached.

    Parameters
    ----------
    G : networkx.Graph
        Row i of the result is the i-th node of ``list(G)`` (for the graphs of
        :func:`~simulation.core.network.build_graph`, consumer i).
    seed : int
        Seed of the layout's random start; part of the cache key.
    cache_dir : path, optional
        Also keep the positions as ``layout-<hash>.npy`` in this folder, and read them
        from there when present.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, 2)``, roughly within [-1, 1]; **read-only** and shared: the same
        graph (same node count and edge list) and seed give the very same array object.

    Notes
    -----
    * Up to :data:`FAST_LAYOUT_ABOVE` nodes: a force-directed layout (Fruchterman &
      Reingold 1991, vectorised in numpy, with weak gravity so that separate components
      stay in view).
    * Larger graphs: the force layout of a snowball sample of :data:`MAX_DRAWN` nodes
      (:func:`sample_nodes`) anchors the picture; every other node is placed at the mean
      of its placed neighbours (a few sweeps of sparse averaging), plus a little jitter.
      Seconds, not the minutes a full spring layout takes.
    * Complete graphs (including the implicit ``mean_field`` ones) and graphs without
      ties have no structure to show: the nodes fill a disc evenly (a sunflower spiral).

    Examples
    --------
    >>> import networkx as nx
    >>> layout(nx.complete_graph(5)).shape
    (5, 2)
    """
    edges = np.zeros((0, 2), dtype=np.int64) if _is_complete(G) else _edge_array(G)
    key = _layout_key(G, edges, seed)
    cached = _LAYOUT_CACHE.get(key)
    if cached is not None:
        _LAYOUT_CACHE.move_to_end(key)
        return cached
    n = G.number_of_nodes()
    path = Path(cache_dir) / f"layout-{key}.npy" if cache_dir is not None else None
    pos = None
    if path is not None and path.is_file():
        try:
            loaded = np.load(path, allow_pickle=False)
            if loaded.shape == (n, 2) and np.isfinite(loaded).all():
                pos = loaded.astype(np.float64)
        except (OSError, ValueError):
            pos = None  # a broken cache file is recomputed and overwritten
    if pos is None:
        pos = _compute_layout(G, edges, seed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            with open(tmp, "wb") as fh:
                np.save(fh, pos)
            os.replace(tmp, path)
    pos.setflags(write=False)
    _LAYOUT_CACHE[key] = pos
    while len(_LAYOUT_CACHE) > _LAYOUT_CACHE_SIZE:
        _LAYOUT_CACHE.popitem(last=False)
    return pos


def _compute_layout(G: nx.Graph, edges: np.ndarray, seed: int) -> np.ndarray:
    n = G.number_of_nodes()
    if n == 0:
        return np.zeros((0, 2))
    if _is_complete(G) or len(edges) == 0:
        return _sunflower(n)
    if n <= FAST_LAYOUT_ABOVE:
        return _force_layout(n, edges, seed)
    return _anchored_layout(G, n, edges, seed)


def _sunflower(n: int) -> np.ndarray:
    """n points spread evenly over the unit disc (Vogel's spiral)."""
    i = np.arange(n) + 0.5
    r = np.sqrt(i / n)
    theta = i * math.pi * (3.0 - math.sqrt(5.0))
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _force_layout(n: int, edges: np.ndarray, seed: int, iterations: int | None = None,
                  start: np.ndarray | None = None) -> np.ndarray:
    """Fruchterman-Reingold with exact (dense) repulsion, vectorised; O(n^2) per sweep.

    Positions are returned centred and scaled to radius 1 (the 99th percentile of the
    distances from the centre, so a far-flung straggler does not shrink the rest).
    """
    rng = np.random.default_rng(seed)
    if n == 1:
        return np.zeros((1, 2))
    if iterations is None:
        iterations = int(np.clip(300 - n // 8, 100, 250))
    pos = (rng.uniform(-1.0, 1.0, (n, 2)) if start is None else np.array(start, dtype=float))
    pos = pos.astype(np.float32)
    k = np.float32(2.0 / math.sqrt(n))  # ideal distance for n nodes in a 2 x 2 box
    k2 = k * k
    u, v = edges[:, 0], edges[:, 1]
    degree = np.bincount(np.concatenate([u, v]), minlength=n).astype(np.float32)
    gravity = np.float32(0.5) * k  # pulls separate components (and isolates) into view
    t0 = 0.15
    chunk = max(1, 4_000_000 // n)  # rows per block: bounded memory for the n x n part
    for it in range(iterations):
        x, y = pos[:, 0], pos[:, 1]
        disp = np.empty_like(pos)
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            dx = x[a:b, None] - x[None, :]
            dy = y[a:b, None] - y[None, :]
            d2 = dx * dx + dy * dy
            d2 += np.float32(1e-9)
            inv = k2 / d2
            disp[a:b, 0] = (dx * inv).sum(axis=1)
            disp[a:b, 1] = (dy * inv).sum(axis=1)
        delta = pos[u] - pos[v]
        dist = np.sqrt((delta * delta).sum(axis=1)) + np.float32(1e-9)
        pull = delta * (dist / k)[:, None]
        for j in (0, 1):
            disp[:, j] -= np.bincount(u, weights=pull[:, j], minlength=n).astype(np.float32)
            disp[:, j] += np.bincount(v, weights=pull[:, j], minlength=n).astype(np.float32)
        disp -= gravity * (1.0 + degree)[:, None] * pos
        length = np.sqrt((disp * disp).sum(axis=1)) + np.float32(1e-9)
        t = np.float32(t0 * (1.0 - it / iterations) + 0.002)
        pos += disp * (np.minimum(length, t) / length)[:, None]
    return _normalise(pos.astype(np.float64))


def _normalise(pos: np.ndarray) -> np.ndarray:
    pos = pos - np.median(pos, axis=0)
    r = np.sqrt((pos ** 2).sum(axis=1))
    scale = float(np.quantile(r, 0.99)) if len(r) > 1 else 1.0
    return pos / (scale if scale > 0 else 1.0)


def _anchored_layout(G: nx.Graph, n: int, edges: np.ndarray, seed: int) -> np.ndarray:
    """Force layout of a snowball sample, then neighbour averaging for everybody else."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    _, index = _node_index(G)
    sample = sample_nodes(G, MAX_DRAWN, seed=seed)
    rows = sample if index is None else np.array([index[u] for u in sample], dtype=np.int64)
    local = np.full(n, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    lu, lv = local[edges[:, 0]], local[edges[:, 1]]
    inside = (lu >= 0) & (lv >= 0)
    sub = np.column_stack([lu[inside], lv[inside]])
    pos = np.empty((n, 2))
    anchored = np.zeros(n, dtype=bool)
    anchored[rows] = True
    pos[rows] = _force_layout(len(rows), sub, seed)
    free = ~anchored
    # Start the others at random points of the disc, then let each move to the mean of
    # its neighbours (anchors stay put): a few sweeps of a sparse mat-vec.
    angle = rng.uniform(0, 2 * math.pi, int(free.sum()))
    radius = np.sqrt(rng.uniform(0, 1, int(free.sum()))) * 1.2
    pos[free] = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    A = sp.csr_array((np.ones(2 * len(edges)), (np.concatenate([edges[:, 0], edges[:, 1]]),
                                                np.concatenate([edges[:, 1], edges[:, 0]]))),
                     shape=(n, n))
    deg = np.asarray(A.sum(axis=1)).ravel()
    has = free & (deg > 0)
    for _ in range(30):
        mean = (A @ pos)[has] / deg[has, None]
        pos[has] = mean
    pos[free] += rng.normal(0.0, 0.02, (int(free.sum()), 2))
    return pos


# ----------------------------------------------------------------------------------------
# Sampling what is drawn
# ----------------------------------------------------------------------------------------
def sample_nodes(G: nx.Graph, max_nodes: int = MAX_DRAWN, seed: int = 0,
                 follow: int = SNOWBALL_FOLLOW) -> np.ndarray:
    """A snowball sample of at most ``max_nodes`` nodes, as rows of ``list(G)`` (sorted).

    A snowball is grown from the best-connected node, breadth first, following at most
    ``follow`` not-yet-sampled contacts (chosen at random) of each node, and restarting
    at the best-connected node not yet sampled when a component is exhausted. The sample
    is the first ``max_nodes`` members (in the order they were reached) of the
    snowball's 2-core, i.e. with at least two ties among the sampled (the snowball grows
    to up to 8 x ``max_nodes`` to find them), topped up with the others if there are too
    few (a tree has no 2-core). The dangling last wave of a plain snowball draws as tufts
    of leaves around their parents and says nothing about the network; a random sample
    of a sparse graph would have almost no ties among its members.

    Graphs with at most ``max_nodes`` nodes are returned whole; complete or tie-less
    graphs get a uniform random sample.

    Examples
    --------
    >>> import networkx as nx
    >>> s = sample_nodes(nx.star_graph(50), 5, follow=3)
    >>> int(s[0]), len(s)  # the hub, then leaves: no 2-core to prefer in a star
    (0, 5)
    >>> G = nx.barabasi_albert_graph(3000, 3, seed=1)
    >>> s = sample_nodes(G, 500)
    >>> H = G.subgraph(s.tolist())
    >>> len(s), min(d for _, d in H.degree())  # no dangling nodes
    (500, 2)
    """
    n = G.number_of_nodes()
    if n <= max_nodes:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if _is_complete(G) or G.number_of_edges() == 0:
        return np.sort(rng.choice(n, size=max_nodes, replace=False))
    nodes, _ = _node_index(G)
    size = 2 * max_nodes
    while True:  # grow the snowball until its 2-core can fill the sample (within reason)
        order = _snowball(G, min(n, size), np.random.default_rng(seed), follow)
        core = nx.core_number(G.subgraph([nodes[i] for i in order]))
        pool = [i for i in order if core[nodes[i]] >= 2]
        if len(pool) >= max_nodes or size >= n or size >= 8 * max_nodes:
            break
        size *= 2
    # Cutting the 2-core at max_nodes leaves new dangling nodes at the cut; drop them and
    # refill from the rest of the core a few times.
    chosen = pool[:max_nodes]
    for _ in range(6):
        if len(pool) <= max_nodes:
            break
        core = nx.core_number(G.subgraph([nodes[i] for i in chosen]))
        drop = {i for i in chosen if core[nodes[i]] < 2}
        if not drop:
            break
        pool = [i for i in pool if i not in drop]
        chosen = pool[:max_nodes]
    if len(chosen) < max_nodes:
        have = set(chosen)
        chosen += [i for i in order if i not in have][: max_nodes - len(chosen)]
    return np.sort(np.array(chosen, dtype=np.int64))


def _snowball(G: nx.Graph, size: int, rng: np.random.Generator, follow: int) -> list[int]:
    """Rows of ``size`` nodes in the order a capped breadth-first snowball reaches them."""
    n = G.number_of_nodes()
    nodes, index = _node_index(G)
    row = (lambda u: u) if index is None else index.__getitem__
    degree = np.fromiter((d for _, d in G.degree(nodes)), dtype=np.int64, count=n)
    by_degree = iter(np.lexsort((np.arange(n), -degree)))
    taken = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    queue: deque[int] = deque()
    while len(chosen) < size:
        if not queue:
            start = int(next(i for i in by_degree if not taken[i]))
            taken[start] = True
            chosen.append(start)
            queue.append(start)
            continue
        i = queue.popleft()
        fresh = [r for r in (row(w) for w in G[nodes[i]]) if not taken[r]]
        if len(fresh) > follow:
            fresh = [fresh[j] for j in rng.choice(len(fresh), size=follow, replace=False)]
        for r in fresh[: size - len(chosen)]:
            taken[r] = True
            chosen.append(int(r))
            queue.append(int(r))
    return chosen


@dataclass(frozen=True, eq=False)
class Drawing:
    """What is drawn of a graph: which consumers, where, and which ties.

    Attributes
    ----------
    nodes : numpy.ndarray
        Rows of ``list(G)`` (consumer ids for model graphs) that are drawn, sorted.
    pos : numpy.ndarray
        ``(len(nodes), 2)`` positions, aligned with ``nodes`` (read-only, cached).
    edges : numpy.ndarray
        ``(k, 2)`` ties to draw, as indices into ``nodes``.
    n_total : int
        Consumers in the graph.
    caption : str
        What the picture shows, e.g. "showing 1,500 of 100,000 consumers: ...".
    """

    nodes: np.ndarray
    pos: np.ndarray
    edges: np.ndarray
    n_total: int
    caption: str

    @property
    def sampled(self) -> bool:
        return len(self.nodes) < self.n_total

    def segments(self) -> np.ndarray:
        """``(k, 2, 2)`` line segments of the drawn ties."""
        return self.pos[self.edges]


def drawing(G: nx.Graph, seed: int = 0, cache_dir: str | os.PathLike | None = None,
            max_nodes: int = MAX_DRAWN) -> Drawing:
    """Choose what to draw of ``G`` and lay it out (once: see :func:`layout`).

    Up to ``max_nodes`` consumers the whole graph is drawn with :func:`layout`. Above,
    a snowball sample (:func:`sample_nodes`) is drawn with the ties among its members,
    laid out on its own (a force layout of exactly what is shown reads better than a
    crop of a layout of everybody). Complete graphs are drawn without ties (there would
    be nothing but ties); very dense samples show a random subset of
    :data:`MAX_EDGES` ties. The caption says all of this.
    """
    n = G.number_of_nodes()
    rng = np.random.default_rng(seed)
    complete = _is_complete(G)
    nodes = sample_nodes(G, max_nodes, seed=seed)
    edges_all = np.zeros((0, 2), dtype=np.int64) if complete else _edge_array(G)
    if len(nodes) < n:
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        lu, lv = local[edges_all[:, 0]], local[edges_all[:, 1]]
        keep = (lu >= 0) & (lv >= 0)
        sub_edges = np.column_stack([lu[keep], lv[keep]])
        H = nx.Graph()
        H.add_nodes_from(range(len(nodes)))
        H.add_edges_from(map(tuple, sub_edges.tolist()))
        if complete:
            H.graph["mean_field"] = True
        pos = layout(H, seed=seed, cache_dir=cache_dir)
    else:
        sub_edges = edges_all
        pos = layout(G, seed=seed, cache_dir=cache_dir)
    notes = []
    if len(nodes) < n:
        how = ("a random sample" if complete or len(edges_all) == 0 else
               "a snowball sample around the best-connected consumer, with the ties among them")
        notes.append(f"showing {len(nodes):,} of {n:,} consumers: {how}")
    if complete:
        notes.append("complete graph (everyone knows everyone): ties not drawn")
        sub_edges = np.zeros((0, 2), dtype=np.int64)
    elif len(sub_edges) > MAX_EDGES:
        pick = np.sort(rng.choice(len(sub_edges), size=MAX_EDGES, replace=False))
        notes.append(f"{MAX_EDGES:,} of {len(sub_edges):,} ties drawn")
        sub_edges = sub_edges[pick]
    if not notes:
        notes.append(f"all {n:,} consumers and {len(sub_edges):,} ties")
    return Drawing(nodes=nodes, pos=pos, edges=sub_edges, n_total=n, caption="; ".join(notes))


# ----------------------------------------------------------------------------------------
# Running the model and capturing states
# ----------------------------------------------------------------------------------------
@dataclass
class Frame:
    """One strategy's consumers at the end of one week (week 0 = the initial state).

    ``attitude``, ``loyalty``, ``aware`` and ``talked`` (talked this week: a word-of-mouth
    talker) are copies, over all consumers or over the ``nodes`` asked for; ``metrics`` are
    the model's own collected metrics of that week (awareness, loyalty, NPS, trust, ...).
    """

    step: int
    attitude: np.ndarray
    loyalty: np.ndarray
    aware: np.ndarray
    talked: np.ndarray
    metrics: dict[str, float]


@dataclass
class Snapshots:
    """States of one run per strategy on one graph: ``frames[strategy][k]`` is week ``steps[k]``."""

    params: Params
    seed: int
    graph: nx.Graph
    segment: np.ndarray
    steps: list[int]
    strategies: list[str]
    nodes: np.ndarray | None
    frames: dict[str, list[Frame]] = field(default_factory=dict)


def _as_params(params: Params | Mapping[str, Any]) -> Params:
    if isinstance(params, Params):
        return params
    return Params(**dict(params))


def _check_strategies(strategies: Sequence[str]) -> list[str]:
    out = [strategies] if isinstance(strategies, str) else list(strategies)
    if not out:
        raise ParameterError("at least one strategy is needed")
    for s in out:
        if s not in STRATEGIES:
            raise ParameterError(f"strategy {s!r} is not allowed: allowed {' | '.join(STRATEGIES)}")
    return out


def _check_steps(steps: Sequence[int]) -> list[int]:
    out = []
    for s in ([steps] if isinstance(steps, (int, np.integer)) else list(steps)):
        if isinstance(s, bool) or not float(s).is_integer() or s < 0:
            raise ParameterError(f"snapshot week {s!r} is not a whole number >= 0")
        out.append(int(s))
    if not out:
        raise ParameterError("at least one week to show is needed")
    return sorted(set(out))


def _build(p: Params, seed: int) -> tuple[nx.Graph, np.ndarray]:
    from simulation.core.network import build_graph

    return build_graph(p, np.random.default_rng(seed))


def _models(p: Params, seed: int, graph: tuple[nx.Graph, np.ndarray], strategies: list[str]):
    from simulation.core.model import WordOfMouthModel

    return [WordOfMouthModel(p.replace(strategy=s), rng=seed, graph=graph) for s in strategies]


def _frame(model, step: int, nodes: np.ndarray | None) -> Frame:
    s = model.state
    pick = (lambda a: a.copy()) if nodes is None else (lambda a: a[nodes])
    collected = model.datacollector.model_vars
    metrics = {name: float(values[-1]) for name, values in collected.items()}
    return Frame(step=step, attitude=pick(s.attitude), loyalty=pick(s.loyalty),
                 aware=pick(s.aware), talked=pick(s.talked) if step > 0 else np.zeros_like(pick(s.aware)),
                 metrics=metrics)


def _run(models: list, last: int, nodes: np.ndarray | None,
         wanted: set[int] | None = None) -> Iterator[tuple[int, list[Frame]]]:
    """Step all models together; yield (week, one frame per model) at the wanted weeks."""
    for t in range(last + 1):
        if t > 0:
            for m in models:
                m.step()
        if wanted is None or t in wanted:
            yield t, [_frame(m, t, nodes) for m in models]


def snapshot_states(params: Params | Mapping[str, Any], seed: int, steps: Sequence[int],
                    strategies: Sequence[str], *, nodes: np.ndarray | None = None,
                    graph: tuple[nx.Graph, np.ndarray] | None = None) -> Snapshots:
    """Run the model once per strategy on the same graph and seed; keep chosen weeks.

    Parameters
    ----------
    params : Params or mapping
        Model parameters; ``strategy`` is replaced by each of ``strategies``. Validated
        (:class:`~simulation.errors.ParameterError`).
    seed : int
        Seeds the graph (``build_graph(Params(**params), default_rng(seed))``) and every
        model (``rng=seed``).
    steps : sequence of int
        Weeks to keep (0 = the initial state). The runs last ``max(steps)`` weeks,
        whatever the ``steps`` parameter says.
    strategies : sequence of str
        One run each, in this order.
    nodes : array of int, optional
        Keep only these consumers' values (saves memory on large graphs).
    graph : (graph, segment), optional
        A graph already built for these params and seed.

    Returns
    -------
    Snapshots
        ``frames[strategy]`` lists one :class:`Frame` per week in ``sorted(set(steps))``.

    Examples
    --------
    >>> snaps = snapshot_states({"n_consumers": 60, "network": "watts_strogatz"}, 1, [0, 3],
    ...                         ["broadcast", "dialogue"])
    >>> [f.step for f in snaps.frames["dialogue"]], snaps.frames["broadcast"][0].attitude.shape
    ([0, 3], (60,))
    """
    p = _as_params(params)
    weeks = _check_steps(steps)
    strategies = _check_strategies(strategies)
    G, segment = graph if graph is not None else _build(p, seed)
    models = _models(p, seed, (G, segment), strategies)
    snaps = Snapshots(params=p, seed=seed, graph=G, segment=segment, steps=weeks,
                      strategies=strategies, nodes=None if nodes is None else np.asarray(nodes),
                      frames={s: [] for s in strategies})
    for _, frames in _run(models, weeks[-1], snaps.nodes, set(weeks)):
        for s, f in zip(strategies, frames):
            snaps.frames[s].append(f)
    return snaps


# ----------------------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------------------
def _cmap():
    return plt.get_cmap(ATTITUDE_CMAP).with_extremes(bad=UNAWARE_COLOR)


_NORM = Normalize(vmin=-1.0, vmax=1.0)


class _Panel:
    """One network panel: static ties plus one scatter whose colours/sizes are updated."""

    def __init__(self, ax, d: Drawing, base_size: float, rasterize: bool) -> None:
        self.ax, self.base = ax, base_size
        n = len(d.nodes)
        if len(d.edges):
            width = 0.3 if len(d.edges) < 3000 else 0.2
            ax.add_collection(LineCollection(d.segments(), colors=EDGE_COLOR, linewidths=width,
                                             alpha=0.55, zorder=1, rasterized=rasterize))
        self.scatter = ax.scatter(d.pos[:, 0], d.pos[:, 1], c=np.zeros(n), cmap=_cmap(), norm=_NORM,
                                  s=np.full(n, base_size), linewidths=0.3, edgecolors=OUTLINE,
                                  plotnonfinite=True, zorder=2, rasterized=rasterize)
        lo, hi = d.pos.min(axis=0), d.pos.max(axis=0)
        pad = 0.04 * float(max(hi - lo)) if n > 1 else 1.0
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)

    def update(self, f: Frame) -> None:
        self.scatter.set_array(np.ma.masked_array(f.attitude, mask=~f.aware))
        self.scatter.set_sizes(_sizes(f.loyalty, f.aware, self.base))
        talked = f.talked.astype(bool)
        self.scatter.set_linewidths(np.where(talked, 1.0, np.where(f.aware, 0.3, 0.0)))
        edge = np.empty((len(talked), 4))
        edge[:] = matplotlib.colors.to_rgba(OUTLINE)
        edge[talked] = matplotlib.colors.to_rgba(TALKER_EDGE)
        self.scatter.set_edgecolors(edge)


def _sizes(loyalty: np.ndarray, aware: np.ndarray, base: float) -> np.ndarray:
    """Marker area: ``base`` at loyalty 0, 5 x ``base`` at loyalty 1; unaware a bit smaller."""
    return np.where(aware, base * (1.0 + 4.0 * np.clip(loyalty, 0.0, 1.0)), 0.7 * base)


def _base_size(n_drawn: int, panel_inches: float) -> float:
    """Marker area (pt^2) at loyalty 0: about 14 % of the panel shared out, within limits."""
    area_pt2 = (panel_inches * 72.0) ** 2
    return float(np.clip(0.14 * area_pt2 / max(n_drawn, 1), 2.5, 36.0))


def _legend_handles(base: float) -> list[Line2D]:
    neutral = plt.get_cmap(ATTITUDE_CMAP)(0.5)

    def dot(area, face, edge, width, label):
        return Line2D([], [], linestyle="none", marker="o", markersize=math.sqrt(area),
                      markerfacecolor=face, markeredgecolor=edge, markeredgewidth=width, label=label)

    sizes = _sizes(np.array([0.0, 0.5, 1.0]), np.ones(3, dtype=bool), base)
    handles = [dot(a, neutral, OUTLINE, 0.4, f"loyalty {v:g}") for a, v in zip(sizes, (0, 0.5, 1))]
    handles.append(dot(0.7 * base, UNAWARE_COLOR, UNAWARE_COLOR, 0.0, "unaware"))
    handles.append(dot(sizes[1], "white", TALKER_EDGE, 1.0, "talked this week"))
    return handles


def _fmt_metrics(m: Mapping[str, float], sep: str = "  ") -> str:
    def num(x, fmt):
        if x is None or not np.isfinite(x):
            return "n/a"
        return f"{round(x):+d}" if fmt == "+d" else format(x, fmt)
    return sep.join([f"aware {num(100 * m.get('awareness', np.nan), '.0f')} %",
                     f"loyalty {num(m.get('loyalty', np.nan), '.2f')}",
                     f"NPS {num(m.get('nps', np.nan), '+d')}",
                     f"trust {num(m.get('trust', np.nan), '.2f')}"])


def _strategy_color(s: str) -> str:
    from simulation.outputs.figures.style import STRATEGY_COLORS
    return STRATEGY_COLORS.get(s, "#222222")


def _style() -> dict:
    from simulation.outputs.figures.style import STYLE
    return dict(STYLE)


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, max(40, width)))


def _legend_note(d: Drawing, p: Params, seed: int) -> str:
    return (f"{d.n_total:,} consumers on a {p.network} graph, budget {p.budget:g}, seed {seed}; "
            f"{d.caption}. Same consumers, layout and seed in every panel. Colour = attitude of "
            f"aware consumers (red negative, blue positive), grey = unaware, size = loyalty, "
            f"dark ring = told others this week.")


def draw_network_snapshots(snaps: Snapshots, d: Drawing, title: str | None = None):
    """The grid figure of :func:`plot_network_snapshots` (not saved; the caller closes it).

    ``snaps`` must hold the values of exactly ``d.nodes`` (``snapshot_states(...,
    nodes=d.nodes)``) or of every consumer.
    """
    strategies, weeks = snaps.strategies, snaps.steps
    nrows, ncols = len(strategies), len(weeks)
    panel = 2.5 if ncols <= 4 else max(1.6, 10.0 / ncols)
    width = 0.45 + ncols * panel + 0.95
    note = _wrap(_legend_note(d, snaps.params, snaps.seed)
                 + " Under each panel the model's metrics that week (loyalty: mean over customers).",
                 int(width * 14))
    bottom = 0.55 + 0.15 * (note.count("\n") + 1)
    row = panel + 0.42
    title_h = 0.0 if not title else 0.3 + 0.2 * title.count("\n")
    height = title_h + nrows * row + bottom
    take = None if snaps.nodes is not None else d.nodes
    with plt.rc_context(_style()):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[row] * nrows + [bottom])
        axes = np.array([[fig.add_subplot(gs[r, c]) for c in range(ncols)] for r in range(nrows)])
        base = _base_size(len(d.nodes), panel)
        rasterize = len(d.nodes) > 400 or len(d.edges) > 1500
        for r, s in enumerate(strategies):
            for c, week in enumerate(weeks):
                ax = axes[r, c]
                f = snaps.frames[s][c]
                if take is not None:
                    f = Frame(f.step, f.attitude[take], f.loyalty[take], f.aware[take],
                              f.talked[take], f.metrics)
                _Panel(ax, d, base, rasterize).update(f)
                ax.set_xlabel(_fmt_metrics(f.metrics), fontsize=7.5, color="#333333", labelpad=3)
                if r == 0:
                    ax.set_title(f"week {week}", fontsize=10.5)
                if c == 0:
                    ax.set_ylabel(s, fontsize=11, fontweight="bold", color=_strategy_color(s),
                                  labelpad=6)
        sm = plt.cm.ScalarMappable(norm=_NORM, cmap=plt.get_cmap(ATTITUDE_CMAP))
        cbar = fig.colorbar(sm, ax=list(axes.flat), location="right", aspect=25, pad=0.01,
                            shrink=0.85 if nrows > 1 else 0.95)
        cbar.set_label("attitude (-1..1)")
        cbar.set_ticks([-1, -0.5, 0, 0.5, 1])
        cbar.ax.grid(False)
        foot = fig.add_subplot(gs[nrows, :])
        foot.axis("off")
        foot.legend(handles=_legend_handles(base), loc="upper center", ncols=5, frameon=False,
                    fontsize=8.5, handletextpad=0.3, columnspacing=1.6, borderaxespad=0.3)
        foot.text(0.5, 0.0, note, transform=foot.transAxes, ha="center", va="bottom",
                  fontsize=7.5, color="#555555", linespacing=1.3)
        if title:
            fig.suptitle(title, fontsize=11.5)
    return fig


def plot_network_snapshots(params: Params | Mapping[str, Any], seed: int, steps: Sequence[int],
                           strategies: Sequence[str], path_stem: str | os.PathLike,
                           title: str | None = None, cache_dir: str | os.PathLike | None = None,
                           max_nodes: int = MAX_DRAWN) -> list[Path]:
    """Grid of network panels: rows = strategies, columns = weeks; PNG (150 dpi) + SVG.

    Consumers are coloured by attitude on a diverging map fixed to -1..1 (red negative,
    blue positive; grey = unaware), sized by loyalty, ringed when they talked that week;
    ties are thin and light; every panel uses the same layout and the same consumers.
    A shared colour bar, a size legend and a caption (stating the sample, if the graph is
    larger than ``max_nodes``) complete the figure.

    Returns
    -------
    list of pathlib.Path
        ``[png, svg]`` as written by :func:`simulation.outputs.figures.style.save_figure`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "net"
    >>> [p.name for p in plot_network_snapshots({"n_consumers": 40}, 0, [0, 2],
    ...                                         ["broadcast", "dialogue"], out)]
    ['net.png', 'net.svg']
    """
    from simulation.outputs.figures.style import save_figure

    p = _as_params(params)
    weeks = _check_steps(steps)
    strategies = _check_strategies(strategies)
    G, segment = _build(p, seed)
    d = drawing(G, seed=seed, cache_dir=cache_dir, max_nodes=max_nodes)
    snaps = snapshot_states(p, seed, weeks, strategies, nodes=d.nodes, graph=(G, segment))
    fig = draw_network_snapshots(snaps, d, title=title)
    return save_figure(fig, path_stem)


# ----------------------------------------------------------------------------------------
# Animation
# ----------------------------------------------------------------------------------------
def _writer_for(out: Path, fps: int):
    from matplotlib import animation

    suffix = out.suffix.lower()
    if suffix == ".gif":
        return _GifWriter(fps=fps)
    if suffix == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise WomsimError(f"cannot write '{out}': ffmpeg is missing (not found on PATH), and "
                              f"MP4 needs it; install ffmpeg, or write a .gif instead (needs "
                              f"nothing else)")
        return animation.FFMpegWriter(fps=fps, codec="h264",
                                      extra_args=["-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    raise WomsimError(f"cannot write '{out}': unknown animation format '{out.suffix or '(none)'}'; "
                      f"use .gif (or .mp4 with ffmpeg installed)")


def _gif_palette() -> list[int]:
    """One fixed 256-colour palette for every frame: the attitude colour map, greys, and
    the strategy colours faded toward white (antialiased text). Fixed, so colours neither
    flicker between frames nor depend on what happens to be frequent in one frame."""
    from simulation.outputs.figures.style import STRATEGY_COLORS

    cmap = plt.get_cmap(ATTITUDE_CMAP)
    colours = [cmap(x)[:3] for x in np.linspace(0.0, 1.0, 120)]
    colours += [(g, g, g) for g in np.linspace(0.0, 1.0, 64)]
    for hexcolour in dict.fromkeys(STRATEGY_COLORS.values()):
        rgb = np.array(matplotlib.colors.to_rgb(hexcolour))
        colours += [tuple(a * rgb + (1 - a)) for a in (1.0, 0.8, 0.6, 0.4, 0.2)]
        colours += [tuple(a * rgb + (1 - a) * 0.95) for a in (0.7, 0.35)]  # on the caption band
    colours = colours[:256]
    colours += [(1.0, 1.0, 1.0)] * (256 - len(colours))
    return [round(255 * c) for rgb in colours for c in rgb]


class _NearestColour:
    """Index of the nearest palette colour of every pixel: exact (Pillow's quantize with
    a given palette turns white into light grey) and remembered per colour across frames,
    so each distinct colour of the whole animation is matched once."""

    def __init__(self, palette: list[int]) -> None:
        self.table = np.array(palette, dtype=np.int32).reshape(-1, 3)
        self.lut = np.zeros(1 << 24, dtype=np.uint8)
        self.known = np.zeros(1 << 24, dtype=bool)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        rgb = rgb.astype(np.int32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        new = np.unique(packed[~self.known[packed]])
        if len(new):
            cols = np.stack([new >> 16, (new >> 8) & 255, new & 255], axis=1)
            for a in range(0, len(new), 4096):
                diff = cols[a:a + 4096, None, :] - self.table[None, :, :]
                self.lut[new[a:a + 4096]] = np.argmin((diff * diff).sum(axis=2), axis=1)
            self.known[new] = True
        return self.lut[packed]


def _gif_writer_class():
    from matplotlib.animation import PillowWriter

    class GifWriter(PillowWriter):
        """PillowWriter with one fixed palette (no colour flicker between frames, no
        dithering) and the last frame held for ``hold`` seconds."""

        hold = 2.0

        def finish(self):
            from PIL import Image

            if not self._frames:
                return
            palette = _gif_palette()
            nearest = _NearestColour(palette)
            quantized = []
            for f in self._frames:
                q = Image.fromarray(nearest(np.asarray(f.convert("RGB"))), "P")
                q.putpalette(palette)
                quantized.append(q)
            step = round(1000 / self.fps)
            durations = [step] * len(quantized)
            durations[-1] = max(step, int(self.hold * 1000))
            quantized[0].save(self.outfile, save_all=True, append_images=quantized[1:],
                              duration=durations, loop=0, disposal=1)

    return GifWriter


class _GifWriter:  # created lazily so that importing this module does not import PIL
    def __new__(cls, fps: int):
        return _gif_writer_class()(fps=fps)


class _AnimationFigure:
    """The fixed frame of the animation; :meth:`update` changes only colours and texts.

    Geometry is set in inches (no layout engine), so nothing moves between frames and the
    pixel size is even (as H.264 needs).
    """

    PANEL = 4.1  # inches per network panel

    def __init__(self, d: Drawing, strategies: list[str], weeks: int, p: Params, seed: int,
                 dpi: int) -> None:
        k = len(strategies)
        panel = self.PANEL if k <= 2 else 3.1
        margin, gap = 0.25, 0.3
        width = 2 * margin + k * panel + (k - 1) * gap
        # from the top: week header, time bar, panel titles, panels, metrics band,
        # legend + colour bar, footnote
        header, timebar, titles, band, legend, foot = 0.42, 0.12, 0.3, 0.42, 0.52, 0.3
        height = header + timebar + titles + panel + band + legend + foot
        width = math.ceil(width * dpi / 2) * 2 / dpi
        height = math.ceil(height * dpi / 2) * 2 / dpi
        self.weeks = weeks
        fig = self.fig = plt.figure(figsize=(width, height), dpi=dpi)

        def box(x, y_top, w, h):  # inches from the left and from the top -> fractions
            return (x / width, 1 - (y_top + h) / height, w / width, h / height)

        self.header = fig.text(0.5, 1 - 0.06 / height, "", ha="center", va="top", fontsize=15,
                               fontweight="bold", color="#222222")
        tax = fig.add_axes(box(margin, header, width - 2 * margin, timebar * 0.45))
        tax.set_xlim(0, 1)
        tax.set_ylim(0, 1)
        tax.axis("off")
        tax.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, color="#E6E6E6", lw=0))
        self.time_fill = matplotlib.patches.Rectangle((0, 0), 0, 1, color="#777777", lw=0)
        tax.add_patch(self.time_fill)
        base = _base_size(len(d.nodes), panel * 0.95)
        top = header + timebar + titles
        fig.patches.append(matplotlib.patches.Rectangle(
            box(0, top + panel + 0.04, width, band - 0.08)[:2], 1, (band - 0.08) / height,
            transform=fig.transFigure, color="#F2F2F2", lw=0, zorder=0))
        self.panels, self.metric_texts = [], []
        for i, s in enumerate(strategies):
            x = margin + i * (panel + gap)
            ax = fig.add_axes(box(x, top, panel, panel))
            self.panels.append(_Panel(ax, d, base, rasterize=False))
            fig.text((x + panel / 2) / width, 1 - (top - 0.04) / height, s, ha="center",
                     va="bottom", fontsize=13, fontweight="bold", color=_strategy_color(s))
            texts = []
            for j in range(4):
                texts.append(fig.text((x + (j + 0.5) * panel / 4) / width,
                                      1 - (top + panel + band / 2) / height, "", ha="center",
                                      va="center", fontsize=10, color="#222222"))
            self.metric_texts.append(texts)
        y_leg = top + panel + band
        cax = fig.add_axes(box(margin + 0.1, y_leg + 0.08, 2.1, 0.12))
        sm = plt.cm.ScalarMappable(norm=_NORM, cmap=plt.get_cmap(ATTITUDE_CMAP))
        cbar = fig.colorbar(sm, cax=cax, orientation="horizontal")
        cbar.set_ticks([-1, -0.5, 0, 0.5, 1], labels=["-1", "-0.5", "0", "0.5", "1"])
        cbar.ax.tick_params(labelsize=8, length=2, pad=1)
        cbar.ax.grid(False)
        cbar.outline.set_linewidth(0.5)
        fig.text((margin + 2.3) / width, 1 - (y_leg + 0.14) / height, "attitude\n(-1..1)",
                 ha="left", va="center", fontsize=8, color="#222222", linespacing=1.0)
        fig.legend(handles=_legend_handles(base), loc="center left", ncols=5, frameon=False,
                   fontsize=8.5, handletextpad=0.25, columnspacing=1.1, borderaxespad=0,
                   bbox_to_anchor=((margin + 3.05) / width, 1 - (y_leg + 0.16) / height))
        note = (f"{d.caption}. {p.network}, budget {p.budget:g}, seed {seed}; same consumers, "
                f"layout and seed in every panel. Loyalty: mean over customers.")
        fig.text(0.5, 0.06 / height, _wrap(note, int(width * 17)), ha="center", va="bottom",
                 fontsize=7, color="#555555")

    def update(self, t: int, frames: list[Frame]) -> None:
        self.header.set_text(f"week {t} of {self.weeks}")
        self.time_fill.set_width(t / max(self.weeks, 1))
        for panel, texts, f in zip(self.panels, self.metric_texts, frames):
            panel.update(f)
            for text, value in zip(texts, _fmt_metrics(f.metrics, "|").split("|")):
                text.set_text(value)


def animate(params: Params | Mapping[str, Any], seed: int, out_path: str | os.PathLike,
            steps: int | None = None, fps: int = 4,
            strategies: Sequence[str] = ("broadcast", "dialogue"), progress: bool = True,
            cache_dir: str | os.PathLike | None = None, max_nodes: int = MAX_DRAWN,
            dpi: int = 90) -> Path:
    """Animation of attitudes spreading over the network, strategies side by side.

    One frame per week, 0 (initial state) to ``steps``: ``steps + 1`` frames. Each panel
    is one strategy on the same consumers, layout and seed; a caption bar under the
    panels shows each one's awareness, loyalty (mean over customers), NPS and trust, from
    the model's own metrics, and the header the week. Colours, sizes and rings mean what
    they mean in :func:`plot_network_snapshots`. Ties are drawn once; each frame only
    updates the colours and sizes of one scatter per panel.

    Parameters
    ----------
    params : Params or mapping
        Model parameters (validated); ``strategy`` is replaced per panel.
    seed : int
        Seed of the graph and of every model.
    out_path : path
        ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on PATH; otherwise a
        :class:`~simulation.errors.WomsimError`, raised before any work). A JSON file
        with the parameters, seed and package versions is written to ``out_path + ".json"``.
    steps : int, optional
        Weeks to show; default the ``steps`` parameter if ``params`` is a plain mapping
        that sets it, else :data:`DEFAULT_WEEKS` (52).
    fps : int
        Frames (weeks) per second; the last frame of a GIF is held for 2 s.
    strategies : sequence of str
        Panels, left to right (two is the intended use; one to four work).
    progress : bool
        Show a tqdm progress bar over the frames (on stderr).
    cache_dir, max_nodes, dpi
        Layout cache folder, most consumers drawn, pixels per inch (90: 810 x 558 px
        for two panels).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    from simulation.research.provenance import provenance, write_json

    out = Path(out_path)
    p = _as_params(params)
    strategies = _check_strategies(strategies)
    if steps is None:
        steps = int(params["steps"]) if isinstance(params, Mapping) and "steps" in params \
            and not isinstance(params, Params) else DEFAULT_WEEKS
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ParameterError(f"animation weeks = {steps!r}: allowed a whole number >= 1")
    if isinstance(fps, bool) or int(fps) != fps or fps < 1:
        raise ParameterError(f"fps = {fps!r}: allowed a whole number >= 1")
    steps, fps = int(steps), int(fps)
    writer = _writer_for(out, fps)  # fails fast on a format we cannot write

    from tqdm import tqdm

    G, segment = _build(p, seed)
    d = drawing(G, seed=seed, cache_dir=cache_dir, max_nodes=max_nodes)
    models = _models(p, seed, (G, segment), strategies)
    out.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(_style()):
        anim = _AnimationFigure(d, strategies, steps, p, seed, dpi)
        bar = tqdm(total=steps + 1, desc=f"animate {out.name}", unit="frame", disable=not progress,
                   file=sys.stderr, leave=False)
        try:
            with writer.saving(anim.fig, str(out), dpi):
                for t, frames in _run(models, steps, d.nodes):
                    anim.update(t, frames)
                    writer.grab_frame()
                    bar.update(1)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
            plt.close(anim.fig)
    write_json(Path(str(out) + ".json"), {
        "output": str(out),
        "what": "animation of attitudes on the network, one panel per strategy",
        "params": p.to_dict(), "seed": seed, "weeks": steps, "frames": steps + 1, "fps": fps,
        "strategies": strategies,
        "drawn": {"consumers": len(d.nodes), "of": int(d.n_total), "ties": len(d.edges),
                  "caption": d.caption},
        "provenance": provenance(),
    })
    return out


def main_animate(values: dict, seed: int, out: str, steps: int | None, fps: int,
                 progress: bool) -> int:
    """``run.py animate``: validate, animate, print where it wrote; returns the exit code.

    Raises :class:`~simulation.errors.ParameterError` (bad parameter) or
    :class:`~simulation.errors.WomsimError` (e.g. .mp4 without ffmpeg) for the CLI to
    turn into exit code 2.
    """
    p = Params(**values)
    if steps is None and "steps" in values:
        steps = p.steps
    path = animate(p, seed, out, steps=steps, fps=fps, progress=progress)
    print(f"wrote {path} ({(steps or DEFAULT_WEEKS) + 1} frames at {fps} fps) and {path}.json")
    return 0
