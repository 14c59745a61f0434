"""Consumers as real Mesa agents whose attributes are views on the model's state arrays.

``agent.attitude`` reads ``model.state.attitude[agent.index, 0]`` (the focal brand) and
assigning to it writes there; ``agent.attitudes`` is the agent's row over all brands (a
numpy view: ``agent.attitudes[2] = 0.5`` writes brand 2's entry). So ``model.agents``,
AgentSet queries (``model.agents.select(lambda a: a.aware)``) and agent reporters work as
in any Mesa model, while the engine updates all consumers at once on the arrays.
"""

from __future__ import annotations

from mesa.discrete_space import FixedAgent

from simulation.core.state import IMMIGRANT


class StateColumn:
    """Descriptor: an agent attribute stored in ``model.state.<name>``; for per-brand state,
    the focal brand's entry (column 0)."""

    def __init__(self, name: str | None = None, per_brand: bool = False) -> None:
        self.name, self.per_brand = name, per_brand

    def __set_name__(self, owner, name: str) -> None:
        self.name = self.name or name

    def _key(self, agent):
        return (agent.index, 0) if self.per_brand else agent.index

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(agent.model.state, self.name)[self._key(agent)].item()

    def __set__(self, agent, value) -> None:
        getattr(agent.model.state, self.name)[self._key(agent)] = value


class BrandRow:
    """Descriptor: the agent's row of a per-brand array, one entry per brand (a view)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(agent.model.state, self.name)[agent.index]

    def __set__(self, agent, values) -> None:
        getattr(agent.model.state, self.name)[agent.index] = values


class Consumer(FixedAgent):
    """A consumer, fixed to one node (cell) of the social network.

    Singular attributes about a brand (``aware``, ``attitude``, ``trust``, ...) are about
    the focal brand; the plural ones (``aware_of``, ``attitudes``, ``trusts``,
    ``loyalties``, ``expectations``, ``brand_purchases``) hold every brand, focal first.
    """

    aware = StateColumn(per_brand=True)
    attitude = StateColumn(per_brand=True)
    expectation = StateColumn(per_brand=True)
    trust = StateColumn(per_brand=True)
    irritation = StateColumn(per_brand=True)
    loyalty = StateColumn(per_brand=True)
    purchases = StateColumn(per_brand=True)
    follower = StateColumn(per_brand=True)
    segment = StateColumn()
    online = StateColumn()
    bought = StateColumn()
    choice = StateColumn()
    last_brand = StateColumn()
    satisfaction = StateColumn()
    talked = StateColumn()
    aware_of = BrandRow("aware")
    attitudes = BrandRow("attitude")
    expectations = BrandRow("expectation")
    trusts = BrandRow("trust")
    loyalties = BrandRow("loyalty")
    brand_purchases = BrandRow("purchases")

    def __init__(self, model, index: int, cell=None) -> None:
        super().__init__(model)
        self.index = int(index)
        if cell is not None:
            self.cell = cell

    @property
    def is_immigrant(self) -> bool:
        return self.segment == IMMIGRANT


AGENT_REPORTERS = {name: name for name in ("aware", "attitude", "expectation", "trust",
                                           "loyalty", "purchases", "follower", "segment",
                                           "choice", "last_brand")}
