"""Consulting the public record before buying (docs/ODD.md 7.3, "Consulting the record"):
the rule on hand-made arrays, and the issue's "Done when": a post's influence on buyers one
year later is measurable, and would not be with the record of before (nobody consulted it).
"""

import numpy as np
import pytest

from simulation.core import processes as proc
from simulation.core.metrics import brand_rating
from simulation.core.model import WordOfMouthModel
from simulation.core.params import Params
from simulation.core.state import IMMIGRANT, ConsumerState

RNG = np.random.default_rng


def _state(n: int, params: Params, segment=None) -> ConsumerState:
    segment = np.zeros(n, dtype=np.int8) if segment is None else segment
    s = ConsumerState.initial(segment, params.replace(scenario="established", known_awareness=1.0),
                              np.full(params.n_brands, 0.3), RNG(0))
    s.attitude[:], s.expectation[:], s.trust[:], s.loyalty[:] = 0.0, 0.0, 0.5, 0.0
    s.online[:] = True
    return s


def _record(*posts) -> proc.PublicRecord:
    """posts: (brand, sentiment, step) triples, written in that order."""
    record = proc.PublicRecord(50)
    for brand, sentiment, step in posts:
        record.append(np.array([0]), np.array([sentiment]), np.array([sentiment]), step, brand)
    return record


# --- who consults ------------------------------------------------------------------------

def test_consult_off_draws_no_random_number():
    """Both probabilities 0 (the version1 preset): nobody consults and the generator is untouched."""
    p = Params(consult_native=0.0, consult_immigrant=0.0)
    rng = RNG(3)
    mask = proc.consults(_state(20, p), p, np.arange(20), rng)
    assert not mask.any() and rng.random() == RNG(3).random()


