"""Tests of simulation.outputs.snapshots: network snapshot figures and animations.

The pictures are checked as images (decodable, not blank, the diverging colours there,
different strategies give different panels), the layout as a cache (computed once per
graph), large graphs as samples that the caption declares, and animations by their frames.
"""

from __future__ import annotations

import itertools
import json

import matplotlib
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pytest
from PIL import Image

from simulation.outputs import snapshots
from simulation.errors import ParameterError, WomsimError
from simulation.core.network import build_graph
from simulation.core.params import Params

SMALL = {"n_consumers": 150}


def _rgb(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _reddish(a: np.ndarray) -> np.ndarray:
    return (a[..., 0] - a[..., 2] > 60) & (a[..., 0] > 120)


def _bluish(a: np.ndarray) -> np.ndarray:
    return (a[..., 2] - a[..., 0] > 60) & (a[..., 2] > 120)


def _panels(fig, rows: int, cols: int) -> list[list[np.ndarray]]:
    """Rendered pixels of each network panel (the first rows * cols axes, row by row)."""
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    h = img.shape[0]
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            bb = fig.axes[r * cols + c].get_window_extent()
            row.append(img[int(h - bb.y1):int(h - bb.y0), int(bb.x0):int(bb.x1)])
        out.append(row)
    return out


@pytest.fixture(autouse=True)
def _fresh_cache():
    snapshots.clear_layout_cache()
    yield
    snapshots.clear_layout_cache()
    plt.close("all")


# ----------------------------------------------------------------------------- figure
def test_snapshot_figure_is_a_real_picture(tmp_path):
    paths = snapshots.plot_network_snapshots(SMALL, 0, [0, 5, 10], ["broadcast", "dialogue"],
                                             tmp_path / "net", title="test")
    png, svg = paths
    assert png.name == "net.png" and svg.name == "net.svg"
    assert svg.stat().st_size > 10_000 and svg.read_text().lstrip().startswith("<?xml")
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.info["dpi"][0] >= 149.9
        assert im.width > 1000 and im.height > 700
    a = _rgb(png)
    colours = np.unique(a.reshape(-1, 3), axis=0)
    assert len(colours) > 500  # not blank, not a flat fill
    assert (a.sum(axis=2) < 765).mean() > 0.05  # well beyond an empty white page
    # the diverging scale: both ends present (colour bar), and blue attitudes in panels
    assert _reddish(a).sum() > 500 and _bluish(a).sum() > 500


def test_strategies_give_different_panels_on_the_same_start():
    p = Params(**SMALL)
    G, segment = build_graph(p, np.random.default_rng(0))
    d = snapshots.drawing(G, seed=0)
    snaps = snapshots.snapshot_states(p, 0, [0, 10], ["broadcast", "dialogue"], graph=(G, segment))
    fig = snapshots.draw_network_snapshots(snaps, d)
    panels = _panels(fig, 2, 2)
    early_a, early_b = panels[0][0], panels[1][0]
    late_a, late_b = panels[0][1], panels[1][1]
    assert early_a.shape == early_b.shape and late_a.shape == late_b.shape
    # Week 0: same consumers, same seed, same picture (up to sub-pixel placement of the
    # rows, which moves antialiased edges); week 10: the strategies have moved the
    # attitudes apart, by much more than that.
    early, late = np.abs(early_a - early_b).mean(), np.abs(late_a - late_b).mean()
    assert late > 3 * early and late > 5.0
    assert abs(_bluish(early_a).sum() - _bluish(early_b).sum()) < 50
    assert abs(_bluish(late_a).sum() - _bluish(late_b).sum()) > 500
    # and the pictures moved over time
    assert np.abs(early_a - late_a).mean() > 5.0
    # the data behind them: identical at week 0, different later
    sa, sb = [ax.collections[-1] for ax in fig.axes[:4:2]], [ax.collections[-1] for ax in fig.axes[1:4:2]]
    assert np.array_equal(sa[0].get_facecolors(), sa[1].get_facecolors())
    assert not np.array_equal(sb[0].get_facecolors(), sb[1].get_facecolors())


def test_snapshot_states_capture_the_requested_weeks():
    snaps = snapshots.snapshot_states(SMALL, 3, [4, 0, 4, 2], ["broadcast", "dialogue"])
    assert snaps.steps == [0, 2, 4]
    for s in ("broadcast", "dialogue"):
        frames = snaps.frames[s]
        assert [f.step for f in frames] == [0, 2, 4]
        for f in frames:
            assert f.attitude.shape == f.loyalty.shape == f.aware.shape == f.talked.shape == (150,)
            assert np.all(np.abs(f.attitude) <= 1) and np.all((f.loyalty >= 0) & (f.loyalty <= 1))
            assert not np.any(f.talked & ~f.aware)  # only aware consumers talk
            assert {"awareness", "loyalty", "nps", "trust"} <= set(f.metrics)
        assert not frames[0].talked.any()  # nobody has talked before week 1
    b, d = snaps.frames["broadcast"], snaps.frames["dialogue"]
    assert np.array_equal(b[0].aware, d[0].aware)  # same consumers at the start
    assert not np.array_equal(b[-1].attitude, d[-1].attitude)
    assert b[0].metrics["awareness"] == pytest.approx(b[0].aware.mean())
    sub = snapshots.snapshot_states(SMALL, 3, [4], ["broadcast"], nodes=np.array([0, 5, 7]))
    assert np.array_equal(sub.frames["broadcast"][0].attitude, b[-1].attitude[[0, 5, 7]])


def test_bad_weeks_and_strategies_are_parameter_errors():
    with pytest.raises(ParameterError, match="week"):
        snapshots.snapshot_states(SMALL, 0, [-1], ["broadcast"])
    with pytest.raises(ParameterError, match="strategy"):
        snapshots.snapshot_states(SMALL, 0, [1], ["broadkast"])
    with pytest.raises(ParameterError, match="n_consumers"):
        snapshots.snapshot_states({"n_consumers": 0}, 0, [1], ["broadcast"])


# ----------------------------------------------------------------------------- layout
def test_layout_is_computed_once_and_cached(tmp_path, monkeypatch):
    calls = []
    real = snapshots._compute_layout

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshots, "_compute_layout", counting)
    G = nx.barabasi_albert_graph(200, 3, seed=2)
    pos = snapshots.layout(G, seed=1)
    assert pos.shape == (200, 2) and np.isfinite(pos).all()
    assert snapshots.layout(G, seed=1) is pos  # memory hit: the same array object
    assert snapshots.layout(nx.Graph(G.edges()), seed=1) is pos  # keyed by the edge list
    assert len(calls) == 1
    with pytest.raises(ValueError):
        pos[0, 0] = 5.0  # shared, so read-only
    # one figure, six panels: one layout
    snapshots.plot_network_snapshots(SMALL, 0, [0, 1, 2], ["broadcast", "dialogue"],
                                     tmp_path / "once")
    assert len(calls) == 2
    # disk cache: written once, then read instead of recomputed
    snapshots.clear_layout_cache()
    first = snapshots.layout(G, seed=1, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("layout-*.npy"))) == 1
    snapshots.clear_layout_cache()
    monkeypatch.setattr(snapshots, "_compute_layout", lambda *a, **k: pytest.fail("recomputed"))
    again = snapshots.layout(G, seed=1, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(first, again)


def test_layout_depends_on_the_graph_and_spreads_nodes():
    a = snapshots.layout(nx.watts_strogatz_graph(300, 6, 0.1, seed=1))
    b = snapshots.layout(nx.watts_strogatz_graph(300, 6, 0.1, seed=2))
    assert a is not b and not np.allclose(a, b)
    # a force layout, not a pile: nearest neighbours are not on top of each other
    d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)) + np.eye(300) * 9
    assert np.median(d.min(axis=1)) > 0.01
    # complete and tie-less graphs fill a disc
    disc = snapshots.layout(nx.complete_graph(50))
    assert np.sqrt((disc ** 2).sum(axis=1)).max() <= 1.0 + 1e-9
    assert snapshots.layout(nx.empty_graph(10)).shape == (10, 2)


