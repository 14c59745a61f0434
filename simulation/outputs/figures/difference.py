"""Where the answer flips: A minus B over a 2-D sweep, with the zero contour in bold.

:func:`difference_table` computes per cell the difference (paired on seed where
possible, else the difference of means), the half-width of its interval (a t-interval
of the paired differences, or Welch's) and whether that interval includes 0;
:func:`draw_difference` draws it onto an axis (diverging map centred at 0, dotted
where the sign is not established, bold zero contour), and :func:`plot_difference`
makes and saves the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib.cm
import matplotlib.colors
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy import stats as st

from simulation.outputs.figures.data import (
    check_columns,
    design_columns,
    finite,
    match,
    matching,
    missing_text,
    n_text,
    pct,
    pooled_note,
    select,
)
from simulation.outputs.figures.grids import (
    HATCH_MISSING,
    MISSING_EDGE,
    MISSING_FACE,
    SweepAxis,
    annotate_cells,
    auto_annotate,
    cell_formatter,
    missing_background,
    padded,
)
from simulation.outputs.figures.style import (
    STYLE,
    fig_footer,
    fig_title,
    fmt_tick,
    metric_label,
    new_axis,
    save_figure,
    wrap,
)
from simulation.outputs.figures.sweeps import sweep_axes
from simulation.research.stats import t_half_width

__all__ = [
    "DifferenceTable", "difference_notes", "difference_table", "draw_difference", "plot_difference",
    "welch_half_width",
]

_RC = {**STYLE, "axes.grid": False, "hatch.color": "#333333", "hatch.linewidth": 0.6}


def _selector(sel: object, name: str) -> dict[str, object]:
    if isinstance(sel, str):
        return {"strategy": sel}
    if isinstance(sel, Mapping) and sel:
        return dict(sel)
    raise TypeError(f"{name} must be a strategy name or a non-empty mapping column -> value, got {sel!r}")


def _selector_label(sel: Mapping[str, object]) -> str:
    parts = []
    for k, v in sel.items():
        if k == "strategy" and isinstance(v, str):
            parts.insert(0, v)
        else:
            parts.append(f"{str(k).replace('_', ' ')} = {fmt_tick(v)}")
    return ", ".join(parts)


def _cell_stats(df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """mean, std, count of the finite values of ``value`` per group (count 0 if none)."""
    v = df[keys].copy()
    v["_v"] = finite(df[value].to_numpy())
    if not keys:
        return pd.DataFrame({"mean": [v["_v"].mean()], "std": [v["_v"].std()], "count": [v["_v"].count()]})
    return v.groupby(keys, sort=False, observed=True)["_v"].agg(["mean", "std", "count"]).reset_index()


def welch_half_width(sa, na, sb, nb, confidence: float = 0.95) -> np.ndarray:
    """Half-width of Welch's interval of mean(A) - mean(B); NaN where a side has n < 2.

    Parameters
    ----------
    sa, sb : array_like
        Sample standard deviations (ddof 1) of the two sides.
    na, nb : array_like
        Their numbers of values.
    confidence : float, default 0.95
        Level of the interval.

    Examples
    --------
    >>> float(welch_half_width(1.0, 4, 1.0, 4).round(4))  # t(0.975, 6) * sqrt(1/4 + 1/4)
    1.7302
    """
    sa, sb, na, nb = (np.asarray(a, dtype=float) for a in (sa, sb, na, nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        va, vb = np.nan_to_num(sa) ** 2 / na, np.nan_to_num(sb) ** 2 / nb
        se2 = va + vb
        dof = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        dof = np.where(se2 > 0, dof, np.maximum(na + nb - 2, 1))
        half = st.t.ppf(0.5 + confidence / 2, dof) * np.sqrt(se2)
    return np.where((na >= 2) & (nb >= 2), half, np.nan)


@dataclass(frozen=True)
class DifferenceTable:
    """A minus B per cell (or design point), from :func:`difference_table`.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per (y, x) with runs of A: ``mean_a``, ``std_a``, ``count_a``, the same
        for B (``_b``) and for the paired differences (``_d``); ``diff`` (A - B),
        ``half`` (half-width of its interval), ``paired`` (whether ``diff`` is the mean
        paired difference), ``unsure`` (the interval includes 0) and ``reference``
        (A and B are the same runs: the pinned row of B).
    metric : str
        The compared metric.
    x, y : SweepAxis
        The two axes.
    grid : bool
        Grid design (cells) or sampled design (points).
    label_a, label_b : str
        Names of the two sides.
    pid : str or None
        Column the runs are paired on (``seed`` or ``replicate``).
    confidence : float
        Level of the intervals.
    no_run, nan_only, total : int
        Cells without a run of A, with runs but no finite difference, all cells.
    pooled : str
        Footnote naming the design columns pooled into the means.
    """

    cells: pd.DataFrame
    metric: str
    x: SweepAxis
    y: SweepAxis
    grid: bool
    label_a: str
    label_b: str
    pid: str | None
    confidence: float
    no_run: int
    nan_only: int
    total: int
    pooled: str

    @property
    def real(self) -> np.ndarray:
        """The finite differences outside the reference cells."""
        d = self.cells.loc[~self.cells["reference"], "diff"].to_numpy(dtype=float)
        return d[np.isfinite(d)]

    @property
    def vmax(self) -> float:
        """Half-range of the colour scale, symmetric around 0."""
        real = self.real
        v = float(np.abs(real).max()) if real.size else 1.0
        return v if v > 0 else 1.0

    @property
    def flips(self) -> bool:
        """A is higher in some cells and B in others."""
        real = self.real
        return bool(real.size and (real > 0).any() and (real < 0).any())

    def matrices(self) -> dict[str, np.ndarray]:
        """Grid design: ``diff``, ``reference``, ``unsure`` and ``have`` (runs of A) as
        (y, x) arrays over the grid."""
        full = pd.MultiIndex.from_product([self.y.values, self.x.values], names=[self.y.name, self.x.name])
        c = self.cells.set_index([self.y.name, self.x.name]).reindex(full)
        shape = (len(self.y.values), len(self.x.values))
        return {
            "diff": c["diff"].to_numpy(dtype=float).reshape(shape),
            "reference": c["reference"].fillna(False).to_numpy(dtype=bool).reshape(shape),
            "unsure": c["unsure"].fillna(False).to_numpy(dtype=bool).reshape(shape),
            "have": (c["count_a"].fillna(0).to_numpy() > 0).reshape(shape),
        }


def _pick(df: pd.DataFrame, f: dict[str, object], name: str) -> pd.DataFrame:
    rows = df.loc[matching(df, f)]
    if rows.empty:
        raise ValueError(f"selector {name} ({_selector_label(f)}) matches no finished run")
    return rows


def _compare(rows_a, rows_b, x, y, free_b, others, pid, metric, confidence) -> pd.DataFrame:
    """Per cell of A: both sides' statistics, the paired differences, diff and half."""
    cells = _cell_stats(rows_a, [y, x], metric)
    stats_b = _cell_stats(rows_b, free_b, metric)
    cells = cells.merge(stats_b, on=free_b, how="left", suffixes=("_a", "_b")) if free_b else cells.merge(
        stats_b.add_suffix("_b"), how="cross").rename(columns={"mean": "mean_a", "std": "std_a", "count": "count_a"})
    if pid is not None:
        left = rows_a[[y, x, *others, pid]].assign(_va=finite(rows_a[metric].to_numpy()))
        right = rows_b[[*free_b, *others, pid]].assign(_vb=finite(rows_b[metric].to_numpy()))
        pairs = left.merge(right, on=[*free_b, *others, pid], how="inner")
        pairs["_d"] = pairs["_va"] - pairs["_vb"]
        paired = _cell_stats(pairs, [y, x], "_d").rename(columns=lambda c: c if c in (x, y) else c + "_d")
        cells = cells.merge(paired, on=[y, x], how="left")
    else:
        cells[["mean_d", "std_d", "count_d"]] = np.nan
    cells[["count_a", "count_b", "count_d"]] = cells[["count_a", "count_b", "count_d"]].fillna(0)
    na, nb, npair = (cells[c].to_numpy(dtype=float) for c in ("count_a", "count_b", "count_d"))
    # Paired when every run of the smaller side has a partner (or at least two pairs exist).
    use_pair = (npair >= 2) | ((npair >= 1) & (npair == np.minimum(na, nb)))
    diff = np.where(use_pair, cells["mean_d"], cells["mean_a"] - cells["mean_b"])
    half = np.where(
        use_pair,
        np.where(npair >= 2, t_half_width(cells["std_d"], np.maximum(npair, 1), confidence), np.nan),
        welch_half_width(cells["std_a"], na, cells["std_b"], nb, confidence),
    )
    cells["diff"], cells["half"], cells["paired"] = diff, half, use_pair
    cells["unsure"] = np.isfinite(half) & (np.abs(diff) <= half)
    return cells


