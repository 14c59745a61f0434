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
from simulation.core.state import IMMIGRANT, ConsumerState, stochastic_round


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
    b = brand
    r = state.irritation[idx, b]
    trust = state.trust[idx, b]
    if reactance:
        limit = params.reactance_threshold if threshold is None else threshold
        weight, reactant = exposure_response(k, r, params.wearout, limit)
    else:
        weight, reactant = k.astype(np.float64), np.zeros(len(idx))
    pull_a = 1.0 - (1.0 - np.minimum(params.ad_effect * strength * trust, 1.0)) ** weight
    pull_e = 1.0 - (1.0 - np.minimum(params.ad_expectation_effect * strength * trust, 1.0)) ** weight
    a = state.attitude[idx, b]
    a = a + pull_a * (claim - a) - params.reactance_attitude * reactant
    state.attitude[idx, b] = np.clip(a, -1.0, 1.0)
    e = state.expectation[idx, b]
    state.expectation[idx, b] = e + pull_e * (claim - e)
    state.trust[idx, b] = trust * (1.0 - params.reactance_trust) ** reactant
    if reactance:
        state.irritation[idx, b] = r + k
    state.aware[idx, b] = True
    state.reinforced[idx, b] = True


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
    immigrants = np.flatnonzero(state.segment == IMMIGRANT)
    natives = np.flatnonzero(state.segment != IMMIGRANT)
    w_imm = params.media_exposure_immigrant * len(immigrants)
    total = w_imm + len(natives)
    if n_impressions == 0 or total <= 0:
        return 0
    to_imm = int(rng.binomial(n_impressions, w_imm / total))
    hits = np.concatenate([immigrants[rng.integers(0, max(len(immigrants), 1), to_imm)],
                           natives[rng.integers(0, max(len(natives), 1), n_impressions - to_imm)]])
    counts = np.bincount(hits, minlength=state.n)
    idx = np.flatnonzero(counts)
    k = counts[idx]
    if params.ad_attention < 1.0:
        k = rng.binomial(k, params.ad_attention)
        idx, k = idx[k > 0], k[k > 0]
    apply_exposures(state, idx, k, claim, params, brand=brand, threshold=threshold)
    return n_impressions
