"""Events: defects and scandals (docs/ODD.md, 7.12).

The events are ``params.events`` (:mod:`simulation.core.events`). Nothing here draws a
random number unless a scandal is active, so a run without events is unchanged draw for
draw. A defect changes the quality buyers experience (:func:`experienced_qualities`); a
scandal puts negative posts on the public record (:func:`scandal_posts`), costs the trust of
those who read them (:func:`scandal_trust_shock`, called by the reading process) and lowers
the brand's reactance threshold while it lasts (:func:`reactance_threshold`). How each
strategy responds follows from the channels it pays for: broadcast keeps advertising into
the lowered threshold, dialogue answers the scandal posts (complaints come first in its
reply order) honestly or with spin per ``honesty``, none and fan page stay silent.

References
----------
Friestad, M., & Wright, P. (1994). The persuasion knowledge model. JCR 21(1), 1-31.
"""

from __future__ import annotations

import numpy as np

from simulation.core.events import active_events
from simulation.core.params import Params
from simulation.core.state import ConsumerState

# ``record`` below is a :class:`~simulation.core.processes.public_record.PublicRecord`; it is
# not imported, because the reading process of public_record calls this module (no cycle).


def experienced_qualities(qualities: np.ndarray, params: Params, week: int) -> np.ndarray:
    """The quality each brand delivers in ``week``: Q_b lowered by the ``size`` of every
    defect of b active in that week, at least -1. Without an active defect: ``qualities``
    itself (the same array, not a copy).

    Examples
    --------
    >>> p = Params(events=[{"step": 2, "kind": "defect", "size": 0.5, "duration": 2}])
    >>> [experienced_qualities(np.array([0.3, 0.3]), p, t).round(6).tolist() for t in (1, 2, 3, 4)]
    [[0.3, 0.3], [-0.2, 0.3], [-0.2, 0.3], [0.3, 0.3]]
    """
    defects = active_events(params.events, week, "defect")
    if not defects:
        return qualities
    q = np.array(qualities, dtype=np.float64)
    for event in defects:
        q[event.brand] -= event.size
    return np.maximum(q, -1.0)


def reactance_threshold(params: Params, brand: int, week: int) -> float:
    """Brand ``brand``'s reactance threshold in ``week``: ``reactance_threshold``, times
    ``scandal_reactance`` while a scandal about the brand is active."""
    if active_events(params.events, week, "scandal", brand):
        return params.reactance_threshold * params.scandal_reactance
    return params.reactance_threshold


def scandal_posts(state: ConsumerState, record, params: Params, week: int,
                  rng: np.random.Generator) -> int:
    """For each scandal active in ``week``: every online consumer writes a scandal post about
    the brand with probability ``size`` (one uniform per online consumer and scandal):
    sentiment ``-scandal_sentiment``, content the author's expectation of the brand (the
    post is about the firm's conduct, not its product), marked as a scandal post. Returns
    the number of posts."""
    written = 0
    for event in active_events(params.events, week, "scandal"):
        online = np.flatnonzero(state.online)
        authors = online[rng.random(len(online)) < event.size]
        record.append(authors, np.full(len(authors), -params.scandal_sentiment),
                      state.expectation[authors, event.brand], week, event.brand, scandal=True)
        written += len(authors)
    return written


def scandal_trust_shock(state: ConsumerState, record, key: np.ndarray, post: np.ndarray,
                        params: Params) -> None:
    """Readers lose trust in a brand per scandal post about it they read this week:
    ``trust <- trust (1 - h)^n (1 - h (1 - resolved_damping))^m`` with h =
    ``scandal_trust_hit``, n unresolved and m resolved scandal posts read (a reply that
    resolved the post takes ``resolved_damping`` of its sting). ``key``: (reader, brand) of
    each read in the flat (N, B) arrays; ``post``: the slot read."""
    scandal = record.scandal[post]
    if not scandal.any():
        return
    h = params.scandal_trust_hit
    resolved = record.resolved[post]
    n = state.trust.size
    full = np.bincount(key[scandal & ~resolved], minlength=n)
    damped = np.bincount(key[scandal & resolved], minlength=n)
    hit = np.flatnonzero(full + damped)
    flat_trust = state.trust.reshape(-1)
    flat_trust[hit] *= (1.0 - h) ** full[hit] * (1.0 - h * (1.0 - params.resolved_damping)) ** damped[hit]