def difference_table(
    finals: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    a: str | Mapping[str, object],
    b: str | Mapping[str, object],
    *,
    where: Mapping[str, object] | None = None,
    confidence: float = 0.95,
    gridded: bool | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    labels: tuple[str, str] | None = None,
    expected: Mapping[str, Sequence] | None = None,
) -> DifferenceTable:
    """A minus B per cell of a 2-D sweep, with the interval of the difference.

    Parameters are those of :func:`plot_difference` (the selector forms and the
    pairing rule are explained there).
    """
    check_columns(finals, [x, y, metric], "finals")
    if x == y:
        raise ValueError(f"x and y are both {x!r}")
    df = select(finals, where, "finals")
    axes_names = (x, y)
    sa, sb = _selector(a, "a"), _selector(b, "b")
    # A key one side gives that is not an axis, and the other does not give, is shared.
    fa = {**{k: v for k, v in sb.items() if k not in axes_names}, **sa}
    fb = {**{k: v for k, v in sa.items() if k not in axes_names}, **sb}
    check_columns(df, sorted(set(fa) | set(fb)), "finals")
    label_a, label_b = labels or (_selector_label(fa), _selector_label(fb))
    pinned_a = [k for k in sa if k in axes_names]
    if pinned_a:
        raise ValueError(f"selector a pins the plotted axis {pinned_a[0]!r}: A is shown at every "
                         "(x, y) of the map; pin an axis in b only (b={...: value} is the reference)")
    if fa == fb:
        raise ValueError(f"a and b select the same runs ({label_a})")
    xa, ya, grid = sweep_axes(df, x, y, gridded, logx, logy, dict(expected or {}))
    if any(k in axes_names for k in (*fa, *fb)) and not grid:
        raise ValueError("pinning an axis in a selector needs a grid design (the sampled "
                         "points of lhs / sobol / morris designs do not share axis values)")
    rows_a, rows_b = _pick(df, fa, "a"), _pick(df, fb, "b")
    pin_b = {k: v for k, v in fb.items() if k in axes_names}
    free_b = [c for c in (y, x) if c not in pin_b]
    others = design_columns(df, [x, y, *fa, *fb])
    pid = "seed" if "seed" in df.columns else ("replicate" if "replicate" in df.columns else None)
    cells = _compare(rows_a, rows_b, x, y, free_b, others, pid, metric, confidence)
    reference = np.zeros(len(cells), dtype=bool)
    same_filters = ({k: v for k, v in fa.items() if k not in axes_names}
                    == {k: v for k, v in fb.items() if k not in axes_names})
    if same_filters and pin_b:
        reference = np.ones(len(cells), dtype=bool)
        for k, v in pin_b.items():
            reference &= match(cells[k], v)
    cells["reference"] = reference
    table = DifferenceTable(cells, metric, xa, ya, grid, label_a, label_b, pid, confidence, 0, 0, 0,
                            pooled_note(df, [x, y, *fa, *fb]))
    if grid:
        m = table.matrices()
        no_run = int((~m["have"]).sum())
        nan_only = int((m["have"] & ~np.isfinite(m["diff"]) & ~m["reference"]).sum())
        total = m["diff"].size
    else:
        total = len(df[[x, y]].drop_duplicates())
        no_run = total - len(rows_a[[x, y]].drop_duplicates())
        nan_only = int((~np.isfinite(cells["diff"].to_numpy(dtype=float))).sum())
    return replace(table, no_run=no_run, nan_only=nan_only, total=total)


