"""Values at the last week per strategy: final values and incremental-ROI distributions.

Each figure is computed, then drawn: :func:`final_table` and
:func:`incremental_roi_table` aggregate (with :func:`simulation.research.stats.summarise`),
:func:`draw_final` and :func:`draw_incremental_roi` draw one panel onto an axis, and
:func:`plot_final` / :func:`plot_incremental_roi` make and save the figures. The replicate
points are jittered deterministically (``numpy.random.default_rng(0)``, one stream per
panel), so the same data always give the same picture.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.transforms
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import (
    as_list,
    auto_facet,
    check_columns,
    finite,
    fmt_value,
    n_range,
    n_replicates_note,
    pct,
    pooled_note,
    select,
)
from simulation.outputs.figures.style import (
    CI_KIND,
    STYLE,
    axis_label,
    fig_footer,
    fig_note,
    fig_title,
    fmt_tick,
    group_styles,
    metric_label,
    new_axis,
    order_groups,
    save_figure,
    wrap,
    wrap_lines,
    zero_line,
)
from simulation.research.stats import summarise
from simulation.research.summaries import incremental_roi

__all__ = [
    "RoiTable", "draw_final", "draw_incremental_roi", "final_table", "incremental_roi_table", "plot_final",
    "plot_incremental_roi",
]


def _na(ax, x0: float) -> None:
    """'n/a' at the foot of a group without any finite value."""
    ax.text(x0, 0.04, "n/a", transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8,
            color="#777777")


# -------------------------------------------------------------------------- final values


def final_table(
    summary: pd.DataFrame, metrics: str | Sequence[str], by: str = "strategy", confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and confidence interval of each metric per group, with the replicate values.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per (group, replicate) with the final value of each metric.
    metrics : str or sequence of str
        The metric column(s).
    by : str, default "strategy"
        Grouping column.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group in drawing order: ``by``, then per metric ``<metric>_mean``,
        ``_lo``, ``_hi``, ``_n`` (:func:`simulation.research.stats.summarise`) and
        ``<metric>_values``, the replicate values as an array (NaN kept).
    """
    metrics = as_list(metrics)
    check_columns(summary, [by, *metrics], "summary")
    table = summarise(summary, by, metrics, confidence=confidence)
    groups = order_groups(table[by].tolist())
    table = table.set_index(by).reindex(groups)
    grp = summary.groupby(by, observed=True, sort=False)
    for m in metrics:
        values = [pd.to_numeric(grp.get_group(g)[m], errors="coerce").to_numpy(float) for g in groups]
        table[f"{m}_values"] = pd.Series(values, index=table.index, dtype=object)
    return table.reset_index()


def _rotate_ticks(groups: Sequence[Hashable], panel_w: float) -> bool:
    # ~0.075 in per tick-label character at 8.5 pt; rotate only if labels would collide
    label_len = max((len(str(g)) for g in groups), default=1)
    return label_len * 0.075 > 0.85 * (panel_w - 0.9) / max(len(groups), 1)


def _final_panel_width(n_groups: int) -> float:
    return max(2.6, 0.55 * n_groups + 1.2)


