"""Pictures of the dashboard: the two worlds (matplotlib) and their live metrics (SVG).

The worlds are matplotlib figures built with the object-oriented API
(``matplotlib.figure.Figure``, no pyplot state), so sessions in different threads never
share a figure; the metric charts are plain SVG strings, cheap enough to redraw every week.

Consumers are coloured either by the brand they prefer (:func:`preferred_brand`: the brand
of their latest category purchase, else the brand they like best among those they know;
grey: they know no brand) with one Okabe-Ito colour per brand (:data:`BRAND_COLORS`, brand 0
the focal brand), or by their attitude to the focal brand (diverging, -1 red .. +1 blue;
unaware grey, the colours of :mod:`simulation.outputs.snapshots`). Size is loyalty (to the
preferred brand, or to the focal brand); digital immigrants are squares. The channels take
the remaining Okabe-Ito colours of :mod:`simulation.outputs.figures.style`. The networked
world is drawn on :func:`simulation.outputs.layout.layout`, computed once per graph and
cached. The market (docs/ODD.md, 2.3 and 7.8 Purchase), the public record (7.7) and the
events (7.12) are what the charts of :func:`metrics_svg` show.

Examples
--------
>>> import numpy as np
>>> from types import SimpleNamespace
>>> s = SimpleNamespace(last_brand=np.array([1, -1, -1]), aware=np.array([[1, 1], [0, 1], [0, 0]], bool),
...                     attitude=np.array([[0.1, 0.5], [0.9, -0.2], [0.0, 0.0]]))
>>> preferred_brand(s).tolist()
[1, 1, -1]
"""

from __future__ import annotations

import html
import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from simulation.core.state import IMMIGRANT, NO_BRAND
from simulation.dashboard.i18n import N_, translator
from simulation.dashboard.worlds import HORIZON, TwoWorlds, WeekEvents
from simulation.outputs.figures.style import OKABE_ITO
from simulation.outputs.layout import is_complete as graph_is_complete
from simulation.outputs.layout import layout
from simulation.outputs.snapshots import ATTITUDE_CMAP, ATTITUDE_NORM, EDGE_COLOR, UNAWARE_COLOR, marker_sizes

__all__ = ["AD_COLOR", "BRAND_COLORS", "COLOUR_BY", "CRISIS_COLOR", "FANPAGE_COLOR", "MAX_TIES_SHOWN",
           "REPLY_COLOR", "WOM_NEGATIVE", "WOM_POSITIVE", "brand_color", "draw_networked", "draw_sender",
           "is_complete", "metrics_svg", "network_positions", "preferred_brand", "sender_positions"]

#: One colour per brand, brand 0 (the focal brand, the one whose strategy the class
#: chooses) first: strong blue; the rivals orange and reddish purple (Okabe-Ito).
BRAND_COLORS: tuple[str, ...] = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["reddish_purple"],
                                 OKABE_ITO["vermillion"], OKABE_ITO["black"], OKABE_ITO["grey"])
AD_COLOR = "#B8A800"                         # an ad impression (Okabe-Ito yellow, darkened to read on white)
FANPAGE_COLOR = OKABE_ITO["sky_blue"]        # a fan-page view
WOM_POSITIVE = "#2166AC"                     # the positive end of RdBu: a positive message
WOM_NEGATIVE = "#B2182B"                     # the negative end of RdBu: a negative message
REPLY_COLOR = OKABE_ITO["bluish_green"]      # the brand answered in public
CRISIS_COLOR = "#B2182B"                     # the week a crisis hit, on every chart
BRAND_CENTRE = "#222222"
PANEL_INCHES = 5.0
DPI = 100
MAX_TIES_SHOWN = 12  # most word-of-mouth ties drawn per talker (complete graphs)
#: What the consumers' colour shows: (value, label msgid).
COLOUR_BY = {"brand": N_("preferred brand"), "attitude": N_("attitude to our brand")}

_CMAP = matplotlib.colormaps[ATTITUDE_CMAP]
_UNAWARE = matplotlib.colors.to_rgba(UNAWARE_COLOR)


def brand_color(brand: int) -> str:
    """The colour of ``brand`` (0 = focal) in panels, charts and the feed."""
    return BRAND_COLORS[int(brand) % len(BRAND_COLORS)]


