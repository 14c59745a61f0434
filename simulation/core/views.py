"""The Mesa view of the engine's model, made when something first asks for it.

The engine works on arrays (:mod:`simulation.core.state`) and the CSR adjacency; the
networkx graph (``model.graph``), the Mesa ``Network`` space (``model.space``) and one
:class:`~simulation.core.agents.Consumer` per node (``model.agents``) are a view of them.
At a million consumers that view costs more than the rest of the build (about 25 s and
0.8 GiB), so :class:`LazyMesaView` creates each part on first use and then keeps it: the
same graph, cells and agents (unique ids 1..N in node order) as if they had been made in
the constructor. Creating them draws no random number (networkx's graph from the CSR,
Mesa's ``Network`` without a layout and the agents draw nothing), so whether anybody
looked changes no result. See docs/ODD.md, 2.1 "The Mesa view", and section 9 item 36.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from simulation.core.agents import Consumer
from simulation.core.network import to_networkx
from simulation.core.progress import stage


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (restored after, as it was).

    Building allocates millions of long-lived container objects (graph dicts, cells,
    agents) and no garbage cycles; each allocation burst would trigger a full collection
    that walks all of them again (18.8 s of pauses at a million consumers before issue
    14). Reference counting still frees everything as usual. (``gc.freeze`` is not used:
    it would keep a finished model's cycles alive for the rest of a sweep's process.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class LazyMesaView:
    """Mixin for a ``mesa.Model`` with ``adjacency`` and ``params``: graph, space and agents on demand.

    Mesa keeps its agents in ``Model._all_agents`` and ``Model._agents_by_type``, which
    every part of Mesa reads (``model.agents``, ``agents_by_type``, ``agent_types``,
    ``register_agent``, ``remove_all_agents``, DataCollector agent reporters); here they
    are properties that create the consumers first, so the laziness is invisible. Call
    :meth:`_defer_mesa_view` at the end of the constructor.
    """

    @property
    def _all_agents(self):
        self._ensure_agents()
        return self.__dict__["_mesa_all_agents"]

    @_all_agents.setter
    def _all_agents(self, agents) -> None:
        self.__dict__["_mesa_all_agents"] = agents

    @property
    def _agents_by_type(self):
        self._ensure_agents()
        return self.__dict__["_mesa_agents_by_type"]

    @_agents_by_type.setter
    def _agents_by_type(self, agents) -> None:
        self.__dict__["_mesa_agents_by_type"] = agents

    def _defer_mesa_view(self, graph: nx.Graph | None, on_stage=None) -> None:
        """From now on the view is made on first use (``graph``: an already built one, or None)."""
        self.__dict__["_graph"] = graph
        self.__dict__["_space"] = None
        self.__dict__["_view_stage"] = on_stage
        self.__dict__["_agents_pending"] = True

    @property
    def graph(self) -> nx.Graph:
        """The social graph as networkx (made from the adjacency on first use)."""
        if self.__dict__.get("_graph") is None:
            with cyclic_gc_paused(), stage(f"networkx graph ({self.adjacency.n:,} nodes)",
                                           self.__dict__.get("_view_stage")):
                adj = self.adjacency
                self.__dict__["_graph"] = to_networkx(adj.indptr, adj.indices, adj.n, self.params.network)
        return self.__dict__["_graph"]

    @property
    def space(self) -> Network:
        """Mesa's topological ``Network`` on :attr:`graph`, cell i = consumer i (no layout:
        a spring layout costs minutes at 10k nodes; the dashboard lays out for display)."""
        if self.__dict__.get("_space") is None:
            graph = self.graph
            with cyclic_gc_paused():
                self.__dict__["_space"] = Network(graph, layout=None, random=self.random)
        return self.__dict__["_space"]

    def _ensure_agents(self) -> None:
        if not self.__dict__.get("_agents_pending"):
            return
        self.__dict__["_agents_pending"] = False  # Consumer() registers itself through the properties
        n = self.adjacency.n
        space = self.space
        with cyclic_gc_paused(), stage(f"agents ({n:,} Mesa agents)", self.__dict__.get("_view_stage")):
            Consumer.create_agents(self, n, index=np.arange(n), cell=[space[i] for i in range(n)])

    @property
    def mesa_view_made(self) -> dict[str, bool]:
        """Which parts of the view exist yet (``graph``, ``space``, ``agents``)."""
        return {"graph": self.__dict__.get("_graph") is not None,
                "space": self.__dict__.get("_space") is not None,
                "agents": not self.__dict__.get("_agents_pending", False)}
