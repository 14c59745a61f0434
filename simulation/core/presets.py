"""Documented parameter settings: ``python run.py simulate --preset NAME``.

Each preset switches processes off or pins them so that the model reduces to a model with
known results (docking, Rand & Rust 2011). ``--set`` values given with a preset override it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.core.params import closest
from simulation.errors import ParameterError

# Version 1 of the market: one brand alone (with the outside option at utility 0, the
# choice logit is v1's capped logistic), every impression noticed, nothing forgotten, trust
# not in the utility, one initial trust for both segments, v1's reactance threshold, nobody
# consulting the record before buying (no draw), no organic page reach, unused capacity
# paid. With these values the engine
# reproduces version 1's numbers exactly, draw for draw (tests/core/test_docking.py).
VERSION1 = {
    "n_brands": 1, "scenario": "launch", "outside_option": True, "outside_utility": 0.0,
    "purchase_quality": 0.0, "purchase_trust": 0.0, "ad_attention": 1.0, "awareness_decay": 0.0,
    "initial_trust_native": 0.5, "initial_trust_immigrant": 0.5, "reactance_threshold": 5.0,
    # version 1's public record: every post reaches alike, replies add no readers and do not
    # change later posting, every post read is noticed (docs/ODD.md, 7.7)
    "reach_tail": 0.0, "reach_degree": 0.0, "reply_boost": 0.0, "post_attention": 1.0,
    "reply_post_boost": 0.0, "reply_post_positivity": 0.0, "complaint_invite": 0.0,
    # version 1 never consulted the record before buying (docs/ODD.md, 7.3)
    "consult_native": 0.0, "consult_immigrant": 0.0,
    # every page view paid for, the whole budget paid whether used or not, v1's reply cost
    "organic_reach": 0.0, "pay_unused_capacity": True, "reply_cost": 200.0,
    # version 1's values of the parameters version 2 calibrates (docs/ODD.md, 4.12)
    "talk_negative": 0.5, "ad_effect": 0.05, "nps_intercept": 6.5,
}

# Everything that is not word of mouth between neighbours, switched off.
_QUIET = {
    **VERSION1,
    "strategy": "none",
    "post_reach": 0.0, "post_prob": 0.0,          # no public record
    "online_native": 0.0, "online_immigrant": 0.0,
}


@dataclass(frozen=True)
class Preset:
    """A named parameter setting that reduces the model to one with known results."""

    name: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("version1",
           "The one-brand market of womsim version 1: the focal brand alone with the outside "
           "option, every ad impression noticed, awareness never forgotten, trust only in "
           "persuasion, not in choice, every public post of the same reach and noticed, replies "
           "neither amplifying posts nor changing later posting, the record never consulted before "
           "buying. Reproduces version 1 exactly (the NPS survey aside).",
           dict(VERSION1)),
    Preset("bass",
           "Network Bass diffusion (Bass 1969): each non-adopter adopts with probability "
           "bass_p + bass_q * (share of neighbours who adopted); every other process off. "
           "The metric `adopters` is F(t); on `complete` it follows "
           "F(t+1) = F(t) + (p + q F(t)) (1 - F(t)).",
           {**_QUIET, "purchase_model": "bass", "initial_awareness": 0.0,
            "talk_base": 0.0, "talk_positive": 0.0, "talk_negative": 0.0, "steps": 30}),
    Preset("goldenberg",
           "Goldenberg, Libai & Muller (2001), Talk of the network: 3,000 consumers in cliques of "
           "clique_size (strong ties), weak_contacts random others outside one's clique redrawn every "
           "week (weak ties), one product; a non-adopter adopts with probability "
           "1 - (1 - goldenberg_alpha)(1 - goldenberg_beta_w)^j (1 - goldenberg_beta_s)^m, j and m "
           "the adopters among its weak contacts and its clique; every other process off. The metric "
           "`adopters` is the adopted share.",
           {**_QUIET, "purchase_model": "goldenberg", "network": "cliques", "n_consumers": 3000,
            "initial_awareness": 0.0, "talk_base": 0.0, "talk_positive": 0.0, "talk_negative": 0.0,
            "steps": 100}),
    Preset("degroot",
           "DeGroot (1974) averaging: every consumer tells every neighbour their attitude each "
           "week over ties of strength 1 and moves toward the mean by 1 - (1 - wom_influence)^k; "
           "no ads, purchases, public record or forgetting. Attitudes start spread "
           "(initial_attitude_sd) and converge to the consensus pi^T x(0).",
           {**_QUIET, "initial_awareness": 1.0, "initial_attitude_sd": 0.5,
            "talk_base": 1.0, "talk_nonbuyer": 1.0, "talk_positive": 0.0, "talk_negative": 0.0,
            "wom_reach": 1.0, "weak_tie_strength": 1.0, "confidence_bound": 2.0,
            "purchase_freq": 0.0, "attitude_decay": 0.0, "steps": 300}),
]}
PRESETS["friedkin_johnsen"] = Preset(
    "friedkin_johnsen",
    "Friedkin & Johnsen (1990): DeGroot with stubbornness: forgetting pulls each attitude back "
    "toward its initial value by attitude_decay = 1 - lambda, so "
    "x(t+1) = lambda W x(t) + (1 - lambda) x(0), with equilibrium "
    "(I - lambda W)^-1 (1 - lambda) x(0).",
    {**PRESETS["degroot"].values, "attitude_decay": 0.2})


def preset_values(name: str) -> dict[str, Any]:
    """Parameter values of a preset; unknown names get the closest valid one suggested."""
    try:
        return dict(PRESETS[name].values)
    except KeyError:
        hint = closest(name, PRESETS)
        suggestion = f" (did you mean '{hint}'?)" if hint else ""
        raise ParameterError(f"unknown preset '{name}'{suggestion}: allowed "
                             f"{' | '.join(PRESETS)}") from None
