"""Purchase: aware consumers buy with a logistic probability in attitude and loyalty."""

from __future__ import annotations

import numpy as np

from ..params import Params
from ..state import ConsumerState


def purchase_probability(attitude: np.ndarray, loyalty: np.ndarray, aware: np.ndarray,
                         params: Params) -> np.ndarray:
    """Weekly purchase probability.

    ``p = purchase_freq * sigmoid(purchase_intercept + purchase_attitude * a +
    purchase_loyalty * L)`` for aware consumers, 0 for the unaware: the logistic curve is
    capped by the category's purchase frequency.

    Examples
    --------
    >>> from simulation.params import Params
    >>> p = purchase_probability(np.array([0.0]), np.array([0.0]), np.array([True]), Params())
    >>> round(float(p[0]), 4)  # 0.25 * sigmoid(-1)
    0.0672
    """
    logit = params.purchase_intercept + params.purchase_attitude * attitude + params.purchase_loyalty * loyalty
    return np.where(aware, params.purchase_freq / (1.0 + np.exp(-logit)), 0.0)


def purchase(state: ConsumerState, params: Params, rng: np.random.Generator) -> int:
    """Draw this week's buyers into ``state.bought``; return their number."""
    p = purchase_probability(state.attitude, state.loyalty, state.aware, params)
    state.bought[:] = rng.random(state.n) < p
    return int(state.bought.sum())
