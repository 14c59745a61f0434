"""Tests of simulation.outputs.snapshots: the states at chosen weeks and the grid figure.

The pictures are checked as images (decodable, not blank, the diverging colours there,
different strategies give different panels), the states by their weeks and values, and
large graphs as samples that the caption declares. The layout is tested in test_layout.py,
the animation in test_animation.py.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from PIL import Image

from simulation.core.network import build_graph
from simulation.core.params import Params
from simulation.errors import ParameterError
from simulation.outputs import layout, snapshots

SMALL = {"n_consumers": 150, "scenario": "established"}  # a known brand: both strategies act from week 1


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


pytestmark = pytest.mark.usefixtures("fresh_layout_cache")


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
    d = layout.drawing(G, seed=0)
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
            # (a talker knew the brand when talking; forgetting, later in the week, may drop it)
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


def test_large_graph_is_sampled_and_the_caption_says_so():
    p = Params(n_consumers=5000)
    G, _ = build_graph(p, np.random.default_rng(0))
    d = layout.drawing(G, seed=0)
    assert d.sampled and len(d.nodes) == layout.MAX_DRAWN == 1500 and d.n_total == 5000
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