# ----------------------------------------------------------------------------- sampling
def test_large_graph_is_sampled_and_the_caption_says_so():
    p = Params(n_consumers=5000)
    G, _ = build_graph(p, np.random.default_rng(0))
    d = snapshots.drawing(G, seed=0)
    assert d.sampled and len(d.nodes) == snapshots.MAX_DRAWN == 1500 and d.n_total == 5000
    assert d.caption.startswith("showing 1,500 of 5,000 consumers")
    assert d.pos.shape == (1500, 2) and np.isfinite(d.pos).all()
    assert len(np.unique(d.nodes)) == 1500 and d.nodes.max() < 5000
    # drawn ties are ties of the graph, among drawn consumers
    u, v = d.nodes[d.edges[:, 0]], d.nodes[d.edges[:, 1]]
    assert all(G.has_edge(int(a), int(b)) for a, b in zip(u[:200], v[:200]))
    assert len(d.edges) > 1500  # a network, not scattered dots
    # the figure's caption carries it
    snaps = snapshots.snapshot_states(p, 0, [0, 1], ["broadcast", "dialogue"], nodes=d.nodes,
                                      graph=(G, _))
    fig = snapshots.draw_network_snapshots(snaps, d)
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "showing 1,500 of 5,000 consumers" in texts.replace("\n", " ")


