"""The one parameter object of womsim: every model parameter, validated in one place.

Each parameter has a default, an allowed range (or a set of choices), a unit, a one-line
meaning and a source (a paper, or "assumption"). ``docs/ODD.md`` and ``python run.py params``
are generated from / checked against :data:`PARAMETERS`, so this file is the single place
where a default lives. The engine, the per-agent reference, the experiment layer and the
tests all take a :class:`Params`.

Money is measured in *impression units*: 1.0 is the price of one ad impression
(about EUR 0.01 at a EUR 10 CPM). ``budget = 1`` therefore buys, if spent on broadcast,
one impression per consumer per week, whatever the population size.

Examples
--------
>>> p = Params(strategy="dialogue", budget=2)
>>> p.budget
2.0
>>> p.replace(quality=-0.2).quality
-0.2
>>> Params(budjet=1)
Traceback (most recent call last):
...
simulation.errors.ParameterError: unknown parameter 'budjet' (did you mean 'budget'?)
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simulation.core.events import make_events
from simulation.core.tomlfile import read_toml
from simulation.errors import ParameterError

ENGINES = ("vectorised", "reference")
PURCHASE_MODELS = ("attitude", "bass", "goldenberg")
STRATEGIES = ("none", "broadcast", "hype", "fanpage", "dialogue", "mixed")
SCENARIOS = ("launch", "established")
FLIGHTINGS = ("always", "on_off", "pulses")
RIVAL_STRATEGIES = tuple(s for s in STRATEGIES if s != "hype")  # rivals are honest
GENERATED_NETWORKS = (
    "barabasi_albert",
    "watts_strogatz",
    "erdos_renyi",
    "powerlaw_cluster",
    "stochastic_block",
    "complete",
    "empty",
    "cliques",
)
BUILTIN_NETWORKS = ("karate", "les_miserables")
NETWORKS = GENERATED_NETWORKS + BUILTIN_NETWORKS
FILE_PREFIX = "file:"
#: The key of the events (a tuple of :class:`~simulation.core.events.Event`) in a Params.
EVENTS = "events"


@dataclass(frozen=True)
class Spec:
    """Definition of one parameter: what it is, what it may be, where its default comes from."""

    name: str
    default: Any
    kind: type  # int, float, str or bool
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = ""
    meaning: str = ""
    source: str = "assumption"
    group: str = ""

    def allowed(self) -> str:
        """Human-readable allowed range, as used in error messages and the table."""
        if self.name == "network":
            return " | ".join(self.choices) + " | file:PATH"
        if self.choices:
            return " | ".join(self.choices)
        if self.kind is bool:
            return "true | false"
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{lo} .. {hi}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _p(name, default, kind, low=None, high=None, *, unit="", meaning, source="assumption",
       group, choices=None) -> Spec:
    return Spec(name, default, kind, low, high, choices, unit, meaning, source, group)


_SPECS: list[Spec] = [
    # --- population ---------------------------------------------------------------------
    _p("n_consumers", 2000, int, 2, 20_000_000, unit="consumers", group="population",
       meaning="number of consumers (ignored by karate, les_miserables and file: graphs, "
               "whose size is their own)"),
    _p("immigrant_share", 0.3, float, 0.0, 1.0, unit="share", group="population",
       meaning="share of digital immigrants (rarely online, more exposed to mass media)",
       source="assumption (segments after Prensky 2001)"),
    _p("initial_awareness", 0.02, float, 0.0, 1.0, unit="share", group="population",
       meaning="share of consumers aware of the focal brand at step 0 when it is new "
               "(scenario = launch)"),
    _p("initial_attitude_sd", 0.0, float, 0.0, 2.0, unit="-1..1", group="population",
       meaning="spread of initial attitudes: a(0) = clip(N(0, sd), -1, 1) per consumer and brand, "
               "also the baseline attitude decays back to (0 = everyone starts neutral)"),
    _p("initial_trust_native", 0.5, float, 0.0, 1.0, unit="0..1", group="population",
       meaning="a digital native's trust in brand messages at step 0, and the level it drifts back to"),
    _p("initial_trust_immigrant", 0.3, float, 0.0, 1.0, unit="0..1", group="population",
       meaning="a digital immigrant's trust in brand messages at step 0, and the level it drifts back to",
       source="assumption (older consumers are more sceptical of advertising; direction as in "
              "Obermiller & Spangenberg 1998, size not from a source)"),
    # --- market --------------------------------------------------------------------------
    _p("n_brands", 3, int, 1, 20, unit="brands", group="market",
       meaning="brands in the category: brand 0 is the focal brand whose strategy is compared, "
               "1..n_brands-1 are rivals"),
    _p("scenario", "launch", str, group="market", choices=SCENARIOS,
       meaning="launch: the focal brand is new (initial_awareness), the rivals are known; "
               "established: every brand is known at step 0"),
    _p("known_awareness", 0.75, float, 0.0, 1.0, unit="share", group="market",
       meaning="share of consumers aware of each known brand at step 0 (rivals at launch, "
               "every brand when established)",
       source="assumption (inside the 60-90 % awareness of established brands asked for by MODEL.md v2)"),
    _p("initial_loyalty", 0.5, float, 0.0, 1.0, unit="0..1", group="market",
       meaning="loyalty at step 0 of a consumer to their habitual brand, drawn uniformly among "
               "the known brands they are aware of"),
    _p("rival_strategy", "broadcast", str, group="market", choices=RIVAL_STRATEGIES,
       meaning="strategy of every rival brand (rivals are honest: no hype, replies state Q)"),
    _p("rival_budget", 1.0, float, 0.0, 1000.0, unit="impressions/consumer/week", group="market",
       meaning="weekly marketing spend per consumer of each rival"),
    _p("rival_quality", 0.3, float, -1.0, 1.0, unit="-1..1", group="market",
       meaning="mean true quality of the rivals"),
    _p("rival_quality_spread", 0.0, float, 0.0, 2.0, unit="-1..1", group="market",
       meaning="rival qualities spread evenly over rival_quality +- spread (clipped to -1..1); "
               "0 = every rival has rival_quality"),
    _p("outside_option", True, bool, group="market",
       meaning="on a category occasion the consumer may also buy nothing of these brands "
               "(the outside option, utility outside_utility)"),
    _p("outside_utility", 0.0, float, -50.0, 50.0, unit="logit", group="market",
       meaning="utility of the outside option in the choice logit"),
    # --- network -------------------------------------------------------------------------
    _p("network", "barabasi_albert", str, group="network", choices=NETWORKS,
       meaning="social graph: a generator, a networkx built-in graph, or file:PATH "
               "(edge list, .graphml, .gml)"),
    _p("mean_degree", 6.0, float, 1.0, 1000.0, unit="ties", group="network",
       meaning="mean number of ties per consumer in generated graphs (BA and Holme-Kim use "
               "m = round(mean_degree / 2))",
       source="assumption (close to the mean of 6 reported in Goldenberg, Libai & Muller 2001 simulations)"),
    _p("rewire_p", 0.1, float, 0.0, 1.0, unit="probability", group="network",
       meaning="rewiring probability of watts_strogatz", source="Watts & Strogatz 1998"),
    _p("triangle_p", 0.5, float, 0.0, 1.0, unit="probability", group="network",
       meaning="triad-formation probability of powerlaw_cluster", source="Holme & Kim 2002"),
    _p("homophily", 0.8, float, 0.0, 1.0, unit="share", group="network",
       meaning="expected share of ties inside one's own segment in stochastic_block",
       source="assumption (homophily by age, McPherson, Smith-Lovin & Cook 2001)"),
    _p("weak_tie_strength", 0.3, float, 0.01, 1.0, unit="0..1", group="network",
       meaning="strength of a tie with no shared neighbours; embedded ties rise to 1",
       source="Granovetter 1973; Onnela et al. 2007 (overlap)"),
    _p("clique_size", 10, int, 1, 1000, unit="consumers", group="network",
       meaning="consumers per clique in cliques (consumers 0..s-1, s..2s-1, ...; the last clique "
               "holds the remainder): each is tied to the others of its clique only (at most 1,000, "
               "as explicit complete graphs)",
       source="Goldenberg, Libai & Muller 2001, Talk of the network, Marketing Letters 12(3), "
              "211-223 (personal networks of size 5 to 29)"),
    # --- time ----------------------------------------------------------------------------
    _p("steps", 104, int, 1, 100_000, unit="weeks", group="time",
       meaning="number of weekly steps to simulate"),
    # --- brand and strategy --------------------------------------------------------------
    _p("strategy", "dialogue", str, group="brand", choices=STRATEGIES,
       meaning="how the budget is spent: none, broadcast (honest ads), hype (inflated ads), "
               "fanpage (passive page), dialogue (public replies), mixed (split)"),
    _p("budget", 1.0, float, 0.0, 1000.0, unit="impressions/consumer/week", group="brand",
       meaning="weekly marketing spend per consumer, in impression units (same for every "
               "strategy except none)"),
    _p("dialogue_share", 0.5, float, 0.0, 1.0, unit="share", group="brand",
       meaning="in mixed: share of the budget spent on dialogue (the rest on honest broadcast "
               "and fan page)"),
    _p("fanpage_share", 0.0, float, 0.0, 1.0, unit="share", group="brand",
       meaning="in mixed: share of the budget spent on the fan page"),
    _p("quality", 0.3, float, -1.0, 1.0, unit="-1..1", group="brand",
       meaning="true product quality Q (mean experience)"),
    _p("quality_noise", 0.3, float, 0.0, 2.0, unit="-1..1", group="brand",
       meaning="standard deviation of one consumption experience around Q"),
    _p("hype", 0.4, float, 0.0, 2.0, unit="-1..1", group="brand",
       meaning="claim inflation: the brand's claim is clip(Q + hype); used by hype ads and "
               "by spin in dishonest replies"),
    _p("honesty", 1.0, float, 0.0, 1.0, unit="0..1", group="brand",
       meaning="share of truth in dialogue replies (1 = states Q, 0 = repeats the claim)"),
    _p("margin", 100.0, float, 0.0, 1e9, unit="impression units", group="brand",
       meaning="contribution margin of one purchase",
       source="assumption (EUR 1 margin at a EUR 10 CPM)"),
    _p("reply_cost", 12200.0, float, 0.01, 1e9, unit="impression units", group="brand",
       meaning="staff cost of one answered post (finding, reading, answering and following up a "
               "public post); capacity = dialogue budget / reply_cost replies a week",
       source="calibrated (target brand reply rate, 1 in 10 to 1 in 8, Sprout Social Index 2015 and Q3 "
              "2016; results/calibration/fit/: 95 % interval [2380, 20000]); not a wage (EUR 122 a reply "
              "at a EUR 10 CPM)"),
    _p("pay_unused_capacity", False, bool, group="brand",
       meaning="true: a channel's whole budget is paid every week (version 1); false: capacity "
               "that finds no use is not spent (replies without open posts, page views without "
               "followers to show them to)",
       source="assumption (community work billed by the reply and page promotion by the "
              "impression, as boosted posts are; docs/ODD.md section 9)"),
    _p("flighting", "always", str, group="brand", choices=FLIGHTINGS,
       meaning="the focal brand's spend schedule: always (every week), on_off (flight_weeks on, "
               "flight_weeks off) or pulses (each week on with probability pulse_prob); in an off "
               "week all its channel budgets are 0",
       source="assumption (flighting and pulsing schedules of media planning, Naik, Mantrala & "
              "Sawyer 1998; the variation a firm needs to estimate its ROI)"),
    _p("flight_weeks", 4, int, 1, 520, unit="weeks", group="brand",
       meaning="in on_off: length of one on period and of one off period"),
    _p("pulse_prob", 0.5, float, 0.0, 1.0, unit="probability", group="brand",
       meaning="in pulses: probability that the focal brand spends in a given week"),
    # --- broadcast -----------------------------------------------------------------------
    _p("media_exposure_immigrant", 1.5, float, 0.0, 100.0, unit="ratio", group="broadcast",
       meaning="weight of a digital immigrant in the random allocation of impressions "
               "(natives: 1)"),
    _p("ad_attention", 0.244, float, 0.0, 1.0, unit="probability", group="broadcast",
       meaning="probability that an ad impression is noticed; only noticed impressions "
               "persuade, irritate or make aware",
       source="calibrated (targets short- and long-term ad elasticity; results/calibration/fit/: 95 % "
              "interval [0.01, 0.6], traded off against ad_effect)"),
    _p("ad_effect", 0.0193, float, 0.0, 1.0, unit="per exposure", group="broadcast",
       meaning="pull of attitude toward the claim by one fresh noticed exposure at trust 1",
       source="calibrated (targets short- and long-term ad elasticity; results/calibration/fit/: 95 % "
              "interval [0.005, 0.3], traded off against ad_attention)"),
    _p("ad_expectation_effect", 0.1, float, 0.0, 1.0, unit="per exposure", group="broadcast",
       meaning="pull of expectation toward the claim by one fresh exposure at trust 1"),
    _p("wearout", 3.0, float, 0.1, 1000.0, unit="exposures", group="broadcast",
       meaning="irritation at which an exposure's effect has fallen to 1/e",
       source="Cacioppo & Petty 1979 (agreement peaks after a few exposures)"),
    _p("reactance_threshold", 8.0, float, 0.0, 1000.0, unit="exposures", group="broadcast",
       meaning="irritation (noticed exposures) beyond which an exposure causes reactance instead of persuasion",
       source="Cacioppo & Petty 1979; Friestad & Wright 1994 (reactance exists); the level set with "
              "benchmarks/bench_elasticity.py: sales do not fall between budgets 2 and 4"),
    _p("reactance_attitude", 0.05, float, 0.0, 1.0, unit="per exposure", group="broadcast",
       meaning="attitude drop per reactant exposure", source="assumption (Friestad & Wright 1994)"),
    _p("reactance_trust", 0.05, float, 0.0, 1.0, unit="per exposure", group="broadcast",
       meaning="relative trust loss per reactant exposure",
       source="assumption (Friestad & Wright 1994)"),
    _p("irritation_decay", 0.5, float, 0.0, 1.0, unit="per week", group="broadcast",
       meaning="share of ad irritation that fades each week"),
    # --- fan page ------------------------------------------------------------------------
    _p("fanpage_effect", 0.5, float, 0.0, 10.0, unit="ratio", group="fanpage",
       meaning="effect of one page post on a follower, relative to an ad exposure"),
    _p("fanpage_posts", 3, int, 0, 100, unit="posts/week", group="fanpage",
       meaning="page posts published per week: the most an online follower sees"),
    _p("organic_reach", 0.06, float, 0.0, 1.0, unit="probability", group="fanpage",
       meaning="probability that a page post reaches an online follower for free; the page's "
               "budget pays for views of the rest (0 = every view is paid for, version 1)",
       source="Manson 2014, Ogilvy 'Facebook Zero' (organic reach of brand pages about 6 % of "
              "fans in Feb 2014, 2 % for pages with more than 500,000 likes)"),
    _p("follow_prob", 0.05, float, 0.0, 1.0, unit="per week", group="fanpage",
       meaning="probability that an online, aware consumer who likes the brand follows its page"),
    _p("follow_threshold", 0.3, float, -1.0, 1.0, unit="-1..1", group="fanpage",
       meaning="attitude needed to follow the page (followers below 0 unfollow)"),
    # --- purchase ------------------------------------------------------------------------
    _p("purchase_model", "attitude", str, group="purchase", choices=PURCHASE_MODELS,
       meaning="attitude: category occasions and a logit choice among known brands; bass (one "
               "brand): first purchase by the network Bass hazard bass_p + bass_q * adopted share "
               "of neighbours; goldenberg: one adoption per consumer, of brand b with probability "
               "1 - (1 - goldenberg_alpha)(1 - goldenberg_beta_w)^j_b (1 - goldenberg_beta_s)^m_b"),
    _p("bass_p", 0.03, float, 0.0, 1.0, unit="per step", group="purchase",
       meaning="Bass innovation coefficient (purchase_model = bass), per step: the published value is per year, "
               "so in the bass preset a step stands for a year",
       source="Sultan, Farley & Lehmann 1990 (mean over 213 applications, per year)"),
    _p("bass_q", 0.38, float, 0.0, 10.0, unit="per step", group="purchase",
       meaning="Bass imitation coefficient (purchase_model = bass), per step: the published value is per year, "
               "so in the bass preset a step stands for a year",
       source="Sultan, Farley & Lehmann 1990 (per year)"),
    # Goldenberg, Libai & Muller (2001): strong ties (the graph, cliques in their design),
    # weak ties (random contacts redrawn each week) and advertising (docs/ODD.md, 7.3)
    _p("goldenberg_alpha", 0.01, float, 0.0, 1.0, unit="per week", group="purchase",
       meaning="purchase_model = goldenberg: probability that advertising alone makes a non-adopter adopt a "
               "brand in a week",
       source="Goldenberg, Libai & Muller 2001, Talk of the network, Marketing Letters 12(3), 211-223 "
              "(design range 0.0005 to 0.01)"),
    _p("goldenberg_beta_w", 0.01, float, 0.0, 1.0, unit="per contact", group="purchase",
       meaning="purchase_model = goldenberg: probability that one adopter among this week's weak contacts "
               "makes a non-adopter adopt",
       source="Goldenberg, Libai & Muller 2001 (design range 0.005 to 0.015)"),
    _p("goldenberg_beta_s", 0.04, float, 0.0, 1.0, unit="per tie", group="purchase",
       meaning="purchase_model = goldenberg: probability that one adopting neighbour (strong tie) makes a "
               "non-adopter adopt",
       source="Goldenberg, Libai & Muller 2001 (design range 0.01 to 0.07)"),
    _p("weak_contacts", 17, int, 0, 10_000, unit="contacts/week", group="purchase",
       meaning="purchase_model = goldenberg: weak contacts each consumer meets per week, drawn anew every "
               "week, uniformly (with replacement) among the consumers outside its clique (cliques) or "
               "among all others (other networks); none if one clique holds everyone",
       source="Goldenberg, Libai & Muller 2001 (design range 5 to 29)"),
    _p("seed_share", 0.0, float, 0.0, 1.0, unit="share", group="purchase",
       meaning="purchase_model = goldenberg: share of consumers, chosen at random, given the focal brand in "
               "week 1 (a seeding program; 0 = none)",
       source="Libai, Muller & Peres 2013, Decomposing the value of word-of-mouth seeding programs, "
              "Journal of Marketing Research 50(2), 161-176"),
    _p("purchase_freq", 0.25, float, 0.0, 1.0, unit="per week", group="purchase",
       meaning="probability of a category purchase occasion in a week (need, not brand, drives it)"),
    _p("purchase_intercept", -1.0, float, -50.0, 50.0, unit="logit", group="purchase",
       meaning="constant of a brand's utility in the choice logit"),
    _p("purchase_attitude", 4.0, float, 0.0, 50.0, unit="logit", group="purchase",
       meaning="weight of attitude in a brand's utility"),
    _p("purchase_loyalty", 2.0, float, 0.0, 50.0, unit="logit", group="purchase",
       meaning="weight of loyalty in a brand's utility"),
    _p("purchase_quality", 1.0, float, 0.0, 50.0, unit="logit", group="purchase",
       meaning="weight of trust-weighted expected quality (trust x expectation) in a brand's utility"),
    _p("purchase_trust", 1.0, float, 0.0, 50.0, unit="logit", group="purchase",
       meaning="weight of trust in the brand in its utility"),
    # --- experience ----------------------------------------------------------------------
    _p("disconfirmation_weight", 0.5, float, 0.0, 5.0, unit="ratio", group="experience",
       meaning="weight of disconfirmation (experience - expectation) in satisfaction",
       source="Oliver 1980 (expectation-disconfirmation)"),
    _p("experience_attitude", 0.5, float, 0.0, 1.0, unit="per purchase", group="experience",
       meaning="pull of attitude toward satisfaction after a purchase"),
    _p("experience_expectation", 0.5, float, 0.0, 1.0, unit="per purchase", group="experience",
       meaning="pull of expectation toward the experience after a purchase"),
    _p("loyalty_gain", 0.2, float, 0.0, 1.0, unit="per purchase", group="experience",
       meaning="loyalty gain per unit of satisfaction"),
    _p("loyalty_loss", 0.3, float, 0.0, 1.0, unit="per purchase", group="experience",
       meaning="loyalty loss per unit of dissatisfaction (larger: losses loom larger)",
       source="Anderson & Sullivan 1993 (asymmetric satisfaction effects)"),
    _p("disappointment_threshold", 0.3, float, 0.0, 2.0, unit="-1..1", group="experience",
       meaning="negative disconfirmation beyond which trust is lost (the ad over-promised)"),
    _p("disappointment_trust", 0.5, float, 0.0, 1.0, unit="per unit", group="experience",
       meaning="relative trust loss per unit of disconfirmation beyond the threshold"),
    # --- word of mouth -------------------------------------------------------------------
    _p("talk_base", 0.01, float, 0.0, 1.0, unit="per week", group="wom",
       meaning="talk probability of a buyer with a neutral experience (non-buyers: times "
               "talk_nonbuyer)"),
    _p("talk_positive", 0.3, float, 0.0, 1.0, unit="per week", group="wom",
       meaning="extra talk probability at the most positive impression (U-shape, right arm)",
       source="Anderson 1998 (U-shaped WOM)"),
    _p("talk_negative", 0.896, float, 0.0, 1.0, unit="per week", group="wom",
       meaning="extra talk probability at the most negative impression (U-shape, left arm)",
       source="calibrated (target positive : negative WOM, jointly with the other fit targets; "
              "results/calibration/fit/: 95 % interval [0.3, 1]); direction: Anderson 1998 (the "
              "dissatisfied talk more per person)"),
    _p("talk_nonbuyer", 0.3, float, 0.0, 1.0, unit="ratio", group="wom",
       meaning="salience of an impression without a purchase this week, relative to an experience"),
    _p("wom_reach", 0.5, float, 0.0, 1.0, unit="probability", group="wom",
       meaning="probability that a talker reaches a neighbour over a tie of strength 1"),
    _p("wom_influence", 0.3, float, 0.0, 1.0, unit="per message", group="wom",
       meaning="pull of the listener's attitude toward a message of weight 1"),
    _p("wom_expectation", 0.3, float, 0.0, 1.0, unit="per message", group="wom",
       meaning="pull of the listener's expectation toward the talker's expectation"),
    _p("confidence_bound", 1.0, float, 0.0, 2.0, unit="-1..1", group="wom",
       meaning="messages farther than this from the listener's attitude are resisted",
       source="Deffuant et al. 2000; Hegselmann & Krause 2002 (bounded confidence)"),
    _p("resistance", 0.3, float, 0.0, 1.0, unit="ratio", group="wom",
       meaning="weight kept by a message beyond the confidence bound",
       source="East, Hammond & Lomax 2008 (resistance to disconfirming WOM)"),
    # --- public record -------------------------------------------------------------------
    _p("online_native", 0.6, float, 0.0, 1.0, unit="per week", group="public",
       meaning="probability that a digital native reads or posts in public this week"),
    _p("online_immigrant", 0.1, float, 0.0, 1.0, unit="per week", group="public",
       meaning="probability that a digital immigrant reads or posts in public this week"),
    _p("post_prob", 0.5, float, 0.0, 1.0, unit="probability", group="public",
       meaning="probability that an online talker also posts in public"),
    _p("post_reach", 10.0, float, 0.0, 1e6, unit="readers/week", group="public",
       meaning="readers per week of a post of age 0, falling as exp(-age / recency); a post is "
               "first read the week after it is written (age 1); readers are online consumers"),
    _p("recency", 4.0, float, 0.1, 10_000.0, unit="weeks", group="public",
       meaning="time constant of the recency weighting of public posts"),
    _p("stranger_weight_native", 0.5, float, 0.0, 1.0, unit="tie strength", group="public",
       meaning="weight a digital native gives a stranger's public post (trust in strangers' posts)"),
    _p("stranger_weight_immigrant", 0.2, float, 0.0, 1.0, unit="tie strength", group="public",
       meaning="weight a digital immigrant gives a stranger's public post (trust in strangers' posts)",
       source="assumption (sceptical of online strangers, not only rarely online)"),
    _p("record_capacity", 5000, int, 10, 100_000_000, unit="posts", group="public",
       meaning="posts kept in the public record (a ring buffer; older posts only in aggregates)"),
    _p("rating_prior_posts", 5.0, float, 0.0, 1e6, unit="posts", group="public",
       meaning="weight, in posts, of a neutral prior in a brand's public rating: rating = sum of "
               "sentiments / (posts + rating_prior_posts), so a brand with few posts rates near 0",
       source="assumption (a Bayesian average, as review sites shrink small samples)"),
    # consulting the record before buying (docs/ODD.md, 7.3 "Consulting the record")
    _p("consult_native", 0.5, float, 0.0, 1.0, unit="probability", group="public",
       meaning="probability that a digital native who is online this week consults the public record on a "
               "purchase occasion (the ratings and most visible posts of the brands they consider)",
       source="assumption in the range of surveys: Pew Research Center 2016 (about half of US adults under "
              "50 always or almost always read reviews before buying something new, 40 % of all); "
              "BrightLocal 2018 (50 % of 18-34 year olds always read reviews of local businesses)"),
    _p("consult_immigrant", 0.2, float, 0.0, 1.0, unit="probability", group="public",
       meaning="probability that a digital immigrant who is online this week consults the public record on a "
               "purchase occasion",
       source="assumption (older consumers consult reviews less: BrightLocal 2018, 6 % of those 55+ always "
              "read reviews; Pew Research Center 2016, fewer among those 50+)"),
    _p("consult_posts", 3, int, 0, 1000, unit="posts/brand", group="public",
       meaning="posts (with their replies) a consulting consumer reads about each brand they consider: the "
               "most visible ones of the ring buffer",
       source="assumption (BrightLocal 2015: 40 % of consumers form an opinion after 1-3 reviews)"),
    _p("purchase_rating", 1.0, float, 0.0, 50.0, unit="logit", group="public",
       meaning="weight of a brand's public rating (lasting layer) in the utility of a consumer who consulted "
               "the record",
       source="assumption (order of magnitude: one Yelp star, 0.5 on the -1..1 scale, raises revenue by "
              "5-9 %, Luca 2011; here +0.5 rating x 1 x about 22 % consulting occasions gives about +8 % "
              "at a 30 % share)"),
    _p("reply_trust_gain", 0.02, float, 0.0, 1.0, unit="per reply read", group="public",
       meaning="trust gain of a reader who sees an honest brand reply"),
    _p("resolved_damping", 0.7, float, 0.0, 1.0, unit="share", group="public",
       meaning="share of a resolved complaint's negative pull that disappears for readers"),
    # reach, amplification and attention of public posts (docs/ODD.md, 7.7)
    _p("reach_tail", 1.5, float, 0.0, 5.0, unit="sd of log", group="public",
       meaning="spread of a post's heavy-tailed reach: each post's reach multiplier is "
               "scale_author x exp(reach_tail Z - reach_tail^2 / 2), Z ~ N(0, 1) drawn when posted "
               "(a lognormal of mean 1); 0 = no spread, no draw",
       source="assumption (heavy-tailed cascade and audience sizes online: Goel, Watts & Goldstein "
              "2012; Bakshy, Hofman, Mason & Watts 2011; the lognormal's spread is not fitted to them)"),
    _p("reach_degree", 0.5, float, 0.0, 3.0, unit="exponent", group="public",
       meaning="growth of a post's reach with its author's degree k: scale = (1 + k)^reach_degree, "
               "divided by its mean over all consumers (so the mean reach per post stays post_reach); "
               "0 = degree does not matter",
       source="assumption (direction: users with more followers start larger cascades, Bakshy, "
              "Hofman, Mason & Watts 2011; sublinear because follower count alone predicts influence "
              "poorly, Cha, Haddadi, Benevenuto & Gummadi 2010)"),
    _p("reply_boost", 0.5, float, 0.0, 100.0, unit="ratio", group="public",
       meaning="extra visibility of an answered post: its weight in reading is multiplied by "
               "1 + reply_boost once the brand replied (more reads in total, and a larger share of them)",
       source="assumption (direction: a visible, answered complaint is read more; feeds rank posts "
              "with replies higher; size not from a source)"),
    _p("post_attention", 0.3, float, 0.0, 1.0, unit="probability", group="public",
       meaning="probability that a read post about a brand the reader is not aware of is noticed; "
               "an unnoticed read has no effect (readers aware of the brand always notice); 1 = every "
               "read noticed, no draw",
       source="assumption (the attention idea of ad_attention applied to browsing, at ad_attention's "
              "value before the calibration, for want of a measurement of reading attention)"),
    _p("reply_post_boost", 0.12, float, 0.0, 10.0, unit="ratio", group="public",
       meaning="an author whom a brand has answered posts about it with probability "
               "post_prob x (1 + reply_post_boost) (capped at 1)",
       source="Proserpio & Zervas 2017 (review volume about 12 % higher once hotels respond; there an "
              "effect on all reviewers of a responding hotel, here on the authors answered)"),
    _p("reply_post_positivity", 0.06, float, 0.0, 2.0, unit="-1..1", group="public",
       meaning="an author whom a brand has answered posts about it with sentiment = impression + "
               "reply_post_positivity (clipped to -1..1); private word of mouth is unchanged",
       source="Proserpio & Zervas 2017 (ratings about 0.12 stars higher once hotels respond: 0.12 of "
              "the 4 stars between 1 and 5 is 0.06 of the 2 units between -1 and 1)"),
    _p("complaint_invite", 0.5, float, 0.0, 10.0, unit="ratio", group="public",
       meaning="an author whose complaint a brand has answered posts a new complaint about it "
               "(sentiment < 0) with probability multiplied by a further 1 + complaint_invite",
       source="assumption (direction: answering complaints invites more complaints, Ma, Sun & Kekre "
              "2015; size not from their estimates)"),
    # --- dialogue ------------------------------------------------------------------------
    _p("reply_window", 4.0, float, 0.0, 10_000.0, unit="weeks", group="dialogue",
       meaning="posts older than this are no longer answered"),
    _p("resolve_prob", 0.5, float, 0.0, 1.0, unit="probability", group="dialogue",
       meaning="probability that an honest reply resolves a complaint",
       source="assumption (service recovery, de Matos, Henrique & Rossi 2007)"),
    _p("recovery_attitude", 0.3, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of a resolved complainer's attitude toward +1",
       source="de Matos, Henrique & Rossi 2007 (satisfaction gain)"),
    _p("recovery_trust", 0.2, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of a resolved complainer's trust toward 1"),
    _p("recovery_loyalty", 0.02, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of a resolved complainer's loyalty toward 1 (kept small)",
       source="de Matos, Henrique & Rossi 2007 (no significant repurchase gain)"),
    _p("reply_expectation", 0.5, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of the author's expectation toward what the reply states"),
    _p("spin_detection", 1.0, float, 0.0, 1.0, unit="probability", group="dialogue",
       meaning="probability of detecting spin per unit of dishonesty: p = spin_detection * (1 - honesty)"),
    _p("backlash_trust", 0.3, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="relative trust loss of an author who detects spin, and the pull of their "
               "attitude toward -backlash_sentiment",
       source="assumption (persuasion knowledge, Friestad & Wright 1994)"),
    _p("backlash_sentiment", 0.7, float, 0.0, 1.0, unit="-1..1", group="dialogue",
       meaning="negativity of the public backlash post written after detected spin"),
    _p("conversation_trust", 0.05, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of trust toward 1 for a neutral or positive poster who gets a reply"),
    _p("conversation_loyalty", 0.01, float, 0.0, 1.0, unit="share", group="dialogue",
       meaning="pull of loyalty toward 1 for a neutral or positive poster who gets a reply"),
    # --- events (defects and scandals, docs/ODD.md 7.12) ---------------------------------
    _p("scandal_sentiment", 0.8, float, 0.0, 1.0, unit="-1..1", group="events",
       meaning="negativity of a scandal post: its sentiment is -scandal_sentiment"),
    _p("scandal_trust_hit", 0.05, float, 0.0, 1.0, unit="per post read", group="events",
       meaning="relative loss of trust in the brand per scandal post read (times 1 - resolved_damping "
               "if the brand's reply resolved it)",
       source="assumption (a scandal is about the firm's conduct, so it costs trust, not only attitude)"),
    _p("scandal_reactance", 0.5, float, 0.0, 1.0, unit="factor", group="events",
       meaning="while a scandal about a brand is active its reactance_threshold is multiplied by this "
               "(1 = no change): ads during a scandal meet reactance sooner",
       source="assumption (persuasion knowledge is primed by a scandal, Friestad & Wright 1994)"),
    # --- forgetting ----------------------------------------------------------------------
    _p("attitude_decay", 0.02, float, 0.0, 1.0, unit="per week", group="forgetting",
       meaning="share of attitude that fades back toward 0 each week"),
    _p("trust_decay", 0.02, float, 0.0, 1.0, unit="per week", group="forgetting",
       meaning="share of the gap to the segment's initial trust that closes each week"),
    _p("loyalty_decay", 0.002, float, 0.0, 1.0, unit="per week", group="forgetting",
       meaning="share of loyalty that fades each week without reinforcement"),
    _p("awareness_decay", 0.1, float, 0.0, 1.0, unit="per week", group="forgetting",
       meaning="probability of forgetting a brand in a week without reinforcement (no noticed "
               "ad or page post, no WOM heard, no post read, no purchase of it)",
       source="assumption (half-life 6.6 weeks, ad awareness decays with half-lives of a few "
              "weeks, Broadbent 1979; set with benchmarks/bench_elasticity.py so that the ad "
              "elasticity of sales is about 0.1 short-term, 0.2 long-term, Sethuraman, Tellis & "
              "Briesch 2011)"),
    # --- engine --------------------------------------------------------------------------
    _p("engine", "vectorised", str, group="engine", choices=ENGINES,
       meaning="vectorised: the fast array engine; reference: the per-agent Mesa "
               "implementation of the same rules (slow, readable, the test oracle)",
       source="Rand & Rust 2011 (verification by an independent implementation)"),
    # --- metrics -------------------------------------------------------------------------
    _p("loyal_threshold", 0.7, float, 0.0, 1.0, unit="0..1", group="metrics",
       meaning="loyalty at or above which a consumer counts as loyal (loyal_share)",
       source="assumption"),
    _p("scr_window", 26, int, 1, 520, unit="weeks", group="metrics",
       meaning="rolling window of share of category requirements and of recent customers "
               "(the NPS survey's frame)"),
    _p("nps_every", 1, int, 1, 520, unit="weeks", group="metrics",
       meaning="the NPS survey runs every nps_every weeks"),
    _p("nps_sample", 200, int, 1, 1_000_000, unit="respondents", group="metrics",
       meaning="respondents per NPS survey, drawn without replacement from the focal brand's "
               "recent customers (all of them if fewer)"),
    _p("nps_intercept", 6.71, float, -10.0, 20.0, unit="0..10", group="metrics",
       meaning="latent likelihood to recommend of a customer with satisfaction 0 and loyalty 0",
       source="calibrated (target NPS of a moderately good product, 0 to +40, Reichheld 2003; "
              "results/calibration/fit/: 95 % interval [5.88, 7.53])"),
    _p("nps_satisfaction", 3.0, float, 0.0, 20.0, unit="0..10 per unit", group="metrics",
       meaning="weight of the last satisfaction with the focal brand in the latent score"),
    _p("nps_loyalty", 2.0, float, 0.0, 20.0, unit="0..10 per unit", group="metrics",
       meaning="weight of loyalty to the focal brand in the latent score"),
    _p("nps_noise", 1.5, float, 0.0, 20.0, unit="0..10", group="metrics",
       meaning="standard deviation of the response noise of one survey answer"),
]

PARAMETERS: dict[str, Spec] = {s.name: s for s in _SPECS}


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """Closest valid name for a typo, or None."""
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def _unknown(name: str, where: str = "") -> ParameterError:
    hint = closest(name, PARAMETERS)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    # !r: a name from a file or the command line may hold a newline or a control character;
    # the message stays one line and shows it (for a plain name, repr is the same 'name').
    return ParameterError(f"unknown parameter {name!r}{where}{suggestion}")


def _coerce(spec: Spec, value: Any, where: str = "") -> Any:
    """Convert ``value`` (possibly a command-line string) to the spec's type and check it."""
    name = spec.name
    bad = f"parameter '{name}'{where}"
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.strip().lower() in ("true", "1", "yes")
        raise ParameterError(f"{bad} = {value!r} is not a boolean: allowed true | false")
    if spec.kind is str:
        if not isinstance(value, str):
            raise ParameterError(f"{bad} = {value!r} is not a string: allowed {spec.allowed()}")
        value = value.strip()
        if name == "network" and value.startswith(FILE_PREFIX):
            path = value[len(FILE_PREFIX):]
            if not path:
                raise ParameterError(f"{bad} = {value!r}: file: needs a path, e.g. file:graph.txt")
            if not os.path.isfile(path):
                raise ParameterError(f"{bad}: graph file {path!r} does not exist or is not a file")
            if not os.access(path, os.R_OK):
                raise ParameterError(f"{bad}: graph file {path!r} is not readable")
            return value
        if spec.choices and value not in spec.choices:
            hint = closest(value, spec.choices)
            suggestion = f" (did you mean '{hint}'?)" if hint else ""
            raise ParameterError(
                f"{bad} = {value!r} is not allowed: allowed {spec.allowed()}{suggestion}")
        return value
    # numbers
    if isinstance(value, bool):
        raise ParameterError(f"{bad} = {value!r} is a boolean, expected a number in {spec.allowed()}")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if spec.kind is int and _looks_int(text) else float(text)
        except ValueError:
            raise ParameterError(
                f"{bad} = {value!r} is not a number: allowed {spec.allowed()}") from None
    elif isinstance(value, (int, float)) or hasattr(value, "__float__"):
        number = value
    else:
        raise ParameterError(f"{bad} = {value!r} is not a number: allowed {spec.allowed()}")
    try:
        fnum = float(number)
    except OverflowError:
        raise ParameterError(f"{bad} = {value!r} is out of range: allowed {spec.allowed()}") from None
    except (TypeError, ValueError):
        raise ParameterError(f"{bad} = {value!r} is not a number: allowed {spec.allowed()}") from None
    if math.isnan(fnum) or math.isinf(fnum):
        raise ParameterError(f"{bad} = {value!r} is not a finite number: allowed {spec.allowed()}")
    if spec.kind is int:
        if not fnum.is_integer():
            raise ParameterError(f"{bad} = {value!r} is not a whole number: allowed {spec.allowed()}")
        number = int(fnum)
    else:
        number = fnum
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise ParameterError(f"{bad} = {value!r} is out of range: allowed {spec.allowed()}")
    return number


