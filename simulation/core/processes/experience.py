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
    q = np.asarray(quality, dtype=np.float64)[b]
    x = np.clip(q + params.quality_noise * rng.standard_normal(len(idx)), -1.0, 1.0)
    e = state.expectation[idx, b]
    s = satisfaction(x, e, params)
    a = state.attitude[idx, b]
    state.attitude[idx, b] = a + params.experience_attitude * (s - a)
    state.expectation[idx, b] = e + params.experience_expectation * (x - e)
    loyalty = state.loyalty[idx, b]
    state.loyalty[idx, b] = np.where(s >= 0, loyalty + params.loyalty_gain * s * (1.0 - loyalty),
                                     loyalty + params.loyalty_loss * s * loyalty)
    overshoot = np.maximum((e - x) - params.disappointment_threshold, 0.0)
    state.trust[idx, b] = state.trust[idx, b] * np.clip(1.0 - params.disappointment_trust * overshoot, 0.0, 1.0)
    state.purchases[idx, b] += 1
    state.last_satisfaction[idx, b] = s
    state.experience[idx] = x
    state.satisfaction[idx] = s
