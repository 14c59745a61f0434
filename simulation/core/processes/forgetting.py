"""Forgetting: without new input, impressions fade back toward their baselines."""

from __future__ import annotations

from simulation.core.params import Params
from simulation.core.state import ConsumerState


def forget(state: ConsumerState, params: Params) -> None:
    """Attitude decays toward its baseline (``attitude0``: 0 unless initial attitudes are
    spread), trust toward ``initial_trust``, loyalty toward 0, ad irritation fades;
    followers whose attitude turned negative unfollow.

    With a spread baseline, ``attitude_decay`` is the stubbornness 1 - lambda of
    Friedkin & Johnsen (1990): x(t+1) = lambda W x(t) + (1 - lambda) x(0).
    """
    state.attitude += params.attitude_decay * (state.attitude0 - state.attitude)
    state.trust += params.trust_decay * (params.initial_trust - state.trust)
    state.loyalty *= 1.0 - params.loyalty_decay
    state.irritation *= 1.0 - params.irritation_decay
    state.follower &= state.attitude >= 0.0
