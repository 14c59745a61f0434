"""Each process in isolation, on small hand-made arrays with known results."""

import networkx as nx
import numpy as np
import pytest

from simulation.core import processes as proc
from simulation.core.brand import Brand
from simulation.core.network import to_adjacency
from simulation.core.params import STRATEGIES, Params
from simulation.core.presets import VERSION1
from simulation.core.processes.dialogue import reply_order
from simulation.core.state import BRAND_FIELDS, ConsumerState

RNG = np.random.default_rng


def P(**values) -> Params:
    """Parameters of one brand with every impression noticed (the processes one at a time)."""
    return Params(**{**VERSION1, **values})


def make_state(n=3, params=None, **arrays):
    """A one-brand state; per-brand arrays are set in their only column."""
    params = params or P()
    s = ConsumerState.initial(np.zeros(n, dtype=np.int8), params.replace(initial_awareness=0.0),
                              np.array([params.quality]), RNG(0))
    for name, value in arrays.items():
        target = getattr(s, name)
        if name in BRAND_FIELDS:
            target[:, 0] = value
        else:
            target[:] = value
    return s


# --- broadcast -------------------------------------------------------------------------

def test_exposure_response_equals_exposure_by_exposure_loop():
    rng = RNG(1)
    k = rng.integers(0, 12, 200)
    r = rng.uniform(0, 9, 200)
    weight, reactant = proc.exposure_response(k, r, wearout=3.0, threshold=5.0)
    for i in range(200):
        w = react = 0.0
        for j in range(k[i]):
            irritation = r[i] + j
            if irritation > 5.0:
                react += 1
            else:
                w += np.exp(-irritation / 3.0)
        assert weight[i] == pytest.approx(w, abs=1e-12) and reactant[i] == react


def test_broadcast_to_one_consumer_moves_attitude_by_the_compound_pull():
    p = P(ad_effect=0.1, ad_expectation_effect=0.2, wearout=2.0, reactance_threshold=100)
    s = make_state(1, p, trust=0.5)
    n = proc.broadcast(s, p, budget=3.0, claim=0.8, rng=RNG(0))
    assert n == 3
    W = 1 + np.exp(-1 / 2) + np.exp(-2 / 2)  # wear-out: irritation 0, 1, 2
    assert s.attitude[:, 0][0] == pytest.approx((1 - (1 - 0.1 * 0.5) ** W) * 0.8)
    assert s.expectation[:, 0][0] == pytest.approx((1 - (1 - 0.2 * 0.5) ** W) * 0.8)
    assert s.irritation[:, 0][0] == 3 and s.aware[:, 0][0] and s.trust[:, 0][0] == 0.5


def test_reactance_beyond_tolerance_lowers_attitude_and_trust():
    p = P(reactance_threshold=2, reactance_attitude=0.1, reactance_trust=0.2)
    s = make_state(1, p, trust=0.5, irritation=10.0, attitude=0.2)
    proc.broadcast(s, p, budget=2.0, claim=1.0, rng=RNG(0))
    assert s.attitude[:, 0][0] == pytest.approx(0.2 - 2 * 0.1)  # both exposures reactant, no pull
    assert s.trust[:, 0][0] == pytest.approx(0.5 * 0.8 ** 2)


def test_broadcast_reaches_immigrants_by_media_exposure():
    # 10,000 consumers, half immigrants with weight 3: impressions per capita ratio 3.
    # Multinomial with 200,000 impressions: the ratio's sd is ~0.01; tolerance 0.1.
    p = P(media_exposure_immigrant=3.0)
    s = make_state(10_000, p)
    s.segment[5000:] = 1
    proc.broadcast(s, p, budget=200_000, claim=0.0, rng=RNG(2))
    ratio = s.irritation[:, 0][5000:].mean() / s.irritation[:, 0][:5000].mean()
    assert ratio == pytest.approx(3.0, abs=0.1)
    assert s.irritation[:, 0].sum() == 200_000


def test_budget_zero_broadcast_changes_nothing():
    s = make_state(5)
    before = s.copy()
    assert proc.broadcast(s, P(), 0.0, 1.0, RNG(0)) == 0
    np.testing.assert_array_equal(s.attitude, before.attitude)


