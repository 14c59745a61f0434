"""The per-agent reference implementation: the rules of docs/ODD.md, one consumer at a time.

What it is for
--------------
* **Reading in class.** Every rule of docs/ODD.md (sections 3 and 7) is a short method of
  :class:`ReferenceConsumer` (what one consumer decides and how it changes) or of
  :class:`ReferenceModel` (the order of the week and what the brand does), written with
  plain Python floats and :mod:`math`. Where the vectorised engine
  (:class:`simulation.core.model.WordOfMouthModel`) uses a closed form or an array trick, this
  module does the literal thing: impressions are handed out one at a time, a consumer
  meets its exposures one by one, talkers send messages that land in their listeners'
  inboxes, readers pick posts from a list.
* **The test oracle.** ``tests/test_reference.py`` checks that the engine and this module
  agree: exactly where the rules are deterministic, in distribution (Welch t-tests on every
  metric) everywhere else. A bug in either shows up as a disagreement.

It is slow on purpose: Python loops over consumers, ties and messages. On a Barabasi-Albert
graph of mean degree 10 with ``strategy = mixed`` a week takes about 6-8 ms at N = 300 (the
engine about 1.5 ms, mostly fixed overhead) and 0.1-0.3 s at N = 10,000 (about 45 times the
engine). On an implicit complete graph (``complete`` above 1,000 consumers) word of mouth
costs N - 1 draws per talker. Select it with ``--set engine=reference``::

    python run.py simulate --set engine=reference --set n_consumers=300 --steps 26

or ``Params(engine="reference")`` through :func:`simulation.research.tasks.create_model`.

Shared with the engine, and why
-------------------------------
Only inputs and outputs: the parameters (:class:`~simulation.core.params.Params`), the graph
(:func:`~simulation.core.network.build_graph`; tie strengths from
:func:`~simulation.core.network.to_adjacency`), the initial values
(:meth:`ConsumerState.initial <simulation.core.state.ConsumerState.initial>`, so the same seed
gives the same step 0), the brand's budget split and claims
(:meth:`Brand.from_params <simulation.core.brand.Brand.from_params>`), and the metrics
(:mod:`simulation.core.metrics` with its :class:`~simulation.core.metrics.Tally`; before every
collection the consumers' attributes are copied into a :class:`ConsumerState`, used here
only as the container the metric functions read). No process is shared: nothing from
``simulation.core.processes`` is imported; the public record is this module's own
:class:`PublicRecord`; :func:`stochastic_round` is written here (same semantics as
``simulation.core.state.stochastic_round``).

Randomness: the model's numpy Generator ``self.rng`` is the only source (no :mod:`random`),
one scalar draw per decision, in consumer order; a draw whose outcome is certain (an unaware
consumer deciding to talk) is skipped. The engine draws whole arrays in another order, so
with the same seed the two start from the same state (step 0) and then follow different but
equally likely paths.

Examples
--------
>>> model = ReferenceModel({"n_consumers": 100, "strategy": "mixed"}, rng=1)
>>> model.run(3)
>>> df = model.timeseries()
>>> int(df["step"].iloc[-1]), float(df["spend"].iloc[-1])
(3, 300.0)
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from itertools import accumulate
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from simulation.core.inputs import model_inputs, resolve_params
from simulation.core.metrics import Tally, model_reporters
from simulation.core.network import MeanFieldAdjacency
from simulation.core.params import Params
from simulation.core.progress import StageListener, stage
from simulation.core.running import RunMixin
from simulation.core.state import IMMIGRANT, ConsumerState

#: Agent-level outputs (``collect_agents=True``), the same names the engine collects.
AGENT_REPORTERS = {name: name for name in ("aware", "attitude", "expectation", "trust",
                                           "loyalty", "purchases", "follower", "segment")}


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


def sigmoid(z: float) -> float:
    """1 / (1 + e^-z)."""
    return 1.0 / (1.0 + math.exp(-z))


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
    weight: float   # tie strength, or the stranger weight of a public post
    valence: float  # the sender's impression, -1..1
    content: float  # the quality the sender reports (their expectation, or a reply's claim)


@dataclass(eq=False, slots=True)
class Post:
    """A public post and, once the brand answers, its reply."""

    author: ReferenceConsumer
    sentiment: float   # the author's impression, -1..1
    content: float     # the quality the author reports
    step: int          # week written
    seq: int = 0       # order of writing, over all time (breaks ties: "newest first")
    replied: bool = False
    reply_claim: float = 0.0
    resolved: bool = False  # a complaint the reply resolved
    spin: bool = False      # the author detected spin in the reply and exposed it

    @property
    def complaint(self) -> bool:
        return self.sentiment < 0.0


class PublicRecord:
    """The last ``capacity`` public posts (older ones drop out) and two running totals."""

    def __init__(self, capacity: int) -> None:
        self.posts: deque[Post] = deque(maxlen=int(capacity))  # oldest first
        self.total_posts = 0
        self.total_replies = 0

    def __len__(self) -> int:
        return len(self.posts)

    @property
    def capacity(self) -> int:
        return self.posts.maxlen

    def add(self, post: Post) -> None:
        post.seq = self.total_posts
        self.posts.append(post)  # a full deque drops its oldest post
        self.total_posts += 1

    @staticmethod
    def recency_weight(post: Post, now: int, recency: float) -> float:
        """w = exp(-(now - step) / recency): this week's posts weigh 1."""
        return math.exp(-(now - post.step) / recency)

    def mean_sentiment(self, now: int, recency: float) -> float:
        """sum_k w_k sentiment_k / sum_k w_k over the posts kept; 0 for an empty record
        (the metric ``public_sentiment``)."""
        if not self.posts:
            return 0.0
        # Relative to the newest post, as the engine: the same mean, no 0 / 0 for old posts.
        newest = self.posts[-1].step  # the deque is oldest first
        weights = [self.recency_weight(post, newest, recency) for post in self.posts]
        mean = sum(w * post.sentiment for w, post in zip(weights, self.posts)) / sum(weights)
        return min(1.0, max(-1.0, mean))


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

    Persistent: ``segment``, ``aware``, ``attitude0`` (baseline), ``attitude``,
    ``expectation``, ``trust``, ``irritation``, ``loyalty``, ``purchases``, ``follower``.
    This week: ``online``, ``bought``, ``experience``, ``satisfaction`` (NaN unless bought),
    ``talked``, and what the consumer reports if they talk: ``impression`` and ``reported``.
    ``ties`` maps each neighbour to the tie strength.
    """

    def __init__(self, model: ReferenceModel, index: int, cell, initial: ConsumerState) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell
        self.segment = int(initial.segment[index])
        self.aware = bool(initial.aware[index])
        self.attitude0 = float(initial.attitude0[index])
        self.attitude = float(initial.attitude[index])
        self.expectation = float(initial.expectation[index])
        self.trust = float(initial.trust[index])
        self.irritation = float(initial.irritation[index])
        self.loyalty = float(initial.loyalty[index])
        self.purchases = int(initial.purchases[index])
        self.follower = bool(initial.follower[index])
        self.online = bool(initial.online[index])
        self.bought = bool(initial.bought[index])
        self.experience = float(initial.experience[index])
        self.satisfaction = float(initial.satisfaction[index])
        self.talked = bool(initial.talked[index])
        self.impression = 0.0
        self.reported = 0.0
        self.ties: Mapping[ReferenceConsumer, float] = {}

    @property
    def params(self) -> Params:
        return self.model.params

    @property
    def rng(self) -> np.random.Generator:
        return self.model.rng

    @property
    def is_immigrant(self) -> bool:
        return self.segment == IMMIGRANT

    # --- 7.0 online --------------------------------------------------------------------
    def go_online(self) -> None:
        """online <- U < online_<segment>."""
        p = self.params
        chance = p.online_immigrant if self.is_immigrant else p.online_native
        self.online = self.rng.random() < chance

    # --- 7.1 broadcast -----------------------------------------------------------------
    def receive_impressions(self, k: int, claim: float) -> None:
        """Meet this week's k ad exposures one by one.

        The j-th exposure (j = 0, 1, ...) meets irritation r + j. While r + j <=
        reactance_threshold it persuades with weight w_j = exp(-(r + j) / wearout):
        a <- a + (1 - (1 - min(ad_effect trust, 1))^w_j) (claim - a), likewise e with
        ad_expectation_effect. Beyond the threshold it is reactant:
        a <- clip(a - reactance_attitude, -1, 1), trust <- trust (1 - reactance_trust).
        Finally r <- r + k and the consumer is aware. Because irritation only grows within
        the week, all persuasive exposures come before all reactant ones, so trust is
        unchanged while persuading; this equals the engine's closed form (ODD 7.1).
        """
        p = self.params
        r = self.irritation
        for j in range(k):
            level = r + j
            if level <= p.reactance_threshold:
                weight = math.exp(-level / p.wearout)
                self.attitude = pull(self.attitude, claim, min(p.ad_effect * self.trust, 1.0), weight)
                self.expectation = pull(self.expectation, claim,
                                        min(p.ad_expectation_effect * self.trust, 1.0), weight)
            else:
                self.attitude = clip(self.attitude - p.reactance_attitude, -1.0, 1.0)
                self.trust *= 1.0 - p.reactance_trust
        self.irritation = r + k
        self.aware = True

    # --- 7.2 fan page ------------------------------------------------------------------
    def follow_page(self) -> bool:
        """Decide to follow: online, aware, not yet a follower, attitude >= follow_threshold,
        then with probability follow_prob."""
        p = self.params
        if not (self.online and self.aware and not self.follower and self.attitude >= p.follow_threshold):
            return False
        return self.rng.random() < p.follow_prob

    def see_page_posts(self, k: int, claim: float) -> None:
        """Each of k page posts pulls like a fresh ad scaled by fanpage_effect, without
        wear-out, reactance or irritation (followers chose the page):
        a <- clip(a + min(ad_effect fanpage_effect trust, 1) (claim - a), -1, 1), likewise e."""
        p = self.params
        rate_a = min(p.ad_effect * p.fanpage_effect * self.trust, 1.0)
        rate_e = min(p.ad_expectation_effect * p.fanpage_effect * self.trust, 1.0)
        for _ in range(k):
            self.attitude = clip(pull(self.attitude, claim, rate_a), -1.0, 1.0)
            self.expectation = pull(self.expectation, claim, rate_e)
        self.aware = True

    # --- 7.3 purchase ------------------------------------------------------------------
    def purchase_probability(self) -> float:
        """Attitude model: purchase_freq sigmoid(intercept + w_a a + w_L L) if aware, else 0.
        Bass model: bass_p + bass_q (share of neighbours who have bought), capped at 1, for
        consumers who never bought (awareness not needed); 0 after the first purchase."""
        p = self.params
        if p.purchase_model == "bass":
            if self.purchases >= 1:
                return 0.0
            degree = len(self.ties)
            adopted = sum(1 for neighbour in self.ties if neighbour.purchases >= 1)
            share = adopted / degree if degree > 0 else 0.0
            return min(p.bass_p + p.bass_q * share, 1.0)
        if not self.aware:
            return 0.0
        return p.purchase_freq * sigmoid(p.purchase_intercept + p.purchase_attitude * self.attitude
                                         + p.purchase_loyalty * self.loyalty)

    def decide_purchase(self) -> bool:
        """bought <- U < purchase probability."""
        chance = self.purchase_probability()
        return chance > 0.0 and self.rng.random() < chance

    # --- 7.4 experience ----------------------------------------------------------------
    def experience_product(self, quality: float) -> None:
        """A buyer experiences x = clip(Q + quality_noise N(0, 1), -1, 1); with e the
        expectation before: s = clip(x + disconfirmation_weight (x - e), -1, 1);
        a <- a + experience_attitude (s - a); e <- e + experience_expectation (x - e);
        L <- L + loyalty_gain s (1 - L) if s >= 0, L + loyalty_loss s L if s < 0;
        trust <- trust clip(1 - disappointment_trust max(e - x - disappointment_threshold, 0), 0, 1);
        purchases + 1. Non-buyers: experience and satisfaction NaN."""
        self.experience = math.nan
        self.satisfaction = math.nan
        if not self.bought:
            return
        p = self.params
        x = clip(quality + p.quality_noise * self.rng.standard_normal(), -1.0, 1.0)
        e = self.expectation
        s = clip(x + p.disconfirmation_weight * (x - e), -1.0, 1.0)
        self.attitude += p.experience_attitude * (s - self.attitude)
        self.expectation = e + p.experience_expectation * (x - e)
        if s >= 0:
            self.loyalty += p.loyalty_gain * s * (1.0 - self.loyalty)
        else:  # losses loom larger (loyalty_loss > loyalty_gain)
            self.loyalty += p.loyalty_loss * s * self.loyalty
        overshoot = max((e - x) - p.disappointment_threshold, 0.0)
        self.trust *= clip(1.0 - p.disappointment_trust * overshoot, 0.0, 1.0)
        self.purchases += 1
        self.experience = x
        self.satisfaction = s

    # --- 7.5 word of mouth -------------------------------------------------------------
    def decide_to_talk(self) -> None:
        """Impression m = satisfaction if bought this week, else attitude; talk probability
        p = min(c (talk_base + talk_positive max(m, 0)^2 + talk_negative max(-m, 0)^2), 1)
        with c = 1 for buyers and talk_nonbuyer otherwise; only aware consumers talk.
        Also fixes what the consumer reports this week (``impression`` and ``reported``,
        the expectation now): private messages and public posts both carry this snapshot."""
        p = self.params
        m = self.satisfaction if self.bought else self.attitude
        self.impression = m
        self.reported = self.expectation
        chance = p.talk_base + p.talk_positive * max(m, 0.0) ** 2 + p.talk_negative * max(-m, 0.0) ** 2
        if not self.bought:
            chance *= p.talk_nonbuyer
        chance = min(chance, 1.0)
        self.talked = self.aware and self.rng.random() < chance

    def tell_neighbours(self) -> list[Message]:
        """Reach each neighbour j with probability wom_reach w_ij (w = tie strength); each
        reached neighbour gets (weight w_ij, valence = impression, content = reported)."""
        reach = self.params.wom_reach
        return [Message(neighbour, strength, self.impression, self.reported)
                for neighbour, strength in self.ties.items()
                if self.rng.random() < reach * strength]

    # --- 7.6 social influence ----------------------------------------------------------
    def listen(self, messages: list[Message]) -> None:
        """Apply this week's inbox at once (bounded confidence with resistance).

        Every message is judged against the attitude a before the inbox:
        w'_k = w_k resistance if |v_k - a| > confidence_bound, else w_k; W = sum w'_k;
        a <- a + (1 - (1 - wom_influence)^W) (v_bar - a),
        e <- e + (1 - (1 - wom_expectation)^W) (c_bar - e), with v_bar, c_bar the
        w'-weighted means. Hearing anything makes one aware (even if W = 0).
        """
        p = self.params
        a, e = self.attitude, self.expectation
        weights = [m.weight * p.resistance if abs(m.valence - a) > p.confidence_bound else m.weight
                   for m in messages]
        self.aware = True
        total = sum(weights)
        if total <= 0:
            return
        v_bar = sum(w * m.valence for w, m in zip(weights, messages)) / total
        c_bar = sum(w * m.content for w, m in zip(weights, messages)) / total
        self.attitude = pull(a, v_bar, p.wom_influence, total)
        self.expectation = pull(e, c_bar, p.wom_expectation, total)

    # --- 7.7 public record -------------------------------------------------------------
    def read_posts(self, posts: list[Post]) -> None:
        """Read this week's posts (drawn by the model) as messages from strangers.

        weight = stranger_weight_<segment>; valence = sentiment, damped by
        (1 - resolved_damping) for a resolved complaint; content = the reply's claim if the
        brand replied and the author did not expose spin, else the post's content. Then
        trust <- (1 - (1 - trust)(1 - g)^n_good) (1 - g)^n_spin, g = reply_trust_gain,
        n_good / n_spin = honest / exposed-as-spin replies read.
        """
        p = self.params
        weight = p.stranger_weight_immigrant if self.is_immigrant else p.stranger_weight_native
        messages, n_good, n_spin = [], 0, 0
        for post in posts:
            valence = post.sentiment
            if post.resolved and post.complaint:
                valence *= 1.0 - p.resolved_damping
            honest_reply = post.replied and not post.spin
            content = post.reply_claim if honest_reply else post.content
            messages.append(Message(self, weight, valence, content))
            n_good += honest_reply
            n_spin += post.replied and post.spin
        self.listen(messages)
        if n_good or n_spin:  # trust moves only for those who saw a reply
            g = p.reply_trust_gain
            self.trust = (1.0 - (1.0 - self.trust) * (1.0 - g) ** n_good) * (1.0 - g) ** n_spin

    def decide_to_post(self) -> bool:
        """An online talker posts with probability post_prob."""
        return self.talked and self.online and self.rng.random() < self.params.post_prob

    def post(self, step: int) -> Post:
        """A post: sentiment = this week's impression, content = the reported expectation."""
        return Post(self, self.impression, self.reported, step)

    # --- 7.8 dialogue ------------------------------------------------------------------
    def receive_replies(self, posts: list[Post], reply_claim: float) -> None:
        """Effects of this week's replies to one's own posts, aggregated (applied in order):

        a <- pull(a, 1, recovery_attitude, n_res); a <- pull(a, -backlash_sentiment, backlash_trust, n_det);
        trust <- pull(trust, 1, recovery_trust, n_res); pull(trust, 1, conversation_trust, n_conv);
        trust <- trust (1 - backlash_trust)^n_det;
        L <- pull(L, 1, recovery_loyalty, n_res); pull(L, 1, conversation_loyalty, n_conv);
        e <- pull(e, reply_claim, reply_expectation, n_inf)
        with n_res resolved complaints, n_det replies exposed as spin, n_conv replies to
        non-complaints, n_inf replies not exposed as spin.
        """
        p = self.params
        n_res = sum(post.resolved for post in posts)
        n_det = sum(post.spin for post in posts)
        n_conv = sum(not post.complaint for post in posts)
        n_inf = len(posts) - n_det
        self.attitude = pull(self.attitude, 1.0, p.recovery_attitude, n_res)
        self.attitude = pull(self.attitude, -p.backlash_sentiment, p.backlash_trust, n_det)
        self.trust = pull(self.trust, 1.0, p.recovery_trust, n_res)
        self.trust = pull(self.trust, 1.0, p.conversation_trust, n_conv)
        self.trust *= (1.0 - p.backlash_trust) ** n_det
        self.loyalty = pull(self.loyalty, 1.0, p.recovery_loyalty, n_res)
        self.loyalty = pull(self.loyalty, 1.0, p.conversation_loyalty, n_conv)
        self.expectation = pull(self.expectation, reply_claim, p.reply_expectation, n_inf)

    def post_backlash(self, step: int) -> Post:
        """After exposing spin: a post with sentiment -backlash_sentiment and content = the
        (already updated) expectation."""
        return Post(self, -self.params.backlash_sentiment, self.expectation, step)

    # --- 7.9 forgetting ----------------------------------------------------------------
    def forget(self) -> None:
        """a <- a + attitude_decay (a0 - a); trust <- trust + trust_decay (initial_trust - trust);
        L <- L (1 - loyalty_decay); r <- r (1 - irritation_decay); unfollow if a < 0."""
        p = self.params
        self.attitude += p.attitude_decay * (self.attitude0 - self.attitude)
        self.trust += p.trust_decay * (p.initial_trust - self.trust)
        self.loyalty *= 1.0 - p.loyalty_decay
        self.irritation *= 1.0 - p.irritation_decay
        self.follower = self.follower and self.attitude >= 0.0


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------
class ReferenceModel(RunMixin, mesa.Model):
    """The per-agent twin of :class:`simulation.core.model.WordOfMouthModel`.

    Same constructor (``params``, ``rng=``, ``collect_agents=``, ``graph=``, ``on_stage=``,
    ``**overrides``) and the same surface the metrics and the runner use: ``params``,
    ``steps``, ``state`` (refreshed from the agents before each data collection),
    ``tally``, ``record``, ``datacollector``, ``run``, ``timeseries``, ``n_consumers``,
    ``graph``, ``space``, ``brand``. ``consumers`` lists the agents in index order.

    The agents hold the state; ``state`` is a copy made for the metrics, so to change a
    consumer (e.g. set initial attitudes), assign to the agent, not to ``state``.
    """

    def __init__(self, params: Params | Mapping[str, Any] | None = None, *, rng=None,
                 collect_agents: bool = False, graph: tuple[nx.Graph, np.ndarray] | None = None,
                 on_stage: StageListener | None = None, **overrides: Any) -> None:
        super().__init__(rng=rng)
        self.params = p = resolve_params(params, overrides)
        # Input, built exactly as in the engine (same draws in the same order), so that the
        # same seed gives the same graph, segments and initial state.
        self.graph, self.adjacency, initial, self.brand = model_inputs(p, self.rng, graph, on_stage)
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
        reads only their own state (going online, experience, choosing to talk, posting,
        forgetting), deciding and applying in one pass over consumers is the same thing.
        """
        t, p, tally, brand = self.steps, self.params, self.tally, self.brand
        for c in self.consumers:                                            # 1. online draw
            c.go_online()
        tally.impressions = self.broadcast()                                # 2.
        self.fanpage()                                                      # 3.
        tally.purchases = self.purchase()                                   # 4.
        for c in self.consumers:                                            # 5. experience
            c.experience_product(brand.quality)
        for c in self.consumers:                                            # 6. choose talkers
            c.decide_to_talk()
        tally.wom_positive, tally.wom_negative = self.word_of_mouth()       # 7.
        self.read_public_record(t)                                          # 8.
        posts_before = self.record.total_posts
        self.post_publicly(t)                                               # 9.
        tally.replies = self.dialogue(t)                                    # 10.
        tally.posts = self.record.total_posts - posts_before
        for c in self.consumers:                                            # 11. forgetting
            c.forget()
        tally.spend += brand.weekly_spend                                   # 12. money
        tally.revenue += p.margin * tally.purchases
        self.collect()                                                      # 13. data

    def broadcast(self) -> int:
        """The brand buys stochastic_round(broadcast_budget) impressions and gives each to a
        consumer drawn with probability proportional to media exposure (1 for natives,
        media_exposure_immigrant for immigrants): a multinomial, one impression at a time.
        Then each consumer meets their k exposures. Returns the number of impressions."""
        budget = self.brand.broadcast_budget
        if budget <= 0:
            return 0
        p, rng = self.params, self.rng
        n_impressions = stochastic_round(budget, rng)
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
        for consumer, k in received.items():                                 # phase 2
            consumer.receive_impressions(k, self.brand.ad_claim)
        return n_impressions

    def fanpage(self) -> int:
        """Skipped without a fan page budget. New followers (decided on the snapshot, then
        applied); each online follower wants fanpage_posts posts; supply =
        stochastic_round(fanpage_budget); if supply < demand each wanted post is shown with
        probability supply / demand. Returns the number of views."""
        budget = self.brand.fanpage_budget
        if budget <= 0:
            return 0
        p, rng = self.params, self.rng
        newcomers = [c for c in self.consumers if c.follow_page()]           # phase 1
        for c in newcomers:                                                  # phase 2
            c.follower = True
        audience = [c for c in self.consumers if c.follower and c.online]
        demand = len(audience) * p.fanpage_posts
        if demand == 0:
            return 0
        supply = stochastic_round(budget, rng)
        if supply >= demand:
            shown = [p.fanpage_posts] * len(audience)
        else:  # each wanted post is shown with probability supply / demand (a binomial)
            share = supply / demand
            shown = [sum(rng.random() < share for _ in range(p.fanpage_posts)) for _ in audience]
        for c, k in zip(audience, shown):
            c.see_page_posts(k, self.brand.quality)  # the page always states Q
        return sum(shown)

    def purchase(self) -> int:
        """Everybody decides on the snapshot, then ``bought`` is set. Returns the buyers."""
        decisions = [c.decide_purchase() for c in self.consumers]            # phase 1
        for c, buys in zip(self.consumers, decisions):                       # phase 2
            c.bought = buys
            if buys:
                c.aware = True  # whoever bought knows the brand
        return sum(decisions)

    def word_of_mouth(self) -> tuple[int, int]:
        """Talkers send messages from the snapshot (phase 1); each listener then applies its
        whole inbox at once (phase 2). Returns delivered messages with valence > 0 and < 0."""
        messages: list[Message] = []
        for talker in self.consumers:                                        # phase 1
            if talker.talked:
                messages.extend(talker.tell_neighbours())
        inbox: dict[ReferenceConsumer, list[Message]] = defaultdict(list)
        for m in messages:
            inbox[m.listener].append(m)
        for listener, received in inbox.items():                             # phase 2
            listener.listen(received)
        return (sum(m.valence > 0 for m in messages), sum(m.valence < 0 for m in messages))

    def read_public_record(self, now: int) -> int:
        """The record as it stood at the end of last week is read n ~ Poisson(post_reach
        sum_k w_k) times, w_k = exp(-(now - step_k) / recency); each read pairs a reader
        drawn uniformly (with replacement) from the online consumers with a post drawn with
        probability w_k / sum w. Each reader then reads all their posts at once. Returns n."""
        p, rng = self.params, self.rng
        online = [c for c in self.consumers if c.online]
        posts = list(self.record.posts)
        if not posts or not online or p.post_reach == 0:
            return 0
        cumulative = list(accumulate(self.record.recency_weight(post, now, p.recency) for post in posts))
        total = cumulative[-1]
        n_reads = int(rng.poisson(p.post_reach * total))
        reading: dict[ReferenceConsumer, list[Post]] = defaultdict(list)
        for _ in range(n_reads):                                             # phase 1
            reader = online[int(rng.integers(len(online)))]
            k = bisect.bisect_right(cumulative, rng.random() * total)
            reading[reader].append(posts[min(k, len(posts) - 1)])
        for reader, posts_read in reading.items():                           # phase 2
            reader.read_posts(posts_read)
        return n_reads

    def post_publicly(self, now: int) -> int:
        """Online talkers post with probability post_prob. Returns the number of posts."""
        posters = [c for c in self.consumers if c.decide_to_post()]
        for c in posters:
            self.record.add(c.post(now))
        return len(posters)

    def reply_order(self, now: int) -> list[Post]:
        """Open posts (unanswered, now - step <= reply_window) in the order the brand answers
        them: complaints first, most negative first, then newest first; then the others,
        newest first. "Newest" is the order of writing (``seq``), which breaks every tie."""
        window = self.params.reply_window
        open_posts = [post for post in self.record.posts
                      if not post.replied and now - post.step <= window]

        def priority(post: Post) -> tuple:
            if post.complaint:
                return (0, post.sentiment, -post.seq)
            return (1, 0.0, -post.seq)

        return sorted(open_posts, key=priority)

    def dialogue(self, now: int) -> int:
        """Skipped without a dialogue budget. The brand answers the first
        stochastic_round(dialogue_budget / reply_cost) posts of :meth:`reply_order`.

        Per answered post: spin is detected (only in a complaint, only if the reply's claim
        is not Q) with probability spin_detection (1 - honesty); an undetected complaint is
        resolved with probability resolve_prob. Authors then apply their replies
        (:meth:`ReferenceConsumer.receive_replies`), and each detected spin adds a backlash
        post. Returns the number of replies.
        """
        budget = self.brand.dialogue_budget
        if budget <= 0:
            return 0
        p, rng, brand = self.params, self.rng, self.brand
        capacity = stochastic_round(budget / p.reply_cost, rng)
        chosen = self.reply_order(now)[:capacity]
        if not chosen:
            return 0
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
        for author, answered in replies.items():                             # phase 2
            author.receive_replies(answered, brand.reply_claim)
        for post in chosen:  # backlash, in reply order, after the authors' updates
            if post.spin:
                self.record.add(post.author.post_backlash(now))
        return len(chosen)

    # --- observation -------------------------------------------------------------------
    def refresh_state(self) -> None:
        """Copy the consumers' attributes into ``self.state`` (index order), the container
        the metric functions of :mod:`simulation.core.metrics` read."""
        n = len(self.consumers)
        self.state = ConsumerState(**{
            name: np.fromiter((getattr(c, name) for c in self.consumers), dtype=dtype, count=n)
            for name, dtype in self._dtypes.items()})

    def collect(self) -> None:
        self.refresh_state()
        self.datacollector.collect(self)

