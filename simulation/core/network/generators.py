"""The social graph described by the parameters: generated, built-in or read from a file.

:func:`build_graph` turns ``params.network`` into an undirected simple graph with nodes
``0..N-1`` and a segment per consumer (0 = digital native, 1 = digital immigrant); see
docs/ODD.md, 5.1 Graph sources.

All randomness comes from the ``numpy.random.Generator`` passed in; the same generator
state gives the same graph and the same segments. (networkx draws from it through its
``seed`` argument, so reproducibility across networkx versions is not promised.)
"""

from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np

from simulation.core.network.adjacency import graph_from_pairs
from simulation.core.network.readers import clean_graph, read_graph_file
from simulation.core.network.vectorised import (
    NUMPY_GRAPH_MIN,
    NUMPY_SOURCES,
    barabasi_albert_pairs,
    erdos_renyi_pairs,
    watts_strogatz_pairs,
)
from simulation.core.params import (
    BUILTIN_NETWORKS,
    FILE_PREFIX,
    GENERATED_NETWORKS,
    Params,
)
from simulation.errors import GraphError


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
    ``cliques``
        Disjoint cliques of ``clique_size`` consecutive consumers, the last one holding the
        remainder (:func:`clique_graph`); drawn from no random number. The strong ties of
        Goldenberg, Libai & Muller (2001).
    ``karate``, ``les_miserables``
        networkx's built-in graphs (34 and 77 nodes); ``n_consumers`` and
        ``mean_degree`` are ignored, and so are their ``weight`` edge attributes:
        tie strength comes from embeddedness like on every other graph.
    ``file:PATH``
        Read by :func:`read_graph_file`; ``n_consumers`` and ``mean_degree`` are ignored.
        Tie weights in the file (a third column, Pajek values, a GraphML/GML ``weight``)
        that are on every tie and not all equal are kept as the edge attribute
        ``weight`` with ``graph.graph["weighted"] = True``: :func:`to_adjacency` then takes
        tie strength from them (docs/ODD.md, 2.5). ``graph.graph["file"]`` describes the
        file (path, sha256, format) and ``graph.graph["notes"]`` what was done with the
        weights.

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
    if uses_numpy_graph(params):
        pairs, segment = build_pairs(params, rng)
        return graph_from_pairs(pairs, params.n_consumers, source), segment
    if source.startswith(FILE_PREFIX):
        path = source[len(FILE_PREFIX):]
        raw = read_graph_file(path)
        graph = clean_graph(raw, f"graph file '{path}'", keep_labels=True, weights=True)
        graph.graph["file"] = raw.graph["file"]
    elif source in BUILTIN_NETWORKS:
        raw = nx.karate_club_graph() if source == "karate" else nx.les_miserables_graph()
        graph = clean_graph(raw, f"graph '{source}'", keep_labels=True)
    elif source == "stochastic_block":
        graph, segment = _stochastic_block(params, rng)
    elif source in GENERATED_NETWORKS:
        graph = clean_graph(_generate(source, params, rng), f"graph '{source}'", keep_labels=False)
    else:  # Params validates the name, so this is a programming error
        raise GraphError(f"unknown network source {source!r}")
    if segment is None:
        segment = (rng.random(graph.number_of_nodes()) < params.immigrant_share).astype(np.int8)
    graph.graph["source"] = source
    return graph, segment


def uses_numpy_graph(params: Params) -> bool:
    """Whether the graph comes from :mod:`~simulation.core.network.vectorised` (docs/ODD.md, 5.1):
    a Barabasi-Albert, Watts-Strogatz or Erdos-Renyi graph of at least ``NUMPY_GRAPH_MIN`` =
    100,000 consumers. Smaller graphs and the other sources stay networkx's.

    Examples
    --------
    >>> uses_numpy_graph(Params(n_consumers=100_000)), uses_numpy_graph(Params(n_consumers=99_999))
    (True, False)
    """
    return params.network in NUMPY_SOURCES and params.n_consumers >= NUMPY_GRAPH_MIN


