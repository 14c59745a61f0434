"""Experience and satisfaction: expectation-disconfirmation.

References
----------
Oliver, R. L. (1980). A cognitive model of the antecedents and consequences of
satisfaction decisions. Journal of Marketing Research 17(4), 460-469.
Anderson, E. W., & Sullivan, M. W. (1993). The antecedents and consequences of customer
satisfaction for firms. Marketing Science 12(2), 125-143.
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState


def satisfaction(experience: np.ndarray, expectation: np.ndarray, params: Params) -> np.ndarray:
    """``s = clip(x + w * (x - e), -1, 1)``: performance plus disconfirmation.

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> satisfaction(np.array([0.2, 0.2]), np.array([0.2, 0.8]), Params()).round(6).tolist()
    [0.2, -0.1]
    """
    return np.clip(experience + params.disconfirmation_weight * (experience - expectation), -1.0, 1.0)


def experience(state: ConsumerState, params: Params, quality: np.ndarray,
               rng: np.random.Generator) -> None:
    """Buyers experience the brand they chose, ``x = clip(Q_b + noise, -1, 1)``, and update
    their state about that brand (``quality``: Q per brand).

    Attitude moves toward satisfaction, expectation toward the experience; loyalty rises
    with satisfaction (``+ loyalty_gain * s * (1 - L)``) and falls faster with
    dissatisfaction (``+ loyalty_loss * s * L`` for s < 0); a negative disconfirmation
    beyond ``disappointment_threshold`` (the claim over-promised) costs trust.
    """
    state.experience[:] = np.nan
    state.satisfaction[:] = np.nan
    idx = np.flatnonzero(state.bought)
    if len(idx) == 0:
        return
    b = state.choice[idx].astype(np.int64)
    key = idx * state.n_brands + b  # (buyer, brand bought) in the flat (N, B) arrays: faster than [idx, b]
    expectation, attitude = state.expectation.reshape(-1), state.attitude.reshape(-1)
    loyalty, trust = state.loyalty.reshape(-1), state.trust.reshape(-1)
    q = np.asarray(quality, dtype=np.float64)[b]
    x = np.clip(q + params.quality_noise * rng.standard_normal(len(idx)), -1.0, 1.0)
    e = expectation[key]
    s = satisfaction(x, e, params)
    a = attitude[key]
    attitude[key] = a + params.experience_attitude * (s - a)
    expectation[key] = e + params.experience_expectation * (x - e)
    held = loyalty[key]
    loyalty[key] = np.where(s >= 0, held + params.loyalty_gain * s * (1.0 - held),
                            held + params.loyalty_loss * s * held)
    overshoot = np.maximum((e - x) - params.disappointment_threshold, 0.0)
    trust[key] = trust[key] * np.clip(1.0 - params.disappointment_trust * overshoot, 0.0, 1.0)
    state.purchases.reshape(-1)[key] += 1  # one purchase per buyer: no repeated key
    state.last_satisfaction.reshape(-1)[key] = s
    state.experience[idx] = x
    state.satisfaction[idx] = s
