"""One consistent, colour-blind safe look for every womsim figure.

Strategies always get the same colour (Okabe-Ito palette), line style and marker, so a
figure stays readable in greyscale and a colour means the same thing in every figure.
Every figure is written twice by :func:`save_figure`, as PNG (150 dpi) and as SVG.

The strategy order is :data:`simulation.core.params.STRATEGIES`; the metric labels cover
every output of :data:`simulation.core.metrics.METRICS` (docs/ODD.md, 4.11 Observation).

Examples
--------
>>> style_for("dialogue")["color"]
'#009E73'
>>> metric_label("nps")
'NPS (-100..100)'
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Hashable, Iterable
from pathlib import Path

import matplotlib

# Figures are files, made on servers and workers without a display: the Agg backend, unless
# one was chosen. A Jupyter kernel sets MPLBACKEND to its inline backend, so figures drawn
# in a notebook show there (docs/tutorial.ipynb).
if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.core.metrics import METRICS
from simulation.core.params import PARAMETERS, SCENARIOS, STRATEGIES

__all__ = [
    "CI_KIND",
    "CI_NOTE",
    "DEFAULT_PANELS",
    "METRIC_LABELS",
    "OKABE_ITO",
    "PARAMETER_LABELS",
    "STRATEGY_COLORS",
    "STRATEGY_ORDER",
    "STRATEGY_STYLES",
    "STYLE",
    "axis_label",
    "fig_footer",
    "fig_note",
    "fig_title",
    "fmt_tick",
    "group_styles",
    "is_missing",
    "is_number",
    "legend_handles",
    "metric_label",
    "new_axis",
    "order_groups",
    "save_figure",
    "style_for",
    "wrap",
    "wrap_lines",
    "zero_line",
]

#: Order in which strategies are drawn and listed in legends: the order of the model's
#: strategies (docs/ODD.md, 2.3 The brand).
STRATEGY_ORDER: tuple[str, ...] = tuple(STRATEGIES)

#: Okabe & Ito (2008) colour-blind safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: Yellow is unreadable as a thin line on white; this darker olive keeps its hue.
_DARK_YELLOW = "#B8A800"

#: Fixed colour per strategy; ``none`` (the baseline) is grey.
STRATEGY_COLORS: dict[str, str] = {
    "none": OKABE_ITO["grey"],
    "broadcast": OKABE_ITO["blue"],
    "hype": OKABE_ITO["vermillion"],
    "fanpage": OKABE_ITO["reddish_purple"],
    "dialogue": OKABE_ITO["bluish_green"],
    "mixed": OKABE_ITO["orange"],
}

#: Line style and marker per strategy, so figures also read in greyscale.
STRATEGY_STYLES: dict[str, dict[str, object]] = {
    "none": {"linestyle": (0, (1, 1.5)), "marker": "o"},
    "broadcast": {"linestyle": "-", "marker": "s"},
    "hype": {"linestyle": (0, (5, 2)), "marker": "^"},
    "fanpage": {"linestyle": (0, (6, 2, 1.5, 2)), "marker": "D"},
    "dialogue": {"linestyle": (0, (1.5, 1.5, 1.5, 1.5, 6, 1.5)), "marker": "v"},
    "mixed": {"linestyle": (0, (10, 2.5)), "marker": "P"},
}

# Colours for group values that are not strategies. When the figure also shows
# strategies, only colours no strategy uses are taken (so a colour never means two
# things); otherwise the whole palette, in this order.
_EXTRA_COLORS: tuple[str, ...] = (OKABE_ITO["sky_blue"], OKABE_ITO["black"], _DARK_YELLOW)
_FULL_PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    _DARK_YELLOW,
    OKABE_ITO["grey"],
)
_EXTRA_LINESTYLES: tuple[object, ...] = (
    "-",
    (0, (5, 2)),
    (0, (1, 1.5)),
    (0, (6, 2, 1.5, 2)),
    (0, (10, 2.5)),
)
_EXTRA_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*", "h")

# Short axis wording where the meaning in METRICS is a sentence rather than an axis label
# (e.g. "share of consumers aware of the brand"); metrics not listed here get
# "<meaning> (<unit>)" from METRICS.
_AXIS_WORDING: dict[str, str] = {
    "awareness": "share aware",
    "customers": "share who bought at least once",
    "repeat_customers": "share who bought more than once",
    "loyalty": "mean loyalty of customers (0-1)",
    "loyal_share": "share of consumers with loyalty >= 0.7",
    "nps": "NPS (-100..100)",
    "wom_positive": "positive WOM messages per week",
    "wom_negative": "negative WOM messages per week",
    "posts": "public posts per week",
    "replies": "brand replies per week",
    "public_sentiment": "mean sentiment of public posts (-1..1)",
    "trust": "mean trust (0-1)",
    "spend": "cumulative spend (impression units)",
    "revenue": "cumulative revenue (impression units)",
    "profit": "cumulative profit (impression units)",
    "roi": "ROI (profit / spend)",
    "loyalty_natives": "mean loyalty of customers, natives (0-1)",
    "loyalty_immigrants": "mean loyalty of customers, immigrants (0-1)",
    "awareness_natives": "share aware, natives",
    "awareness_immigrants": "share aware, immigrants",
    "adopters": "share who bought at least once (Bass F(t))",
    "followers": "share following the fan page",
}


def _from_metrics(name: str) -> str:
    spec = METRICS[name]
    return f"{spec.meaning} ({spec.unit})"


#: Axis label (with unit) of every metric, plus the time axis and the incremental ROI
#: (computed per run by :func:`simulation.research.summaries.incremental_roi`).
METRIC_LABELS: dict[str, str] = {
    "step": "week",
    **{name: _AXIS_WORDING.get(name) or _from_metrics(name) for name in METRICS},
    "incremental_roi": "incremental ROI vs. no marketing",
}

#: Axis label of the parameters most often swept; others get "name (unit)" from
#: :data:`simulation.core.params.PARAMETERS`.
PARAMETER_LABELS: dict[str, str] = {
    "budget": "budget (impressions per consumer per week)",
    "dialogue_share": "dialogue share of the budget (0 = pure broadcast, 1 = pure dialogue)",
    "fanpage_share": "fan-page share of the budget (0-1)",
    "quality": "product quality Q (-1..1)",
    "hype": "claim inflation, hype (-1..1)",
    "honesty": "honesty of dialogue replies (0-1)",
    "immigrant_share": "share of digital immigrants (0-1)",
    "n_consumers": "number of consumers",
    "mean_degree": "mean degree (ties per consumer)",
    "network": "network",
    "strategy": "strategy",
}

#: Panels of the default small-multiples overview.
DEFAULT_PANELS: tuple[str, ...] = (
    "awareness",
    "loyalty",
    "nps",
    "trust",
    "public_sentiment",
    "profit",
)

#: rcParams of every womsim figure (applied with :func:`matplotlib.pyplot.rc_context`).
STYLE: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "axes.edgecolor": "#444444",
    "lines.linewidth": 1.8,
    "svg.fonttype": "path",
    "svg.hashsalt": "womsim",  # reproducible SVG ids
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

#: Footnote of the mean-and-band figures.
#: The interval of a mean as the captions name it (simulation.research.stats.interval: a
#: t-interval, on the logit / log scale for a metric with a declared range, so inside it).
CI_KIND = "{pct} % confidence interval of the mean (t, inside the metric's range)"
CI_NOTE = "line: mean over replicates; band: " + CI_KIND


# ------------------------------------------------------------------------ labels, order


def metric_label(metric: str) -> str:
    """Axis label (with unit) of a metric; unknown metrics get a readable fallback.

    Examples
    --------
    >>> metric_label("nps")
    'NPS (-100..100)'
    >>> metric_label("my_metric")
    'my metric'
    """
    return METRIC_LABELS.get(metric, str(metric).replace("_", " "))


def axis_label(column: str) -> str:
    """Axis label of a metric (:data:`METRIC_LABELS`) or a parameter, with its unit.

    Examples
    --------
    >>> axis_label("budget")
    'budget (impressions per consumer per week)'
    >>> axis_label("wom_reach")
    'wom reach (probability)'
    >>> axis_label("nps")
    'NPS (-100..100)'
    """
    if column in METRIC_LABELS:
        return METRIC_LABELS[column]
    if column in PARAMETER_LABELS:
        return PARAMETER_LABELS[column]
    spec = PARAMETERS.get(column)
    if spec is not None and spec.unit:
        return f"{str(column).replace('_', ' ')} ({spec.unit})"
    return str(column).replace("_", " ")


def is_number(value: object) -> bool:
    """A real number (not a bool)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_missing(value: object) -> bool:
    """NaN / None / NA (False for anything pandas cannot test, e.g. a list)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _sort_key(value: Hashable) -> tuple:
    if isinstance(value, str) and value in STRATEGY_ORDER:
        return (0, STRATEGY_ORDER.index(value), 0.0, "")
    if isinstance(value, str) and value in SCENARIOS:  # launch before established, as in the headline
        return (0, len(STRATEGY_ORDER) + SCENARIOS.index(value), 0.0, "")
    if is_number(value):
        v = float(value)
        return (1, 0, v if math.isfinite(v) else math.inf, "")
    return (2, 0, 0.0, str(value))


def order_groups(values: Iterable[Hashable]) -> list[Hashable]:
    """Distinct group values in drawing order.

    Strategies come first in :data:`STRATEGY_ORDER`, then the market scenarios in
    :data:`simulation.core.params.SCENARIOS` order, then numbers ascending, then
    everything else sorted by its string form.

    Examples
    --------
    >>> order_groups(["mixed", "zeta", "none", 3, "dialogue", 1])
    ['none', 'dialogue', 'mixed', 1, 3, 'zeta']
    """
    distinct = list(dict.fromkeys(v for v in values if not is_missing(v)))
    return sorted(distinct, key=_sort_key)


def style_for(value: Hashable) -> dict[str, object]:
    """Colour, line style and marker of one strategy (or of a lone unknown group).

    Examples
    --------
    >>> style_for("none")["color"]
    '#999999'
    """
    return dict(group_styles([value])[value])


def group_styles(values: Iterable[Hashable]) -> dict[Hashable, dict[str, object]]:
    """Deterministic style (``color``, ``linestyle``, ``marker``) for each group value.

    Strategies always get :data:`STRATEGY_COLORS` / :data:`STRATEGY_STYLES`. Other
    values are styled in :func:`order_groups` order: if strategies are present too they
    take the Okabe-Ito colours no strategy uses (sky blue, black, dark yellow),
    otherwise the whole palette; colours repeat with a new line style only past the
    palette's end.

    Examples
    --------
    >>> s = group_styles(["ws", "ba"])
    >>> s["ba"]["color"], s["ws"]["color"]
    ('#0072B2', '#D55E00')
    >>> group_styles(["none", "x"])["x"]["color"]
    '#56B4E9'
    """
    ordered = order_groups(values)
    known = [v for v in ordered if isinstance(v, str) and v in STRATEGY_COLORS]
    unknown = [v for v in ordered if v not in known]
    palette = _EXTRA_COLORS if known else _FULL_PALETTE
    styles: dict[Hashable, dict[str, object]] = {}
    for v in known:
        styles[v] = {"color": STRATEGY_COLORS[v], **STRATEGY_STYLES[v]}
    for i, v in enumerate(unknown):
        styles[v] = {
            "color": palette[i % len(palette)],
            "linestyle": _EXTRA_LINESTYLES[(i // len(palette)) % len(_EXTRA_LINESTYLES)],
            "marker": _EXTRA_MARKERS[i % len(_EXTRA_MARKERS)],
        }
    return styles


def fmt_tick(v: object) -> str:
    """Tick label of a group or axis value: numbers in short form.

    Examples
    --------
    >>> fmt_tick(0.50), fmt_tick("ws")
    ('0.5', 'ws')
    """
    return f"{float(v):g}" if is_number(v) else str(v)


# ------------------------------------------------------------------------- text, legend


def wrap(text: str, width: int) -> str:
    """Wrap an axis label, preferably putting a trailing "(unit)" on its own line.

    Examples
    --------
    >>> wrap("mean loyalty of customers (0-1)", 20)
    'mean loyalty of\\ncustomers\\n(0-1)'
    """
    if len(text) <= width:
        return text
    head, sep, unit = text.rpartition(" (")
    if sep and len(unit) + 1 <= width:
        return "\n".join(textwrap.wrap(head, width)) + "\n(" + unit
    return "\n".join(textwrap.wrap(text, width)) or text


def wrap_lines(text: str | None, width: int) -> str | None:
    """Wrap each line of a (possibly multi-line) title on its own."""
    if text is None:
        return None
    return "\n".join(wrap(line, width) for line in text.splitlines())


def zero_line(ax) -> None:
    """Thin horizontal line at 0 when the y range spans it."""
    lo, hi = ax.get_ylim()
    if lo < 0 < hi:
        ax.axhline(0.0, color="#666666", linewidth=0.8, zorder=1)


def legend_handles(styles: dict[Hashable, dict[str, object]]) -> list:
    """One line-and-marker legend handle per group, in the order of ``styles``."""
    return [
        Line2D([], [], color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
               markersize=5, linewidth=1.8, label=fmt_tick(value))
        for value, st in styles.items()
    ]


def fig_note(fig: Figure, text: str) -> None:
    """Small grey footnote under the panels (kept clear of them by the layout)."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7.5, color="#555555")


