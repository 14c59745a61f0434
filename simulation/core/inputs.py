"""What both engines build before the first step, in the same order from the same draws.

The vectorised engine and the per-agent reference share this (it is input, not a
process), so the same seed gives both the same graph, segments and initial state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np

from simulation.core.brand import market_brands, qualities
from simulation.core.network import (
    adjacency_from_pairs,
    build_graph,
    build_pairs,
    to_adjacency,
    to_networkx,
    uses_numpy_graph,
)
from simulation.core.params import GENERATED_NETWORKS, Params
from simulation.core.progress import StageListener, stage
from simulation.core.state import ConsumerState


def resolve_params(params: Params | Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> Params:
    """The validated parameters of a model: ``params`` (or defaults) updated by ``overrides``."""
    if isinstance(params, Params) and not overrides:
        return params
    return Params(**{**(dict(params) if params is not None else {}), **overrides})


def model_inputs(p: Params, rng: np.random.Generator,
                 graph: tuple[nx.Graph, np.ndarray] | None = None,
                 on_stage: StageListener | None = None, *, lazy_graph: bool = False):
    """(graph, adjacency, initial state, brands (focal first)). Draw order: graph, segments, state.

    Each step is a build stage of :mod:`simulation.core.progress`, announced to
    ``on_stage`` (or the ambient listener): they are what takes long at 10^6 consumers.
    A graph that :func:`~simulation.core.network.uses_numpy_graph` goes from its tie pairs
    straight to the CSR; its networkx graph is then made from the CSR, or, with
    ``lazy_graph``, left to the caller (``None`` is returned: the engine makes it when asked,
    :mod:`simulation.core.views`). Either way the same seed gives the same ties.
    """
    if graph is None and uses_numpy_graph(p):
        with stage(graph_stage_name(p), on_stage):
            pairs, segment = build_pairs(p, rng)
        with stage(f"tie strengths ({len(pairs):,} ties)", on_stage):
            adjacency = adjacency_from_pairs(pairs, p.n_consumers, p.weak_tie_strength)
        del pairs
        G = None if lazy_graph else to_networkx(adjacency.indptr, adjacency.indices, adjacency.n, p.network)
    else:
        if graph is None:
            with stage(graph_stage_name(p), on_stage):
                graph = build_graph(p, rng)
        G, segment = graph
        with stage(f"tie strengths ({G.number_of_edges():,} ties)", on_stage):
            adjacency = to_adjacency(G, p.weak_tie_strength)
    brands = market_brands(p, adjacency.n)
    with stage(f"initial state ({adjacency.n:,} consumers)", on_stage):
        state = ConsumerState.initial(segment, p, qualities(brands), rng)
    return G, adjacency, state, brands


def graph_stage_name(p: Params) -> str:
    """How the graph stage is announced: its size where the parameters set it."""
    if p.network in GENERATED_NETWORKS:
        return f"building graph ({p.n_consumers:,} nodes, {p.network})"
    return f"building graph ({p.network})"  # a built-in or file graph has its own size
