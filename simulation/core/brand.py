"""The brands: how a strategy splits the weekly budget across channels, and what it claims.

Every strategy except ``none`` has the same budget (``budget * N`` impression units a
week), so strategies are compared at equal cost (docs/ODD.md, 2.3 The brands). What a brand
spends is what its channels used (:meth:`Brand.spent`): dialogue capacity that finds no post
to answer, and page promotion without followers to show it to, are not spent. Brand 0 is
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
        Their sum: the weekly budget, what the brand pays in a week when every channel is
        used to capacity (always with ``pay_unused_capacity``, as in version 1).
    has_page : bool
        The strategy runs a fan page (``fanpage``, or ``mixed`` with ``fanpage_share > 0``),
        even at budget 0: its posts then reach followers only organically.
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
    has_page: bool = False

    @property
    def weekly_spend(self) -> float:
        return self.broadcast_budget + self.fanpage_budget + self.dialogue_budget

    def spent(self, paid_views: int, replies: int, params: Params) -> float:
        """What the brand pays this week (docs/ODD.md, 7.8 and 9): its broadcast budget (the
        impressions are always delivered), the page's paid views (1 each) and its replies
        (``reply_cost`` each); the whole :attr:`weekly_spend` with ``pay_unused_capacity``.
        Paid views and replies are bought by stochastic rounding, so a channel used to
        capacity spends its budget in expectation (a week may differ by less than one view or one
        reply, i.e. up to ``reply_cost``).

        Examples
        --------
        >>> p = Params(reply_cost=100.0)
        >>> b = Brand.make("mixed", 1.0, 0.3, 0.4, 1.0, p.replace(fanpage_share=0.2), 1000)
        >>> b.weekly_spend, b.spent(150, 2, p), b.spent(150, 2, p.replace(pay_unused_capacity=True))
        (1000.0, 650.0, 1000.0)
        """
        if params.pay_unused_capacity:
            return self.weekly_spend
        return self.broadcast_budget + float(paid_views) + replies * params.reply_cost

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
            has_page=split[1] > 0,
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
