"""Where the consumers of a network picture sit: positions and what is drawn, no drawing.

The network pictures (:mod:`simulation.outputs.snapshots`, :mod:`simulation.outputs.animation`)
and the classroom dashboard share these positions; like networkx's ``drawing/layout.py``,
this module only computes them and never imports matplotlib.

:func:`layout`
    Positions of every node of a graph, computed once per graph: cached in memory (keyed
    by a hash of the edge list) and optionally on disk.
:func:`sample_nodes`
    A snowball sample of a graph too large to draw whole.
:func:`drawing`
    What is drawn of a graph (a :class:`Drawing`): the consumers (all of them, or above
    :data:`MAX_DRAWN` a snowball sample around the best-connected one), their positions,
    the ties among them, and a caption that says so ("showing 1,500 of 100,000
    consumers: ...").

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
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = [
    "FAST_LAYOUT_ABOVE",
    "MAX_DRAWN",
    "MAX_EDGES",
    "SNOWBALL_FOLLOW",
    "Drawing",
    "clear_layout_cache",
    "drawing",
    "is_complete",
    "layout",
    "sample_nodes",
]

#: Most consumers drawn in one panel; larger graphs are shown as a sample of this size.
MAX_DRAWN = 1500
#: Above this many nodes :func:`layout` uses the fast (anchored) layout.
FAST_LAYOUT_ABOVE = 2000
#: Most ties drawn in one panel; denser samples show a random subset of their ties.
MAX_EDGES = 12_000
#: Contacts followed per consumer by the snowball sample.
SNOWBALL_FOLLOW = 10

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


def is_complete(G: nx.Graph) -> bool:
    """Everyone knows everyone: an implicit ``mean_field`` graph or all ties present.

    Such a graph has no structure to draw: :func:`layout` fills a disc and
    :func:`drawing` leaves the ties out.
    """
    n = G.number_of_nodes()
    return bool(G.graph.get("mean_field")) or (n > 3 and G.number_of_edges() >= n * (n - 1) // 2)


def _layout_key(G: nx.Graph, edges: np.ndarray, seed: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    kind = "complete" if is_complete(G) else "graph"
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
    edges = np.zeros((0, 2), dtype=np.int64) if is_complete(G) else _edge_array(G)
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
    if is_complete(G) or len(edges) == 0:
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
    if is_complete(G) or G.number_of_edges() == 0:
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
    complete = is_complete(G)
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

