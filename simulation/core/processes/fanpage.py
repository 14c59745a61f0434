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
            rng: np.random.Generator) -> int:
    """Gain followers, then show page posts to the online ones.

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
    candidates = state.online & state.aware & ~state.follower & (state.attitude >= params.follow_threshold)
    state.follower |= candidates & (rng.random(state.n) < params.follow_prob)
    idx = np.flatnonzero(state.follower & state.online)
    demand = len(idx) * params.fanpage_posts
    if demand == 0:
        return 0
    supply = stochastic_round(budget, rng)
    k = np.full(len(idx), params.fanpage_posts, dtype=np.int64)
    if supply < demand:
        k = rng.binomial(params.fanpage_posts, supply / demand, size=len(idx))
    apply_exposures(state, idx, k, claim, params, strength=params.fanpage_effect, reactance=False)
    return int(k.sum())
