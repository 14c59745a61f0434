"""The adjacency the engine works on: CSR neighbour lists weighted by tie strength.

:func:`to_adjacency` turns a graph with nodes ``0..N-1`` into an :class:`Adjacency` (a
read-only CSR whose entries carry a tie strength in ``[weak_tie_strength, 1]``, see
:func:`tie_strength` and docs/ODD.md, 2.5 The social graph); a large complete graph
becomes a :class:`MeanFieldAdjacency`, which stores no ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.errors import GraphError, ParameterError

# Tie strength: above this many wedges the overlap is computed in chunks so that memory
# stays bounded (a wedge costs about 40 bytes while in flight).
_WEDGE_CHUNK = 1 << 22
# Dense BLAS is used for small, dense graphs (a complete graph of 2,000 nodes has
# 1.3e9 wedges but a 2000^3 float32 product takes a fraction of a second). Beyond this
# size the n x n matrices would cost too much memory.
_DENSE_MAX_N = 4096


@dataclass(frozen=True, eq=False)
class Adjacency:
    """Undirected social graph as CSR: row i lists the neighbours of consumer i.

    Every tie is stored twice, once in each endpoint's row, with the same strength.
    The arrays are read-only, so the structure can be shared between processes of one
    model without defensive copies.

    Attributes
    ----------
    indptr : numpy.ndarray
        int64, shape ``(n + 1,)``; row i is ``indices[indptr[i]:indptr[i + 1]]``.
    indices : numpy.ndarray
        int32 (int64 for graphs too large for int32): neighbours, sorted within each row.
    weight : numpy.ndarray
        float64 tie strength in ``(0, 1]`` per stored entry (symmetric).
    n : int
        Number of consumers (nodes).

    Examples
    --------
    >>> import networkx as nx
    >>> adj = to_adjacency(nx.path_graph(3), weak_tie_strength=0.25)
    >>> adj.indptr.tolist(), adj.indices.tolist(), adj.weight.tolist()
    ([0, 1, 3, 4], [1, 0, 2, 1], [0.25, 0.25, 0.25, 0.25])
    >>> adj.degree.tolist(), adj.n_edges
    ([1, 2, 1], 2)
    >>> adj.to_scipy().toarray()
    array([[0.  , 0.25, 0.  ],
           [0.25, 0.  , 0.25],
           [0.  , 0.25, 0.  ]])
    """

    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    n: int

    def __post_init__(self) -> None:
        if self.indptr.shape != (self.n + 1,) or self.indices.shape != self.weight.shape:
            raise ValueError(
                f"inconsistent CSR arrays: indptr {self.indptr.shape} for n = {self.n}, "
                f"indices {self.indices.shape}, weight {self.weight.shape}")
        for array in (self.indptr, self.indices, self.weight):
            array.setflags(write=False)

    @property
    def degree(self) -> np.ndarray:
        """Number of ties of each consumer (int64, length n)."""
        return np.diff(self.indptr)

    @property
    def n_edges(self) -> int:
        """Number of undirected ties (each is stored twice)."""
        return int(self.indices.shape[0]) // 2

    def to_scipy(self) -> sp.csr_array:
        """The weighted, symmetric adjacency matrix (a fresh, writable copy)."""
        return sp.csr_array((self.weight.copy(), self.indices.copy(), self.indptr.copy()),
                            shape=(self.n, self.n))

    def edges_from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, target, strength) of every tie leaving ``sources``.

        Gathers only the sources' rows (no scan over all ties): the cost is the number of
        ties returned.

        Examples
        --------
        >>> import networkx as nx
        >>> adj = to_adjacency(nx.star_graph(3), weak_tie_strength=0.5)
        >>> [a.tolist() for a in adj.edges_from(np.array([1, 0]))]
        [[1, 0, 0, 0], [0, 1, 2, 3], [0.5, 0.5, 0.5, 0.5]]
        """
        sources = np.asarray(sources, dtype=np.int64)
        counts = self.degree[sources]
        total = int(counts.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        starts = self.indptr[sources]
        entry = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        return np.repeat(sources, counts), self.indices[entry].astype(np.int64), self.weight[entry]

    def neighbour_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each consumer's neighbours (unweighted): one sparse mat-vec."""
        ones = getattr(self, "_ones", None)
        if ones is None:
            ones = sp.csr_array((np.ones(len(self.indices)), self.indices, self.indptr),
                                shape=(self.n, self.n))
            object.__setattr__(self, "_ones", ones)
        return ones @ np.asarray(x, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class MeanFieldAdjacency:
    """The complete graph without storing it: everyone is everyone's neighbour.

    A complete graph of N consumers has N(N-1)/2 ties (50 million at N = 10,000), too many
    to store; every tie is fully embedded (overlap 1), so every strength is 1 and the
    processes only need "all others". Same interface as :class:`Adjacency`.

    Examples
    --------
    >>> adj = MeanFieldAdjacency(4)
    >>> adj.degree.tolist(), adj.n_edges, adj.neighbour_sum(np.array([1, 0, 0, 1])).tolist()
    ([3, 3, 3, 3], 6, [1.0, 2.0, 2.0, 1.0])
    >>> [a.tolist() for a in adj.edges_from(np.array([2]))]
    [[2, 2, 2], [0, 1, 3], [1.0, 1.0, 1.0]]
    """

    n: int

    @property
    def degree(self) -> np.ndarray:
        return np.full(self.n, self.n - 1, dtype=np.int64)

    @property
    def n_edges(self) -> int:
        return self.n * (self.n - 1) // 2

    def edges_from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sources = np.asarray(sources, dtype=np.int64)
        k = len(sources)
        others = np.broadcast_to(np.arange(self.n - 1, dtype=np.int64), (k, self.n - 1))
        target = others + (others >= sources[:, None])  # skip oneself
        return np.repeat(sources, self.n - 1), target.ravel(), np.ones(k * (self.n - 1))

    def neighbour_sum(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x.sum() - x

    def to_scipy(self) -> sp.csr_array:
        dense = np.ones((self.n, self.n)) - np.eye(self.n)
        return sp.csr_array(dense)


def tie_strength(graph_or_csr: nx.Graph | sp.sparray | sp.spmatrix | Adjacency,
                 weak_tie_strength: float) -> Any:
    """Strength of each tie from its embeddedness (neighbourhood overlap).

    For a tie (i, j) with c common neighbours and degrees k_i, k_j the overlap is
    ``O = c / ((k_i - 1) + (k_j - 1) - c)`` (0 when the denominator is 0, i.e. an isolated
    pair), and the strength ``w = weak + (1 - weak) * O``. A bridge between otherwise
    separate circles has O = 0 and the strength of a weak tie (which still carries), a
    tie whose endpoints share all their other contacts has O = 1 and strength 1.

    Parameters
    ----------
    graph_or_csr : networkx.Graph, scipy sparse matrix/array, or Adjacency
        The ties. For a sparse matrix the non-zero pattern is the graph (values are
        ignored, the diagonal is dropped, the pattern must be symmetric). A directed or
        multi graph is treated as its undirected simple version; self-loops are ignored;
        existing edge ``weight`` attributes are ignored.
    weak_tie_strength : float
        Strength of a tie with no shared neighbours, in (0, 1].

    Returns
    -------
    dict, scipy.sparse.csr_array or numpy.ndarray
        For a graph: ``{(u, v): w}`` for every non-loop edge as listed by ``G.edges()``.
        For a sparse matrix: a float64 ``csr_array`` with the same pattern holding w.
        For an :class:`Adjacency`: a float64 array aligned with ``adj.indices``.

    Raises
    ------
    ParameterError
        ``weak_tie_strength`` outside (0, 1].
    GraphError
        A sparse matrix that is not square or not symmetric.

    Notes
    -----
    Common neighbours are counted by the degree-ordered ("forward") triangle listing,
    vectorised with numpy: each tie is directed from its lower- to its higher-degree end
    and only pairs of out-neighbours are tested, which costs O(E^1.5) at worst and well
    under a second for a 100,000-node Barabasi-Albert graph with m = 5. The result equals
    ``(A @ A).multiply(A)`` on the ties, without materialising ``A @ A`` (whose size
    grows with the sum of squared degrees). Small dense graphs use a dense product.

    References
    ----------
    .. [1] Granovetter, M. S. (1973). The strength of weak ties. American Journal of
       Sociology, 78(6), 1360-1380.
    .. [2] Onnela, J.-P., Saramaki, J., Hyvonen, J., Szabo, G., Lazer, D., Kaski, K.,
       Kertesz, J., & Barabasi, A.-L. (2007). Structure and tie strengths in mobile
       communication networks. PNAS, 104(18), 7332-7336.

    Examples
    --------
    >>> import networkx as nx
    >>> tie_strength(nx.star_graph(2), 0.3)  # a tree: no tie is embedded
    {(0, 1): 0.3, (0, 2): 0.3}
    >>> set(tie_strength(nx.complete_graph(4), 0.3).values())  # all fully embedded
    {1.0}
    >>> G = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)])  # a triangle with a tail
    >>> {e: round(w, 3) for e, w in tie_strength(G, 0.3).items()}
    {(0, 1): 1.0, (0, 2): 0.65, (1, 2): 0.65, (2, 3): 0.3}
    """
    weak = _check_weak(weak_tie_strength)
    if isinstance(graph_or_csr, Adjacency):
        adj = graph_or_csr
        return _strength(adj.indptr, adj.indices, adj.n, weak)
    if isinstance(graph_or_csr, nx.Graph):
        G = graph_or_csr
        if G.is_directed() or G.is_multigraph():
            G = nx.Graph(G)
        nodes = list(G)
        index = {u: i for i, u in enumerate(nodes)}
        edges = [(u, v) for u, v in G.edges() if u != v]
        pairs = np.array([(index[u], index[v]) for u, v in edges], dtype=np.int64)
        indptr, indices = _csr_from_pairs(pairs.reshape(-1, 2), len(nodes))
        w = _strength(indptr, indices, len(nodes), weak)
        if not edges:
            return {}
        row = np.repeat(np.arange(len(nodes), dtype=np.int64), np.diff(indptr))
        pos = np.searchsorted(row * len(nodes) + indices,
                              pairs[:, 0] * len(nodes) + pairs[:, 1])
        return {e: float(x) for e, x in zip(edges, w[pos])}
    if sp.issparse(graph_or_csr):
        if graph_or_csr.ndim != 2 or graph_or_csr.shape[0] != graph_or_csr.shape[1]:
            raise GraphError(
                f"adjacency matrix must be square, got shape {graph_or_csr.shape}")
        n = graph_or_csr.shape[0]
        coo = sp.coo_array(graph_or_csr)
        keep = (coo.row != coo.col) & (coo.data != 0)
        r, c = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
        if not np.array_equal(np.unique(r * n + c), np.unique(c * n + r)):
            raise GraphError("adjacency matrix is not symmetric: ties are undirected")
        indptr, indices = _csr_from_pairs(np.column_stack([r, c]), n)
        w = _strength(indptr, indices, n, weak)
        return sp.csr_array((w, indices, indptr), shape=(n, n))
    raise TypeError(f"tie_strength needs a networkx graph, a scipy sparse matrix or an "
                    f"Adjacency, got {type(graph_or_csr).__name__}")


def to_adjacency(G: nx.Graph, weak_tie_strength: float) -> Adjacency:
    """The engine's CSR view of a graph with nodes ``0..N-1``, weighted by tie strength.

    Parameters
    ----------
    G : networkx.Graph
        Nodes must be exactly the integers ``0..N-1`` (as :func:`build_graph` returns),
        because row i is consumer i. Directed/multi edges are folded into undirected
        simple ties and self-loops dropped. Edge attributes are ignored unless
        ``G.graph["weighted"]`` is true (a graph file with tie weights, see
        :func:`build_graph`): then every edge's ``weight`` W gives the strength
        ``weak + (1 - weak) * W / max W`` instead of embeddedness (docs/ODD.md, 2.5).
    weak_tie_strength : float
        Strength of a tie with no shared neighbours, in (0, 1].

    Returns
    -------
    Adjacency
        Symmetric CSR with sorted rows and strengths from :func:`tie_strength` (or from
        the given weights).

    Raises
    ------
    GraphError
        Nodes that are not ``0..N-1``.
    ParameterError
        ``weak_tie_strength`` outside (0, 1].

    References
    ----------
    .. [1] Granovetter, M. S. (1973). The strength of weak ties. American Journal of
       Sociology, 78(6), 1360-1380.
    .. [2] Onnela, J.-P., et al. (2007). Structure and tie strengths in mobile
       communication networks. PNAS, 104(18), 7332-7336.

    Examples
    --------
    >>> import networkx as nx
    >>> adj = to_adjacency(nx.complete_graph(5), weak_tie_strength=0.3)
    >>> adj.n, adj.n_edges, adj.degree.tolist(), float(adj.weight.min())
    (5, 10, [4, 4, 4, 4, 4], 1.0)
    >>> adj.indices[adj.indptr[2]:adj.indptr[3]].tolist()  # neighbours of consumer 2
    [0, 1, 3, 4]
    """
    weak = _check_weak(weak_tie_strength)
    n = G.number_of_nodes()
    if G.graph.get("mean_field"):
        return MeanFieldAdjacency(n)
    bad = next((u for u in G if isinstance(u, bool)
                or not (isinstance(u, (int, np.integer)) and 0 <= u < n)), None)
    if bad is not None:
        raise GraphError(f"graph nodes must be the integers 0..{n - 1} (one per consumer), "
                         f"found node {bad!r}; build it with build_graph or relabel it")
    m = G.number_of_edges()
    # The edge view is walked once by fromiter (no per-edge Python code of ours);
    # everything after is vectorised.
    flat = np.fromiter(chain.from_iterable(G.edges()), dtype=np.int64, count=2 * m)
    indptr, indices = _csr_from_pairs(flat.reshape(-1, 2), n)
    if G.graph.get("weighted"):
        given = np.fromiter((w for _, _, w in G.edges(data="weight")), dtype=np.float64, count=m)
        weight = _weighted_strength(indptr, indices, n, flat.reshape(-1, 2), given, weak)
    else:
        weight = _strength(indptr, indices, n, weak)
    return Adjacency(indptr=indptr, indices=indices, weight=weight, n=n)


def adjacency_from_pairs(pairs: np.ndarray, n: int, weak_tie_strength: float) -> Adjacency:
    """The :class:`Adjacency` of n consumers and undirected ties ``pairs`` ((E, 2) ints).

    The same CSR and strengths as ``to_adjacency(graph_from_pairs(pairs, n, ...), weak)``,
    without a networkx graph (docs/ODD.md, 5.1): loops dropped, parallel ties merged.

    Examples
    --------
    >>> adj = adjacency_from_pairs(np.array([[0, 1], [1, 2], [2, 1]]), 4, 0.25)
    >>> adj.indptr.tolist(), adj.indices.tolist(), adj.n_edges
    ([0, 1, 3, 4, 4], [1, 0, 2, 1], 2)
    """
    weak = _check_weak(weak_tie_strength)
    indptr, indices = _csr_from_pairs(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), n)
    return Adjacency(indptr=indptr, indices=indices, weight=_strength(indptr, indices, n, weak), n=n)


def to_networkx(indptr: np.ndarray, indices: np.ndarray, n: int, source: str) -> nx.Graph:
    """The networkx graph of a symmetric, sorted CSR pattern: nodes ``0..N-1``, each node's
    neighbours in increasing order (``graph.graph["source"] = source``).

    The same graph, with the same node, neighbour and edge order, as adding the nodes and
    then the ties row by row with ``add_edges_from``, but its dicts are filled directly:
    30 s less at a million nodes. As in networkx, the two entries of a tie share one
    attribute dict (``G[u][v] is G[v][u]``).

    Examples
    --------
    >>> adj = to_adjacency(nx.path_graph(3), 0.3)
    >>> G = to_networkx(adj.indptr, adj.indices, adj.n, "path")
    >>> list(G.edges()), G.graph["source"], G[0][1] is G[1][0]
    ([(0, 1), (1, 2)], 'path', True)
    """
    graph = nx.Graph(source=source)
    nnz = indices.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    upper = rows < indices
    tie = np.empty(nnz, dtype=np.int64)
    tie[upper] = np.arange(int(upper.sum()))
    # The reverse of every entry, through scipy's transpose (a counting sort in C).
    reverse = sp.csr_array((np.arange(nnz, dtype=np.int64), indices, indptr), shape=(n, n)).T.tocsr().data
    tie[~upper] = tie[reverse[~upper]]
    shared = [{} for _ in range(nnz // 2)]
    data = list(map(shared.__getitem__, tie.tolist()))
    neighbours, bounds = indices.tolist(), indptr.tolist()
    graph._node.update((i, {}) for i in range(n))  # networkx's own dict-of-dicts layout
    graph._adj.update((i, dict(zip(neighbours[lo:hi], data[lo:hi], strict=True)))
                      for i, lo, hi in zip(range(n), bounds[:-1], bounds[1:], strict=True))
    nx._clear_cache(graph)
    return graph


def graph_from_pairs(pairs: np.ndarray, n: int, source: str) -> nx.Graph:
    """The networkx graph of undirected ties ``pairs`` on nodes ``0..N-1`` (:func:`to_networkx`)."""
    indptr, indices = _csr_from_pairs(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), n)
    return to_networkx(indptr, indices, n, source)


def _check_weak(weak: float) -> float:
    weak = float(weak)
    if not (0.0 < weak <= 1.0):
        raise ParameterError(
            f"parameter 'weak_tie_strength' = {weak!r} is out of range: allowed (0, 1]")
    return weak


def _csr_from_pairs(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric, sorted, duplicate- and loop-free CSR pattern of undirected pairs."""
    u, v = pairs[:, 0], pairs[:, 1]
    keep = u != v
    u, v = u[keep], v[keep]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    keys = np.sort(rows * n + cols)  # (row, col) order
    # np.unique would do, but its hash-based path is several times slower here.
    first = np.ones(keys.shape[0], dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    keys = keys[first]
    rows = keys // n  # np.divmod gives the same, many times slower
    cols = keys - rows * n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    index_dtype = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    return indptr, cols.astype(index_dtype)


def _strength(indptr: np.ndarray, indices: np.ndarray, n: int, weak: float) -> np.ndarray:
    """Tie strength per stored entry of a symmetric, sorted, loop-free CSR pattern."""
    common = _common_neighbours(indptr, indices, n)
    degree = np.diff(indptr)
    rows = np.repeat(np.arange(n, dtype=np.int64), degree)
    denominator = (degree[rows] - 1) + (degree[indices] - 1) - common
    overlap = np.divide(common, denominator, out=np.zeros(common.shape, dtype=float),
                        where=denominator > 0)
    return weak + (1.0 - weak) * overlap


def _weighted_strength(indptr: np.ndarray, indices: np.ndarray, n: int, pairs: np.ndarray,
                       given: np.ndarray, weak: float) -> np.ndarray:
    """Tie strength per stored entry from given tie weights: weak + (1 - weak) W / max W.

    The weights of pairs listed more than once add up (as :func:`fold_weights` does).
    """
    keep = pairs[:, 0] != pairs[:, 1]
    u, v, given = pairs[keep, 0], pairs[keep, 1], given[keep]
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keys = rows * n + indices  # sorted: rows in order, columns sorted within each row
    total = np.zeros(indices.shape[0])
    np.add.at(total, np.searchsorted(keys, u * n + v), given)
    np.add.at(total, np.searchsorted(keys, v * n + u), given)
    if total.size == 0:
        return total
    return weak + (1.0 - weak) * total / total.max()


def _common_neighbours(indptr: np.ndarray, indices: np.ndarray, n: int,
                       method: str = "auto") -> np.ndarray:
    """Number of common neighbours of the two ends of every stored entry (int64).

    ``method`` is ``"auto"``, ``"forward"`` or ``"dense"`` (the last two for tests).
    """
    nnz = indices.shape[0]
    if nnz == 0:
        return np.zeros(0, dtype=np.int64)
    degree = np.diff(indptr)
    rows = np.repeat(np.arange(n, dtype=np.int64), degree)
    cols = indices.astype(np.int64)

    # Orient each tie from lower to higher (degree, id): hubs then have few out-ties,
    # which bounds the number of wedges to test.
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), degree))] = np.arange(n)
    forward = np.flatnonzero(rank[rows] < rank[cols])
    a, b = rank[rows[forward]], rank[cols[forward]]
    keys = a * n + b
    order = np.argsort(keys)  # the keys are distinct: the order of lexsort((b, a)), faster
    a, b, forward, keys = a[order], b[order], forward[order], keys[order]
    out_degree = np.bincount(a, minlength=n)
    out_end = np.cumsum(out_degree)
    # Wedges: each out-tie paired with the later out-ties of the same node.
    later = np.repeat(out_end, out_degree) - np.arange(a.shape[0]) - 1
    n_wedges = int(later.sum())

    if method == "dense" or (method == "auto" and n <= _DENSE_MAX_N
                             and n_wedges > max(_WEDGE_CHUNK, n ** 3 // 1000)):
        dense = np.zeros((n, n), dtype=np.float32)  # counts < n <= 2**24 are exact
        dense[rows, cols] = 1.0
        return (dense @ dense)[rows, cols].astype(np.int64)

    support = np.zeros(a.shape[0], dtype=np.int64)
    start = 0
    cumulative = np.cumsum(later)
    while start < a.shape[0]:
        # Cut the tie list so each chunk holds about _WEDGE_CHUNK wedges.
        done = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, done + _WEDGE_CHUNK, side="right"))
        stop = max(stop, start + 1)
        counts = later[start:stop]
        total = int(counts.sum())
        if total:
            first = np.repeat(np.arange(start, stop), counts)
            offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            second = first + 1 + offset
            closing = b[first] * n + b[second]  # b[first] < b[second]: rows are sorted
            where = np.searchsorted(keys, closing)
            np.minimum(where, keys.shape[0] - 1, out=where)
            hit = keys[where] == closing
            support += np.bincount(
                np.concatenate([first[hit], second[hit], where[hit]]),
                minlength=a.shape[0])
        start = stop

    # Each tie is stored twice; the reverse entry gets the same count. Entry ids carried
    # through scipy's transpose (a linear counting sort in C) give every entry's reverse.
    ids = sp.csr_array((np.arange(nnz, dtype=np.int64), indices, indptr), shape=(n, n))
    reverse = ids.T.tocsr().data[forward]
    common = np.zeros(nnz, dtype=np.int64)
    common[forward] = support
    common[reverse] = support
    return common
