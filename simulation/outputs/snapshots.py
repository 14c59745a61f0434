"""Network snapshots: the states of a run at chosen weeks, and the grid figure of them.

Compute, then draw: :func:`snapshot_states` runs the model once per strategy and keeps
the consumers' arrays at chosen weeks (a :class:`Snapshots` table of :class:`Frame`);
:func:`draw_network_snapshots` draws such a table on a :class:`~simulation.outputs.layout.Drawing`,
and :func:`plot_network_snapshots` does both and saves the figure.

:func:`snapshot_states`
    Attitude, loyalty, awareness and this week's talkers at chosen weeks, one run per
    strategy on the same graph with the same seed.
:func:`plot_network_snapshots`
    A grid of panels, one row per strategy and one column per chosen week (PNG + SVG).

Every strategy runs on the *same* consumers: the graph and segments are built once with
``build_graph(Params(**params), numpy.random.default_rng(seed))`` (:func:`shared_graph`)
and handed to each model, whose own generator is seeded with ``seed``. So week 0 looks
the same in every row, and any difference later is the strategy's doing (plus the
different random draws it causes).

Where the consumers sit, and which of them are drawn on a large graph, comes from
:mod:`simulation.outputs.layout`: one layout per graph, never recomputed per panel. The
panel, the marker sizes, the legend and the metric captions defined here are shared with
the animation (:mod:`simulation.outputs.animation`).
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.colors
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from simulation.core.inputs import graph_stage_name
from simulation.core.model import WordOfMouthModel
from simulation.core.network import build_graph
from simulation.core.params import STRATEGIES, Params
from simulation.core.progress import stage
from simulation.errors import ParameterError
from simulation.outputs.figures.style import STRATEGY_COLORS, STYLE, save_figure
from simulation.outputs.layout import MAX_DRAWN, Drawing, drawing

__all__ = [
    "ATTITUDE_CMAP",
    "ATTITUDE_NORM",
    "EDGE_COLOR",
    "OUTLINE",
    "TALKER_EDGE",
    "UNAWARE_COLOR",
    "Frame",
    "NetworkPanel",
    "Snapshots",
    "as_params",
    "base_marker_size",
    "check_strategies",
    "draw_network_snapshots",
    "format_metrics",
    "legend_handles",
    "marker_sizes",
    "plot_network_snapshots",
    "shared_graph",
    "snapshot_states",
    "step_together",
    "strategy_models",
    "wrap_caption",
]

#: Diverging, colour-blind friendly (ColorBrewer RdBu): red negative, blue positive.
ATTITUDE_CMAP = "RdBu"
#: Attitudes are coloured on the whole scale -1..1, the same in every panel and frame.
ATTITUDE_NORM = Normalize(vmin=-1.0, vmax=1.0)
UNAWARE_COLOR = "#ABABAB"
EDGE_COLOR = "#C8C8C8"
TALKER_EDGE = "#111111"
OUTLINE = "#7A7A7A"
#: Text colour of a strategy that has no colour of its own.
INK = "#222222"  # text and outlines


# ----------------------------------------------------------------------------------------
# Running the model and capturing states
# ----------------------------------------------------------------------------------------
@dataclass
class Frame:
    """One strategy's consumers at the end of one week (week 0 = the initial state).

    ``attitude``, ``loyalty``, ``aware`` and ``talked`` (talked this week: a word-of-mouth
    talker) are copies, over all consumers or over the ``nodes`` asked for; ``metrics`` are
    the model's own collected metrics of that week (awareness, loyalty, NPS, trust, ...).
    """

    step: int
    attitude: np.ndarray
    loyalty: np.ndarray
    aware: np.ndarray
    talked: np.ndarray
    metrics: dict[str, float]


@dataclass
class Snapshots:
    """States of one run per strategy on one graph: ``frames[strategy][k]`` is week ``steps[k]``."""

    params: Params
    seed: int
    graph: nx.Graph
    segment: np.ndarray
    steps: list[int]
    strategies: list[str]
    nodes: np.ndarray | None
    frames: dict[str, list[Frame]] = field(default_factory=dict)


def as_params(params: Params | Mapping[str, Any]) -> Params:
    """``params`` as validated :class:`~simulation.core.params.Params`."""
    if isinstance(params, Params):
        return params
    return Params(**dict(params))


def check_strategies(strategies: Sequence[str]) -> list[str]:
    """The strategies to show, as a list; a :class:`~simulation.errors.ParameterError` for none
    or an unknown one."""
    out = [strategies] if isinstance(strategies, str) else list(strategies)
    if not out:
        raise ParameterError("at least one strategy is needed")
    for s in out:
        if s not in STRATEGIES:
            raise ParameterError(f"strategy {s!r} is not allowed: allowed {' | '.join(STRATEGIES)}")
    return out


def _check_steps(steps: Sequence[int]) -> list[int]:
    out = []
    for s in ([steps] if isinstance(steps, (int, np.integer)) else list(steps)):
        if isinstance(s, bool) or not float(s).is_integer() or s < 0:
            raise ParameterError(f"snapshot week {s!r} is not a whole number >= 0")
        out.append(int(s))
    if not out:
        raise ParameterError("at least one week to show is needed")
    return sorted(set(out))


def shared_graph(p: Params, seed: int) -> tuple[nx.Graph, np.ndarray]:
    """The graph and segments every strategy runs on: ``build_graph(p, default_rng(seed))``."""
    with stage(graph_stage_name(p)):  # announced like a model's own graph stage
        return build_graph(p, np.random.default_rng(seed))


def strategy_models(p: Params, seed: int, graph: tuple[nx.Graph, np.ndarray],
                    strategies: list[str]) -> list[WordOfMouthModel]:
    """One model per strategy on the same ``graph``, each seeded with ``seed``."""
    return [WordOfMouthModel(p.replace(strategy=s), rng=seed, graph=graph) for s in strategies]


def _frame(model, step: int, nodes: np.ndarray | None) -> Frame:
    s = model.state
    # the snapshots show the focal brand (brand 0) of the per-brand (N, B) arrays
    take = (lambda a: a.copy()) if nodes is None else (lambda a: a[nodes])

    def pick(a: np.ndarray) -> np.ndarray:
        return take(a[:, 0] if a.ndim == 2 else a)

    collected = model.datacollector.model_vars
    metrics = {name: float(values[-1]) for name, values in collected.items()}
    talked = s.talked & (s.topic == 0)  # talked about the focal brand (not a rival)
    return Frame(step=step, attitude=pick(s.attitude), loyalty=pick(s.loyalty),
                 aware=pick(s.aware), talked=pick(talked) if step > 0 else np.zeros_like(pick(s.aware)),
                 metrics=metrics)


def step_together(models: list[WordOfMouthModel], last: int, nodes: np.ndarray | None,
                  wanted: set[int] | None = None) -> Iterator[tuple[int, list[Frame]]]:
    """Step all models together; yield (week, one frame per model) at the wanted weeks."""
    for t in range(last + 1):
        if t > 0:
            for m in models:
                m.step()
        if wanted is None or t in wanted:
            yield t, [_frame(m, t, nodes) for m in models]


def snapshot_states(params: Params | Mapping[str, Any], seed: int, steps: Sequence[int],
                    strategies: Sequence[str], *, nodes: np.ndarray | None = None,
                    graph: tuple[nx.Graph, np.ndarray] | None = None) -> Snapshots:
    """Run the model once per strategy on the same graph and seed; keep chosen weeks.

    Parameters
    ----------
    params : Params or mapping
        Model parameters; ``strategy`` is replaced by each of ``strategies``. Validated
        (:class:`~simulation.errors.ParameterError`).
    seed : int
        Seeds the graph (``build_graph(Params(**params), default_rng(seed))``) and every
        model (``rng=seed``).
    steps : sequence of int
        Weeks to keep (0 = the initial state). The runs last ``max(steps)`` weeks,
        whatever the ``steps`` parameter says.
    strategies : sequence of str
        One run each, in this order.
    nodes : array of int, optional
        Keep only these consumers' values (saves memory on large graphs).
    graph : (graph, segment), optional
        A graph already built for these params and seed.

    Returns
    -------
    Snapshots
        ``frames[strategy]`` lists one :class:`Frame` per week in ``sorted(set(steps))``.

    Examples
    --------
    >>> snaps = snapshot_states({"n_consumers": 60, "network": "watts_strogatz"}, 1, [0, 3],
    ...                         ["broadcast", "dialogue"])
    >>> [f.step for f in snaps.frames["dialogue"]], snaps.frames["broadcast"][0].attitude.shape
    ([0, 3], (60,))
    """
    p = as_params(params)
    weeks = _check_steps(steps)
    strategies = check_strategies(strategies)
    G, segment = graph if graph is not None else shared_graph(p, seed)
    models = strategy_models(p, seed, (G, segment), strategies)
    snaps = Snapshots(params=p, seed=seed, graph=G, segment=segment, steps=weeks,
                      strategies=strategies, nodes=None if nodes is None else np.asarray(nodes),
                      frames={s: [] for s in strategies})
    for _, frames in step_together(models, weeks[-1], snaps.nodes, set(weeks)):
        for s, f in zip(strategies, frames):
            snaps.frames[s].append(f)
    return snaps


# ----------------------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------------------
def _cmap():
    return plt.get_cmap(ATTITUDE_CMAP).with_extremes(bad=UNAWARE_COLOR)


class NetworkPanel:
    """One network panel: static ties plus one scatter whose colours/sizes are updated.

    The ties and positions of ``d`` are drawn once on ``ax``; :meth:`update` shows one
    :class:`Frame` (values of exactly ``d.nodes``). The figure grid and every animation
    frame are made of these panels.
    """

    def __init__(self, ax, d: Drawing, base_size: float, rasterize: bool) -> None:
        self.ax, self.base = ax, base_size
        n = len(d.nodes)
        if len(d.edges):
            width = 0.3 if len(d.edges) < 3000 else 0.2
            ax.add_collection(LineCollection(d.segments(), colors=EDGE_COLOR, linewidths=width,
                                             alpha=0.55, zorder=1, rasterized=rasterize))
        self.scatter = ax.scatter(d.pos[:, 0], d.pos[:, 1], c=np.zeros(n), cmap=_cmap(),
                                  norm=ATTITUDE_NORM, s=np.full(n, base_size), linewidths=0.3, edgecolors=OUTLINE,
                                  plotnonfinite=True, zorder=2, rasterized=rasterize)
        lo, hi = d.pos.min(axis=0), d.pos.max(axis=0)
        pad = 0.04 * float(max(hi - lo)) if n > 1 else 1.0
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)

    def update(self, f: Frame) -> None:
        self.scatter.set_array(np.ma.masked_array(f.attitude, mask=~f.aware))
        self.scatter.set_sizes(marker_sizes(f.loyalty, f.aware, self.base))
        talked = f.talked.astype(bool)
        self.scatter.set_linewidths(np.where(talked, 1.0, np.where(f.aware, 0.3, 0.0)))
        edge = np.empty((len(talked), 4))
        edge[:] = matplotlib.colors.to_rgba(OUTLINE)
        edge[talked] = matplotlib.colors.to_rgba(TALKER_EDGE)
        self.scatter.set_edgecolors(edge)


def marker_sizes(loyalty: np.ndarray, aware: np.ndarray, base: float) -> np.ndarray:
    """Marker area: ``base`` at loyalty 0, 5 x ``base`` at loyalty 1; unaware a bit smaller."""
    return np.where(aware, base * (1.0 + 4.0 * np.clip(loyalty, 0.0, 1.0)), 0.7 * base)


def base_marker_size(n_drawn: int, panel_inches: float) -> float:
    """Marker area (pt^2) at loyalty 0: about 14 % of the panel shared out, within limits."""
    area_pt2 = (panel_inches * 72.0) ** 2
    return float(np.clip(0.14 * area_pt2 / max(n_drawn, 1), 2.5, 36.0))


def legend_handles(base: float) -> list[Line2D]:
    """Legend entries of a network panel: three loyalty sizes, unaware, talked this week."""
    neutral = plt.get_cmap(ATTITUDE_CMAP)(0.5)

    def dot(area, face, edge, width, label):
        return Line2D([], [], linestyle="none", marker="o", markersize=math.sqrt(area),
                      markerfacecolor=face, markeredgecolor=edge, markeredgewidth=width, label=label)

    sizes = marker_sizes(np.array([0.0, 0.5, 1.0]), np.ones(3, dtype=bool), base)
    handles = [dot(a, neutral, OUTLINE, 0.4, f"loyalty {v:g}") for a, v in zip(sizes, (0, 0.5, 1))]
    handles.append(dot(0.7 * base, UNAWARE_COLOR, UNAWARE_COLOR, 0.0, "unaware"))
    handles.append(dot(sizes[1], "white", TALKER_EDGE, 1.0, "talked this week"))
    return handles


def format_metrics(m: Mapping[str, float], sep: str = "  ") -> str:
    """Awareness, loyalty, NPS and trust of one week as text (``n/a`` where undefined)."""
    def num(x, fmt):
        if x is None or not np.isfinite(x):
            return "n/a"
        return f"{round(x):+d}" if fmt == "+d" else format(x, fmt)
    return sep.join([f"aware {num(100 * m.get('awareness', np.nan), '.0f')} %",
                     f"loyalty {num(m.get('loyalty', np.nan), '.2f')}",
                     f"NPS {num(m.get('nps', np.nan), '+d')}",
                     f"trust {num(m.get('trust', np.nan), '.2f')}"])


def wrap_caption(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` (at least 40) characters."""
    return "\n".join(textwrap.wrap(text, max(40, width)))


