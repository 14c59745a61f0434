"""The social graph: generators, built-in and file graphs, clean-up, tie strength, CSR.

Modules (lowest first; each imports only those above it, :mod:`simulation.errors` and
:mod:`simulation.core.params`):

``readers``
    :func:`read_graph_file` (edge list, GraphML, GML; one-line errors with the line
    number) and :func:`clean_graph` (undirected, simple, nodes ``0..N-1``).
``adjacency``
    :func:`to_adjacency` and :func:`tie_strength`: the CSR :class:`Adjacency` the engine
    works on, or the implicit :class:`MeanFieldAdjacency` of a large complete graph.
``generators``
    :func:`build_graph`: ``params.network`` (a generator, a built-in graph or
    ``file:PATH``) to a clean graph and the consumer segments.

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
    tie_strength,
    to_adjacency,
)
from simulation.core.network.generators import COMPLETE_EXPLICIT_MAX, build_graph
from simulation.core.network.readers import clean_graph, read_graph_file

__all__ = [
    "COMPLETE_EXPLICIT_MAX",
    "Adjacency",
    "MeanFieldAdjacency",
    "build_graph",
    "clean_graph",
    "read_graph_file",
    "tie_strength",
    "to_adjacency",
]