def build_pairs(params: Params, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ties (an ``(E, 2)`` int64 array) and segments of a graph that :func:`uses_numpy_graph`.

    Same draw order as :func:`build_graph`: the ties, then ``rng.random(N) < immigrant_share``.
    :func:`build_graph` returns the same graph as networkx (``graph_from_pairs``); the model
    takes its CSR straight from the pairs (``adjacency_from_pairs``) and makes the networkx
    graph only when asked for it.
    """
    if not uses_numpy_graph(params):
        raise GraphError(f"network {params.network!r} with n_consumers = {params.n_consumers} "
                         "is built by networkx, not from pairs (see uses_numpy_graph)")
    pairs = _generate(params.network, params, rng, pairs=True)
    segment = (rng.random(params.n_consumers) < params.immigrant_share).astype(np.int8)
    return pairs, segment


COMPLETE_EXPLICIT_MAX = 1000  # complete graphs above this size are kept implicit (mean field)

# The parameters that shape the graph, and which of them each source uses (immigrant_share
# is left out: every source uses it for the segments, stochastic_block for its blocks too).
GRAPH_PARAMETERS = ("n_consumers", "mean_degree", "rewire_p", "triangle_p", "homophily", "clique_size")
USED_PARAMETERS = {
    "barabasi_albert": ("n_consumers", "mean_degree"),
    "watts_strogatz": ("n_consumers", "mean_degree", "rewire_p"),
    "erdos_renyi": ("n_consumers", "mean_degree"),
    "powerlaw_cluster": ("n_consumers", "mean_degree", "triangle_p"),
    "stochastic_block": ("n_consumers", "mean_degree", "homophily"),
    "complete": ("n_consumers",),
    "empty": ("n_consumers",),
    "cliques": ("n_consumers", "clique_size"),
}
# Sources whose graph is drawn from the run's random numbers (a new graph for every seed).
RANDOM_NETWORKS = ("barabasi_albert", "watts_strogatz", "erdos_renyi", "powerlaw_cluster",
                   "stochastic_block")


def ignored_parameters(source: str) -> tuple[tuple[str, ...], str]:
    """The graph parameters that ``source`` does not use, and why.

    Examples
    --------
    >>> ignored_parameters("complete")[0]
    ('mean_degree', 'rewire_p', 'triangle_p', 'homophily', 'clique_size')
    >>> ignored_parameters("file:g.txt")[1]
    'the graph file fixes the consumers and their ties'
    """
    if source.startswith(FILE_PREFIX):
        return GRAPH_PARAMETERS, "the graph file fixes the consumers and their ties"
    if source in BUILTIN_NETWORKS:
        return GRAPH_PARAMETERS, f"the built-in graph '{source}' fixes the consumers and their ties"
    used = USED_PARAMETERS[source]
    return (tuple(p for p in GRAPH_PARAMETERS if p not in used),
            f"not used by the generator '{source}'")


def clique_graph(n: int, size: int) -> nx.Graph:
    """Disjoint cliques of ``size`` consecutive consumers (0..size-1, size..2 size-1, ...);
    the last clique holds the remaining ``n mod size`` if that is not 0. The strong ties of
    Goldenberg, Libai & Muller (2001): everybody's personal network is their clique
    (docs/ODD.md, 7.3).

    Examples
    --------
    >>> G = clique_graph(7, 3)
    >>> sorted(len(c) for c in nx.connected_components(G)), G.number_of_edges()  # 3 + 3 + 1 ties
    ([1, 3, 3], 6)
    """
    G = nx.empty_graph(n)
    for start in range(0, n, size):
        members = range(start, min(start + size, n))
        G.add_edges_from((i, j) for i in members for j in members if i < j)
    return G


def _round_half_up(x: float) -> int:
    # Python's round() rounds halves to even, so d = 5 and d = 7 would both give an even
    # m; rounding halves up keeps "nearest" monotone in d.
    return int(math.floor(x + 0.5))


def _generate(source: str, params: Params, rng: np.random.Generator,
              pairs: bool = False) -> nx.Graph | np.ndarray:
    # pairs: the vectorised generator's (E, 2) tie array instead (uses_numpy_graph).
    n = params.n_consumers
    if source in ("barabasi_albert", "powerlaw_cluster"):
        m = generator_setting(source, params)
        if source == "barabasi_albert":
            return barabasi_albert_pairs(n, m, rng) if pairs else nx.barabasi_albert_graph(n, m, seed=rng)
        return nx.powerlaw_cluster_graph(n, m, params.triangle_p, seed=rng)
    if source == "watts_strogatz":
        k = generator_setting(source, params)
        if pairs:
            return watts_strogatz_pairs(n, k, params.rewire_p, rng)
        return nx.watts_strogatz_graph(n, k, params.rewire_p, seed=rng)
    if source == "erdos_renyi":
        p = generator_setting(source, params)
        return erdos_renyi_pairs(n, p, rng) if pairs else nx.fast_gnp_random_graph(n, p, seed=rng)
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
    if source == "cliques":
        return clique_graph(n, params.clique_size)
    raise GraphError(f"unknown network generator {source!r}")


def generator_setting(source: str, params: Params) -> int | float:
    """m (Barabasi-Albert, Holme-Kim), k (Watts-Strogatz) or p (Erdos-Renyi) of ``params``,
    checked without drawing: a :class:`GraphError` for a setting the generator cannot honour.

    Examples
    --------
    >>> generator_setting("barabasi_albert", Params(mean_degree=5)), generator_setting("watts_strogatz", Params())
    (3, 6)
    """
    n, d = params.n_consumers, params.mean_degree
    if source in ("barabasi_albert", "powerlaw_cluster"):
        m = max(1, _round_half_up(d / 2))
        if m >= n:
            raise GraphError(
                f"network '{source}': m = round(mean_degree / 2) = {m} must be below "
                f"n_consumers = {n}: allowed mean_degree < {2 * n - 1}")
        return m
    if source == "watts_strogatz":
        k = max(2, 2 * _round_half_up(d / 2))
        if k >= n:
            k_max = 2 * ((n - 1) // 2)
            allowed = (f"mean_degree < {k_max + 1}" if k_max >= 2
                       else "n_consumers >= 3")
            raise GraphError(
                f"network 'watts_strogatz': k = {k} (the even number nearest mean_degree, "
                f"at least 2) must be below n_consumers = {n}: allowed {allowed}")
        return k
    if source == "erdos_renyi":
        if d > n - 1:
            raise GraphError(
                f"network 'erdos_renyi': mean_degree = {d:g} exceeds n_consumers - 1 = "
                f"{n - 1}: allowed mean_degree <= {n - 1}")
        return d / (n - 1)
    raise GraphError(f"network {source!r} has no generator setting")


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
    # networkx's sparse sampler skips ahead by log(U) / log(1 - p), which divides by zero
    # when p is so small that 1 - p == 1 in floating point (p <= 2**-54). Such a block pair
    # expects under 0.001 ties even at 5 million consumers (1.25e13 pairs), so it gets none.
    probs = np.where(1.0 - probs == 1.0, 0.0, probs)
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