def fig_footer(fig: Figure, parts: Iterable[str]) -> None:
    """Footnote of the parts joined by "; ", wrapped to the figure's width."""
    text = "; ".join(p for p in parts if p)
    if text:
        width = max(40, int(fig.get_figwidth() * 16.5))  # 7.5 pt characters per inch
        fig_note(fig, "\n".join(textwrap.wrap(text, width)))


def fig_title(fig: Figure, title: str) -> None:
    """Left-aligned figure title, each line wrapped to the figure's width."""
    width = max(30, int(fig.get_figwidth() * 11.5))  # 11.5 pt characters per inch
    fig.suptitle(wrap_lines(title, width), x=0.01, ha="left", fontsize=11.5)


def new_axis(rc: dict[str, object], figsize: tuple[float, float]):
    """A single axis on a new constrained-layout figure, created under ``rc``: what a
    ``draw_*`` function draws on when it is given no axis."""
    with plt.rc_context(rc):
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# ------------------------------------------------------------------------------ saving


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.png`` (150 dpi) and ``<path_stem>.svg``, close it.

    Parent directories are created. The suffixes are appended to the stem (a stem
    such as ``results/budget_0.5`` keeps its dot).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed afterwards, even if writing fails.
    path_stem : str or pathlib.Path
        Output path without suffix.

    Returns
    -------
    list of pathlib.Path
        ``[png_path, svg_path]``.

    Examples
    --------
    >>> import tempfile, pathlib, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "sub" / "line")
    >>> [p.name for p in paths], all(p.exists() for p in paths)
    (['line.png', 'line.svg'], True)
    """
    stem = Path(path_stem)
    png = stem.parent / (stem.name + ".png")
    svg = stem.parent / (stem.name + ".svg")
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        if fig.get_layout_engine() is not None:
            # Run the (slow) layout once, then freeze it for both output formats.
            fig.draw_without_rendering()
            fig.set_layout_engine("none")
        with plt.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"], "svg.fonttype": "path"}):
            fig.savefig(png, dpi=max(150, int(STYLE["savefig.dpi"])), metadata={"Software": None})
            fig.savefig(svg, metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    return [png, svg]
