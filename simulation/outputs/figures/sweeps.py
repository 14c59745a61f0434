"""Final values over a sweep: against one parameter (lines) and over two (heatmaps).

Sweep figures take the tidy ``finals`` table of :func:`simulation.research.store.load`
(one row per run, the varied parameters as columns) and aggregate it with one
``groupby`` per figure, so a 10,000-run sweep plots in seconds. Design points without a
finished run (a sweep still in progress) are left as gaps, and the footnote says how
many; design parameters that vary but are not on an axis are averaged over, and the
footnote names them (select a slice with ``where={"budget": 1.0}``).

:func:`sweep_table` / :func:`heatmap_table` compute, :func:`draw_sweep_1d` /
:func:`draw_heatmap` draw onto an axis, :func:`plot_sweep_1d` / :func:`plot_heatmap`
make and save the figures.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib.cm
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import (
    check_columns,
    match,
    missing_text,
    n_text,
    pct,
    pooled_note,
    select,
)
from simulation.outputs.figures.grids import (
    MISSING_FACE,
    SweepAxis,
    annotate_cells,
    auto_annotate,
    cell_formatter,
    contour_levels,
    fmt_level,
    is_grid,
    labelled_contours,
    missing_background,
    panel_grid,
)
from simulation.outputs.figures.style import (
    CI_KIND,
    STYLE,
    axis_label,
    fig_footer,
    fig_title,
    group_styles,
    legend_handles,
    metric_label,
    new_axis,
    order_groups,
    save_figure,
    wrap,
    zero_line,
)
from simulation.research.stats import summarise

__all__ = [
    "HeatmapTable", "SweepTable", "draw_heatmap", "draw_sweep_1d", "heatmap_table", "plot_heatmap",
    "plot_sweep_1d", "sweep_table",
]

_HEATMAP_RC = {**STYLE, "axes.grid": False}


# -------------------------------------------------------------------------- 1-D sweep


@dataclass(frozen=True)
class SweepTable:
    """Mean and interval per group and ``x`` value, from :func:`sweep_table`.

    Attributes
    ----------
    stats : pandas.DataFrame
        Indexed by every (group, x) of the design, runs or not: ``<metric>_mean``,
        ``_lo``, ``_hi``, ``_n`` (NaN where no run has finished).
    metric, by : str
        The metric and the group column.
    x : SweepAxis
        The horizontal axis.
    groups, empty : list
        Groups drawn, and groups left out for having no finite value at all.
    no_run, nan_only : int
        (group, x) points without a finished run, and with runs but no finite value.
    pooled : str
        Footnote naming the design columns pooled into the means.
    """

    stats: pd.DataFrame
    metric: str
    by: str
    x: SweepAxis
    groups: list
    empty: list
    no_run: int
    nan_only: int
    pooled: str


def sweep_table(
    finals: pd.DataFrame,
    x: str,
    metric: str,
    by: str = "strategy",
    *,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    logx: bool | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> SweepTable:
    """Mean and confidence interval of ``metric`` per group at each value of ``x``.

    Parameters are those of :func:`plot_sweep_1d`.
    """
    check_columns(finals, [x, metric, by], "finals")
    if x == by:
        raise ValueError(f"x and by are both {x!r}: group by another column")
    df = select(finals, where, "finals")
    expected = dict(expected or {})
    xa = SweepAxis(df[x], logx, expected.get(x))
    table = summarise(df, [by, x], metric, confidence=confidence)
    has_value = table.groupby(by, sort=False)[f"{metric}_n"].sum() > 0
    all_groups = order_groups(table[by].tolist() + list(expected.get(by, [])))
    empty = [g for g in all_groups if not has_value.get(g, False)]
    groups = [g for g in all_groups if g not in empty] or empty
    full = pd.MultiIndex.from_product([groups, list(xa.values)], names=[by, x])
    stats = table.set_index([by, x]).reindex(full)
    runs = df.groupby([by, x], observed=True, sort=False).size().reindex(full, fill_value=0).to_numpy()
    n = stats[f"{metric}_n"].fillna(0).to_numpy()
    return SweepTable(stats, metric, by, xa, groups, empty if len(empty) < len(all_groups) else [],
                      int((runs == 0).sum()), int(((runs > 0) & (n == 0)).sum()), pooled_note(df, [x, by]))


def draw_sweep_1d(ax, table: SweepTable, styles: dict[Hashable, dict[str, object]] | None = None,
                  *, legend: bool = True):
    """Draw a :class:`SweepTable`: a line and band per group over a numeric ``x``, points
    with error bars over categories.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : SweepTable
        Output of :func:`sweep_table`.
    styles : dict, optional
        Style per group; default from ``table.groups``.
    legend : bool, default True
        Legend of the groups, right of the axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    xa, by, metric, groups = table.x, table.by, table.metric, table.groups
    styles = styles if styles is not None else group_styles(groups)
    mean_c, lo_c, hi_c, n_c = (f"{metric}_{s}" for s in ("mean", "lo", "hi", "n"))
    npos = len(xa.values)
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (7.6, 4.4))
        for k, g in enumerate(groups):
            st = styles[g]
            sub = table.stats.xs(g, level=by)
            y, lo, hi = (sub[c].to_numpy(dtype=float) for c in (mean_c, lo_c, hi_c))
            band = (sub[n_c].fillna(0).to_numpy() >= 2) & np.isfinite(lo) & np.isfinite(hi)
            if xa.numeric:
                if band.any():
                    ax.fill_between(xa.pos, np.where(band, lo, np.nan), np.where(band, hi, np.nan),
                                    color=st["color"], alpha=0.18, linewidth=0, zorder=2)
                ax.plot(xa.pos, y, color=st["color"], linestyle=st["linestyle"], marker=st["marker"], markersize=5,
                        markevery=1 if npos <= 40 else max(1, npos // 10), zorder=3)
            else:
                dodge = (k - (len(groups) - 1) / 2) * min(0.12, 0.6 / max(len(groups), 1))
                ax.errorbar(xa.pos + dodge, y, yerr=np.where(band, [y - lo, hi - y], np.nan) if band.any() else None,
                            fmt=st["marker"], color=st["color"], markersize=6, elinewidth=1.4, capsize=3, zorder=3)
        xa.decorate(ax, "x", 70)
        if xa.numeric and npos:
            span = float(np.nanmax(xa.pos) - np.nanmin(xa.pos)) or 1.0
            ax.set_xlim(np.nanmin(xa.pos) - 0.03 * span, np.nanmax(xa.pos) + 0.03 * span)
        else:
            ax.set_xlim(-0.5, npos - 0.5)
            ax.grid(axis="x", visible=False)
        ax.set_ylabel(wrap("final " + metric_label(metric), 40))
        zero_line(ax)
        if legend:
            ax.legend(handles=legend_handles(styles), title=by if by == "strategy" else wrap(axis_label(by), 22),
                      loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, handlelength=3.2)
    return ax


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
        Column on the vertical axis (label from
        :data:`~simulation.outputs.figures.style.METRIC_LABELS`).
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
        Level of the band of the mean over runs at each ``x`` (:func:`simulation.research.stats.interval`).
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
    table = sweep_table(finals, x, metric, by, where=where, confidence=confidence, logx=logx, expected=expected)
    numeric = table.x.numeric
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.6, 4.4), layout="constrained")
        draw_sweep_1d(ax, table)
        if title is None:
            title = f"Final {metric.replace('_', ' ')} vs. {x.replace('_', ' ')}, by {by}"
        fig_title(fig, title)
        n = table.stats[f"{metric}_n"].fillna(0).to_numpy()
        empty = table.empty
        fig_footer(
            fig,
            [
                (f"{'line' if numeric else 'point'}: mean over runs at each {x.replace('_', ' ')}; "
                 f"{'band' if numeric else 'bar'}: {CI_KIND.format(pct=pct(confidence))} "
                 f"({n_text(n, 'point')})"),
                table.pooled,
                missing_text(table.no_run, table.nan_only, len(table.stats),
                             f"({by}, {x})".replace("_", " ") + " points"),
                (f"no finite value at all, left out: {by} " + ", ".join(map(str, empty))
                 + (" (e.g. the ROI of the baseline, which spends nothing)" if metric in ("roi", "incremental_roi")
                    else "")) if empty else "",
            ],
        )
        return save_figure(fig, path_stem)