# --- fan page --------------------------------------------------------------------------

def test_fanpage_reaches_only_online_followers_and_gains_followers():
    p = P(follow_prob=1.0, follow_threshold=0.3, fanpage_posts=2, fanpage_effect=0.5, ad_effect=0.1)
    s = make_state(4, p, aware=[True, True, True, False], attitude=[0.5, 0.1, 0.5, 0.9],
                   online=[True, True, False, True], trust=1.0)
    views, paid, *_ = proc.fanpage(s, p.replace(organic_reach=0.0), budget=100.0, claim=1.0, rng=RNG(0))
    assert s.follower[:, 0].tolist() == [True, False, False, False]  # aware, likes it, online
    assert views == paid == 2
    assert s.attitude[:, 0][0] == pytest.approx(0.5 + (1 - (1 - 0.05) ** 2) * 0.5)
    assert s.attitude[:, 0][1:].tolist() == [0.1, 0.5, 0.9] and s.irritation[:, 0].sum() == 0


@pytest.mark.parametrize("reach", [0.02, 0.06, 0.3])
def test_organic_reach_without_budget_is_a_binomial_share_of_online_followers(reach):
    # 20,000 online followers x 3 posts: the share seen is Binomial(60,000, reach) / 60,000;
    # tolerance 4 standard deviations (a false failure about 1 in 16,000 per seed), 3 seeds
    p = P(fanpage_posts=3, organic_reach=reach, follow_prob=0.0)
    n = 20_000
    for seed in range(3):
        s = make_state(n + 1, p, aware=True, attitude=0.5, online=True, follower=True, trust=1.0)
        s.online[-1] = False  # an offline follower sees nothing
        views, paid, free, fans = proc.fanpage(s, p, budget=0.0, claim=0.3, rng=RNG(seed))
        share, sd = views / (3 * n), np.sqrt(reach * (1 - reach) / (3 * n))
        assert paid == 0 and abs(share - reach) <= 4 * sd, (seed, share)
        assert free == views and fans == n + 1  # the offline follower is a fan the posts missed
        assert s.reinforced[:-1, 0].sum() < n and not s.reinforced[-1, 0]


def test_paid_page_views_top_up_the_organic_ones_and_only_they_cost():
    p = P(fanpage_posts=3, organic_reach=0.5, follow_prob=0.0)
    s = make_state(1000, p, aware=True, attitude=0.5, online=True, follower=True, trust=1.0)
    views, paid, free, fans = proc.fanpage(s, p, budget=1e6, claim=0.3, rng=RNG(0))
    assert views == 3000 and 1300 < paid < 1700  # every post seen; about half of them paid for
    assert free == views - paid and fans == 1000
    s = make_state(1000, p, aware=True, attitude=0.5, online=True, follower=True, trust=1.0)
    views, paid, *_ = proc.fanpage(s, p, budget=100.0, claim=0.3, rng=RNG(0))
    # supply-limited: each of the ~1500 unseen posts shown with probability 100 / demand, so
    # paid ~ Binomial(demand, 100 / demand), mean 100, sd < 10: within 4 sd
    assert abs(paid - 100) <= 40
    brand = Brand.from_params(p.replace(strategy="fanpage"), 1000)
    assert brand.spent(paid, 0, p.replace(pay_unused_capacity=False)) == paid  # 1 per paid view, 0 per organic one


def test_a_page_without_budget_runs_only_on_organic_reach_and_version1_pages_need_a_budget():
    p = P(follow_prob=1.0, follow_threshold=0.3, fanpage_posts=3, organic_reach=0.06)
    s = make_state(3, p, aware=True, attitude=0.5, online=True)
    proc.fanpage(s, p, budget=0.0, claim=0.3, rng=RNG(0))
    assert s.follower[:, 0].all()  # the page exists: it gains followers for free
    assert Brand.from_params(p.replace(strategy="fanpage", budget=0.0), 10).has_page
    assert not Brand.from_params(p.replace(strategy="broadcast"), 10).has_page
    s = make_state(3, p, aware=True, attitude=0.5, online=True)
    rng = RNG(0)
    before = rng.bit_generator.state
    assert proc.fanpage(s, p.replace(**VERSION1), budget=0.0, claim=0.3, rng=rng) == (0, 0, 0, 0)
    assert rng.bit_generator.state == before and not s.follower.any()  # v1: no draw, no page
    assert proc.fanpage(s, p, budget=10.0, claim=0.3, rng=rng, has_page=False) == (0, 0, 0, 0)