def test_fast_layout_of_a_large_graph():
    G = nx.barabasi_albert_graph(5000, 2, seed=3)
    pos = snapshots.layout(G, seed=0)
    assert pos.shape == (5000, 2) and np.isfinite(pos).all()
    assert np.unique(pos.round(6), axis=0).shape[0] > 4900  # nobody stacked on another


def test_small_and_complete_graphs_are_drawn_whole_or_without_ties():
    d = snapshots.drawing(nx.karate_club_graph())
    assert not d.sampled and len(d.edges) == 78 and d.caption == "all 34 consumers and 78 ties"
    G, _ = build_graph(Params(network="complete", n_consumers=2000), np.random.default_rng(0))
    d = snapshots.drawing(G)
    assert d.sampled and len(d.nodes) == 1500 and len(d.edges) == 0
    assert "complete graph" in d.caption and "ties not drawn" in d.caption
    s = snapshots.sample_nodes(nx.star_graph(50), 5, follow=3)
    assert s[0] == 0 and len(s) == 5


# ----------------------------------------------------------------------------- animation
def test_gif_has_one_frame_per_week_and_they_differ(tmp_path):
    out = tmp_path / "anim" / "spread.gif"
    path = snapshots.animate({"n_consumers": 120}, 1, out, steps=6, fps=5, progress=False)
    assert path == out and out.exists()
    with Image.open(out) as im:
        assert im.n_frames == 7  # weeks 0..6
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
        assert im.info.get("loop") == 0
    assert all(f.shape == frames[0].shape for f in frames)
    assert all(np.abs(a - b).sum() > 0 for a, b in itertools.pairwise(frames))
    assert np.abs(frames[0] - frames[-1]).mean() > 0.5  # the network changed colour
    assert _bluish(frames[-1]).sum() > _bluish(frames[0]).sum()
    assert (frames[0] == 255).all(axis=2).mean() > 0.5  # a white background, not grey
    meta = json.loads((tmp_path / "anim" / "spread.gif.json").read_text())
    assert meta["seed"] == 1 and meta["params"]["n_consumers"] == 120 and meta["frames"] == 7
    assert meta["strategies"] == ["broadcast", "dialogue"]
    assert "matplotlib" in meta["provenance"]["versions"]


def test_mp4_without_ffmpeg_is_a_clear_error(tmp_path, monkeypatch):
    from matplotlib import animation

    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    out = tmp_path / "a.mp4"
    with pytest.raises(WomsimError, match=r"ffmpeg is missing.*\.gif"):
        snapshots.animate({"n_consumers": 50}, 0, out, steps=2, progress=False)
    assert not out.exists()
    with pytest.raises(WomsimError, match="unknown animation format"):
        snapshots.animate({"n_consumers": 50}, 0, tmp_path / "a.avi", steps=2, progress=False)


def test_mp4_on_this_machine(tmp_path):
    from matplotlib import animation

    if animation.writers.is_available("ffmpeg"):
        pytest.skip("ffmpeg is installed here: the missing-ffmpeg error cannot occur")
    with pytest.raises(WomsimError, match="ffmpeg"):
        snapshots.animate({"n_consumers": 50}, 0, tmp_path / "a.mp4", steps=2, progress=False)


def test_main_animate(tmp_path, capsys):
    out = tmp_path / "cli.gif"
    assert snapshots.main_animate({"n_consumers": "80"}, 2, str(out), 3, 4, False) == 0
    assert str(out) in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 4
    # the steps parameter is the default length when set
    out2 = tmp_path / "cli2.gif"
    snapshots.main_animate({"n_consumers": "60", "steps": "2"}, 0, str(out2), None, 4, False)
    with Image.open(out2) as im:
        assert im.n_frames == 3
    with pytest.raises(ParameterError, match="did you mean 'budget'"):
        snapshots.main_animate({"budjet": "1"}, 0, str(tmp_path / "x.gif"), 2, 4, False)
