"""Sensitivity indices: Sobol (S1, ST) or Morris (mu*, sigma) bars with their 95 % CIs.

:func:`indices_table` checks and orders the table of
:func:`simulation.research.sensitivity.analyse`, :func:`draw_indices` draws one
(strategy, combination) panel onto an axis (as SALib's ``plotting.bar.plot(Si, ax)``),
and :func:`plot_indices` makes and saves the figure.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import check_columns
from simulation.outputs.figures.style import (
    STYLE,
    fig_footer,
    fig_title,
    group_styles,
    metric_label,
    new_axis,
    order_groups,
    save_figure,
    wrap,
)

__all__ = ["draw_indices", "indices_table", "plot_indices"]

_SOBOL = ("S1", "S1_conf", "ST", "ST_conf")
_MORRIS = ("mu_star", "mu_star_conf", "sigma")


def indices_table(table: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table, checked, with a ``combo`` column and each parameter's row.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`simulation.research.sensitivity.analyse` output: columns ``strategy``,
        ``parameter``, optionally ``combo``, and either ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (Sobol) or ``mu_star``, ``mu_star_conf``, ``sigma`` (Morris).

    Returns
    -------
    pandas.DataFrame
        A copy with ``combo`` (0 if absent) and ``row``: the parameter's position, by
        its mean total (or mu*) index over strategies and combinations, largest last
        (on top of a horizontal bar chart).

    Examples
    --------
    >>> t = pd.DataFrame({"strategy": "mixed", "parameter": ["a", "b"], "mu_star": [0.1, 0.3],
    ...                   "mu_star_conf": 0.01, "sigma": 0.0})
    >>> indices_table(t)[["parameter", "combo", "row"]].values.tolist()
    [['a', 0, 0], ['b', 0, 1]]
    """
    sobol = "S1" in table.columns
    check_columns(table, ["strategy", "parameter", *(_SOBOL if sobol else _MORRIS)], "table")
    if table.empty:
        raise ValueError("the sensitivity table is empty: nothing to plot")
    table = table.copy()
    if "combo" not in table.columns:
        table["combo"] = 0
    main = "ST" if sobol else "mu_star"
    order = table.groupby("parameter", sort=False)[main].mean().sort_values().index.tolist()
    table["row"] = table["parameter"].map({p: i for i, p in enumerate(order)})
    return table


def _conf(t: pd.DataFrame, col: str) -> np.ndarray:
    return np.nan_to_num(t[col].to_numpy(dtype=float), nan=0.0).clip(min=0)


def draw_indices(ax, table: pd.DataFrame, strategy: str, metric: str, combo: object = 0, color: str | None = None):
    """Draw the indices of one strategy (and grid combination) of an :func:`indices_table`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : pandas.DataFrame
        Output of :func:`indices_table`.
    strategy : str
        The strategy drawn.
    metric : str
        The analysed metric (for the axis label).
    combo : optional
        The grid combination drawn (0 if the table has none).
    color : str, optional
        Bar colour; default the strategy's colour.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    sobol = "S1" in table.columns
    order = table.drop_duplicates("parameter").sort_values("row")["parameter"].tolist()
    colour = color or group_styles([strategy])[strategy]["color"]
    with plt.rc_context(STYLE):
        ax = ax if ax is not None else new_axis(STYLE, (4.8, 0.32 * len(order) + 2.4))
        t = table[(table["strategy"] == strategy) & (table["combo"] == combo)]
        y = t["row"].to_numpy(dtype=float)
        if sobol:
            ax.barh(y + 0.2, t["ST"], 0.38, xerr=_conf(t, "ST_conf"), color=colour,
                    error_kw={"elinewidth": 1.0, "capsize": 2.5}, label="total (ST)")
            ax.barh(y - 0.2, t["S1"], 0.38, xerr=_conf(t, "S1_conf"), color="white", edgecolor=colour,
                    hatch="////", linewidth=1.0, error_kw={"elinewidth": 1.0, "capsize": 2.5},
                    label="first order (S1)")
            ax.set_xlabel(wrap(f"Sobol index of final {metric_label(metric)}", 60))
            ax.axvline(1.0, color="0.45", lw=0.8, ls=":")  # indices are shares of variance: 0 to 1
        else:
            ax.barh(y, t["mu_star"], 0.6, xerr=_conf(t, "mu_star_conf"), color=colour,
                    error_kw={"elinewidth": 1.0, "capsize": 2.5}, label="mu* (mean |effect|)")
            ax.plot(t["sigma"], y, "D", color="black", ms=4, label="sigma (interactions)")
            ax.set_xlabel(wrap(f"Morris elementary effect on final {metric_label(metric)}", 60))
        ax.set_yticks(range(len(order)), [p.replace("_", " ") for p in order])
        ax.axvline(0, color="0.45", lw=0.8)
        ax.grid(axis="y", visible=False)
    return ax


def plot_indices(table: pd.DataFrame, path_stem: str | Path, metric: str, title: str,
                 warning: str = "") -> list[Path]:
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
    warning : str, optional
        :func:`simulation.research.sensitivity.sample_warning` of the table: printed first
        in the footnote, as "WARNING: ...", when the sample is too small for the indices to
        be trusted.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.

    Notes
    -----
    Parameters are sorted by their total (or mu*) index, largest on top. Several grid
    combinations (``combo``) get one row of panels each. Sobol estimates can fall below
    0 or above 1 by sampling error; the bars show the estimate as it is, with its CI, and
    ``warning`` says when the sample is too small to trust them.
    """
    table = indices_table(table)
    strategies = order_groups(table["strategy"].tolist())
    combos = sorted(table["combo"].unique())
    n_params = table["parameter"].nunique()
    styles = group_styles(strategies)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(combos), len(strategies),
            figsize=(max(4.8, 3.8 * len(strategies)) + 0.6, 0.32 * n_params * len(combos) + 1.4 * len(combos) + 1.0),
            layout="constrained", squeeze=False, sharey=True, sharex=True,
        )
        for r, combo in enumerate(combos):
            for c, strategy in enumerate(strategies):
                ax = draw_indices(axes[r][c], table, strategy, metric, combo, styles[strategy]["color"])
                head = f"strategy: {strategy}" + (f", combination {combo}" if len(combos) > 1 else "")
                ax.set_title(head, loc="left", fontweight="bold")
        axes[0][-1].legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="none")
        fig_title(fig, title)
        fig_footer(fig, [f"WARNING: {warning.rstrip('.')}" if warning else "",
                         "bars: index estimate; whiskers: 95 % bootstrap confidence interval (SALib)"])
        return save_figure(fig, path_stem)
