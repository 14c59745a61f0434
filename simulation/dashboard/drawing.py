"""Pictures of the dashboard: the two worlds (matplotlib) and their live metrics (SVG).

The worlds are matplotlib figures built with the object-oriented API
(``matplotlib.figure.Figure``, no pyplot state), so sessions in different threads never
share a figure; the metric charts are plain SVG strings, cheap enough to redraw every week. Consumers are coloured by
attitude (diverging, -1 red .. +1 blue; unaware grey) and sized by loyalty, with the colours
and sizes of :mod:`simulation.outputs.snapshots`; digital immigrants are squares. The channels
take the Okabe-Ito colours of :mod:`simulation.outputs.figures.style`. The networked world is
drawn on :func:`simulation.outputs.layout.layout`, computed once per graph and cached.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from simulation.core.state import IMMIGRANT
from simulation.dashboard.worlds import HORIZON, TwoWorlds, WeekEvents
from simulation.outputs.figures.style import OKABE_ITO
from simulation.outputs.layout import is_complete as graph_is_complete
from simulation.outputs.layout import layout
from simulation.outputs.snapshots import ATTITUDE_CMAP, ATTITUDE_NORM, EDGE_COLOR, UNAWARE_COLOR, marker_sizes

__all__ = ["AD_COLOR", "FANPAGE_COLOR", "MAX_TIES_SHOWN", "REPLY_COLOR", "WOM_NEGATIVE",
           "WOM_POSITIVE", "draw_networked", "draw_sender", "is_complete", "metrics_svg",
           "network_positions", "sender_positions"]

AD_COLOR = OKABE_ITO["orange"]               # an ad impression
FANPAGE_COLOR = OKABE_ITO["reddish_purple"]  # a fan-page view
WOM_POSITIVE = "#2166AC"                     # the positive end of RdBu: a positive message
WOM_NEGATIVE = "#B2182B"                     # the negative end of RdBu: a negative message
REPLY_COLOR = OKABE_ITO["bluish_green"]      # the brand answered in public
BRAND_COLOR = "#222222"
PANEL_INCHES = 5.0
DPI = 100
MAX_TIES_SHOWN = 12  # most word-of-mouth ties drawn per talker (complete graphs)

_CMAP = matplotlib.colormaps[ATTITUDE_CMAP]
_UNAWARE = matplotlib.colors.to_rgba(UNAWARE_COLOR)


def _colors(model) -> np.ndarray:
    s = model.state
    rgba = _CMAP(ATTITUDE_NORM(s.attitude[:, 0]))  # the focal brand
    rgba[~s.aware[:, 0]] = _UNAWARE
    return rgba


def _base_size(n: int) -> float:
    """Marker area (pt^2) at loyalty 0: consumers share about 10 % of the panel."""
    area = (PANEL_INCHES * 72.0) ** 2 * 0.10 / max(n, 1)
    return float(np.clip(area, 6.0, 120.0))


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(PANEL_INCHES, PANEL_INCHES), dpi=DPI)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _consumers(ax, pos: np.ndarray, model, events: WeekEvents, base: float,
               networked: bool = False) -> None:
    """Consumers as dots (natives) and squares (digital immigrants); in the networked
    world this week's talkers get a black outline and the brand's replies a green ring."""
    s = model.state
    colors, sizes = _colors(model), marker_sizes(s.loyalty[:, 0], s.aware[:, 0], base)
    talked = events.talked if networked else np.zeros(s.n, dtype=bool)
    edge = np.where(talked, 0.9, 0.25)
    for segment, marker in ((0, "o"), (IMMIGRANT, "s")):
        m = (s.segment == IMMIGRANT) if segment == IMMIGRANT else (s.segment != IMMIGRANT)
        if not m.any():
            continue
        ax.scatter(pos[m, 0], pos[m, 1], c=colors[m], s=sizes[m] * (0.8 if marker == "s" else 1.0),
                   marker=marker, linewidths=edge[m],
                   edgecolors=np.where(talked[m, None], (0.07, 0.07, 0.07, 1.0), (0.45, 0.45, 0.45, 1.0)),
                   zorder=3)
    if networked and events.replied.any():
        r = events.replied
        ax.scatter(pos[r, 0], pos[r, 1], s=sizes[r] * 3.2 + 40, facecolors="none",
                   edgecolors=REPLY_COLOR, linewidths=2.0, zorder=4)


def sender_positions(model) -> np.ndarray:
    """Consumers around the brand: natives first, then digital immigrants, clockwise from
    the top (the same place every week). Up to 100 consumers sit on one circle; more are
    dealt out over a few concentric circles (consecutive consumers on alternate circles)."""
    seg = model.state.segment
    n = len(seg)
    order = np.lexsort((np.arange(n), seg))
    rings = max(1, math.ceil(n / 100))
    j = np.arange(n)
    angle = math.pi / 2 - 2 * math.pi * j / n
    radius = 1.0 - 0.11 * (j % rings) if rings > 1 else np.ones(n)
    pos = np.empty((n, 2))
    pos[order, 0] = radius * np.cos(angle)
    pos[order, 1] = radius * np.sin(angle)
    return pos


def draw_sender(world: TwoWorlds) -> Figure:
    """The sender/receiver world: brand in the centre, ads as spokes to this week's receivers."""
    model, events = world.sender, world.events["sender"]
    pos = sender_positions(model)
    fig, ax = _figure()
    for mask, color, alpha in ((events.ads, AD_COLOR, 0.45), (events.fanpage, FANPAGE_COLOR, 0.8)):
        idx = np.flatnonzero(mask)
        if len(idx):
            segs = np.zeros((len(idx), 2, 2))
            segs[:, 1] = pos[idx]
            width = 1.0 if len(idx) < 150 else 0.6
            ax.add_collection(LineCollection(segs, colors=color, linewidths=width, alpha=alpha, zorder=1))
    ax.scatter([0], [0], s=1500, marker="h", c=BRAND_COLOR, zorder=5)
    ax.text(0, 0, "brand", color="white", ha="center", va="center", fontsize=8,
            fontweight="bold", zorder=6)
    _consumers(ax, pos, model, events, _base_size(model.n_consumers))
    ax.set_xlim(-1.12, 1.12)
    ax.set_ylim(-1.12, 1.12)
    return fig


