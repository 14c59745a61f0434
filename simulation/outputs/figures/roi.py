"""The firm's ROI estimate against the true incremental ROI: one point per run, one panel per scenario.

Computed, then drawn: :func:`roi_estimate_table` compares the runs
(:func:`simulation.research.roi.roi_comparison`: bias, spread, coverage per group),
:func:`draw_roi_estimate` draws one panel onto an axis and :func:`plot_roi_estimate` lays out
the panels and saves the figure. On the diagonal the firm's estimate is right; below it, the
firm underestimates what its marketing returns.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import check_columns, pct
from simulation.outputs.figures.style import (
    STYLE,
    fig_footer,
    fig_title,
    fmt_tick,
    group_styles,
    new_axis,
    save_figure,
)
from simulation.research.roi import roi_comparison

__all__ = ["RoiEstimateTable", "draw_roi_estimate", "plot_roi_estimate", "roi_estimate_table"]

_RUN_COLUMNS = ("strategy", "incremental_roi", "estimated_roi", "estimated_roi_lo", "estimated_roi_hi", "carryover")


@dataclass(frozen=True)
class RoiEstimateTable:
    """Runs and per-group comparison of the firm's estimate with the truth.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run with a finite estimate and truth.
    comparison : pandas.DataFrame
        :func:`simulation.research.roi.roi_comparison` by ``[facet, size, "strategy"]``.
    facet, size : str or None
        Panel column and the column shown by marker size (e.g. ``budget``).
    facets : list
        Panels in drawing order (``[None]`` without panels).
    """

    runs: pd.DataFrame
    comparison: pd.DataFrame
    facet: str | None
    size: str | None
    facets: list


def roi_estimate_table(runs: pd.DataFrame, facet: str | None = None, size: str | None = None,
                       confidence: float = 0.95) -> RoiEstimateTable:
    """Compare estimate and truth per (facet, size, strategy); runs without both are left out."""
    check_columns(runs, list(_RUN_COLUMNS) + [c for c in (facet, size) if c], "runs")
    ok = runs[np.isfinite(runs["estimated_roi"]) & np.isfinite(runs["incremental_roi"])].reset_index(drop=True)
    keys = [c for c in (facet, size) if c] + ["strategy"]
    comparison = roi_comparison(ok, keys, confidence)
    facets = list(dict.fromkeys(ok[facet])) if facet else [None]
    return RoiEstimateTable(ok, comparison, facet, size, facets)


def draw_roi_estimate(ax, table: RoiEstimateTable, facet_value: Hashable = None,
                      styles: dict[Hashable, dict[str, object]] | None = None):
    """One panel: runs (small), group means with the intervals of both means (large), diagonal.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : RoiEstimateTable
        Output of :func:`roi_estimate_table`.
    facet_value : optional
        The panel (a value of ``table.facet``); None without panels.
    styles : dict, optional
        Style per strategy.

    Returns
    -------
    matplotlib.axes.Axes
    """
    runs, comp = table.runs, table.comparison
    if table.facet is not None:
        runs = runs[runs[table.facet] == facet_value]
        comp = comp[comp[table.facet] == facet_value]
    styles = styles if styles is not None else group_styles(table.runs["strategy"])
    sizes = sorted(table.runs[table.size].unique()) if table.size else [None]
    marker_size = {v: 14 + 22 * i for i, v in enumerate(sizes)}
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (5.4, 4.8))
        for _, r in comp.iterrows():
            st = styles[r["strategy"]]
            sel = runs["strategy"] == r["strategy"]
            if table.size:
                sel &= runs[table.size] == r[table.size]
            ax.scatter(runs.loc[sel, "incremental_roi"], runs.loc[sel, "estimated_roi"], s=10, color=st["color"],
                       marker=st["marker"], alpha=0.35, linewidths=0, zorder=3)
            x, y = float(r["incremental_roi"]), float(r["estimated_roi"])
            xerr = [[x - r["incremental_roi_lo"]], [r["incremental_roi_hi"] - x]] if r["n"] >= 2 else None
            yerr = [[y - r["estimated_roi_lo"]], [r["estimated_roi_hi"] - y]] if r["n"] >= 2 else None
            ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt=st["marker"], color=st["color"],
                        markeredgecolor="black", markeredgewidth=0.7,
                        markersize=math.sqrt(marker_size[r[table.size]] if table.size else 30) + 3,
                        ecolor="#222222", elinewidth=1.0, capsize=2.5, zorder=5)
        # the runs and the intervals of the means decide the (square) range
        ends = np.concatenate([runs[["incremental_roi", "estimated_roi"]].to_numpy(float).ravel(),
                               comp[["incremental_roi_lo", "incremental_roi_hi", "estimated_roi_lo",
                                     "estimated_roi_hi"]].to_numpy(float).ravel()])
        ends = ends[np.isfinite(ends)]
        lo, hi = (float(ends.min()), float(ends.max())) if ends.size else (-1.0, 1.0)
        pad = 0.05 * (hi - lo or 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#555555", linewidth=0.9,
                linestyle=(0, (4, 2)), zorder=1)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("true incremental ROI (vs. none, same seed)")
        ax.set_ylabel("firm's estimate (marketing-mix regression)")
        if facet_value is not None:
            ax.set_title(f"{table.facet.replace('_', ' ')} = {fmt_tick(facet_value)}", loc="left",
                         fontweight="bold")
        handles = [plt.Line2D([], [], color=st["color"], marker=st["marker"], linestyle="", label=str(s))
                   for s, st in styles.items() if s in set(comp["strategy"])]
        if table.size:
            handles += [plt.Line2D([], [], color="#777777", marker="o", linestyle="",
                                   markersize=math.sqrt(marker_size[v]) + 1, label=f"{table.size} {fmt_tick(v)}")
                        for v in sizes]
        if handles:
            ax.legend(handles=handles, fontsize=7.5, loc="upper left", frameon=False)
    return ax


def plot_roi_estimate(runs: pd.DataFrame, path_stem: str | Path, title: str | None = None, *,
                      facet: str | None = None, size: str | None = None, confidence: float = 0.95) -> list[Path]:
    """True vs. estimated ROI, one panel per value of ``facet``; returns the PNG and SVG paths.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run: ``strategy``, ``incremental_roi`` (truth), ``estimated_roi`` with
        ``_lo`` and ``_hi`` (:func:`simulation.research.roi.firm_estimates`), and ``facet`` / ``size``.
    path_stem : str or pathlib.Path
        Output path without suffix.
    title : str, optional
        Figure title.
    facet, size : str, optional
        Panel column (e.g. ``scenario``) and marker-size column (e.g. ``budget``).
    confidence : float, default 0.95
        Level of the intervals of the means.
    """
    table = roi_estimate_table(runs, facet, size, confidence)
    styles = group_styles(table.runs["strategy"])
    n = len(table.facets)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, n, figsize=(5.0 * n + 0.4, 5.6), layout="constrained", squeeze=False)
        for ax, f in zip(axes.ravel(), table.facets):
            draw_roi_estimate(ax, table, f, styles)
        fig_title(fig, title or "The firm's ROI estimate against the true incremental ROI")
        fig_footer(fig, [
            "small points: single runs; large point and bars: mean over runs of each strategy (and "
            f"{size or 'design point'}) with the {pct(confidence)} % t-intervals of the mean truth (horizontal) "
            "and of the mean estimate (vertical)",
            "dashed: estimate = truth; below it the firm underestimates what its marketing returns",
        ])
        return save_figure(fig, path_stem)

