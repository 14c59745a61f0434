"""Broadcast (sender -> receiver): paid impressions with wear-out and reactance.

References
----------
Cacioppo, J. T., & Petty, R. E. (1979). Effects of message repetition and position on
cognitive response, recall, and persuasion. JPSP 37(1), 97-109.
Friestad, M., & Wright, P. (1994). The persuasion knowledge model. JCR 21(1), 1-31.
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState, stochastic_round


def exposure_response(k: np.ndarray, irritation: np.ndarray, wearout: float,
                      threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Persuasive weight and reactant count of ``k`` exposures in one week.

    The j-th exposure of the week (j = 0, 1, ...) meets irritation ``r + j``. It is
    persuasive with weight ``exp(-(r + j) / wearout)`` while ``r + j <= threshold`` and
    reactant beyond.

    Returns
    -------
    weight : ndarray
        Sum of the persuasive weights (in "fresh exposure" equivalents).
    reactant : ndarray
        Number of reactant exposures.

    Examples
    --------
    >>> w, r = exposure_response(np.array([0, 1, 8]), np.zeros(3), wearout=1e9, threshold=5)
    >>> w.round(6).tolist(), r.tolist()
    ([0.0, 1.0, 6.0], [0.0, 0.0, 2.0])
    """
    k = np.asarray(k, dtype=np.float64)
    gap = threshold - irritation
    first_reactant = np.where(gap < 0, 0.0, np.floor(gap) + 1.0)
    persuasive = np.minimum(k, first_reactant)
    q = np.exp(-1.0 / wearout)
    weight = np.exp(-irritation / wearout) * (1.0 - q ** persuasive) / (1.0 - q)
    return weight, k - persuasive


def apply_exposures(state: ConsumerState, idx: np.ndarray, k: np.ndarray, claim: float,
                    params: Params, strength: float = 1.0, reactance: bool = True,
                    brand: int = 0, threshold: float | None = None) -> None:
    """Apply ``k[i]`` noticed exposures of brand ``brand``'s message claiming ``claim`` to
    consumers ``idx``.

    Attitude and expectation about the brand move toward the claim by
    ``1 - (1 - effect * trust)^W`` (W = persuasive weight, trust = trust in this brand), so
    repeated exposures compound but never overshoot. The consumer is aware of the brand
    and reminded of it this week. ``threshold``: the reactance threshold (default
    ``reactance_threshold``; lower during a scandal, docs/ODD.md 7.12).
    """
    # One brand's columns as views: indexing a column is about twice as fast as x[idx, b].
    irritation, trust_b = state.irritation[:, brand], state.trust[:, brand]
    attitude, expectation = state.attitude[:, brand], state.expectation[:, brand]
    r = irritation[idx]
    trust = trust_b[idx]
    if reactance:
        limit = params.reactance_threshold if threshold is None else threshold
        weight, reactant = exposure_response(k, r, params.wearout, limit)
    else:
        weight, reactant = k.astype(np.float64), np.zeros(len(idx))
    pull_a = 1.0 - (1.0 - np.minimum(params.ad_effect * strength * trust, 1.0)) ** weight
    pull_e = 1.0 - (1.0 - np.minimum(params.ad_expectation_effect * strength * trust, 1.0)) ** weight
    a = attitude[idx]
    a = a + pull_a * (claim - a) - params.reactance_attitude * reactant
    attitude[idx] = np.clip(a, -1.0, 1.0)
    e = expectation[idx]
    expectation[idx] = e + pull_e * (claim - e)
    reacted = np.flatnonzero(reactant)  # trust * (1 - h)^0 is trust itself: the power only where it acts
    trust_b[idx[reacted]] = trust[reacted] * (1.0 - params.reactance_trust) ** reactant[reacted]
    if reactance:
        irritation[idx] = r + k
    state.aware[:, brand][idx] = True
    state.reinforced[:, brand][idx] = True


def hit_counts(hits: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The consumers hit (ascending) and how often: ``np.unique(hits, return_counts=True)``.

    Few hits against ``n``: a sort; many: a full-length ``bincount`` (a boolean mask finds
    its nonzero entries several times faster than the counts themselves).

    Examples
    --------
    >>> [a.tolist() for a in hit_counts(np.array([4, 1, 4, 4]), 6)]
    [[1, 4], [1, 3]]
    """
    if 4 * len(hits) < n:
        return np.unique(hits, return_counts=True)
    counts = np.bincount(hits, minlength=n)
    idx = np.flatnonzero(counts > 0)
    return idx, counts[idx]


def broadcast(state: ConsumerState, params: Params, budget: float, claim: float,
              rng: np.random.Generator, brand: int = 0, threshold: float | None = None) -> int:
    """Brand ``brand`` spends ``budget`` on impressions spread at random over the population.

    One impression costs 1 (the money unit), so the week buys ``budget`` impressions
    (stochastically rounded). Each lands on consumer i with probability proportional to
    their media exposure (1 for natives, ``media_exposure_immigrant`` for immigrants),
    independently of the graph: a multinomial draw. Since the weights take two values, it
    is drawn as a binomial split between the segments and uniform draws within each
    (the same distribution, in O(impressions) instead of O(N) per category).

    Each of a consumer's k impressions is noticed with probability ``ad_attention``
    (a binomial per consumer; no draw at ``ad_attention = 1``); only noticed ones act
    (:func:`apply_exposures`): an unnoticed ad neither persuades nor irritates nor makes
    aware.

    ``threshold``: the brand's reactance threshold this week (default ``reactance_threshold``).
    Returns the number of impressions delivered (noticed or not: what was paid for).
    """
    if budget <= 0:
        return 0
    n_impressions = stochastic_round(budget, rng)
    natives, immigrants = state.segment_members()
    w_imm = params.media_exposure_immigrant * len(immigrants)
    total = w_imm + len(natives)
    if n_impressions == 0 or total <= 0:
        return 0
    to_imm = int(rng.binomial(n_impressions, w_imm / total))
    hits = np.concatenate([immigrants[rng.integers(0, max(len(immigrants), 1), to_imm)],
                           natives[rng.integers(0, max(len(natives), 1), n_impressions - to_imm)]])
    idx, k = hit_counts(hits, state.n)
    if params.ad_attention < 1.0:
        k = rng.binomial(k, params.ad_attention)
        noticed = k > 0
        idx, k = idx[noticed], k[noticed]
    apply_exposures(state, idx, k, claim, params, brand=brand, threshold=threshold)
    return n_impressions