# --- purchase and experience ----------------------------------------------------------

def test_one_brand_with_outside_option_is_the_capped_logistic_of_version_1():
    p = P(purchase_freq=0.2, purchase_intercept=0.0, purchase_attitude=2.0, purchase_loyalty=1.0)
    u = proc.brand_utility(np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0]), np.full(3, 0.5),
                           np.zeros(3), p)
    prob = proc.choice_probabilities(u[:, None], np.array([[True], [True], [False]]), p)
    buy = p.purchase_freq * prob[:, 0]
    assert buy.tolist() == pytest.approx([0.1, 0.2 / (1 + np.exp(-3.0)), 0.0])
    assert prob.sum(axis=1).tolist() == pytest.approx([1.0, 1.0, 1.0])  # the unaware take the outside option


def test_choice_is_a_logit_over_known_brands_and_the_outside_option():
    p = Params(outside_utility=0.5)
    u = np.array([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]])
    aware = np.array([[True, True, True], [True, False, True]])
    prob = proc.choice_probabilities(u, aware, p)
    e = np.exp([1.0, 0.0, 2.0, 0.5])
    assert prob[0].tolist() == pytest.approx((e / e.sum()).tolist(), abs=1e-12)
    e[1] = 0.0
    assert prob[1].tolist() == pytest.approx((e / e.sum()).tolist(), abs=1e-12)
    none = proc.choice_probabilities(u, np.zeros((2, 3), bool), Params(outside_option=False))
    assert (none == 0).all()  # nothing known and no outside option: no purchase possible


def test_trust_and_expected_quality_raise_utility():
    p = Params(purchase_quality=2.0, purchase_trust=1.0)
    low, high = (proc.brand_utility(np.array(0.2), np.array(0.1), np.array(t), np.array(0.5), p) for t in (0.2, 0.8))
    assert high - low == pytest.approx((2.0 * 0.5 + 1.0) * 0.6)


def test_brand_choice_frequencies_follow_the_logit():
    # 40,000 consumers all with an occasion (purchase_freq 1), three known brands, no outside
    # option; shares have sd <= 0.0025, tolerance 0.01.
    p = Params(purchase_freq=1.0, outside_option=False, purchase_quality=0.0, purchase_trust=0.0)
    s = ConsumerState.initial(np.zeros(40_000, np.int8), p.replace(scenario="established", known_awareness=1.0,
                                                                     initial_loyalty=0.0),
                              np.zeros(3), RNG(1))
    s.attitude[:] = [0.0, 0.25, -0.25]
    counts = proc.purchase(s, p, RNG(2))
    e = np.exp(4.0 * np.array([0.0, 0.25, -0.25]))
    shares = np.bincount(s.choice, minlength=3) / 40_000
    assert shares.tolist() == pytest.approx((e / e.sum()).tolist(), abs=0.01)
    assert counts.category == 40_000 and counts.focal == int((s.choice == 0).sum())
    assert (s.recent.sum(axis=1) == 1).all() and (s.last_brand == s.choice).all()


def test_repeat_and_defection_are_counted_against_the_previous_purchase():
    p = P(purchase_freq=1.0, outside_option=False, n_brands=2, purchase_attitude=50.0)
    s = ConsumerState.initial(np.zeros(4, np.int8), p.replace(scenario="established", known_awareness=1.0),
                              np.zeros(2), RNG(0))
    s.last_brand[:] = [0, 0, 1, -1]
    s.attitude[:] = [[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, -1.0]]  # all but consumer 1 choose 0
    counts = proc.purchase(s, p, RNG(0))
    assert s.choice.tolist() == [0, 1, 0, 0]
    assert counts == proc.Purchases(focal=3, category=4, repeat=1, was_focal=2, defected=1, occasions=4)


