"""The brands: how a strategy splits the weekly budget across channels, and what it claims.

Every strategy except ``none`` spends the same budget (``budget * N`` impression units a
week), so strategies are compared at equal cost (docs/ODD.md, 2.3 The brands). Brand 0 is
the focal brand (``strategy``, ``budget``, ``quality``, ``hype``, ``honesty``); the rivals
1..B-1 follow ``rival_strategy`` with ``rival_budget`` and honest messages, and their
qualities are spread evenly around ``rival_quality`` (:func:`rival_qualities`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.core.params import Params

# Share of the budget per channel: (broadcast, fanpage, dialogue).
_SPLITS = {
    "none": (0.0, 0.0, 0.0),
    "broadcast": (1.0, 0.0, 0.0),
    "hype": (1.0, 0.0, 0.0),
    "fanpage": (0.0, 1.0, 0.0),
    "dialogue": (0.0, 0.0, 1.0),
}


@dataclass(frozen=True)
class Brand:
    """Weekly channel budgets (impression units) and the messages of the brand.

    Attributes
    ----------
    broadcast_budget, fanpage_budget, dialogue_budget : float
        Weekly spend on each channel.
    weekly_spend : float
        Their sum: what the brand pays each week (the fan page's content and the
        community team are paid whether or not they are used to capacity).
    quality : float
        True quality Q.
    ad_claim : float
        What ads say: Q for honest strategies, clip(Q + hype, -1, 1) for ``hype``.
    reply_claim : float
        What a dialogue reply says about quality: honesty * Q + (1 - honesty) * clip(Q + hype).
    """

    broadcast_budget: float
    fanpage_budget: float
    dialogue_budget: float
    quality: float
    ad_claim: float
    reply_claim: float

    @property
    def weekly_spend(self) -> float:
        return self.broadcast_budget + self.fanpage_budget + self.dialogue_budget

    @classmethod
    def from_params(cls, params: Params, n_consumers: int) -> Brand:
        """The focal brand (brand 0)."""
        return cls.make(params.strategy, params.budget, params.quality, params.hype,
                        params.honesty, params, n_consumers)

    @classmethod
    def make(cls, strategy: str, budget: float, quality: float, hype: float, honesty: float,
             params: Params, n_consumers: int) -> Brand:
        if strategy == "mixed":
            dialogue, fanpage = params.dialogue_share, params.fanpage_share
            split = (1.0 - dialogue - fanpage, fanpage, dialogue)
        else:
            split = _SPLITS[strategy]
        total = budget * n_consumers
        q = quality
        inflated = float(np.clip(q + hype, -1.0, 1.0))
        return cls(
            broadcast_budget=total * split[0],
            fanpage_budget=total * split[1],
            dialogue_budget=total * split[2],
            quality=q,
            ad_claim=inflated if strategy == "hype" else q,
            reply_claim=honesty * q + (1.0 - honesty) * inflated,
        )


def rival_qualities(params: Params) -> np.ndarray:
    """Qualities of rivals 1..B-1: clip(rival_quality + spread * d, -1, 1) with d evenly
    spaced over [-1, 1] (d = 0 for a single rival). No random draw: a sweep over the spread
    moves every rival the same way on every seed.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> rival_qualities(Params(n_brands=4, rival_quality=0.2, rival_quality_spread=0.3)).round(6).tolist()
    [-0.1, 0.2, 0.5]
    """
    k = int(params.n_brands) - 1
    d = np.linspace(-1.0, 1.0, k) if k > 1 else np.zeros(k)
    return np.clip(params.rival_quality + params.rival_quality_spread * d, -1.0, 1.0)


def market_brands(params: Params, n_consumers: int) -> tuple[Brand, ...]:
    """All brands, focal first. Rivals are honest: ``hype`` is not used and replies state Q."""
    rivals = tuple(Brand.make(params.rival_strategy, params.rival_budget, float(q), 0.0, 1.0, params, n_consumers)
                   for q in rival_qualities(params))
    return (Brand.from_params(params, n_consumers), *rivals)


def qualities(brands: tuple[Brand, ...]) -> np.ndarray:
    """True quality per brand, as an array (brand 0 first)."""
    return np.array([b.quality for b in brands], dtype=np.float64)