def network_positions(world: TwoWorlds) -> np.ndarray:
    """Positions of the networked world's consumers: computed once per graph (cached)."""
    return layout(world.networked.graph, seed=0)


def draw_networked(world: TwoWorlds) -> Figure:
    """The networked world: the social graph, this week's word of mouth, the brand's replies."""
    model, events = world.networked, world.events["networked"]
    pos = network_positions(world)
    fig, ax = _figure()
    complete = is_complete(world)
    edges = _edges(world)
    if len(edges) and not complete:
        ax.add_collection(LineCollection(pos[edges], colors=EDGE_COLOR, linewidths=0.5, alpha=0.8, zorder=1))
    # This week's word of mouth: the ties of every talker, coloured by what they said (in
    # a random order, so neither colour hides the other). Talkers with many ties (a
    # complete graph) show a random sample of MAX_TIES_SHOWN of them.
    src, dst = _talker_ties(world, events)
    if len(src):
        good = events.positive[src]
        colors = np.where(good[:, None], matplotlib.colors.to_rgba(WOM_POSITIVE),
                          matplotlib.colors.to_rgba(WOM_NEGATIVE))
        width = 1.3 if len(src) < 400 else 0.7
        segs = np.stack([pos[src], pos[dst]], axis=1)
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=width, alpha=0.75, zorder=2))
    _consumers(ax, pos, model, events, _base_size(model.n_consumers), networked=True)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    centre, half = (lo + hi) / 2, float(max(hi - lo)) / 2 * 1.06 + 0.02
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    return fig


def is_complete(world: TwoWorlds) -> bool:
    """A complete graph: everyone knows everyone (its ties are not drawn)."""
    return graph_is_complete(world.networked.graph)


def _talker_ties(world: TwoWorlds, events: WeekEvents) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) of the ties drawn as this week's word of mouth."""
    adj = world.networked.adjacency
    talkers = np.flatnonzero(events.talked)
    src, dst, _ = adj.edges_from(talkers)
    if len(src) == 0:
        return src, dst
    rng = np.random.default_rng(world.steps)
    keep = np.ones(len(src), dtype=bool)
    if adj.degree[talkers].max() > MAX_TIES_SHOWN:
        # rank the ties of each talker at random and keep the first MAX_TIES_SHOWN
        order = np.lexsort((rng.random(len(src)), src))
        start = np.searchsorted(src[order], src[order], side="left")
        keep[order] = np.arange(len(src)) - start < MAX_TIES_SHOWN
    idx = rng.permutation(np.flatnonzero(keep))
    return src[idx], dst[idx]


def _edges(world: TwoWorlds) -> np.ndarray:
    cached = getattr(world, "_edge_array", None)
    if cached is None:
        adj = world.networked.adjacency
        rows = np.repeat(np.arange(adj.n), adj.degree)
        cols = adj.indices.astype(np.int64)
        keep = rows < cols
        cached = np.column_stack([rows[keep], cols[keep]])
        world._edge_array = cached
    return cached