def test_the_rolling_window_forgets_purchases_older_than_scr_window():
    p = P(purchase_freq=1.0, scr_window=2, initial_awareness=1.0, outside_option=False)
    s = make_state(2, p, aware=True)
    for step in (1, 2, 3):
        proc.purchase(s, p, RNG(step), step=step)
    assert s.recent[:, 0].tolist() == [2, 2] and s.purchases[:, 0].tolist() == [0, 0]  # experience counts


def test_unaware_consumers_never_buy():
    s = make_state(1000, attitude=1.0, loyalty=1.0)
    assert proc.purchase(s, P(purchase_freq=1.0), RNG(0)).category == 0


def test_experience_disconfirmation_updates():
    p = P(quality_noise=0.0, disconfirmation_weight=0.5, experience_attitude=0.5,
               experience_expectation=0.5, loyalty_gain=0.2, loyalty_loss=0.4,
               disappointment_threshold=0.3, disappointment_trust=0.5)
    # consumer 0 expected what it got; consumer 1 was promised 0.9 and got 0.1; 2 did not buy
    s = make_state(3, p, bought=[True, True, False], expectation=[0.1, 0.9, 0.0],
                   loyalty=[0.5, 0.5, 0.5], trust=0.5)
    s.choice[:] = [0, 0, -1]
    proc.experience(s, p, quality=np.array([0.1]), rng=RNG(0))
    s0, s1 = 0.1, 0.1 + 0.5 * (0.1 - 0.9)  # -0.3
    assert s.satisfaction[:2].tolist() == pytest.approx([s0, s1]) and np.isnan(s.satisfaction[2])
    assert s.attitude[:, 0][:2].tolist() == pytest.approx([0.5 * s0, 0.5 * s1])
    assert s.expectation[:, 0].tolist() == pytest.approx([0.1, 0.5, 0.0])
    assert s.loyalty[:, 0].tolist() == pytest.approx([0.5 + 0.2 * s0 * 0.5, 0.5 + 0.4 * s1 * 0.5, 0.5])
    assert s.trust[:, 0].tolist() == pytest.approx([0.5, 0.5 * (1 - 0.5 * (0.8 - 0.3)), 0.5])
    assert s.purchases[:, 0].tolist() == [1, 1, 0]
    assert s.last_satisfaction[:2, 0].tolist() == pytest.approx([s0, s1])


def test_each_buyer_experiences_the_brand_chosen():
    p = Params(quality_noise=0.0, disconfirmation_weight=0.0, experience_attitude=1.0)
    s = ConsumerState.initial(np.zeros(3, np.int8), p, np.array([0.3, -0.5, 0.9]), RNG(0))
    s.bought[:], s.choice[:] = True, [2, 1, 0]
    proc.experience(s, p, np.array([0.3, -0.5, 0.9]), RNG(0))
    assert s.satisfaction.tolist() == pytest.approx([0.9, -0.5, 0.3])
    assert s.attitude[[0, 1, 2], [2, 1, 0]].tolist() == pytest.approx([0.9, -0.5, 0.3])
    assert s.purchases.sum(axis=0).tolist() == [1, 1, 1]


# --- word of mouth ---------------------------------------------------------------------

def test_talk_probability_is_u_shaped_and_negative_heavier():
    p = P(talk_base=0.0, talk_positive=0.2, talk_negative=0.4, talk_nonbuyer=0.5)
    m = np.array([-0.5, 0.0, 0.5])
    assert proc.talk_probability(m, np.ones(3, bool), p).tolist() == pytest.approx([0.1, 0.0, 0.05])
    assert proc.talk_probability(m, np.zeros(3, bool), p).tolist() == pytest.approx([0.05, 0.0, 0.025])


def test_talker_edges_match_the_graph():
    G = nx.barabasi_albert_graph(200, 3, seed=1)
    adj = to_adjacency(G, 0.3)
    talkers = np.array([0, 5, 17, 199])
    src, dst, w = adj.edges_from(talkers)
    got = sorted(zip(src.tolist(), dst.tolist()))
    want = sorted((t, j) for t in talkers.tolist() for j in G.neighbors(t))
    assert got == want


