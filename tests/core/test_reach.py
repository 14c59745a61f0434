"""Reach, amplification and attention on the public record (docs/ODD.md, 7.7): heavy-tailed
post reach growing with the author's degree, the reply boost, answered authors posting
differently, and browsing that makes a reader aware only if they notice the brand.

Statistical tests state their seed, sample size and tolerance (several standard errors,
so they fail only when the rule is wrong, not by bad luck on the fixed seed).
"""

import networkx as nx
import numpy as np
import pytest

from simulation.core import processes as proc
from simulation.core.network import to_adjacency
from simulation.core.params import Params
from simulation.core.presets import VERSION1
from simulation.core.state import ConsumerState

RNG = np.random.default_rng


def make_state(n: int, params: Params, **per_brand) -> ConsumerState:
    """A one-brand state with nobody aware; ``per_brand`` values go into brand 0's column."""
    s = ConsumerState.initial(np.zeros(n, dtype=np.int8), params.replace(initial_awareness=0.0),
                              np.array([params.quality]), RNG(0))
    for name, value in per_brand.items():
        getattr(s, name)[:, 0] = value
    return s


def one_brand(**values) -> Params:
    return Params(**{**VERSION1, **values})


def top_share(x: np.ndarray, top: float = 0.1) -> float:
    """Share of sum(x) held by the largest ``top`` fraction of the entries."""
    x = np.sort(x)[::-1]
    return float(x[:max(1, int(round(top * len(x))))].sum() / x.sum())


# --- heavy-tailed reach growing with degree ---------------------------------------------------

def test_reach_scale_has_mean_one_and_grows_with_degree():
    degree = to_adjacency(nx.barabasi_albert_graph(3000, 3, seed=1), 0.3).degree
    scale = proc.reach_scale(degree, Params(reach_degree=0.5))
    assert scale.mean() == pytest.approx(1.0, abs=1e-12)
    order = np.argsort(degree)
    assert (np.diff(scale[order]) >= 0).all() and scale.max() / scale.min() == pytest.approx(
        np.sqrt((1 + degree.max()) / (1 + degree.min())))
    assert (proc.reach_scale(degree, Params(reach_degree=0.0)) == 1.0).all()
    assert (proc.reach_scale(np.zeros(5, dtype=np.int64), Params(reach_degree=2.0)) == 1.0).all()


def _posts_of_everyone(params: Params, degree: np.ndarray, weeks: int, seed: int) -> proc.PublicRecord:
    n = len(degree)
    s = make_state(n, params)
    s.talked[:], s.online[:], s.topic[:] = True, True, 0
    record = proc.PublicRecord(n * weeks, proc.reach_scale(degree, params))
    rng = RNG(seed)
    for week in range(weeks):
        proc.post_publicly(s, record, params, np.zeros(n), np.zeros(n), week, rng)
    return record


def test_post_reach_is_heavy_tailed_with_mean_one_and_grows_with_the_authors_degree():
    """3,000 consumers of a Barabasi-Albert graph (m = 3) post every week for 30 weeks (seed
    7): 90,000 posts. log(reach) = reach_degree log(1 + k) + const + reach_tail Z, so the
    least-squares slope of log(reach) on log(1 + k) estimates reach_degree = 0.5 (standard
    error about 1.5 / (0.55 sqrt(90000)) = 0.009; tolerance 0.05); the mean reach is 1 (its
    standard error is about 3 / sqrt(90000) = 0.01; tolerance 0.05); the top 10 % of posts
    hold about 60 % of all reach (a lognormal of log-sd 1.5 alone: 59 %; equal reach: 10 %)."""
    degree = to_adjacency(nx.barabasi_albert_graph(3000, 3, seed=1), 0.3).degree
    params = one_brand(post_prob=1.0, reach_tail=1.5, reach_degree=0.5)
    record = _posts_of_everyone(params, degree, 30, seed=7)
    reach, k = record.reach[record.slots()], degree[record.author[record.slots()]]
    assert len(reach) == 90_000 and (reach > 0).all()
    assert reach.mean() == pytest.approx(1.0, abs=0.05)
    slope = np.polyfit(np.log1p(k), np.log(reach), 1)[0]
    assert slope == pytest.approx(0.5, abs=0.05)
    assert top_share(reach) > 0.5
    # heavy tail: the largest reach is hundreds of times the median (a lognormal of log-sd 1.5
    # gives about exp(1.5 * 4.3) = 600 for the top of 90,000; a normal tail would give ~ 3)
    assert reach.max() / np.median(reach) > 100
    # off: no spread, no degree: every post has reach 1 and no normal is drawn
    off = _posts_of_everyone(one_brand(post_prob=1.0), degree, 2, seed=7)
    assert (off.reach[off.slots()] == 1.0).all()


