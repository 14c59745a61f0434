"""Figures of womsim: one consistent, colour-blind safe style for every plot.

Every figure is written twice by :func:`save_figure`, as PNG (150 dpi) and as SVG.
Strategies always get the same colour (Okabe-Ito palette), line style and marker, so
a figure stays readable in greyscale and colours mean the same thing across figures.
Means and confidence intervals come from :func:`simulation.research.stats.summarise`, i.e. from
one aggregated table, never from a loop over runs.

Functions
---------
plot_timeseries
    Mean line and 95 % CI band per group over the weeks, one metric.
plot_small_multiples
    A grid of timeseries panels with one shared legend.
plot_final
    Final values: per group the mean with its 95 % CI and the replicate points.
plot_sweep_1d
    A metric against one swept parameter: mean line and 95 % CI band per group.
plot_heatmap
    A metric over a 2-D sweep (grid: cells; sampled designs: filled contours), replicate
    means, labelled contour lines, one panel per strategy on one colour scale.
plot_difference
    A minus B over a 2-D sweep: diverging map centred at 0, bold zero contour (where
    the answer flips), hatching where the 95 % CI of the difference includes 0.
plot_incremental_roi
    Incremental ROI per strategy across replicates: violin, replicate points, mean and
    95 % CI, and a caption with the width of that interval.
plot_segments
    Digital natives vs. immigrants (loyalty, awareness) per strategy at the last week.
plot_indices
    Sobol or Morris sensitivity indices with their 95 % CIs.

Sweep figures take the tidy ``finals`` table of :func:`simulation.research.store.load` (one row
per run, the varied parameters as columns) and aggregate it with one ``groupby`` per
figure, so a 10,000-run sweep plots in seconds. Design points without a finished run
(a sweep still in progress) are left as gaps, and the footnote says how many; design
parameters that vary but are not on an axis are averaged over, and the footnote names
them (select a slice with ``where={"budget": 1.0}``).

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, pathlib
>>> ts = pd.DataFrame([
...     {"strategy": s, "replicate": r, "seed": r, "step": t,
...      "awareness": min(1.0, (0.05 + 0.03 * k) * t + 0.01 * r)}
...     for k, s in enumerate(["none", "dialogue"]) for r in range(3) for t in range(11)])
>>> out = pathlib.Path(tempfile.mkdtemp()) / "awareness"
>>> [p.suffix for p in plot_timeseries(ts, "awareness", out, title="demo")]
['.png', '.svg']
>>> style_for("dialogue")["color"]
'#009E73'
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.cm  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.transforms  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from simulation.research.stats import summarise, t_half_width  # noqa: E402

__all__ = [
    "DEFAULT_PANELS",
    "METRIC_LABELS",
    "OKABE_ITO",
    "PARAMETER_LABELS",
    "SEGMENT_PANELS",
    "STRATEGY_COLORS",
    "STRATEGY_ORDER",
    "STRATEGY_STYLES",
    "STYLE",
    "axis_label",
    "group_styles",
    "metric_label",
    "order_groups",
    "plot_difference",
    "plot_final",
    "plot_heatmap",
    "plot_incremental_roi",
    "plot_indices",
    "plot_segments",
    "plot_small_multiples",
    "plot_sweep_1d",
    "plot_timeseries",
    "save_figure",
    "style_for",
]

#: Order in which strategies are drawn and listed in legends.
STRATEGY_ORDER: tuple[str, ...] = ("none", "broadcast", "hype", "fanpage", "dialogue", "mixed")

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

#: Axis label (with unit) per metric.
METRIC_LABELS: dict[str, str] = {
    "step": "week",
    "awareness": "share aware",
    "mean_attitude": "mean attitude of aware consumers (-1..1)",
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
    "incremental_roi": "incremental ROI vs. no marketing",
    "loyalty_natives": "mean loyalty of customers, natives (0-1)",
    "loyalty_immigrants": "mean loyalty of customers, immigrants (0-1)",
    "awareness_natives": "share aware, natives",
    "awareness_immigrants": "share aware, immigrants",
    "adopters": "share who bought at least once (Bass F(t))",
    "followers": "share following the fan page",
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

_CI_NOTE = "line: mean over replicates; band: {pct} % t-confidence interval of the mean"


# ---------------------------------------------------------------------------- helpers


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


def _sort_key(value: Hashable) -> tuple:
    if isinstance(value, str) and value in STRATEGY_ORDER:
        return (0, STRATEGY_ORDER.index(value), 0.0, "")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        return (1, 0, v if math.isfinite(v) else math.inf, "")
    return (2, 0, 0.0, str(value))


def order_groups(values: Iterable[Hashable]) -> list[Hashable]:
    """Distinct group values in drawing order.

    Strategies come first in :data:`STRATEGY_ORDER`, then numbers ascending, then
    everything else sorted by its string form.

    Examples
    --------
    >>> order_groups(["mixed", "zeta", "none", 3, "dialogue", 1])
    ['none', 'dialogue', 'mixed', 1, 3, 'zeta']
    """
    distinct = list(dict.fromkeys(v for v in values if not _is_missing(v)))
    return sorted(distinct, key=_sort_key)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} has no column(s) {missing}; columns are {list(df.columns)}")


def _as_list(metrics: str | Sequence[str]) -> list[str]:
    out = [metrics] if isinstance(metrics, str) else list(metrics)
    if not out:
        raise ValueError("at least one metric is needed")
    return out


def _wrap(text: str, width: int) -> str:
    """Wrap an axis label, preferably putting a trailing "(unit)" on its own line."""
    if len(text) <= width:
        return text
    head, sep, unit = text.rpartition(" (")
    if sep and len(unit) + 1 <= width:
        return "\n".join(textwrap.wrap(head, width)) + "\n(" + unit
    return "\n".join(textwrap.wrap(text, width)) or text


def _wrap_lines(text: str | None, width: int) -> str | None:
    """Wrap each line of a (possibly multi-line) title on its own."""
    if text is None:
        return None
    return "\n".join(_wrap(line, width) for line in text.splitlines())


def _default_ncols(n_panels: int) -> int:
    return 2 if n_panels == 4 else min(3, n_panels)


def _n_replicates_note(df: pd.DataFrame, by: str) -> str:
    if "replicate" in df.columns:
        n = df.groupby(by, observed=True)["replicate"].nunique()
    else:
        n = df.groupby(by, observed=True).size()
    if n.empty:
        return ""
    lo, hi = int(n.min()), int(n.max())
    if hi <= 1:
        return "n = 1 replicate, so no interval is shown"
    text = f"n = {lo} replicates" if lo == hi else f"n = {lo}-{hi} replicates"
    return text + ("; no interval where n = 1" if lo <= 1 else "")


def _zero_line(ax) -> None:
    lo, hi = ax.get_ylim()
    if lo < 0 < hi:
        ax.axhline(0.0, color="#666666", linewidth=0.8, zorder=1)


def _legend_handles(styles: dict[Hashable, dict[str, object]]) -> list:
    handles = []
    for value, st in styles.items():
        handles.append(
            Line2D(
                [],
                [],
                color=st["color"],
                linestyle=st["linestyle"],
                marker=st["marker"],
                markersize=5,
                linewidth=1.8,
                label=_fmt_tick(value),
            )
        )
    return handles


def _note(fig: Figure, text: str) -> None:
    """Small grey footnote under the panels (kept clear of them by the layout)."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7.5, color="#555555")


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


# ---------------------------------------------------------------------------- drawing


def _draw_timeseries(
    ax,
    table: pd.DataFrame,
    metric: str,
    by: str,
    styles: dict[Hashable, dict[str, object]],
) -> None:
    """Draw mean lines and CI bands of one metric from a summarise() table."""
    mean_c, lo_c, hi_c, n_c = (f"{metric}_{s}" for s in ("mean", "lo", "hi", "n"))
    n_groups = max(len(styles), 1)
    for k, (value, st) in enumerate(styles.items()):
        g = table[table[by] == value]
        if g.empty:
            continue
        x = g["step"].to_numpy(dtype=float)
        y = g[mean_c].to_numpy(dtype=float)
        band = g[n_c].to_numpy() >= 2
        if band.any():
            ax.fill_between(
                x,
                np.where(band, g[lo_c].to_numpy(dtype=float), np.nan),
                np.where(band, g[hi_c].to_numpy(dtype=float), np.nan),
                color=st["color"],
                alpha=0.18,
                linewidth=0,
                zorder=2,
            )
        # Markers every ~1/8 of the series, staggered per group so they don't overlap.
        every = max(1, len(x) // 8)
        start = (k * every) // n_groups
        ax.plot(
            x,
            y,
            color=st["color"],
            linestyle=st["linestyle"],
            marker=st["marker"],
            markersize=4.5,
            markevery=(min(start, max(len(x) - 1, 0)), every),
            label=str(value),
            zorder=3,
        )
    ax.set_xlabel(METRIC_LABELS["step"])
    steps = table["step"].to_numpy(dtype=float)
    if steps.size:
        first, last = float(steps.min()), float(steps.max())
        pad = 0.01 * (last - first) if last > first else 0.5
        ax.set_xlim(first - pad, last + pad)
    empty = [str(v) for v in styles if not (table.loc[table[by] == v, n_c] > 0).any()]
    if empty:
        ax.set_title("no data: " + ", ".join(empty), loc="right", fontsize=7.5, color="#666666")
    _zero_line(ax)


def _prepare_timeseries(
    ts: pd.DataFrame, metrics: list[str], by: str, confidence: float
) -> tuple[pd.DataFrame, dict[Hashable, dict[str, object]]]:
    _check_columns(ts, [by, "step", *metrics], "timeseries")
    table = summarise(ts, [by, "step"], metrics, confidence=confidence)
    table = table.sort_values([by, "step"], key=None, kind="stable")
    styles = group_styles(table[by].tolist())
    return table, styles


def plot_timeseries(
    ts: pd.DataFrame,
    metric: str,
    path_stem: str | Path,
    by: str = "strategy",
    title: str | None = None,
    confidence: float = 0.95,
) -> list[Path]:
    """Mean of ``metric`` per group over the weeks, with its confidence band.

    Parameters
    ----------
    ts : pandas.DataFrame
        Tidy timeseries: columns ``by``, ``step`` and ``metric``, one row per
        (group, replicate, step).
    metric : str
        Column to plot; its y label comes from :data:`METRIC_LABELS`.
    path_stem : str or pathlib.Path
        Output path without suffix (``.png`` and ``.svg`` are written).
    by : str, default "strategy"
        Grouping column; strategies are drawn in :data:`STRATEGY_ORDER`.
    title : str, optional
        Figure title, ideally naming the scenario; default built from the metric.
    confidence : float, default 0.95
        Level of the Student-t band (computed by :func:`simulation.research.stats.summarise`).
        Steps of a group with a single finite value get no band.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.
    """
    table, styles = _prepare_timeseries(ts, [metric], by, confidence)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.6, 4.3), layout="constrained")
        _draw_timeseries(ax, table, metric, by, styles)
        ax.set_ylabel(_wrap(metric_label(metric), 38))
        fig.suptitle(_wrap_lines(title or f"{metric_label(metric)} by {by}", 75), x=0.01, ha="left", fontsize=11.5)
        if styles:
            ax.legend(
                handles=_legend_handles(styles),
                title=by,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                handlelength=3.2,
            )
        pct = f"{100 * confidence:g}"
        _note(fig, _CI_NOTE.format(pct=pct) + f" ({_n_replicates_note(ts, by)})")
        return save_figure(fig, path_stem)