# ------------------------------------------------------------------------------ drawing


def _draw_cells(ax, t: DifferenceTable, colormap, norm, annotate: bool) -> bool:
    """Grid design: the cells, grey reference cells, dots where the interval includes 0,
    the zero contour and the values. True if the zero contour was drawn."""
    xa, ya, m = t.x, t.y, t.matrices()
    D, ref, unsure = m["diff"], m["reference"], m["unsure"]
    D_show = np.where(ref, np.nan, D)
    xe, ye = xa.edges(), ya.edges()
    missing_background(ax, xe, ye)
    ax.pcolormesh(xe, ye, np.ma.masked_invalid(D_show), cmap=colormap, norm=norm, edgecolors="white",
                  linewidth=0.6, zorder=1)
    XE, YE = np.meshgrid(np.arange(D.shape[1]), np.arange(D.shape[0]))
    for mask, face, hatch in ((ref, "#D9D9D9", None), (unsure & ~ref & np.isfinite(D), "none", "...")):
        for i, j in zip(YE[mask], XE[mask]):
            ax.add_patch(matplotlib.patches.Rectangle(
                (xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i], facecolor=face,
                edgecolor="white" if hatch is None else "#333333", hatch=hatch,
                linewidth=0.6 if hatch is None else 0, zorder=2))
    drew_zero = False
    if t.flips and xa.ordered and ya.ordered:
        xp, yp, Dp = padded(xa, ya, D_show)
        ax.contour(xp, yp, Dp, levels=[0.0], colors="black", linewidths=2.8, zorder=7)
        drew_zero = True
    if annotate:
        annotate_cells(ax, xa.pos, ya.pos, D_show, colormap, norm, cell_formatter(t.vmax, signed=True))
        for i, j in zip(YE[ref], XE[ref]):
            ax.text(xa.pos[j], ya.pos[i], "B\n(reference)", ha="center", va="center", fontsize=7, color="#444444",
                    zorder=6)
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    return drew_zero


