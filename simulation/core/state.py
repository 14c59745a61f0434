"""Consumer state: numpy arrays indexed by consumer (= graph node) and, where it is about a
brand, by brand.

The engine's processes read and write these arrays; the Mesa agents
(:mod:`simulation.core.agents`) are views on one row of them. Keeping the state in arrays is
what makes a step a handful of vectorised operations instead of N Python calls.

Layout: per-brand state has shape (N, B), C order, brand 0 the focal brand; ``x[i, b]`` is
consumer i's state about brand b. Flattened (``x.reshape(-1)``, a view) the key of (i, b)
is ``i * B + b``, which is how messages about different brands are pooled in one
``bincount`` (:mod:`simulation.core.processes.influence`). Floats are float64: the
engine and the per-agent reference must agree to 1e-12 where the rules are
deterministic, and at N = 10^6, B = 3 the eight float arrays take 190 MB, so float32 would
buy little here (the issue "Scale" revisits it).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulation.core.params import Params

NATIVE, IMMIGRANT = 0, 1
NO_BRAND = -1  # in ``choice``, ``topic``, ``last_brand`` and ``history``: none / the outside option

#: Fields of shape (N, B); the others have shape (N,), except ``history`` (scr_window, N).
BRAND_FIELDS = ("aware", "attitude0", "attitude", "expectation", "trust", "irritation", "loyalty",
                "purchases", "follower", "last_satisfaction", "recent", "reinforced", "answered",
                "answered_complaint")


@dataclass
class ConsumerState:
    """Per-consumer state (docs/ODD.md, 2.1 Consumers) plus this step's events.

    Per consumer and brand, shape (N, B): ``aware``, ``attitude0`` (the baseline attitude
    forgetting returns to), ``attitude`` [-1, 1], ``expectation`` [-1, 1], ``trust`` [0, 1],
    ``irritation`` >= 0, ``loyalty`` [0, 1], ``purchases`` (count, this run),
    ``follower`` (of the brand's page), ``last_satisfaction`` (NaN before the first
    purchase of the brand), ``recent`` (purchases of the brand in the last ``scr_window``
    weeks), ``reinforced`` (something reminded the consumer of the brand this week),
    ``answered`` (the brand has replied to a post of the consumer, this run) and
    ``answered_complaint`` (it has replied to a complaint of theirs): they change later
    posting about the brand (docs/ODD.md, 7.7).

    Per consumer, shape (N,): ``segment``, ``trust0`` (the segment's initial trust, which
    trust drifts back to), ``last_brand`` (brand of the latest category purchase, -1 none);
    ``history`` (scr_window, N): the brand bought in each week of the window (-1: none).
    Events of the current step: ``online``, ``bought`` (a category purchase), ``choice``
    (brand bought, -1 none), ``experience`` and ``satisfaction`` (NaN where nothing was
    bought), ``talked``, ``topic`` (the brand talked about, -1 none).
    """

    segment: np.ndarray
    trust0: np.ndarray
    aware: np.ndarray
    attitude0: np.ndarray
    attitude: np.ndarray
    expectation: np.ndarray
    trust: np.ndarray
    irritation: np.ndarray
    loyalty: np.ndarray
    purchases: np.ndarray
    follower: np.ndarray
    last_satisfaction: np.ndarray
    recent: np.ndarray
    reinforced: np.ndarray
    answered: np.ndarray
    answered_complaint: np.ndarray
    last_brand: np.ndarray
    history: np.ndarray
    online: np.ndarray
    bought: np.ndarray
    choice: np.ndarray
    experience: np.ndarray
    satisfaction: np.ndarray
    talked: np.ndarray
    topic: np.ndarray

    @property
    def n(self) -> int:
        return self.segment.shape[0]

    @property
    def n_brands(self) -> int:
        return self.aware.shape[1]

    @classmethod
    def initial(cls, segment: np.ndarray, params: Params, qualities: np.ndarray,
                rng: np.random.Generator) -> ConsumerState:
        """Step-0 state (docs/ODD.md, 5 Initialisation). Draw order: awareness, attitudes,
        habitual brands.

        1. ``U = rng.random((N, B))``; consumer i is aware of brand b if U[i, b] < the
           brand's initial awareness: ``initial_awareness`` for the focal brand at a launch,
           ``known_awareness`` for a known brand (the rivals; every brand when established).
        2. Baseline attitudes 0, or clip(N(0, sd), -1, 1) with ``initial_attitude_sd`` > 0
           (``rng.standard_normal((N, B))``); attitude starts at its baseline.
        3. Known brands: an aware consumer knows what to expect (expectation = Q_b, attitude
           = clip(Q_b + a0, -1, 1): Q_b itself without a spread) and has one habitual brand,
           drawn uniformly among the known brands they know (one ``rng.random(N)``, only if
           some brand is known): loyalty
           ``initial_loyalty`` to it, and it is their ``last_brand``.

        Trust in every brand starts at the segment's ``initial_trust_<segment>``; expectation
        of an unknown brand at 0, loyalty, irritation and counts at 0; nobody has been answered.
        """
        n, b = segment.shape[0], int(params.n_brands)
        known = known_brands(params)
        level = np.where(known, params.known_awareness, params.initial_awareness)
        aware = rng.random((n, b)) < level
        attitude0 = np.zeros((n, b))
        if params.initial_attitude_sd > 0:
            attitude0 = np.clip(params.initial_attitude_sd * rng.standard_normal((n, b)), -1.0, 1.0)
        attitude = attitude0.copy()
        expectation = np.zeros((n, b))
        loyalty = np.zeros((n, b))
        last_brand = np.full(n, NO_BRAND, dtype=np.int16)
        if known.any():
            knows = aware & known
            q = np.broadcast_to(np.asarray(qualities, dtype=np.float64), (n, b))
            attitude[knows] = np.clip(q[knows] + attitude0[knows], -1.0, 1.0)  # spread around Q
            expectation[knows] = q[knows]
            count = knows.sum(axis=1)
            pick = np.floor(rng.random(n) * count).astype(np.int64)  # k-th known brand they know
            rank = np.cumsum(knows, axis=1) - 1
            habitual = knows & (rank == pick[:, None])
            who, brand = np.nonzero(habitual)
            loyalty[who, brand] = params.initial_loyalty
            last_brand[who] = brand
        seg = segment.astype(np.int8, copy=True)
        trust0 = np.where(seg == IMMIGRANT, params.initial_trust_immigrant, params.initial_trust_native)
        return cls(
            segment=seg,
            trust0=trust0,
            aware=aware,
            attitude0=attitude0,
            attitude=attitude,
            expectation=expectation,
            trust=np.repeat(trust0[:, None], b, axis=1),
            irritation=np.zeros((n, b)),
            loyalty=loyalty,
            purchases=np.zeros((n, b), dtype=np.int64),
            follower=np.zeros((n, b), dtype=bool),
            last_satisfaction=np.full((n, b), np.nan),
            recent=np.zeros((n, b), dtype=np.int32),
            reinforced=np.zeros((n, b), dtype=bool),
            answered=np.zeros((n, b), dtype=bool),
            answered_complaint=np.zeros((n, b), dtype=bool),
            last_brand=last_brand,
            history=np.full((int(params.scr_window), n), NO_BRAND, dtype=np.int16),
            online=np.zeros(n, dtype=bool),
            bought=np.zeros(n, dtype=bool),
            choice=np.full(n, NO_BRAND, dtype=np.int16),
            experience=np.full(n, np.nan),
            satisfaction=np.full(n, np.nan),
            talked=np.zeros(n, dtype=bool),
            topic=np.full(n, NO_BRAND, dtype=np.int16),
        )

    def by_segment(self, native_value: float, immigrant_value: float) -> np.ndarray:
        """Per-consumer array of a segment-specific parameter."""
        return np.where(self.segment == IMMIGRANT, immigrant_value, native_value)

    def segment_members(self) -> tuple[np.ndarray, np.ndarray]:
        """(natives, immigrants): the consumers of each segment, ascending (natives: anyone
        not an immigrant). Computed once per state object: segments never change in a run
        (as the metrics' segment masks assume); a copy computes its own."""
        members = self.__dict__.get("_segment_members")
        if members is None:
            members = (np.flatnonzero(self.segment != IMMIGRANT), np.flatnonzero(self.segment == IMMIGRANT))
            self.__dict__["_segment_members"] = members
        return members

    def keys(self, brand: np.ndarray) -> np.ndarray:
        """Flat keys ``i * B + brand[i]`` of (consumer i, ``brand[i]``) for every consumer:
        ``x.reshape(-1).take(keys)`` is ``x[np.arange(N), brand]`` without the slower
        two-dimensional fancy index (``brand`` >= 0)."""
        return np.arange(self.n, dtype=np.int64) * self.n_brands + brand

    def copy(self) -> ConsumerState:
        return ConsumerState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def known_brands(params: Params) -> np.ndarray:
    """Bool per brand: known at step 0 (every rival; the focal brand too when established)."""
    known = np.ones(int(params.n_brands), dtype=bool)
    known[0] = params.scenario == "established"
    return known


def row_max(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=1)`` of an (N, B) array, brand column by brand column.

    The same values (a maximum is exact in any order), several times faster for few brands:
    numpy reduces a short inner axis one row at a time, while one ``np.maximum`` per column
    is a long vectorised loop.

    Examples
    --------
    >>> row_max(np.array([[0.1, 0.5, 0.2], [-1.0, -2.0, -0.5]])).tolist()
    [0.5, -0.5]
    """
    top = x[:, 0].copy()
    for b in range(1, x.shape[1]):
        np.maximum(top, x[:, b], out=top)
    return top


def kth_true(mask: np.ndarray, k: np.ndarray | None = None) -> np.ndarray:
    """Per row of the (N, B) boolean ``mask``, the column of its ``k[i]``-th True value
    (0-based; ``k`` None: the first), -1 where there is none.

    ``(np.cumsum(mask, axis=1) - 1 == k[:, None]) & mask`` then ``argmax(axis=1)``, computed
    one column at a time (the axis-1 reductions are slow for few brands; the result is the same).

    Examples
    --------
    >>> m = np.array([[True, False, True], [False, False, False], [True, True, True]])
    >>> kth_true(m, np.array([1, 0, 2])).tolist(), kth_true(m).tolist()
    ([2, -1, 2], [0, -1, 0])
    """
    n = mask.shape[0]
    target = 0 if k is None else k
    found = np.full(n, NO_BRAND, dtype=np.int64)
    before = np.zeros(n, dtype=np.int16)  # True values in the columns to the left (B <= 20)
    hit = np.empty(n, dtype=bool)
    for b in range(mask.shape[1]):
        column = mask[:, b]
        np.equal(before, target, out=hit)
        hit &= column
        np.copyto(found, b, where=hit)
        before += column
    return found


def row_count(mask: np.ndarray) -> np.ndarray:
    """``mask.sum(axis=1)`` of an (N, B) boolean array, column by column (as :func:`row_max`).

    Examples
    --------
    >>> row_count(np.array([[True, False, True], [False, False, False]])).tolist()
    [2, 0]
    """
    count = mask[:, 0].astype(np.int64)
    for b in range(1, mask.shape[1]):
        count += mask[:, b]
    return count


def row_cumsum(x: np.ndarray) -> np.ndarray:
    """``np.cumsum(x, axis=1)``, column by column: the same additions in the same order.

    Examples
    --------
    >>> row_cumsum(np.array([[0.5, 0.25, 0.25], [1.0, 0.0, 2.0]])).tolist()
    [[0.5, 0.75, 1.0], [1.0, 1.0, 3.0]]
    """
    out = np.empty_like(x)
    out[:, 0] = x[:, 0]
    for b in range(1, x.shape[1]):
        np.add(out[:, b - 1], x[:, b], out=out[:, b])
    return out


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """Round ``x`` >= 0 up with probability equal to its fractional part.

    Keeps the expected number of impressions or replies exactly equal to what the budget
    buys, at any budget and population size.
    """
    whole = int(np.floor(x))
    return whole + int(rng.random() < (x - whole))
