"""The public record: posts everyone can read, and the brand's public replies.

"Billions can answer publicly": online talkers post, online consumers read a sample of
recent posts weighted by their visibility (recency x the post's heavy-tailed reach x the
boost of a reply) and, where the brand replied, the reply too. Memory is bounded: the record
is a ring buffer of the last ``record_capacity`` posts plus running totals.

References
----------
Bakshy, E., Hofman, J. M., Mason, W. A., & Watts, D. J. (2011). Everyone's an influencer:
quantifying influence on Twitter. WSDM '11, 65-74.
Goel, S., Watts, D. J., & Goldstein, D. G. (2012). The structure of online diffusion
networks. EC '12, 623-638.
Ma, L., Sun, B., & Kekre, S. (2015). The squeaky wheel gets the grease: an empirical analysis
of customer voice and firm intervention on Twitter. Marketing Science 34(5), 627-645.
Proserpio, D., & Zervas, G. (2017). Online reputation management: estimating the impact of
management responses on consumer reviews. Marketing Science 36(5), 645-665.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.events import scandal_trust_shock
from simulation.core.processes.influence import distinct, social_influence
from simulation.core.state import IMMIGRANT, ConsumerState


class RecordTotals(NamedTuple):
    """What the record says about one brand over all time (the lasting layer)."""

    posts: int          # posts ever written about the brand (backlash posts included)
    sentiment: float    # sum of their sentiments
    complaints: int     # posts with negative sentiment
    answered: int       # posts the brand answered
    resolved: int       # complaints whose reply resolved them


def _add(totals: dict, brand: int, amount) -> None:
    totals[brand] = totals.get(brand, 0) + amount


class PublicRecord:
    """Ring buffer of public posts with their replies (the recent layer people browse), and
    per-brand totals that never expire (the lasting layer, :meth:`totals`).

    Per post: ``author``, ``brand`` (what it is about), ``sentiment`` (the author's impression, -1..1), ``content`` (the
    quality the author reports), ``step``, ``reach`` (the post's reach multiplier, fixed when
    it is written, mean 1), ``reads`` (times it was read so far), ``replied``, ``reply_claim``
    (what the reply says about quality), ``resolved`` (a complaint the reply resolved),
    ``spin`` (the author detected spin in the reply and said so), ``scandal`` (a post of a
    scandal event, docs/ODD.md 7.12).

    ``author_scale`` (per consumer, mean 1; :func:`reach_scale`) is the expected reach of a
    post by each consumer; without it every author's is 1.
    """

    def __init__(self, capacity: int, author_scale: np.ndarray | None = None) -> None:
        self.capacity = int(capacity)
        self.author_scale = author_scale
        self.reach = np.ones(self.capacity)
        self.reads = np.zeros(self.capacity, dtype=np.int64)
        self.author = np.full(self.capacity, -1, dtype=np.int64)
        self.brand = np.zeros(self.capacity, dtype=np.int64)
        self.sentiment = np.zeros(self.capacity)
        self.content = np.zeros(self.capacity)
        self.step = np.zeros(self.capacity, dtype=np.int64)
        self.seq = np.zeros(self.capacity, dtype=np.int64)  # order of writing, over all time
        self.replied = np.zeros(self.capacity, dtype=bool)
        self.reply_claim = np.zeros(self.capacity)
        self.resolved = np.zeros(self.capacity, dtype=bool)
        self.spin = np.zeros(self.capacity, dtype=bool)
        self.scandal = np.zeros(self.capacity, dtype=bool)
        self.size = 0
        self.head = 0  # next slot to write
        self.total_posts = 0
        self.total_replies = 0
        # The lasting layer: per-brand totals that never expire (docs/ODD.md, 2.4), however
        # many posts the ring buffer has dropped: brand -> count (or sum) over all time.
        self.posts_about: dict[int, int] = {}
        self.sentiment_about: dict[int, float] = {}
        self.complaints_about: dict[int, int] = {}
        self.answered_about: dict[int, int] = {}
        self.resolved_about: dict[int, int] = {}

    def __len__(self) -> int:
        return self.size

    def brand_posts(self, brand: int) -> int:
        """Posts ever written about ``brand`` (also those the ring buffer dropped)."""
        return self.posts_about.get(brand, 0)

    def totals(self, brand: int) -> RecordTotals:
        """The lasting layer for ``brand``: totals over every post ever written about it."""
        return RecordTotals(self.posts_about.get(brand, 0), self.sentiment_about.get(brand, 0.0),
                            self.complaints_about.get(brand, 0), self.answered_about.get(brand, 0),
                            self.resolved_about.get(brand, 0))

    def count_replies(self, brand: int, answered: int, resolved: int) -> None:
        """Book ``answered`` replies of ``brand``, ``resolved`` of them resolving a complaint."""
        _add(self.answered_about, brand, answered)
        _add(self.resolved_about, brand, resolved)

    def slots(self) -> np.ndarray:
        """Indices of the occupied slots (order irrelevant)."""
        return np.arange(self.size) if self.size < self.capacity else np.arange(self.capacity)

    def expected_reach(self, author: np.ndarray) -> np.ndarray:
        """The mean reach multiplier of a post by each of ``author``: their ``author_scale``."""
        return np.ones(len(author)) if self.author_scale is None else self.author_scale[author]

    def append(self, author: np.ndarray, sentiment: np.ndarray, content: np.ndarray,
               step: int, brand: np.ndarray | int = 0, reach: np.ndarray | None = None,
               scandal: bool = False) -> np.ndarray:
        """Add posts about ``brand`` (one per post, or one for all; overwriting the oldest
        when full) with their ``reach`` multipliers (default: the authors' expected reach,
        :meth:`expected_reach`, as for backlash and scandal posts), scandal posts if
        ``scandal``; return their slots."""
        m = len(author)
        if m == 0:
            return np.empty(0, dtype=np.int64)
        brand = np.broadcast_to(np.asarray(brand, dtype=np.int64), (m,))
        reach = self.expected_reach(author) if reach is None else reach
        for b in np.unique(brand).tolist():
            mine = brand == b
            _add(self.posts_about, b, int(mine.sum()))
            _add(self.sentiment_about, b, float(sentiment[mine].sum()))
            _add(self.complaints_about, b, int((sentiment[mine] < 0).sum()))
        if m > self.capacity:  # only the newest fit
            author, sentiment, content = author[-self.capacity:], sentiment[-self.capacity:], content[-self.capacity:]
            brand, reach = brand[-self.capacity:], reach[-self.capacity:]
            self.total_posts += m - self.capacity
            m = self.capacity
        where = (self.head + np.arange(m)) % self.capacity
        self.author[where] = author
        self.brand[where] = brand
        self.sentiment[where] = sentiment
        self.content[where] = content
        self.step[where] = step
        self.reach[where] = reach
        self.reads[where] = 0
        self.seq[where] = self.total_posts + np.arange(m)
        self.replied[where] = False
        self.reply_claim[where] = 0.0
        self.resolved[where] = False
        self.spin[where] = False
        self.scandal[where] = scandal
        self.head = int((self.head + m) % self.capacity)
        self.size = min(self.size + m, self.capacity)
        self.total_posts += m
        return where

    def visibility(self, slots: np.ndarray, now: int, params: Params) -> np.ndarray:
        """Weight this week of the posts in ``slots`` in reading (docs/ODD.md, 7.7):
        exp(-(now - step) / recency) x reach x (1 + reply_boost if answered). Each post finds
        ``post_reach`` x this many readers a week; reads are drawn in proportion to it;
        consulting buyers read the most visible posts
        (:func:`simulation.core.processes.consult.most_visible`)."""
        recency = np.exp(-(now - self.step[slots]) / params.recency)
        return recency * self.reach[slots] * (1.0 + params.reply_boost * self.replied[slots])

    def recency_weights(self, now: int, recency: float) -> tuple[np.ndarray, np.ndarray]:
        """(slots, weights exp(-(now - step) / recency)) of the occupied slots."""
        slots = self.slots()
        return slots, np.exp(-(now - self.step[slots]) / recency)

    def sample(self, n_draws: int, now: int, recency: float, rng: np.random.Generator,
               weights: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Draw ``n_draws`` slots with replacement in proportion to ``weights`` (inverse CDF):
        the (slots, weights) reading uses (:meth:`visibility`); recency weights
        (:meth:`recency_weights`) when none are given."""
        slots, w = weights if weights is not None else self.recency_weights(now, recency)
        cdf = np.cumsum(w)
        picks = np.searchsorted(cdf, rng.random(n_draws) * cdf[-1], side="right")
        return slots[np.minimum(picks, len(slots) - 1)]

    def mean_sentiment(self, now: int, recency: float, brand: int = 0) -> float:
        """Recency-weighted mean sentiment of the posts about ``brand`` (recency only, not the
        reach and reply boost of :meth:`visibility`); 0 when there are none."""
        slots = self.slots()
        slots = slots[self.brand[slots] == brand]
        if len(slots) == 0:
            return 0.0
        # Weights relative to the newest post: the same weighted mean, but they cannot all
        # underflow to 0 (exp(-745) == 0.0) once every post is old; ``now`` drops out.
        newest = int(self.step[slots].max())
        w = np.exp(-(newest - self.step[slots]) / recency)
        mean = float(np.dot(w, self.sentiment[slots]) / w.sum())
        return min(1.0, max(-1.0, mean))  # dot and sum round apart: one ulp past +-1 otherwise


