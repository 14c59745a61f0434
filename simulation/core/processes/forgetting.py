"""Forgetting: without new input, impressions fade back toward their baselines and brands
that nothing recalls are forgotten."""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState


def forget(state: ConsumerState, params: Params, rng: np.random.Generator) -> None:
    """For every brand: attitude decays toward its baseline (``attitude0``: 0 unless initial
    attitudes are spread), trust toward the segment's initial trust, loyalty toward 0, ad
    irritation fades.

    Awareness: a consumer aware of a brand that nothing recalled this week (no noticed ad or
    page post, no WOM or post heard about it, no purchase of it: ``state.reinforced``)
    forgets it with probability ``awareness_decay`` (one uniform per consumer and brand; no
    draw at 0). Followers unfollow a page whose brand they dislike (attitude < 0) or forgot.

    With a spread baseline, ``attitude_decay`` is the stubbornness 1 - lambda of
    Friedkin & Johnsen (1990): x(t+1) = lambda W x(t) + (1 - lambda) x(0).
    """
    # In place, through one scratch array (x += d * (target - x), the same operations in the
    # same order as the plain expression, without its (N, B) temporaries).
    gap = np.subtract(state.attitude0, state.attitude)
    gap *= params.attitude_decay
    state.attitude += gap
    np.subtract(state.trust0[:, None], state.trust, out=gap)
    gap *= params.trust_decay
    state.trust += gap
    state.loyalty *= 1.0 - params.loyalty_decay
    state.irritation *= 1.0 - params.irritation_decay
    if params.awareness_decay > 0:
        kept = rng.random(state.aware.shape) >= params.awareness_decay  # no lapse
        kept |= state.reinforced
        state.aware &= kept
    state.follower &= state.aware
    state.follower &= state.attitude >= 0.0
