"""The social graph: generators, built-in and file graphs, clean-up, tie strength, CSR.

:func:`build_graph` turns ``params.network`` into an undirected simple graph with nodes
``0..N-1`` and a segment per consumer (0 = digital native, 1 = digital immigrant).
:func:`to_adjacency` turns that graph into the :class:`Adjacency` the engine works on:
a CSR neighbour list whose entries carry a tie strength in ``[weak_tie_strength, 1]``
(:func:`tie_strength`).

All randomness comes from the ``numpy.random.Generator`` passed in; the same generator
state gives the same graph and the same segments. (networkx draws from it through its
``seed`` argument, so reproducibility across networkx versions is not promised.)

Examples
--------
>>> import numpy as np
>>> from simulation.core.params import Params
>>> G, segment = build_graph(Params(network="watts_strogatz", n_consumers=20,
...                                 mean_degree=4), np.random.default_rng(1))
>>> G.number_of_nodes(), G.number_of_edges(), segment.dtype
(20, 40, dtype('int8'))
>>> adj = to_adjacency(G, weak_tie_strength=0.3)
>>> adj.n, adj.n_edges, int(adj.degree.sum())
(20, 40, 80)
"""

from __future__ import annotations

import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.errors import GraphError, ParameterError
from simulation.core.params import BUILTIN_NETWORKS, FILE_PREFIX, GENERATED_NETWORKS, Params

__all__ = [
    "Adjacency",
    "build_graph",
    "read_graph_file",
    "tie_strength",
    "to_adjacency",
]

# Tie strength: above this many wedges the overlap is computed in chunks so that memory
# stays bounded (a wedge costs about 40 bytes while in flight).
_WEDGE_CHUNK = 1 << 22
# Dense BLAS is used for small, dense graphs (a complete graph of 2,000 nodes has
# 1.3e9 wedges but a 2000^3 float32 product takes a fraction of a second). Beyond this
# size the n x n matrices would cost too much memory.
_DENSE_MAX_N = 4096