def test_word_of_mouth_on_a_path_reaches_only_neighbours():
    p = P(wom_reach=1.0, wom_influence=0.3, wom_expectation=0.5, confidence_bound=2.0, weak_tie_strength=1.0)
    adj = to_adjacency(nx.path_graph(3), 1.0)
    s = make_state(3, p, aware=[True, False, False], expectation=[0.6, 0.0, 0.0], talked=[True, False, False],
                   topic=[0, -1, -1])
    impression = np.array([1.0, 0.0, 0.0])
    pos, neg = proc.word_of_mouth(s, adj, p, impression, s.expectation[:, 0].copy(), RNG(0))
    assert (pos, neg) == (1, 0)
    assert s.aware[:, 0].tolist() == [True, True, False]
    assert s.attitude[:, 0].tolist() == pytest.approx([0.0, 0.3, 0.0])
    assert s.expectation[:, 0].tolist() == pytest.approx([0.6, 0.3, 0.0])


def test_talkers_talk_about_the_brand_bought_else_the_strongest_impression():
    s = ConsumerState.initial(np.zeros(4, np.int8), Params(), np.zeros(3), RNG(0))
    s.aware[:] = [[True, True, False], [True, True, True], [False, False, False], [False, True, True]]
    s.attitude[:] = [[0.1, -0.5, 0.9], [0.2, 0.2, 0.1], [0.0, 0.0, 0.0], [0.0, 0.3, 0.3]]
    s.bought[:], s.choice[:] = [False, True, False, False], [-1, 2, -1, -1]
    # 0: |-0.5| beats 0.1 and the unknown brand 2; 1 bought 2; 2 knows nothing; 3: tie -> lowest
    assert proc.talk_topic(s).tolist() == [1, 2, -1, 1]


def test_a_tie_for_the_strongest_attitude_is_broken_at_random():
    # 30,000 consumers know brands 0 and 2 equally well: each is the topic of about half
    # (sd 0.003, tolerance 0.015); the unknown brand 1, though as strong, never.
    p = Params()
    s = ConsumerState.initial(np.zeros(30_000, np.int8), p, np.zeros(3), RNG(0))
    s.aware[:] = [True, False, True]
    s.attitude[:] = [0.3, 0.3, -0.3]
    topic = proc.talk_topic(s, RNG(5))
    assert set(np.unique(topic)) == {0, 2}
    assert (topic == 0).mean() == pytest.approx(0.5, abs=0.015)


def test_word_of_mouth_is_about_the_talkers_topic():
    p = Params(wom_reach=1.0, wom_influence=0.5, confidence_bound=2.0)
    adj = to_adjacency(nx.path_graph(2), 1.0)
    s = ConsumerState.initial(np.zeros(2, np.int8), p.replace(initial_awareness=0.0, known_awareness=0.0),
                              np.zeros(3), RNG(0))
    s.talked[:], s.topic[:] = [True, False], [2, -1]
    proc.word_of_mouth(s, adj, p, np.array([1.0, 0.0]), np.array([0.4, 0.0]), RNG(0))
    assert s.aware[1].tolist() == [False, False, True] and s.reinforced[1].tolist() == [False, False, True]
    assert s.attitude[1].tolist() == pytest.approx([0.0, 0.0, 0.5])


def test_social_influence_resists_messages_beyond_the_confidence_bound():
    p = P(wom_influence=0.5, confidence_bound=0.5, resistance=0.2)
    s = make_state(2, p, attitude=[0.8, 0.8])
    # listener 0 hears one close message (0.6), listener 1 one far message (-0.6)
    proc.social_influence(s, np.array([0, 1]), np.array([1.0, 1.0]), np.array([0.6, -0.6]),
                          np.zeros(2), p)
    assert s.attitude[:, 0][0] == pytest.approx(0.8 + 0.5 * (0.6 - 0.8))
    assert s.attitude[:, 0][1] == pytest.approx(0.8 + (1 - 0.5 ** 0.2) * (-0.6 - 0.8))
    assert s.aware[:, 0].all()


