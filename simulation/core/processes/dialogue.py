"""Dialogue (honest, networked): the brand answers public posts, in public.

References
----------
de Matos, C. A., Henrique, J. L., & Rossi, C. A. V. (2007). Service recovery paradox: a
meta-analysis. J. Service Research 10(1), 60-77.
Friestad, M., & Wright, P. (1994). The persuasion knowledge model. JCR 21(1), 1-31.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.processes.public_record import PublicRecord
from simulation.core.state import ConsumerState, stochastic_round


class Replies(NamedTuple):
    """One brand's week of dialogue: replies written and the capacity the budget bought."""

    answered: int
    capacity: int


def _toward(x: np.ndarray, target: float | np.ndarray, rate: float, times: np.ndarray) -> np.ndarray:
    """Move x toward target by ``1 - (1 - rate)^times`` (``times`` repeated pulls)."""
    return x + (1.0 - (1.0 - rate) ** times) * (target - x)


def reply_order(record: PublicRecord, step: int, window: float, brand: int = 0) -> np.ndarray:
    """Slots brand ``brand`` would answer, in order: complaints first (most negative, then newest),
    then neutral and positive posts (newest first). Only unanswered posts about the brand
    within the window. "Newest" is the order of writing (``seq``), which breaks every tie,
    also within a week."""
    slots = record.slots()
    open_ = slots[~record.replied[slots] & (step - record.step[slots] <= window) & (record.brand[slots] == brand)]
    s = record.sentiment[open_]
    complaint = s < 0
    # lexsort: last key is primary
    order = np.lexsort((-record.seq[open_], np.where(complaint, s, 0.0), ~complaint))
    return open_[order]


def dialogue(state: ConsumerState, record: PublicRecord, params: Params, budget: float,
             reply_claim: float, quality: float, step: int, rng: np.random.Generator,
             brand: int = 0) -> Replies:
    """Brand ``brand`` answers up to ``budget / reply_cost`` open posts about it; returns the
    replies written and the capacity (capacity without posts to answer is unused: the
    metric ``dialogue_utilisation``; it is not spent, the brand pays ``reply_cost`` per
    reply written, docs/ODD.md section 9). The authors' state about the brand changes:

    For a complaint: if the reply departs from the true quality Q (``reply_claim != Q``),
    with probability ``spin_detection * (1 - honesty)`` the author detects spin (trust falls
    by ``backlash_trust``, attitude is pulled toward ``-backlash_sentiment`` and a backlash
    post appears); otherwise the reply resolves it
    with probability ``resolve_prob`` (attitude, trust and, a little, loyalty rise) and the
    author's expectation moves toward what the reply states. A neutral or positive poster
    who gets a reply gains a little trust and loyalty. Everything is public: readers see
    the reply from next week on.
    """
    if budget <= 0:
        return Replies(0, 0)
    capacity = stochastic_round(budget / params.reply_cost, rng)
    chosen = reply_order(record, step, params.reply_window, brand)[:capacity]
    if len(chosen) == 0:
        return Replies(0, capacity)
    complaint = record.sentiment[chosen] < 0
    spun = reply_claim != quality  # honesty 1 gives exactly 1.0 * Q + 0.0 * claim == Q
    p_detect = params.spin_detection * (1.0 - params.honesty) if spun else 0.0
    detected = complaint & (rng.random(len(chosen)) < p_detect)
    resolved = complaint & ~detected & (rng.random(len(chosen)) < params.resolve_prob)
    record.replied[chosen] = True
    record.reply_claim[chosen] = reply_claim
    record.resolved[chosen] = resolved
    record.spin[chosen] = detected
    record.total_replies += len(chosen)
    record.count_replies(brand, len(chosen), int(resolved.sum()))

    n = state.n
    author = record.author[chosen]
    n_resolved = np.bincount(author[resolved], minlength=n)
    n_detected = np.bincount(author[detected], minlength=n)
    n_informed = np.bincount(author[~detected], minlength=n)
    n_conversation = np.bincount(author[~complaint], minlength=n)
    touched = np.flatnonzero(np.bincount(author, minlength=n))
    t, b = touched, brand
    state.answered[author, b] = True  # answered authors post differently later (docs/ODD.md, 7.7)
    state.answered_complaint[author[complaint], b] = True
    a, trust, loyalty, e = state.attitude[t, b], state.trust[t, b], state.loyalty[t, b], state.expectation[t, b]
    a = _toward(a, 1.0, params.recovery_attitude, n_resolved[t])
    a = _toward(a, -params.backlash_sentiment, params.backlash_trust, n_detected[t])
    trust = _toward(trust, 1.0, params.recovery_trust, n_resolved[t])
    trust = _toward(trust, 1.0, params.conversation_trust, n_conversation[t])
    trust = trust * (1.0 - params.backlash_trust) ** n_detected[t]
    loyalty = _toward(loyalty, 1.0, params.recovery_loyalty, n_resolved[t])
    loyalty = _toward(loyalty, 1.0, params.conversation_loyalty, n_conversation[t])
    state.attitude[t, b] = a
    state.trust[t, b] = trust
    state.loyalty[t, b] = loyalty
    state.expectation[t, b] = _toward(e, reply_claim, params.reply_expectation, n_informed[t])

    backlash = author[detected]
    record.append(backlash, np.full(len(backlash), -params.backlash_sentiment),
                  state.expectation[backlash, b], step, b)
    return Replies(len(chosen), capacity)