def preferred_brand(state) -> np.ndarray:
    """Per consumer, the brand they prefer: their latest category purchase (``last_brand``),
    else the brand with the highest attitude among those they are aware of, else -1 (they
    know no brand)."""
    pref = np.asarray(state.last_brand, dtype=np.int64).copy()
    liked = np.where(state.aware, state.attitude, -np.inf)
    best = np.argmax(liked, axis=1)
    knows = state.aware.any(axis=1)
    fill = pref == NO_BRAND
    pref[fill] = np.where(knows[fill], best[fill], NO_BRAND)
    return pref


def _colors_and_loyalty(model, colour_by: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGBA per consumer, the loyalty that sizes them, and whether they count as aware."""
    s = model.state
    if colour_by == "attitude":
        rgba = _CMAP(ATTITUDE_NORM(s.attitude[:, 0]))  # the focal brand
        rgba[~s.aware[:, 0]] = _UNAWARE
        return rgba, s.loyalty[:, 0], s.aware[:, 0]
    pref = preferred_brand(s)
    palette = np.array([matplotlib.colors.to_rgba(c) for c in BRAND_COLORS] + [_UNAWARE])
    idx = np.where(pref >= 0, pref % len(BRAND_COLORS), len(BRAND_COLORS))
    known = pref >= 0
    loyalty = np.where(known, s.loyalty[np.arange(s.n), np.maximum(pref, 0)], 0.0)
    return palette[idx], loyalty, known


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


def _consumers(ax, pos: np.ndarray, model, events: WeekEvents, base: float, colour_by: str,
               networked: bool = False) -> None:
    """Consumers as dots (natives) and squares (digital immigrants); in the networked
    world this week's talkers get a black outline and the brand's replies a green ring."""
    s = model.state
    colors, loyalty, aware = _colors_and_loyalty(model, colour_by)
    sizes = marker_sizes(loyalty, aware, base)
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


def draw_sender(world: TwoWorlds, lang: str = "en", colour_by: str = "brand") -> Figure:
    """The sender/receiver world: our brand in the centre, ads as spokes to this week's receivers."""
    _ = translator(lang)
    model, events = world.sender, world.events["sender"]
    pos = sender_positions(model)
    fig, ax = _figure()
    for mask, color, alpha in ((events.ads, AD_COLOR, 0.55), (events.fanpage, FANPAGE_COLOR, 0.8)):
        idx = np.flatnonzero(mask)
        if len(idx):
            segs = np.zeros((len(idx), 2, 2))
            segs[:, 1] = pos[idx]
            width = 1.0 if len(idx) < 150 else 0.6
            ax.add_collection(LineCollection(segs, colors=color, linewidths=width, alpha=alpha, zorder=1))
    ax.scatter([0], [0], s=2600, marker="h", c=brand_color(0) if colour_by == "brand" else BRAND_CENTRE,
               zorder=5)
    ax.text(0, 0, _("our brand"), color="white", ha="center", va="center", fontsize=7.5,
            fontweight="bold", zorder=6)
    _consumers(ax, pos, model, events, _base_size(model.n_consumers), colour_by)
    ax.set_xlim(-1.12, 1.12)
    ax.set_ylim(-1.12, 1.12)
    return fig


def network_positions(world: TwoWorlds) -> np.ndarray:
    """Positions of the networked world's consumers: computed once per graph (cached)."""
    return layout(world.networked.graph, seed=0)


def draw_networked(world: TwoWorlds, lang: str = "en", colour_by: str = "brand") -> Figure:
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
    _consumers(ax, pos, model, events, _base_size(model.n_consumers), colour_by, networked=True)
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


# ----------------------------------------------------------------------------------------
# The charts
# ----------------------------------------------------------------------------------------
#: (key, y-limits, y ticks, needs the public record); titles in :func:`_chart_title`.
CHARTS = (
    ("share", (0.0, 1.0), (0.0, 0.5, 1.0), False),
    ("nps", (-100.0, 100.0), (-100.0, 0.0, 100.0), False),
    ("awareness", (0.0, 1.0), (0.0, 0.5, 1.0), False),
    ("loyalty", (0.0, 1.0), (0.0, 0.5, 1.0), False),
    ("public_rating", (-1.0, 1.0), (-1.0, 0.0, 1.0), True),
    ("reply_rate", (0.0, 1.0), (0.0, 0.5, 1.0), True),
)
SHARE_WEEKS = 4  # market share: mean over this many weeks
CRISIS_NAMES = {"scandal": N_("scandal"), "defect": N_("defect")}
_CW, _CH = 270, 132              # one cell, px
_COLS = 2
_W, _H = _CW * _COLS, _CH * math.ceil(len(CHARTS) / _COLS)
_L, _R, _T, _B = 38, 10, 22, 22  # cell margins: plot area inside


def _chart_title(key: str, lang: str) -> str:
    _ = translator(lang)
    return {"share": _("Market share (4-week mean)"), "nps": _("NPS (95 % interval)"),
            "awareness": _("Awareness of our brand"), "loyalty": _("Loyalty of customers"),
            "public_rating": _("Public rating of our brand"), "reply_rate": _("Reply rate")}[key]


def metrics_svg(history: pd.DataFrame, crises=(), lang: str = "en", public_record: bool = True,
                n_brands: int = 3) -> str:
    """The charts of one world as one SVG (3 x 2 cells, fixed axes, so the two worlds
    compare at a glance; plain SVG, cheap to redraw every week):

    market share of every brand (``share_<b>``, one line per brand in its colour, mean of
    the last SHARE_WEEKS weeks), NPS with
    its 95 % interval band (``nps_low`` .. ``nps_high``, -100..100), awareness of the focal
    brand (dashed: the share who bought it), loyalty (mean over customers), the focal
    brand's public rating on the lasting record (dashed: the recency-weighted public
    sentiment) and the reply rate. ``crises``: (week, kind) pairs marked on every chart
    (a red line with its name). Without a public record (the sender world) the last two
    cells say so."""
    _ = translator(lang)
    weeks = history["step"].to_numpy() if len(history) else np.zeros(1)
    right = max(HORIZON, int(weeks[-1]))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="womsim-chart" viewBox="0 0 {_W} {_H}" '
           f'width="100%" style="max-width:{_W}px;font-family:sans-serif">',
           f'<rect width="{_W}" height="{_H}" fill="white"/>']
    for k, (key, (lo, hi), ticks, needs_record) in enumerate(CHARTS):
        ox, oy = (k % _COLS) * _CW, (k // _COLS) * _CH
        x0, x1, y0, y1 = ox + _L, ox + _CW - _R, oy + _T, oy + _CH - _B

        def X(w, x0=x0, x1=x1):
            return x0 + (x1 - x0) * np.asarray(w, dtype=float) / right

        def Y(v, y0=y0, y1=y1, lo=lo, hi=hi):
            return y1 - (y1 - y0) * (np.clip(np.asarray(v, dtype=float), lo, hi) - lo) / (hi - lo)

        out.append(f'<g class="womsim-cell womsim-cell-{key}">')
        for t in ticks:
            yy = float(Y(t))
            out.append(f'<line x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="{"#9a9a9a" if t == 0 and lo < 0 else "#e6e6e6"}" stroke-width="0.8"/>')
            label = f"{t:.0f}" if key == "nps" else f"{t:g}"
            out.append(f'<text x="{x0 - 4}" y="{yy + 3.5:.1f}" font-size="10" fill="#444" '
                       f'text-anchor="end">{label}</text>')
        for w in range(0, right + 1, 26):
            xx = float(X(w))
            out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{y1}" y2="{y1 + 3}" stroke="#666"/>')
            out.append(f'<text x="{xx:.1f}" y="{y1 + 14}" font-size="10" fill="#444" '
                       f'text-anchor="middle">{w}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
                   f'stroke="#888" stroke-width="0.8"/>')
        title = html.escape(_chart_title(key, lang))
        if needs_record and not public_record:
            out.append(f'<text x="{ox + 8}" y="{oy + 14}" font-size="13" fill="#111">{title}</text>')
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2 + 4:.1f}" font-size="11" '
                       f'fill="#666" text-anchor="middle">{html.escape(_("no public posts in this world"))}</text>')
            out.append("</g>")
            continue
        for week, kind in crises:
            xx = float(X(week))
            out.append(f'<line class="womsim-crisis" x1="{xx:.1f}" x2="{xx:.1f}" y1="{y0}" y2="{y1}" '
                       f'stroke="{CRISIS_COLOR}" stroke-width="1.2" stroke-dasharray="3 2"/>')
            name = html.escape(_(CRISIS_NAMES.get(kind, kind)))
            out.append(f'<text x="{xx + 2:.1f}" y="{y0 + 11}" font-size="10" font-weight="bold" '
                       f'fill="{CRISIS_COLOR}">{name}</text>')
        if len(history):
            out.append(_cell_lines(history, key, weeks, X, Y, n_brands))
            value = _latest(history, key)
            out.append(f'<text x="{ox + 8}" y="{oy + 14}" font-size="13" fill="#111">{title}: '
                       f'<tspan font-weight="bold">{html.escape(value)}</tspan></text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _cell_lines(df: pd.DataFrame, key: str, weeks: np.ndarray, X, Y, n_brands: int) -> str:
    out = []
    if key == "share":
        # rivals first, so the focal brand's (thicker) line lies on top
        for b in reversed(range(n_brands)):
            col = f"share_{b}"
            if col in df:
                out.append(_polyline(X(weeks), Y(_smooth(df[col])), brand_color(b), 2.4 if b == 0 else 1.5))
        return "".join(out)
    if key == "nps":
        low, high = df["nps_low"].to_numpy(), df["nps_high"].to_numpy()
        out.append(_band(X(weeks), Y(low), Y(high), brand_color(0)))
    if key == "awareness":
        out.append(_polyline(X(weeks), Y(df["customers"].to_numpy()), "#666", 1.3, dash=True))
    if key == "public_rating" and "public_sentiment" in df:
        out.append(_polyline(X(weeks), Y(df["public_sentiment"].to_numpy()), "#666", 1.3, dash=True))
    y = df[key].to_numpy()
    out.append(_polyline(X(weeks), Y(y), "#111", 1.8))
    ok = np.flatnonzero(np.isfinite(y))
    if len(ok):
        i = ok[-1]
        out.append(f'<circle cx="{float(X(weeks[i])):.1f}" cy="{float(Y(y[i])):.1f}" r="2.8" fill="#111"/>')
    return "".join(out)


def _latest(df: pd.DataFrame, key: str) -> str:
    """The chart's value this week (the focal brand's share for the market chart)."""
    col = "share_0" if key == "share" else key
    if col not in df:
        return "\u2013"  # no value yet: a dash reads the same in every language
    v = (_smooth(df[col]) if key == "share" else df[col].to_numpy())[-1]
    if not np.isfinite(v):
        return "\u2013"  # no value yet: a dash reads the same in every language
    if key == "nps":
        return f"{v:+.0f}"
    if key == "public_rating":
        return f"{v:+.2f}"
    return f"{100 * v:.0f} %" if key in ("share", "awareness", "reply_rate") else f"{v:.2f}"


def _smooth(column: pd.Series) -> np.ndarray:
    """A brand's weekly share as the mean of the last SHARE_WEEKS weeks: a few hundred
    consumers buy a few dozen times a week, so the weekly share jumps by several points."""
    return column.rolling(SHARE_WEEKS, min_periods=1).mean().to_numpy()


def _runs(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The finite stretches of a line (NaN: a week without a value breaks it)."""
    ok = np.isfinite(y)
    out, start = [], None
    for i, good in enumerate([*ok.tolist(), False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append((x[start:i], y[start:i]))
            start = None
    return out


def _polyline(x: np.ndarray, y: np.ndarray, color: str, width: float, dash: bool = False) -> str:
    extra = ' stroke-dasharray="4 3"' if dash else ""
    out = []
    for xs, ys in _runs(np.asarray(x, float), np.asarray(y, float)):
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="{width}" '
                   f'stroke-linejoin="round"{extra}/>')
    return "".join(out)


def _band(x: np.ndarray, low: np.ndarray, high: np.ndarray, color: str) -> str:
    """A shaded interval between ``low`` and ``high`` (finite weeks only)."""
    ok = np.isfinite(low) & np.isfinite(high)
    out = []
    for xs, idx in _runs(np.asarray(x, float), np.where(ok, np.arange(len(x)), np.nan)):
        i = idx.astype(int)
        pts = [*zip(xs, high[i], strict=True), *zip(xs[::-1], low[i][::-1], strict=True)]
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        out.append(f'<polygon points="{points}" fill="{color}" fill-opacity="0.18" stroke="none"/>')
    return "".join(out)
