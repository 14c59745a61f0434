"""Consulting the public record before buying (docs/ODD.md, 7.3, "Consulting the record").

"Other users' content and recommendations matter more and more for purchase decisions": on
a category occasion an online consumer consults the record with a segment-dependent
probability (``consult_native``, ``consult_immigrant``). They read (a) the lasting layer,
the public rating of every brand they consider (the brands they are aware of), which enters
their choice utility with weight ``purchase_rating``, and (b) the ``consult_posts`` most
visible recent posts about each of those brands, with their replies, by the reading rule of
browsing (:func:`~simulation.core.processes.public_record.read_posts`).

The consultation comes before the choice of the same occasion, so what is read can change
it: it is pre-purchase search. The record is the one of the end of last week (purchase runs
before this week's posts and replies).

Reference
---------
Luca, M. (2011). Reviews, reputation, and revenue: the case of Yelp.com. Harvard Business
School Working Paper 12-016 (a one-star higher rating, +5-9 % revenue).
"""

from __future__ import annotations

import numpy as np

from simulation.core.metrics import brand_rating
from simulation.core.params import Params
from simulation.core.processes.public_record import PublicRecord, read_posts
from simulation.core.state import IMMIGRANT, ConsumerState


def consults(state: ConsumerState, params: Params, occasions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which consumers on an occasion (indices ``occasions``) consult the record: online this
    week and U < ``consult_<segment>``. Returns a boolean mask over ``occasions``.

    Draws one uniform per online consumer on an occasion, and none at all when both
    probabilities are 0 (version 1 draws nothing here).
    """
    mask = np.zeros(len(occasions), dtype=bool)
    if params.consult_native == 0 and params.consult_immigrant == 0:
        return mask
    online = np.flatnonzero(state.online[occasions])
    chance = np.where(state.segment[occasions[online]] == IMMIGRANT, params.consult_immigrant,
                      params.consult_native)
    mask[online] = rng.random(len(online)) < chance
    return mask


def most_visible(record: PublicRecord, brand: int, now: int, params: Params) -> np.ndarray:
    """Slots of the ``consult_posts`` most visible posts about ``brand`` in the ring buffer
    (:meth:`PublicRecord.visibility`), most visible first; ties go to the newest post
    (the larger ``seq``)."""
    slots = record.slots()
    slots = slots[record.brand[slots] == brand]
    if len(slots) == 0 or params.consult_posts == 0:
        return slots[:0]
    order = np.lexsort((-record.seq[slots], -record.visibility(slots, now, params)))
    return slots[order[:params.consult_posts]]


def consult_record(state: ConsumerState, record: PublicRecord, params: Params, consulters: np.ndarray,
                   now: int) -> np.ndarray:
    """The consumers ``consulters`` read the most visible posts about each brand they are
    aware of (all at once, :func:`read_posts`); returns what the ratings add to those
    brands' utilities, ``purchase_rating * rating_b`` for every brand b (shape (B,)), the
    same for every consulter (everyone reads the same record)."""
    n_brands = state.n_brands
    listener, post = [], []
    for b in range(n_brands):
        top = most_visible(record, b, now, params)
        readers = consulters[state.aware[consulters, b]]
        listener.append(np.repeat(readers, len(top)))
        post.append(np.tile(top, len(readers)))
    read_posts(state, record, np.concatenate(listener), np.concatenate(post), params)
    ratings = np.array([brand_rating(record, b, params.rating_prior_posts) for b in range(n_brands)])
    return params.purchase_rating * ratings