def test_only_online_consumers_consult_at_their_segments_rate():
    """20,000 natives and 20,000 immigrants on an occasion, half of them online: the shares
    consulting (among the online) are consult_native = 0.5 and consult_immigrant = 0.2 within
    0.015 (binomial sd <= 0.005 with 10,000 online per segment); nobody offline consults."""
    p = Params(consult_native=0.5, consult_immigrant=0.2)
    n = 40_000
    segment = np.repeat(np.array([0, IMMIGRANT], dtype=np.int8), n // 2)
    s = _state(n, p, segment)
    s.online[:] = np.arange(n) % 2 == 0
    mask = proc.consults(s, p, np.arange(n), RNG(1))
    assert not mask[~s.online].any()
    native, immigrant = s.online & (segment == 0), s.online & (segment == IMMIGRANT)
    assert mask[native].mean() == pytest.approx(0.5, abs=0.015)
    assert mask[immigrant].mean() == pytest.approx(0.2, abs=0.015)


# --- what they read ----------------------------------------------------------------------

def test_most_visible_posts_are_the_newest_about_the_brand():
    """Visibility is the recency weight today: the consult_posts newest posts about the brand,
    ties of one week broken by the order of writing (newest first); other brands' posts not."""
    record = _record((0, -0.1, 1), (1, 0.9, 5), (0, 0.2, 3), (0, 0.3, 3), (0, -0.4, 2), (0, 0.5, 1))
    p = Params(consult_posts=3)
    top = proc.most_visible(record, 0, 6, p)
    assert record.sentiment[top].tolist() == [0.3, 0.2, -0.4]
    np.testing.assert_allclose(record.visibility(top, 6, p), np.exp(-np.array([3, 3, 4]) / p.recency))
    assert record.sentiment[proc.most_visible(record, 1, 6, p)].tolist() == [0.9]
    assert len(proc.most_visible(record, 2, 6, p)) == 0
    assert len(proc.most_visible(record, 0, 6, p.replace(consult_posts=0))) == 0


def test_consulting_reads_posts_of_the_brands_one_knows_and_returns_the_rated_bonus():
    """Consumer 0 knows both brands, consumer 1 only brand 1. Brand 0 has 3 posts of -1,
    brand 1 one of +0.5: consumer 0's attitude to brand 0 falls, consumer 1's does not; both
    read brand 1's post. The bonus is purchase_rating x the shrunk rating of each brand."""
    p = Params(n_brands=2, consult_posts=3, purchase_rating=2.0, rating_prior_posts=5.0, confidence_bound=2.0)
    s = _state(2, p)
    s.aware[1, 0] = False
    record = _record((0, -1.0, 0), (0, -1.0, 0), (0, -1.0, 0), (1, 0.5, 0))
    bonus = proc.consult_record(s, record, p, np.array([0, 1]), now=1)
    np.testing.assert_allclose(bonus, 2.0 * np.array([-3.0 / 8.0, 0.5 / 6.0]))
    assert bonus[0] == 2.0 * brand_rating(record, 0, 5.0)
    assert s.attitude[0, 0] < 0 and s.attitude[1, 0] == 0.0 and not s.aware[1, 0]
    assert s.attitude[0, 1] == s.attitude[1, 1] > 0


def test_consulting_and_browsing_share_the_reading_rule():
    """The same (reader, post) pairs read by browsing's rule and by a consultation give the
    same state: read_posts is the one rule (a replied, resolved complaint and a spun reply)."""
    p = Params(n_brands=2, consult_posts=10, reply_trust_gain=0.1)
    record = _record((0, -0.8, 0), (0, 0.4, 0), (1, -0.6, 0))
    record.replied[:] = True
    record.reply_claim[:] = 0.3
    record.resolved[0], record.spin[2] = True, True
    consulted, browsed = _state(3, p), _state(3, p)
    proc.consult_record(consulted, record, p, np.arange(3), now=1)
    listener = np.repeat(np.arange(3), 3)
    proc.read_posts(browsed, record, listener, np.tile(np.arange(3), 3), p)
    for name in ("attitude", "expectation", "trust", "aware", "reinforced"):
        np.testing.assert_array_equal(getattr(consulted, name), getattr(browsed, name), err_msg=name)
    assert (consulted.trust[:, 0] > 0.5).all() and (consulted.trust[:, 1] < 0.5).all()


def test_what_is_read_changes_the_choice_of_the_same_occasion():
    """Two brands, no outside option, everybody on an occasion. Brand 0 has three posts of -1
    (rating -3/8): consulting buyers read them before choosing, so with the same draws fewer
    choose brand 0 than without a record; with purchase_rating = 0 and consult_posts = 0
    nothing read counts and the choices are those without a record."""
    p = Params(n_brands=2, outside_option=False, purchase_freq=1.0, consult_native=1.0, confidence_bound=2.0)
    record = _record((0, -1.0, 0), (0, -1.0, 0), (0, -1.0, 0), (1, 0.5, 0))
    n = 4000
    choices = {}
    for name, params, rec in (("none", p, None), ("consulted", p, record),
                              ("ignored", p.replace(purchase_rating=0.0, consult_posts=0), record)):
        s = _state(n, params)
        counts = proc.purchase(s, params, RNG(7), step=1, record=rec)
        choices[name] = s.choice.copy()
        assert counts.occasions == n and counts.consulted == (0 if rec is None else n)
    # P(brand 0) = 0.5 without the record; with it clearly lower (attitude -0.26 and the rating)
    assert (choices["none"] == 0).mean() == pytest.approx(0.5, abs=0.03)
    assert (choices["consulted"] == 0).mean() < 0.35
    np.testing.assert_array_equal(choices["ignored"], choices["none"])


# --- the "Done when" ---------------------------------------------------------------

# The burst must reach buyers a year later through the record alone: nobody browses
# (post_reach = 0) and consulting buyers read no posts (consult_posts = 0), only the ratings,
# so the posts are never read and cannot leave a trace in anyone's memory; broadcast answers
# no post. Everything else at the defaults, established market.
LASTING = {"scenario": "established", "strategy": "broadcast", "n_consumers": 2000, "post_reach": 0.0,
           "consult_posts": 0}
BURST = 200          # negative posts (sentiment -1) about the focal brand, written in week 0
WEEKS = 78           # focal market share compared over weeks 53..78
SEEDS = (0, 1, 2, 3, 4)


def _focal_share_a_year_later(params: dict, seed: int, burst: int) -> tuple[float, float]:
    model = WordOfMouthModel(params, rng=seed)
    if burst:
        model.record.append(np.arange(burst) % model.n_consumers, np.full(burst, -1.0), np.full(burst, -1.0),
                            step=0, brand=0)
    model.run(WEEKS)
    ts = model.timeseries()
    return float(ts.loc[ts["step"] > 52, "market_share"].mean()), float(ts["public_rating"].iloc[52])


def test_a_burst_of_posts_in_week_0_still_moves_purchases_a_year_later():
    """200 posts of -1 about the focal brand written in week 0, against the same seed without
    them (common random numbers): in weeks 53-78 the focal market share is lower, by 0.034 +-
    0.003 over 8 seeds when measured (every seed lower); asserted: mean difference over seeds
    0-4 below -0.015 (about 4 standard errors from 0) and the rating at week 52 still lower
    by more than 0.3. With the record as it was before consultation (consult_native =
    consult_immigrant = 0), or with the ratings out of the choice (purchase_rating = 0), the
    two runs are identical draw for draw: the difference is exactly 0."""
    diffs, rating_gaps = [], []
    for seed in SEEDS:
        with_burst, rating_burst = _focal_share_a_year_later(LASTING, seed, BURST)
        without, rating = _focal_share_a_year_later(LASTING, seed, 0)
        diffs.append(with_burst - without)
        rating_gaps.append(rating_burst - rating)
    assert np.mean(diffs) < -0.015, diffs
    assert max(rating_gaps) < -0.3, rating_gaps
    for old in ({"consult_native": 0.0, "consult_immigrant": 0.0}, {"purchase_rating": 0.0}):
        params = {**LASTING, **old}
        for seed in SEEDS[:2]:
            assert _focal_share_a_year_later(params, seed, BURST)[0] == _focal_share_a_year_later(params, seed, 0)[0]
