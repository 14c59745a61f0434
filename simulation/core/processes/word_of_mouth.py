"""Word of mouth, private and networked: talkers reach neighbours over ties.

References
----------
Anderson, E. W. (1998). Customer satisfaction and word of mouth. J. Service Research 1(1).
East, R., Hammond, K., & Wright, M. (2007). The relative incidence of positive and
negative word of mouth. IJRM 24(2), 175-184.
Goldenberg, J., Libai, B., & Muller, E. (2001). Talk of the network. Marketing Letters 12(3).
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.influence import social_influence
from simulation.core.state import ConsumerState, kth_true, row_count, row_max


def talk_probability(impression: np.ndarray, bought: np.ndarray, params: Params) -> np.ndarray:
    """U-shaped talk probability in the impression m (Anderson 1998).

    ``p = talk_base + talk_positive * max(m, 0)^2 + talk_negative * max(-m, 0)^2``, times
    ``talk_nonbuyer`` for consumers who did not buy this week (an impression from ads or
    hearsay is less salient than an experience), capped at 1.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> talk_probability(np.array([-1.0, 0.0, 1.0]), np.array([True] * 3), Params()).round(2).tolist()
    [0.91, 0.01, 0.31]
    """
    m = impression
    p = (params.talk_base + params.talk_positive * np.maximum(m, 0.0) ** 2
         + params.talk_negative * np.maximum(-m, 0.0) ** 2)
    return np.minimum(np.where(bought, p, p * params.talk_nonbuyer), 1.0)


def talk_topic(state: ConsumerState, rng: np.random.Generator | None = None) -> np.ndarray:
    """The brand each consumer would talk about: the one bought this week, else the known
    brand with the strongest attitude (largest |a|); -1 for a consumer who knows no brand.

    Ties are broken uniformly at random with one uniform per consumer (``rng``; drawn only
    when there are several brands): known brands often share an attitude (every known brand
    starts at its quality, untouched attitudes decay alike), and a fixed order would make
    the focal brand, first in it, the topic of every tie. Without ``rng`` the lowest index wins.
    """
    # -1 for an unknown brand, |a| (>= 0) for a known one: the row maximum is that of the known
    # brands, and ``tied`` keeps known brands only (in place: cheaper than np.where).
    strength = np.abs(state.attitude)
    np.copyto(strength, -1.0, where=~state.aware)
    # Column-wise helpers (state.py): the axis-1 reductions of numpy are slow for few brands.
    tied = state.aware & (strength == row_max(strength)[:, None])
    pick = None
    if rng is not None and state.n_brands > 1:
        pick = np.floor(rng.random(state.n) * row_count(tied)).astype(np.int16)  # the k-th of the tied brands
    topic = kth_true(tied, pick)  # -1 for a consumer aware of no brand (no tied brand)
    return np.where(state.bought, state.choice, topic).astype(np.int16)


def choose_talkers(state: ConsumerState, params: Params, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Decide who talks this week, and about which brand (``state.topic``, :func:`talk_topic`;
    its tie-break draws first, then the talk draw).

    The impression is this week's satisfaction for buyers, the attitude about the topic
    otherwise. Only consumers who know a brand talk. Sets ``state.talked`` and
    ``state.topic``; returns (impression, reported): what each consumer would convey and the
    quality they would report (their expectation about the topic, this snapshot).
    """
    topic = talk_topic(state, rng)
    state.topic[:] = topic
    about = state.keys(np.maximum(topic, 0))
    impression = np.where(state.bought, state.satisfaction, state.attitude.reshape(-1).take(about))
    reported = state.expectation.reshape(-1).take(about)
    p = talk_probability(impression, state.bought, params)
    state.talked[:] = (topic >= 0) & (rng.random(state.n) < p)
    return impression, reported


def word_of_mouth(state: ConsumerState, adj, params: Params, impression: np.ndarray,
                  reported: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """Talkers reach each neighbour with probability ``wom_reach * w`` (w = tie strength).

    Each delivered message is about the talker's topic and carries their impression (valence) and ``reported``
    quality (the talker's expectation at the start of the word-of-mouth process) and weighs w in the listener's update
    (:func:`~simulation.core.processes.influence.social_influence`).

    Returns
    -------
    (positive, negative) : numbers of delivered messages with valence > 0 and < 0.
    """
    src, dst, w = adj.edges_from(np.flatnonzero(state.talked))
    if len(src) == 0:
        return 0, 0
    delivered = rng.random(len(src)) < params.wom_reach * w
    src, dst, w = src[delivered], dst[delivered], w[delivered]
    valence = impression[src]
    key = dst * state.n_brands + state.topic[src]
    social_influence(state, key, w, valence, reported[src], params)
    return int((valence > 0).sum()), int((valence < 0).sum())
