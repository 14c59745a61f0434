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
    """Counters of the current step, the latest NPS survey and cumulative money flows
    (the focal brand's)."""

    wom_positive: int = 0
    wom_negative: int = 0
    posts: int = 0
    replies: int = 0
    replies_total: int = 0        # focal replies so far
    capacity_total: int = 0       # replies the focal dialogue budget bought so far
    purchases: int = 0            # of the focal brand
    occasions: int = 0            # category purchase occasions this week
    consultations: int = 0        # ... on which the consumer consulted the public record
    category_purchases: int = 0   # of any brand
    repeat_purchases: int = 0     # focal purchases whose previous purchase was focal
    previous_focal: int = 0       # buyers whose previous purchase was focal
    defections: int = 0           # ... who chose another brand now
    impressions: int = 0
    organic_views: int = 0        # focal page posts seen for free this week
    page_followers: int = 0       # focal page's followers when it posted (online or not)
    nps: float = math.nan
    nps_low: float = math.nan
    nps_high: float = math.nan
    nps_respondents: int = 0
    spend: float = 0.0
    spend_week: float = 0.0       # this week's spend (what the firm's books show for the week)
    revenue: float = 0.0


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else 0.0


def _masked_mean(x: np.ndarray, mask: np.ndarray) -> float:
    """Mean of x over mask (0 for an empty mask), without materialising x[mask]."""
    n = np.count_nonzero(mask)
    if not n:
        return 0.0
    if x.dtype == bool:  # a count: the same number as the sum below, without its slow masked loop
        return float(np.count_nonzero(x & mask) / n)
    return float(np.sum(x, where=mask) / n)


def _share(mask: np.ndarray) -> float:
    """``float(mask.mean())`` of a boolean array (NaN if empty): an exact count / size, so
    the same number, by ``count_nonzero`` (a bool mean casts every entry to float first)."""
    return np.count_nonzero(mask) / mask.size if mask.size else math.nan


def _ratio(part: float, whole: float) -> float:
    """part / whole; NaN when whole is 0 (a share of nothing is undefined, not 0)."""
    return float(part / whole) if whole else math.nan


def _customer(m) -> np.ndarray:
    """Mask of consumers who bought the focal brand at least once, computed once per collected step."""
    key = (id(m.state), m.steps)
    cache = getattr(m, "_customer_cache", None)
    if cache is None or cache[0] != key:
        cache = (key, m.state.purchases[:, 0] >= 1)
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
    return _share(m.state.aware[:, 0])


def rival_awareness(m) -> float:
    """Mean over rivals of the share aware of the rival; NaN without rivals."""
    return _share(m.state.aware[:, 1:])


def mean_attitude(m) -> float:
    return _masked_mean(m.state.attitude[:, 0], m.state.aware[:, 0])


def customers(m) -> float:
    return _share(_customer(m))


def repeat_customers(m) -> float:
    return _share(m.state.purchases[:, 0] >= 2)


def loyalty(m) -> float:
    return _masked_mean(m.state.loyalty[:, 0], _customer(m))


def loyal_share(m) -> float:
    return _share(m.state.loyalty[:, 0] >= m.params.loyal_threshold)


def market_share(m) -> float:
    return _ratio(m.tally.purchases, m.tally.category_purchases)


def consulted(m) -> float:
    return _ratio(m.tally.consultations, m.tally.occasions)


def category_purchases(m) -> float:
    return m.tally.category_purchases / m.state.n


def scr(m) -> float:
    """Share of category requirements: over the consumers who bought the focal brand in
    the last ``scr_window`` weeks, their focal purchases / all their category purchases
    in the window (pooled: a ratio of sums)."""
    recent = m.state.recent
    focal = recent[:, 0]
    buyers = focal > 0
    # integer sums (exact in any order): the focal column over everyone (non-buyers add 0),
    # and every brand's column over the buyers
    return _ratio(float(focal.sum()), float(sum(int(recent[:, b][buyers].sum()) for b in range(recent.shape[1]))))


def repeat_rate(m) -> float:
    return _ratio(m.tally.repeat_purchases, m.tally.purchases)


def defection_rate(m) -> float:
    return _ratio(m.tally.defections, m.tally.previous_focal)


def nps(m) -> float:
    return m.tally.nps


def nps_low(m) -> float:
    return m.tally.nps_low


def nps_high(m) -> float:
    return m.tally.nps_high


