"""The vectorised generators (simulation/core/network/vectorised.py) against networkx's.

From ``NUMPY_GRAPH_MIN`` consumers the graph is drawn by numpy instead of networkx: not the
same draws, so the tests compare distributions (docs/ODD.md, 5.1). Each comparison is over
SEEDS graphs from each generator at N = 3,000, where the two generators can be run side by
side; tolerances are stated at each test.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from simulation.core.network import (
    NUMPY_GRAPH_MIN,
    adjacency_from_pairs,
    build_graph,
    build_pairs,
    graph_from_pairs,
    to_adjacency,
    uses_numpy_graph,
)
from simulation.core.network.vectorised import (
    barabasi_albert_pairs,
    erdos_renyi_pairs,
    watts_strogatz_pairs,
)
from simulation.core.params import Params
from simulation.errors import GraphError

N, SEEDS = 3000, 12


def _simple(pairs: np.ndarray, n: int) -> bool:
    key = np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])
    return bool((pairs[:, 0] != pairs[:, 1]).all() and np.unique(key).size == key.size
                and pairs.min() >= 0 and pairs.max() < n)


def _statistics(G: nx.Graph) -> dict[str, float]:
    degree = np.array([d for _, d in G.degree()])
    return {"max_degree": degree.max(), "degree_sd": degree.std(),
            "assortativity": nx.degree_assortativity_coefficient(G),
            "clustering": nx.average_clustering(G), "share_min_degree": (degree == degree.min()).mean()}


def _compare(ours: list[nx.Graph], theirs: list[nx.Graph]) -> None:
    # Pooled degrees: two-sample KS at alpha = 0.001 (discrete degrees make it conservative).
    deg_a = np.concatenate([[d for _, d in G.degree()] for G in ours])
    deg_b = np.concatenate([[d for _, d in G.degree()] for G in theirs])
    assert stats.ks_2samp(deg_a, deg_b).pvalue > 1e-3
    # Per-graph statistics: Mann-Whitney over the SEEDS graphs of each, alpha = 0.001 each.
    a = [_statistics(G) for G in ours]
    b = [_statistics(G) for G in theirs]
    for name in a[0]:
        x, y = [s[name] for s in a], [s[name] for s in b]
        if np.ptp(x + y) == 0:
            continue
        assert stats.mannwhitneyu(x, y).pvalue > 1e-3, (name, np.mean(x), np.mean(y))


@pytest.mark.parametrize("m", [1, 3, 5])
def test_barabasi_albert_pairs_are_simple_connected_and_have_m_times_n_minus_m_ties(m):
    pairs = barabasi_albert_pairs(N, m, np.random.default_rng(m))
    assert pairs.shape == (m * (N - m), 2) and _simple(pairs, N)
    G = graph_from_pairs(pairs, N, "barabasi_albert")
    assert nx.is_connected(G) and min(d for _, d in G.degree()) == m


def test_barabasi_albert_starts_from_the_star_and_newcomers_tie_to_earlier_nodes():
    pairs = barabasi_albert_pairs(500, 3, np.random.default_rng(0))
    assert pairs[:3].tolist() == [[0, 1], [0, 2], [0, 3]]
    newcomer, target = pairs[3:, 0], pairs[3:, 1]
    assert (target < newcomer).all() and (np.bincount(newcomer)[4:] == 3).all()


def test_the_same_seed_gives_the_same_graph_and_another_seed_another():
    for fn in (lambda rng: barabasi_albert_pairs(N, 3, rng), lambda rng: watts_strogatz_pairs(N, 6, 0.2, rng),
               lambda rng: erdos_renyi_pairs(N, 6 / (N - 1), rng)):
        a, b, c = fn(np.random.default_rng(5)), fn(np.random.default_rng(5)), fn(np.random.default_rng(6))
        assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_barabasi_albert_has_networkx_s_distribution():
    ours = [graph_from_pairs(barabasi_albert_pairs(N, 3, np.random.default_rng(s)), N, "ba") for s in range(SEEDS)]
    theirs = [nx.barabasi_albert_graph(N, 3, seed=np.random.default_rng(100 + s)) for s in range(SEEDS)]
    _compare(ours, theirs)


def test_barabasi_albert_with_large_m_keeps_targets_distinct_and_the_distribution():
    # m = 10 at N = 300: repeated draws are frequent (the hubs hold much of the list).
    ours = [graph_from_pairs(barabasi_albert_pairs(300, 10, np.random.default_rng(s)), 300, "ba") for s in range(SEEDS)]
    theirs = [nx.barabasi_albert_graph(300, 10, seed=np.random.default_rng(100 + s)) for s in range(SEEDS)]
    assert all(G.number_of_edges() == 10 * 290 for G in ours)
    _compare(ours, theirs)


def test_watts_strogatz_has_networkx_s_distribution():
    ours = [graph_from_pairs(watts_strogatz_pairs(N, 6, 0.2, np.random.default_rng(s)), N, "ws") for s in range(SEEDS)]
    theirs = [nx.watts_strogatz_graph(N, 6, 0.2, seed=np.random.default_rng(100 + s)) for s in range(SEEDS)]
    assert all(G.number_of_edges() == 3 * N for G in ours)
    _compare(ours, theirs)


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    pairs = watts_strogatz_pairs(50, 4, 0.0, np.random.default_rng(0))
    lattice = nx.watts_strogatz_graph(50, 4, 0.0)
    assert set(map(frozenset, pairs.tolist())) == set(map(frozenset, lattice.edges()))


def test_erdos_renyi_has_networkx_s_distribution():
    p = 6 / (N - 1)
    ours = [graph_from_pairs(erdos_renyi_pairs(N, p, np.random.default_rng(s)), N, "er") for s in range(SEEDS)]
    theirs = [nx.fast_gnp_random_graph(N, p, seed=np.random.default_rng(100 + s)) for s in range(SEEDS)]
    assert all(_simple(np.array(G.edges()), N) for G in ours)
    # The tie count is Binomial(N(N-1)/2, p): mean and sd within 4 standard errors.
    counts = np.array([G.number_of_edges() for G in ours])
    mean, sd = p * N * (N - 1) / 2, np.sqrt(p * (1 - p) * N * (N - 1) / 2)
    assert abs(counts.mean() - mean) < 4 * sd / np.sqrt(SEEDS)
    _compare(ours, theirs)


def test_the_threshold_chooses_the_generator_and_the_checks_stay():
    assert NUMPY_GRAPH_MIN == 100_000
    assert uses_numpy_graph(Params(n_consumers=NUMPY_GRAPH_MIN))
    assert not uses_numpy_graph(Params(n_consumers=NUMPY_GRAPH_MIN - 1))
    assert not uses_numpy_graph(Params(n_consumers=NUMPY_GRAPH_MIN, network="powerlaw_cluster"))
    with pytest.raises(GraphError, match="networkx"):
        build_pairs(Params(n_consumers=500), np.random.default_rng(0))


def test_pairs_give_the_same_adjacency_as_their_networkx_graph():
    pairs = barabasi_albert_pairs(N, 4, np.random.default_rng(3))
    pairs = np.concatenate([pairs, pairs[:10, ::-1]])  # a tie listed twice, once reversed
    direct = adjacency_from_pairs(pairs, N, 0.3)
    via = to_adjacency(graph_from_pairs(pairs, N, "ba"), 0.3)
    for field in ("indptr", "indices", "weight"):
        assert np.array_equal(getattr(direct, field), getattr(via, field))


@pytest.mark.slow
def test_a_large_graph_is_built_from_pairs_with_the_same_segments_draw():
    p = Params(n_consumers=NUMPY_GRAPH_MIN, mean_degree=4)
    G, segment = build_graph(p, np.random.default_rng(9))
    pairs, segment2 = build_pairs(p, np.random.default_rng(9))
    assert G.number_of_edges() == 2 * (NUMPY_GRAPH_MIN - 2) == len(pairs)
    assert np.array_equal(segment, segment2) and abs(segment.mean() - p.immigrant_share) < 0.01
    assert G.graph["source"] == "barabasi_albert" and list(G) == list(range(NUMPY_GRAPH_MIN))


@pytest.mark.parametrize("call", [
    lambda rng: barabasi_albert_pairs(4, 4, rng),
    lambda rng: barabasi_albert_pairs(10, 0, rng),
    lambda rng: watts_strogatz_pairs(10, 3, 0.1, rng),
    lambda rng: watts_strogatz_pairs(10, 8, 0.1, rng),
    lambda rng: erdos_renyi_pairs(10, 1.5, rng),
])
def test_impossible_settings_raise_instead_of_a_wrong_graph(call):
    with pytest.raises(ValueError, match="needs"):
        call(np.random.default_rng(0))
