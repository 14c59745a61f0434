"""Forgetting: without new input, impressions fade back toward their baselines."""

from __future__ import annotations

from ..params import Params
from ..state import ConsumerState


def forget(state: ConsumerState, params: Params) -> None:
    """Attitude decays toward 0, trust toward ``initial_trust``, loyalty toward 0, ad
    irritation fades; followers whose attitude turned negative unfollow."""
    state.attitude *= 1.0 - params.attitude_decay
    state.trust += params.trust_decay * (params.initial_trust - state.trust)
    state.loyalty *= 1.0 - params.loyalty_decay
    state.irritation *= 1.0 - params.irritation_decay
    state.follower &= state.attitude >= 0.0
