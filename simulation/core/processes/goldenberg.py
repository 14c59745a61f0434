"""Adoption through strong ties, weak ties and advertising (``purchase_model = "goldenberg"``):
the stochastic cellular automaton of Goldenberg, Libai & Muller (2001), with several brands
competing for one adoption per consumer as in Libai, Muller & Peres (2013); docs/ODD.md, 7.3.

Each week every consumer meets ``weak_contacts`` consumers drawn anew (weak ties); its graph
neighbours are its strong ties (its clique on ``network = "cliques"``). A consumer who has
adopted no brand yet adopts brand b with probability

    h_b = 1 - (1 - goldenberg_alpha) (1 - goldenberg_beta_w)^j_b (1 - goldenberg_beta_s)^m_b,

j_b the adopters of b among this week's weak contacts, m_b among its neighbours, both as the
week began. Every brand "fires" independently (uniform u_b < h_b); if several fire, the one
with the smallest u_b / h_b is adopted, which, given that they fired, is each of them with
the same probability. Every consumer draws its contacts and its uniforms, adopters too, so
that the random numbers of a week do not depend on the state: two runs that differ in one
parameter (a seeding program, a rival's word of mouth) use the same numbers for the same
consumer and week (common random numbers).

References
----------
Goldenberg, J., Libai, B., & Muller, E. (2001). Talk of the network: A complex systems look at
the underlying process of word-of-mouth. Marketing Letters 12(3), 211-223.
Libai, B., Muller, E., & Peres, R. (2013). Decomposing the value of word-of-mouth seeding
programs: Acceleration versus expansion. Journal of Marketing Research 50(2), 161-176.
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import NO_BRAND, ConsumerState


def own_group(n: int, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """First index and size of the block a consumer's weak contacts are not drawn from: its
    clique on ``cliques`` (consecutive consumers), only itself on any other network.

    Examples
    --------
    >>> start, size = own_group(5, Params(network="cliques", clique_size=2))
    >>> start.tolist(), size.tolist()
    ([0, 0, 2, 2, 4], [2, 2, 2, 2, 1])
    """
    index = np.arange(n)
    if params.network != "cliques":
        return index, np.ones(n, dtype=np.int64)
    start = index - index % params.clique_size
    return start, np.minimum(params.clique_size, n - start)


def draw_weak_contacts(n: int, params: Params, rng: np.random.Generator) -> np.ndarray:
    """The weak contacts of this week, an (n, ``weak_contacts``) index array: contact r of a
    consumer is the floor(u (n - g))-th consumer outside its group of g (:func:`own_group`),
    in index order, u uniform on [0, 1); independent draws (with replacement). No draw
    without weak contacts, or when one clique holds everyone (nobody outside to meet).

    Examples
    --------
    >>> p = Params(network="cliques", clique_size=2, n_consumers=4, weak_contacts=3)
    >>> c = draw_weak_contacts(4, p, np.random.default_rng(0))
    >>> c.shape, bool((c // 2 != np.arange(4)[:, None] // 2).all())  # never in one's own clique
    ((4, 3), True)
    """
    w = params.weak_contacts
    start, size = own_group(n, params)
    if w == 0 or (size == n).all():
        return np.empty((n, 0), dtype=np.int64)
    r = np.floor(rng.random((n, w)) * (n - size)[:, None]).astype(np.int64)
    return r + np.where(r >= start[:, None], size[:, None], 0)


def adopted_brand(state: ConsumerState) -> np.ndarray:
    """The brand each consumer adopted (bought at least once), NO_BRAND if none."""
    owns = state.purchases >= 1
    return np.where(owns.any(axis=1), owns.argmax(axis=1), NO_BRAND)


def goldenberg_hazard(owned: np.ndarray, contacts: np.ndarray, adj, params: Params, n_brands: int) -> np.ndarray:
    """Probability h_b of adopting brand b this week (shape (n, n_brands)); 0 for adopters.

    Examples
    --------
    >>> import networkx as nx
    >>> from simulation.core.network import to_adjacency
    >>> adj = to_adjacency(nx.complete_graph(3), 1.0)
    >>> p = Params(goldenberg_alpha=0.1, goldenberg_beta_w=0.5, goldenberg_beta_s=0.2)
    >>> owned = np.array([0, -1, -1])  # consumer 0 adopted; 1 meets it as a weak contact too
    >>> goldenberg_hazard(owned, np.array([[1], [0], [1]]), adj, p, 1).round(3).ravel().tolist()
    [0.0, 0.64, 0.28]
    """
    n = len(owned)
    hazard = np.zeros((n, n_brands))
    for b in range(n_brands):
        adopters = owned == b
        j = adopters[contacts].sum(axis=1)
        m = adj.neighbour_sum(adopters)
        hazard[:, b] = 1.0 - ((1.0 - params.goldenberg_alpha) * (1.0 - params.goldenberg_beta_w) ** j
                              * (1.0 - params.goldenberg_beta_s) ** m)
    hazard[owned != NO_BRAND] = 0.0
    return hazard


def goldenberg_choice(state: ConsumerState, params: Params, rng: np.random.Generator, adj, step: int) -> np.ndarray:
    """The adoptions of this week (brand index, NO_BRAND for none), drawn in this order: the weak
    contacts (:func:`draw_weak_contacts`); in week 1 one permutation of the consumers, whose
    first round(``seed_share`` n) get the focal brand whatever their draw (the seeding
    program; the permutation is drawn at every ``seed_share``, 0 too); n x n_brands uniforms."""
    n, n_brands = state.n, state.n_brands
    contacts = draw_weak_contacts(n, params, rng)
    seeds = rng.permutation(n)[:round(params.seed_share * n)] if step == 1 else np.empty(0, dtype=np.int64)
    hazard = goldenberg_hazard(adopted_brand(state), contacts, adj, params, n_brands)
    u = rng.random((n, n_brands))
    fired = u < hazard
    ratio = np.where(fired, u / np.where(fired, hazard, 1.0), np.inf)
    choice = np.where(fired.any(axis=1), ratio.argmin(axis=1), NO_BRAND).astype(np.int16)
    choice[seeds] = 0
    return choice
