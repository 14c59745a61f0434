"""Fan page only (passive presence): promotion to followers, never an answer.

Only aware consumers who like the brand follow it, and they see the page only when they
are online, so the page reaches those already won: it "does not run by itself".
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.broadcast import apply_exposures
from simulation.core.state import ConsumerState, stochastic_round


def fanpage(state: ConsumerState, params: Params, budget: float, claim: float,
            rng: np.random.Generator, brand: int = 0) -> int:
    """Brand ``brand``'s page gains followers, then shows page posts to the online ones.

    Following: an online, aware non-follower with attitude >= ``follow_threshold`` follows
    with probability ``follow_prob``. Reach: each online follower sees ``fanpage_posts``
    posts a week; when the budget (1 per follower-post, like an impression) cannot pay for
    all, each post is shown with probability supply / demand. Page posts persuade like ads
    scaled by ``fanpage_effect``; followers chose the page, so they cause no irritation and
    no reactance.

    Returns the number of follower-post views.
    """
    if budget <= 0:
        return 0
    b = brand
    follower = state.follower[:, b]  # a view: following writes through
    candidates = state.online & state.aware[:, b] & ~follower & (state.attitude[:, b] >= params.follow_threshold)
    follower |= candidates & (rng.random(state.n) < params.follow_prob)
    idx = np.flatnonzero(follower & state.online)
    demand = len(idx) * params.fanpage_posts
    if demand == 0:
        return 0
    supply = stochastic_round(budget, rng)
    k = np.full(len(idx), params.fanpage_posts, dtype=np.int64)
    if supply < demand:
        k = rng.binomial(params.fanpage_posts, supply / demand, size=len(idx))
    seen = k > 0
    apply_exposures(state, idx[seen], k[seen], claim, params, strength=params.fanpage_effect,
                    reactance=False, brand=b)
    return int(k.sum())
