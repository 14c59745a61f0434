"""The social graph: generators, built-in and file graphs, clean-up, tie strength, CSR.

Modules (lowest first; each imports only those above it, :mod:`simulation.errors` and
:mod:`simulation.core.params`):

``edgelist``
    :func:`parse_edge_list`: an edge list's delimiter, header row, ties and weights, with
    one-line errors naming the line.
``readers``
    :func:`read_graph_file` (edge list, GraphML, GML, Pajek; the file's sha256) and
    :func:`clean_graph` (undirected, simple, nodes ``0..N-1``, file weights kept).
``adjacency``
    :func:`to_adjacency` and :func:`tie_strength`: the CSR :class:`Adjacency` the engine
    works on, or the implicit :class:`MeanFieldAdjacency` of a large complete graph;
    :func:`adjacency_from_pairs` (the same from tie pairs) and :func:`to_networkx`.
``vectorised``
    Barabasi-Albert, Watts-Strogatz and Erdos-Renyi ties drawn as numpy pairs, used from
    ``NUMPY_GRAPH_MIN`` = 100,000 consumers (:func:`uses_numpy_graph`).
``generators``
    :func:`build_graph`: ``params.network`` (a generator, a built-in graph or
    ``file:PATH``) to a clean graph and the consumer segments; which graph parameters
    each source uses (:func:`ignored_parameters`).
``description``
    :func:`describe_graph` and :func:`describe_adjacency`: the built graph measured, for run
    metadata.

See docs/ODD.md, 2.5 The social graph and 5.1 Graph sources.

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

from simulation.core.network.adjacency import (
    Adjacency,
    MeanFieldAdjacency,
    adjacency_from_pairs,
    graph_from_pairs,
    tie_strength,
    to_adjacency,
    to_networkx,
)
from simulation.core.network.description import describe_adjacency, describe_graph, description_of
from simulation.core.network.edgelist import parse_edge_list
from simulation.core.network.generators import (
    COMPLETE_EXPLICIT_MAX,
    GRAPH_PARAMETERS,
    build_graph,
    build_pairs,
    ignored_parameters,
    uses_numpy_graph,
)
from simulation.core.network.readers import clean_graph, read_graph_file
from simulation.core.network.vectorised import NUMPY_GRAPH_MIN

__all__ = [
    "COMPLETE_EXPLICIT_MAX",
    "GRAPH_PARAMETERS",
    "Adjacency",
    "MeanFieldAdjacency",
    "NUMPY_GRAPH_MIN",
    "adjacency_from_pairs",
    "build_graph",
    "build_pairs",
    "clean_graph",
    "describe_adjacency",
    "describe_graph",
    "description_of",
    "ignored_parameters",
    "parse_edge_list",
    "read_graph_file",
    "graph_from_pairs",
    "tie_strength",
    "to_adjacency",
    "to_networkx",
    "uses_numpy_graph",
]