# ----------------------------------------------------------------------------------------
# The adjacency the engine works on
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# Building the graph
# ----------------------------------------------------------------------------------------
def build_graph(params: Params, rng: np.random.Generator) -> tuple[nx.Graph, np.ndarray]:
    """Build the social graph and the consumer segments described by ``params``.

    Parameters
    ----------
    params : Params
        Uses ``network``, ``n_consumers``, ``mean_degree``, ``rewire_p``, ``triangle_p``,
        ``homophily`` and ``immigrant_share``.
    rng : numpy.random.Generator
        The only source of randomness. Draw order (it matters for reproducibility):
        first the graph (networkx draws from ``rng`` through its ``seed`` argument),
        then the segments. For ``stochastic_block`` the segments are the blocks and the
        second draw is ``rng.permutation(N)``, which scatters the blocks over the node
        ids so that a consumer's id says nothing about their segment. For every other
        source the second draw is ``rng.random(N) < immigrant_share``.

    Returns
    -------
    graph : networkx.Graph
        Undirected, simple (no self-loops, no parallel edges), nodes ``0..N-1``.
        ``graph.graph["source"]`` is ``params.network``; built-in and file graphs keep
        their original node ids in the node attribute ``"label"``.
    segment : numpy.ndarray
        int8, length N: 0 = digital native, 1 = digital immigrant.

    Raises
    ------
    GraphError
        A generator setting that the generator cannot honour (e.g. Barabasi-Albert with
        ``m >= N``), an unreadable or malformed graph file, or a graph with fewer than
        two nodes.

    Notes
    -----
    Sources, with N = ``n_consumers`` and d = ``mean_degree`` (halves round up):

    ``barabasi_albert``
        Preferential attachment, m = max(1, round(d/2)) ties per newcomer, m < N.
        Mean degree 2m(N-m)/N, i.e. about 2m.
    ``watts_strogatz``
        Ring lattice with k = the even number nearest d (at least 2, below N),
        each tie rewired with probability ``rewire_p``. Mean degree exactly k.
    ``erdos_renyi``
        G(N, p) with p = d/(N-1) (needs d <= N-1), by the Batagelj-Brandes algorithm.
    ``powerlaw_cluster``
        Holme-Kim: Barabasi-Albert with m as above plus triad formation with
        probability ``triangle_p``; scale-free with tunable clustering.
    ``stochastic_block``
        Two blocks, the segments: n1 = round(N * immigrant_share) immigrants and
        n0 = N - n1 natives. The between-block probability makes the expected share of
        ties inside one's own segment equal ``homophily`` (counted over ties); the
        within-block probabilities give both segments the same expected degree d, as
        long as that is possible without a negative probability. Under strong
        heterophily (``homophily < 1 - 2 * min(n0, n1) / N``) the smaller segment gets
        no internal ties instead, which keeps mean degree and tie share but not equal
        degrees. Probabilities above 1 (very dense settings) are clipped with a
        ``UserWarning``, which lowers the mean degree. With one segment empty every tie
        is within it and ``homophily`` has no effect.
    ``complete``
        Everybody knows everybody (mean degree N-1; ``mean_degree`` is ignored). Above
        ``COMPLETE_EXPLICIT_MAX`` = 1,000 consumers the ties are not stored: the graph
        has the nodes only, with ``G.graph["mean_field"] = True``, and
        :func:`to_adjacency` returns a :class:`MeanFieldAdjacency` (the Mesa cells then
        carry no explicit connections).
    ``empty``
        N isolated consumers: no word of mouth, the pure sender-receiver world.
    ``karate``, ``les_miserables``
        networkx's built-in graphs (34 and 77 nodes); ``n_consumers`` and
        ``mean_degree`` are ignored, and so are their ``weight`` edge attributes:
        tie strength comes from embeddedness like on every other graph.
    ``file:PATH``
        Read by :func:`read_graph_file`; ``n_consumers`` and ``mean_degree`` are ignored.

    Every source is then cleaned: directed ties become undirected (a tie in either
    direction is a tie), parallel ties collapse, self-loops go, and nodes are relabelled
    ``0..N-1`` in the sorted order of their original ids (order of first appearance if
    the ids cannot be sorted).

    References
    ----------
    .. [1] Barabasi, A.-L., & Albert, R. (1999). Emergence of scaling in random networks.
       Science, 286(5439), 509-512.
    .. [2] Watts, D. J., & Strogatz, S. H. (1998). Collective dynamics of 'small-world'
       networks. Nature, 393(6684), 440-442.
    .. [3] Erdos, P., & Renyi, A. (1959). On random graphs I. Publicationes Mathematicae
       Debrecen, 6, 290-297.
    .. [4] Batagelj, V., & Brandes, U. (2005). Efficient generation of large random
       networks. Physical Review E, 71(3), 036113.
    .. [5] Holme, P., & Kim, B. J. (2002). Growing scale-free networks with tunable
       clustering. Physical Review E, 65(2), 026107.
    .. [6] Holland, P. W., Laskey, K. B., & Leinhardt, S. (1983). Stochastic blockmodels:
       First steps. Social Networks, 5(2), 109-137.
    .. [7] Zachary, W. W. (1977). An information flow model for conflict and fission in
       small groups. Journal of Anthropological Research, 33(4), 452-473.
    .. [8] Knuth, D. E. (1993). The Stanford GraphBase. Addison-Wesley (Les Miserables).
    .. [9] McAuley, J., & Leskovec, J. (2012). Learning to discover social circles in ego
       networks. Advances in Neural Information Processing Systems 25 (SNAP format).

    Examples
    --------
    >>> import numpy as np
    >>> from simulation.core.params import Params
    >>> p = Params(network="barabasi_albert", n_consumers=100, mean_degree=4)
    >>> G, segment = build_graph(p, np.random.default_rng(7))
    >>> G.number_of_nodes(), G.number_of_edges()  # m = 2: 2 * (100 - 2) ties
    (100, 196)
    >>> G2, segment2 = build_graph(p, np.random.default_rng(7))
    >>> sorted(G.edges()) == sorted(G2.edges()), bool((segment == segment2).all())
    (True, True)
    >>> build_graph(Params(network="karate"), np.random.default_rng(0))[0].number_of_edges()
    78
    """
    source = params.network
    segment: np.ndarray | None = None
    if source.startswith(FILE_PREFIX):
        path = source[len(FILE_PREFIX):]
        raw = read_graph_file(path)
        graph = _clean(raw, f"graph file '{path}'", keep_labels=True)
    elif source in BUILTIN_NETWORKS:
        raw = nx.karate_club_graph() if source == "karate" else nx.les_miserables_graph()
        graph = _clean(raw, f"graph '{source}'", keep_labels=True)
    elif source == "stochastic_block":
        graph, segment = _stochastic_block(params, rng)
    elif source in GENERATED_NETWORKS:
        graph = _clean(_generate(source, params, rng), f"graph '{source}'", keep_labels=False)
    else:  # Params validates the name, so this is a programming error
        raise GraphError(f"unknown network source {source!r}")
    if segment is None:
        segment = (rng.random(graph.number_of_nodes()) < params.immigrant_share).astype(np.int8)
    graph.graph["source"] = source
    return graph, segment