def reach_scale(degree: np.ndarray, params: Params) -> np.ndarray:
    """Expected reach multiplier of a post by each consumer: (1 + k)^reach_degree divided by
    its mean over all consumers (mean 1; all 1 when ``reach_degree`` = 0). ``1 + k``: an author
    without ties still posts in public, where strangers read.

    Examples
    --------
    >>> reach_scale(np.array([0, 3, 8]), Params(reach_degree=0.5)).round(3).tolist()
    [0.5, 1.0, 1.5]
    """
    if params.reach_degree == 0:
        return np.ones(len(degree))
    raw = (1.0 + np.asarray(degree, dtype=np.float64)) ** params.reach_degree
    return raw / raw.mean()


def read_public_record(state: ConsumerState, record: PublicRecord, params: Params, step: int,
                       rng: np.random.Generator) -> int:
    """Online consumers read the public record as it stood at the end of last week.

    Each post finds ``post_reach`` x its visibility (:meth:`PublicRecord.visibility`:
    recency, reach, reply boost) readers a week, so the number of reads follows the volume
    of posts (a quiet brand is rarely read about); the week's reads (Poisson) go to online
    consumers drawn uniformly and to posts drawn in proportion to their visibility. A read
    about a brand the reader is not aware of is noticed with probability
    ``post_attention`` (an unnoticed read has no effect); the others are noticed. Each
    noticed read follows the reading rule :func:`read_posts` (a post is about one brand: it
    moves the reader's state about that brand, and trust in that brand). Readers are drawn
    with replacement and may read their own post. Returns the number of reads (noticed or
    not; also counted per post in ``record.reads``).
    """
    readers = np.flatnonzero(state.online)
    if record.size == 0 or len(readers) == 0 or params.post_reach == 0:
        return 0
    slots = record.slots()
    weights = (slots, record.visibility(slots, step, params))
    n_reads = int(rng.poisson(params.post_reach * weights[1].sum()))
    if n_reads == 0:
        return 0
    listener = readers[rng.integers(0, len(readers), size=n_reads)]
    post = record.sample(n_reads, step, params.recency, rng, weights)
    record.reads += np.bincount(post, minlength=record.capacity)
    if params.post_attention < 1.0:
        key = listener * state.n_brands + record.brand[post]  # (reader, brand) in the flat arrays
        unaware = np.flatnonzero(~state.aware.reshape(-1)[key])  # judged before any read acts
        if len(unaware):
            noticed = np.ones(n_reads, dtype=bool)
            noticed[unaware] = rng.random(len(unaware)) < params.post_attention
            listener, post = listener[noticed], post[noticed]
    read_posts(state, record, listener, post, params)
    return n_reads