def _looks_int(text: str) -> bool:
    return text.lstrip("+-").isdigit()


_TOML_TYPES = {bool: "a boolean (true | false)", int: "a whole number", float: "a number", str: "a string"}


def check_value(name: str, value: Any, where: str = "") -> Any:
    """``value`` as parameter ``name`` takes it, checked on its own (type, range, choices;
    not the rules between parameters, which :class:`Params` checks); raise ParameterError.

    Examples
    --------
    >>> check_value("budget", 2)
    2.0
    """
    spec = PARAMETERS.get(name)
    if spec is None:
        raise _unknown(name, where)
    return _coerce(spec, value, where)


def check_typed(name: str, value: Any, where: str = "") -> None:
    """Refuse a value read from a typed file (TOML) whose type is not the declared one.

    :class:`Params` parses strings because ``--set`` gives strings; a TOML file has types,
    so there ``n_consumers = "200"`` (a string for a number) or ``budget = true`` is a
    mistake, not something to convert. A whole number is a number (``budget = 1``); a
    number with a decimal point is not a whole number (``n_consumers = 200.0``). Unknown
    names are left to :class:`Params` (which suggests the closest name).

    Examples
    --------
    >>> check_typed("budget", "2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simulation.errors.ParameterError: parameter 'budget' = '2' is a string, ... (without quotes: budget = 2)
    """
    spec = PARAMETERS.get(name)
    if spec is None:
        return
    kind = spec.kind
    fits = (isinstance(value, bool) if kind is bool else
            isinstance(value, str) if kind is str else
            isinstance(value, int) and not isinstance(value, bool) if kind is int else
            isinstance(value, (int, float)) and not isinstance(value, bool))
    if fits:
        return
    got = ("a boolean" if isinstance(value, bool) else "a string" if isinstance(value, str) else
           "a number with a decimal point" if isinstance(value, float) else
           "a number" if isinstance(value, int) else f"a {type(value).__name__}")
    hint = f" (without quotes: {name} = {value.strip()})" if isinstance(value, str) else ""
    allowed = "" if kind is bool else f" in {spec.allowed()}" if kind is not str else f": allowed {spec.allowed()}"
    raise ParameterError(f"parameter '{name}'{where} = {value!r} is {got}, expected "
                         f"{_TOML_TYPES[kind]}{allowed}{hint}")