def test_post_reach_off_draws_no_random_number():
    """reach_tail = 0: posting draws only its rng.random(N) (the version 1 draw), whatever
    reach_degree."""
    degree = np.arange(50)
    for reach_degree in (0.0, 1.0):
        params = one_brand(post_prob=0.5, reach_degree=reach_degree)
        s = make_state(50, params)
        s.talked[:], s.online[:], s.topic[:] = True, True, 0
        rng, twin = RNG(3), RNG(3)
        record = proc.PublicRecord(100, proc.reach_scale(degree, params))
        proc.post_publicly(s, record, params, np.zeros(50), np.zeros(50), 1, rng)
        twin.random(50)
        assert rng.random() == twin.random()
        slots = record.slots()
        np.testing.assert_allclose(record.reach[slots], record.author_scale[record.author[slots]], rtol=0, atol=0)


def test_backlash_posts_get_their_authors_expected_reach():
    record = proc.PublicRecord(10, np.array([0.5, 2.0, 1.5]))
    slots = record.append(np.array([1, 2]), np.array([-0.7, -0.7]), np.zeros(2), step=3)
    assert record.reach[slots].tolist() == [2.0, 1.5]
    assert proc.PublicRecord(10).append(np.array([0]), np.zeros(1), np.zeros(1), 1).tolist() == [0]


# --- visibility and the reply boost -----------------------------------------------------------

def test_visibility_is_recency_times_reach_times_the_reply_boost():
    params = Params(recency=4.0, reply_boost=0.5)
    record = proc.PublicRecord(10)
    record.append(np.arange(3), np.zeros(3), np.zeros(3), step=2, reach=np.array([1.0, 3.0, 0.2]))
    record.replied[1] = True
    slots = record.slots()
    want = np.exp(-(6 - 2) / 4.0) * np.array([1.0, 3.0 * 1.5, 0.2])
    np.testing.assert_allclose(record.visibility(slots, 6, params), want, rtol=1e-15)


def test_reply_boost_raises_the_reads_of_answered_posts():
    """Two posts of the same age and reach, one answered; reply_boost = 1, post_reach = 20,000
    (seed 11): reads ~ Poisson(2e4 e^-1/4 (1 + 2)) = 46,700, of which the answered post gets
    2/3 (sd 0.002; tolerance 0.02) and twice the reads of the other; without the boost
    the reads split evenly and their total is 2/3 as large."""
    reads = {}
    for boost in (0.0, 1.0):
        params = one_brand(post_reach=20_000.0, reply_boost=boost)
        record = proc.PublicRecord(10)
        record.append(np.array([0, 1]), np.array([-0.5, -0.5]), np.zeros(2), step=0)
        record.replied[1] = True
        s = make_state(100, params)
        s.online[:] = True
        total = proc.read_public_record(s, record, params, step=1, rng=RNG(11))
        assert record.reads.sum() == total
        reads[boost] = record.reads[:2].copy()
    assert reads[0.0][1] / reads[0.0].sum() == pytest.approx(0.5, abs=0.02)
    assert reads[1.0][1] / reads[1.0].sum() == pytest.approx(2 / 3, abs=0.02)
    assert reads[1.0].sum() / reads[0.0].sum() == pytest.approx(1.5, abs=0.05)


# --- answered authors post differently --------------------------------------------------------

def test_dialogue_marks_the_authors_it_answers():
    p = one_brand(reply_cost=10.0)
    s = make_state(4, p)
    record = proc.PublicRecord(10)
    record.append(np.array([0, 1, 2]), np.array([-0.5, 0.4, -0.2]), np.zeros(3), step=1)
    proc.dialogue(s, record, p, budget=20.0, reply_claim=0.3, quality=0.3, step=1, rng=RNG(0))
    # two replies: the two complaints (authors 0 and 2), not the positive post of author 1
    assert s.answered[:, 0].tolist() == [True, False, True, False]
    assert s.answered_complaint[:, 0].tolist() == [True, False, True, False]
    record.append(np.array([3]), np.array([0.6]), np.zeros(1), step=2)
    proc.dialogue(s, record, p, budget=10.0, reply_claim=0.3, quality=0.3, step=2, rng=RNG(0))
    assert s.answered[3, 0] and not s.answered_complaint[3, 0]


