"""Category purchase and brand choice: a weekly need, then a multinomial logit over the
brands the consumer knows and an outside option.

References
----------
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
Zarembka (ed.), Frontiers in Econometrics, 105-142.
Guadagni, P. M., & Little, J. D. C. (1983). A logit model of brand choice calibrated on
scanner data. Marketing Science 2(3), 203-238 (brand loyalty as a utility term).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.consult import consult_record, consults
from simulation.core.processes.goldenberg import goldenberg_choice
from simulation.core.processes.public_record import PublicRecord
from simulation.core.state import NO_BRAND, ConsumerState, kth_true, row_cumsum, row_max


def brand_utility(attitude: np.ndarray, loyalty: np.ndarray, trust: np.ndarray,
                  expectation: np.ndarray, params: Params) -> np.ndarray:
    """Utility of a brand: ``purchase_intercept + purchase_attitude * a + purchase_loyalty * L
    + purchase_quality * trust * e + purchase_trust * trust`` (element-wise).

    Trust enters twice: it weighs what the consumer expects of the brand's quality (an
    expectation formed from claims one does not believe counts less) and it is a reason to
    choose the brand in itself.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> p = Params(purchase_quality=0.0, purchase_trust=0.0)
    >>> float(brand_utility(np.array(0.5), np.array(0.0), np.array(1.0), np.array(0.0), p))
    1.0
    """
    return (params.purchase_intercept + params.purchase_attitude * attitude
            + params.purchase_loyalty * loyalty
            + params.purchase_quality * trust * expectation + params.purchase_trust * trust)


def choice_probabilities(utility: np.ndarray, aware: np.ndarray, params: Params) -> np.ndarray:
    """Probabilities of each brand and, in the last column, of the outside option, on an
    occasion: a multinomial logit over the brands the consumer is aware of (shape (m, B) in,
    (m, B + 1) out). Without the outside option and without any known brand, every entry is 0.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> pr = choice_probabilities(np.array([[0.0, 1.0]]), np.array([[True, False]]), Params())
    >>> pr.round(3).tolist()  # the unknown brand is not considered; outside utility 0
    [[0.5, 0.0, 0.5]]
    """
    weights = _choice_weights(utility, aware, params)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


def _choice_weights(utility: np.ndarray, aware: np.ndarray, params: Params) -> np.ndarray:
    """exp(utility - row maximum) for known brands and the outside option, 0 otherwise."""
    m, n_brands = utility.shape
    u = np.empty((m, n_brands + 1))
    np.copyto(u[:, :n_brands], np.where(aware, utility, -np.inf))
    u[:, n_brands] = params.outside_utility if params.outside_option else -np.inf
    top = row_max(u)  # column by column: the axis-1 reduction is slow for few brands
    top = np.where(np.isfinite(top), top, 0.0)
    return np.exp(u - top[:, None])


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
    >>> bass_hazard(np.array([True, False, False]), adj, Params(bass_p=0.1, bass_q=0.4, n_brands=1)).tolist()
    [0.0, 0.30000000000000004, 0.1]
    """
    deg = adj.degree
    share = np.divide(adj.neighbour_sum(adopted), deg, out=np.zeros(len(deg)), where=deg > 0)
    return np.where(adopted, 0.0, np.minimum(params.bass_p + params.bass_q * share, 1.0))


class Purchases(NamedTuple):
    """Purchase counts of one week (focal = brand 0)."""

    focal: int        # purchases of the focal brand
    category: int     # purchases of any brand
    repeat: int       # focal purchases by consumers whose previous purchase was focal
    was_focal: int    # buyers whose previous purchase was focal
    defected: int     # ... of whom chose another brand now
    occasions: int = 0  # category purchase occasions
    consulted: int = 0  # ... on which the consumer consulted the public record