class Params(Mapping[str, Any]):
    """All model parameters, validated; immutable.

    Parameters
    ----------
    **values
        Any subset of the names in :data:`PARAMETERS`; the rest take their defaults.
        Strings are accepted for numbers and booleans (as they come from ``--set``).

    Raises
    ------
    ParameterError
        For an unknown name (with the closest valid name), a value of the wrong type,
        NaN or infinity, a value out of range, or an inconsistent combination.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: Any) -> None:
        events = values.pop(EVENTS, ())
        clean = {name: spec.default for name, spec in PARAMETERS.items()}
        for name, value in values.items():
            clean[name] = check_value(name, value)
        _check_combinations(clean)
        # Events (docs/ODD.md 7.12) are not a Spec: a list of tables, kept only when there
        # are some, so a run without events has exactly the parameters it had before.
        checked = make_events(events, n_brands=clean["n_brands"])
        if checked:
            clean[EVENTS] = checked
        object.__setattr__(self, "_values", clean)

    # --- construction ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Params:
        """Build from a mapping (e.g. a TOML table or a worker's parameter dict)."""
        return cls(**dict(values))

    @classmethod
    def from_toml(cls, path: str | os.PathLike, table: str | None = "params") -> Params:
        """Build from a TOML file: the named table if present, else the top level.

        Values must have the declared type (:func:`check_typed`: no string for a number).
        Errors name the file and the key.
        """
        path = os.fspath(path)
        data = read_toml(path, "parameter file")
        if table and isinstance(data.get(table), dict):
            extra = [k for k in data if k not in (table, EVENTS)]
            if extra:
                raise ParameterError(f"{path}: key {extra[0]!r} outside the [{table}] table; "
                                     f"put every parameter inside [{table}] (and events in [[events]])")
            data = {**data[table], **({EVENTS: data[EVENTS]} if EVENTS in data else {})}
        try:
            for name, value in data.items():
                check_typed(name, value)
            return cls.from_dict(data)
        except ParameterError as exc:
            raise ParameterError(f"{path}: {exc}") from None

    @staticmethod
    def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
        """Parse ``key=value`` strings from ``--set`` into a dict (values still strings).

        Every value is checked, even one a later option replaces, and a key given twice
        with different values is refused: a value typed on the command line is never
        silently dropped.
        """
        out: dict[str, Any] = {}
        seen: dict[str, Any] = {}  # the checked value of each key, to compare a repeat with
        for item in items:
            if "=" not in item:
                raise ParameterError(f"--set {item!r} is not of the form key=value")
            key, value = item.split("=", 1)
            key = key.strip()
            checked = check_value(key, value, " in --set")
            if key in seen and seen[key] != checked:
                raise ParameterError(f"parameter '{key}' given twice with different values: "
                                     f"--set {key}={out[key].strip()} and --set {key}={value.strip()}; give it once")
            out[key], seen[key] = value, checked
        return out

    def replace(self, **changes: Any) -> Params:
        """A copy with some values changed (validated again)."""
        return Params(**{**self._values, **changes})

    # --- access ------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe for protocol methods
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            if name == EVENTS:
                return ()
            raise _unknown(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params is immutable: use params.replace(name=value)")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = self.differing()
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"Params({inner})"

    def __reduce__(self):  # picklable for worker processes
        return (Params.from_dict, (dict(self._values),))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of all values (JSON-serialisable; events, if any, as a list of dicts)."""
        out = dict(self._values)
        if EVENTS in out:
            out[EVENTS] = [e.to_dict() for e in out[EVENTS]]
        return out

    def differing(self) -> dict[str, Any]:
        """Only the values that differ from the defaults (events, if any, as a list of dicts)."""
        values = self.to_dict()
        return {k: v for k, v in values.items() if k == EVENTS or v != PARAMETERS[k].default}


def _check_combinations(v: dict[str, Any]) -> None:
    if v["purchase_model"] == "bass" and v["n_brands"] != 1:
        raise ParameterError(
            f"parameter 'purchase_model' = 'bass' needs n_brands = 1 (got n_brands = {v['n_brands']}): "
            "the Bass hazard is a one-brand docking setting")
    total = v["dialogue_share"] + v["fanpage_share"]
    if total > 1 + 1e-12:
        raise ParameterError(
            f"parameters 'dialogue_share' + 'fanpage_share' = {total:g} exceed 1: "
            "allowed shares of the budget sum to at most 1")


#: Columns of the parameter table (docs/ODD.md, 8 Parameters); rendered by
#: :func:`simulation.outputs.tables.parameter_table`.
PARAMETER_COLUMNS = ("name", "default", "allowed", "unit", "meaning", "source")


def parameter_rows() -> list[tuple[str, ...]]:
    """One row of strings per parameter, in :data:`PARAMETERS` order, cells as :data:`PARAMETER_COLUMNS`."""
    return [(s.name, str(s.default), s.allowed(), s.unit, s.meaning, s.source) for s in _SPECS]