def read_posts(state: ConsumerState, record: PublicRecord, listener: np.ndarray, post: np.ndarray,
               params: Params) -> None:
    """Consumers ``listener`` read the posts in slots ``post`` (one read per entry), all at
    once: the reading rule of browsing (:func:`read_public_record`) and of consulting the
    record before a purchase (:mod:`simulation.core.processes.consult`), docs/ODD.md 7.7.

    A post influences like a stranger's WOM about its brand with weight
    ``stranger_weight_<segment>``; a resolved complaint loses ``resolved_damping`` of its
    negative pull; where the brand replied and the author did not expose spin, the content
    is the reply's claim and trust in the brand moves toward 1 by ``reply_trust_gain`` per
    such reply read; each reply exposed as spin multiplies it by ``1 - reply_trust_gain``.
    A scandal post read then costs trust in its brand
    (:func:`~simulation.core.processes.events.scandal_trust_shock`, docs/ODD.md 7.12).
    """
    if len(post) == 0:
        return
    key = listener * state.n_brands + record.brand[post]  # (reader, brand) in the flat arrays
    sentiment = record.sentiment[post]
    replied = record.replied[post]
    spin = record.spin[post]
    honest_reply = replied & ~spin
    valence = np.where(record.resolved[post] & (sentiment < 0),
                       sentiment * (1.0 - params.resolved_damping), sentiment)
    content = np.where(honest_reply, record.reply_claim[post], record.content[post])
    weight = np.where(state.segment[listener] == IMMIGRANT, params.stranger_weight_immigrant,
                      params.stranger_weight_native)
    saw, group = distinct(key[replied], state.aware.size)  # only those who saw a reply change
    spun = spin[replied]
    seen_good = np.bincount(group[~spun], minlength=len(saw))
    seen_spin = np.bincount(group[spun], minlength=len(saw))
    social_influence(state, key, weight, valence, content, params)
    g = params.reply_trust_gain
    flat_trust = state.trust.reshape(-1)
    trust = 1.0 - (1.0 - flat_trust[saw]) * (1.0 - g) ** seen_good
    flat_trust[saw] = trust * (1.0 - g) ** seen_spin
    scandal_trust_shock(state, record, key, post, params)  # docs/ODD.md 7.12; after the replies' trust


