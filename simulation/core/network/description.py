"""What a run's graph was: its measured size and, for a file, which file (for run metadata).

:func:`describe_graph` is the one description of a built graph that every writer of run
metadata records (``run.json`` of ``simulate`` and the headline, ``sweep.json``), so that a
file graph is not reported with the ``n_consumers`` and ``mean_degree`` it ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from simulation.core.network.adjacency import Adjacency, MeanFieldAdjacency
from simulation.core.network.generators import RANDOM_NETWORKS, ignored_parameters


def describe_graph(graph: nx.Graph) -> dict[str, Any]:
    """The graph actually used, measured, with the parameters its source ignores.

    Parameters
    ----------
    graph : networkx.Graph
        As :func:`build_graph` returns it (``graph.graph["source"]`` set).

    Returns
    -------
    dict
        ``source``; ``nodes``, ``edges``, ``mean_degree`` (2 edges / nodes) and
        ``components`` (connected components; isolated consumers count one each), all
        measured; ``tie_strength`` (``"embeddedness"`` or ``"file weights"``); ``ignored``
        (the graph parameters the source does not use) and ``ignored_reason``;
        ``random`` (whether each seed draws a new graph); for a file graph ``file`` (path
        as given, sha256 of the bytes read, format, and for edge lists delimiter and
        header); ``notes`` (what was done with tie weights), if any.

    Examples
    --------
    >>> import numpy as np
    >>> from simulation.core.network import build_graph
    >>> from simulation.core.params import Params
    >>> G, _ = build_graph(Params(network="karate"), np.random.default_rng(0))
    >>> d = describe_graph(G)
    >>> d["nodes"], d["edges"], d["mean_degree"], d["components"], d["ignored"][:2]
    (34, 78, 4.588235, 1, ['n_consumers', 'mean_degree'])
    """
    n = graph.number_of_nodes()
    if graph.graph.get("mean_field"):  # a complete graph whose ties are not stored
        edges, components = n * (n - 1) // 2, 1
    else:
        edges, components = graph.number_of_edges(), nx.number_connected_components(graph)
    return description_of(graph.graph, n, edges, components)


def describe_adjacency(adjacency: Adjacency | MeanFieldAdjacency,
                       attributes: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`describe_graph` of a model's graph from its CSR adjacency (no networkx graph).

    ``attributes`` are the graph's ``graph.graph`` (at least ``source``). Components are
    counted by ``scipy.sparse.csgraph.connected_components``: the same count as
    networkx's, in a fraction of a second at a million nodes.

    Examples
    --------
    >>> import networkx as nx
    >>> from simulation.core.network import to_adjacency
    >>> G = nx.Graph([(0, 1), (2, 3), (3, 4)], source="empty")
    >>> d = describe_adjacency(to_adjacency(G, 0.3), G.graph)
    >>> d == describe_graph(G), d["components"], d["edges"]
    (True, 2, 3)
    """
    n = adjacency.n
    if isinstance(adjacency, MeanFieldAdjacency):
        components = 1
    else:
        # A view on the CSR's own arrays, not to_scipy()'s copy: at 10M consumers the copy
        # would add most of a GiB at the end of the run.
        csr = sp.csr_array((adjacency.weight, adjacency.indices, adjacency.indptr), shape=(n, n))
        components = int(connected_components(csr, directed=False)[0]) if n else 0
    return description_of(attributes, n, adjacency.n_edges, components)


def description_of(attributes: Mapping[str, Any], n: int, edges: int | None,
                   components: int | None) -> dict[str, Any]:
    """The fields of :func:`describe_graph` for a graph with ``graph.graph`` ``attributes``
    and these counts (None where they are not known without building the graph)."""
    source = attributes["source"]
    ignored, reason = ignored_parameters(source)
    description: dict[str, Any] = {
        "source": source, "nodes": n, "edges": edges,
        "mean_degree": (round(2 * edges / n, 6) if n else 0.0) if edges is not None else None,
        "components": components,
        "tie_strength": "file weights" if attributes.get("weighted") else "embeddedness",
        "random": source in RANDOM_NETWORKS,
        "ignored": list(ignored), "ignored_reason": reason,
    }
    if "file" in attributes:
        description["file"] = dict(attributes["file"])
    if attributes.get("notes"):
        description["notes"] = list(attributes["notes"])
    return description
