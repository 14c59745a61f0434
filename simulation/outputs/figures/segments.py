"""Digital natives vs. immigrants per strategy at the last week (docs/ODD.md, 2.2 Segments).

:func:`segments_table` computes the means, intervals and the paired gap natives minus
immigrants, :func:`draw_segments` draws one panel (loyalty or awareness), and
:func:`plot_segments` makes and saves the figure.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import (
    auto_facet,
    check_columns,
    finite,
    n_text,
    pct,
    pooled_note,
    select,
)
from simulation.outputs.figures.style import (
    CI_KIND,
    METRIC_LABELS,
    STYLE,
    fig_footer,
    fig_title,
    fmt_tick,
    group_styles,
    new_axis,
    order_groups,
    save_figure,
    wrap,
)
from simulation.research.stats import summarise

__all__ = ["SEGMENT_PANELS", "SegmentsTable", "draw_segments", "plot_segments", "segments_table"]

#: (panel title, natives column, immigrants column, y label) of :func:`plot_segments`.
SEGMENT_PANELS: tuple[tuple[str, str, str, str], ...] = (
    ("loyalty", "loyalty_natives", "loyalty_immigrants", METRIC_LABELS["loyalty"]),
    ("awareness", "awareness_natives", "awareness_immigrants", METRIC_LABELS["awareness"]),
)


@dataclass(frozen=True)
class SegmentsTable:
    """Per segment and group (and facet), from :func:`segments_table`.

    Attributes
    ----------
    stats : pandas.DataFrame
        Indexed by ``[facet, by]`` (or ``by``): ``_mean``, ``_lo``, ``_hi``, ``_n`` of
        every column of :data:`SEGMENT_PANELS` and of ``_gap_<panel>`` (natives minus
        immigrants within each run).
    by, facet : str, str or None
        Group column and panel-row column.
    groups, facets : list
        Drawing order (``facets`` is ``[None]`` without panel rows).
    week : int or None
        The week shown (the last one of a timeseries), None for one row per run.
    pooled : str
        Footnote naming the design columns pooled into the means.
    """

    stats: pd.DataFrame
    by: str
    facet: str | None
    groups: list
    facets: list
    week: int | None
    pooled: str


def segments_table(
    ts_or_summary: pd.DataFrame,
    by: str = "strategy",
    facet: str | bool | None = None,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
) -> SegmentsTable:
    """Means and intervals per segment, and the gap natives minus immigrants.

    Parameters are those of :func:`plot_segments`. A segment that does not exist in a
    run (``immigrant_share`` 0 or 1) has no customers and would show as a misleading
    0; with an ``immigrant_share`` column such values are set to NaN.
    """
    cols = [c for _, nat, imm, _ in SEGMENT_PANELS for c in (nat, imm)]
    check_columns(ts_or_summary, [by, *cols], "data")
    df = select(ts_or_summary, where, "data")
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
        df[f"_gap_{name}"] = finite(df[nat].to_numpy()) - finite(df[imm].to_numpy())
        gaps.append(f"_gap_{name}")
    facet_col = auto_facet(df, [by], facet)
    keys = ([facet_col] if facet_col else []) + [by]
    stats = summarise(df, keys, [*cols, *gaps], confidence=confidence).set_index(keys)
    return SegmentsTable(stats, by, facet_col, order_groups(df[by].tolist()),
                         order_groups(df[facet_col].tolist()) if facet_col else [None], week,
                         pooled_note(df, keys))


def _gap_text(row: pd.Series, name: str) -> str | None:
    gm, gn = row[f"_gap_{name}_mean"], int(row[f"_gap_{name}_n"])
    if not np.isfinite(gm):
        return None
    gh = row[f"_gap_{name}_hi"] - gm if gn >= 2 else np.nan
    if abs(gm) < 5e-4 and not (gh >= 5e-4):
        return "\u0394 0"
    text = f"\u0394 {gm:+.3f}".replace("-", "\u2212")
    return text + (f"\n\u00b1{gh:.3f}" if np.isfinite(gh) else "")


def _panel_width(n_groups: int) -> float:
    return max(3.2, 0.85 * n_groups + 1.0)


def draw_segments(ax, table: SegmentsTable, panel: str = "loyalty", facet_value: Hashable = None,
                  styles: dict[Hashable, dict[str, object]] | None = None):
    """Draw one panel of a :class:`SegmentsTable`: natives (filled) and immigrants
    (hatched) per group with intervals, and the gap above each pair.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : SegmentsTable
        Output of :func:`segments_table`.
    panel : str, default "loyalty"
        A panel title of :data:`SEGMENT_PANELS` ("loyalty" or "awareness").
    facet_value : optional
        The panel row (a value of ``table.facet``); None without rows.
    styles : dict, optional
        Style per group; default from ``table.groups``.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    spec = {p[0]: p for p in SEGMENT_PANELS}
    if panel not in spec:
        raise ValueError(f"panel must be one of {sorted(spec)}, got {panel!r}")
    name, nat, imm, ylabel = spec[panel]
    groups = table.groups
    styles = styles if styles is not None else group_styles(groups)
    with plt.rc_context({**STYLE, "hatch.linewidth": 0.8}):
        ax = ax if ax is not None else new_axis({**STYLE, "hatch.linewidth": 0.8},
                                                (_panel_width(len(groups)) + 0.4, 4.5))
        top = 0.0
        for i, g in enumerate(groups):
            key = g if facet_value is None else (facet_value, g)
            if key not in table.stats.index:
                continue
            st, row = styles[g], table.stats.loc[key]
            for dx, col, hatch in ((-0.19, nat, None), (0.19, imm, "////")):
                m, n = row[f"{col}_mean"], int(row[f"{col}_n"])
                if not np.isfinite(m):
                    ax.text(i + dx, 0.01, "none", ha="center", va="bottom", fontsize=6.5, color="#777777",
                            rotation=90)
                    continue
                err = [[m - row[f"{col}_lo"]], [row[f"{col}_hi"] - m]] if n >= 2 else None
                ax.bar(i + dx, m, 0.36, color=st["color"] if hatch is None else "white", edgecolor=st["color"],
                       hatch=hatch, linewidth=1.2, zorder=2)
                ax.errorbar([i + dx], [m], yerr=err, fmt="none", ecolor="#111111", elinewidth=1.2, capsize=3,
                            zorder=3)
                top = max(top, float(row[f"{col}_hi"]) if n >= 2 else m)
            text = _gap_text(row, name)
            if text is not None:
                ax.annotate(text, xy=(i, 1.0), xycoords=("data", "axes fraction"), ha="center", va="top",
                            fontsize=7, color="#333333")
        ax.set_ylim(0, max(top, 1e-9) * 1.32 + 1e-9)
        ticks = ax.get_yticks()
        ax.set_yticks(ticks[(ticks >= 0) & (ticks <= max(top, 1e-9) * 1.06)])
        ax.set_xticks(range(len(groups)), [str(g) for g in groups])
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(wrap(ylabel, 30), fontsize=8.5)
        head = name + (f", {table.facet.replace('_', ' ')} = {fmt_tick(facet_value)}"
                       if facet_value is not None else "")
        ax.set_title(head, loc="left", fontweight="bold")
    return ax


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
    Use :func:`~simulation.outputs.figures.timeseries.plot_small_multiples` on
    ``loyalty_natives`` etc. for the dynamics.

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
        Keep only rows with these values (see
        :func:`~simulation.outputs.figures.sweeps.plot_sweep_1d`).
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    A segment missing from a run (``immigrant_share`` 0 or 1) shows as "none" under
    the bar, not as 0 (see :func:`segments_table`).
    """
    table = segments_table(ts_or_summary, by, facet, where, confidence)
    styles = group_styles(table.groups)
    nrows = len(table.facets)
    with plt.rc_context({**STYLE, "hatch.linewidth": 0.8}):
        fig, axes = plt.subplots(nrows, 2, figsize=(2 * _panel_width(len(table.groups)) + 0.4, 3.2 * nrows + 1.3),
                                 layout="constrained", squeeze=False, sharex=True)
        for r, f in enumerate(table.facets):
            for c, spec in enumerate(SEGMENT_PANELS):
                draw_segments(axes[r][c], table, spec[0], f, styles)
        handles = [
            matplotlib.patches.Patch(facecolor="#777777", edgecolor="#777777", label="digital natives"),
            matplotlib.patches.Patch(facecolor="white", edgecolor="#777777", hatch="////",
                                     label="digital immigrants"),
        ]
        fig.legend(handles=handles, loc="outside upper right", ncols=2, frameon=False)
        if title is None:
            title = f"Digital natives vs. immigrants by {by}"
        if table.week is not None:
            title += f" (week {table.week})"
        fig_title(fig, title)
        p, first = pct(confidence), SEGMENT_PANELS[0][1]
        fig_footer(
            fig,
            [
                (f"bar: mean over runs; black bar: {CI_KIND.format(pct=p)} "
                 f"({n_text(table.stats[f'{first}_n'].to_numpy(), 'bar')}); \u0394: gap natives "
                 f"\u2212 immigrants, mean \u00b1 half-width of its {p} % interval, paired within runs"),
                table.pooled,
            ],
        )
        return save_figure(fig, path_stem)