def _legend_note(d: Drawing, p: Params, seed: int) -> str:
    return (f"{d.n_total:,} consumers on a {p.network} graph, budget {p.budget:g}, seed {seed}; "
            f"{d.caption}. Same consumers, layout and seed in every panel. Colour = attitude of "
            f"aware consumers (red negative, blue positive), grey = unaware, size = loyalty, "
            f"dark ring = told others this week.")


def draw_network_snapshots(snaps: Snapshots, d: Drawing, title: str | None = None):
    """The grid figure of :func:`plot_network_snapshots` (not saved; the caller closes it).

    ``snaps`` must hold the values of exactly ``d.nodes`` (``snapshot_states(...,
    nodes=d.nodes)``) or of every consumer.
    """
    strategies, weeks = snaps.strategies, snaps.steps
    nrows, ncols = len(strategies), len(weeks)
    panel = 2.5 if ncols <= 4 else max(1.6, 10.0 / ncols)
    width = 0.45 + ncols * panel + 0.95
    note = wrap_caption(_legend_note(d, snaps.params, snaps.seed)
                 + " Under each panel the model's metrics that week (loyalty: mean over customers).",
                 int(width * 14))
    bottom = 0.55 + 0.15 * (note.count("\n") + 1)
    row = panel + 0.42
    title_h = 0.0 if not title else 0.3 + 0.2 * title.count("\n")
    height = title_h + nrows * row + bottom
    take = None if snaps.nodes is not None else d.nodes
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[row] * nrows + [bottom])
        axes = np.array([[fig.add_subplot(gs[r, c]) for c in range(ncols)] for r in range(nrows)])
        base = base_marker_size(len(d.nodes), panel)
        rasterize = len(d.nodes) > 400 or len(d.edges) > 1500
        for r, s in enumerate(strategies):
            for c, week in enumerate(weeks):
                ax = axes[r, c]
                f = snaps.frames[s][c]
                if take is not None:
                    f = Frame(f.step, f.attitude[take], f.loyalty[take], f.aware[take],
                              f.talked[take], f.metrics)
                NetworkPanel(ax, d, base, rasterize).update(f)
                ax.set_xlabel(format_metrics(f.metrics), fontsize=7.5, color="#333333", labelpad=3)
                if r == 0:
                    ax.set_title(f"week {week}", fontsize=10.5)
                if c == 0:
                    ax.set_ylabel(s, fontsize=11, fontweight="bold", color=STRATEGY_COLORS.get(s, INK),
                                  labelpad=6)
        sm = plt.cm.ScalarMappable(norm=ATTITUDE_NORM, cmap=plt.get_cmap(ATTITUDE_CMAP))
        cbar = fig.colorbar(sm, ax=list(axes.flat), location="right", aspect=25, pad=0.01,
                            shrink=0.85 if nrows > 1 else 0.95)
        cbar.set_label("attitude (-1..1)")
        cbar.set_ticks([-1, -0.5, 0, 0.5, 1])
        cbar.ax.grid(False)
        foot = fig.add_subplot(gs[nrows, :])
        foot.axis("off")
        foot.legend(handles=legend_handles(base), loc="upper center", ncols=5, frameon=False,
                    fontsize=8.5, handletextpad=0.3, columnspacing=1.6, borderaxespad=0.3)
        foot.text(0.5, 0.0, note, transform=foot.transAxes, ha="center", va="bottom",
                  fontsize=7.5, color="#555555", linespacing=1.3)
        if title:
            fig.suptitle(title, fontsize=11.5)
    return fig