def test_social_influence_combines_messages_by_weighted_mean():
    p = P(wom_influence=0.3, confidence_bound=2.0)
    s = make_state(1, p)
    proc.social_influence(s, np.array([0, 0]), np.array([1.0, 0.5]), np.array([1.0, -1.0]), np.zeros(2), p)
    v_bar = (1.0 - 0.5) / 1.5
    assert s.attitude[:, 0][0] == pytest.approx((1 - 0.7 ** 1.5) * v_bar)


# --- public record --------------------------------------------------------------------

def test_ring_buffer_keeps_bounded_memory_and_totals():
    rec = proc.PublicRecord(5)
    for step in range(4):
        rec.append(np.arange(3), np.full(3, 0.1 * step), np.zeros(3), step)
    assert len(rec) == 5 and rec.total_posts == 12
    assert sorted(rec.step[rec.slots()].tolist()) == [2, 2, 3, 3, 3]  # the newest survive
    rec.append(np.arange(9), np.zeros(9), np.zeros(9), 9)  # more than fit at once
    assert len(rec) == 5 and rec.total_posts == 21 and (rec.step == 9).all()


def test_recency_weighted_sampling_prefers_new_posts():
    # 1 old post (age 8) and 1 new (age 0), recency 4: weights 1 and e^-2; share of the old
    # one = e^-2 / (1 + e^-2) = 0.119; 20,000 draws -> sd 0.0023, tolerance 0.01.
    rec = proc.PublicRecord(10)
    rec.append(np.array([0]), np.array([-1.0]), np.zeros(1), step=0)
    rec.append(np.array([1]), np.array([1.0]), np.zeros(1), step=8)
    picks = rec.sample(20_000, now=8, recency=4.0, rng=RNG(0))
    share_old = (rec.step[picks] == 0).mean()
    assert share_old == pytest.approx(np.exp(-2) / (1 + np.exp(-2)), abs=0.01)
    assert rec.mean_sentiment(8, 4.0) == pytest.approx((1 - np.exp(-2)) / (1 + np.exp(-2)))


def _record_with_one_complaint(resolved):
    rec = proc.PublicRecord(10)
    rec.append(np.array([0]), np.array([-0.8]), np.array([-0.5]), step=0)
    rec.replied[0] = True
    rec.reply_claim[0] = 0.3
    rec.resolved[0] = resolved
    return rec


def test_readers_see_replies_resolved_complaints_are_damped():
    p = P(post_reach=1000.0, resolved_damping=0.75, reply_trust_gain=0.1, confidence_bound=2.0)
    results = {}
    for resolved in (False, True):
        s = make_state(50, p, online=True, trust=0.5)
        proc.read_public_record(s, _record_with_one_complaint(resolved), p, step=1, rng=RNG(0))
        results[resolved] = s
    # same draws: the damped complaint pulls attitudes down by less
    assert (results[True].attitude[:, 0] > results[False].attitude[:, 0]).all()
    assert (results[True].attitude[:, 0] < 0).all()
    # an honest reply raises trust and replaces the reported quality by the reply's claim
    assert (results[True].trust[:, 0] > 0.5).all() and (results[True].expectation[:, 0] > 0).all()


def test_nobody_reads_an_empty_record_or_offline():
    p = P()
    s = make_state(10, p, online=True)
    assert proc.read_public_record(s, proc.PublicRecord(10), p, 1, RNG(0)) == 0
    s2 = make_state(10, p, online=False)
    assert proc.read_public_record(s2, _record_with_one_complaint(False), p, 1, RNG(0)) == 0


def test_only_online_talkers_post():
    p = P(post_prob=1.0)
    s = make_state(4, p, talked=[True, True, False, False], online=[True, False, True, False])
    rec = proc.PublicRecord(10)
    assert proc.post_publicly(s, rec, p, np.array([0.5, 0.1, 0.2, 0.3]), s.expectation[:, 0], 3, RNG(0)) == 1
    assert rec.author[0] == 0 and rec.sentiment[0] == 0.5 and rec.step[0] == 3


# --- dialogue --------------------------------------------------------------------------