def plot_small_multiples(
    ts: pd.DataFrame,
    metrics: Sequence[str] = DEFAULT_PANELS,
    path_stem: str | Path = "small_multiples",
    by: str = "strategy",
    title: str | None = None,
    confidence: float = 0.95,
    ncols: int | None = None,
) -> list[Path]:
    """Grid of timeseries panels (mean and CI band per group), one shared legend.

    Parameters
    ----------
    ts : pandas.DataFrame
        Tidy timeseries with columns ``by``, ``step`` and every metric.
    metrics : sequence of str, default :data:`DEFAULT_PANELS`
        One panel per metric, in this order.
    path_stem : str or pathlib.Path
        Output path without suffix.
    by : str, default "strategy"
        Grouping column.
    title : str, optional
        Figure title (the scenario); default "Scenario overview by <by>".
    confidence : float, default 0.95
        Level of the confidence bands.
    ncols : int, optional
        Number of panel columns; default 3 (2 for four panels, fewer if there are
        fewer metrics).

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.
    """
    metrics = _as_list(metrics)
    table, styles = _prepare_timeseries(ts, metrics, by, confidence)
    ncols = int(ncols) if ncols else _default_ncols(len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(3.9 * ncols, 2.9 * nrows + 0.9),
            layout="constrained",
            sharex=True,
            squeeze=False,
        )
        flat = axes.ravel()
        for ax, metric in zip(flat, metrics):
            _draw_timeseries(ax, table, metric, by, styles)
            ax.set_title(metric.replace("_", " "), loc="left", fontweight="bold")
            ax.set_ylabel(_wrap(metric_label(metric), 30), fontsize=8.5)
        for ax in flat[len(metrics):]:
            ax.set_visible(False)
        # x labels only on the bottom visible panel of each column
        for i, ax in enumerate(flat[: len(metrics)]):
            below = i + ncols
            if below < len(metrics):
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
            else:
                ax.tick_params(labelbottom=True)
        if title is None:
            title = f"Scenario overview by {by}"
        pct = f"{100 * confidence:g}"
        fig.suptitle(_wrap_lines(title, 110), x=0.01, ha="left", fontsize=11.5)
        if styles:
            fig.legend(
                handles=_legend_handles(styles),
                title=f"{by}    ({_CI_NOTE.format(pct=pct)}, {_n_replicates_note(ts, by)})",
                loc="outside lower center",
                ncols=min(len(styles), 6),
                frameon=False,
                handlelength=3.2,
            )
        return save_figure(fig, path_stem)


def plot_final(
    summary: pd.DataFrame,
    metrics: str | Sequence[str],
    path_stem: str | Path,
    by: str = "strategy",
    title: str | None = None,
    confidence: float = 0.95,
    ncols: int | None = None,
) -> list[Path]:
    """Final values per group: mean with CI error bar beside the jittered replicates.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per (group, replicate) with the final value of each metric.
    metrics : str or sequence of str
        One panel per metric.
    path_stem : str or pathlib.Path
        Output path without suffix.
    by : str, default "strategy"
        Grouping column; strategies are drawn in :data:`STRATEGY_ORDER`.
    title : str, optional
        Figure title (the scenario); default "Final values by <by>".
    confidence : float, default 0.95
        Level of the error bars. A group with one finite value shows the point
        without a bar; a group with none is marked "n/a".
    ncols : int, optional
        Number of panel columns; default 3 (2 for four panels, fewer if there are
        fewer metrics).

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    The horizontal jitter of the replicate points is deterministic
    (``numpy.random.default_rng(0)``, one stream per panel), so the same data always
    give the same picture.
    """
    metrics = _as_list(metrics)
    _check_columns(summary, [by, *metrics], "summary")
    table = summarise(summary, by, metrics, confidence=confidence)
    groups = order_groups(table[by].tolist())
    styles = group_styles(groups)
    pos = {g: i for i, g in enumerate(groups)}
    ncols = int(ncols) if ncols else _default_ncols(len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    label_len = max((len(str(g)) for g in groups), default=1)
    panel_w = max(2.6, 0.55 * len(groups) + 1.2)
    # ~0.075 in per tick-label character at 8.5 pt; rotate only if labels would collide
    rotate = label_len * 0.075 > 0.85 * (panel_w - 0.9) / max(len(groups), 1)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(panel_w * ncols + 0.4, 3.1 * nrows + 0.8 + (0.4 if rotate else 0)),
            layout="constrained",
            squeeze=False,
        )
        flat = axes.ravel()
        grp = summary.groupby(by, observed=True, sort=False)
        rows = table.set_index(by)
        for ax, metric in zip(flat, metrics):
            rng = np.random.default_rng(0)
            for g in groups:
                st = styles[g]
                x0 = pos[g]
                vals = pd.to_numeric(grp.get_group(g)[metric], errors="coerce").to_numpy(float)
                jitter = rng.uniform(-0.11, 0.11, size=vals.size)
                finite = np.isfinite(vals)
                if finite.any():
                    ax.scatter(
                        x0 - 0.14 + jitter[finite],
                        vals[finite],
                        s=16,
                        color=st["color"],
                        marker=st["marker"],
                        alpha=0.55,
                        linewidths=0,
                        zorder=3,
                    )
                m = float(rows.at[g, f"{metric}_mean"])
                n = int(rows.at[g, f"{metric}_n"])
                if not math.isfinite(m):
                    ax.text(
                        x0,
                        0.04,
                        "n/a",
                        transform=ax.get_xaxis_transform(),
                        ha="center",
                        va="bottom",
                        fontsize=8,
                        color="#777777",
                    )
                    continue
                lo = float(rows.at[g, f"{metric}_lo"])
                hi = float(rows.at[g, f"{metric}_hi"])
                yerr = [[m - lo], [hi - m]] if n >= 2 else None
                ax.errorbar(
                    [x0 + 0.16],
                    [m],
                    yerr=yerr,
                    fmt=st["marker"],
                    color=st["color"],
                    markeredgecolor="black",
                    markeredgewidth=0.7,
                    markersize=7,
                    ecolor="#222222",
                    elinewidth=1.4,
                    capsize=3.5,
                    zorder=4,
                )
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(
                [str(g) for g in groups],
                rotation=30 if rotate else 0,
                ha="right" if rotate else "center",
                rotation_mode="anchor" if rotate else "default",
            )
            ax.set_xlim(-0.6, len(groups) - 0.4)
            ax.grid(axis="x", visible=False)
            ax.set_title(metric.replace("_", " "), loc="left", fontweight="bold")
            ax.set_ylabel(_wrap(metric_label(metric), 30), fontsize=8.5)
            _zero_line(ax)
        for ax in flat[len(metrics):]:
            ax.set_visible(False)
        if title is None:
            title = f"Final values by {by}"
        pct = f"{100 * confidence:g}"
        note = (
            f"small points: replicates; large point and bar: mean and {pct} % "
            f"t-confidence interval ({_n_replicates_note(summary, by)})"
        )
        fig.suptitle(_wrap_lines(title, 110), x=0.01, ha="left", fontsize=11.5)
        _note(fig, note)
        return save_figure(fig, path_stem)


# ------------------------------------------------------------------------ sweep helpers

#: Columns of a run table that are bookkeeping, never a design axis or a metric.
_BOOKKEEPING = frozenset(
    {
        "run_id", "point", "replicate", "seed", "step", "status", "error", "started",
        "finished", "seconds", "versions", "git_commit", "params", "labels", "combo",
    }
)

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

_HATCH_MISSING = "////"
_MISSING_FACE = "#F4F4F4"
_MISSING_EDGE = "#C4C4C4"


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
    from simulation.core.params import PARAMETERS

    spec = PARAMETERS.get(column)
    if spec is not None and spec.unit:
        return f"{str(column).replace('_', ' ')} ({spec.unit})"
    return str(column).replace("_", " ")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_numeric_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _known_metrics() -> set[str]:
    from simulation.core.metrics import METRIC_NAMES

    return set(METRIC_NAMES) | set(METRIC_LABELS) | {"incremental_roi"}


