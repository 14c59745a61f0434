"""The per-agent reference implementation: the rules of docs/ODD.md, one consumer at a time.

What it is for
--------------
* **Reading in class.** Every rule of docs/ODD.md (sections 3 and 7) is a short method of
  :class:`ReferenceConsumer` (what one consumer decides and how it changes) or of
  :class:`ReferenceModel` (the order of the week and what the brands do), written with
  plain Python floats and :mod:`math`. A consumer keeps what it knows and feels about the
  brands in Python lists, one entry per brand, the focal brand (0) first:
  ``consumer.attitude[b]`` is its attitude to brand b. Where the vectorised engine
  (:class:`simulation.core.model.WordOfMouthModel`) uses a closed form or an array trick,
  this module does the literal thing: impressions are handed out one at a time and each is
  noticed or not, a consumer meets its exposures one by one, a consumer on a shopping
  occasion computes the utility of each brand it knows, exponentiates and normalises them
  and picks one by walking along the cumulative probabilities, talkers send messages that
  land in their listeners' inboxes, readers pick posts from a list, each brand answers the
  posts about it.
* **The test oracle.** ``tests/core/test_reference.py`` checks that the engine and this module
  agree: exactly where the rules are deterministic, in distribution (Welch t-tests on every
  metric) everywhere else. A bug in either shows up as a disagreement.

It is slow on purpose: Python loops over consumers, brands, ties and messages. Measured
(26 weeks at N = 300, 10 weeks at N = 10,000, 3 seeds each, one core; Barabasi-Albert graph
of mean degree 10, ``strategy = mixed``, the version 2 defaults: 3 brands, launch, rivals
broadcasting): at N = 300 the reference takes 5.7-5.8 ms a week, the engine 0.8-0.9 ms;
at N = 10,000 the reference 0.31-0.33 s, the engine 5.0 ms (about 65 times faster).
On an implicit complete graph (``complete`` above 1,000 consumers) word of mouth
costs N - 1 draws per talker. Select it with ``--set engine=reference``::

    python run.py simulate --set engine=reference --set n_consumers=300 --steps 26

or ``Params(engine="reference")`` through :func:`simulation.research.tasks.create_model`.

Shared with the engine, and why
-------------------------------
Only inputs and outputs: the parameters (:class:`~simulation.core.params.Params`), the
inputs of :func:`~simulation.core.inputs.model_inputs` (the graph, its tie strengths, the
initial :class:`~simulation.core.state.ConsumerState` and the brands with their budget
splits and claims, focal first), so the same seed gives the same step 0; and the metrics
(:mod:`simulation.core.metrics` with its :class:`~simulation.core.metrics.Tally`). Before
every collection the consumers' attributes are copied into a :class:`ConsumerState`, used
here only as the container the metric functions read. No process is shared: nothing from
``simulation.core.processes`` is imported; the public record is this module's own
:class:`PublicRecord`; :func:`stochastic_round` is written here (same semantics as
``simulation.core.state.stochastic_round``).

Randomness: the model's numpy Generator ``self.rng`` is the only source of the model's
randomness (no :mod:`random`), one scalar draw per decision, in consumer order; a draw
whose outcome is certain (an unaware consumer deciding to talk, a consumer with nothing
to forget) is skipped. On a category occasion the reference draws the occasion and the
brand with two uniforms (the engine reuses one), and between them, for an online consumer,
whether they consult the record. The NPS survey has its own stream,
``self.survey_rng``, spawned from ``self.rng`` as in the engine, and draws the sample and
the answers' noise in the engine's order, so a survey of the same customers gives the same
answers. Adoption in the Goldenberg model (``purchase_model = "goldenberg"``) has its own
stream too, ``self.adoption_rng``, drawn in the engine's order (weak contacts, the week-1
seeding permutation, one uniform per consumer and brand), so the same seed gives the same
adoptions. Elsewhere the engine draws whole arrays in another order, so with the same seed
the two start from the same state (step 0) and then follow different but equally likely
paths.

Examples
--------
>>> model = ReferenceModel({"n_consumers": 100, "strategy": "mixed"}, rng=1)
>>> model.run(3)
>>> df = model.timeseries()
>>> int(df["step"].iloc[-1]), float(df["spend"].iloc[-1]) <= 300.0  # unused dialogue capacity is not spent
(3, True)
>>> len(model.consumers[0].attitude)  # one entry per brand: focal, rival 1, rival 2
3
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from itertools import accumulate
from statistics import NormalDist
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from simulation.core.brand import Brand
from simulation.core.flighting import FlightPlan
from simulation.core.inputs import model_inputs, resolve_params
from simulation.core.metrics import Tally, brand_rating, model_reporters
from simulation.core.network import MeanFieldAdjacency
from simulation.core.params import Params
from simulation.core.progress import StageListener, stage
from simulation.core.running import RunMixin
from simulation.core.state import BRAND_FIELDS, IMMIGRANT, NO_BRAND, ConsumerState

Z95 = NormalDist().inv_cdf(0.975)  # two-sided 95 % normal quantile, 1.95996...


def _focal(name: str):
    """Agent reporter of the focal brand's entry of a per-brand attribute."""
    return lambda consumer: getattr(consumer, name)[0]


#: Agent-level outputs (``collect_agents=True``), the same names and values the engine
#: collects: per-brand attributes report the focal brand's entry.
AGENT_REPORTERS = {**{name: _focal(name) for name in ("aware", "attitude", "expectation", "trust",
                                                      "loyalty", "purchases", "follower")},
                   **{name: name for name in ("segment", "choice", "last_brand")}}


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------
def clip(x: float, lo: float, hi: float) -> float:
    """Limit x to [lo, hi]."""
    return min(max(x, lo), hi)


def pull(x: float, target: float, rate: float, times: float = 1.0) -> float:
    """Pull x toward target at ``rate``, repeated ``times`` times (times may be fractional):
    ``x + (1 - (1 - rate)^times) (target - x)``. It compounds and never overshoots."""
    return x + (1.0 - (1.0 - rate) ** times) * (target - x)


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """floor(x) + Bernoulli(x - floor(x)): the expected result is exactly x.

    Written here rather than imported (it is a rule: what a budget buys); one uniform draw,
    as in the engine.

    >>> rng = np.random.default_rng(0)
    >>> sorted({stochastic_round(2.25, rng) for _ in range(100)}), stochastic_round(3.0, rng)
    ([2, 3], 3)
    """
    whole = math.floor(x)
    return whole + (1 if rng.random() < x - whole else 0)


class Message(NamedTuple):
    """One piece of word of mouth, or one read post, as it reaches its listener."""

    listener: ReferenceConsumer
    brand: int      # the brand it is about
    weight: float   # tie strength, or the stranger weight of a public post
    valence: float  # the sender's impression, -1..1
    content: float  # the quality the sender reports (their expectation, or a reply's claim)


@dataclass(eq=False, slots=True)
class Post:
    """A public post about one brand and, once that brand answers, its reply."""

    author: ReferenceConsumer
    brand: int         # the brand the post is about
    sentiment: float   # the author's impression, -1..1
    content: float     # the quality the author reports
    step: int          # week written
    reach: float = 1.0  # reach multiplier, fixed when written (mean 1 over posts)
    seq: int = 0       # order of writing, over all time (breaks ties: "newest first")
    reads: int = 0     # times read so far
    replied: bool = False
    reply_claim: float = 0.0
    resolved: bool = False  # a complaint the reply resolved
    spin: bool = False      # the author detected spin in the reply and exposed it
    scandal: bool = False   # written in a scandal event (ODD 7.12)

    @property
    def complaint(self) -> bool:
        return self.sentiment < 0.0


class RecordTotals(NamedTuple):
    """The lasting layer of the record for one brand (the fields the metrics read)."""

    posts: int
    sentiment: float
    complaints: int
    answered: int
    resolved: int