def _open_posts():
    rec = proc.PublicRecord(20)
    rec.append(np.array([0, 1, 2, 3]), np.array([0.5, -0.2, -0.9, 0.0]), np.zeros(4), step=1)
    rec.append(np.array([4, 5]), np.array([0.7, -0.2]), np.zeros(2), step=2)
    rec.append(np.array([6]), np.array([-1.0]), np.zeros(1), step=-10)  # outside the window
    return rec


def test_reply_order_complaints_first_most_negative_then_newest():
    rec = _open_posts()
    order = rec.author[reply_order(rec, step=2, window=4)].tolist()
    assert order == [2, 5, 1, 4, 3, 0]  # 0 and 3: same week, 3 written later


def test_honest_dialogue_resolves_complaints_and_informs():
    p = P(reply_cost=10.0, resolve_prob=1.0, honesty=1.0, recovery_attitude=0.5,
               recovery_trust=0.5, reply_expectation=1.0)
    s = make_state(7, p, attitude=-0.5, trust=0.4, expectation=0.9)
    rec = _open_posts()
    n = proc.dialogue(s, rec, p, budget=20.0, reply_claim=0.3, quality=0.3, step=2, rng=RNG(0))
    assert n == proc.Replies(answered=2, capacity=2)  # capacity 20 / 10, all used
    assert s.attitude[:, 0][[2, 5]].tolist() == pytest.approx([0.25, 0.25])  # -0.5 + 0.5 * 1.5
    assert s.trust[:, 0][[2, 5]].tolist() == pytest.approx([0.7, 0.7])
    assert s.expectation[:, 0][[2, 5]].tolist() == pytest.approx([0.3, 0.3])
    assert s.attitude[:, 0][[0, 1, 3, 4, 6]].tolist() == [-0.5] * 5
    assert rec.total_replies == 2 and rec.resolved.sum() == 2 and rec.total_posts == 7
    # the lasting layer: 7 posts, 4 complaints (one outside the window), 2 answered and resolved
    assert rec.totals(0) == proc.RecordTotals(posts=7, sentiment=pytest.approx(-1.1), complaints=4,
                                              answered=2, resolved=2)


def test_detected_spin_costs_trust_and_creates_backlash():
    p = P(reply_cost=1.0, honesty=0.0, spin_detection=1.0, backlash_trust=0.5, backlash_sentiment=0.7)
    s = make_state(7, p, trust=0.4)
    rec = _open_posts()
    proc.dialogue(s, rec, p, budget=100.0, reply_claim=0.9, quality=0.3, step=2, rng=RNG(0))
    complainers = [1, 2, 5]
    assert s.trust[:, 0][complainers].tolist() == pytest.approx([0.2] * 3)
    assert rec.total_posts == 7 + 3 and rec.resolved.sum() == 0
    new = rec.slots()[rec.author[rec.slots()] >= 0][-3:]
    assert (rec.sentiment[new] == -0.7).all()
    # the positive posters got a conversation reply: a little more trust
    assert (s.trust[:, 0][[0, 3, 4]] > 0.4).all()


def test_a_truthful_reply_is_never_taken_for_spin():
    # honesty 0 but the claim equals Q (no hype): nothing to detect, no backlash
    p = P(reply_cost=1.0, honesty=0.0, spin_detection=1.0, resolve_prob=1.0)
    s = make_state(7, p, trust=0.4)
    rec = _open_posts()
    proc.dialogue(s, rec, p, budget=100.0, reply_claim=0.3, quality=0.3, step=2, rng=RNG(0))
    assert rec.spin.sum() == 0 and rec.total_posts == 7 and rec.resolved.sum() == 3


# --- forgetting and the brand ---------------------------------------------------------

def test_forgetting_decays_toward_baselines():
    p = P(attitude_decay=0.1, trust_decay=0.5, loyalty_decay=0.2, irritation_decay=0.5,
          initial_trust_native=0.5)
    s = make_state(2, p, attitude=[0.5, -0.5], trust=[1.0, 0.0], loyalty=0.5, irritation=4.0,
                   follower=True, aware=True)
    proc.forget(s, p, RNG(0))
    assert s.attitude[:, 0].tolist() == pytest.approx([0.45, -0.45])
    assert s.trust[:, 0].tolist() == pytest.approx([0.75, 0.25])
    assert s.loyalty[:, 0].tolist() == pytest.approx([0.4, 0.4]) and s.irritation[:, 0].tolist() == [2.0, 2.0]
    assert s.follower[:, 0].tolist() == [True, False]


