"""Metrics over the weeks: mean line and confidence band per group.

:func:`timeseries_table` computes the means and confidence intervals (one
:func:`simulation.research.stats.summarise` call, never a loop over runs),
:func:`draw_timeseries` draws one metric of that table onto an axis, and
:func:`plot_timeseries` / :func:`plot_small_multiples` make and save the figures.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> ts = pd.DataFrame([
...     {"strategy": s, "replicate": r, "seed": r, "step": t,
...      "awareness": min(1.0, (0.05 + 0.03 * k) * t + 0.01 * r)}
...     for k, s in enumerate(["none", "dialogue"]) for r in range(3) for t in range(11)])
>>> t = timeseries_table(ts, "awareness")
>>> row = t[(t["strategy"] == "none") & (t["step"] == 1)]
>>> round(float(row["awareness_mean"].iloc[0]), 6), int(row["awareness_n"].iloc[0])
(0.06, 3)
>>> out = pathlib.Path(tempfile.mkdtemp()) / "awareness"
>>> [p.suffix for p in plot_timeseries(ts, "awareness", out, title="demo")]
['.png', '.svg']
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import (
    as_list,
    check_columns,
    n_replicates_note,
    pct,
)
from simulation.outputs.figures.style import (
    CI_NOTE,
    DEFAULT_PANELS,
    METRIC_LABELS,
    STYLE,
    fig_note,
    group_styles,
    legend_handles,
    metric_label,
    new_axis,
    save_figure,
    wrap,
    wrap_lines,
    zero_line,
)
from simulation.research.stats import summarise

__all__ = ["draw_timeseries", "plot_small_multiples", "plot_timeseries", "timeseries_table"]


def timeseries_table(
    ts: pd.DataFrame, metrics: str | Sequence[str], by: str = "strategy", confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and confidence interval (inside the metric's range) of each metric per group and week.

    Parameters
    ----------
    ts : pandas.DataFrame
        Tidy timeseries: columns ``by``, ``step`` and the metrics, one row per
        (group, replicate, step).
    metrics : str or sequence of str
        The metric column(s).
    by : str, default "strategy"
        Grouping column.
    confidence : float, default 0.95
        Level of the interval (:func:`simulation.research.stats.interval`).

    Returns
    -------
    pandas.DataFrame
        :func:`simulation.research.stats.summarise` over ``[by, "step"]``: columns
        ``by``, ``step`` and ``<metric>_mean``, ``_lo``, ``_hi``, ``_n`` per metric,
        sorted by group and week.
    """
    metrics = as_list(metrics)
    check_columns(ts, [by, "step", *metrics], "timeseries")
    table = summarise(ts, [by, "step"], metrics, confidence=confidence)
    return table.sort_values([by, "step"], kind="stable")


def draw_timeseries(
    ax,
    table: pd.DataFrame,
    metric: str,
    by: str = "strategy",
    styles: dict[Hashable, dict[str, object]] | None = None,
    *,
    label_width: int = 38,
    label_size: float | None = None,
):
    """Draw mean lines and bands of one metric of a :func:`timeseries_table`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : pandas.DataFrame
        Output of :func:`timeseries_table` that holds ``metric``.
    metric : str
        The metric to draw.
    by : str, default "strategy"
        The grouping column of ``table``.
    styles : dict, optional
        Style per group (default :func:`~simulation.outputs.figures.style.group_styles`
        of the groups in the table); groups without any finite value are named as
        "no data" in the top right corner.
    label_width : int, default 38
        Characters per line of the y label.
    label_size : float, optional
        Font size of the y label.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    if styles is None:
        styles = group_styles(table[by].tolist())
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (7.6, 4.3))
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
                    color=st["color"], alpha=0.18, linewidth=0, zorder=2,
                )
            # Markers every ~1/8 of the series, staggered per group so they don't overlap.
            every = max(1, len(x) // 8)
            start = (k * every) // n_groups
            ax.plot(
                x, y, color=st["color"], linestyle=st["linestyle"], marker=st["marker"], markersize=4.5,
                markevery=(min(start, max(len(x) - 1, 0)), every), label=str(value), zorder=3,
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
        zero_line(ax)
        size = {} if label_size is None else {"fontsize": label_size}
        ax.set_ylabel(wrap(metric_label(metric), label_width), **size)
    return ax


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
        Column to plot; its y label comes from
        :data:`~simulation.outputs.figures.style.METRIC_LABELS`.
    path_stem : str or pathlib.Path
        Output path without suffix (``.png`` and ``.svg`` are written).
    by : str, default "strategy"
        Grouping column; strategies are drawn in the model's order.
    title : str, optional
        Figure title, ideally naming the scenario; default built from the metric.
    confidence : float, default 0.95
        Level of the band (computed by :func:`simulation.research.stats.summarise`).
        Steps of a group with a single finite value get no band.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.
    """
    table = timeseries_table(ts, metric, by, confidence)
    styles = group_styles(table[by].tolist())
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.6, 4.3), layout="constrained")
        draw_timeseries(ax, table, metric, by, styles)
        fig.suptitle(wrap_lines(title or f"{metric_label(metric)} by {by}", 75), x=0.01, ha="left", fontsize=11.5)
        if styles:
            ax.legend(handles=legend_handles(styles), title=by, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      frameon=False, handlelength=3.2)
        fig_note(fig, CI_NOTE.format(pct=pct(confidence)) + f" ({n_replicates_note(ts, by)})")
        return save_figure(fig, path_stem)


def _default_ncols(n_panels: int) -> int:
    return 2 if n_panels == 4 else min(3, n_panels)


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
    metrics : sequence of str, default ``DEFAULT_PANELS``
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
    metrics = as_list(metrics)
    table = timeseries_table(ts, metrics, by, confidence)
    styles = group_styles(table[by].tolist())
    ncols = int(ncols) if ncols else _default_ncols(len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.9 * ncols, 2.9 * nrows + 0.9), layout="constrained",
                                 sharex=True, squeeze=False)
        flat = axes.ravel()
        for ax, metric in zip(flat, metrics):
            draw_timeseries(ax, table, metric, by, styles, label_width=30, label_size=8.5)
            ax.set_title(metric.replace("_", " "), loc="left", fontweight="bold")
        for ax in flat[len(metrics):]:
            ax.set_visible(False)
        # x labels only on the bottom visible panel of each column
        for i, ax in enumerate(flat[: len(metrics)]):
            if i + ncols < len(metrics):
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
            else:
                ax.tick_params(labelbottom=True)
        if title is None:
            title = f"Scenario overview by {by}"
        fig.suptitle(wrap_lines(title, 110), x=0.01, ha="left", fontsize=11.5)
        if styles:
            fig.legend(
                handles=legend_handles(styles),
                title=f"{by}    ({CI_NOTE.format(pct=pct(confidence))}, {n_replicates_note(ts, by)})",
                loc="outside lower center", ncols=min(len(styles), 6), frameon=False, handlelength=3.2,
            )
        return save_figure(fig, path_stem)