def test_answered_authors_post_more_often_more_positively_and_complain_more():
    """20,000 online talkers (seed 5), a quarter in each group: never answered, answered
    (impression +0.2), answered complainers with a negative impression (-0.4), answered
    complainers with a positive one. post_prob 0.3, reply_post_boost 0.5, complaint_invite 0.5:
    posting rates 0.3, 0.45, 0.675, 0.45 (sd of each about 0.007 over 5,000; tolerance 0.03);
    the answered authors' posts carry impression + reply_post_positivity exactly."""
    n = 20_000
    group = np.arange(n) % 4
    impression = np.where(group == 2, -0.4, 0.2)
    params = one_brand(post_prob=0.3, reply_post_boost=0.5, complaint_invite=0.5, reply_post_positivity=0.1)
    s = make_state(n, params, answered=group >= 1, answered_complaint=group >= 2)
    s.talked[:], s.online[:], s.topic[:] = True, True, 0
    record = proc.PublicRecord(n)
    proc.post_publicly(s, record, params, impression, np.zeros(n), 1, RNG(5))
    posted = np.zeros(n, dtype=bool)
    posted[record.author[record.slots()]] = True
    rates = [posted[group == g].mean() for g in range(4)]
    assert rates == pytest.approx([0.3, 0.45, 0.675, 0.45], abs=0.03)
    sentiment = np.empty(n)
    sentiment[record.author[record.slots()]] = record.sentiment[record.slots()]
    got = sentiment[posted]
    want = np.where(group[posted] == 0, impression[posted], impression[posted] + 0.1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_replies_change_nothing_in_posting_when_off():
    """Off values: an answered author posts as if never answered, with the same draws."""
    n = 400
    params = one_brand(post_prob=0.4)
    impression = RNG(1).uniform(-1, 1, n)
    posts = []
    for answered in (False, True):
        s = make_state(n, params, answered=answered, answered_complaint=answered)
        s.talked[:], s.online[:], s.topic[:] = True, True, 0
        record = proc.PublicRecord(n)
        proc.post_publicly(s, record, params, impression, np.zeros(n), 1, RNG(2))
        posts.append((record.author[record.slots()].tolist(), record.sentiment[record.slots()].tolist()))
    assert posts[0] == posts[1]


# --- awareness from browsing only when noticed ------------------------------------------------

def _read_one_post(post_attention: float, aware: bool, seed: int = 9):
    n = 5000
    params = one_brand(post_reach=4000.0, post_attention=post_attention, confidence_bound=2.0)
    s = make_state(n, params, aware=aware)
    s.online[:] = True
    record = proc.PublicRecord(10)
    record.append(np.array([0]), np.array([0.8]), np.array([0.6]), step=0)
    n_reads = proc.read_public_record(s, record, params, step=1, rng=RNG(seed))
    return s, n_reads / n


@pytest.mark.parametrize("attention", [0.0, 0.3, 1.0])
def test_browsing_makes_a_reader_aware_only_if_they_notice_the_brand(attention):
    """One post, 5,000 unaware online readers, reads ~ Poisson(4000 e^-1/4) = 3,100 (seed 9):
    a reader's reads K ~ Poisson(lam), lam = reads / N, each noticed with probability
    post_attention, so the share aware is 1 - exp(-post_attention lam) (sd about 0.007;
    tolerance 0.03). Unnoticed reads have no effect: exactly the aware readers moved."""
    s, lam = _read_one_post(attention, aware=False)
    assert s.aware[:, 0].mean() == pytest.approx(1 - np.exp(-attention * lam), abs=0.03)
    moved = s.attitude[:, 0] != 0.0
    np.testing.assert_array_equal(moved, s.aware[:, 0])
    np.testing.assert_array_equal(s.reinforced[:, 0], s.aware[:, 0])


def test_readers_aware_of_the_brand_always_notice():
    """With post_attention = 0 readers who know the brand are still moved by what they read
    (and reminded), and no uniform is drawn for them."""
    s, lam = _read_one_post(0.0, aware=True)
    read = s.attitude[:, 0] != 0.0
    assert read.mean() == pytest.approx(1 - np.exp(-lam), abs=0.03)
    np.testing.assert_array_equal(s.reinforced[:, 0], read)
    twin, _ = _read_one_post(1.0, aware=True)  # the same draws: attention is never asked
    np.testing.assert_array_equal(twin.attitude, s.attitude)


def test_private_word_of_mouth_makes_aware_whatever_post_attention():
    params = one_brand(post_attention=0.0, wom_reach=1.0, weak_tie_strength=1.0)
    adj = to_adjacency(nx.path_graph(3), 1.0)
    s = make_state(3, params)
    s.talked[:], s.topic[:] = [True, False, False], 0
    s.aware[0, 0] = True
    proc.word_of_mouth(s, adj, params, np.array([0.5, 0, 0]), np.zeros(3), RNG(0))
    assert s.aware[:, 0].tolist() == [True, True, False]