def _draw_points(ax, t: DifferenceTable, colormap, norm) -> bool:
    """Sampled design: filled contours between the points, the zero contour, the points
    (hollow where the interval includes 0). True if the zero contour was drawn."""
    ok = t.cells[np.isfinite(t.cells["diff"].to_numpy(dtype=float))]
    px, py, z = t.x.positions(ok[t.x.name]), t.y.positions(ok[t.y.name]), ok["diff"].to_numpy(dtype=float)
    drew_zero = False
    if len(z) >= 3:
        try:
            ax.tricontourf(px, py, z, levels=np.linspace(-t.vmax, t.vmax, 13), cmap=colormap, norm=norm, zorder=1)
            if t.flips:
                ax.tricontour(px, py, z, levels=[0.0], colors="black", linewidths=2.8, zorder=7)
                drew_zero = True
        except (ValueError, RuntimeError):
            pass
    sure = ~ok["unsure"].to_numpy(dtype=bool)
    ax.scatter(px[sure], py[sure], s=14, c="#222222", zorder=5)
    ax.scatter(px[~sure], py[~sure], s=14, facecolors="white", edgecolors="#222222", linewidths=0.7, zorder=5)
    ax.set_facecolor(MISSING_FACE)
    return drew_zero


def _colorbar(ax, t: DifferenceTable, mappable) -> None:
    cbar = ax.figure.colorbar(mappable, ax=ax, pad=0.02, shrink=0.95)
    cbar.set_label(wrap(f"A \u2212 B in final {metric_label(t.metric)}", 40))
    cbar.ax.text(0.5, 1.015, "A higher", transform=cbar.ax.transAxes, ha="center", va="bottom", fontsize=7.5)
    cbar.ax.text(0.5, -0.015, "B higher", transform=cbar.ax.transAxes, ha="center", va="top", fontsize=7.5)


def _legend(ax, t: DifferenceTable, drew_zero: bool) -> None:
    handles = [Line2D([], [], color="black", linewidth=2.8, label="A = B: the answer flips")] if drew_zero else []
    p = pct(t.confidence)
    if t.grid:
        handles.append(matplotlib.patches.Patch(facecolor="white", edgecolor="#333333", hatch="...",
                                                label=f"{p} % CI of A \u2212 B includes 0"))
        if t.cells["reference"].any():
            handles.append(matplotlib.patches.Patch(facecolor="#D9D9D9", label="B (reference)"))
        if t.no_run + t.nan_only:
            handles.append(matplotlib.patches.Patch(facecolor=MISSING_FACE, edgecolor=MISSING_EDGE,
                                                    hatch=HATCH_MISSING, label="no data yet"))
    else:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                              markeredgecolor="#222222", label=f"{p} % CI includes 0"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
              ncols=max(1, len(handles)) if len(handles) <= 3 else 2,
              frameon=False, fontsize=8, handlelength=2.4, borderaxespad=0.3)


