"""The public record: posts everyone can read, and the brand's public replies.

"Billions can answer publicly": online talkers post, online consumers read a
recency-weighted sample of recent posts and, where the brand replied, the reply too.
Memory is bounded: the record is a ring buffer of the last ``record_capacity`` posts plus
running totals.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.influence import social_influence
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
    quality the author reports), ``step``, ``replied``, ``reply_claim`` (what the reply
    says about quality), ``resolved`` (a complaint the reply resolved), ``spin`` (the
    author detected spin in the reply and said so).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
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

    def append(self, author: np.ndarray, sentiment: np.ndarray, content: np.ndarray,
               step: int, brand: np.ndarray | int = 0) -> np.ndarray:
        """Add posts about ``brand`` (one per post, or one for all; overwriting the oldest
        when full); return their slots."""
        m = len(author)
        if m == 0:
            return np.empty(0, dtype=np.int64)
        brand = np.broadcast_to(np.asarray(brand, dtype=np.int64), (m,))
        for b in np.unique(brand).tolist():
            mine = brand == b
            _add(self.posts_about, b, int(mine.sum()))
            _add(self.sentiment_about, b, float(sentiment[mine].sum()))
            _add(self.complaints_about, b, int((sentiment[mine] < 0).sum()))
        if m > self.capacity:  # only the newest fit
            author, sentiment, content = author[-self.capacity:], sentiment[-self.capacity:], content[-self.capacity:]
            brand = brand[-self.capacity:]
            self.total_posts += m - self.capacity
            m = self.capacity
        where = (self.head + np.arange(m)) % self.capacity
        self.author[where] = author
        self.brand[where] = brand
        self.sentiment[where] = sentiment
        self.content[where] = content
        self.step[where] = step
        self.seq[where] = self.total_posts + np.arange(m)
        self.replied[where] = False
        self.reply_claim[where] = 0.0
        self.resolved[where] = False
        self.spin[where] = False
        self.head = int((self.head + m) % self.capacity)
        self.size = min(self.size + m, self.capacity)
        self.total_posts += m
        return where

    def visibility(self, slots: np.ndarray, now: int, params: Params) -> np.ndarray:
        """How visible the posts in ``slots`` are in week ``now``: the recency weight
        exp(-(now - step) / recency) (docs/ODD.md, 7.7). Consulting buyers read the most
        visible posts (:func:`simulation.core.processes.consult.most_visible`)."""
        return np.exp(-(now - self.step[slots]) / params.recency)

    def recency_weights(self, now: int, recency: float) -> tuple[np.ndarray, np.ndarray]:
        """(slots, weights exp(-(now - step) / recency)) of the occupied slots."""
        slots = self.slots()
        return slots, np.exp(-(now - self.step[slots]) / recency)

    def sample(self, n_draws: int, now: int, recency: float, rng: np.random.Generator,
               weights: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Draw ``n_draws`` slots with replacement, recency-weighted (inverse CDF).
        ``weights``: the (slots, weights) of :meth:`recency_weights`, if already computed."""
        slots, w = weights if weights is not None else self.recency_weights(now, recency)
        cdf = np.cumsum(w)
        picks = np.searchsorted(cdf, rng.random(n_draws) * cdf[-1], side="right")
        return slots[np.minimum(picks, len(slots) - 1)]

    def mean_sentiment(self, now: int, recency: float, brand: int = 0) -> float:
        """Recency-weighted mean sentiment of the posts about ``brand`` (what a reader would
        see on average); 0 when there are none."""
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


def read_public_record(state: ConsumerState, record: PublicRecord, params: Params, step: int,
                       rng: np.random.Generator) -> int:
    """Online consumers read the public record as it stood at the end of last week.

    Each post finds ``post_reach * exp(-age / recency)`` readers a week, so the number of
    reads follows the volume of posts (a quiet brand is rarely read about); the week's
    reads (Poisson) go to online consumers drawn uniformly and to posts drawn
    recency-weighted; each read follows the reading rule :func:`read_posts` (a post is about
    one brand: it moves the reader's state about that brand, and trust in that brand).
    Readers are drawn with replacement and may read their own post. Returns the number of
    reads.
    """
    readers = np.flatnonzero(state.online)
    if record.size == 0 or len(readers) == 0 or params.post_reach == 0:
        return 0
    weights = record.recency_weights(step, params.recency)
    n_reads = int(rng.poisson(params.post_reach * weights[1].sum()))
    if n_reads == 0:
        return 0
    listener = readers[rng.integers(0, len(readers), size=n_reads)]
    post = record.sample(n_reads, step, params.recency, rng, weights)
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
    """
    if len(post) == 0:
        return
    sentiment = record.sentiment[post]
    replied = record.replied[post]
    spin = record.spin[post]
    honest_reply = replied & ~spin
    valence = np.where(record.resolved[post] & (sentiment < 0),
                       sentiment * (1.0 - params.resolved_damping), sentiment)
    content = np.where(honest_reply, record.reply_claim[post], record.content[post])
    weight = np.where(state.segment[listener] == IMMIGRANT, params.stranger_weight_immigrant,
                      params.stranger_weight_native)
    key = listener * state.n_brands + record.brand[post]  # (reader, brand) in the flat arrays
    n = state.aware.size
    seen_good = np.bincount(key[honest_reply], minlength=n)
    seen_spin = np.bincount(key[replied & spin], minlength=n)
    social_influence(state, key, weight, valence, content, params)
    g = params.reply_trust_gain
    saw = np.flatnonzero(seen_good + seen_spin)  # only those who saw a reply change
    flat_trust = state.trust.reshape(-1)
    trust = 1.0 - (1.0 - flat_trust[saw]) * (1.0 - g) ** seen_good[saw]
    flat_trust[saw] = trust * (1.0 - g) ** seen_spin[saw]


def post_publicly(state: ConsumerState, record: PublicRecord, params: Params, impression: np.ndarray,
                  reported: np.ndarray, step: int, rng: np.random.Generator) -> int:
    """Online talkers post with probability ``post_prob`` about their topic: sentiment = their
    impression, content = the quality they report (the same snapshot their private messages
    carry). Returns the number of posts."""
    posters = np.flatnonzero(state.talked & state.online & (rng.random(state.n) < params.post_prob))
    record.append(posters, impression[posters], reported[posters], step, state.topic[posters])
    return len(posters)