def _design_columns(df: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Columns that describe the design (parameters, strategy) and take several values.

    Known metrics and bookkeeping columns never count. With a ``point`` column (a run
    store), a numeric column counts only if it is constant within each design point
    (parameters are, metrics are not); without one, only if it has at most half as many
    distinct values as rows.
    """
    skip = _known_metrics() | _BOOKKEEPING | set(exclude)
    out = []
    for c in df.columns:
        if c in skip or str(c).startswith("_"):
            continue
        col = df[c]
        k = col.nunique(dropna=True)
        if k <= 1:
            continue
        if _is_numeric_column(col):
            if "point" in df.columns:
                if (df.groupby("point", sort=False)[c].nunique(dropna=True) > 1).any():
                    continue
            elif 2 * k > len(df):
                continue
        out.append(c)
    return out


def _pooled_note(df: pd.DataFrame, exclude: Iterable[str]) -> str:
    """Name the design columns that vary within the groups of ``exclude`` (the plotted
    keys): their values are pooled into one mean."""
    exclude = list(dict.fromkeys(exclude))
    cols = _design_columns(df, exclude)
    keys = [c for c in exclude if c in df.columns]
    if cols and keys:
        within = df.groupby(keys, sort=False, observed=True, dropna=False)[cols].nunique().max()
        cols = [c for c in cols if within[c] > 1]
    if not cols:
        return ""
    parts = [f"{str(c).replace('_', ' ')} ({df[c].nunique()} values)" for c in cols]
    return "pooled over " + " and ".join(parts) + ", which are not on an axis"


def _match(series: pd.Series, value: object) -> np.ndarray:
    """Rows of ``series`` equal to ``value`` (floats: to 1e-9), or to any of a list."""
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
        mask = np.zeros(len(series), dtype=bool)
        for v in value:
            mask |= _match(series, v)
        return mask
    if _is_number(value) and _is_numeric_column(series):
        return np.isclose(series.to_numpy(dtype=float), float(value), rtol=1e-9, atol=1e-12)
    if _is_missing(value):
        return series.isna().to_numpy()
    return (series == value).to_numpy(dtype=bool)


def _select(df: pd.DataFrame, where: Mapping[str, object] | None, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    if where:
        if not isinstance(where, Mapping):
            raise TypeError(f"where must be a mapping column -> value(s), got {where!r}")
        _check_columns(df, list(where), what)
        mask = np.ones(len(df), dtype=bool)
        for col, value in where.items():
            mask &= _match(df[col], value)
        df = df.loc[mask]
        if df.empty:
            raise ValueError(f"no row of {what} matches where={dict(where)!r}")
    if df.empty:
        raise ValueError(f"{what} has no rows (no finished run yet?): nothing to plot")
    return df


def _finite(values) -> np.ndarray:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(v), v, np.nan)


def _fmt_value(v: float, signed: bool = False) -> str:
    """Short number for cell labels: 3 significant figures, k / M for large values."""
    if v is None or not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        t = f"{v / 1e6:.2f}M"
    elif a >= 1e4:
        t = f"{v / 1e3:.0f}k"
    elif a >= 100:
        t = f"{v:.0f}"
    elif a >= 10:
        t = f"{v:.1f}"
    elif a >= 1:
        t = f"{v:.2f}"
    elif a >= 0.001 or a == 0:
        t = f"{v:.3f}"
    else:
        t = f"{v:.1e}"
    if signed and v > 0:
        t = "+" + t
    return t.replace("-", "\u2212")


def _cell_formatter(scale: float, signed: bool = False):
    """Formatter of cell labels with the same number of decimals in every cell, chosen
    from the largest magnitude shown (``scale``): 0.1234 -> '0.123' at scale 0.5."""
    if not np.isfinite(scale) or scale <= 0 or scale >= 1e4:
        return lambda v: _fmt_value(v, signed)
    decimals = int(np.clip(2 - math.floor(math.log10(scale)), 0, 6))

    def fmt(v: float) -> str:
        if not np.isfinite(v):
            return "n/a"
        text = f"{v:+.{decimals}f}" if signed else f"{v:.{decimals}f}"
        if float(text) == 0:
            text = f"{0:.{decimals}f}"
        return text.replace("-", "\u2212")

    return fmt


def _fmt_level(v: float) -> str:
    """Contour level: levels are round numbers, so no trailing zeros."""
    return f"{v:.6g}".replace("-", "\u2212")


def _fmt_tick(v: object) -> str:
    return f"{float(v):g}" if _is_number(v) else str(v)


def _n_text(n: np.ndarray, per: str) -> str:
    n = np.asarray(n, dtype=float)
    n = n[n > 0]
    if n.size == 0:
        return "no finite values"
    lo, hi = int(n.min()), int(n.max())
    if hi <= 1:
        return f"n = 1 run per {per}, so no interval is shown"
    text = f"n = {lo} runs per {per}" if lo == hi else f"n = {lo}-{hi} runs per {per}"
    return text + ("; no interval where n = 1" if lo <= 1 else "")


def _missing_text(no_run: int, nan_only: int, total: int, what: str) -> str:
    parts = []
    if no_run:
        parts.append(
            f"{no_run} of {total} {what} have no finished run yet (sweep in progress?) "
            "and are left as gaps"
        )
    if nan_only:
        parts.append(f"{nan_only} of {total} {what} have runs but no finite value (left blank)")
    return "; ".join(parts)


def _footer(fig: Figure, parts: Iterable[str]) -> None:
    """Footnote of the parts joined by "; ", wrapped to the figure's width."""
    text = "; ".join(p for p in parts if p)
    if text:
        width = max(40, int(fig.get_figwidth() * 16.5))  # 7.5 pt characters per inch
        _note(fig, "\n".join(textwrap.wrap(text, width)))


def _title(fig: Figure, title: str) -> None:
    """Left-aligned figure title, each line wrapped to the figure's width."""
    width = max(30, int(fig.get_figwidth() * 11.5))  # 11.5 pt characters per inch
    fig.suptitle(_wrap_lines(title, width), x=0.01, ha="left", fontsize=11.5)


def _spread(steps: np.ndarray) -> float:
    """Coefficient of variation of the steps between sorted values (0: evenly spaced)."""
    return float(steps.std() / steps.mean()) if steps.size and steps.mean() > 0 else math.inf


def _auto_log(values: np.ndarray, log: bool | None) -> bool:
    """Log axis for positive values spanning >= 4x and spaced more evenly in log.

    Examples
    --------
    >>> _auto_log(np.array([0.25, 1.0, 4.0]), None), _auto_log(np.array([0.0, 0.5, 1.0]), None)
    (True, False)
    """
    if log is not None:
        return bool(log)
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3 or (v <= 0).any() or v.max() / v.min() < 4:
        return False
    return _spread(np.diff(np.log(v))) < _spread(np.diff(v))


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges halfway between sorted centres, outer cells as wide as their neighbour."""
    t = np.asarray(centres, dtype=float)
    if t.size == 1:
        half = 0.5 * abs(t[0]) if t[0] != 0 else 0.5
        return np.array([t[0] - half, t[0] + half])
    mid = (t[1:] + t[:-1]) / 2
    return np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])


class _Axis:
    """One axis of a sweep figure: its distinct values and their plotting positions.

    Numbers are placed at their value (log10 of it on a log axis, labelled with the
    values themselves); anything else at 0, 1, 2, ... in :func:`order_groups` order.
    """

    def __init__(self, series: pd.Series, log: bool | None = None, expected: Iterable | None = None,
                 cells: bool = False) -> None:
        self.name = str(series.name)
        self.numeric = _is_numeric_column(series)
        self.ordinal = False  # numbers placed side by side, not to scale
        extra = list(expected) if expected is not None else []
        if self.numeric and all(_is_number(v) for v in extra):
            values = pd.unique(series.dropna())
            values = values[np.isfinite(values.astype(float))]
            if extra:
                values = np.union1d(values, np.asarray(extra, dtype=values.dtype if values.size else float))
            self.values = np.sort(values)
            self.log = _auto_log(self.values.astype(float), log)
            if cells and len(self.values) >= 3 and log is None:
                # Grid cells of very unequal width (e.g. 0.5, 1, 2, 16) read badly: place
                # such a grid's values side by side, equally wide, labelled with the values.
                pos = np.log10(self.values.astype(float)) if self.log else self.values.astype(float)
                if _spread(np.diff(pos)) > 0.6:
                    self.numeric, self.log, self.ordinal = False, False, True
                    self.values = np.array(list(self.values), dtype=object)
        else:
            self.numeric = False
            self.values = np.array(order_groups(series.tolist() + extra), dtype=object)
            self.log = False
        self.pos = self.positions(self.values)

    @property
    def ordered(self) -> bool:
        """Numbers (to scale or not): interpolating between neighbours means something."""
        return self.numeric or self.ordinal

    def positions(self, values) -> np.ndarray:
        if self.numeric:
            v = np.asarray(values, dtype=float)
            if self.log:
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.log10(v)
            return v
        index = {v: i for i, v in enumerate(self.values)}
        return np.array([index.get(v, np.nan) for v in values], dtype=float)  # 1.0 == 1: same key

    def edges(self) -> np.ndarray:
        return _edges(self.pos) if self.numeric else np.arange(len(self.values) + 1) - 0.5

    def decorate(self, ax, which: str, width: int = 60) -> None:
        axis = ax.xaxis if which == "x" else ax.yaxis
        set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
        if not self.numeric or len(self.values) <= 12:
            set_ticks(self.pos, [_fmt_tick(v) for v in self.values])
            axis.set_minor_locator(matplotlib.ticker.NullLocator())
        elif self.log:
            axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda t, _: f"{10 ** t:.3g}"))
        label = axis_label(self.name) + (", log scale" if self.log else ", not to scale" if self.ordinal else "")
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(_wrap(label, width))


def _is_grid(df: pd.DataFrame, x: _Axis, y: _Axis, gridded: bool | None) -> bool:
    """A full-factorial grid (cells) or a sampled design (lhs, sobol: scattered points)?"""
    if gridded is not None:
        return bool(gridded)
    if not (x.numeric and y.numeric):
        return True
    n_pairs = len(df[[x.name, y.name]].drop_duplicates())
    return len(x.values) * len(y.values) <= 4 * n_pairs


def _luminance(rgba) -> float:
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _annotate_cells(ax, xc, yc, Z, cmap, norm, fmt, skip=None) -> None:
    """Value of each finite cell, in black or white depending on the cell's colour."""
    rows, cols = np.nonzero(np.isfinite(Z))
    for i, j in zip(rows, cols):
        if skip is not None and skip[i, j]:
            continue
        v = Z[i, j]
        face = cmap(norm(v))
        colour = "white" if _luminance(face) < 0.28 else "black"
        ax.text(xc[j], yc[i], fmt(v), ha="center", va="center", fontsize=7.5, color=colour, zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": face, "edgecolor": "none"})


def _missing_background(ax, xe, ye) -> None:
    """Hatched grey behind the cells: a cell without data shows the hatching."""
    ax.add_patch(
        matplotlib.patches.Rectangle(
            (xe[0], ye[0]),
            xe[-1] - xe[0],
            ye[-1] - ye[0],
            facecolor=_MISSING_FACE,
            edgecolor=_MISSING_EDGE,
            hatch=_HATCH_MISSING,
            linewidth=0,
            zorder=0.5,
        )
    )


def _padded(xa: _Axis, ya: _Axis, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ma.MaskedArray]:
    """Cell centres plus the outer edges, Z repeated at the edges, so contour lines of a
    coarse grid run to the border of the plot instead of stopping at the outer centres."""
    xp = np.concatenate([[xa.edges()[0]], xa.pos, [xa.edges()[-1]]])
    yp = np.concatenate([[ya.edges()[0]], ya.pos, [ya.edges()[-1]]])
    return xp, yp, np.ma.masked_invalid(np.pad(Z, 1, mode="edge"))


def _label_positions(cs, xc: np.ndarray, yc: np.ndarray, xe: np.ndarray, ye: np.ndarray) -> list:
    """One label position per contour level: the point of its line farthest from any cell
    centre (where the cell values are written) and from the border."""
    sx = (xe[-1] - xe[0]) / max(len(xc), 1)
    sy = (ye[-1] - ye[0]) / max(len(yc), 1)
    cx, cy = np.meshgrid(xc, yc)
    centres = np.column_stack([cx.ravel() / sx, cy.ravel() / sy])
    out = []
    for segs in cs.allsegs:
        pts = [s for s in segs if len(s) >= 2]
        if not pts:
            continue
        dense = np.concatenate([
            np.concatenate([s[:-1] + (s[1:] - s[:-1]) * f for f in np.linspace(0, 1, 8, endpoint=False)])
            for s in pts
        ])
        scaled = dense / [sx, sy]
        d_centre = np.min(np.linalg.norm(scaled[:, None, :] - centres[None, :, :], axis=2), axis=1)
        d_border = np.minimum.reduce([
            (dense[:, 0] - xe[0]) / sx, (xe[-1] - dense[:, 0]) / sx,
            (dense[:, 1] - ye[0]) / sy, (ye[-1] - dense[:, 1]) / sy,
        ])
        score = np.minimum(d_centre, 2 * d_border)
        out.append(tuple(dense[int(np.argmax(score))]))
    return out


def _labelled_contours(ax, xa: _Axis, ya: _Axis, Z: np.ndarray, levels, annotated: bool):
    """Thin contour lines of Z over the grid cells, each level labelled once."""
    if len(levels) == 0 or np.isfinite(Z).sum() < 2:
        return None
    xp, yp, Zp = _padded(xa, ya, Z)
    cs = ax.contour(xp, yp, Zp, levels=levels, colors="#1A1A1A", linewidths=0.9, alpha=0.8, zorder=3)
    if annotated:
        manual = _label_positions(cs, xa.pos, ya.pos, xa.edges(), ya.edges())
        if manual:
            ax.clabel(cs, fmt=_fmt_level, fontsize=7, inline=True, inline_spacing=3, manual=manual)
    else:
        ax.clabel(cs, fmt=_fmt_level, fontsize=7, inline=True, inline_spacing=3)
    return cs


def _contour_levels(vmin: float, vmax: float, n: int = 6) -> np.ndarray:
    levels = matplotlib.ticker.MaxNLocator(nbins=n).tick_values(vmin, vmax)
    return levels[(levels > vmin) & (levels < vmax)]


def _panel_grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    ncols = min(n, max_cols)
    return math.ceil(n / ncols), ncols


# -------------------------------------------------------------------------- 1-D sweep


def plot_sweep_1d(
    finals: pd.DataFrame,
    x: str,
    metric: str,
    path_stem: str | Path,
    by: str = "strategy",
    title: str | None = None,
    *,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    logx: bool | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> list[Path]:
    """Final ``metric`` against the swept parameter ``x``: mean line and CI band per group.

    Parameters
    ----------
    finals : pandas.DataFrame
        One row per run (``store.load(dir)["finals"]``): columns ``x``, ``by``, ``metric``.
    x : str
        Swept parameter on the horizontal axis. Numbers are placed at their value (a
        log axis when they span >= 10x and are spaced evenly in log, see ``logx``);
        other values (e.g. networks) become categories, drawn as points with error
        bars and no connecting line.
    metric : str
        Column on the vertical axis (label from :data:`METRIC_LABELS`).
    path_stem : str or pathlib.Path
        Output path without suffix.
    by : str, default "strategy"
        One line per value of this column (any column: strategy, network, budget, ...).
    title : str, optional
        Figure title; should name the scenario.
    where : mapping, optional
        Keep only rows with these values, e.g. ``{"budget": 1.0}`` or
        ``{"strategy": ["broadcast", "dialogue"]}``.
    confidence : float, default 0.95
        Level of the Student-t band of the mean over runs at each ``x``.
    logx : bool, optional
        Force (True) or forbid (False) a log axis; default automatic.
    expected : mapping, optional
        The design's values per column, e.g. ``experiment.grid``: ``x`` values (or
        ``by`` groups) without any finished run yet are then shown as gaps too; without
        it, only the values present in ``finals`` are known.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    Other design parameters that vary (e.g. ``dialogue_share`` when plotting against
    ``budget``) are pooled into the mean, and the footnote names them. Points without a
    finished run (a sweep in progress) break the line; the footnote counts them.
    """
    _check_columns(finals, [x, metric, by], "finals")
    if x == by:
        raise ValueError(f"x and by are both {x!r}: group by another column")
    df = _select(finals, where, "finals")
    expected = dict(expected or {})
    xa = _Axis(df[x], logx, expected.get(x))
    table = summarise(df, [by, x], metric, confidence=confidence)
    has_value = table.groupby(by, sort=False)[f"{metric}_n"].sum() > 0
    all_groups = order_groups(table[by].tolist() + list(expected.get(by, [])))
    empty = [g for g in all_groups if not has_value.get(g, False)]
    groups = [g for g in all_groups if g not in empty] or empty
    styles = group_styles(groups)
    full = pd.MultiIndex.from_product([groups, list(xa.values)], names=[by, x])
    t = table.set_index([by, x]).reindex(full)
    runs = df.groupby([by, x], observed=True, sort=False).size().reindex(full, fill_value=0)
    mean_c, lo_c, hi_c, n_c = (f"{metric}_{s}" for s in ("mean", "lo", "hi", "n"))
    n = t[n_c].fillna(0).to_numpy()
    no_run = int((runs.to_numpy() == 0).sum())
    nan_only = int(((runs.to_numpy() > 0) & (n == 0)).sum())
    npos = len(xa.values)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.6, 4.4), layout="constrained")
        for k, g in enumerate(groups):
            st = styles[g]
            sub = t.xs(g, level=by)
            y = sub[mean_c].to_numpy(dtype=float)
            lo = sub[lo_c].to_numpy(dtype=float)
            hi = sub[hi_c].to_numpy(dtype=float)
            band = (sub[n_c].fillna(0).to_numpy() >= 2) & np.isfinite(lo) & np.isfinite(hi)
            if xa.numeric:
                if band.any():
                    ax.fill_between(
                        xa.pos,
                        np.where(band, lo, np.nan),
                        np.where(band, hi, np.nan),
                        color=st["color"],
                        alpha=0.18,
                        linewidth=0,
                        zorder=2,
                    )
                every = 1 if npos <= 40 else max(1, npos // 10)
                ax.plot(
                    xa.pos,
                    y,
                    color=st["color"],
                    linestyle=st["linestyle"],
                    marker=st["marker"],
                    markersize=5,
                    markevery=every,
                    zorder=3,
                )
            else:
                dodge = (k - (len(groups) - 1) / 2) * min(0.12, 0.6 / max(len(groups), 1))
                ax.errorbar(
                    xa.pos + dodge,
                    y,
                    yerr=np.where(band, [y - lo, hi - y], np.nan) if band.any() else None,
                    fmt=st["marker"],
                    color=st["color"],
                    markersize=6,
                    elinewidth=1.4,
                    capsize=3,
                    zorder=3,
                )
        xa.decorate(ax, "x", 70)
        if xa.numeric and npos:
            span = float(np.nanmax(xa.pos) - np.nanmin(xa.pos)) or 1.0
            ax.set_xlim(np.nanmin(xa.pos) - 0.03 * span, np.nanmax(xa.pos) + 0.03 * span)
        else:
            ax.set_xlim(-0.5, npos - 0.5)
            ax.grid(axis="x", visible=False)
        ax.set_ylabel(_wrap("final " + metric_label(metric), 40))
        _zero_line(ax)
        if title is None:
            title = f"Final {metric.replace('_', ' ')} vs. {x.replace('_', ' ')}, by {by}"
        _title(fig, title)
        ax.legend(
            handles=_legend_handles(styles),
            title=by if by == "strategy" else _wrap(axis_label(by), 22),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            handlelength=3.2,
        )
        pct = f"{100 * confidence:g}"
        what = "line" if xa.numeric else "point"
        shape = "band" if xa.numeric else "bar"
        _footer(
            fig,
            [
                (f"{what}: mean over runs at each {x.replace('_', ' ')}; {shape}: {pct} % "
                 f"t-confidence interval of the mean ({_n_text(n, 'point')})"),
                _pooled_note(df, [x, by]),
                _missing_text(no_run, nan_only, len(full), f"({by}, {x})".replace("_", " ") + " points"),
                (f"no finite value at all, left out: {by} " + ", ".join(map(str, empty))
                 + (" (e.g. the ROI of the baseline, which spends nothing)" if metric in ("roi", "incremental_roi") else ""))
                if empty and len(empty) < len(all_groups) else "",
            ],
        )
        return save_figure(fig, path_stem)


# ------------------------------------------------------------------------ 2-D sweeps


def plot_heatmap(
    finals: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    path_stem: str | Path,
    strategy: str | Sequence[str] | None = None,
    title: str | None = None,
    *,
    where: Mapping[str, object] | None = None,
    cmap: str = "viridis",
    annotate: bool | None = None,
    gridded: bool | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> list[Path]:
    """Replicate mean of ``metric`` over a 2-D sweep, with labelled contour lines.

    Parameters
    ----------
    finals : pandas.DataFrame
        One row per run with columns ``x``, ``y``, ``metric`` (and ``strategy``).
    x, y : str
        The two swept parameters.
    metric : str
        Column coloured (label and unit from :data:`METRIC_LABELS`).
    path_stem : str or pathlib.Path
        Output path without suffix.
    strategy : str or sequence of str, optional
        Strategy (or strategies) to show. Default: every strategy in the data, one panel
        each, all on ONE colour scale so panels compare.
    title : str, optional
        Figure title; should name the scenario.
    where : mapping, optional
        Keep only rows with these values (see :func:`plot_sweep_1d`).
    cmap : str, default "viridis"
        Sequential, colour-blind safe colormap.
    annotate : bool, optional
        Write each cell's mean into it; default when a panel has at most 30 cells.
    gridded : bool, optional
        Grid design (cells, ``pcolormesh`` with edges halfway between grid values) or
        sampled design (lhs / sobol / morris: ``tricontourf`` over the sampled points,
        which are marked); default detected from the data.
    logx, logy : bool, optional
        Force or forbid a log axis; default automatic (see :func:`plot_sweep_1d`).
    expected : mapping, optional
        The design's values per axis (e.g. ``experiment.grid``), so that grid values
        without any finished run yet still get a (hatched) cell.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    Cells without a finished run (a sweep in progress) show grey hatching, and the
    footnote counts them. Design parameters that vary but are on neither axis are pooled
    into the means, and the footnote names them.
    """
    _check_columns(finals, [x, y, metric], "finals")
    if x == y:
        raise ValueError(f"x and y are both {x!r}")
    df = _select(finals, where, "finals")
    panel_col = "strategy" if "strategy" in df.columns and "strategy" not in (x, y) else None
    if strategy is not None:
        if panel_col is None:
            raise ValueError("strategy= needs a 'strategy' column that is not an axis")
        df = df.loc[_match(df["strategy"], strategy)]
        if df.empty:
            raise ValueError(f"no run of strategy {strategy!r} in finals")
    expected = dict(expected or {})
    xa, ya = _Axis(df[x], logx, expected.get(x)), _Axis(df[y], logy, expected.get(y))
    grid = _is_grid(df, xa, ya, gridded)
    if grid:
        xa = _Axis(df[x], logx, expected.get(x), cells=True)
        ya = _Axis(df[y], logy, expected.get(y), cells=True)
    panels = order_groups(df[panel_col].tolist()) if panel_col else [None]
    keys = ([panel_col] if panel_col else []) + [y, x]
    table = summarise(df, keys, metric)
    mean_c, n_c = f"{metric}_mean", f"{metric}_n"
    values = table[mean_c].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax <= vmin:
        pad = 0.05 * abs(vmin) or 0.5
        vmin, vmax = vmin - pad, vmax + pad
    norm = matplotlib.colors.Normalize(vmin, vmax)
    colormap = matplotlib.colormaps[cmap]
    levels = _contour_levels(vmin, vmax)
    nrows, ncols = _panel_grid(len(panels))
    n_cells = len(xa.values) * len(ya.values)
    if annotate is None:
        annotate = grid and n_cells <= 30
    no_run = nan_only = total = 0
    pairs_all = df[[x, y]].drop_duplicates()
    # Contours interpolate between neighbouring values: meaningless across categories.
    contours = xa.ordered and ya.ordered
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(max(6.4, 4.3 * ncols + 1.5), 3.6 * nrows + 1.2),
            layout="constrained",
            squeeze=False,
            sharex=True,
            sharey=True,
        )
        flat = axes.ravel()
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap)
        for ax, p in zip(flat, panels):
            sub = table if p is None else table[table[panel_col] == p]
            runs_p = df if p is None else df[df[panel_col] == p]
            if grid:
                Z = (
                    sub.pivot(index=y, columns=x, values=mean_c)
                    .reindex(index=ya.values, columns=xa.values)
                    .to_numpy(dtype=float)
                )
                have = runs_p.groupby([y, x], sort=False).size()
                have = have.reindex(pd.MultiIndex.from_product([ya.values, xa.values])).fillna(0)
                have = have.to_numpy().reshape(Z.shape) > 0
                no_run += int((~have).sum())
                nan_only += int((have & ~np.isfinite(Z)).sum())
                total += Z.size
                xe, ye = xa.edges(), ya.edges()
                _missing_background(ax, xe, ye)
                ax.pcolormesh(
                    xe, ye, np.ma.masked_invalid(Z), cmap=colormap, norm=norm,
                    edgecolors="white", linewidth=0.6, zorder=1,
                )
                if contours:
                    _labelled_contours(ax, xa, ya, Z, levels, annotate)
                if annotate:
                    _annotate_cells(ax, xa.pos, ya.pos, Z, colormap, norm,
                                    _cell_formatter(float(np.nanmax(np.abs(finite))) if finite.size else 1.0))
                ax.set_xlim(xe[0], xe[-1])
                ax.set_ylim(ye[0], ye[-1])
            else:
                ok = sub[np.isfinite(sub[mean_c].to_numpy(dtype=float))]
                px, py = xa.positions(ok[x]), ya.positions(ok[y])
                z = ok[mean_c].to_numpy(dtype=float)
                here = runs_p[[x, y]].drop_duplicates()
                total += len(pairs_all)
                no_run += len(pairs_all) - len(here)
                nan_only += len(here) - len(ok)
                drawn = False
                if len(z) >= 3:
                    try:
                        ax.tricontourf(px, py, z, levels=np.linspace(vmin, vmax, 13), cmap=colormap, norm=norm, zorder=1)
                        if len(levels):
                            cs = ax.tricontour(px, py, z, levels=levels, colors="#1A1A1A", linewidths=0.9, alpha=0.75, zorder=3)
                            ax.clabel(cs, fmt=_fmt_level, fontsize=7, inline=True)
                        drawn = True
                    except (ValueError, RuntimeError):
                        drawn = False
                ax.scatter(
                    px, py, s=16 if drawn else 40, c="white" if drawn else z,
                    cmap=None if drawn else colormap, norm=None if drawn else norm,
                    edgecolors="#222222", linewidths=0.5, zorder=4,
                )
                ax.set_facecolor(_MISSING_FACE)
            xa.decorate(ax, "x", 55)
            ya.decorate(ax, "y", 34)
            if p is not None:
                ax.set_title(f"{panel_col}: {p}", loc="left", fontweight="bold")
        for ax in flat[len(panels):]:
            ax.set_visible(False)
        for i, ax in enumerate(flat[: len(panels)]):
            if i % ncols:
                ax.set_ylabel("")
            if i + ncols < len(panels):
                ax.set_xlabel("")
        fig.colorbar(mappable, ax=list(flat[: len(panels)]), label=_wrap("final " + metric_label(metric), 40),
                     shrink=0.9, pad=0.02)
        if title is None:
            title = f"Final {metric.replace('_', ' ')} over {x.replace('_', ' ')} x {y.replace('_', ' ')}"
        _title(fig, title)
        how = (
            "colour: mean over the runs of each cell" + ("; lines: contours of that mean" if contours else "")
            if grid
            else "sampled design: colour interpolated (triangulation) between the design "
            "points (circles), each the mean over its runs; lines: contours"
        )
        _footer(
            fig,
            [
                how + f" ({_n_text(table[n_c].to_numpy(), 'cell' if grid else 'point')})",
                _pooled_note(df, [x, y] + ([panel_col] if panel_col else [])),
                _missing_text(no_run, nan_only, total, "cells" if grid else "design points")
                + (" (grey hatching)" if no_run + nan_only else ""),
            ],
        )
        return save_figure(fig, path_stem)


def _selector(sel: object, name: str) -> dict[str, object]:
    if isinstance(sel, str):
        return {"strategy": sel}
    if isinstance(sel, Mapping) and sel:
        return dict(sel)
    raise TypeError(
        f"{name} must be a strategy name or a non-empty mapping column -> value, got {sel!r}"
    )


def _selector_label(sel: Mapping[str, object]) -> str:
    parts = []
    for k, v in sel.items():
        if k == "strategy" and isinstance(v, str):
            parts.insert(0, v)
        else:
            parts.append(f"{str(k).replace('_', ' ')} = {_fmt_tick(v)}")
    return ", ".join(parts)


def _cell_stats(df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """mean, std, count of the finite values of ``value`` per group (count 0 if none)."""
    v = df[keys].copy()
    v["_v"] = _finite(df[value].to_numpy())
    if not keys:
        return pd.DataFrame({"mean": [v["_v"].mean()], "std": [v["_v"].std()], "count": [v["_v"].count()]})
    return v.groupby(keys, sort=False, observed=True)["_v"].agg(["mean", "std", "count"]).reset_index()


def _welch_half(sa, na, sb, nb, confidence: float) -> np.ndarray:
    """Half-width of Welch's interval of mean(A) - mean(B); NaN where a side has n < 2."""
    from scipy import stats as st

    sa, sb, na, nb = (np.asarray(a, dtype=float) for a in (sa, sb, na, nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        va, vb = np.nan_to_num(sa) ** 2 / na, np.nan_to_num(sb) ** 2 / nb
        se2 = va + vb
        dof = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        dof = np.where(se2 > 0, dof, np.maximum(na + nb - 2, 1))
        half = st.t.ppf(0.5 + confidence / 2, dof) * np.sqrt(se2)
    return np.where((na >= 2) & (nb >= 2), half, np.nan)


def plot_difference(
    finals: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    path_stem: str | Path,
    a: str | Mapping[str, object],
    b: str | Mapping[str, object],
    title: str | None = None,
    *,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    cmap: str = "RdBu",
    annotate: bool | None = None,
    gridded: bool | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    labels: tuple[str, str] | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> list[Path]:
    """Map of A minus B over a 2-D sweep, centred at 0, with the zero contour in bold.

    The zero contour is where the answer flips: on one side A gives the higher
    ``metric``, on the other B. Cells where the confidence interval of the difference
    includes 0 are hatched (the sign is not established by these replicates).

    Parameters
    ----------
    finals : pandas.DataFrame
        One row per run, with columns ``x``, ``y``, ``metric`` and those the selectors
        name (and ``seed``, for pairing).
    x, y : str
        The two swept parameters.
    metric : str
        Column compared.
    path_stem : str or pathlib.Path
        Output path without suffix.
    a, b : str or mapping
        The two sides. **Selector form**:

        * a string is a strategy: ``"dialogue"`` means ``{"strategy": "dialogue"}``;
        * a mapping ``{column: value}`` keeps the runs with these values. A column that
          is one of the axes PINS that axis: ``b={"dialogue_share": 0.0}`` with
          ``y="dialogue_share"`` means "at the same x, the runs with dialogue_share = 0"
          (pure broadcast), compared with A at every y;
        * a key one selector gives that is not an axis, and the other does not give, is
          shared: ``a="mixed", b={"dialogue_share": 0.0}`` compares mixed at each
          dialogue share with mixed at dialogue share 0, not with the ``none`` baseline.

        Examples: ``a="dialogue", b="broadcast"`` (two strategies, paired on seed);
        ``a="mixed", b={"dialogue_share": 0.0}`` (budget_split: each split minus pure
        broadcast at the same budget).
    title : str, optional
        Figure title; should name the scenario.
    where : mapping, optional
        Keep only rows with these values first (see :func:`plot_sweep_1d`).
    confidence : float, default 0.95
        Level of the interval behind the hatching.
    cmap : str, default "RdBu"
        Diverging colormap; the colour scale is symmetric around 0 (blue: A higher).
    annotate : bool, optional
        Write each cell's difference into it; default when there are at most 30 cells.
    gridded, logx, logy, expected : optional
        As in :func:`plot_heatmap`.
    labels : (str, str), optional
        Names of A and B in the figure; default built from the selectors.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    Pairing: a run of A and a run of B with the same ``seed`` (or ``replicate`` if there
    is no seed column) at the same cell are a pair (common random numbers: same
    consumers, same graph); a cell is paired when every run of its smaller side has a
    partner (or at least two pairs exist), and its difference is the mean of the paired
    differences with a t-interval. Otherwise (e.g. a pinned axis: the reference runs lie
    at another design point, with other seeds) the difference is of the two means, with
    Welch's interval. Cells where A and B are the same runs (the pinned reference row)
    are grey and left out of the contours.
    """
    _check_columns(finals, [x, y, metric], "finals")
    if x == y:
        raise ValueError(f"x and y are both {x!r}")
    df = _select(finals, where, "finals")
    axes_names = (x, y)
    sa, sb = _selector(a, "a"), _selector(b, "b")
    fa = {**{k: v for k, v in sb.items() if k not in axes_names}, **sa}
    fb = {**{k: v for k, v in sa.items() if k not in axes_names}, **sb}
    _check_columns(df, sorted(set(fa) | set(fb)), "finals")
    label_a, label_b = labels or (_selector_label(fa), _selector_label(fb))
    pinned_a = [k for k in sa if k in axes_names]
    if pinned_a:
        raise ValueError(f"selector a pins the plotted axis {pinned_a[0]!r}: A is shown at every "
                         "(x, y) of the map; pin an axis in b only (b={...: value} is the reference)")
    if fa == fb:
        raise ValueError(f"a and b select the same runs ({label_a})")

    expected = dict(expected or {})
    xa, ya = _Axis(df[x], logx, expected.get(x)), _Axis(df[y], logy, expected.get(y))
    grid = _is_grid(df, xa, ya, gridded)
    if grid:
        xa = _Axis(df[x], logx, expected.get(x), cells=True)
        ya = _Axis(df[y], logy, expected.get(y), cells=True)
    if any(k in axes_names for k in (*fa, *fb)) and not grid:
        raise ValueError("pinning an axis in a selector needs a grid design (the sampled "
                         "points of lhs / sobol / morris designs do not share axis values)")

    def pick(f: dict[str, object], name: str) -> tuple[pd.DataFrame, dict[str, object]]:
        mask = np.ones(len(df), dtype=bool)
        for k, v in f.items():
            mask &= _match(df[k], v)
        rows = df.loc[mask]
        if rows.empty:
            raise ValueError(f"selector {name} ({_selector_label(f)}) matches no finished run")
        return rows, {k: v for k, v in f.items() if k in axes_names}

    rows_a, pin_a = pick(fa, "a")
    rows_b, pin_b = pick(fb, "b")
    free_b = [c for c in (y, x) if c not in pin_b]
    others = _design_columns(df, [x, y, *fa, *fb])
    pid = "seed" if "seed" in df.columns else ("replicate" if "replicate" in df.columns else None)

    cells = _cell_stats(rows_a, [y, x], metric)
    stats_b = _cell_stats(rows_b, free_b, metric)
    cells = cells.merge(stats_b, on=free_b, how="left", suffixes=("_a", "_b")) if free_b else cells.merge(
        stats_b.add_suffix("_b"), how="cross").rename(columns={"mean": "mean_a", "std": "std_a", "count": "count_a"})
    if pid is not None:
        left = rows_a[[y, x, *others, pid]].assign(_va=_finite(rows_a[metric].to_numpy()))
        right = rows_b[[*free_b, *others, pid]].assign(_vb=_finite(rows_b[metric].to_numpy()))
        pairs = left.merge(right, on=[*free_b, *others, pid], how="inner")
        pairs["_d"] = pairs["_va"] - pairs["_vb"]
        paired = _cell_stats(pairs, [y, x], "_d").rename(columns=lambda c: c if c in (x, y) else c + "_d")
        cells = cells.merge(paired, on=[y, x], how="left")
    else:
        cells[["mean_d", "std_d", "count_d"]] = np.nan
    cells[["count_a", "count_b", "count_d"]] = cells[["count_a", "count_b", "count_d"]].fillna(0)
    na, nb, npair = (cells[c].to_numpy(dtype=float) for c in ("count_a", "count_b", "count_d"))
    use_pair = (npair >= 2) | ((npair >= 1) & (npair == np.minimum(na, nb)))
    diff = np.where(use_pair, cells["mean_d"], cells["mean_a"] - cells["mean_b"])
    half = np.where(
        use_pair,
        np.where(npair >= 2, t_half_width(cells["std_d"], np.maximum(npair, 1), confidence), np.nan),
        _welch_half(cells["std_a"], na, cells["std_b"], nb, confidence),
    )
    cells["diff"], cells["half"], cells["paired"] = diff, half, use_pair
    cells["unsure"] = np.isfinite(half) & (np.abs(diff) <= half)
    reference = np.zeros(len(cells), dtype=bool)
    same_filters = {k: v for k, v in fa.items() if k not in axes_names} == {
        k: v for k, v in fb.items() if k not in axes_names}
    if same_filters and pin_b and not pin_a:
        reference = np.ones(len(cells), dtype=bool)
        for k, v in pin_b.items():
            reference &= _match(cells[k], v)
    cells["reference"] = reference
    real = cells.loc[~reference, "diff"].to_numpy(dtype=float)
    real = real[np.isfinite(real)]
    vmax = float(np.abs(real).max()) if real.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    norm = matplotlib.colors.Normalize(-vmax, vmax)
    colormap = matplotlib.colormaps[cmap]
    n_cells = len(xa.values) * len(ya.values)
    if annotate is None:
        annotate = grid and n_cells <= 30
    flips = bool(real.size and (real > 0).any() and (real < 0).any())
    drew_zero = False
    with plt.rc_context({**STYLE, "axes.grid": False, "hatch.color": "#333333", "hatch.linewidth": 0.6}):
        fig, ax = plt.subplots(figsize=(7.4, 5.0), layout="constrained")
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap)
        if grid:
            full = pd.MultiIndex.from_product([ya.values, xa.values], names=[y, x])
            c = cells.set_index([y, x]).reindex(full)
            shape = (len(ya.values), len(xa.values))
            D = c["diff"].to_numpy(dtype=float).reshape(shape)
            ref = c["reference"].fillna(False).to_numpy(dtype=bool).reshape(shape)
            unsure = c["unsure"].fillna(False).to_numpy(dtype=bool).reshape(shape)
            D_show = np.where(ref, np.nan, D)
            have = (c["count_a"].fillna(0).to_numpy() > 0).reshape(shape)
            no_run = int((~have).sum())
            nan_only = int((have & ~np.isfinite(D) & ~ref).sum())
            total = D.size
            xe, ye = xa.edges(), ya.edges()
            _missing_background(ax, xe, ye)
            ax.pcolormesh(xe, ye, np.ma.masked_invalid(D_show), cmap=colormap, norm=norm,
                          edgecolors="white", linewidth=0.6, zorder=1)
            XE, YE = np.meshgrid(np.arange(shape[1]), np.arange(shape[0]))
            for mask, face, hatch in ((ref, "#D9D9D9", None), (unsure & ~ref & np.isfinite(D), "none", "...")):
                for i, j in zip(YE[mask], XE[mask]):
                    ax.add_patch(matplotlib.patches.Rectangle(
                        (xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i], facecolor=face,
                        edgecolor="white" if hatch is None else "#333333", hatch=hatch,
                        linewidth=0.6 if hatch is None else 0, zorder=2))
            if flips and xa.ordered and ya.ordered:
                xp, yp, Dp = _padded(xa, ya, D_show)
                ax.contour(xp, yp, Dp, levels=[0.0], colors="black", linewidths=2.8, zorder=7)
                drew_zero = True
            if annotate:
                _annotate_cells(ax, xa.pos, ya.pos, D_show, colormap, norm, _cell_formatter(vmax, signed=True))
                for i, j in zip(YE[ref], XE[ref]):
                    ax.text(xa.pos[j], ya.pos[i], "B\n(reference)", ha="center", va="center",
                            fontsize=7, color="#444444", zorder=6)
            ax.set_xlim(xe[0], xe[-1])
            ax.set_ylim(ye[0], ye[-1])
        else:
            ok = cells[np.isfinite(cells["diff"].to_numpy(dtype=float))]
            px, py, z = xa.positions(ok[x]), ya.positions(ok[y]), ok["diff"].to_numpy(dtype=float)
            total = len(df[[x, y]].drop_duplicates())
            no_run = total - len(rows_a[[x, y]].drop_duplicates())
            nan_only = len(cells) - len(ok)
            if len(z) >= 3:
                try:
                    ax.tricontourf(px, py, z, levels=np.linspace(-vmax, vmax, 13), cmap=colormap, norm=norm, zorder=1)
                    if flips:
                        ax.tricontour(px, py, z, levels=[0.0], colors="black", linewidths=2.8, zorder=7)
                        drew_zero = True
                except (ValueError, RuntimeError):
                    pass
            sure = ~ok["unsure"].to_numpy(dtype=bool)
            ax.scatter(px[sure], py[sure], s=14, c="#222222", zorder=5)
            ax.scatter(px[~sure], py[~sure], s=14, facecolors="white", edgecolors="#222222", linewidths=0.7, zorder=5)
            ax.set_facecolor(_MISSING_FACE)
        xa.decorate(ax, "x", 60)
        ya.decorate(ax, "y", 40)
        cbar = fig.colorbar(mappable, ax=ax, pad=0.02, shrink=0.95)
        cbar.set_label(_wrap(f"A \u2212 B in final {metric_label(metric)}", 40))
        cbar.ax.text(0.5, 1.015, "A higher", transform=cbar.ax.transAxes, ha="center", va="bottom", fontsize=7.5)
        cbar.ax.text(0.5, -0.015, "B higher", transform=cbar.ax.transAxes, ha="center", va="top", fontsize=7.5)
        if title is None:
            title = f"Final {metric.replace('_', ' ')}: A minus B"
        _title(fig, f"{title}\nA: {label_a}    B: {label_b}")
        handles = [Line2D([], [], color="black", linewidth=2.8, label="A = B: the answer flips")] if drew_zero else []
        n_unsure = int(cells.loc[~reference, "unsure"].sum())
        pct = f"{100 * confidence:g}"
        if grid:
            handles.append(matplotlib.patches.Patch(facecolor="white", edgecolor="#333333", hatch="...",
                                                    label=f"{pct} % CI of A \u2212 B includes 0"))
            if reference.any():
                handles.append(matplotlib.patches.Patch(facecolor="#D9D9D9", label="B (reference)"))
            if no_run + nan_only:
                handles.append(matplotlib.patches.Patch(facecolor=_MISSING_FACE, edgecolor=_MISSING_EDGE,
                                                        hatch=_HATCH_MISSING, label="no data yet"))
        else:
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                                  markeredgecolor="#222222", label=f"{pct} % CI includes 0"))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                  ncols=max(1, len(handles)) if len(handles) <= 3 else 2,
                  frameon=False, fontsize=8, handlelength=2.4, borderaxespad=0.3)
        n_pairs = int(cells.loc[~reference & (cells["count_a"] > 0), "paired"].sum())
        n_real = int((~reference & (cells["count_a"] > 0)).sum())
        if n_pairs == n_real:
            how = f"colour: mean of the paired differences A \u2212 B (same {pid})"
        elif n_pairs == 0:
            how = "colour: difference of the means over runs (unpaired; Welch intervals)"
        else:
            how = (f"colour: mean paired difference (same {pid}) in {n_pairs} of {n_real} cells, "
                   "difference of means (Welch) elsewhere")
        if flips and not drew_zero:
            how += "; no zero contour across categories (the sign flips between cells)"
        if not flips and real.size:
            how += "; no zero contour: " + ("A is higher everywhere" if (real > 0).all() else
                                            "B is higher everywhere" if (real < 0).all() else "A = B in places")
        _footer(
            fig,
            [
                how,
                (f"dotted: the {pct} % interval of the difference includes 0 in {n_unsure} cells" if grid else
                 f"hollow circles: the {pct} % interval of the difference includes 0 ({n_unsure} of "
                 f"{len(cells)} design points)"),
                _n_text(cells["count_a"].to_numpy(), "cell and side" if grid else "point and side"),
                _pooled_note(df, [x, y, *fa, *fb]),
                _missing_text(no_run, nan_only, total, "cells" if grid else "design points")
                + (" (grey hatching)" if no_run + nan_only else ""),
            ],
        )
        return save_figure(fig, path_stem)


# ---------------------------------------------------------------- distributions, bars


def _auto_facet(df: pd.DataFrame, exclude: Sequence[str], facet: str | bool | None) -> str | None:
    """The column to make panels by: as given, or the one other varied design column
    (if exactly one, with 2 to 8 values); ``False`` switches faceting off."""
    if facet is False:
        return None
    if isinstance(facet, str):
        _check_columns(df, [facet], "data")
        return facet
    cols = _design_columns(df, exclude)
    if len(cols) == 1 and 2 <= df[cols[0]].nunique() <= 8:
        return cols[0]
    return None


def plot_incremental_roi(
    summary: pd.DataFrame,
    path_stem: str | Path,
    title: str | None = None,
    *,
    by: str = "strategy",
    facet: str | bool | None = None,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    baseline: str = "none",
    sharey: bool = True,
) -> list[Path]:
    """Incremental ROI per strategy across replicates: violin, points, mean and CI.

    The caption line under the title states how wide the confidence interval of the
    mean is, and how far single runs spread: why ROI is hard to compute (the same
    strategy on the same budget returns very different amounts from run to run).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per run with an ``incremental_roi`` column (see
        :func:`simulation.research.summaries.incremental_roi`; NaN for the baseline). Without that
        column it is computed here from ``strategy``, ``seed``, ``profit`` and ``spend``.
    path_stem : str or pathlib.Path
        Output path without suffix.
    title : str, optional
        Figure title; should name the scenario.
    by : str, default "strategy"
        One violin per value of this column; runs of the ``baseline`` strategy are left
        out (their incremental ROI is undefined).
    facet : str or bool, optional
        One panel per value of this column. Default: the one other design parameter
        that varies (e.g. ``quality``), if there is exactly one with 2-8 values;
        ``False``: no panels (other parameters are pooled, and the footnote says so).
    where : mapping, optional
        Keep only rows with these values (see :func:`plot_sweep_1d`).
    confidence : float, default 0.95
        Level of the interval of the mean.
    baseline : str, default "none"
        The baseline strategy.
    sharey : bool, default True
        One y scale for all panels.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame, got {type(summary).__name__}")
    if "incremental_roi" not in summary.columns:
        _check_columns(summary, ["strategy", "seed", "profit", "spend"], "summary")
        from simulation.research.summaries import incremental_roi

        summary = summary.assign(incremental_roi=incremental_roi(summary, baseline))
    _check_columns(summary, [by, "incremental_roi"], "summary")
    df = _select(summary, where, "summary")
    if "strategy" in df.columns:
        df = df[df["strategy"] != baseline]
    if df.empty:
        raise ValueError(f"summary has only runs of the baseline '{baseline}': no incremental ROI")
    df = df.assign(incremental_roi=_finite(df["incremental_roi"].to_numpy()))
    facet_col = _auto_facet(df, [by], facet)
    facets = order_groups(df[facet_col].tolist()) if facet_col else [None]
    keys = ([facet_col] if facet_col else []) + [by]
    table = summarise(df, keys, "incremental_roi", confidence=confidence).set_index(keys)
    groups = order_groups(df[by].tolist())
    styles = group_styles(groups)
    pos = {g: i for i, g in enumerate(groups)}
    grouped = df.groupby(keys if len(keys) > 1 else keys[0], sort=False, observed=True)["incremental_roi"]
    values = {k: v.dropna().to_numpy() for k, v in grouped}
    n_dropped = int(df["incremental_roi"].isna().sum())
    nrows, ncols = _panel_grid(len(facets), 3)
    panel_w = max(3.0, 0.7 * len(groups) + 1.1)
    fig_w = max(panel_w * ncols + 0.6, 5.6)
    widths = (table["incremental_roi_hi"] - table["incremental_roi_lo"]).to_numpy(dtype=float)
    widths = widths[(table["incremental_roi_n"].to_numpy() >= 2) & np.isfinite(widths)]
    allv = df["incremental_roi"].dropna().to_numpy()
    pct = f"{100 * confidence:g}"
    per = by.replace("_", " ") + (f" and {facet_col.replace('_', ' ')}" if facet_col else "")
    if widths.size:
        w = (f"{_fmt_value(widths.min())} to {_fmt_value(widths.max())} wide"
             if widths.size > 1 and not np.isclose(widths.min(), widths.max())
             else f"{_fmt_value(widths.max())} wide")
        caption = (f"Why ROI is hard to compute: the {pct} % CI of the mean incremental ROI is {w} "
                   f"(n = {_n_range(table['incremental_roi_n'])} runs per {per}); single runs range "
                   f"from {_fmt_value(allv.min())} to {_fmt_value(allv.max())}.")
    elif allv.size:
        caption = ("Why ROI is hard to compute: one run per group, so the spread between runs, "
                   "and with it the uncertainty of the mean, cannot be estimated.")
    else:
        caption = "No finite incremental ROI (no paired baseline run, or nothing spent)."
    cap_lines = textwrap.wrap(caption, int(fig_w * 14.5))  # 8.5 pt characters per inch
    cap_h = 0.16 * len(cap_lines) + 0.06
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(fig_w, 3.3 * nrows + 1.3 + cap_h), layout="constrained")
        gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[cap_h] + [3.3] * nrows)
        cap_ax = fig.add_subplot(gs[0, :])
        cap_ax.axis("off")
        # The caption under the title: the width of the CI, i.e. why ROI is hard to compute.
        cap = cap_ax.text(
            0.01, 0.5, "\n".join(cap_lines), ha="left", va="center", fontsize=8.5, color="#1A1A1A",
            transform=matplotlib.transforms.blended_transform_factory(fig.transFigure, cap_ax.transAxes),
        )
        cap.set_in_layout(False)
        axes = np.empty((nrows, ncols), dtype=object)
        for i in range(nrows * ncols):
            share = axes[0, 0] if sharey and i else None
            axes[i // ncols, i % ncols] = fig.add_subplot(gs[1 + i // ncols, i % ncols], sharey=share)
        flat = axes.ravel()
        for ax, f in zip(flat, facets):
            rng = np.random.default_rng(0)
            for g in groups:
                key = g if f is None else (f, g)
                st = styles[g]
                v = values.get(key, np.array([]))
                x0 = pos[g]
                if v.size >= 2 and np.ptp(v) > 0:
                    parts = ax.violinplot([v], positions=[x0], widths=0.8, showextrema=False)
                    for body in parts["bodies"]:
                        body.set_facecolor(st["color"])
                        body.set_edgecolor(st["color"])
                        body.set_alpha(0.28)
                        body.set_linewidth(0.8)
                if v.size:
                    size = 14 if v.size <= 60 else 5
                    ax.scatter(x0 - 0.2 + rng.uniform(-0.07, 0.07, v.size), v, s=size, color=st["color"],
                               marker=st["marker"], alpha=0.7 if v.size <= 60 else 0.3, linewidths=0, zorder=3)
                if key not in table.index or not np.isfinite(table.at[key, "incremental_roi_mean"]):
                    ax.text(x0, 0.04, "n/a", transform=ax.get_xaxis_transform(), ha="center",
                            va="bottom", fontsize=8, color="#777777")
                    continue
                m = float(table.at[key, "incremental_roi_mean"])
                n = int(table.at[key, "incremental_roi_n"])
                lo, hi = float(table.at[key, "incremental_roi_lo"]), float(table.at[key, "incremental_roi_hi"])
                ax.errorbar([x0 + 0.14], [m], yerr=[[m - lo], [hi - m]] if n >= 2 else None, fmt=st["marker"],
                            color=st["color"], markeredgecolor="black", markeredgewidth=0.8, markersize=7.5,
                            ecolor="#111111", elinewidth=1.8, capsize=4, zorder=5)
            ax.set_xticks(range(len(groups)), [_fmt_tick(g) for g in groups],
                          rotation=30 if len(groups) > 4 and max(len(str(g)) for g in groups) > 7 else 0)
            if by != "strategy":
                ax.set_xlabel(_wrap(axis_label(by), int(panel_w * 13)))
            ax.set_xlim(-0.6, len(groups) - 0.4)
            ax.grid(axis="x", visible=False)
            ax.set_ylabel(_wrap(metric_label("incremental_roi"), 30), fontsize=8.5)
            if f is not None:
                ax.set_title(f"{facet_col.replace('_', ' ')} = {_fmt_tick(f)}", loc="left", fontweight="bold")
        for ax in flat[len(facets):]:
            ax.set_visible(False)
        for i, ax in enumerate(flat[: len(facets)]):
            lo, hi = ax.get_ylim()
            if lo < 0 < hi:
                ax.axhline(0.0, color="#555555", linewidth=0.9, linestyle=(0, (4, 2)), zorder=1)
            if i % ncols and sharey:
                ax.set_ylabel("")
                ax.tick_params(labelleft=False)
        if title is None:
            title = f"Incremental ROI by {by.replace('_', ' ')}"
        _title(fig, title)
        _footer(
            fig,
            [
                (f"violin: distribution over runs; small points: single runs; large point and bar: mean "
                 f"and {pct} % t-confidence interval; dashed: break-even (the strategy's extra profit "
                 f"over '{baseline}' on the same seed just pays its spend)"),
                _pooled_note(df, keys),
                f"{n_dropped} runs without a finite value left out (no finished '{baseline}' run on "
                "the same seed, or nothing spent)" if n_dropped else "",
            ],
        )
        return save_figure(fig, path_stem)


def _n_range(n) -> str:
    n = np.asarray(n, dtype=float)
    n = n[n > 0]
    if not n.size:
        return "0"
    lo, hi = int(n.min()), int(n.max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


#: (panel title, natives column, immigrants column, y label) of :func:`plot_segments`.
SEGMENT_PANELS: tuple[tuple[str, str, str, str], ...] = (
    ("loyalty", "loyalty_natives", "loyalty_immigrants", "mean loyalty of customers (0-1)"),
    ("awareness", "awareness_natives", "awareness_immigrants", "share aware"),
)


def plot_segments(
    ts_or_summary: pd.DataFrame,
    path_stem: str | Path,
    title: str | None = None,
    *,
    by: str = "strategy",
    facet: str | bool | None = None,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
) -> list[Path]:
    """Digital natives vs. immigrants per strategy at the last week: loyalty, awareness.

    Grouped bars (natives filled, immigrants hatched) with the confidence interval of
    the mean, and above each pair the gap natives minus immigrants with its interval,
    paired within each run (both segments live in the same run, so the gap is measured
    more precisely than the two bars suggest).

    Why bars at the last week rather than lines over time: the question is how large
    the gap between the segments is under each strategy, which is one number per
    strategy and segment; over time, every panel would need two lines per strategy
    (ten crossing lines and bands for five strategies), and awareness saturates early.
    Use :func:`plot_small_multiples` on ``loyalty_natives`` etc. for the dynamics.

    Parameters
    ----------
    ts_or_summary : pandas.DataFrame
        A timeseries (with ``step``: its last week is used) or one row per run, with
        columns ``by``, ``loyalty_natives``, ``loyalty_immigrants``,
        ``awareness_natives`` and ``awareness_immigrants``.
    path_stem : str or pathlib.Path
        Output path without suffix.
    title : str, optional
        Figure title; should name the scenario.
    by : str, default "strategy"
        One pair of bars per value of this column.
    facet : str or bool, optional
        One row of panels per value of this column; default the one other varied design
        parameter (e.g. ``immigrant_share``) if there is exactly one with 2-8 values.
    where : mapping, optional
        Keep only rows with these values (see :func:`plot_sweep_1d`).
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    A segment that does not exist in a run (``immigrant_share`` 0 or 1) has no customers
    and would show as a misleading 0; with an ``immigrant_share`` column such values are
    set to NaN (shown as "none" under the bar).
    """
    cols = [c for _, nat, imm, _ in SEGMENT_PANELS for c in (nat, imm)]
    _check_columns(ts_or_summary, [by, *cols], "data")
    df = _select(ts_or_summary, where, "data")
    week = None
    if "step" in df.columns:
        week = int(df["step"].max())
        df = df[df["step"] == week]
    df = df.copy()
    if "immigrant_share" in df.columns:
        share = pd.to_numeric(df["immigrant_share"], errors="coerce")
        for _, nat, imm, _ in SEGMENT_PANELS:
            df.loc[share <= 0, imm] = np.nan
            df.loc[share >= 1, nat] = np.nan
    gaps = []
    for name, nat, imm, _ in SEGMENT_PANELS:
        df[f"_gap_{name}"] = _finite(df[nat].to_numpy()) - _finite(df[imm].to_numpy())
        gaps.append(f"_gap_{name}")
    facet_col = _auto_facet(df, [by], facet)
    facets = order_groups(df[facet_col].tolist()) if facet_col else [None]
    keys = ([facet_col] if facet_col else []) + [by]
    table = summarise(df, keys, [*cols, *gaps], confidence=confidence).set_index(keys)
    groups = order_groups(df[by].tolist())
    styles = group_styles(groups)
    panel_w = max(3.2, 0.85 * len(groups) + 1.0)
    nrows = len(facets)
    pct = f"{100 * confidence:g}"
    with plt.rc_context({**STYLE, "hatch.linewidth": 0.8}):
        fig, axes = plt.subplots(
            nrows, 2, figsize=(2 * panel_w + 0.4, 3.2 * nrows + 1.3),
            layout="constrained", squeeze=False, sharex=True,
        )
        for r, f in enumerate(facets):
            for c, (name, nat, imm, ylabel) in enumerate(SEGMENT_PANELS):
                ax = axes[r][c]
                top = 0.0
                for i, g in enumerate(groups):
                    key = g if f is None else (f, g)
                    st = styles[g]
                    if key not in table.index:
                        continue
                    row = table.loc[key]
                    for dx, col, hatch in ((-0.19, nat, None), (0.19, imm, "////")):
                        m, n = row[f"{col}_mean"], int(row[f"{col}_n"])
                        if not np.isfinite(m):
                            ax.text(i + dx, 0.01, "none", ha="center", va="bottom", fontsize=6.5,
                                    color="#777777", rotation=90)
                            continue
                        err = [[m - row[f"{col}_lo"]], [row[f"{col}_hi"] - m]] if n >= 2 else None
                        ax.bar(i + dx, m, 0.36, color=st["color"] if hatch is None else "white",
                               edgecolor=st["color"], hatch=hatch, linewidth=1.2, zorder=2)
                        ax.errorbar([i + dx], [m], yerr=err, fmt="none", ecolor="#111111",
                                    elinewidth=1.2, capsize=3, zorder=3)
                        top = max(top, float(row[f"{col}_hi"]) if n >= 2 else m)
                    gm, gn = row[f"_gap_{name}_mean"], int(row[f"_gap_{name}_n"])
                    if np.isfinite(gm):
                        gh = row[f"_gap_{name}_hi"] - gm if gn >= 2 else np.nan
                        if abs(gm) < 5e-4 and not (gh >= 5e-4):
                            text = "\u0394 0"
                        else:
                            text = f"\u0394 {gm:+.3f}".replace("-", "\u2212")
                            if np.isfinite(gh):
                                text += f"\n\u00b1{gh:.3f}"
                        ax.annotate(text, xy=(i, 1.0), xycoords=("data", "axes fraction"),
                                    ha="center", va="top", fontsize=7, color="#333333")
                ax.set_ylim(0, max(top, 1e-9) * 1.32 + 1e-9)
                ticks = ax.get_yticks()
                ax.set_yticks(ticks[(ticks >= 0) & (ticks <= max(top, 1e-9) * 1.06)])
                ax.set_xticks(range(len(groups)), [str(g) for g in groups])
                ax.set_xlim(-0.6, len(groups) - 0.4)
                ax.grid(axis="x", visible=False)
                ax.set_ylabel(_wrap(ylabel, 30), fontsize=8.5)
                head = f"{name}" + (f", {facet_col.replace('_', ' ')} = {_fmt_tick(f)}" if f is not None else "")
                ax.set_title(head, loc="left", fontweight="bold")
        handles = [
            matplotlib.patches.Patch(facecolor="#777777", edgecolor="#777777", label="digital natives"),
            matplotlib.patches.Patch(facecolor="white", edgecolor="#777777", hatch="////",
                                     label="digital immigrants"),
        ]
        fig.legend(handles=handles, loc="outside upper right", ncols=2, frameon=False)
        if title is None:
            title = f"Digital natives vs. immigrants by {by}"
        if week is not None:
            title += f" (week {week})"
        _title(fig, title)
        _footer(
            fig,
            [
                (f"bar: mean over runs; black bar: {pct} % t-confidence interval "
                 f"({_n_text(table[f'{cols[0]}_n'].to_numpy(), 'bar')}); \u0394: gap natives "
                 f"\u2212 immigrants, mean \u00b1 half-width of its {pct} % interval, paired within runs"),
                _pooled_note(df, keys),
            ],
        )
        return save_figure(fig, path_stem)


# ------------------------------------------------------------------------- sensitivity


def plot_indices(table: pd.DataFrame, path_stem: str | Path, metric: str, title: str) -> list[Path]:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices with 95 % CIs, one panel per strategy.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`simulation.research.sensitivity.analyse` output: columns ``strategy``, ``combo``,
        ``parameter`` and either ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (Sobol) or
        ``mu_star``, ``mu_star_conf``, ``sigma`` (Morris).
    path_stem : str or pathlib.Path
        Output path without suffix.
    metric : str
        The analysed metric (for the axis label).
    title : str
        Figure title; should name the experiment.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    Parameters are sorted by their total (or mu*) index, largest on top. Several grid
    combinations (``combo``) get one row of panels each. Sobol estimates can fall below
    0 or above 1 by sampling error; the bars show the estimate as it is, with its CI.
    """
    sobol = "S1" in table.columns
    need = ["strategy", "parameter", *(("S1", "S1_conf", "ST", "ST_conf") if sobol else ("mu_star", "mu_star_conf", "sigma"))]
    _check_columns(table, need, "table")
    if table.empty:
        raise ValueError("the sensitivity table is empty: nothing to plot")
    table = table.copy()
    if "combo" not in table.columns:
        table["combo"] = 0
    strategies = order_groups(table["strategy"].tolist())
    combos = sorted(table["combo"].unique())
    main = "ST" if sobol else "mu_star"
    order = table.groupby("parameter", sort=False)[main].mean().sort_values().index.tolist()
    ypos = {p: i for i, p in enumerate(order)}
    styles = group_styles(strategies)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(combos), len(strategies),
            figsize=(max(4.8, 3.8 * len(strategies)) + 0.6, 0.32 * len(order) * len(combos) + 1.4 * len(combos) + 1.0),
            layout="constrained", squeeze=False, sharey=True, sharex=True,
        )
        for r, combo in enumerate(combos):
            for c, strategy in enumerate(strategies):
                ax = axes[r][c]
                t = table[(table["strategy"] == strategy) & (table["combo"] == combo)]
                y = np.array([ypos[p] for p in t["parameter"]], dtype=float)
                colour = styles[strategy]["color"]

                def conf(col, t=t):
                    return np.nan_to_num(t[col].to_numpy(dtype=float), nan=0.0).clip(min=0)

                if sobol:
                    ax.barh(y + 0.2, t["ST"], 0.38, xerr=conf("ST_conf"), color=colour,
                            error_kw={"elinewidth": 1.0, "capsize": 2.5}, label="total (ST)")
                    ax.barh(y - 0.2, t["S1"], 0.38, xerr=conf("S1_conf"), color="white", edgecolor=colour,
                            hatch="////", linewidth=1.0, error_kw={"elinewidth": 1.0, "capsize": 2.5},
                            label="first order (S1)")
                    ax.set_xlabel(_wrap(f"Sobol index of final {metric_label(metric)}", 60))
                else:
                    ax.barh(y, t["mu_star"], 0.6, xerr=conf("mu_star_conf"), color=colour,
                            error_kw={"elinewidth": 1.0, "capsize": 2.5}, label="mu* (mean |effect|)")
                    ax.plot(t["sigma"], y, "D", color="black", ms=4, label="sigma (interactions)")
                    ax.set_xlabel(_wrap(f"Morris elementary effect on final {metric_label(metric)}", 60))
                ax.set_yticks(range(len(order)), [p.replace("_", " ") for p in order])
                ax.axvline(0, color="0.45", lw=0.8)
                ax.grid(axis="y", visible=False)
                head = f"strategy: {strategy}" + (f", combination {combo}" if len(combos) > 1 else "")
                ax.set_title(head, loc="left", fontweight="bold")
        axes[0][-1].legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="none")
        _title(fig, title)
        _footer(fig, ["bars: index estimate; whiskers: 95 % bootstrap confidence interval (SALib)"])
        return save_figure(fig, path_stem)