class PublicRecord:
    """The last ``capacity`` public posts (older ones drop out), running totals, and per
    brand what was ever written and answered (the lasting layer, :meth:`totals`)."""

    def __init__(self, capacity: int) -> None:
        self.posts: deque[Post] = deque(maxlen=int(capacity))  # oldest first
        self.total_posts = 0
        self.total_replies = 0
        self.posts_about: Counter[int] = Counter()  # brand -> posts ever written about it
        self.sentiment_about: Counter[int] = Counter()  # brand -> sum of their sentiments
        self.complaints_about: Counter[int] = Counter()
        self.answered_about: Counter[int] = Counter()
        self.resolved_about: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self.posts)

    @property
    def capacity(self) -> int:
        return self.posts.maxlen

    def add(self, post: Post) -> None:
        post.seq = self.total_posts
        self.posts.append(post)  # a full deque drops its oldest post
        self.total_posts += 1
        self.posts_about[post.brand] += 1
        self.sentiment_about[post.brand] += post.sentiment
        self.complaints_about[post.brand] += post.complaint

    def totals(self, brand: int) -> RecordTotals:
        """Over every post ever written about ``brand``: (posts, sum of sentiments,
        complaints, answered, resolved complaints)."""
        return RecordTotals(self.posts_about[brand], float(self.sentiment_about[brand]),
                            self.complaints_about[brand], self.answered_about[brand],
                            self.resolved_about[brand])

    def brand_posts(self, brand: int) -> int:
        """Posts ever written about ``brand`` (also those that dropped out)."""
        return self.posts_about[brand]

    @staticmethod
    def recency_weight(post: Post, now: int, recency: float) -> float:
        """w = exp(-(now - step) / recency): this week's posts weigh 1."""
        return math.exp(-(now - post.step) / recency)

    @classmethod
    def visibility(cls, post: Post, now: int, params: Params) -> float:
        """The post's weight in this week's reading: recency weight x reach, times
        1 + reply_boost once the brand has answered it."""
        boost = 1.0 + params.reply_boost if post.replied else 1.0
        return cls.recency_weight(post, now, params.recency) * post.reach * boost

    def most_visible(self, brand: int, now: int, params: Params) -> list[Post]:
        """The consult_posts posts about ``brand`` with the highest :meth:`visibility`, most
        visible first; on equal visibility the newest (larger ``seq``) first."""
        about = [post for post in self.posts if post.brand == brand]
        about.sort(key=lambda post: (-self.visibility(post, now, params), -post.seq))
        return about[:params.consult_posts]

    def mean_sentiment(self, now: int, recency: float, brand: int = 0) -> float:
        """sum_k w_k sentiment_k / sum_k w_k over the posts kept about ``brand``; 0 if there
        are none (the metric ``public_sentiment``, for brand 0)."""
        about = [post for post in self.posts if post.brand == brand]
        if not about:
            return 0.0
        # Relative to the newest post, as the engine: the same mean, no 0 / 0 for old posts.
        newest = about[-1].step  # the deque is oldest first
        weights = [self.recency_weight(post, newest, recency) for post in about]
        mean = sum(w * post.sentiment for w, post in zip(weights, about)) / sum(weights)
        return min(1.0, max(-1.0, mean))


class Survey(NamedTuple):
    """An NPS survey's result: NPS in [-100, 100], its 95 % interval, the respondents."""

    nps: float
    low: float
    high: float
    respondents: int


def net_promoter_score(scores: list[int]) -> Survey:
    """NPS of 0..10 answers: 100 (P - D), P the share of promoters (9-10), D of detractors
    (0-6), with the normal 95 % interval of a multinomial sample, variance
    (P + D - (P - D)^2) / n, clipped to [-100, 100]; NaN and 0 respondents for no answers.

    >>> net_promoter_score([10, 9, 7, 3]).nps
    25.0
    """
    n = len(scores)
    if n == 0:
        return Survey(math.nan, math.nan, math.nan, 0)
    promoters = sum(1 for score in scores if score >= 9) / n
    detractors = sum(1 for score in scores if score <= 6) / n
    diff = promoters - detractors
    half = Z95 * math.sqrt(max(promoters + detractors - diff * diff, 0.0) / n)
    return Survey(100.0 * diff, 100.0 * max(diff - half, -1.0), 100.0 * min(diff + half, 1.0), n)


class AllOthers(Mapping):
    """The ties of one consumer on an implicit complete graph (``MeanFieldAdjacency``):
    every other consumer, strength 1, without storing N - 1 entries per consumer."""

    def __init__(self, me: ReferenceConsumer, everyone: list[ReferenceConsumer]) -> None:
        self.me, self.everyone = me, everyone

    def __getitem__(self, other: ReferenceConsumer) -> float:
        if other is self.me:
            raise KeyError(other)
        return 1.0

    def __iter__(self) -> Iterator[ReferenceConsumer]:
        return (c for c in self.everyone if c is not self.me)

    def __len__(self) -> int:
        return len(self.everyone) - 1

    def items(self):  # faster than Mapping's default, same result
        return ((c, 1.0) for c in self)