# (column, title, y-limits, y ticks)
METRICS = (
    ("awareness", "Awareness (- - bought)", (0.0, 1.0), (0.0, 0.5, 1.0)),
    ("loyalty", "Loyalty of customers", (0.0, 1.0), (0.0, 0.5, 1.0)),
    ("nps", "NPS", (-100.0, 100.0), (-100.0, 0.0, 100.0)),
    ("public_sentiment", "Public sentiment", (-1.0, 1.0), (-1.0, 0.0, 1.0)),
)
_W, _H = 520, 300            # whole chart, px
_CW, _CH = 260, 150          # one cell
_L, _R, _T, _B = 38, 12, 22, 22  # cell margins: plot area inside


def metrics_svg(model, public_record: bool = True) -> str:
    """Awareness (and, dashed, the share who bought), loyalty (mean over customers), NPS
    and public sentiment over the weeks, as one SVG of 2 x 2 small charts with fixed axes
    (so the two worlds compare at a glance). Plain SVG: cheap to redraw every week."""
    df = model.timeseries()
    weeks = df["step"].to_numpy()
    right = max(HORIZON, int(weeks[-1]))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="womsim-chart" viewBox="0 0 {_W} {_H}" '
           f'width="100%" style="max-width:{_W}px;font-family:sans-serif">',
           f'<rect width="{_W}" height="{_H}" fill="white"/>']
    for k, (column, title, (lo, hi), ticks) in enumerate(METRICS):
        ox, oy = (k % 2) * _CW, (k // 2) * _CH
        x0, x1, y0, y1 = ox + _L, ox + _CW - _R, oy + _T, oy + _CH - _B

        def X(w, x0=x0, x1=x1):
            return x0 + (x1 - x0) * np.asarray(w, dtype=float) / right

        def Y(v, y0=y0, y1=y1, lo=lo, hi=hi):
            return y1 - (y1 - y0) * (np.asarray(v, dtype=float) - lo) / (hi - lo)

        for t in ticks:
            yy = float(Y(t))
            out.append(f'<line x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="{"#9a9a9a" if t == 0 and lo < 0 else "#e6e6e6"}" stroke-width="0.8"/>')
            label = f"{t:.0f}" if column == "nps" else f"{t:g}"
            out.append(f'<text x="{x0 - 4}" y="{yy + 3.5:.1f}" font-size="10" fill="#444" '
                       f'text-anchor="end">{label}</text>')
        for w in range(0, right + 1, 26):
            xx = float(X(w))
            out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{y1}" y2="{y1 + 3}" stroke="#666"/>')
            out.append(f'<text x="{xx:.1f}" y="{y1 + 14}" font-size="10" fill="#444" '
                       f'text-anchor="middle">{w}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
                   f'stroke="#888" stroke-width="0.8"/>')
        if column == "public_sentiment" and not public_record:
            out.append(f'<text x="{ox + 8}" y="{oy + 14}" font-size="12" fill="#111">{title}: none</text>')
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2 - 4:.1f}" font-size="11" '
                       f'fill="#666" text-anchor="middle">no public posts</text>')
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2 + 10:.1f}" font-size="11" '
                       f'fill="#666" text-anchor="middle">in this world</text>')
            continue
        y = df[column].to_numpy()
        if column == "awareness":
            out.append(_polyline(X(weeks), Y(df["customers"].to_numpy()), "#666", 1.3, dash=True))
        out.append(_polyline(X(weeks), Y(y), "#111", 1.8))
        out.append(f'<circle cx="{float(X(weeks[-1])):.1f}" cy="{float(Y(y[-1])):.1f}" r="2.8" fill="#111"/>')
        out.append(f'<text x="{ox + 8}" y="{oy + 14}" font-size="12" fill="#111">{title}: '
                   f'<tspan font-weight="bold">{_fmt(column, y[-1])}</tspan></text>')
    out.append("</svg>")
    return "".join(out)


def _polyline(x: np.ndarray, y: np.ndarray, color: str, width: float, dash: bool = False) -> str:
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
    extra = ' stroke-dasharray="4 3"' if dash else ""
    return (f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="{width}" '
            f'stroke-linejoin="round"{extra}/>')


def _fmt(column: str, value: float) -> str:
    if column == "nps":
        return f"{value:+.0f}"
    return f"{value:+.2f}" if column == "public_sentiment" else f"{value:.2f}"