def nps_respondents(m) -> float:
    return float(m.tally.nps_respondents)


def wom_positive(m) -> float:
    return float(m.tally.wom_positive)


def wom_negative(m) -> float:
    return float(m.tally.wom_negative)


def posts(m) -> float:
    return float(m.tally.posts)


def replies(m) -> float:
    return float(m.tally.replies)


def public_rating(m) -> float:
    """The focal brand's rating on the lasting layer of the record (:func:`brand_rating`)."""
    return brand_rating(m.record, 0, m.params.rating_prior_posts)


def brand_rating(record, brand: int, prior_posts: float) -> float:
    """A brand's public rating on the lasting layer of ``record`` (anything with ``totals(b)``):
    sum of the sentiments of every post ever written about it / (posts + ``prior_posts``), a
    mean shrunk toward 0. The one definition of the metric ``public_rating`` and of the rating
    a consulting buyer reads (docs/ODD.md, 7.3)."""
    t = record.totals(brand)
    return shrunk_mean(t.sentiment, t.posts, prior_posts)


def shrunk_mean(total: float, count: int, prior_weight: float) -> float:
    """total / (count + prior_weight): the mean of ``count`` values in [-1, 1] with a neutral
    prior worth ``prior_weight`` values (0 when there is nothing and no prior).

    Examples
    --------
    >>> shrunk_mean(3.0, 5, 5.0), shrunk_mean(0.0, 0, 5.0)
    (0.3, 0.0)
    """
    weight = count + prior_weight
    return float(min(1.0, max(-1.0, total / weight))) if weight > 0 else 0.0


def reply_rate(m) -> float:
    t = m.record.totals(0)
    return _ratio(t.answered, t.posts)


def resolution_rate(m) -> float:
    t = m.record.totals(0)
    return _ratio(t.resolved, t.complaints)


def dialogue_utilisation(m) -> float:
    return _ratio(m.tally.replies_total, m.tally.capacity_total)


def public_sentiment(m) -> float:
    return m.record.mean_sentiment(m.steps, m.params.recency, 0)


def trust(m) -> float:
    return float(m.state.trust[:, 0].mean())


def spend(m) -> float:
    return m.tally.spend


def spend_week(m) -> float:
    return m.tally.spend_week


def sales(m) -> float:
    return float(m.tally.purchases)


def revenue(m) -> float:
    return m.tally.revenue


def profit(m) -> float:
    return m.tally.revenue - m.tally.spend


def roi(m) -> float:
    """(revenue - spend) / spend, cumulative; NaN while nothing has been spent."""
    return (m.tally.revenue - m.tally.spend) / m.tally.spend if m.tally.spend > 0 else float("nan")


def _segment_loyalty(m, segment: int) -> float:
    return _masked_mean(m.state.loyalty[:, 0], _segment_mask(m, segment) & _customer(m))


def loyalty_natives(m) -> float:
    return _segment_loyalty(m, NATIVE)


def loyalty_immigrants(m) -> float:
    return _segment_loyalty(m, IMMIGRANT)


def awareness_natives(m) -> float:
    return _masked_mean(m.state.aware[:, 0], _segment_mask(m, NATIVE))


def awareness_immigrants(m) -> float:
    return _masked_mean(m.state.aware[:, 0], _segment_mask(m, IMMIGRANT))


def trust_natives(m) -> float:
    return _masked_mean(m.state.trust[:, 0], _segment_mask(m, NATIVE))


def trust_immigrants(m) -> float:
    return _masked_mean(m.state.trust[:, 0], _segment_mask(m, IMMIGRANT))


def followers(m) -> float:
    return _share(m.state.follower[:, 0])


def organic_reach_rate(m) -> float:
    """The focal page's free views this week / (its followers x ``fanpage_posts``): the mean
    share of all its fans, online or not, that an unpaid page post reached, as Manson (2014)
    measures organic reach (docs/ODD.md, 4.11). NaN without followers or posts."""
    return _ratio(m.tally.organic_views, m.tally.page_followers * m.params.fanpage_posts)


