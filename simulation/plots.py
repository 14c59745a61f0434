"""Figures of womsim: one consistent, colour-blind safe style for every plot.

Every figure is written twice by :func:`save_figure`, as PNG (150 dpi) and as SVG.
Strategies always get the same colour (Okabe-Ito palette), line style and marker, so
a figure stays readable in greyscale and colours mean the same thing across figures.
Means and confidence intervals come from :func:`simulation.stats.summarise`, i.e. from
one aggregated table, never from a loop over runs.

Functions
---------
plot_timeseries
    Mean line and 95 % CI band per group over the weeks, one metric.
plot_small_multiples
    A grid of timeseries panels with one shared legend.
plot_final
    Final values: per group the mean with its 95 % CI and the replicate points.

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
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .stats import summarise  # noqa: E402

__all__ = [
    "DEFAULT_PANELS",
    "METRIC_LABELS",
    "OKABE_ITO",
    "STRATEGY_COLORS",
    "STRATEGY_ORDER",
    "STRATEGY_STYLES",
    "STYLE",
    "group_styles",
    "metric_label",
    "order_groups",
    "plot_final",
    "plot_small_multiples",
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
                label=str(value),
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
        Level of the Student-t band (computed by :func:`simulation.stats.summarise`).
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