def draw_final(ax, table: pd.DataFrame, metric: str, by: str = "strategy",
               styles: dict[Hashable, dict[str, object]] | None = None, rotate: bool | None = None):
    """Draw one metric of a :func:`final_table`: replicate points, mean and interval.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : pandas.DataFrame
        Output of :func:`final_table` that holds ``metric``.
    metric : str
        The metric to draw.
    by : str, default "strategy"
        The grouping column of ``table``.
    styles : dict, optional
        Style per group; default from the groups of the table.
    rotate : bool, optional
        Rotate the group labels; default when they would collide.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    groups = table[by].tolist()
    styles = styles if styles is not None else group_styles(groups)
    panel_w = _final_panel_width(len(groups))
    rotate = _rotate_ticks(groups, panel_w) if rotate is None else rotate
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (panel_w + 0.4, 3.9))
        rng = np.random.default_rng(0)
        for x0, (_, row) in enumerate(table.iterrows()):
            st = styles[row[by]]
            vals = np.asarray(row[f"{metric}_values"], dtype=float)
            jitter = rng.uniform(-0.11, 0.11, size=vals.size)
            ok = np.isfinite(vals)
            if ok.any():
                ax.scatter(x0 - 0.14 + jitter[ok], vals[ok], s=16, color=st["color"], marker=st["marker"],
                           alpha=0.55, linewidths=0, zorder=3)
            m, n = float(row[f"{metric}_mean"]), int(row[f"{metric}_n"])
            if not math.isfinite(m):
                _na(ax, x0)
                continue
            lo, hi = float(row[f"{metric}_lo"]), float(row[f"{metric}_hi"])
            ax.errorbar([x0 + 0.16], [m], yerr=[[m - lo], [hi - m]] if n >= 2 else None, fmt=st["marker"],
                        color=st["color"], markeredgecolor="black", markeredgewidth=0.7, markersize=7,
                        ecolor="#222222", elinewidth=1.4, capsize=3.5, zorder=4)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([str(g) for g in groups], rotation=30 if rotate else 0,
                           ha="right" if rotate else "center", rotation_mode="anchor" if rotate else "default")
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_title(metric.replace("_", " "), loc="left", fontweight="bold")
        ax.set_ylabel(wrap(metric_label(metric), 30), fontsize=8.5)
        zero_line(ax)
    return ax


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
        Grouping column; strategies are drawn in the model's order.
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
    """
    metrics = as_list(metrics)
    table = final_table(summary, metrics, by, confidence)
    groups = table[by].tolist()
    styles = group_styles(groups)
    ncols = int(ncols) if ncols else (2 if len(metrics) == 4 else min(3, len(metrics)))
    nrows = math.ceil(len(metrics) / ncols)
    panel_w = _final_panel_width(len(groups))
    rotate = _rotate_ticks(groups, panel_w)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, layout="constrained", squeeze=False,
                                 figsize=(panel_w * ncols + 0.4, 3.1 * nrows + 0.8 + (0.4 if rotate else 0)))
        flat = axes.ravel()
        for ax, metric in zip(flat, metrics):
            draw_final(ax, table, metric, by, styles, rotate)
        for ax in flat[len(metrics):]:
            ax.set_visible(False)
        if title is None:
            title = f"Final values by {by}"
        fig.suptitle(wrap_lines(title, 110), x=0.01, ha="left", fontsize=11.5)
        fig_note(fig, "small points: replicates; large point and bar: mean and "
                      + CI_KIND.format(pct=pct(confidence)) + f" ({n_replicates_note(summary, by)})")
        return save_figure(fig, path_stem)


# ------------------------------------------------------------------------ incremental ROI


@dataclass(frozen=True)
class RoiTable:
    """Incremental ROI per group (and facet), from :func:`incremental_roi_table`.

    Attributes
    ----------
    stats : pandas.DataFrame
        Indexed by ``[facet, by]`` (or ``by``): ``incremental_roi_mean``, ``_lo``,
        ``_hi``, ``_n`` and ``incremental_roi_values`` (the finite run values).
    by, facet : str, str or None
        Group column and panel column.
    groups, facets : list
        Groups and panels in drawing order (``facets`` is ``[None]`` without panels).
    caption : str
        How wide the intervals are and how far single runs spread.
    n_dropped : int
        Runs without a finite incremental ROI.
    pooled : str
        Footnote naming the design columns pooled into the means.
    """

    stats: pd.DataFrame
    by: str
    facet: str | None
    groups: list
    facets: list
    caption: str
    n_dropped: int
    pooled: str


