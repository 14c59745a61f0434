"""The Goldenberg, Libai & Muller (2001) adoption model (``purchase_model = "goldenberg"``,
docs/ODD.md 7.3): the cliques network, the weekly weak contacts, the adoption rule, seeding."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simulation.core.model import WordOfMouthModel
from simulation.core.network import build_graph, to_adjacency
from simulation.core.params import Params
from simulation.core.presets import preset_values
from simulation.core.processes.goldenberg import draw_weak_contacts, goldenberg_choice, goldenberg_hazard
from simulation.core.state import NO_BRAND


def test_cliques_are_disjoint_complete_groups_of_consecutive_consumers():
    graph, _ = build_graph(Params(network="cliques", n_consumers=3000, clique_size=29), np.random.default_rng(0))
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=min)
    assert len(components) == 104  # 103 cliques of 29 and one of 3000 - 103 * 29 = 13
    assert [len(c) for c in components] == [29] * 103 + [13]
    for c in components:
        assert c == list(range(c[0], c[0] + len(c)))  # consecutive indices
        sub = graph.subgraph(c)
        assert sub.number_of_edges() == len(c) * (len(c) - 1) // 2  # complete
    assert graph.number_of_edges() == sum(len(c) * (len(c) - 1) // 2 for c in components)  # no tie between


def test_cliques_need_no_random_number():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    build_graph(Params(network="cliques", n_consumers=50, clique_size=5, immigrant_share=0.0), rng)
    rng2 = np.random.default_rng(3)
    rng2.random(50)  # only the segments are drawn
    assert rng.bit_generator.state == rng2.bit_generator.state != before


@pytest.mark.parametrize("network", ["cliques", "barabasi_albert"])
def test_weak_contacts_are_redrawn_each_week_outside_ones_clique(network):
    n, size = 200, 10
    p = Params(network=network, n_consumers=n, clique_size=size, weak_contacts=15)
    rng = np.random.default_rng(11)
    weeks = [draw_weak_contacts(n, p, rng) for _ in range(3)]
    me = np.arange(n)[:, None]
    for contacts in weeks:
        assert contacts.shape == (n, 15) and contacts.min() >= 0 and contacts.max() < n
        assert not (contacts == me).any()  # no self-contact
        if network == "cliques":
            assert not (contacts // size == me // size).any()  # never one's own clique
    assert not (weeks[0] == weeks[1]).all(axis=1).any()  # every consumer meets others the next week
    # uniform over the 190 outsiders: 3 x 15 x 200 = 9000 draws, 47.4 expected per consumer;
    # each consumer's count is about Poisson, so [15, 90] is more than 4.5 SD either side
    counts = np.bincount(np.concatenate([w.ravel() for w in weeks]), minlength=n)
    assert counts.min() >= 15 and counts.max() <= 90


def test_no_weak_contacts_draw_nothing():
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert draw_weak_contacts(10, Params(weak_contacts=0), rng).shape == (10, 0)
    assert rng.bit_generator.state == before


def test_adoption_probability_on_a_tiny_case():
    """Two cliques {0, 1, 2} and {3, 4}; consumer 0 adopted brand 0, consumer 3 brand 1.
    Consumer 1: one adopting clique member of brand 0 (m_0 = 1) and weak contacts 3, 3, 4
    (j_1 = 2); consumer 4: m_1 = 1, contacts 0, 1, 2 (j_0 = 1)."""
    graph, _ = build_graph(Params(network="cliques", n_consumers=5, clique_size=3), np.random.default_rng(0))
    adj = to_adjacency(graph, 1.0)
    a, bw, bs = 0.1, 0.2, 0.3
    p = Params(goldenberg_alpha=a, goldenberg_beta_w=bw, goldenberg_beta_s=bs)
    owned = np.array([0, NO_BRAND, NO_BRAND, 1, NO_BRAND])
    contacts = np.array([[3, 3, 3], [3, 3, 4], [4, 4, 4], [0, 0, 0], [0, 1, 2]])
    h = goldenberg_hazard(owned, contacts, adj, p, 2)
    expected = np.array([
        [0.0, 0.0],
        [1 - (1 - a) * (1 - bs), 1 - (1 - a) * (1 - bw) ** 2],
        [1 - (1 - a) * (1 - bs), 1 - (1 - a)],
        [0.0, 0.0],
        [1 - (1 - a) * (1 - bw), 1 - (1 - a) * (1 - bs)],
    ])
    np.testing.assert_allclose(h, expected, rtol=0, atol=1e-15)


def _model(**values) -> WordOfMouthModel:
    return WordOfMouthModel({**preset_values("goldenberg"), "n_consumers": 300, **values}, rng=4)


def test_certain_advertising_makes_everybody_adopt_once():
    model = _model(goldenberg_alpha=1.0, n_brands=3)
    model.step()
    purchases = model.state.purchases.copy()
    assert (purchases.sum(axis=1) == 1).all()  # each consumer adopts exactly one brand, in week 1
    model.run(2)
    np.testing.assert_array_equal(model.state.purchases, purchases)  # and nothing more after
    shares = (purchases >= 1).mean(axis=0)
    assert np.all(np.abs(shares - 1 / 3) < 0.12)  # the brands that fire are equally likely: 300 consumers


def test_no_influence_no_adoption():
    model = _model(goldenberg_alpha=0.0)
    model.run(5)
    assert model.state.purchases.sum() == 0


def test_seeding_gives_the_focal_brand_and_keeps_the_random_numbers():
    """Adoption draws from its own stream, and the week-1 permutation is drawn at every
    seed_share: after each week both runs are at the same point of that stream (common random
    numbers), whether or not 10 % were seeded and whatever the other processes drew."""
    seeded, plain = _model(seed_share=0.1, goldenberg_alpha=0.0), _model(seed_share=0.0, goldenberg_alpha=0.0)
    for _ in range(3):
        seeded.step()
        plain.step()
        assert seeded.adoption_rng.bit_generator.state == plain.adoption_rng.bit_generator.state
    assert seeded.state.purchases[:, 0].sum() > 30 and plain.state.purchases.sum() == 0  # 30 seeds and more
    assert _model().adoption_rng is not None and WordOfMouthModel({"n_consumers": 50}, rng=1).adoption_rng is None


def test_choice_matches_the_hazard_in_frequency():
    """One week of the engine: the adoption share among non-adopters is the mean hazard
    (4000 consumers, alpha 0.3, nobody adopted: binomial SD 0.0072, tolerance 0.03)."""
    p = Params(**{**preset_values("goldenberg"), "n_consumers": 4000, "goldenberg_alpha": 0.3})
    model = WordOfMouthModel(p, rng=2)
    choice = goldenberg_choice(model.state, p, np.random.default_rng(9), model.adjacency, step=2)
    assert abs((choice == 0).mean() - 0.3) < 0.03


def test_a_clique_holding_everyone_leaves_no_weak_contact():
    p = Params(purchase_model="goldenberg", network="cliques", n_consumers=10, clique_size=20, weak_contacts=2)
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert draw_weak_contacts(10, p, rng).shape == (10, 0) and rng.bit_generator.state == before
    model = WordOfMouthModel({**preset_values("goldenberg"), **p.differing(), "goldenberg_alpha": 0.2}, rng=3)
    model.run(5)  # advertising and the clique still work
    assert 0 < model.state.purchases.sum() <= 10


def test_the_preset_diffuses_to_everybody():
    model = WordOfMouthModel(preset_values("goldenberg"), rng=1)
    model.run(40)
    adopters = model.timeseries()["adopters"].to_numpy()
    assert model.n_consumers == 3000 and adopters[0] == 0.0
    assert (np.diff(adopters) >= 0).all() and adopters[-1] > 0.95