def post_publicly(state: ConsumerState, record: PublicRecord, params: Params, impression: np.ndarray,
                  reported: np.ndarray, step: int, rng: np.random.Generator) -> int:
    """Online talkers post about their topic: sentiment = their impression, content = the
    quality they report (the same snapshot their private messages carry).

    The probability is ``post_prob``; for an author whom the topic brand has answered
    before (``state.answered``) it is ``post_prob (1 + reply_post_boost)`` and the sentiment
    is ``clip(impression + reply_post_positivity, -1, 1)`` (Proserpio & Zervas 2017); a
    complaint (sentiment < 0) by an author whose complaint the brand answered
    (``state.answered_complaint``) is a further ``1 + complaint_invite`` times as likely
    (Ma, Sun & Kekre 2015); capped at 1. Each post's reach multiplier is the author's
    expected reach times exp(reach_tail Z - reach_tail^2 / 2), one standard normal Z per
    post (drawn after the posting draws, only if ``reach_tail`` > 0). Returns the number of posts.
    """
    about = state.keys(np.maximum(state.topic, 0))
    answered = state.answered.reshape(-1).take(about) & (state.topic >= 0)
    sentiment = np.where(answered, np.clip(impression + params.reply_post_positivity, -1.0, 1.0), impression)
    invited = state.answered_complaint.reshape(-1).take(about) & answered & (sentiment < 0)
    p = (params.post_prob * np.where(answered, 1.0 + params.reply_post_boost, 1.0)
         * np.where(invited, 1.0 + params.complaint_invite, 1.0))
    posters = np.flatnonzero(state.talked & state.online & (rng.random(state.n) < np.minimum(p, 1.0)))
    reach = record.expected_reach(posters)
    if params.reach_tail > 0 and len(posters):
        s = params.reach_tail
        reach = reach * np.exp(s * rng.standard_normal(len(posters)) - 0.5 * s * s)
    record.append(posters, sentiment[posters], reported[posters], step, state.topic[posters], reach)
    return len(posters)
