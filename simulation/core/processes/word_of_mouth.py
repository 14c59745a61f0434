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
from simulation.core.state import ConsumerState


def talk_probability(impression: np.ndarray, bought: np.ndarray, params: Params) -> np.ndarray:
    """U-shaped talk probability in the impression m (Anderson 1998).

    ``p = talk_base + talk_positive * max(m, 0)^2 + talk_negative * max(-m, 0)^2``, times
    ``talk_nonbuyer`` for consumers who did not buy this week (an impression from ads or
    hearsay is less salient than an experience), capped at 1.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> talk_probability(np.array([-1.0, 0.0, 1.0]), np.array([True] * 3), Params()).round(2).tolist()
    [0.51, 0.01, 0.31]
    """
    m = impression
    p = (params.talk_base + params.talk_positive * np.maximum(m, 0.0) ** 2
         + params.talk_negative * np.maximum(-m, 0.0) ** 2)
    return np.minimum(np.where(bought, p, p * params.talk_nonbuyer), 1.0)


def choose_talkers(state: ConsumerState, params: Params, rng: np.random.Generator) -> np.ndarray:
    """Decide who talks this week; returns the impression each consumer would convey.

    The impression is this week's satisfaction for buyers, the attitude otherwise. Only
    aware consumers talk. Sets ``state.talked``.
    """
    impression = np.where(state.bought, state.satisfaction, state.attitude)
    p = talk_probability(impression, state.bought, params)
    state.talked[:] = state.aware & (rng.random(state.n) < p)
    return impression


def word_of_mouth(state: ConsumerState, adj, params: Params, impression: np.ndarray,
                  reported: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """Talkers reach each neighbour with probability ``wom_reach * w`` (w = tie strength).

    Each delivered message carries the talker's impression (valence) and ``reported``
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
    social_influence(state, dst, w, valence, reported[src], params)
    return int((valence > 0).sum()), int((valence < 0).sum())