def plot_network_snapshots(params: Params | Mapping[str, Any], seed: int, steps: Sequence[int],
                           strategies: Sequence[str], path_stem: str | os.PathLike,
                           title: str | None = None, cache_dir: str | os.PathLike | None = None,
                           max_nodes: int = MAX_DRAWN) -> list[Path]:
    """Grid of network panels: rows = strategies, columns = weeks; PNG (150 dpi) + SVG.

    Consumers are coloured by attitude on a diverging map fixed to -1..1 (red negative,
    blue positive; grey = unaware), sized by loyalty, ringed when they talked that week;
    ties are thin and light; every panel uses the same layout and the same consumers.
    A shared colour bar, a size legend and a caption (stating the sample, if the graph is
    larger than ``max_nodes``) complete the figure.

    Returns
    -------
    list of pathlib.Path
        ``[png, svg]`` as written by :func:`simulation.outputs.figures.style.save_figure`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "net"
    >>> [p.name for p in plot_network_snapshots({"n_consumers": 40}, 0, [0, 2],
    ...                                         ["broadcast", "dialogue"], out)]
    ['net.png', 'net.svg']
    """
    p = as_params(params)
    weeks = _check_steps(steps)
    strategies = check_strategies(strategies)
    G, segment = shared_graph(p, seed)
    d = drawing(G, seed=seed, cache_dir=cache_dir, max_nodes=max_nodes)
    snaps = snapshot_states(p, seed, weeks, strategies, nodes=d.nodes, graph=(G, segment))
    fig = draw_network_snapshots(snaps, d, title=title)
    return save_figure(fig, path_stem)