COMPLETE_EXPLICIT_MAX = 1000  # complete graphs above this size are kept implicit (mean field)


def _round_half_up(x: float) -> int:
    # Python's round() rounds halves to even, so d = 5 and d = 7 would both give an even
    # m; rounding halves up keeps "nearest" monotone in d.
    return int(math.floor(x + 0.5))


def _generate(source: str, params: Params, rng: np.random.Generator) -> nx.Graph:
    n = params.n_consumers
    d = params.mean_degree
    if source in ("barabasi_albert", "powerlaw_cluster"):
        m = max(1, _round_half_up(d / 2))
        if m >= n:
            raise GraphError(
                f"network '{source}': m = round(mean_degree / 2) = {m} must be below "
                f"n_consumers = {n}: allowed mean_degree < {2 * n - 1}")
        if source == "barabasi_albert":
            return nx.barabasi_albert_graph(n, m, seed=rng)
        return nx.powerlaw_cluster_graph(n, m, params.triangle_p, seed=rng)
    if source == "watts_strogatz":
        k = max(2, 2 * _round_half_up(d / 2))
        if k >= n:
            k_max = 2 * ((n - 1) // 2)
            allowed = (f"mean_degree < {k_max + 1}" if k_max >= 2
                       else "n_consumers >= 3")
            raise GraphError(
                f"network 'watts_strogatz': k = {k} (the even number nearest mean_degree, "
                f"at least 2) must be below n_consumers = {n}: allowed {allowed}")
        return nx.watts_strogatz_graph(n, k, params.rewire_p, seed=rng)
    if source == "erdos_renyi":
        if d > n - 1:
            raise GraphError(
                f"network 'erdos_renyi': mean_degree = {d:g} exceeds n_consumers - 1 = "
                f"{n - 1}: allowed mean_degree <= {n - 1}")
        return nx.fast_gnp_random_graph(n, d / (n - 1), seed=rng)
    if source == "complete":
        if n > COMPLETE_EXPLICIT_MAX:
            # mean field: the ties are implicit (see MeanFieldAdjacency); the graph that
            # Mesa's Network gets has the nodes only.
            G = nx.empty_graph(n)
            G.graph["mean_field"] = True
            return G
        return nx.complete_graph(n)
    if source == "empty":
        return nx.empty_graph(n)
    raise GraphError(f"unknown network generator {source!r}")


def _sbm_probabilities(n0: int, n1: int, d: float, h: float) -> tuple[np.ndarray, bool]:
    """Block probability matrix for expected mean degree d and within-tie share h.

    Returns the 2 x 2 matrix and whether clipping to [0, 1] was needed.
    """
    n = n0 + n1
    ties = n * d / 2
    pairs = np.array([n0 * (n0 - 1) / 2, n1 * (n1 - 1) / 2])
    between_pairs = n0 * n1
    # Degenerate splits leave only one kind of pair, which fixes the within share.
    if between_pairs == 0:
        h = 1.0
    elif pairs.sum() == 0:
        h = 0.0
    p01 = (1 - h) * ties / between_pairs if between_pairs else 0.0
    within = h * ties
    # Equal expected degree d in both segments, so that the segment (which sets media
    # exposure and online activity) is not confounded with popularity.
    sizes, others = np.array([n0, n1]), np.array([n1, n0])
    p_in = np.where(sizes > 1, (d - p01 * others) / np.maximum(sizes - 1, 1), 0.0)
    cannot = (p_in < 0) | (sizes <= 1)
    if cannot.any() and pairs.sum() > 0:
        # Strong heterophily (or a segment of one): the small segment cannot hold its
        # share of within ties at degree d, so it gets none and the large one takes them
        # all, which keeps the mean degree and the within share.
        small = int(np.argmax(cannot))
        p_in[small] = 0.0
        big = 1 - small
        p_in[big] = within / pairs[big]
    probs = np.array([[p_in[0], p01], [p01, p_in[1]]], dtype=float)
    clipped = bool((probs > 1).any())
    return np.clip(probs, 0.0, 1.0), clipped


def _stochastic_block(params: Params, rng: np.random.Generator) -> tuple[nx.Graph, np.ndarray]:
    n = params.n_consumers
    n1 = _round_half_up(n * params.immigrant_share)
    n0 = n - n1
    probs, clipped = _sbm_probabilities(n0, n1, params.mean_degree, params.homophily)
    if clipped:
        warnings.warn(
            f"network 'stochastic_block': mean_degree = {params.mean_degree:g} with "
            f"homophily = {params.homophily:g} needs a tie probability above 1; clipped, "
            "so the mean degree and the within-segment share are lower than asked",
            UserWarning, stacklevel=3)
    # networkx cannot take a block of size 0, so an empty segment is left out.
    blocks = [b for b, size in enumerate((n0, n1)) if size > 0]
    sbm = nx.stochastic_block_model([(n0, n1)[b] for b in blocks],
                                    probs[np.ix_(blocks, blocks)].tolist(),
                                    seed=rng, sparse=True)
    block_of = np.repeat(np.array(blocks, dtype=np.int8), [(n0, n1)[b] for b in blocks])
    perm = rng.permutation(n)
    segment = np.empty(n, dtype=np.int8)
    segment[perm] = block_of
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((int(perm[u]), int(perm[v])) for u, v in sbm.edges())
    return graph, segment


def _clean(raw: nx.Graph, name: str, *, keep_labels: bool) -> nx.Graph:
    """Undirected, simple, nodes 0..N-1 in sorted (else first-appearance) label order."""
    n = raw.number_of_nodes()
    if n < 2:
        raise GraphError(f"{name} has {n} node(s); at least 2 are needed")
    nodes = list(raw)
    already_clean = (not raw.is_directed() and not raw.is_multigraph()
                     and nodes == list(range(n)) and nx.number_of_selfloops(raw) == 0)
    if already_clean and not keep_labels:
        return raw
    try:
        order = sorted(nodes)
    except TypeError:  # mixed, unorderable ids: insertion order is still deterministic
        order = nodes
    index = {label: i for i, label in enumerate(order)}
    graph = nx.Graph()
    if keep_labels:
        graph.add_nodes_from((i, {"label": label}) for i, label in enumerate(order))
    else:
        graph.add_nodes_from(range(n))
    # Iterating a directed or multi graph yields each arc once; nx.Graph folds u->v,
    # v->u and repeats into one tie.
    graph.add_edges_from((index[u], index[v]) for u, v in raw.edges() if u != v)
    return graph


# ----------------------------------------------------------------------------------------
# Reading graph files
# ----------------------------------------------------------------------------------------
_SEPARATORS = re.compile(r"[,\s]+")


def read_graph_file(path: str) -> nx.Graph:
    """Read a graph file as it is (no clean-up), choosing the format by extension.

    Parameters
    ----------
    path : str
        ``*.graphml`` (GraphML), ``*.gml`` (GML, nodes identified by their ``id``),
        anything else an edge list: one tie ``u v`` per line, separated by whitespace
        and/or commas, further columns (weights, timestamps) ignored, blank lines and
        lines starting with ``#`` or ``%`` skipped (the SNAP and KONECT formats). Node
        ids are strings; if every id is a plain integer they become ints, so that they
        sort numerically.

    Returns
    -------
    networkx.Graph
        As read: may be directed or a multigraph (GraphML, GML) and may contain
        self-loops. :func:`build_graph` cleans it up.

    Raises
    ------
    GraphError
        One line naming the file: it cannot be read, is not UTF-8 text, is not valid
        GraphML/GML, or (edge lists) a line with fewer than two node ids, with its
        line number.

    References
    ----------
    .. [1] McAuley, J., & Leskovec, J. (2012). Learning to discover social circles in ego
       networks. Advances in Neural Information Processing Systems 25. (The SNAP edge
       list format of the ego-Facebook data.)

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "tiny.txt")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("# FromNodeId ToNodeId\\n1 2\\n2,3,0.5\\n\\n3 1\\n")
    ...     G = read_graph_file(path)
    ...     with open(path, "a") as fh:
    ...         _ = fh.write("oops\\n")
    ...     try:
    ...         read_graph_file(path)
    ...     except GraphError as exc:
    ...         message = str(exc)
    >>> sorted(G.edges())
    [(1, 2), (1, 3), (2, 3)]
    >>> message.endswith("line 6: expected two node ids, got 'oops'")
    True
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension == ".graphml":
        return _read_with(nx.read_graphml, path, "GraphML")
    if extension == ".gml":
        # label=None: ids are unique by the GML definition, labels need not be.
        return _read_with(lambda p: nx.read_gml(p, label=None), path, "GML")
    return _read_edge_list(path)


def _read_with(reader, path: str, kind: str) -> nx.Graph:
    try:
        return reader(path)
    except OSError as exc:
        raise GraphError(f"graph file '{path}' cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not valid {kind} text: {exc.reason} "
                         f"at byte {exc.start}") from None
    except (ET.ParseError, nx.NetworkXError, KeyError, ValueError, TypeError,
            IndexError, AttributeError) as exc:
        # These libraries report malformed input through many exception types; the user
        # needs the file name and the library's own words, on one line.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise GraphError(f"graph file '{path}' is not valid {kind}: {detail}") from None


def _read_edge_list(path: str) -> nx.Graph:
    edges: list[tuple[str, str]] = []
    try:
        # utf-8-sig: a byte-order mark would otherwise become part of the first node id.
        with open(path, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, start=1):
                text = line.strip()
                if not text or text[0] in "#%":
                    continue
                tokens = [t for t in _SEPARATORS.split(text) if t]
                if len(tokens) < 2:
                    shown = text if len(text) <= 60 else text[:57] + "..."
                    raise GraphError(f"graph file '{path}', line {lineno}: expected two "
                                     f"node ids, got {shown!r}")
                edges.append((tokens[0], tokens[1]))
    except OSError as exc:
        raise GraphError(f"graph file '{path}' cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not UTF-8 text: {exc.reason} at byte "
                         f"{exc.start}") from None
    ids = _integer_ids(set(chain.from_iterable(edges)))
    graph = nx.Graph()
    if ids is None:
        graph.add_edges_from(edges)
    else:
        graph.add_edges_from((ids[u], ids[v]) for u, v in edges)
    return graph


def _integer_ids(tokens: Iterable[str]) -> dict[str, int] | None:
    """Map every token to its int if all are canonical integers (``7``, not ``07``)."""
    ids: dict[str, int] = {}
    for token in tokens:
        try:
            value = int(token)
        except ValueError:
            return None
        # int() also accepts '007', '1_000' and non-ASCII digits; those would merge
        # distinct ids or look odd, so they stay strings.
        if str(value) != token:
            return None
        ids[token] = value
    return ids


# ----------------------------------------------------------------------------------------
# Tie strength and the CSR adjacency
# ----------------------------------------------------------------------------------------
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
        simple ties and self-loops dropped; edge attributes are ignored.
    weak_tie_strength : float
        Strength of a tie with no shared neighbours, in (0, 1].

    Returns
    -------
    Adjacency
        Symmetric CSR with sorted rows and strengths from :func:`tie_strength`.

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
    weight = _strength(indptr, indices, n, weak)
    return Adjacency(indptr=indptr, indices=indices, weight=weight, n=n)


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
    rows, cols = np.divmod(keys, n)
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
    order = np.lexsort((b, a))
    a, b, forward = a[order], b[order], forward[order]
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

    keys = a * n + b
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

    # Each tie is stored twice; the reverse entry gets the same count.
    entry_keys = rows * n + cols
    reverse = np.searchsorted(entry_keys, cols[forward] * n + rows[forward])
    common = np.zeros(nnz, dtype=np.int64)
    common[forward] = support
    common[reverse] = support
    return common
