"""Tests of simulation.outputs.layout: positions computed once per graph, samples of large ones.

The layout is checked as a cache (computed once per graph, in memory and on disk), as a
picture that spreads the nodes, and as a module that does not need matplotlib.
"""

from __future__ import annotations

import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from simulation.core.network import build_graph
from simulation.core.params import Params
from simulation.outputs import layout, snapshots

from conftest import REPO

SMALL = {"n_consumers": 150}


pytestmark = pytest.mark.usefixtures("fresh_layout_cache")


def test_importing_layout_does_not_import_matplotlib():
    code = "import sys, simulation.outputs.layout; assert 'matplotlib' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_layout_is_computed_once_and_cached(tmp_path, monkeypatch):
    calls = []
    real = layout._compute_layout

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(layout, "_compute_layout", counting)
    G = nx.barabasi_albert_graph(200, 3, seed=2)
    pos = layout.layout(G, seed=1)
    assert pos.shape == (200, 2) and np.isfinite(pos).all()
    assert layout.layout(G, seed=1) is pos  # memory hit: the same array object
    assert layout.layout(nx.Graph(G.edges()), seed=1) is pos  # keyed by the edge list
    assert len(calls) == 1
    with pytest.raises(ValueError):
        pos[0, 0] = 5.0  # shared, so read-only
    # one figure, six panels: one layout
    snapshots.plot_network_snapshots(SMALL, 0, [0, 1, 2], ["broadcast", "dialogue"],
                                     tmp_path / "once")
    assert len(calls) == 2
    # disk cache: written once, then read instead of recomputed
    layout.clear_layout_cache()
    first = layout.layout(G, seed=1, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("layout-*.npy"))) == 1
    layout.clear_layout_cache()
    monkeypatch.setattr(layout, "_compute_layout", lambda *a, **k: pytest.fail("recomputed"))
    again = layout.layout(G, seed=1, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(first, again)


def test_layout_depends_on_the_graph_and_spreads_nodes():
    a = layout.layout(nx.watts_strogatz_graph(300, 6, 0.1, seed=1))
    b = layout.layout(nx.watts_strogatz_graph(300, 6, 0.1, seed=2))
    assert a is not b and not np.allclose(a, b)
    # a force layout, not a pile: nearest neighbours are not on top of each other
    d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)) + np.eye(300) * 9
    assert np.median(d.min(axis=1)) > 0.01
    # complete and tie-less graphs fill a disc
    disc = layout.layout(nx.complete_graph(50))
    assert np.sqrt((disc ** 2).sum(axis=1)).max() <= 1.0 + 1e-9
    assert layout.layout(nx.empty_graph(10)).shape == (10, 2)


def test_fast_layout_of_a_large_graph():
    G = nx.barabasi_albert_graph(5000, 2, seed=3)
    pos = layout.layout(G, seed=0)
    assert pos.shape == (5000, 2) and np.isfinite(pos).all()
    assert np.unique(pos.round(6), axis=0).shape[0] > 4900  # nobody stacked on another


def test_small_and_complete_graphs_are_drawn_whole_or_without_ties():
    d = layout.drawing(nx.karate_club_graph())
    assert not d.sampled and len(d.edges) == 78 and d.caption == "all 34 consumers and 78 ties"
    G, _ = build_graph(Params(network="complete", n_consumers=2000), np.random.default_rng(0))
    d = layout.drawing(G)
    assert d.sampled and len(d.nodes) == 1500 and len(d.edges) == 0
    assert "complete graph" in d.caption and "ties not drawn" in d.caption
    s = layout.sample_nodes(nx.star_graph(50), 5, follow=3)
    assert s[0] == 0 and len(s) == 5


