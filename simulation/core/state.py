"""Consumer state: one numpy array per attribute, indexed by consumer (= graph node).

The engine's processes read and write these arrays; the Mesa agents
(:mod:`simulation.core.agents`) are views on one index of them. Keeping the state in arrays is
what makes a step a handful of vectorised operations instead of N Python calls.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulation.core.params import Params

NATIVE, IMMIGRANT = 0, 1


@dataclass
class ConsumerState:
    """Per-consumer state (docs/ODD.md, 2.1 Consumers) plus this step's events.

    Persistent: ``segment``, ``aware``, ``attitude0`` (the baseline attitude forgetting
    returns to), ``attitude`` [-1, 1], ``expectation`` [-1, 1],
    ``trust`` [0, 1], ``irritation`` >= 0, ``loyalty`` [0, 1], ``purchases`` (count),
    ``follower``.
    Events of the current step (overwritten each step): ``online``, ``bought``,
    ``experience`` and ``satisfaction`` (NaN where the consumer did not buy), ``talked``.
    """

    segment: np.ndarray
    aware: np.ndarray
    attitude0: np.ndarray
    attitude: np.ndarray
    expectation: np.ndarray
    trust: np.ndarray
    irritation: np.ndarray
    loyalty: np.ndarray
    purchases: np.ndarray
    follower: np.ndarray
    online: np.ndarray
    bought: np.ndarray
    experience: np.ndarray
    satisfaction: np.ndarray
    talked: np.ndarray

    @property
    def n(self) -> int:
        return self.segment.shape[0]

    @classmethod
    def initial(cls, segment: np.ndarray, params: Params, rng: np.random.Generator) -> ConsumerState:
        """Step-0 state: a share ``initial_awareness`` is aware, everyone neutral.

        Attitude starts at 0 (no opinion) or, with ``initial_attitude_sd`` > 0, at
        clip(N(0, sd), -1, 1) (drawn after awareness); expectation at 0, trust at
        ``initial_trust``, loyalty and irritation at 0.
        """
        n = segment.shape[0]
        aware = rng.random(n) < params.initial_awareness
        attitude0 = np.zeros(n)
        if params.initial_attitude_sd > 0:
            attitude0 = np.clip(params.initial_attitude_sd * rng.standard_normal(n), -1.0, 1.0)
        return cls(
            segment=segment.astype(np.int8, copy=True),
            aware=aware,
            attitude0=attitude0,
            attitude=attitude0.copy(),
            expectation=np.zeros(n),
            trust=np.full(n, params.initial_trust),
            irritation=np.zeros(n),
            loyalty=np.zeros(n),
            purchases=np.zeros(n, dtype=np.int64),
            follower=np.zeros(n, dtype=bool),
            online=np.zeros(n, dtype=bool),
            bought=np.zeros(n, dtype=bool),
            experience=np.full(n, np.nan),
            satisfaction=np.full(n, np.nan),
            talked=np.zeros(n, dtype=bool),
        )

    def by_segment(self, native_value: float, immigrant_value: float) -> np.ndarray:
        """Per-consumer array of a segment-specific parameter."""
        return np.where(self.segment == IMMIGRANT, immigrant_value, native_value)

    def copy(self) -> ConsumerState:
        return ConsumerState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """Round ``x`` >= 0 up with probability equal to its fractional part.

    Keeps the expected number of impressions or replies exactly equal to what the budget
    buys, at any budget and population size.
    """
    whole = int(np.floor(x))
    return whole + int(rng.random() < (x - whole))