def purchase(state: ConsumerState, params: Params, rng: np.random.Generator, adj=None,
             step: int = 1, record: PublicRecord | None = None,
             adoption_rng: np.random.Generator | None = None) -> Purchases:
    """Draw this week's category purchases and brand choices into ``state.bought`` and
    ``state.choice``; keep the purchase history; return the counts.

    One uniform u per consumer decides both: an occasion if u < ``purchase_freq``, and then
    v = u / purchase_freq (uniform on [0, 1) given the occasion) picks the brand by
    inverse CDF over :func:`choice_probabilities` in brand order, the outside option last.
    With one brand and the outside option at utility 0 this is exactly version 1's
    ``u < purchase_freq * sigmoid(utility)``.

    With a ``record``, consumers on an occasion may first consult it
    (:mod:`simulation.core.processes.consult`, one more uniform per online consumer on an
    occasion, drawn after ``u``): they read its most visible posts before their utility is
    computed, and the brands' public ratings enter it with weight ``purchase_rating``.

    ``purchase_model = "bass"`` (one brand): only first purchases, by :func:`bass_hazard`
    on the adjacency ``adj`` (awareness not needed).

    ``purchase_model = "goldenberg"``: only first purchases, of at most one brand, by
    :func:`simulation.core.processes.goldenberg.goldenberg_choice` (strong ties on ``adj``,
    weak contacts, advertising; no ``u``), drawn from ``adoption_rng`` (the model's own
    stream for it; ``rng`` if None).

    The buyer is aware of the brand bought and reminded of it; ``last_brand`` becomes it;
    the rolling window (``history``, ``recent``) of the last ``scr_window`` weeks moves on.
    """
    occ, n_consulted = np.empty(0, dtype=np.int64), 0  # the adoption modes have no occasions
    if params.purchase_model == "goldenberg":
        choice = goldenberg_choice(state, params, rng if adoption_rng is None else adoption_rng, adj, step)
    else:
        choice, occ, n_consulted = _choose(state, params, rng, adj, step, record)
    state.choice[:] = choice
    buyers = np.flatnonzero(choice >= 0)
    state.bought[:] = choice >= 0
    brand = choice[buyers].astype(np.int64)
    key = buyers * state.n_brands + brand  # (buyer, brand) in the flat (N, B) arrays: faster than [buyers, brand]
    state.aware.reshape(-1)[key] = True  # whoever bought knows the brand (matters in the Bass mode)
    state.reinforced.reshape(-1)[key] = True

    previous = state.last_brand[buyers]
    focal = brand == 0
    counts = Purchases(focal=int(focal.sum()), category=len(buyers),
                       repeat=int((focal & (previous == 0)).sum()),
                       was_focal=int((previous == 0).sum()),
                       defected=int(((previous == 0) & ~focal).sum()),
                       occasions=len(occ), consulted=n_consulted)
    state.last_brand[buyers] = brand

    # Rolling window: the slot of the week scr_window weeks ago is replaced by this week's.
    slot = (step - 1) % state.history.shape[0]
    old = state.history[slot]
    leaving = np.flatnonzero(old >= 0)
    recent = state.recent.reshape(-1)
    recent[leaving * state.n_brands + old[leaving]] -= 1  # one entry per consumer
    state.history[slot] = choice
    recent[key] += 1
    return counts


def _choose(state: ConsumerState, params: Params, rng: np.random.Generator, adj, step: int,
            record: PublicRecord | None) -> tuple[np.ndarray, np.ndarray, int]:
    """The Bass and attitude choices of :func:`purchase`: (choice, occasions, consulted)."""
    n, n_brands = state.n, state.n_brands
    u = rng.random(n)
    occ, n_consulted = np.empty(0, dtype=np.int64), 0  # the Bass mode has no occasions
    choice = np.full(n, NO_BRAND, dtype=np.int16)
    if params.purchase_model == "bass":
        choice[u < bass_hazard(state.purchases[:, 0] >= 1, adj, params)] = 0
    elif params.purchase_freq > 0:
        occ = np.flatnonzero(u < params.purchase_freq)
        consulting = consults(state, params, occ, rng) if record is not None else np.zeros(len(occ), bool)
        n_consulted = int(consulting.sum())
        if n_consulted:  # reading comes first: what they read can change this choice
            bonus = consult_record(state, record, params, occ[consulting], step)
        rows = [np.take(x, occ, axis=0) for x in (state.attitude, state.loyalty, state.trust, state.expectation,
                                                   state.aware)]  # np.take: faster than x[occ]
        utility = brand_utility(*rows[:4], params)
        if n_consulted:
            utility[consulting] += bonus
        cumulative = row_cumsum(_choice_weights(utility, rows[4], params))
        total = cumulative[:, -1]
        # u / purchase_freq < 1, but the product may round up to the total: then the last
        # option with a weight is meant, not the first one (argmax of an all-False row).
        target = np.minimum((u[occ] / params.purchase_freq) * total, total * (1.0 - 2.0 ** -52))
        pick = kth_true(cumulative > target[:, None])  # the first option past the target
        picked = (total > 0) & (pick < n_brands)
        choice[occ[picked]] = pick[picked]
    return choice, occ, n_consulted