# ------------------------------------------------------------------------ heatmap


@dataclass(frozen=True)
class HeatmapTable:
    """Replicate means per cell (and panel), from :func:`heatmap_table`.

    Attributes
    ----------
    stats : pandas.DataFrame
        :func:`simulation.research.stats.summarise` over ``[panel, y, x]`` (or
        ``[y, x]``): ``<metric>_mean``, ``_lo``, ``_hi``, ``_n``; cells without a run
        have no row.
    metric : str
        The metric.
    x, y : SweepAxis
        The two axes.
    grid : bool
        Grid design (cells) or sampled design (scattered points).
    panel : str or None
        Column with one panel per value (``strategy``), and ``panels`` its values
        (``[None]`` for one panel).
    vmin, vmax : float
        The one colour scale of all panels.
    no_run, nan_only, total : int
        Cells (or points) without a finished run, with runs but no finite value, all.
    pooled : str
        Footnote naming the design columns pooled into the means.
    """

    stats: pd.DataFrame
    metric: str
    x: SweepAxis
    y: SweepAxis
    grid: bool
    panel: str | None
    panels: list
    vmin: float
    vmax: float
    no_run: int
    nan_only: int
    total: int
    pooled: str

    def rows(self, panel: Hashable = None) -> pd.DataFrame:
        """The rows of ``stats`` of one panel."""
        return self.stats if panel is None else self.stats[self.stats[self.panel] == panel]

    def matrix(self, panel: Hashable = None, column: str = "mean") -> np.ndarray:
        """``<metric>_<column>`` of one panel as a (y, x) array over the grid, NaN where
        there is no run."""
        return (self.rows(panel).pivot(index=self.y.name, columns=self.x.name, values=f"{self.metric}_{column}")
                .reindex(index=self.y.values, columns=self.x.values).to_numpy(dtype=float))

    @property
    def scale(self) -> float:
        """Largest magnitude of a cell mean (for the cell labels' decimals)."""
        v = np.abs(self.stats[f"{self.metric}_mean"].to_numpy(dtype=float))
        v = v[np.isfinite(v)]
        return float(v.max()) if v.size else 1.0