def incremental_roi_table(
    summary: pd.DataFrame,
    by: str = "strategy",
    facet: str | bool | None = None,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    baseline: str = "none",
) -> RoiTable:
    """Mean and t-interval of the incremental ROI per group (and facet), with the runs.

    Parameters are those of :func:`plot_incremental_roi`. Without an
    ``incremental_roi`` column it is computed by
    :func:`simulation.research.summaries.incremental_roi` (paired on seed with the
    baseline); runs of the ``baseline`` strategy are left out.
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame, got {type(summary).__name__}")
    if "incremental_roi" not in summary.columns:
        check_columns(summary, ["strategy", "seed", "profit", "spend"], "summary")
        summary = summary.assign(incremental_roi=incremental_roi(summary, baseline))
    check_columns(summary, [by, "incremental_roi"], "summary")
    df = select(summary, where, "summary")
    if "strategy" in df.columns:
        df = df[df["strategy"] != baseline]
    if df.empty:
        raise ValueError(f"summary has only runs of the baseline '{baseline}': no incremental ROI")
    df = df.assign(incremental_roi=finite(df["incremental_roi"].to_numpy()))
    facet_col = auto_facet(df, [by], facet)
    keys = ([facet_col] if facet_col else []) + [by]
    stats = summarise(df, keys, "incremental_roi", confidence=confidence).set_index(keys)
    grouped = df.groupby(keys if len(keys) > 1 else keys[0], sort=False, observed=True)["incremental_roi"]
    values = {k: v.dropna().to_numpy() for k, v in grouped}
    stats["incremental_roi_values"] = pd.Series([values.get(k, np.array([])) for k in stats.index],
                                                index=stats.index, dtype=object)
    widths = (stats["incremental_roi_hi"] - stats["incremental_roi_lo"]).to_numpy(dtype=float)
    widths = widths[(stats["incremental_roi_n"].to_numpy() >= 2) & np.isfinite(widths)]
    allv = df["incremental_roi"].dropna().to_numpy()
    per = by.replace("_", " ") + (f" and {facet_col.replace('_', ' ')}" if facet_col else "")
    if widths.size:
        w = (f"{fmt_value(widths.min())} to {fmt_value(widths.max())} wide"
             if widths.size > 1 and not np.isclose(widths.min(), widths.max())
             else f"{fmt_value(widths.max())} wide")
        caption = (f"Why ROI is hard to compute: the {pct(confidence)} % CI of the mean incremental ROI is {w} "
                   f"(n = {n_range(stats['incremental_roi_n'])} runs per {per}); single runs range "
                   f"from {fmt_value(allv.min())} to {fmt_value(allv.max())}.")
    elif allv.size:
        caption = ("Why ROI is hard to compute: one run per group, so the spread between runs, "
                   "and with it the uncertainty of the mean, cannot be estimated.")
    else:
        caption = "No finite incremental ROI (no paired baseline run, or nothing spent)."
    return RoiTable(stats, by, facet_col, order_groups(df[by].tolist()),
                    order_groups(df[facet_col].tolist()) if facet_col else [None], caption,
                    int(df["incremental_roi"].isna().sum()), pooled_note(df, keys))


def _roi_panel_width(n_groups: int) -> float:
    return max(3.0, 0.7 * n_groups + 1.1)


def _break_even(ax) -> None:
    lo, hi = ax.get_ylim()
    if lo < 0 < hi:
        ax.axhline(0.0, color="#555555", linewidth=0.9, linestyle=(0, (4, 2)), zorder=1)


def draw_incremental_roi(ax, table: RoiTable, facet_value: Hashable = None,
                         styles: dict[Hashable, dict[str, object]] | None = None, *, break_even: bool = True):
    """Draw one panel of a :class:`RoiTable`: violin, runs, mean and interval per group.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : RoiTable
        Output of :func:`incremental_roi_table`.
    facet_value : optional
        The panel (a value of ``table.facet``); None without panels.
    styles : dict, optional
        Style per group; default from ``table.groups``.
    break_even : bool, default True
        Draw the dashed break-even line at 0 now; panels sharing a y axis draw it once
        all of them are drawn (the shared range is known only then).

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    groups, stats = table.groups, table.stats
    styles = styles if styles is not None else group_styles(groups)
    panel_w = _roi_panel_width(len(groups))
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (max(panel_w + 0.6, 5.6), 4.6))
        rng = np.random.default_rng(0)
        for x0, g in enumerate(groups):
            key = g if facet_value is None else (facet_value, g)
            st = styles[g]
            known = key in stats.index
            v = stats.at[key, "incremental_roi_values"] if known else np.array([])
            if v.size >= 2 and np.ptp(v) > 0:
                parts = ax.violinplot([v], positions=[x0], widths=0.8, showextrema=False)
                for body in parts["bodies"]:
                    body.set_facecolor(st["color"])
                    body.set_edgecolor(st["color"])
                    body.set_alpha(0.28)
                    body.set_linewidth(0.8)
            if v.size:
                ax.scatter(x0 - 0.2 + rng.uniform(-0.07, 0.07, v.size), v, s=14 if v.size <= 60 else 5,
                           color=st["color"], marker=st["marker"], alpha=0.7 if v.size <= 60 else 0.3,
                           linewidths=0, zorder=3)
            if not known or not np.isfinite(stats.at[key, "incremental_roi_mean"]):
                _na(ax, x0)
                continue
            m, n = float(stats.at[key, "incremental_roi_mean"]), int(stats.at[key, "incremental_roi_n"])
            lo, hi = float(stats.at[key, "incremental_roi_lo"]), float(stats.at[key, "incremental_roi_hi"])
            ax.errorbar([x0 + 0.14], [m], yerr=[[m - lo], [hi - m]] if n >= 2 else None, fmt=st["marker"],
                        color=st["color"], markeredgecolor="black", markeredgewidth=0.8, markersize=7.5,
                        ecolor="#111111", elinewidth=1.8, capsize=4, zorder=5)
        ax.set_xticks(range(len(groups)), [fmt_tick(g) for g in groups],
                      rotation=30 if len(groups) > 4 and max(len(str(g)) for g in groups) > 7 else 0)
        if table.by != "strategy":
            ax.set_xlabel(wrap(axis_label(table.by), int(panel_w * 13)))
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(wrap(metric_label("incremental_roi"), 30), fontsize=8.5)
        if facet_value is not None:
            ax.set_title(f"{table.facet.replace('_', ' ')} = {fmt_tick(facet_value)}", loc="left",
                         fontweight="bold")
        if break_even:
            _break_even(ax)
    return ax


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
        Keep only rows with these values (see
        :func:`~simulation.outputs.figures.sweeps.plot_sweep_1d`).
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
    table = incremental_roi_table(summary, by, facet, where, confidence, baseline)
    facets, groups = table.facets, table.groups
    styles = group_styles(groups)
    ncols = min(len(facets), 3)
    nrows = math.ceil(len(facets) / ncols)
    fig_w = max(_roi_panel_width(len(groups)) * ncols + 0.6, 5.6)
    cap_lines = textwrap.wrap(table.caption, int(fig_w * 14.5))  # 8.5 pt characters per inch
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
            draw_incremental_roi(ax, table, f, styles, break_even=False)
        for ax in flat[len(facets):]:
            ax.set_visible(False)
        for i, ax in enumerate(flat[: len(facets)]):
            _break_even(ax)
            if i % ncols and sharey:
                ax.set_ylabel("")
                ax.tick_params(labelleft=False)
        fig_title(fig, title if title is not None else f"Incremental ROI by {by.replace('_', ' ')}")
        fig_footer(
            fig,
            [
                (f"violin: distribution over runs; small points: single runs; large point and bar: mean "
                 f"and {pct(confidence)} % t-confidence interval; dashed: break-even (the strategy's extra "
                 f"profit over '{baseline}' on the same seed just pays its spend)"),
                table.pooled,
                f"{table.n_dropped} runs without a finite value left out (no finished '{baseline}' run on "
                "the same seed, or nothing spent)" if table.n_dropped else "",
            ],
        )
        return save_figure(fig, path_stem)
