"""Model-level metrics: small reporter functions, one per output (docs/ODD.md, 4.11 Observation).

Each takes the model and reads its state arrays, so the engine and the per-agent
reference (which exposes the same ``state``, ``tally`` and ``record``) share one
definition of every metric. ``METRICS`` maps the output name to a :class:`Metric`
(function, unit, meaning, declared range); the DataCollector is built from it, and the
confidence intervals of the experiment layer keep inside the ranges.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from simulation.core.params import closest
from simulation.core.state import IMMIGRANT, NATIVE
from simulation.errors import WomsimError


@dataclass
class Tally:
    """Counters of the current step and cumulative money flows."""

    wom_positive: int = 0
    wom_negative: int = 0
    posts: int = 0
    replies: int = 0
    purchases: int = 0
    impressions: int = 0
    spend: float = 0.0
    revenue: float = 0.0


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else 0.0


def _masked_mean(x: np.ndarray, mask: np.ndarray) -> float:
    """Mean of x over mask (0 for an empty mask), without materialising x[mask]."""
    n = np.count_nonzero(mask)
    return float(np.sum(x, where=mask) / n) if n else 0.0


def _customer(m) -> np.ndarray:
    """Mask of consumers with at least one purchase, computed once per collected step."""
    key = (id(m.state), m.steps)
    cache = getattr(m, "_customer_cache", None)
    if cache is None or cache[0] != key:
        cache = (key, m.state.purchases >= 1)
        m._customer_cache = cache
    return cache[1]


def _segment_mask(m, segment: int) -> np.ndarray:
    """Segment masks never change: computed once per state object."""
    cache = getattr(m, "_segment_cache", None)
    if cache is None or cache[0] != id(m.state):
        cache = (id(m.state), {NATIVE: m.state.segment == NATIVE, IMMIGRANT: m.state.segment == IMMIGRANT})
        m._segment_cache = cache
    return cache[1][segment]


def awareness(m) -> float:
    return float(m.state.aware.mean())


def mean_attitude(m) -> float:
    return _masked_mean(m.state.attitude, m.state.aware)


def customers(m) -> float:
    return float(_customer(m).mean())


def repeat_customers(m) -> float:
    return float((m.state.purchases >= 2).mean())


def loyalty(m) -> float:
    return _masked_mean(m.state.loyalty, _customer(m))


def loyal_share(m) -> float:
    return float((m.state.loyalty >= m.params.loyal_threshold).mean())


def nps(m) -> float:
    """Net promoter score over aware consumers: score = 5 (a + 1) on 0..10, promoters
    score >= 9, detractors <= 6; NPS = 100 (share promoters - share detractors)."""
    aware = m.state.aware
    n = np.count_nonzero(aware)
    if n == 0:
        return 0.0
    score = 5.0 * (m.state.attitude + 1.0)
    promoters = np.count_nonzero((score >= 9.0) & aware)
    detractors = np.count_nonzero((score <= 6.0) & aware)
    return float(100.0 * (promoters - detractors) / n)


def wom_positive(m) -> float:
    return float(m.tally.wom_positive)


def wom_negative(m) -> float:
    return float(m.tally.wom_negative)


def posts(m) -> float:
    return float(m.tally.posts)


def replies(m) -> float:
    return float(m.tally.replies)


def public_sentiment(m) -> float:
    return m.record.mean_sentiment(m.steps, m.params.recency)


def trust(m) -> float:
    return float(m.state.trust.mean())


def spend(m) -> float:
    return m.tally.spend


def revenue(m) -> float:
    return m.tally.revenue


def profit(m) -> float:
    return m.tally.revenue - m.tally.spend


def roi(m) -> float:
    """(revenue - spend) / spend, cumulative; NaN while nothing has been spent."""
    return (m.tally.revenue - m.tally.spend) / m.tally.spend if m.tally.spend > 0 else float("nan")


def _segment_loyalty(m, segment: int) -> float:
    return _masked_mean(m.state.loyalty, _segment_mask(m, segment) & _customer(m))


def loyalty_natives(m) -> float:
    return _segment_loyalty(m, NATIVE)


def loyalty_immigrants(m) -> float:
    return _segment_loyalty(m, IMMIGRANT)


def awareness_natives(m) -> float:
    return _masked_mean(m.state.aware, _segment_mask(m, NATIVE))


def awareness_immigrants(m) -> float:
    return _masked_mean(m.state.aware, _segment_mask(m, IMMIGRANT))


def followers(m) -> float:
    return float(m.state.follower.mean())


#: Declared ranges (closed; +/-inf for an open end). The confidence interval of a metric's
#: mean over replicates stays inside its range (:func:`simulation.research.stats.interval`).
UNIT_RANGE = (0.0, 1.0)
SIGNED_RANGE = (-1.0, 1.0)
NPS_RANGE = (-100.0, 100.0)
COUNT_RANGE = (0.0, math.inf)
UNBOUNDED = (-math.inf, math.inf)


class Metric(NamedTuple):
    """One output: its reporter, unit, meaning and the range its values can take.

    ``range`` is (lower, upper), closed; ``math.inf`` marks an open end. It follows from
    the definition (a share is in [0, 1], NPS in [-100, 100], a count is >= 0; ROI >= -1
    because revenue >= 0), not from what runs happen to show.
    """

    function: Callable
    unit: str
    meaning: str
    range: tuple[float, float]


METRICS: dict[str, Metric] = {
    "awareness": Metric(awareness, "share", "share of consumers aware of the brand", UNIT_RANGE),
    "mean_attitude": Metric(mean_attitude, "-1..1", "mean attitude of aware consumers", SIGNED_RANGE),
    "customers": Metric(customers, "share", "share of consumers who bought at least once", UNIT_RANGE),
    "adopters": Metric(customers, "share", "the Bass F(t): share who bought at least once (= customers)", UNIT_RANGE),
    "repeat_customers": Metric(repeat_customers, "share", "share who bought at least twice", UNIT_RANGE),
    "loyalty": Metric(loyalty, "0..1", "mean loyalty of customers", UNIT_RANGE),
    "loyal_share": Metric(loyal_share, "share", "share of all consumers with loyalty >= loyal_threshold", UNIT_RANGE),
    "nps": Metric(nps, "-100..100", "net promoter score over aware consumers", NPS_RANGE),
    "wom_positive": Metric(wom_positive, "messages/week", "delivered private WOM messages with positive valence",
                           COUNT_RANGE),
    "wom_negative": Metric(wom_negative, "messages/week", "delivered private WOM messages with negative valence",
                           COUNT_RANGE),
    "posts": Metric(posts, "posts/week", "public posts written this week (incl. backlash posts)", COUNT_RANGE),
    "replies": Metric(replies, "replies/week", "brand replies this week", COUNT_RANGE),
    "public_sentiment": Metric(public_sentiment, "-1..1", "recency-weighted mean sentiment of the public record",
                               SIGNED_RANGE),
    "trust": Metric(trust, "0..1", "mean trust in brand messages", UNIT_RANGE),
    "spend": Metric(spend, "impression units", "cumulative marketing spend", COUNT_RANGE),
    "revenue": Metric(revenue, "impression units", "cumulative margin from purchases", COUNT_RANGE),
    "profit": Metric(profit, "impression units", "cumulative revenue - spend", UNBOUNDED),
    "roi": Metric(roi, "ratio", "cumulative (revenue - spend) / spend; NaN when nothing was spent", (-1.0, math.inf)),
    "loyalty_natives": Metric(loyalty_natives, "0..1", "mean loyalty of customers among digital natives", UNIT_RANGE),
    "loyalty_immigrants": Metric(loyalty_immigrants, "0..1", "mean loyalty of customers among digital immigrants",
                                 UNIT_RANGE),
    "awareness_natives": Metric(awareness_natives, "share", "awareness among digital natives", UNIT_RANGE),
    "awareness_immigrants": Metric(awareness_immigrants, "share", "awareness among digital immigrants", UNIT_RANGE),
    "followers": Metric(followers, "share", "share of consumers following the brand's page", UNIT_RANGE),
}

METRIC_NAMES = tuple(METRICS)


def check_metric(name: str) -> str:
    """``name`` if it is a metric, else a one-line error with the closest valid name."""
    if name not in METRICS:
        hint = closest(name, METRIC_NAMES)
        raise WomsimError(f"--metric '{name}' is not a metric" + (f" (did you mean '{hint}'?)" if hint else ""))
    return name


def model_reporters() -> dict[str, Callable]:
    """Reporter dict for :class:`mesa.DataCollector`."""
    return {name: m.function for name, m in METRICS.items()}


def metric_range(name: str) -> tuple[float, float]:
    """The declared range of metric ``name``; (-inf, inf) for any other column (a derived
    quantity such as the incremental ROI, or a ratio, has no range to respect).

    Examples
    --------
    >>> metric_range("awareness"), metric_range("nps"), metric_range("incremental_roi")
    ((0.0, 1.0), (-100.0, 100.0), (-inf, inf))
    """
    spec = METRICS.get(name)
    return spec.range if spec is not None else UNBOUNDED