def draw_difference(ax, table: DifferenceTable, *, cmap: str = "RdBu", annotate: bool | None = None,
                    colorbar: bool = True):
    """Draw a :class:`DifferenceTable`: diverging map centred at 0, the bold zero contour
    where the sign flips, dots (grid) or hollow points (sampled) where the interval of
    the difference includes 0, and a legend of these marks above the axis.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axis to draw on; a new figure with one axis if None.
    table : DifferenceTable
        Output of :func:`difference_table`.
    cmap : str, default "RdBu"
        Diverging colormap; the scale is symmetric around 0 (blue: A higher).
    annotate : bool, optional
        Write each cell's difference into it; default when there are at most 30 cells.
    colorbar : bool, default True
        Colour bar beside the axis, labelled "A higher" / "B higher".

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.
    """
    norm = matplotlib.colors.Normalize(-table.vmax, table.vmax)
    colormap = matplotlib.colormaps[cmap]
    annotate = auto_annotate(annotate, table.grid, table.x, table.y)
    with plt.rc_context(_RC):
        ax = ax if ax is not None else new_axis(_RC, (7.4, 5.0))
        if table.grid:
            drew_zero = _draw_cells(ax, table, colormap, norm, annotate)
        else:
            drew_zero = _draw_points(ax, table, colormap, norm)
        table.x.decorate(ax, "x", 60)
        table.y.decorate(ax, "y", 40)
        if colorbar:
            _colorbar(ax, table, matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap))
        _legend(ax, table, drew_zero)
    return ax


def difference_notes(table: DifferenceTable) -> list[str]:
    """The footnote of a difference map: how the colour is computed, where the interval
    includes 0, the numbers of runs, what is pooled and what is missing."""
    t, cells = table, table.cells
    reference, real = cells["reference"].to_numpy(dtype=bool), t.real
    with_a = ~reference & (cells["count_a"] > 0).to_numpy()
    n_pairs, n_real = int(cells.loc[with_a, "paired"].sum()), int(with_a.sum())
    if n_pairs == n_real:
        how = f"colour: mean of the paired differences A \u2212 B (same {t.pid})"
    elif n_pairs == 0:
        how = "colour: difference of the means over runs (unpaired; Welch intervals)"
    else:
        how = (f"colour: mean paired difference (same {t.pid}) in {n_pairs} of {n_real} cells, "
               "difference of means (Welch) elsewhere")
    if t.flips and t.grid and not (t.x.ordered and t.y.ordered):
        how += "; no zero contour across categories (the sign flips between cells)"
    if not t.flips and real.size:
        how += "; no zero contour: " + ("A is higher everywhere" if (real > 0).all() else
                                        "B is higher everywhere" if (real < 0).all() else "A = B in places")
    p, n_unsure = pct(t.confidence), int(cells.loc[~reference, "unsure"].sum())
    return [
        how,
        (f"dotted: the {p} % interval of the difference includes 0 in {n_unsure} cells" if t.grid else
         f"hollow circles: the {p} % interval of the difference includes 0 ({n_unsure} of "
         f"{len(cells)} design points)"),
        n_text(cells["count_a"].to_numpy(), "cell and side" if t.grid else "point and side"),
        t.pooled,
        missing_text(t.no_run, t.nan_only, t.total, "cells" if t.grid else "design points")
        + (" (grey hatching)" if t.no_run + t.nan_only else ""),
    ]


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
        Keep only rows with these values first (see :func:`~simulation.outputs.figures.sweeps.plot_sweep_1d`).
    confidence : float, default 0.95
        Level of the interval behind the hatching.
    cmap : str, default "RdBu"
        Diverging colormap; the colour scale is symmetric around 0 (blue: A higher).
    annotate : bool, optional
        Write each cell's difference into it; default when there are at most 30 cells.
    gridded, logx, logy, expected : optional
        As in :func:`~simulation.outputs.figures.sweeps.plot_heatmap`.
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
    table = difference_table(finals, x, y, metric, a, b, where=where, confidence=confidence, gridded=gridded,
                             logx=logx, logy=logy, labels=labels, expected=expected)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.4, 5.0), layout="constrained")
        draw_difference(ax, table, cmap=cmap, annotate=annotate)
        if title is None:
            title = f"Final {metric.replace('_', ' ')}: A minus B"
        fig_title(fig, f"{title}\nA: {table.label_a}    B: {table.label_b}")
        fig_footer(fig, difference_notes(table))
        return save_figure(fig, path_stem)