def sweep_axes(df: pd.DataFrame, x: str, y: str, gridded: bool | None, logx: bool | None, logy: bool | None,
               expected: Mapping[str, Sequence]) -> tuple[SweepAxis, SweepAxis, bool]:
    """The two axes of a 2-D sweep figure and whether its design is a grid."""
    xa, ya = SweepAxis(df[x], logx, expected.get(x)), SweepAxis(df[y], logy, expected.get(y))
    grid = is_grid(df, xa, ya, gridded)
    if grid:
        xa = SweepAxis(df[x], logx, expected.get(x), cells=True)
        ya = SweepAxis(df[y], logy, expected.get(y), cells=True)
    return xa, ya, grid


def heatmap_table(
    finals: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    strategy: str | Sequence[str] | None = None,
    *,
    where: Mapping[str, object] | None = None,
    gridded: bool | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> HeatmapTable:
    """Replicate mean of ``metric`` per cell of a 2-D sweep, one panel per strategy.

    Parameters are those of :func:`plot_heatmap`.
    """
    check_columns(finals, [x, y, metric], "finals")
    if x == y:
        raise ValueError(f"x and y are both {x!r}")
    df = select(finals, where, "finals")
    panel_col = "strategy" if "strategy" in df.columns and "strategy" not in (x, y) else None
    if strategy is not None:
        if panel_col is None:
            raise ValueError("strategy= needs a 'strategy' column that is not an axis")
        df = df.loc[match(df["strategy"], strategy)]
        if df.empty:
            raise ValueError(f"no run of strategy {strategy!r} in finals")
    xa, ya, grid = sweep_axes(df, x, y, gridded, logx, logy, dict(expected or {}))
    panels = order_groups(df[panel_col].tolist()) if panel_col else [None]
    keys = ([panel_col] if panel_col else []) + [y, x]
    stats = summarise(df, keys, metric)
    values = stats[f"{metric}_mean"].to_numpy(dtype=float)
    ok = values[np.isfinite(values)]
    vmin, vmax = (float(ok.min()), float(ok.max())) if ok.size else (0.0, 1.0)
    if vmax <= vmin:
        pad = 0.05 * abs(vmin) or 0.5
        vmin, vmax = vmin - pad, vmax + pad
    table = HeatmapTable(stats, metric, xa, ya, grid, panel_col, panels, vmin, vmax, 0, 0, 0,
                         pooled_note(df, [x, y] + ([panel_col] if panel_col else [])))
    # Count the cells without runs (or without a finite value) over all panels.
    no_run = nan_only = total = 0
    n_pairs = len(df[[x, y]].drop_duplicates())
    for p in panels:
        if grid:
            have = np.isfinite(table.matrix(p, "n"))
            no_run += int((~have).sum())
            nan_only += int((have & ~np.isfinite(table.matrix(p))).sum())
            total += have.size
        else:
            rows = table.rows(p)
            n_ok = int(np.isfinite(rows[f"{metric}_mean"].to_numpy(dtype=float)).sum())
            total += n_pairs
            no_run += n_pairs - len(rows)
            nan_only += len(rows) - n_ok
    return replace(table, no_run=no_run, nan_only=nan_only, total=total)


def draw_heatmap(ax, table: HeatmapTable, panel: Hashable = None, *, cmap: str = "viridis",
                 annotate: bool | None = None, colorbar: bool = True):
    """Draw one panel of a :class:`HeatmapTable`: cells (grid) or filled contours over
    the sampled points, labelled contour lines, the values in the cells.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : HeatmapTable
        Output of :func:`heatmap_table`.
    panel : optional
        The panel (a value of ``table.panel``); None for a table without panels.
    cmap : str, default "viridis"
        Sequential colormap; the scale is ``table.vmin`` to ``table.vmax``.
    annotate : bool, optional
        Write each cell's mean into it; default when the grid has at most 30 cells.
    colorbar : bool, default True
        Colour bar beside the axis (:func:`plot_heatmap` draws one for all panels).

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    xa, ya, metric = table.x, table.y, table.metric
    norm = matplotlib.colors.Normalize(table.vmin, table.vmax)
    colormap = matplotlib.colormaps[cmap]
    levels = contour_levels(table.vmin, table.vmax)
    annotate = auto_annotate(annotate, table.grid, xa, ya)
    with plt.rc_context(_HEATMAP_RC):
        ax = ax if ax is not None else new_axis(_HEATMAP_RC, (6.4, 4.8))
        if table.grid:
            Z = table.matrix(panel)
            xe, ye = xa.edges(), ya.edges()
            missing_background(ax, xe, ye)
            ax.pcolormesh(xe, ye, np.ma.masked_invalid(Z), cmap=colormap, norm=norm, edgecolors="white",
                          linewidth=0.6, zorder=1)
            # Contours interpolate between neighbouring values: meaningless across categories.
            if xa.ordered and ya.ordered:
                labelled_contours(ax, xa, ya, Z, levels, annotate)
            if annotate:
                annotate_cells(ax, xa.pos, ya.pos, Z, colormap, norm, cell_formatter(table.scale))
            ax.set_xlim(xe[0], xe[-1])
            ax.set_ylim(ye[0], ye[-1])
        else:
            rows = table.rows(panel)
            ok = rows[np.isfinite(rows[f"{metric}_mean"].to_numpy(dtype=float))]
            px, py = xa.positions(ok[xa.name]), ya.positions(ok[ya.name])
            z = ok[f"{metric}_mean"].to_numpy(dtype=float)
            drawn = False
            if len(z) >= 3:
                try:
                    ax.tricontourf(px, py, z, levels=np.linspace(table.vmin, table.vmax, 13), cmap=colormap,
                                   norm=norm, zorder=1)
                    if len(levels):
                        cs = ax.tricontour(px, py, z, levels=levels, colors="#1A1A1A", linewidths=0.9, alpha=0.75,
                                           zorder=3)
                        ax.clabel(cs, fmt=fmt_level, fontsize=7, inline=True)
                    drawn = True
                except (ValueError, RuntimeError):
                    drawn = False
            ax.scatter(px, py, s=16 if drawn else 40, c="white" if drawn else z, cmap=None if drawn else colormap,
                       norm=None if drawn else norm, edgecolors="#222222", linewidths=0.5, zorder=4)
            ax.set_facecolor(MISSING_FACE)
        xa.decorate(ax, "x", 55)
        ya.decorate(ax, "y", 34)
        if panel is not None:
            ax.set_title(f"{table.panel}: {panel}", loc="left", fontweight="bold")
        if colorbar:
            ax.figure.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax,
                               label=wrap("final " + metric_label(metric), 40), shrink=0.9, pad=0.02)
    return ax


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
        Column coloured (label and unit from
        :data:`~simulation.outputs.figures.style.METRIC_LABELS`).
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
    table = heatmap_table(finals, x, y, metric, strategy, where=where, gridded=gridded, logx=logx, logy=logy,
                          expected=expected)
    panels, grid = table.panels, table.grid
    nrows, ncols = panel_grid(len(panels))
    with plt.rc_context(_HEATMAP_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(max(6.4, 4.3 * ncols + 1.5), 3.6 * nrows + 1.2),
                                 layout="constrained", squeeze=False, sharex=True, sharey=True)
        flat = axes.ravel()
        for ax, p in zip(flat, panels):
            draw_heatmap(ax, table, p, cmap=cmap, annotate=annotate, colorbar=False)
        for ax in flat[len(panels):]:
            ax.set_visible(False)
        for i, ax in enumerate(flat[: len(panels)]):
            if i % ncols:
                ax.set_ylabel("")
            if i + ncols < len(panels):
                ax.set_xlabel("")
        mappable = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(table.vmin, table.vmax),
                                                cmap=matplotlib.colormaps[cmap])
        fig.colorbar(mappable, ax=list(flat[: len(panels)]), label=wrap("final " + metric_label(metric), 40),
                     shrink=0.9, pad=0.02)
        if title is None:
            title = f"Final {metric.replace('_', ' ')} over {x.replace('_', ' ')} x {y.replace('_', ' ')}"
        fig_title(fig, title)
        contours = table.x.ordered and table.y.ordered
        how = (
            "colour: mean over the runs of each cell" + ("; lines: contours of that mean" if contours else "")
            if grid
            else "sampled design: colour interpolated (triangulation) between the design "
            "points (circles), each the mean over its runs; lines: contours"
        )
        fig_footer(
            fig,
            [
                how + f" ({n_text(table.stats[f'{metric}_n'].to_numpy(), 'cell' if grid else 'point')})",
                table.pooled,
                missing_text(table.no_run, table.nan_only, table.total, "cells" if grid else "design points")
                + (" (grey hatching)" if table.no_run + table.nan_only else ""),
            ],
        )
        return save_figure(fig, path_stem)
