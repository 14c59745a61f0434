"""Shared pieces of the 2-D sweep figures (heatmaps, difference maps) and 1-D sweeps.

:class:`SweepAxis` places an axis's values (numbers at their value, on a log axis when
that spaces them evenly; anything else side by side), and the helpers draw grid cells,
their labels, the hatched background of cells without data, and labelled contours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import matplotlib.patches
import matplotlib.ticker
import numpy as np
import pandas as pd

from simulation.outputs.figures.data import fmt_value, is_numeric_column
from simulation.outputs.figures.style import (
    axis_label,
    fmt_tick,
    is_number,
    order_groups,
    wrap,
)

__all__ = [
    "HATCH_MISSING", "MISSING_EDGE", "MISSING_FACE", "SweepAxis", "annotate_cells", "auto_annotate",
    "cell_formatter", "contour_levels", "fmt_level", "is_grid", "labelled_contours", "missing_background",
    "padded", "panel_grid",
]

#: Hatching and colours behind the cells: a cell without data shows them.
HATCH_MISSING = "////"
MISSING_FACE = "#F4F4F4"
MISSING_EDGE = "#C4C4C4"


def auto_annotate(annotate: bool | None, grid: bool, x: SweepAxis, y: SweepAxis) -> bool:
    """Write the values into the cells: as asked, else on grids of at most 30 cells."""
    if annotate is None:
        return grid and len(x.values) * len(y.values) <= 30
    return bool(annotate)


def cell_formatter(scale: float, signed: bool = False):
    """Formatter of cell labels with the same number of decimals in every cell, chosen
    from the largest magnitude shown (``scale``): 0.1234 -> '0.123' at scale 0.5."""
    if not np.isfinite(scale) or scale <= 0 or scale >= 1e4:
        return lambda v: fmt_value(v, signed)
    decimals = int(np.clip(2 - math.floor(math.log10(scale)), 0, 6))

    def fmt(v: float) -> str:
        if not np.isfinite(v):
            return "n/a"
        text = f"{v:+.{decimals}f}" if signed else f"{v:.{decimals}f}"
        if float(text) == 0:
            text = f"{0:.{decimals}f}"
        return text.replace("-", "\u2212")

    return fmt


def fmt_level(v: float) -> str:
    """Contour level: levels are round numbers, so no trailing zeros."""
    return f"{v:.6g}".replace("-", "\u2212")


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


class SweepAxis:
    """One axis of a sweep figure: its distinct values and their plotting positions.

    Numbers are placed at their value (log10 of it on a log axis, labelled with the
    values themselves); anything else at 0, 1, 2, ... in :func:`order_groups` order.
    """

    def __init__(self, series: pd.Series, log: bool | None = None, expected: Iterable | None = None,
                 cells: bool = False) -> None:
        self.name = str(series.name)
        self.numeric = is_numeric_column(series)
        self.ordinal = False  # numbers placed side by side, not to scale
        extra = list(expected) if expected is not None else []
        if self.numeric and all(is_number(v) for v in extra):
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
            set_ticks(self.pos, [fmt_tick(v) for v in self.values])
            axis.set_minor_locator(matplotlib.ticker.NullLocator())
        elif self.log:
            axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda t, _: f"{10 ** t:.3g}"))
        label = axis_label(self.name) + (", log scale" if self.log else ", not to scale" if self.ordinal else "")
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(wrap(label, width))


def is_grid(df: pd.DataFrame, x: SweepAxis, y: SweepAxis, gridded: bool | None) -> bool:
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


def annotate_cells(ax, xc, yc, Z, cmap, norm, fmt, skip=None) -> None:
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


def missing_background(ax, xe, ye) -> None:
    """Hatched grey behind the cells: a cell without data shows the hatching."""
    ax.add_patch(
        matplotlib.patches.Rectangle(
            (xe[0], ye[0]),
            xe[-1] - xe[0],
            ye[-1] - ye[0],
            facecolor=MISSING_FACE,
            edgecolor=MISSING_EDGE,
            hatch=HATCH_MISSING,
            linewidth=0,
            zorder=0.5,
        )
    )


def padded(xa: SweepAxis, ya: SweepAxis, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ma.MaskedArray]:
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


def labelled_contours(ax, xa: SweepAxis, ya: SweepAxis, Z: np.ndarray, levels, annotated: bool):
    """Thin contour lines of Z over the grid cells, each level labelled once."""
    if len(levels) == 0 or np.isfinite(Z).sum() < 2:
        return None
    xp, yp, Zp = padded(xa, ya, Z)
    cs = ax.contour(xp, yp, Zp, levels=levels, colors="#1A1A1A", linewidths=0.9, alpha=0.8, zorder=3)
    if annotated:
        manual = _label_positions(cs, xa.pos, ya.pos, xa.edges(), ya.edges())
        if manual:
            ax.clabel(cs, fmt=fmt_level, fontsize=7, inline=True, inline_spacing=3, manual=manual)
    else:
        ax.clabel(cs, fmt=fmt_level, fontsize=7, inline=True, inline_spacing=3)
    return cs


def contour_levels(vmin: float, vmax: float, n: int = 6) -> np.ndarray:
    levels = matplotlib.ticker.MaxNLocator(nbins=n).tick_values(vmin, vmax)
    return levels[(levels > vmin) & (levels < vmax)]


def panel_grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    ncols = min(n, max_cols)
    return math.ceil(n / ncols), ncols