# ----------------------------------------------------------------------------------------
# The consumer
# ----------------------------------------------------------------------------------------
class ReferenceConsumer(FixedAgent):
    """A consumer on one node (cell) of the social network; its state is its own attributes.

    Per brand, a list with one entry per brand (focal first): ``aware``, ``attitude0``
    (baseline), ``attitude``, ``expectation``, ``trust``, ``irritation``, ``loyalty``,
    ``purchases``, ``follower``, ``last_satisfaction`` (NaN before the first purchase of
    the brand), ``recent`` (purchases of the brand in the last ``scr_window`` weeks),
    ``reinforced`` (reminded of the brand this week), ``answered`` / ``answered_complaint``
    (the brand has answered a post / a complaint of one's own, this run). ``reach_scale``: the
    expected reach of one's public posts, from one's degree. Per consumer: ``segment``, ``trust0``
    (the segment's initial trust), ``last_brand`` (-1: none yet) and ``history`` (the brand
    bought in each week of the rolling window, one slot per week, -1: none). This week:
    ``online``, ``bought``, ``choice`` (-1: none), ``experience``, ``satisfaction`` (NaN
    unless bought), ``topic`` (the brand they would talk about, -1: none), ``talked``, and
    what they report if they talk: ``impression`` and ``reported``. ``ties`` maps each
    neighbour to the tie strength.
    """

    def __init__(self, model: ReferenceModel, index: int, cell, initial: ConsumerState) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell
        i = index
        self.segment = int(initial.segment[i])
        self.trust0 = float(initial.trust0[i])
        # aware, attitude0, attitude, expectation, trust, irritation, loyalty, purchases,
        # follower, last_satisfaction, recent, reinforced: one plain Python value per brand
        for name in BRAND_FIELDS:
            setattr(self, name, getattr(initial, name)[i].tolist())
        self.last_brand = int(initial.last_brand[i])
        self.history = [int(x) for x in initial.history[:, i]]
        self.online = bool(initial.online[i])
        self.bought = bool(initial.bought[i])
        self.choice = int(initial.choice[i])
        self.experience = float(initial.experience[i])
        self.satisfaction = float(initial.satisfaction[i])
        self.talked = bool(initial.talked[i])
        self.topic = int(initial.topic[i])
        self.impression = 0.0
        self.reported = 0.0
        self.occasion = False   # a category purchase occasion this week
        self.consulted = False  # ... on which the consumer consulted the public record
        self.ties: Mapping[ReferenceConsumer, float] = {}
        self.reach_scale = 1.0  # expected reach of one's posts (set by the model from the degree)
        self.weak: list[ReferenceConsumer] = []  # this week's weak contacts (goldenberg)

    @property
    def params(self) -> Params:
        return self.model.params

    @property
    def rng(self) -> np.random.Generator:
        return self.model.rng

    @property
    def brands(self) -> range:
        return range(len(self.aware))

    @property
    def is_immigrant(self) -> bool:
        return self.segment == IMMIGRANT

    # --- 7.0 online --------------------------------------------------------------------
    def go_online(self) -> None:
        """online <- U < online_<segment>; nothing has reminded the consumer of any brand yet."""
        p = self.params
        chance = p.online_immigrant if self.is_immigrant else p.online_native
        self.online = self.rng.random() < chance
        self.reinforced = [False for _ in self.brands]

    # --- 7.1 broadcast -----------------------------------------------------------------
    def notice_ads(self, k: int) -> int:
        """Of k impressions, how many the consumer notices: each with probability
        ad_attention (no draw when every impression is noticed)."""
        attention = self.params.ad_attention
        if attention >= 1.0:
            return k
        return sum(1 for _ in range(k) if self.rng.random() < attention)

    def receive_impressions(self, k: int, claim: float, brand: int = 0, threshold: float | None = None) -> None:
        """Meet this week's k noticed ad exposures of ``brand`` one by one.

        The j-th exposure (j = 0, 1, ...) meets irritation r + j (r: irritation with this
        brand's ads). While r + j <= threshold (reactance_threshold, or the brand's lower
        threshold during a scandal, :meth:`ReferenceModel.reactance_threshold`) it persuades with weight
        w_j = exp(-(r + j) / wearout):
        a <- a + (1 - (1 - min(ad_effect trust, 1))^w_j) (claim - a), likewise e with
        ad_expectation_effect (a, e, trust: about this brand). Beyond the threshold it is
        reactant: a <- clip(a - reactance_attitude, -1, 1), trust <- trust (1 - reactance_trust).
        Finally r <- r + k; the consumer is aware of the brand and reminded of it. Because
        irritation only grows within the week, all persuasive exposures come before all
        reactant ones, so trust is unchanged while persuading; this equals the engine's
        closed form (ODD 7.1).
        """
        p, b = self.params, brand
        limit = p.reactance_threshold if threshold is None else threshold
        r = self.irritation[b]
        for j in range(k):
            level = r + j
            if level <= limit:
                weight = math.exp(-level / p.wearout)
                self.attitude[b] = pull(self.attitude[b], claim, min(p.ad_effect * self.trust[b], 1.0), weight)
                self.expectation[b] = pull(self.expectation[b], claim,
                                           min(p.ad_expectation_effect * self.trust[b], 1.0), weight)
            else:
                self.attitude[b] = clip(self.attitude[b] - p.reactance_attitude, -1.0, 1.0)
                self.trust[b] *= 1.0 - p.reactance_trust
        self.irritation[b] = r + k
        self.aware[b] = True
        self.reinforced[b] = True

    # --- 7.2 fan page ------------------------------------------------------------------
    def follow_page(self, brand: int) -> bool:
        """Decide to follow ``brand``'s page: online, aware of the brand, not yet a follower,
        attitude to it >= follow_threshold, then with probability follow_prob."""
        p, b = self.params, brand
        if not (self.online and self.aware[b] and not self.follower[b]
                and self.attitude[b] >= p.follow_threshold):
            return False
        return self.rng.random() < p.follow_prob

    def see_page_posts(self, k: int, claim: float, brand: int = 0) -> None:
        """Each of k page posts of ``brand`` pulls like a fresh ad scaled by fanpage_effect,
        without wear-out, reactance or irritation (followers chose the page):
        a <- clip(a + min(ad_effect fanpage_effect trust, 1) (claim - a), -1, 1), likewise e.
        The consumer is aware of the brand and reminded of it."""
        p, b = self.params, brand
        rate_a = min(p.ad_effect * p.fanpage_effect * self.trust[b], 1.0)
        rate_e = min(p.ad_expectation_effect * p.fanpage_effect * self.trust[b], 1.0)
        for _ in range(k):
            self.attitude[b] = clip(pull(self.attitude[b], claim, rate_a), -1.0, 1.0)
            self.expectation[b] = pull(self.expectation[b], claim, rate_e)
        self.aware[b] = True
        self.reinforced[b] = True

    # --- 7.3 purchase ------------------------------------------------------------------
    def utility(self, brand: int, rating: float = 0.0) -> float:
        """u_b = purchase_intercept + purchase_attitude a_b + purchase_loyalty L_b
        + purchase_quality trust_b e_b + purchase_trust trust_b + purchase_rating rating_b,
        rating_b the brand's public rating if the consumer consulted the record (else 0)."""
        p, b = self.params, brand
        return (p.purchase_intercept + p.purchase_attitude * self.attitude[b]
                + p.purchase_loyalty * self.loyalty[b]
                + p.purchase_quality * self.trust[b] * self.expectation[b] + p.purchase_trust * self.trust[b]
                + p.purchase_rating * rating)

    def consult_record(self, now: int) -> list[float] | None:
        """Pre-purchase search, on an occasion: an online consumer consults the public record
        with probability consult_<segment> (no draw when it is 0 or the consumer is offline).
        They read the consult_posts most visible posts (:meth:`PublicRecord.most_visible`)
        about each brand they are aware of, all at once (:meth:`read_posts`), before
        choosing. Returns the public rating of every brand (the lasting layer,
        ``metrics.brand_rating``), or None if they did not consult."""
        p = self.params
        chance = p.consult_immigrant if self.is_immigrant else p.consult_native
        if not self.online or chance <= 0.0 or self.rng.random() >= chance:
            return None
        record = self.model.record
        read = [post for b in self.brands if self.aware[b] for post in record.most_visible(b, now, p)]
        if read:
            self.read_posts(read)
        return [brand_rating(record, b, p.rating_prior_posts) for b in self.brands]

    def choice_probabilities(self, ratings: list[float] | None = None) -> list[float]:
        """The multinomial logit on an occasion: one probability per brand, then the outside
        option (last).

        Considered are the brands the consumer is aware of, with utility :meth:`utility`
        (with the brands' public ``ratings`` if the consumer consulted the record), and, if
        ``outside_option``, buying none of them, with utility outside_utility.
        P(option) = exp(u_option) / sum over considered options of exp(u); an option not
        considered has probability 0; all are 0 if nothing is considered. (Every exponent is
        taken relative to the largest utility: the same ratios, without overflow.)
        """
        p = self.params
        ratings = ratings if ratings is not None else [0.0] * len(self.aware)
        utilities = [self.utility(b, ratings[b]) if self.aware[b] else None for b in self.brands]
        utilities.append(p.outside_utility if p.outside_option else None)
        considered = [u for u in utilities if u is not None]
        if not considered:
            return [0.0] * len(utilities)
        top = max(considered)
        weights = [math.exp(u - top) if u is not None else 0.0 for u in utilities]
        total = sum(weights)
        return [w / total for w in weights]

    def bass_hazard(self) -> float:
        """Bass model: bass_p + bass_q (share of neighbours who bought the brand), capped at
        1, for consumers who never bought it (awareness not needed); 0 after the first purchase."""
        p = self.params
        if self.purchases[0] >= 1:
            return 0.0
        degree = len(self.ties)
        adopted = sum(1 for neighbour in self.ties if neighbour.purchases[0] >= 1)
        share = adopted / degree if degree > 0 else 0.0
        return min(p.bass_p + p.bass_q * share, 1.0)

    # --- 7.3 adoption by strong and weak ties (purchase_model = goldenberg) ---------------
    def adopted(self) -> int:
        """The brand this consumer has adopted (bought at least once), -1 if none."""
        for b in self.brands:
            if self.purchases[b] >= 1:
                return b
        return NO_BRAND

    def meet_weak_contacts(self, everyone: list[ReferenceConsumer]) -> None:
        """Draw this week's weak contacts: ``weak_contacts`` times, one uniform u picks the
        floor(u k)-th of the k consumers outside one's own clique (on ``cliques``: oneself and
        one's ties, consecutive indices; elsewhere oneself only), counted in index order; no draw if
        nobody is outside."""
        p = self.params
        group = [self.index] + ([c.index for c in self.ties] if p.network == "cliques" else [])
        first, size = min(group), len(group)
        outside = len(everyone) - size
        self.weak = []
        for _ in range(p.weak_contacts if outside > 0 else 0):  # one clique of everyone: nobody to meet
            r = math.floor(self.model.adoption_rng.random() * outside)
            self.weak.append(everyone[r if r < first else r + size])  # step over the own clique

    def adoption_probability(self, brand: int) -> float:
        """1 - (1 - alpha)(1 - beta_w)^j (1 - beta_s)^m: j adopters of ``brand`` among this
        week's weak contacts, m among one's ties (the strong ties)."""
        p = self.params
        j = sum(1 for c in self.weak if c.adopted() == brand)
        m = sum(1 for c in self.ties if c.adopted() == brand)
        return 1.0 - ((1.0 - p.goldenberg_alpha) * (1.0 - p.goldenberg_beta_w) ** j
                      * (1.0 - p.goldenberg_beta_s) ** m)

    def adopt(self) -> int:
        """The brand adopted this week, -1 for none. One uniform u_b per brand (from the
        adoption's own stream, like the weak contacts and the seeds), drawn by
        adopters too (the numbers of a week do not depend on who has adopted); a consumer
        who has adopted adopts nothing more; brand b fires if u_b < its probability; of
        those that fire, the one with the smallest u_b / probability is adopted."""
        draws = [self.model.adoption_rng.random() for _ in self.brands]
        if self.adopted() != NO_BRAND:
            return NO_BRAND
        best, best_ratio = NO_BRAND, math.inf
        for b, u in zip(self.brands, draws):
            h = self.adoption_probability(b)
            if u < h and u / h < best_ratio:
                best, best_ratio = b, u / h
        return best

    def choose_brand(self, now: int = 1) -> int:
        """The brand bought this week, -1 for none.

        Attitude model: a category occasion with probability purchase_freq; on an occasion
        the consumer may first consult the record (:meth:`consult_record`), then one uniform
        v picks an option by inverse CDF over :meth:`choice_probabilities` in
        brand order, the outside option last (the first option whose cumulative
        probability exceeds v). Bass model (one brand): the brand with probability
        :meth:`bass_hazard`. Goldenberg model: :meth:`adopt`.
        """
        p, rng = self.params, self.rng
        self.occasion = self.consulted = False
        if p.purchase_model == "goldenberg":
            return self.adopt()
        if p.purchase_model == "bass":
            hazard = self.bass_hazard()
            return 0 if hazard > 0.0 and rng.random() < hazard else NO_BRAND
        if p.purchase_freq <= 0.0 or rng.random() >= p.purchase_freq:
            return NO_BRAND  # no occasion this week
        self.occasion = True
        ratings = self.consult_record(now)
        self.consulted = ratings is not None
        probabilities = self.choice_probabilities(ratings)
        if sum(probabilities) == 0.0:
            return NO_BRAND  # nothing to choose from
        v, cumulative = rng.random(), 0.0
        # (if v lies beyond a cumulative sum that rounded below 1: the last possible option)
        option = max(j for j, probability in enumerate(probabilities) if probability > 0.0)
        for j, probability in enumerate(probabilities):
            cumulative += probability
            if v < cumulative:
                option = j
                break
        return option if option < len(self.aware) else NO_BRAND  # the outside option: none

    def record_purchase(self, brand: int, step: int) -> None:
        """Record this week's choice (-1: none): whoever buys a brand knows it and is reminded of
        it, and it becomes their ``last_brand``. The rolling window moves on: the slot of
        week ``step`` (slot (step - 1) mod scr_window) forgets the brand bought
        scr_window weeks ago (``recent`` of it - 1) and holds this week's (``recent`` + 1)."""
        self.choice, self.bought = brand, brand != NO_BRAND
        if self.bought:
            self.aware[brand] = True
            self.reinforced[brand] = True
            self.last_brand = brand
        slot = (step - 1) % len(self.history)
        if self.history[slot] != NO_BRAND:
            self.recent[self.history[slot]] -= 1
        self.history[slot] = brand
        if self.bought:
            self.recent[brand] += 1

    # --- 7.4 experience ----------------------------------------------------------------
    def experience_product(self, qualities: list[float]) -> None:
        """A buyer of brand b experiences x = clip(Q_b + quality_noise N(0, 1), -1, 1); with
        e the expectation of b before: s = clip(x + disconfirmation_weight (x - e), -1, 1);
        about b: a <- a + experience_attitude (s - a); e <- e + experience_expectation (x - e);
        L <- L + loyalty_gain s (1 - L) if s >= 0, L + loyalty_loss s L if s < 0;
        trust <- trust clip(1 - disappointment_trust max(e - x - disappointment_threshold, 0), 0, 1);
        purchases + 1; last satisfaction s. Non-buyers: experience and satisfaction NaN."""
        self.experience = math.nan
        self.satisfaction = math.nan
        if not self.bought:
            return
        p, b = self.params, self.choice
        x = clip(qualities[b] + p.quality_noise * self.rng.standard_normal(), -1.0, 1.0)
        e = self.expectation[b]
        s = clip(x + p.disconfirmation_weight * (x - e), -1.0, 1.0)
        self.attitude[b] += p.experience_attitude * (s - self.attitude[b])
        self.expectation[b] = e + p.experience_expectation * (x - e)
        if s >= 0:
            self.loyalty[b] += p.loyalty_gain * s * (1.0 - self.loyalty[b])
        else:  # losses loom larger (loyalty_loss > loyalty_gain)
            self.loyalty[b] += p.loyalty_loss * s * self.loyalty[b]
        overshoot = max((e - x) - p.disappointment_threshold, 0.0)
        self.trust[b] *= clip(1.0 - p.disappointment_trust * overshoot, 0.0, 1.0)
        self.purchases[b] += 1
        self.last_satisfaction[b] = s
        self.experience = x
        self.satisfaction = s

    # --- 7.5 word of mouth -------------------------------------------------------------
    def choose_topic(self, tie_draw: float) -> int:
        """The brand bought this week; else, among the brands the consumer knows, the one
        with the strongest attitude (largest |a|); on a tie one of the tied brands, each
        equally likely (``tie_draw``: a uniform, drawn for every consumer when there are
        several brands); -1 if none."""
        if self.bought:
            return self.choice
        known = [b for b in self.brands if self.aware[b]]
        if not known:
            return NO_BRAND
        strongest = max(abs(self.attitude[b]) for b in known)
        tied = [b for b in known if abs(self.attitude[b]) == strongest]
        return tied[math.floor(tie_draw * len(tied))]

    def decide_to_talk(self) -> None:
        """Topic as :meth:`choose_topic`. Impression m = satisfaction if bought this week,
        else the attitude to the topic; talk probability
        p = min(c (talk_base + talk_positive max(m, 0)^2 + talk_negative max(-m, 0)^2), 1)
        with c = 1 for buyers and talk_nonbuyer otherwise; only consumers with a topic talk.
        Also fixes what the consumer reports this week (``impression`` and ``reported``,
        the expectation about the topic now): private messages and public posts both carry
        this snapshot."""
        p = self.params
        tie_draw = self.rng.random() if len(self.brands) > 1 else 0.0
        self.topic = self.choose_topic(tie_draw)
        if self.topic == NO_BRAND:
            self.talked = False
            return
        m = self.satisfaction if self.bought else self.attitude[self.topic]
        self.impression = m
        self.reported = self.expectation[self.topic]
        chance = p.talk_base + p.talk_positive * max(m, 0.0) ** 2 + p.talk_negative * max(-m, 0.0) ** 2
        if not self.bought:
            chance *= p.talk_nonbuyer
        chance = min(chance, 1.0)
        self.talked = self.rng.random() < chance

    def tell_neighbours(self) -> list[Message]:
        """Reach each neighbour j with probability wom_reach w_ij (w = tie strength); each
        reached neighbour gets (topic, weight w_ij, valence = impression, content = reported)."""
        reach = self.params.wom_reach
        return [Message(neighbour, self.topic, strength, self.impression, self.reported)
                for neighbour, strength in self.ties.items()
                if self.rng.random() < reach * strength]

    # --- 7.6 social influence ----------------------------------------------------------
    def listen(self, messages: list[Message], brand: int) -> None:
        """Apply this week's inbox about ``brand`` at once (bounded confidence with resistance).

        Every message is judged against the attitude a to the brand before the inbox:
        w'_k = w_k resistance if |v_k - a| > confidence_bound, else w_k; W = sum w'_k;
        a <- a + (1 - (1 - wom_influence)^W) (v_bar - a),
        e <- e + (1 - (1 - wom_expectation)^W) (c_bar - e), with v_bar, c_bar the
        w'-weighted means. Hearing anything about the brand makes one aware of it and
        reminds one of it (even if W = 0).
        """
        p, b = self.params, brand
        a, e = self.attitude[b], self.expectation[b]
        weights = [m.weight * p.resistance if abs(m.valence - a) > p.confidence_bound else m.weight
                   for m in messages]
        self.aware[b] = True
        self.reinforced[b] = True
        total = sum(weights)
        if total <= 0:
            return
        v_bar = sum(w * m.valence for w, m in zip(weights, messages)) / total
        c_bar = sum(w * m.content for w, m in zip(weights, messages)) / total
        self.attitude[b] = pull(a, v_bar, p.wom_influence, total)
        self.expectation[b] = pull(e, c_bar, p.wom_expectation, total)

    # --- 7.7 public record -------------------------------------------------------------
    def notice_post(self, aware: bool) -> bool:
        """Notice a read post about a brand: always if ``aware`` of it, else with probability
        post_attention (no draw when every post is noticed)."""
        attention = self.params.post_attention
        return aware or attention >= 1.0 or self.rng.random() < attention

    def read_posts(self, posts: list[Post]) -> None:
        """Read this week's posts (drawn by the model) as messages from strangers; each post
        is about one brand and moves only the reader's state about that brand.

        A post about a brand the reader was not aware of before reading is noticed with
        probability post_attention (one uniform per such post, none if post_attention = 1);
        an unnoticed post has no effect at all. The noticed posts:

        weight = stranger_weight_<segment>; valence = sentiment, damped by
        (1 - resolved_damping) for a resolved complaint; content = the reply's claim if the
        brand replied and the author did not expose spin, else the post's content. The
        messages about each brand form one inbox (:meth:`listen`). Then, per brand,
        trust <- (1 - (1 - trust)(1 - g)^n_good) (1 - g)^n_spin, g = reply_trust_gain,
        n_good / n_spin = honest / exposed-as-spin replies of that brand read. Then, per brand,
        each scandal post read costs trust (ODD 7.12): trust <- trust (1 - h)^n (1 - h (1 - resolved_damping))^m,
        h = scandal_trust_hit, n / m = unresolved / resolved scandal posts of that brand read.
        """
        p = self.params
        weight = p.stranger_weight_immigrant if self.is_immigrant else p.stranger_weight_native
        inbox: dict[int, list[Message]] = defaultdict(list)
        n_good: Counter[int] = Counter()
        n_spin: Counter[int] = Counter()
        n_scandal: Counter[int] = Counter()
        n_scandal_resolved: Counter[int] = Counter()
        aware_before = list(self.aware)  # noticing is judged before any post acts
        for post in posts:
            if not self.notice_post(aware_before[post.brand]):
                continue  # a post about a brand one does not know, not noticed: no effect
            valence = post.sentiment
            if post.resolved and post.complaint:
                valence *= 1.0 - p.resolved_damping
            honest_reply = post.replied and not post.spin
            content = post.reply_claim if honest_reply else post.content
            inbox[post.brand].append(Message(self, post.brand, weight, valence, content))
            n_good[post.brand] += honest_reply
            n_spin[post.brand] += post.replied and post.spin
            if post.scandal:
                if post.resolved:
                    n_scandal_resolved[post.brand] += 1
                else:
                    n_scandal[post.brand] += 1
        for b, messages in inbox.items():
            self.listen(messages, b)
            if n_good[b] or n_spin[b]:  # trust moves only for those who saw a reply
                g = p.reply_trust_gain
                self.trust[b] = (1.0 - (1.0 - self.trust[b]) * (1.0 - g) ** n_good[b]) * (1.0 - g) ** n_spin[b]
            if n_scandal[b] or n_scandal_resolved[b]:
                h = p.scandal_trust_hit
                damped = 1.0 - h * (1.0 - p.resolved_damping)
                self.trust[b] *= (1.0 - h) ** n_scandal[b] * damped ** n_scandal_resolved[b]

    def post_sentiment(self) -> float:
        """The sentiment of a post this week: the impression, shifted by reply_post_positivity
        (clipped to -1..1) if the topic brand has answered one of one's posts before."""
        if self.answered[self.topic]:
            return clip(self.impression + self.params.reply_post_positivity, -1.0, 1.0)
        return self.impression

    def decide_to_post(self) -> bool:
        """An online talker posts with probability post_prob, times 1 + reply_post_boost if
        the topic brand has answered them before, and times a further 1 + complaint_invite
        for a complaint (post sentiment < 0) if the brand has answered a complaint of
        theirs; at most 1."""
        if not (self.talked and self.online):
            return False
        p, b = self.params, self.topic
        chance = p.post_prob
        if self.answered[b]:
            chance *= 1.0 + p.reply_post_boost
            if self.answered_complaint[b] and self.post_sentiment() < 0.0:
                chance *= 1.0 + p.complaint_invite
        return self.rng.random() < min(chance, 1.0)

    def post_about_scandal(self, step: int, brand: int) -> Post:
        """A scandal post about ``brand`` (ODD 7.12): sentiment -scandal_sentiment, content
        = one's expectation of the brand (the post is about its conduct, not its product); its
        reach is one's expected reach (reach_scale, no draw), as for a backlash post."""
        return Post(self, brand, -self.params.scandal_sentiment, self.expectation[brand], step,
                    self.reach_scale, scandal=True)

    def post(self, step: int) -> Post:
        """A post about the topic: sentiment :meth:`post_sentiment`, content = the reported
        expectation; its reach = reach_scale x exp(reach_tail z - reach_tail^2 / 2), z a
        standard normal (drawn only if reach_tail > 0)."""
        s = self.params.reach_tail
        reach = self.reach_scale * math.exp(s * self.rng.standard_normal() - 0.5 * s * s) if s > 0 else self.reach_scale
        return Post(self, self.topic, self.post_sentiment(), self.reported, step, reach)

    # --- 7.8 dialogue ------------------------------------------------------------------
    def receive_replies(self, posts: list[Post], reply_claim: float, brand: int) -> None:
        """Effects of this week's replies of ``brand`` to one's own posts about it,
        aggregated (applied in order, all about that brand):

        a <- pull(a, 1, recovery_attitude, n_res); a <- pull(a, -backlash_sentiment, backlash_trust, n_det);
        trust <- pull(trust, 1, recovery_trust, n_res); pull(trust, 1, conversation_trust, n_conv);
        trust <- trust (1 - backlash_trust)^n_det;
        L <- pull(L, 1, recovery_loyalty, n_res); pull(L, 1, conversation_loyalty, n_conv);
        e <- pull(e, reply_claim, reply_expectation, n_inf)
        with n_res resolved complaints, n_det replies exposed as spin, n_conv replies to
        non-complaints, n_inf replies not exposed as spin. From now on one has been
        ``answered`` by the brand (and ``answered_complaint`` if a complaint was among the
        posts), which changes one's later posts about it (:meth:`decide_to_post`).
        """
        p, b = self.params, brand
        n_res = sum(post.resolved for post in posts)
        n_det = sum(post.spin for post in posts)
        n_conv = sum(not post.complaint for post in posts)
        n_inf = len(posts) - n_det
        self.answered[b] = True  # later posts about b change (7.7)
        self.answered_complaint[b] = self.answered_complaint[b] or any(post.complaint for post in posts)
        self.attitude[b] = pull(self.attitude[b], 1.0, p.recovery_attitude, n_res)
        self.attitude[b] = pull(self.attitude[b], -p.backlash_sentiment, p.backlash_trust, n_det)
        self.trust[b] = pull(self.trust[b], 1.0, p.recovery_trust, n_res)
        self.trust[b] = pull(self.trust[b], 1.0, p.conversation_trust, n_conv)
        self.trust[b] *= (1.0 - p.backlash_trust) ** n_det
        self.loyalty[b] = pull(self.loyalty[b], 1.0, p.recovery_loyalty, n_res)
        self.loyalty[b] = pull(self.loyalty[b], 1.0, p.conversation_loyalty, n_conv)
        self.expectation[b] = pull(self.expectation[b], reply_claim, p.reply_expectation, n_inf)

    def post_backlash(self, step: int, brand: int) -> Post:
        """After exposing ``brand``'s spin: a post about it with sentiment -backlash_sentiment
        and content = the (already updated) expectation; its reach is one's expected reach
        (reach_scale, no draw)."""
        return Post(self, brand, -self.params.backlash_sentiment, self.expectation[brand], step,
                    self.reach_scale)

    # --- 7.9 forgetting ----------------------------------------------------------------
    def forget_brands(self) -> None:
        """For each brand: a <- a + attitude_decay (a0 - a);
        trust <- trust + trust_decay (trust0 - trust) (trust0: the segment's initial trust);
        L <- L (1 - loyalty_decay); r <- r (1 - irritation_decay); a known brand that nothing
        recalled this week is forgotten with probability awareness_decay; unfollow the page
        of a brand one dislikes (a < 0) or forgot."""
        p = self.params
        for b in self.brands:
            self.attitude[b] += p.attitude_decay * (self.attitude0[b] - self.attitude[b])
            self.trust[b] += p.trust_decay * (self.trust0 - self.trust[b])
            self.loyalty[b] *= 1.0 - p.loyalty_decay
            self.irritation[b] *= 1.0 - p.irritation_decay
            if self.aware[b] and not self.reinforced[b] and p.awareness_decay > 0:
                self.aware[b] = not self.rng.random() < p.awareness_decay
            self.follower[b] = self.follower[b] and self.attitude[b] >= 0.0 and self.aware[b]

    # --- NPS survey --------------------------------------------------------------------
    def answer_survey(self, rng: np.random.Generator) -> int:
        """"How likely are you to recommend the (focal) brand?", 0..10:
        round(nps_intercept + nps_satisfaction s + nps_loyalty L + nps_noise z) (halves up),
        limited to 0..10; s the last satisfaction with the brand, L the loyalty to it, z a
        standard normal response noise drawn from ``rng`` (the survey's stream)."""
        p = self.params
        latent = (p.nps_intercept + p.nps_satisfaction * self.last_satisfaction[0]
                  + p.nps_loyalty * self.loyalty[0] + p.nps_noise * rng.standard_normal())
        return min(max(math.floor(latent + 0.5), 0), 10)


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------
class ReferenceModel(RunMixin, mesa.Model):
    """The per-agent twin of :class:`simulation.core.model.WordOfMouthModel`.

    Same constructor (``params``, ``rng=``, ``collect_agents=``, ``graph=``, ``on_stage=``,
    ``**overrides``) and the same surface the metrics and the runner use: ``params``,
    ``steps``, ``state`` (refreshed from the agents before each data collection),
    ``tally``, ``record``, ``datacollector``, ``run``, ``timeseries``, ``n_consumers``,
    ``graph``, ``space``, ``brands`` (focal first), ``brand`` (the focal one), both this
    week's, ``planned_brands`` and ``flights`` (the spend schedule, shared with the engine),
    ``survey_rng``. ``consumers`` lists the agents in index order.

    The agents hold the state; ``state`` is a copy made for the metrics, so to change a
    consumer (e.g. set initial attitudes), assign to the agent, not to ``state``.
    """

    def __init__(self, params: Params | Mapping[str, Any] | None = None, *, rng=None,
                 collect_agents: bool = False, graph: tuple[nx.Graph, np.ndarray] | None = None,
                 on_stage: StageListener | None = None, **overrides: Any) -> None:
        super().__init__(rng=rng)
        self.params = p = resolve_params(params, overrides)
        # Input, built exactly as in the engine (same draws in the same order), so that the
        # same seed gives the same graph, segments, initial state and brands.
        self.graph, self.adjacency, initial, self.brands = model_inputs(p, self.rng, graph, on_stage)
        self.brand: Brand = self.brands[0]
        self.qualities = [brand.quality for brand in self.brands]
        self.survey_rng = self.rng.spawn(1)[0]  # as the engine: the survey's own stream
        # as the engine: the Goldenberg adoption's own stream (common random numbers, ODD 7.3)
        self.adoption_rng = self.rng.spawn(1)[0] if p.purchase_model == "goldenberg" else None
        self.planned_brands = self.brands  # as the engine: the same spend schedule (an input)
        self.flights = FlightPlan(p, self.rng)
        n = initial.n
        self.record = PublicRecord(p.record_capacity)
        self.tally = Tally()

        with stage(f"agents ({n:,} reference agents and their ties)", on_stage):
            self.space = Network(self.graph, layout=None, random=self.random)
            self.consumers = [ReferenceConsumer(self, i, self.space[i], initial) for i in range(n)]
            adj = self.adjacency
            for c in self.consumers:
                if isinstance(adj, MeanFieldAdjacency):
                    c.ties = AllOthers(c, self.consumers)
                else:
                    row = slice(adj.indptr[c.index], adj.indptr[c.index + 1])
                    c.ties = {self.consumers[j]: w for j, w in zip(adj.indices[row].tolist(),
                                                                   adj.weight[row].tolist())}
            if p.reach_degree > 0:  # (1 + degree)^reach_degree relative to its mean over consumers
                raw = [(1.0 + len(c.ties)) ** p.reach_degree for c in self.consumers]
                mean = sum(raw) / n
                for c, r in zip(self.consumers, raw):
                    c.reach_scale = r / mean

        self._dtypes = {f.name: getattr(initial, f.name).dtype for f in fields(ConsumerState)}
        self.state = initial
        self.datacollector = mesa.DataCollector(
            model_reporters=model_reporters(),
            agent_reporters=AGENT_REPORTERS if collect_agents else None,
        )
        self.collect()

    @property
    def n_consumers(self) -> int:
        return len(self.consumers)

    # --- the week ----------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the engine's order (docs/ODD.md section 3).

        Synchronous updating: in processes where consumers interact (fan page reach,
        purchase in the Bass model, word of mouth, reading, dialogue) everybody decides on
        the state as it was when the process started (phase 1, intentions and messages
        collected in lists) before anything is changed (phase 2). Where a consumer's update
        reads only their own state (going online, choosing a brand, experience, choosing to
        talk, posting, forgetting), deciding and applying in one pass over consumers is the
        same thing. Channels run brand by brand, focal brand first.
        """
        t, p, tally = self.steps, self.params, self.tally
        self.brands = self.flights.brands_at(self.planned_brands, t)        # 0. this week's budgets
        self.brand = self.brands[0]
        for c in self.consumers:                                            # 1. online draw
            c.go_online()
        for b, brand in enumerate(self.brands):                             # 2. broadcast
            delivered = self.broadcast(b, brand, t)
            if b == 0:
                tally.impressions = delivered
        for b, brand in enumerate(self.brands):                             # 3. fan page
            views, paid, free, fans = self.fanpage(b, brand)
            if b == 0:
                focal_paid_views = paid
                tally.organic_views, tally.page_followers = free, fans
        self.purchase(t)                                                    # 4. purchase
        qualities = self.qualities_in_week(t)  # lowered by an active defect (ODD 7.12)
        for c in self.consumers:                                            # 5. experience
            c.experience_product(qualities)
        for c in self.consumers:                                            # 6. choose talkers
            c.decide_to_talk()
        tally.wom_positive, tally.wom_negative = self.word_of_mouth()       # 7.
        self.read_public_record(t)                                          # 8.
        focal_posts_before = self.record.brand_posts(0)
        self.post_publicly(t)                                               # 9.
        self.scandal_posts(t)                                               # 9b. events
        for b, brand in enumerate(self.brands):                             # 10. dialogue
            replies = self.dialogue(t, b, brand)
            if b == 0:
                tally.replies = replies[0]
                tally.replies_total += replies[0]
                tally.capacity_total += replies[1]
        tally.posts = self.record.brand_posts(0) - focal_posts_before
        for c in self.consumers:                                            # 11. forgetting
            c.forget_brands()
        if t % p.nps_every == 0:                                            # 12. NPS survey
            tally.nps, tally.nps_low, tally.nps_high, tally.nps_respondents = self.nps_survey()
        tally.spend_week = self.spend(focal_paid_views, tally.replies)       # 13. money (focal)
        tally.spend += tally.spend_week
        tally.revenue += p.margin * tally.purchases
        self.collect()                                                      # 14. data

    # --- 7.12 events ------------------------------------------------------------------
    def qualities_in_week(self, now: int) -> list[float]:
        """Q_b this week: lowered by the size of every active defect of b, at least -1."""
        qualities = list(self.qualities)
        for event in self.params.events:
            if event.kind == "defect" and event.active(now):
                qualities[event.brand] = max(qualities[event.brand] - event.size, -1.0)
        return qualities

    def scandal_active(self, b: int, now: int) -> bool:
        return any(event.kind == "scandal" and event.brand == b and event.active(now)
                   for event in self.params.events)

    def reactance_threshold(self, b: int, now: int) -> float:
        """reactance_threshold, times scandal_reactance while a scandal about brand b is active."""
        p = self.params
        return p.reactance_threshold * (p.scandal_reactance if self.scandal_active(b, now) else 1.0)

    def scandal_posts(self, now: int) -> int:
        """For each active scandal (in the order of params.events): every online consumer, in
        index order, writes a scandal post about its brand with probability size. Returns the
        number of posts."""
        written = 0
        for event in self.params.events:
            if event.kind != "scandal" or not event.active(now):
                continue
            for c in self.consumers:
                if c.online and self.rng.random() < event.size:
                    self.record.add(c.post_about_scandal(now, event.brand))
                    written += 1
        return written

    def broadcast(self, b: int, brand: Brand, now: int = 0) -> int:
        """Brand b buys stochastic_round(broadcast_budget) impressions and gives each to a
        consumer drawn with probability proportional to media exposure (1 for natives,
        media_exposure_immigrant for immigrants): a multinomial, one impression at a time.
        Then each consumer notices some of their k impressions (:meth:`ReferenceConsumer.notice_ads`)
        and meets the noticed ones. Returns the number of impressions (noticed or not)."""
        if brand.broadcast_budget <= 0:
            return 0
        p, rng = self.params, self.rng
        n_impressions = stochastic_round(brand.broadcast_budget, rng)
        exposure = [p.media_exposure_immigrant if c.is_immigrant else 1.0 for c in self.consumers]
        cumulative = list(accumulate(exposure))
        total = cumulative[-1]
        if n_impressions == 0 or total <= 0:
            return 0
        received: Counter[ReferenceConsumer] = Counter()                     # phase 1
        for _ in range(n_impressions):
            # inverse CDF: consumer i owns [cumulative[i-1], cumulative[i]) of [0, total)
            i = bisect.bisect_right(cumulative, rng.random() * total)
            received[self.consumers[min(i, len(cumulative) - 1)]] += 1
        threshold = self.reactance_threshold(b, now)  # the brand's this week, for every consumer
        for consumer, k in received.items():                                 # phase 2
            noticed = consumer.notice_ads(k)
            if noticed > 0:  # an unnoticed ad neither persuades nor irritates nor reminds
                consumer.receive_impressions(noticed, brand.ad_claim, b, threshold)
        return n_impressions

    def fanpage(self, b: int, brand: Brand) -> tuple[int, int]:
        """Skipped for a brand without a page, and for a page with neither budget nor organic
        reach. New followers of brand b's page (decided on the snapshot, then applied). Each
        online follower meets each of the fanpage_posts posts of the week: seen for free with
        probability organic_reach (one draw per post; none at organic_reach = 0); the posts
        not seen so make the demand for paid views; supply = stochastic_round(fanpage_budget)
        (drawn only with a budget and a demand); if supply < demand exactly supply of them
        are shown, chosen uniformly at random (selection sampling over the unseen views). A
        follower shown no post is not reminded. Returns
        (views, paid views, free views, followers online or not)."""
        p, rng = self.params, self.rng
        if not brand.has_page or (brand.fanpage_budget <= 0 and p.organic_reach <= 0):
            return 0, 0, 0, 0
        newcomers = [c for c in self.consumers if c.follow_page(b)]          # phase 1
        for c in newcomers:                                                  # phase 2
            c.follower[b] = True
        fans = sum(1 for c in self.consumers if c.follower[b])
        audience = [c for c in self.consumers if c.follower[b] and c.online]
        if not audience or p.fanpage_posts == 0:
            return 0, 0, 0, fans
        free = [0] * len(audience)
        if p.organic_reach > 0:
            free = [sum(rng.random() < p.organic_reach for _ in range(p.fanpage_posts)) for _ in audience]
        unseen = [p.fanpage_posts - f for f in free]
        demand = sum(unseen)
        paid = [0] * len(audience)
        if brand.fanpage_budget > 0 and demand > 0:
            supply = stochastic_round(brand.fanpage_budget, rng)
            if supply >= demand:
                paid = unseen
            else:  # exactly `supply` of the demand unseen views, each set equally likely (selection sampling)
                wanted, left = supply, demand
                paid = []
                for u in unseen:
                    shown = 0
                    for _ in range(u):
                        if rng.random() * left < wanted:
                            shown += 1
                            wanted -= 1
                        left -= 1
                    paid.append(shown)
        for c, f, k in zip(audience, free, paid):
            if f + k > 0:
                c.see_page_posts(f + k, brand.quality, b)  # the page always states Q
        return sum(free) + sum(paid), sum(paid), sum(free), fans

    def spend(self, paid_views: int, replies: int) -> float:
        """The focal brand's spend this week: its whole budget with pay_unused_capacity;
        otherwise the broadcast budget, 1 per paid page view and reply_cost per reply (what
        is not used is not spent, docs/ODD.md section 9)."""
        p, brand = self.params, self.brand
        if p.pay_unused_capacity:
            return brand.broadcast_budget + brand.fanpage_budget + brand.dialogue_budget
        return brand.broadcast_budget + paid_views + replies * p.reply_cost

    def purchase(self, step: int) -> None:
        """Everybody chooses on the snapshot (the Bass hazard reads the neighbours'
        purchases), then the choices are recorded. Counts into the tally: purchases of the
        focal brand and of any brand; among the buyers, those whose previous purchase was
        the focal brand, how many of them bought it again (repeat) or another (defected);
        occasions, and those on which the consumer consulted the record."""
        seeds: list[int] = []
        if self.params.purchase_model == "goldenberg":                      # phase 0
            for c in self.consumers:
                c.meet_weak_contacts(self.consumers)
            if step == 1:  # the seeding program: drawn whatever seed_share, given after the choices
                n = len(self.consumers)
                seeds = self.adoption_rng.permutation(n)[:round(self.params.seed_share * n)].tolist()
        choices = [c.choose_brand(step) for c in self.consumers]             # phase 1
        for i in seeds:
            choices[i] = 0
        tally = self.tally
        tally.occasions = sum(c.occasion for c in self.consumers)
        tally.consultations = sum(c.consulted for c in self.consumers)
        tally.purchases = tally.category_purchases = 0
        tally.repeat_purchases = tally.previous_focal = tally.defections = 0
        for c, brand in zip(self.consumers, choices):                        # phase 2
            if brand != NO_BRAND:
                was_focal = c.last_brand == 0
                tally.category_purchases += 1
                tally.purchases += brand == 0
                tally.previous_focal += was_focal
                tally.repeat_purchases += was_focal and brand == 0
                tally.defections += was_focal and brand != 0
            c.record_purchase(brand, step)

    def word_of_mouth(self) -> tuple[int, int]:
        """Talkers send messages about their topics from the snapshot (phase 1); each
        listener then applies its whole inbox about each brand at once (phase 2). Returns
        delivered messages with valence > 0 and < 0 (about any brand)."""
        messages: list[Message] = []
        for talker in self.consumers:                                        # phase 1
            if talker.talked:
                messages.extend(talker.tell_neighbours())
        inbox: dict[tuple[ReferenceConsumer, int], list[Message]] = defaultdict(list)
        for m in messages:
            inbox[m.listener, m.brand].append(m)
        for (listener, brand), received in inbox.items():                    # phase 2
            listener.listen(received, brand)
        return (sum(m.valence > 0 for m in messages), sum(m.valence < 0 for m in messages))

    def read_public_record(self, now: int) -> int:
        """The record as it stood at the end of last week is read n ~ Poisson(post_reach
        sum_k w_k) times, w_k = :meth:`PublicRecord.visibility` (recency x reach x reply
        boost), over the posts about every brand; each read pairs a reader drawn uniformly
        (with replacement) from the online consumers with a post drawn with probability
        w_k / sum w. Each reader then reads all their posts at once. Returns n."""
        p, rng = self.params, self.rng
        online = [c for c in self.consumers if c.online]
        posts = list(self.record.posts)
        if not posts or not online or p.post_reach == 0:
            return 0
        cumulative = list(accumulate(self.record.visibility(post, now, p) for post in posts))
        total = cumulative[-1]
        n_reads = int(rng.poisson(p.post_reach * total))
        reading: dict[ReferenceConsumer, list[Post]] = defaultdict(list)
        for _ in range(n_reads):                                             # phase 1
            reader = online[int(rng.integers(len(online)))]
            k = bisect.bisect_right(cumulative, rng.random() * total)
            post = posts[min(k, len(posts) - 1)]
            post.reads += 1
            reading[reader].append(post)
        for reader, posts_read in reading.items():                           # phase 2
            reader.read_posts(posts_read)
        return n_reads

    def post_publicly(self, now: int) -> int:
        """Online talkers post about their topic with probability post_prob. Returns the
        number of posts."""
        posters = [c for c in self.consumers if c.decide_to_post()]
        for c in posters:
            self.record.add(c.post(now))
        return len(posters)

    def reply_order(self, now: int, brand: int = 0) -> list[Post]:
        """Open posts about ``brand`` (unanswered, now - step <= reply_window) in the order
        the brand answers them: complaints first, most negative first, then newest first;
        then the others, newest first. "Newest" is the order of writing (``seq``), which
        breaks every tie."""
        window = self.params.reply_window
        open_posts = [post for post in self.record.posts
                      if post.brand == brand and not post.replied and now - post.step <= window]

        def priority(post: Post) -> tuple:
            if post.complaint:
                return (0, post.sentiment, -post.seq)
            return (1, 0.0, -post.seq)

        return sorted(open_posts, key=priority)

    def dialogue(self, now: int, b: int, brand: Brand) -> int:
        """Skipped without a dialogue budget. Brand b answers the first
        stochastic_round(dialogue_budget / reply_cost) posts of :meth:`reply_order`.

        Per answered post: spin is detected (only in a complaint, only if the reply's claim
        is not Q) with probability spin_detection (1 - honesty); an undetected complaint is
        resolved with probability resolve_prob. Authors then apply their replies
        (:meth:`ReferenceConsumer.receive_replies`), and each detected spin adds a backlash
        post about the brand. Returns (replies, capacity).
        """
        if brand.dialogue_budget <= 0:
            return 0, 0
        p, rng = self.params, self.rng
        capacity = stochastic_round(brand.dialogue_budget / p.reply_cost, rng)
        chosen = self.reply_order(now, b)[:capacity]
        if not chosen:
            return 0, capacity
        spun = brand.reply_claim != brand.quality  # a reply that states Q cannot be spin
        p_detect = p.spin_detection * (1.0 - p.honesty) if spun else 0.0
        replies: dict[ReferenceConsumer, list[Post]] = defaultdict(list)
        for post in chosen:                                                  # phase 1
            detected = post.complaint and p_detect > 0 and rng.random() < p_detect
            resolved = post.complaint and not detected and rng.random() < p.resolve_prob
            post.replied, post.reply_claim = True, brand.reply_claim
            post.resolved, post.spin = resolved, detected
            replies[post.author].append(post)
        self.record.total_replies += len(chosen)
        self.record.answered_about[b] += len(chosen)
        self.record.resolved_about[b] += sum(post.resolved for post in chosen)
        for author, answered in replies.items():                             # phase 2
            author.receive_replies(answered, brand.reply_claim, b)
        for post in chosen:  # backlash, in reply order, after the authors' updates
            if post.spin:
                self.record.add(post.author.post_backlash(now, b))
        return len(chosen), capacity

    def nps_survey(self) -> Survey:
        """Ask nps_sample of the focal brand's recent customers (bought it in the last
        scr_window weeks), drawn without replacement from them in index order (all of them
        if fewer), on the survey's own stream; :func:`net_promoter_score` of the answers."""
        rng = self.survey_rng
        customers = [c for c in self.consumers if c.recent[0] > 0]
        if len(customers) > self.params.nps_sample:
            picked = rng.choice(len(customers), size=self.params.nps_sample, replace=False)
            customers = [customers[int(i)] for i in picked]
        return net_promoter_score([c.answer_survey(rng) for c in customers])

    # --- observation -------------------------------------------------------------------
    def refresh_state(self) -> None:
        """Copy the consumers' attributes into ``self.state`` (index order; per-brand lists
        become (N, B) arrays, the windows a (scr_window, N) array), the container the metric
        functions of :mod:`simulation.core.metrics` read."""
        columns = {name: [getattr(c, name) for c in self.consumers] for name in self._dtypes}
        columns["history"] = list(zip(*columns["history"]))  # (N, window) -> (window, N)
        self.state = ConsumerState(**{name: np.array(columns[name], dtype=dtype)
                                      for name, dtype in self._dtypes.items()})

    def collect(self) -> None:
        self.refresh_state()
        self.datacollector.collect(self)

