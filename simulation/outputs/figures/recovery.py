"""Around an event: focal sales per strategy in the weeks before and after it (docs/ODD.md 7.13).

:func:`event_window_table` computes, per design point (scenario, event set) and strategy,
the mean and confidence interval of the focal brand's sales (4-week trailing mean, as the
recovery metrics of :mod:`simulation.research.recovery` use) by week relative to the
event's start; :func:`draw_event_window` draws one panel of it onto an axis (a new one if
``ax`` is None); :func:`plot_event_window` lays out one panel per design point and saves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from simulation.outputs.figures.data import pct
from simulation.outputs.figures.style import (
    CI_NOTE,
    STYLE,
    fig_note,
    group_styles,
    legend_handles,
    save_figure,
    wrap_lines,
)
from simulation.outputs.figures.timeseries import draw_timeseries, timeseries_table
from simulation.research.recovery import SMOOTH_WEEKS, with_sales

__all__ = ["draw_event_window", "event_window_table", "plot_event_window"]

SALES = "sales"


def event_window_table(ts: pd.DataFrame, starts: Mapping[str, int], panels: Sequence[str] = ("events",),
                       run_keys: Sequence[str] = ("strategy", "replicate"), before: int = 8, after: int = 40,
                       event_column: str = "events", confidence: float = 0.95) -> pd.DataFrame:
    """Mean and interval of smoothed focal sales per panel, strategy and week relative to the
    event (column ``step``: 0 = the event's first week), for the runs of the event sets in
    ``starts`` (set name -> first week). ``panels``: the design columns of one panel."""
    panels, run = list(panels), [*panels, *[k for k in run_keys if k not in panels]]
    ts = with_sales(ts)
    frames = []
    for name, start in starts.items():
        part = ts[ts[event_column] == name].sort_values([*run, "step"])
        smooth = part.groupby(run, sort=False)[SALES].transform(lambda s: s.rolling(SMOOTH_WEEKS, min_periods=1).mean())
        part = part.assign(**{SALES: smooth, "step": part["step"] - int(start)})
        frames.append(part[(part["step"] >= -before) & (part["step"] <= after)])
    if not frames:
        return pd.DataFrame()
    window = pd.concat(frames, ignore_index=True)
    window["panel"] = window[panels].astype(str).agg(", ".join, axis=1)
    tables = []
    for panel, part in window.groupby("panel", sort=False):
        t = timeseries_table(part, SALES, "strategy", confidence)
        tables.append(t.assign(panel=panel))
    return pd.concat(tables, ignore_index=True)


def draw_event_window(table: pd.DataFrame, panel: str | None = None, ax=None, styles=None):
    """Draw one panel of :func:`event_window_table` (the first if ``panel`` is None); returns the axis."""
    panel = table["panel"].iloc[0] if panel is None else panel
    part = table[table["panel"] == panel]
    ax = draw_timeseries(ax, part, SALES, "strategy", styles or group_styles(table["strategy"].tolist()))
    with plt.rc_context(STYLE):
        ax.axvline(0.0, color="#444444", linewidth=0.9, linestyle=":", zorder=1)
        ax.set_xlabel("weeks since the event started")
        ax.set_ylabel(f"focal purchases per week\n({SMOOTH_WEEKS}-week mean)")
        ax.set_title(panel, loc="left", fontsize=9.5)
    return ax


def plot_event_window(table: pd.DataFrame, path_stem: str | Path, title: str | None = None,
                      confidence: float = 0.95) -> list[Path]:
    """One panel per design point of an :func:`event_window_table`, a shared legend; PNG + SVG."""
    panels = list(dict.fromkeys(table["panel"]))
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    styles = group_styles(table["strategy"].tolist())
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), layout="constrained",
                                 squeeze=False, sharey="row")
        for ax, panel in zip(axes.flat, panels):
            draw_event_window(table, panel, ax, styles)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        fig.suptitle(wrap_lines(title or "Focal sales around the event", 90), x=0.01, ha="left", fontsize=11.5)
        fig.legend(handles=legend_handles(styles), title="strategy", loc="outside right upper", frameon=False)
        fig_note(fig, CI_NOTE.format(pct=pct(confidence)))
        return save_figure(fig, path_stem)