def test_trust_drifts_back_to_the_segments_initial_trust():
    p = Params(initial_trust_native=0.6, initial_trust_immigrant=0.2, trust_decay=1.0)
    s = ConsumerState.initial(np.array([0, 1], np.int8), p, np.zeros(3), RNG(0))
    assert s.trust.tolist() == [[0.6] * 3, [0.2] * 3]
    s.trust[:] = 1.0
    proc.forget(s, p, RNG(0))
    np.testing.assert_allclose(s.trust, [[0.6] * 3, [0.2] * 3], atol=1e-12)


def test_unreinforced_awareness_is_forgotten_at_the_decay_rate():
    # 20,000 consumer-brand pairs, decay 0.3: the share forgotten has sd 0.0032, tolerance 0.015;
    # reinforced pairs are never forgotten.
    p = Params(awareness_decay=0.3)
    s = ConsumerState.initial(np.zeros(10_000, np.int8), p.replace(scenario="established", known_awareness=1.0),
                              np.zeros(3), RNG(0))
    s.reinforced[:, 0] = True
    s.follower[:] = True
    proc.forget(s, p, RNG(1))
    assert s.aware[:, 0].all()
    assert 1 - s.aware[:, 1:].mean() == pytest.approx(0.3, abs=0.015)
    assert not (s.follower & ~s.aware).any()  # nobody follows a brand they forgot


# --- the NPS survey ----------------------------------------------------------------------

def test_net_promoter_score_and_its_interval():
    scores = np.array([10] * 50 + [8] * 30 + [3] * 20)
    survey = proc.net_promoter(scores)
    half = 1.959963984540054 * np.sqrt((0.5 + 0.2 - 0.3 ** 2) / 100)
    assert survey.nps == pytest.approx(30.0) and survey.respondents == 100
    assert (survey.low, survey.high) == pytest.approx((100 * (0.3 - half), 100 * (0.3 + half)))
    ends = proc.net_promoter(np.array([10, 10, 9]))
    assert (ends.nps, ends.high) == (100.0, 100.0) and -100 <= ends.low <= 100
    assert np.isnan(proc.net_promoter(np.array([], dtype=int)).nps)


def test_survey_asks_recent_customers_only_and_at_most_nps_sample():
    p = Params(nps_sample=50, nps_noise=0.0, nps_intercept=9.0, nps_satisfaction=0.0, nps_loyalty=0.0)
    s = ConsumerState.initial(np.zeros(500, np.int8), p, np.zeros(3), RNG(0))
    assert proc.nps_survey(s, p, RNG(0)).respondents == 0  # no customers yet: no survey
    s.recent[:100, 0] = 1
    s.last_satisfaction[:100, 0] = 0.0
    result = proc.nps_survey(s, p, RNG(0))
    assert result.respondents == 50 and result.nps == 100.0  # everyone answers 9
    s.recent[:100, 0] = 0
    s.recent[:20, 0] = 1
    assert proc.nps_survey(s, p, RNG(0)).respondents == 20


def test_every_strategy_spends_the_same_budget_except_none():
    spends = {st: Brand.from_params(P(strategy=st, budget=2.0), 1000).weekly_spend for st in STRATEGIES}
    assert spends.pop("none") == 0.0
    assert set(spends.values()) == {2000.0}


def test_claims():
    b = Brand.from_params(P(strategy="hype", quality=0.3, hype=0.4), 10)
    assert b.ad_claim == pytest.approx(0.7)
    d = Brand.from_params(P(strategy="dialogue", quality=0.3, hype=0.4, honesty=0.5), 10)
    assert d.ad_claim == 0.3 and d.reply_claim == pytest.approx(0.5)
    m = Brand.from_params(P(strategy="mixed", dialogue_share=0.25, fanpage_share=0.25), 100)
    assert (m.broadcast_budget, m.fanpage_budget, m.dialogue_budget) == (50.0, 25.0, 25.0)
