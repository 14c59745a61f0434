"""Fan page only (passive presence): page posts to followers, never an answer.

Only aware consumers who like the brand follow it, and they see the page only when they
are online, so the page reaches those already won. A page post reaches a follower for
free only with probability ``organic_reach`` (Ogilvy 2014: about 6 % of a page's fans, 2 %
for large pages); the page's budget buys the rest as paid views (docs/ODD.md, 7.2 Fan page).
Whether the page then "runs by itself" is what ``experiments/fanpage.toml`` measures.

References
----------
Manson, M. (2014). Facebook Zero: considering life after the demise of organic reach.
Ogilvy & Social.Lab white paper, March 2014.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.broadcast import apply_exposures
from simulation.core.state import ConsumerState, stochastic_round


class PageWeek(NamedTuple):
    """One page's week: follower-post views in all, how many of them were paid for, how many
    were free (organic), and the page's followers, online or not, when it posted (the fans an
    unpaid post could reach: the denominator of ``organic_reach_rate``, docs/ODD.md 4.11)."""

    views: int
    paid: int
    free: int = 0
    followers: int = 0


def fanpage(state: ConsumerState, params: Params, budget: float, claim: float,
            rng: np.random.Generator, brand: int = 0, has_page: bool = True) -> PageWeek:
    """Brand ``brand``'s page gains followers, then shows page posts to the online ones.

    Following: an online, aware non-follower with attitude >= ``follow_threshold`` follows
    with probability ``follow_prob``. Reach: the page publishes ``fanpage_posts`` posts a
    week; each reaches each online follower for free with probability ``organic_reach``
    (a binomial per follower). The budget buys paid views, 1 impression unit per
    follower-post, of the posts a follower did not see organically: when the supply
    (stochastic_round(budget)) cannot pay for all of them, exactly ``supply`` of them are
    shown, chosen uniformly at random among them (a multivariate hypergeometric draw).
    Page posts persuade like ads scaled by ``fanpage_effect``; followers
    chose the page, so they cause no irritation and no reactance.

    A brand without a page (``has_page`` false) does nothing. With neither organic reach
    (``organic_reach = 0``) nor budget the page is dormant: nobody follows it and nothing is
    drawn, as in version 1.

    Returns the views, the paid views (what the page's budget was used for), the free views
    and the number of followers (counted, not drawn: no random number).
    """
    organic = params.organic_reach
    if not has_page or (budget <= 0 and organic <= 0):
        return PageWeek(0, 0)
    b = brand
    follower = state.follower[:, b]  # a view: following writes through
    candidates = state.online & state.aware[:, b] & ~follower & (state.attitude[:, b] >= params.follow_threshold)
    follower |= candidates & (rng.random(state.n) < params.follow_prob)
    fans = int(np.count_nonzero(follower))
    idx = np.flatnonzero(follower & state.online)
    posts = params.fanpage_posts
    if len(idx) * posts == 0:
        return PageWeek(0, 0, 0, fans)
    # organic_reach = 0 draws nothing: version 1's page, where every view was paid for
    free = rng.binomial(posts, organic, size=len(idx)) if organic > 0 else np.zeros(len(idx), dtype=np.int64)
    unseen = posts - free
    demand = int(unseen.sum())
    paid = np.zeros(len(idx), dtype=np.int64)
    if budget > 0 and demand > 0:
        supply = stochastic_round(budget, rng)
        # exactly `supply` of the unseen views, uniformly at random: a binomial per follower would
        # pay for more views than the budget buys in some weeks
        paid = unseen if supply >= demand else rng.multivariate_hypergeometric(unseen, supply)
    k = free + paid
    seen = k > 0
    apply_exposures(state, idx[seen], k[seen], claim, params, strength=params.fanpage_effect,
                    reactance=False, brand=b)
    return PageWeek(int(k.sum()), int(paid.sum()), int(free.sum()), fans)
