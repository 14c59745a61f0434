"""Tests of simulation.core.network: graph sources, clean-up, file reading, tie strength, CSR.

Statistical tolerances are stated next to each check; they are about four standard
deviations wide at the sizes used, so a correct implementation fails with negligible
probability (and the seeds are fixed anyway).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import simulation.core.network.adjacency as adjacency
import simulation.core.network.generators as generators
from simulation.core.network import (
    Adjacency,
    build_graph,
    describe_graph,
    read_graph_file,
    tie_strength,
    to_adjacency,
)
from simulation.core.params import Params
from simulation.errors import GraphError, ParameterError

DATA = Path(__file__).resolve().parents[1] / "data"
FACEBOOK = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "facebook_combined.txt"

RANDOM_SOURCES = ("barabasi_albert", "watts_strogatz", "erdos_renyi", "powerlaw_cluster",
                  "stochastic_block")


def build(seed: int = 1, **values):
    return build_graph(Params(**values), np.random.default_rng(seed))


def edge_set(G: nx.Graph) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in G.edges()}


def reference_strength(G: nx.Graph, weak: float) -> dict[tuple[int, int], float]:
    """Overlap straight from the definition, with Python sets (slow, obviously right)."""
    out = {}
    for u, v in G.edges():
        c = len((set(G[u]) - {v}) & (set(G[v]) - {u}))
        denominator = (G.degree(u) - 1) + (G.degree(v) - 1) - c
        overlap = c / denominator if denominator > 0 else 0.0
        out[(min(u, v), max(u, v))] = weak + (1 - weak) * overlap
    return out


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------
# Generators
# ----------------------------------------------------------------------------------------
# (source, expected mean degree at N = 2000 and mean_degree = 6, tolerance)
# BA and Holme-Kim add m = 3 ties per newcomer: 2m(N - m)/N = 5.991; Holme-Kim can add a
# few fewer, hence 0.1. WS keeps exactly N k / 2 ties. ER and SBM: the edge count is
# (nearly) binomial with sd ~ 77 ties, i.e. sd 0.077 in mean degree; 0.3 is ~4 sd.
MEAN_DEGREE = [
    ("barabasi_albert", 2 * 3 * 1997 / 2000, 1e-9),
    ("watts_strogatz", 6.0, 1e-9),
    ("erdos_renyi", 6.0, 0.3),
    ("powerlaw_cluster", 2 * 3 * 1997 / 2000, 0.1),
    ("stochastic_block", 6.0, 0.3),
]


@pytest.mark.parametrize(("source", "expected", "tolerance"), MEAN_DEGREE)
def test_generator_size_and_mean_degree(source, expected, tolerance):
    G, segment = build(network=source, n_consumers=2000, mean_degree=6)
    assert list(G) == list(range(2000))
    assert segment.shape == (2000,) and segment.dtype == np.int8
    assert set(np.unique(segment)) <= {0, 1}
    assert 2 * G.number_of_edges() / 2000 == pytest.approx(expected, abs=tolerance)
    assert nx.number_of_selfloops(G) == 0 and not G.is_directed()
    assert G.graph["source"] == source


def test_odd_mean_degree_rounds_halves_up():
    # d = 5: BA m = 3 (not Python's round(2.5) = 2), WS k = 6 (nearest even, tie up).
    G, _ = build(network="barabasi_albert", n_consumers=500, mean_degree=5)
    assert G.number_of_edges() == 3 * (500 - 3)
    G, _ = build(network="watts_strogatz", n_consumers=500, mean_degree=5)
    assert G.number_of_edges() == 500 * 6 // 2
    G, _ = build(network="watts_strogatz", n_consumers=500, mean_degree=1)
    assert G.number_of_edges() == 500  # k is at least 2


def test_complete_and_empty():
    G, segment = build(network="complete", n_consumers=50)
    assert G.number_of_nodes() == 50 and G.number_of_edges() == 50 * 49 // 2
    G, segment = build(network="empty", n_consumers=50)
    assert G.number_of_nodes() == 50 and G.number_of_edges() == 0
    adj = to_adjacency(G, 0.3)
    assert adj.n == 50 and adj.n_edges == 0 and adj.degree.tolist() == [0] * 50


@pytest.mark.parametrize("source", RANDOM_SOURCES)
def test_same_seed_same_graph_other_seed_other_graph(source):
    values = dict(network=source, n_consumers=300, mean_degree=6)
    G1, s1 = build(11, **values)
    G2, s2 = build(11, **values)
    G3, s3 = build(12, **values)
    assert edge_set(G1) == edge_set(G2)
    assert np.array_equal(s1, s2)
    assert edge_set(G1) != edge_set(G3)
    assert not np.array_equal(s1, s3)


@pytest.mark.parametrize("source", ["complete", "empty", "karate"])
def test_fixed_graphs_differ_only_in_segments(source):
    G1, s1 = build(11, network=source, n_consumers=60)
    G3, s3 = build(12, network=source, n_consumers=60)
    assert edge_set(G1) == edge_set(G3)
    assert not np.array_equal(s1, s3)


def test_segments_are_drawn_after_the_graph():
    # Documented order: graph first, then rng.random(N) < immigrant_share.
    rng = np.random.default_rng(5)
    G, segment = build_graph(Params(network="complete", n_consumers=400), rng)
    expected = np.random.default_rng(5).random(400) < 0.3  # complete draws nothing
    assert np.array_equal(segment, expected.astype(np.int8))


def test_segment_share():
    # Binomial share, sd = sqrt(0.3 * 0.7 / 2000) = 0.010; tolerance 0.04.
    _, segment = build(network="erdos_renyi", n_consumers=2000, immigrant_share=0.3)
    assert segment.mean() == pytest.approx(0.3, abs=0.04)
    _, segment = build(network="erdos_renyi", n_consumers=200, immigrant_share=0.0)
    assert segment.sum() == 0
    _, segment = build(network="erdos_renyi", n_consumers=200, immigrant_share=1.0)
    assert segment.sum() == 200


def within_share(G: nx.Graph, segment: np.ndarray) -> float:
    u, v = np.array(list(G.edges())).T
    return float(np.mean(segment[u] == segment[v]))


@pytest.mark.parametrize("homophily", [0.9, 0.8, 0.5, 0.1])
def test_stochastic_block_homophily(homophily):
    # N = 2000, ~6000 ties: the within share has sd ~0.006; tolerance 0.05 as specified.
    # 0.1 is strong heterophily (below 1 - 2 * 600 / 2000 = 0.4): the immigrants get
    # no internal ties, but mean degree and within share still hold.
    G, segment = build(network="stochastic_block", n_consumers=2000, mean_degree=6,
                       homophily=homophily, immigrant_share=0.3)
    assert int(segment.sum()) == 600  # n1 = round(N * immigrant_share) exactly
    assert within_share(G, segment) == pytest.approx(homophily, abs=0.05)
    assert 2 * G.number_of_edges() / 2000 == pytest.approx(6.0, abs=0.3)


def test_stochastic_block_equal_degrees_and_scattered_blocks():
    G, segment = build(network="stochastic_block", n_consumers=2000, mean_degree=6,
                       homophily=0.8, immigrant_share=0.3)
    degree = np.array([d for _, d in sorted(G.degree())])
    # Both segments have expected degree 6; sd of a segment mean <= 0.1, tolerance 0.4.
    assert degree[segment == 0].mean() == pytest.approx(6.0, abs=0.4)
    assert degree[segment == 1].mean() == pytest.approx(6.0, abs=0.4)
    # The blocks are scattered over the ids (not 0..1399 natives, then immigrants).
    assert 0 < segment[:1400].sum() < 600


@pytest.mark.parametrize(("n0", "n1", "d", "h"), [
    (1400, 600, 6.0, 0.8), (1000, 1000, 10.0, 0.5), (1400, 600, 6.0, 0.1),
    (1400, 600, 6.0, 0.0), (1900, 100, 4.0, 1.0), (70, 30, 20.0, 0.6),
    (1999, 1, 6.0, 0.8), (300, 0, 6.0, 0.5),
])
def test_stochastic_block_probabilities_are_exact_in_expectation(n0, n1, d, h):
    probs, clipped = generators._sbm_probabilities(n0, n1, d, h)
    assert not clipped and (probs >= 0).all() and (probs <= 1).all()
    within = probs[0, 0] * n0 * (n0 - 1) / 2 + probs[1, 1] * n1 * (n1 - 1) / 2
    between = probs[0, 1] * n0 * n1
    assert 2 * (within + between) / (n0 + n1) == pytest.approx(d)
    # With one segment empty every tie is within it, whatever homophily says.
    assert within / (within + between) == pytest.approx(h if n0 and n1 else 1.0)


def test_stochastic_block_degenerate_and_clipped():
    # One segment empty: every tie is within it, homophily has no effect.
    G, segment = build(network="stochastic_block", n_consumers=300, immigrant_share=0.0,
                       homophily=0.2)
    assert segment.sum() == 0 and G.number_of_edges() > 0
    # Too dense for the homophily asked: probabilities clipped, with a warning.
    with pytest.warns(UserWarning, match="clipped"):
        G, segment = build(network="stochastic_block", n_consumers=20, mean_degree=15,
                           homophily=1.0, immigrant_share=0.5)
    assert G.number_of_edges() == 2 * 45  # two complete blocks of 10


@pytest.mark.parametrize(("values", "words"), [
    (dict(network="barabasi_albert", n_consumers=3, mean_degree=6), "mean_degree < 5"),
    (dict(network="powerlaw_cluster", n_consumers=4, mean_degree=8), "mean_degree < 7"),
    (dict(network="watts_strogatz", n_consumers=6, mean_degree=6), "mean_degree < 5"),
    (dict(network="watts_strogatz", n_consumers=2, mean_degree=2), "n_consumers >= 3"),
    (dict(network="erdos_renyi", n_consumers=5, mean_degree=6), "mean_degree <= 4"),
])
def test_impossible_generator_settings(values, words):
    with pytest.raises(GraphError, match=words) as info:
        build(**values)
    assert "\n" not in str(info.value) and values["network"] in str(info.value)


# ----------------------------------------------------------------------------------------
# Built-in and file graphs
# ----------------------------------------------------------------------------------------
def test_builtin_graphs():
    G, segment = build(network="karate", n_consumers=5000)  # n_consumers ignored
    assert G.number_of_nodes() == 34 and G.number_of_edges() == 78 and segment.shape == (34,)
    G, segment = build(network="les_miserables")
    assert G.number_of_nodes() == 77 and G.number_of_edges() == 254
    labels = [G.nodes[i]["label"] for i in range(77)]
    assert labels == sorted(labels) and "Valjean" in labels
    # Their 'weight' attributes do not leak into tie strength.
    adj = to_adjacency(G, 0.3)
    assert adj.weight.min() >= 0.3 and adj.weight.max() <= 1.0


def test_snap_edge_list_is_cleaned():
    G, segment = build(network=f"file:{DATA / 'snap_tiny.txt'}")
    # 9 edge lines: 5 distinct ties, a duplicate, a reversed duplicate, a self-loop and 10-3.
    assert G.number_of_nodes() == 6 and G.number_of_edges() == 6
    assert nx.number_of_selfloops(G) == 0
    # Integer ids sort numerically: 10 becomes consumer 5, not 2.
    assert [G.nodes[i]["label"] for i in range(6)] == [0, 1, 2, 3, 4, 10]
    assert edge_set(G) == {(0, 1), (0, 2), (1, 2), (2, 3), (3, 4), (3, 5)}


def test_raw_reading_keeps_what_the_file_says():
    G = read_graph_file(str(DATA / "snap_tiny.txt"))
    assert nx.number_of_selfloops(G) == 1 and G.number_of_edges() == 7
    D = read_graph_file(str(DATA / "directed.graphml"))
    assert D.is_directed() and D.number_of_edges() == 4


def test_graphml_and_gml():
    G, _ = build(network=f"file:{DATA / 'tiny.graphml'}")
    assert [G.nodes[i]["label"] for i in range(4)] == ["a", "b", "c", "d"]
    assert edge_set(G) == {(0, 1), (0, 2), (1, 2), (2, 3)}
    G, _ = build(network=f"file:{DATA / 'directed.graphml'}")
    assert not G.is_directed()
    assert edge_set(G) == {(0, 1), (1, 2)}  # mutual arcs -> one tie, self-loop dropped
    G, _ = build(network=f"file:{DATA / 'tiny.gml'}")
    assert [G.nodes[i]["label"] for i in range(4)] == [10, 20, 30, 40]
    assert G.number_of_edges() == 5


def test_edge_list_delimiter_comes_from_the_first_line(tmp_path):
    # A byte-order mark, spaces around the commas and a quoted label with a comma in it.
    path = write(tmp_path, "names.csv", '\ufeffalice, bob\ncarol,bob\n"dave, jr",alice\n')
    G = read_graph_file(str(path))
    assert set(G) == {"alice", "bob", "carol", "dave, jr"} and G.number_of_edges() == 3
    assert G.graph["file"]["delimiter"] == "comma" and G.graph["file"]["header"] is None
    # A line split by another delimiter than the first line's is not silently misread.
    mixed = write(tmp_path, "mixed.csv", "alice,bob\ncarol bob\n")
    with pytest.raises(GraphError, match=r"line 2: expected two node ids separated by commas like "
                                         r"line 1, got 'carol bob'"):
        read_graph_file(str(mixed))
    # Leading zeros keep ids as strings ('07' and '7' are different people).
    G = read_graph_file(str(write(tmp_path, "zeros.txt", "07 7\n7 8\n")))
    assert set(G) == {"07", "7", "8"}


def tie_strengths(G: nx.Graph, weak: float = 0.3) -> dict[tuple, float]:
    """Strength of each tie of a built graph, keyed by the original node labels."""
    adj = to_adjacency(G, weak)
    label = nx.get_node_attributes(G, "label")
    out = {}
    for i in range(adj.n):
        for k in range(adj.indptr[i], adj.indptr[i + 1]):
            j = int(adj.indices[k])
            out[label[i], label[j]] = round(float(adj.weight[k]), 12)
    return out


def test_gephi_csv_header_is_a_header_and_weights_are_tie_strength():
    G, segment = build(network=f"file:{DATA / 'gephi_edges.csv'}")
    # Not 8 consumers with 'Source' tied to 'Target': the header row is recognised.
    assert [G.nodes[i]["label"] for i in range(6)] == [1, 2, 3, 4, 5, 6] and segment.shape == (6,)
    assert G.number_of_edges() == 7 and G.graph["weighted"]
    assert G.graph["file"]["header"] == ["Source", "Target", "Weight"]
    strength = tie_strengths(G, weak=0.3)
    # w = weak + (1 - weak) * weight / max weight, max weight 3.
    assert strength[1, 2] == strength[2, 1] == 1.0
    assert strength[3, 4] == pytest.approx(0.3 + 0.7 * 0.5 / 3)
    assert strength[4, 5] == pytest.approx(0.3 + 0.7 * 2 / 3)
    assert any("weights used as tie strength" in note for note in G.graph["notes"])


def test_full_gephi_edge_table_finds_its_columns_by_name(tmp_path):
    path = write(tmp_path, "gephi.csv", "Source,Target,Type,Id,Label,timeset,Weight\n"
                                        "1,2,Undirected,0,,,1.0\n2,3,Undirected,1,,,2.0\n"
                                        "3,1,Undirected,2,,,1.0\n3,4,Undirected,3,,,4.0\n")
    G, _ = build(network=f"file:{path}")
    assert G.number_of_nodes() == 4 and G.number_of_edges() == 4 and G.graph["weighted"]
    assert tie_strengths(G)[3, 4] == 1.0 and tie_strengths(G)[1, 2] == pytest.approx(0.3 + 0.7 / 4)
    # from,to (R igraph) without weights: columns by name, strength from embeddedness.
    G, _ = build(network=f"file:{write(tmp_path, 'r.csv', 'from,to\n1,2\n2,3\n3,1\n')}")
    assert G.number_of_edges() == 3 and not G.graph.get("weighted")


def test_semicolon_csv_with_word_labels():
    G, _ = build(network=f"file:{DATA / 'spreadsheet_semicolon.csv'}")
    assert [G.nodes[i]["label"] for i in range(5)] == ["alice", "bob", "carol", "dave", "erin"]
    assert G.number_of_edges() == 5 and G.graph["file"]["delimiter"] == "semicolon"
    assert G.graph["file"]["header"] == ["source", "target"]


def test_tab_separated_weighted_list():
    G, _ = build(network=f"file:{DATA / 'weighted_tab.tsv'}")
    assert G.number_of_nodes() == 6 and G.number_of_edges() == 7 and G.graph["weighted"]
    assert G.graph["file"]["delimiter"] == "tab"
    strength = tie_strengths(G, weak=0.2)
    assert strength[0, 1] == 1.0 and strength[2, 3] == pytest.approx(0.2 + 0.8 * 0.25 / 5)


def test_pajek_net_is_read_by_networkx():
    G, _ = build(network=f"file:{DATA / 'pajek_tiny.net'}")
    assert [G.nodes[i]["label"] for i in range(5)] == ["Ann", "Bob", "Cid", "Dee", "Eve"]
    assert G.number_of_edges() == 5 and G.graph["file"]["format"] == "Pajek"
    assert G.graph["weighted"] and tie_strengths(G)["Ann", "Bob"] == 1.0
    assert tie_strengths(G)["Dee", "Eve"] == pytest.approx(0.3 + 0.7 * 2 / 4)


@pytest.mark.parametrize(("name", "line", "words"), [
    ("prose.txt", 1, "4 columns; an edge list line is 'u v' or 'u v weight'"),
    ("konect_four_columns.txt", 3, "4 columns"),
    ("weight_not_a_number.txt", 4, "weight 'strong' is not a number"),
])
def test_files_that_are_not_edge_lists_are_rejected(name, line, words):
    path = DATA / name
    with pytest.raises(GraphError) as info:
        build(network=f"file:{path}")
    message = str(info.value)
    assert message.startswith(f"graph file '{path}', line {line}: ") and words in message
    assert "\n" not in message


@pytest.mark.parametrize(("content", "line", "words"), [
    ("hello world again\nfoo bar baz\n", 1, "weight 'again' is not a number"),
    ("1 2\n2 3\nfoo bar\n", 3, "node id 'foo' is a word but '1' on line 1 is a number"),
    ("1 2\n2 3\nSource Target\n", 3, "a header is allowed only on the first line"),
    ("alice bob\nbob 7\n", 2, "node id '7' is a number but 'alice' on line 1 is a word"),
    ("1 2\n2 3 0.5\n", 2, "3 columns, but the file's first line has 2"),
    ("Source,Target,Weight\n1,2,0.5\n2,3\n", 3, "2 columns, but the file's header has 3"),
    ("1 2 0\n2 3 1\n", 1, "weight '0': allowed a finite number > 0"),
    ("1 2 -1\n", 1, "allowed a finite number > 0"),
    ("1 2 nan\n", 1, "allowed a finite number > 0"),
    ("1;2;0,5\n2;3;1\n", 1, "weight '0,5' is not a number (a decimal comma? write 0.5"),
    ("1,2\n,3\n", 2, "empty node id"),
    ("7 alice\n", 1, "node id 'alice' is a word but '7' on line 1 is a number"),
])
def test_edge_list_line_errors(tmp_path, content, line, words):
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(GraphError) as info:
        read_graph_file(str(path))
    message = str(info.value)
    assert message.startswith(f"graph file '{path}', line {line}: "), message
    assert words in message, message


def test_header_of_words_over_numeric_ids(tmp_path):
    # A header the reader does not know by name: still a header, since every other line's
    # ids are numbers; columns by position.
    G = read_graph_file(str(write(tmp_path, "h.txt", "person1 person2 strength\n1 2 1\n2 3 2\n")))
    assert set(G) == {1, 2, 3} and G.graph["file"]["header"] == ["person1", "person2", "strength"]
    assert G[2][3]["weight"] == 2.0


def test_unweighted_and_uninformative_weights_keep_embeddedness(tmp_path):
    ties = "1 2\n2 3\n3 1\n3 4\n4 5\n"
    plain, _ = build(network=f"file:{write(tmp_path, 'plain.txt', ties)}")
    assert not plain.graph.get("weighted")
    expected = reference_strength(plain, 0.3)
    adj = to_adjacency(plain, 0.3)
    got = {(i, int(j)): float(w) for i in range(adj.n)
           for j, w in zip(adj.indices[adj.indptr[i]:adj.indptr[i + 1]],
                           adj.weight[adj.indptr[i]:adj.indptr[i + 1]]) if i < j}
    assert got == pytest.approx(expected)
    # Gephi writes Weight 1.0 on every tie of an unweighted graph: no information, so the
    # strengths are exactly those of the plain file (with a note saying so).
    ones = "Source,Target,Weight\n" + ties.replace(" ", ",").replace("\n", ",1.0\n")
    equal, _ = build(network=f"file:{write(tmp_path, 'ones.csv', ones)}")
    assert not equal.graph.get("weighted") and "no information" in equal.graph["notes"][0]
    np.testing.assert_array_equal(to_adjacency(equal, 0.3).weight, adj.weight)
    # GraphML with weights on some ties only: ignored, with a note.
    G, _ = build(network=f"file:{DATA / 'tiny.graphml'}")
    assert not G.graph.get("weighted") and "2 of 4 ties have no weight" in G.graph["notes"][0]


def test_repeated_ties_add_their_weights(tmp_path):
    G, _ = build(network=f"file:{write(tmp_path, 'rep.txt', '1 2 1\n2 1 2\n2 3 1\n3 1 1\n')}")
    assert G[0][1]["weight"] == 3.0 and G[1][2]["weight"] == 1.0
    assert tie_strengths(G)[1, 2] == 1.0 and tie_strengths(G)[2, 3] == pytest.approx(0.3 + 0.7 / 3)


def test_bad_weight_in_graphml_names_the_tie(tmp_path):
    path = write(tmp_path, "neg.graphml",
                 '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                 '<key id="w" for="edge" attr.name="weight" attr.type="double"/>'
                 '<graph edgedefault="undirected"><node id="a"/><node id="b"/>'
                 '<edge source="a" target="b"><data key="w">-2</data></edge></graph></graphml>')
    with pytest.raises(GraphError, match=r"neg.graphml': tie \('a', 'b'\) has weight -2.0"):
        build(network=f"file:{path}")


def test_file_graph_records_its_sha256(tmp_path):
    path = DATA / "snap_tiny.txt"
    G, _ = build(network=f"file:{path}")
    assert G.graph["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert G.graph["file"]["path"] == str(path) and G.graph["file"]["format"] == "edge list"


def test_describe_graph_measures_the_graph_and_names_ignored_parameters(tmp_path):
    two = write(tmp_path, "two.txt", "1 2\n2 3\n7 8\n")
    d = describe_graph(build(network=f"file:{two}", n_consumers=2000, mean_degree=6)[0])
    assert (d["nodes"], d["edges"], d["components"]) == (5, 3, 2)
    assert d["mean_degree"] == pytest.approx(1.2) and d["tie_strength"] == "embeddedness"
    assert d["ignored"] == ["n_consumers", "mean_degree", "rewire_p", "triangle_p", "homophily", "clique_size"]
    assert d["file"]["sha256"] == hashlib.sha256(two.read_bytes()).hexdigest()
    assert describe_graph(build(network="karate")[0])["ignored"] == d["ignored"]
    d = describe_graph(build(network="complete", n_consumers=30)[0])
    assert d["ignored"] == ["mean_degree", "rewire_p", "triangle_p", "homophily", "clique_size"]
    assert (d["nodes"], d["edges"], d["components"], d["random"]) == (30, 435, 1, False)
    d = describe_graph(build(network="complete", n_consumers=1500)[0])  # mean field
    assert (d["edges"], d["mean_degree"], d["components"]) == (1500 * 1499 // 2, 1499, 1)
    d = describe_graph(build(network="watts_strogatz", n_consumers=50)[0])
    assert d["ignored"] == ["triangle_p", "homophily", "clique_size"] and d["random"] and "file" not in d
    assert (d["nodes"], d["edges"]) == (50, 150)
    for source in generators.USED_PARAMETERS:
        assert set(generators.USED_PARAMETERS[source]) <= set(generators.GRAPH_PARAMETERS)


def test_malformed_edge_list_names_file_and_line(tmp_path):
    lines = ["# header"] + [f"{i} {i + 1}" for i in range(15)] + ["foo", "1 2"]
    path = write(tmp_path, "bad.txt", "\n".join(lines) + "\n")
    with pytest.raises(GraphError) as info:
        read_graph_file(str(path))
    message = str(info.value)
    assert message == f"graph file '{path}', line 17: expected two node ids, got 'foo'"
    with pytest.raises(GraphError, match="line 17"):
        build(network=f"file:{path}")


def test_too_few_nodes(tmp_path):
    one = write(tmp_path, "one.txt", "# a lonely self-loop\n7 7\n")
    with pytest.raises(GraphError, match=r"has 1 node\(s\); at least 2 are needed"):
        build(network=f"file:{one}")
    empty = write(tmp_path, "empty.txt", "# nothing here\n")
    with pytest.raises(GraphError, match=r"has 0 node\(s\)"):
        build(network=f"file:{empty}")
    single = write(tmp_path, "one.graphml",
                   '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph '
                   'edgedefault="undirected"><node id="x"/></graph></graphml>')
    with pytest.raises(GraphError, match=r"one.graphml' has 1 node\(s\)"):
        build(network=f"file:{single}")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("latin1.txt", "caf\xe9 bar\n".encode("latin-1"), "not UTF-8"),
    ("broken.graphml", "<graphml><graph><node id='a'></graph>", "not valid GraphML"),
    ("broken.gml", "graph [ node [ id 1 ] edge [ source 1 ]", "not valid GML"),
    ("dup.gml", "graph [ node [ id 1 ] node [ id 2 ] edge [ source 1 target 2 ] "
                "edge [ source 1 target 2 ] ]", "not valid GML"),
])
def test_unparsable_files(tmp_path, name, content, words):
    path = write(tmp_path, name, content)
    with pytest.raises(GraphError, match=words) as info:
        read_graph_file(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(GraphError, match="cannot be read"):
        read_graph_file(str(tmp_path / "missing.txt"))
    with pytest.raises(GraphError, match="cannot be read"):
        read_graph_file(str(tmp_path))  # a directory


# ----------------------------------------------------------------------------------------
# Tie strength and the CSR adjacency
# ----------------------------------------------------------------------------------------
def test_tie_strength_on_a_tree_is_weak():
    adj = to_adjacency(nx.star_graph(9), 0.25)
    assert np.all(adj.weight == 0.25)
    assert set(tie_strength(nx.balanced_tree(2, 4), 0.4).values()) == {0.4}
    # An isolated pair (denominator 0) is a weak tie too.
    assert to_adjacency(nx.Graph([(0, 1)]), 0.3).weight.tolist() == [0.3, 0.3]


def test_tie_strength_on_a_complete_graph_is_one():
    adj = to_adjacency(nx.complete_graph(5), 0.3)
    assert adj.n_edges == 10 and np.all(adj.weight == 1.0)


@pytest.mark.parametrize("graph", [
    nx.karate_club_graph(),
    nx.powerlaw_cluster_graph(300, 3, 0.7, seed=3),
    nx.gnp_random_graph(120, 0.08, seed=4),
    nx.connected_caveman_graph(6, 5),
])
def test_tie_strength_matches_definition(graph):
    weak = 0.3
    adj = to_adjacency(graph, weak)
    expected = reference_strength(graph, weak)
    rows = np.repeat(np.arange(adj.n), adj.degree)
    for i, j, w in zip(rows, adj.indices, adj.weight):
        assert w == pytest.approx(expected[(min(i, j), max(i, j))], abs=1e-12)
    assert adj.weight.min() >= weak and adj.weight.max() <= 1.0
    W = adj.to_scipy()
    assert (W != W.T).nnz == 0  # exactly symmetric


def test_common_neighbour_methods_agree(monkeypatch):
    G = nx.powerlaw_cluster_graph(400, 4, 0.6, seed=8)
    G.add_edges_from(nx.complete_graph(range(380, 400)).edges())  # a dense clique
    A = nx.to_scipy_sparse_array(G, nodelist=range(400), weight=None, format="csr")
    A.sort_indices()
    indptr, indices = A.indptr.astype(np.int64), A.indices
    reference = (A @ A).multiply(A)
    reference = (A + reference).tocsr()
    reference.sort_indices()
    expected = (reference.data - 1).astype(np.int64)
    forward = adjacency._common_neighbours(indptr, indices, 400, method="forward")
    dense = adjacency._common_neighbours(indptr, indices, 400, method="dense")
    monkeypatch.setattr(adjacency, "_WEDGE_CHUNK", 7)  # many small chunks
    chunked = adjacency._common_neighbours(indptr, indices, 400, method="forward")
    assert np.array_equal(forward, expected)
    assert np.array_equal(dense, expected)
    assert np.array_equal(chunked, expected)


def test_csr_matches_graph():
    G, _ = build(network="powerlaw_cluster", n_consumers=500, mean_degree=6)
    adj = to_adjacency(G, 0.3)
    assert isinstance(adj, Adjacency)
    assert adj.n == 500 and adj.n_edges == G.number_of_edges()
    assert adj.indptr.dtype == np.int64 and adj.indptr.shape == (501,)
    assert adj.indices.dtype in (np.int32, np.int64) and adj.weight.dtype == np.float64
    assert adj.degree.tolist() == [G.degree(i) for i in range(500)]
    for i in range(500):
        row = adj.indices[adj.indptr[i]:adj.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)  # sorted, no repeats
        assert set(row.tolist()) == set(G[i])
    W = adj.to_scipy()
    assert isinstance(W, sp.csr_array) and W.shape == (500, 500) and W.nnz == 2 * adj.n_edges


def test_adjacency_is_read_only():
    adj = to_adjacency(nx.cycle_graph(5), 0.3)
    with pytest.raises(ValueError):
        adj.weight[0] = 0.9
    W = adj.to_scipy()  # a writable copy
    W.data[0] = 0.9
    assert adj.weight[0] == 0.3


def test_to_adjacency_folds_directed_multi_and_loops():
    D = nx.MultiDiGraph([(0, 1), (1, 0), (0, 1), (1, 2), (2, 2)])
    adj = to_adjacency(D, 0.3)
    assert adj.n == 3 and adj.n_edges == 2
    assert adj.indices.tolist() == [1, 0, 2, 1]


def test_to_adjacency_needs_consumer_ids():
    with pytest.raises(GraphError, match="integers 0..2"):
        to_adjacency(nx.Graph([("a", "b"), ("b", "c")]), 0.3)
    with pytest.raises(GraphError, match="found node 5"):
        to_adjacency(nx.Graph([(0, 1), (1, 5)]), 0.3)


def test_tie_strength_forms_agree():
    G = nx.karate_club_graph()
    by_edge = tie_strength(G, 0.2)
    adj = to_adjacency(G, 0.2)
    assert np.array_equal(tie_strength(adj, 0.2), adj.weight)
    A = nx.to_scipy_sparse_array(G, nodelist=range(34), format="csr")  # weights ignored
    W = tie_strength(A, 0.2)
    assert isinstance(W, sp.csr_array)
    assert np.array_equal(W.toarray(), adj.to_scipy().toarray())
    for (u, v), w in by_edge.items():
        assert W[u, v] == w
    # Arbitrary node labels work for graphs.
    H = nx.relabel_nodes(nx.complete_graph(4), dict(enumerate("wxyz")))
    assert tie_strength(H, 0.5) == {e: 1.0 for e in H.edges()}


def test_tie_strength_rejects_bad_input():
    with pytest.raises(ParameterError, match="weak_tie_strength"):
        tie_strength(nx.path_graph(3), 0.0)
    with pytest.raises(ParameterError, match="weak_tie_strength"):
        to_adjacency(nx.path_graph(3), 1.5)
    with pytest.raises(GraphError, match="not symmetric"):
        tie_strength(sp.csr_array(np.array([[0, 1], [0, 0]])), 0.3)
    with pytest.raises(GraphError, match="square"):
        tie_strength(sp.csr_array(np.ones((2, 3))), 0.3)
    with pytest.raises(TypeError):
        tie_strength([(0, 1)], 0.3)


@pytest.mark.slow
def test_large_sparse_graph_builds():
    # 100,000 consumers, ~500,000 ties, heavy-tailed (Chung-Lu-like) so hubs exist: the
    # chunked common-neighbour path. Speed is measured in benchmarks/, not asserted here.
    rng = np.random.default_rng(0)
    n = 100_000
    p = 1.0 / np.sqrt(np.arange(1, n + 1))
    ends = rng.choice(n, size=(510_000, 2), p=p / p.sum())
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(ends[ends[:, 0] != ends[:, 1]].tolist())
    adj = to_adjacency(G, 0.3)
    assert adj.n == n and adj.n_edges == G.number_of_edges()
    assert adj.weight.min() >= 0.3 and adj.weight.max() <= 1.0


@pytest.mark.skipif(not FACEBOOK.is_file(),
                    reason=f"SNAP ego-Facebook graph not found at {FACEBOOK}")
def test_real_facebook_graph():
    G, segment = build(network=f"file:{FACEBOOK}")
    assert G.number_of_nodes() == 4039 and G.number_of_edges() == 88234
    assert [G.nodes[i]["label"] for i in (0, 4038)] == [0, 4038]  # ids kept in order
    adj = to_adjacency(G, 0.3)
    assert adj.n_edges == 88234 and segment.shape == (4039,)
    assert adj.weight.min() >= 0.3 and adj.weight.max() <= 1.0
    # A dense friendship graph (clustering 0.61): most ties are embedded.
    assert np.median(adj.weight) > 0.3
