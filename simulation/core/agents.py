"""Consumers as real Mesa agents whose attributes are views on the model's state arrays.

``agent.attitude`` reads ``model.state.attitude[agent.index]`` and assigning to it writes
there, so ``model.agents``, AgentSet queries (``model.agents.select(lambda a: a.aware)``)
and agent reporters work as in any Mesa model, while the engine updates all consumers at
once on the arrays.
"""

from __future__ import annotations

from mesa.discrete_space import FixedAgent

from simulation.core.state import IMMIGRANT


class StateColumn:
    """Descriptor: an agent attribute stored in column ``name`` of ``model.state``."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(agent.model.state, self.name)[agent.index].item()

    def __set__(self, agent, value) -> None:
        getattr(agent.model.state, self.name)[agent.index] = value


class Consumer(FixedAgent):
    """A consumer, fixed to one node (cell) of the social network."""

    aware = StateColumn()
    attitude = StateColumn()
    expectation = StateColumn()
    trust = StateColumn()
    irritation = StateColumn()
    loyalty = StateColumn()
    purchases = StateColumn()
    follower = StateColumn()
    segment = StateColumn()
    online = StateColumn()
    bought = StateColumn()
    satisfaction = StateColumn()
    talked = StateColumn()

    def __init__(self, model, index: int, cell=None) -> None:
        super().__init__(model)
        self.index = int(index)
        if cell is not None:
            self.cell = cell

    @property
    def is_immigrant(self) -> bool:
        return self.segment == IMMIGRANT

    @property
    def nps_score(self) -> float:
        """Attitude on the 0..10 NPS scale: 5 (a + 1)."""
        return 5.0 * (self.attitude + 1.0)


AGENT_REPORTERS = {name: name for name in ("aware", "attitude", "expectation", "trust",
                                           "loyalty", "purchases", "follower", "segment")}
