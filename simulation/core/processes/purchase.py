"""Purchase: aware consumers buy with a logistic probability in attitude and loyalty."""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState


def purchase_probability(attitude: np.ndarray, loyalty: np.ndarray, aware: np.ndarray,
                         params: Params) -> np.ndarray:
    """Weekly purchase probability.

    ``p = purchase_freq * sigmoid(purchase_intercept + purchase_attitude * a +
    purchase_loyalty * L)`` for aware consumers, 0 for the unaware: the logistic curve is
    capped by the category's purchase frequency.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> p = purchase_probability(np.array([0.0]), np.array([0.0]), np.array([True]), Params())
    >>> round(float(p[0]), 4)  # 0.25 * sigmoid(-1)
    0.0672
    """
    logit = params.purchase_intercept + params.purchase_attitude * attitude + params.purchase_loyalty * loyalty
    return np.where(aware, params.purchase_freq / (1.0 + np.exp(-logit)), 0.0)


def bass_hazard(adopted: np.ndarray, adj, params: Params) -> np.ndarray:
    """Network Bass hazard of a first purchase: ``bass_p + bass_q * (adopted share of
    neighbours)``, capped at 1; 0 for those who adopted already. Isolated consumers have
    only ``bass_p``.

    References
    ----------
    Bass, F. M. (1969). A new product growth for model consumer durables. Management
    Science 15(5), 215-227. Goldenberg, Libai & Muller (2001) for the network form.

    Examples
    --------
    >>> import networkx as nx
    >>> from simulation.core.network import to_adjacency
    >>> from simulation.core.params import Params
    >>> adj = to_adjacency(nx.path_graph(3), 1.0)
    >>> bass_hazard(np.array([True, False, False]), adj, Params(bass_p=0.1, bass_q=0.4)).tolist()
    [0.0, 0.30000000000000004, 0.1]
    """
    deg = adj.degree
    share = np.divide(adj.neighbour_sum(adopted), deg, out=np.zeros(len(deg)), where=deg > 0)
    return np.where(adopted, 0.0, np.minimum(params.bass_p + params.bass_q * share, 1.0))


def purchase(state: ConsumerState, params: Params, rng: np.random.Generator, adj=None) -> int:
    """Draw this week's buyers into ``state.bought``; return their number.

    ``purchase_model = "attitude"``: :func:`purchase_probability`. ``"bass"``: only first
    purchases, by :func:`bass_hazard` on the adjacency ``adj`` (awareness not needed).
    """
    if params.purchase_model == "bass":
        p = bass_hazard(state.purchases >= 1, adj, params)
    else:
        p = purchase_probability(state.attitude, state.loyalty, state.aware, params)
    state.bought[:] = rng.random(state.n) < p
    state.aware |= state.bought  # whoever bought knows the brand (matters in the Bass mode)
    return int(state.bought.sum())