def brand_table(m, since: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-brand purchase measures of the run, brand 0 (focal) first (docs/ODD.md, 4.11 Observation).

    Counts are the brand purchases of the run, ``m.state.purchases`` (N, B), or, with
    ``since`` (a copy of ``purchases`` taken at the start of a window), those made after it.
    The outside option is no purchase. A brand's *buyers* bought it at least once in that
    period. Measures with nothing to divide by are NaN.

    Parameters
    ----------
    m : model
        Anything with a :class:`~simulation.core.state.ConsumerState` as ``m.state``.
    since : numpy.ndarray, optional
        Shape (N, B): the purchase counts at the start of the period.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays of length B: ``brand`` (index), ``buyers`` (count), ``purchases`` (count),
        ``penetration`` (buyers / N), ``purchase_frequency`` (purchases / buyers),
        ``scr`` (share of category requirements: purchases of the brand / all brand
        purchases of its buyers, a ratio of sums as :func:`scr`), ``market_share``
        (purchases / all brand purchases), ``awareness`` (share aware now) and ``loyalty``
        (mean attitudinal loyalty of its buyers now).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> state = SimpleNamespace(purchases=np.array([[2, 1], [0, 1], [0, 0]]), aware=np.ones((3, 2), bool),
    ...                         loyalty=np.array([[0.6, 0.1], [0.0, 0.3], [0.0, 0.0]]))
    >>> t = brand_table(SimpleNamespace(state=state))
    >>> t["penetration"].round(3).tolist(), t["purchase_frequency"].tolist(), t["scr"].round(3).tolist()
    ([0.333, 0.667], [2.0, 1.0], [0.667, 0.5])
    """
    s = m.state
    counts = s.purchases if since is None else s.purchases - since
    buys = counts > 0
    buyers = buys.sum(axis=0)
    bought = counts.sum(axis=0)
    # all brand purchases of each brand's buyers: consumer totals summed over the buyers
    requirements = counts.sum(axis=1) @ buys
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "brand": np.arange(counts.shape[1]),
            "buyers": buyers,
            "purchases": bought,
            "penetration": buyers / counts.shape[0],
            "purchase_frequency": np.where(buyers > 0, bought / buyers, np.nan),
            "scr": np.where(requirements > 0, bought / requirements, np.nan),
            "market_share": bought / bought.sum() if bought.sum() else np.full(bought.shape, np.nan),
            "awareness": s.aware.mean(axis=0),
            "loyalty": np.where(buyers > 0, (s.loyalty * buys).sum(axis=0) / buyers, np.nan),
        }


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
    "awareness": Metric(awareness, "share", "share of consumers aware of the focal brand", UNIT_RANGE),
    "rival_awareness": Metric(rival_awareness, "share", "mean over rivals of the share aware of the rival "
                              "(NaN without rivals)", UNIT_RANGE),
    "mean_attitude": Metric(mean_attitude, "-1..1", "mean attitude to the focal brand of those aware of it",
                            SIGNED_RANGE),
    "customers": Metric(customers, "share", "penetration: share of consumers who bought the focal brand "
                        "at least once in the run", UNIT_RANGE),
    "adopters": Metric(customers, "share", "the Bass F(t): share who bought the focal brand at least once "
                       "(= customers)", UNIT_RANGE),
    "repeat_customers": Metric(repeat_customers, "share", "share who bought the focal brand at least twice",
                               UNIT_RANGE),
    "loyalty": Metric(loyalty, "0..1", "mean attitudinal loyalty to the focal brand of its customers", UNIT_RANGE),
    "loyal_share": Metric(loyal_share, "share", "share of all consumers with loyalty to the focal brand "
                          ">= loyal_threshold", UNIT_RANGE),
    "market_share": Metric(market_share, "share", "focal brand's share of this week's category purchases "
                           "(NaN in a week without any)", UNIT_RANGE),
    "category_purchases": Metric(category_purchases, "per consumer", "category purchases this week per consumer "
                                 "(any brand)", UNIT_RANGE),
    "consulted": Metric(consulted, "share", "share of this week's category purchase occasions on which the "
                        "consumer consulted the public record (NaN in a week without occasions)", UNIT_RANGE),
    "scr": Metric(scr, "share", "share of category requirements: focal purchases / all category purchases of "
                  "the focal brand's buyers in the last scr_window weeks (NaN without buyers)", UNIT_RANGE),
    "repeat_rate": Metric(repeat_rate, "share", "share of this week's focal purchases whose buyer's previous "
                          "category purchase was focal (NaN without focal purchases)", UNIT_RANGE),
    "defection_rate": Metric(defection_rate, "share", "of this week's buyers whose previous purchase was focal, "
                             "the share who chose another brand (NaN without such buyers)", UNIT_RANGE),
    "nps": Metric(nps, "-100..100", "net promoter score of the latest survey of recent focal customers "
                  "(NaN before the first)", NPS_RANGE),
    "nps_low": Metric(nps_low, "-100..100", "lower end of the survey's 95 % interval of NPS", NPS_RANGE),
    "nps_high": Metric(nps_high, "-100..100", "upper end of the survey's 95 % interval of NPS", NPS_RANGE),
    "nps_respondents": Metric(nps_respondents, "respondents", "sample size of the latest NPS survey", COUNT_RANGE),
    "wom_positive": Metric(wom_positive, "messages/week", "delivered private WOM messages with positive valence "
                           "(about any brand)", COUNT_RANGE),
    "wom_negative": Metric(wom_negative, "messages/week", "delivered private WOM messages with negative valence "
                           "(about any brand)", COUNT_RANGE),
    "posts": Metric(posts, "posts/week", "public posts about the focal brand written this week (incl. backlash "
                    "posts)", COUNT_RANGE),
    "replies": Metric(replies, "replies/week", "focal brand's replies this week", COUNT_RANGE),
    "public_rating": Metric(public_rating, "-1..1", "focal brand's rating on the lasting layer of the record: "
                            "sentiments of all posts ever about it / (posts + rating_prior_posts)", SIGNED_RANGE),
    "reply_rate": Metric(reply_rate, "share", "share of all posts ever about the focal brand that it answered "
                         "(NaN before the first post)", UNIT_RANGE),
    "resolution_rate": Metric(resolution_rate, "share", "share of all complaints ever about the focal brand "
                              "that a reply resolved (NaN before the first complaint)", UNIT_RANGE),
    "dialogue_utilisation": Metric(dialogue_utilisation, "share", "focal replies so far / the replies its dialogue "
                                   "budget bought so far, cumulative (NaN without that capacity)", UNIT_RANGE),
    "public_sentiment": Metric(public_sentiment, "-1..1", "recency-weighted mean sentiment of the public posts "
                               "about the focal brand (recency only: not the reach and reply boost readers see)",
                               SIGNED_RANGE),
    "trust": Metric(trust, "0..1", "mean trust in the focal brand's messages", UNIT_RANGE),
    "spend": Metric(spend, "impression units", "focal brand's cumulative marketing spend", COUNT_RANGE),
    "spend_week": Metric(spend_week, "impression units/week", "focal brand's marketing spend this week: what "
                         "its channels used of this week's budgets (docs/ODD.md 7.11; x on(t) of the spend schedule)",
                         COUNT_RANGE),
    "sales": Metric(sales, "purchases/week", "focal purchases this week (units sold: with spend_week, what the "
                    "firm observes)", COUNT_RANGE),
    "revenue": Metric(revenue, "impression units", "cumulative margin from focal purchases", COUNT_RANGE),
    "profit": Metric(profit, "impression units", "cumulative revenue - spend", UNBOUNDED),
    "roi": Metric(roi, "ratio", "cumulative (revenue - spend) / spend; NaN when nothing was spent", (-1.0, math.inf)),
    "loyalty_natives": Metric(loyalty_natives, "0..1", "mean loyalty of focal customers among digital natives",
                              UNIT_RANGE),
    "loyalty_immigrants": Metric(loyalty_immigrants, "0..1", "mean loyalty of focal customers among digital "
                                 "immigrants", UNIT_RANGE),
    "awareness_natives": Metric(awareness_natives, "share", "awareness of the focal brand among digital natives",
                                UNIT_RANGE),
    "awareness_immigrants": Metric(awareness_immigrants, "share", "awareness of the focal brand among digital "
                                   "immigrants", UNIT_RANGE),
    "trust_natives": Metric(trust_natives, "0..1", "mean trust in the focal brand among digital natives",
                            UNIT_RANGE),
    "trust_immigrants": Metric(trust_immigrants, "0..1", "mean trust in the focal brand among digital immigrants",
                               UNIT_RANGE),
    "followers": Metric(followers, "share", "share of consumers following the focal brand's page", UNIT_RANGE),
    "organic_reach_rate": Metric(organic_reach_rate, "share", "focal page's free (organic) views this week / "
                                 "(its followers, online or not, x fanpage_posts): the share of its fans an unpaid "
                                 "post reached (NaN without followers or posts)", UNIT_RANGE),
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
