"""The brand: how a strategy splits the weekly budget across channels, and what it claims.

Every strategy except ``none`` spends the same budget (``budget * N`` impression units a
week), so strategies are compared at equal cost (docs/ODD.md, 2.3 The brand).
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
        if params.strategy == "mixed":
            dialogue, fanpage = params.dialogue_share, params.fanpage_share
            split = (1.0 - dialogue - fanpage, fanpage, dialogue)
        else:
            split = _SPLITS[params.strategy]
        total = params.budget * n_consumers
        q = params.quality
        inflated = float(np.clip(q + params.hype, -1.0, 1.0))
        return cls(
            broadcast_budget=total * split[0],
            fanpage_budget=total * split[1],
            dialogue_budget=total * split[2],
            quality=q,
            ad_claim=inflated if params.strategy == "hype" else q,
            reply_claim=params.honesty * q + (1.0 - params.honesty) * inflated,
        )
