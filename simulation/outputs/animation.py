"""Animation of attitudes spreading over the network, strategies side by side (GIF or MP4).

:func:`animate` writes one frame per week: two (one to four) strategies on the same
consumers, layout and seed, with the week and each panel's metrics in a caption bar, and
a JSON file of provenance beside it. Frames are drawn with the panels of
:mod:`simulation.outputs.snapshots` on the layout of :mod:`simulation.outputs.layout`;
ties are drawn once, and each frame only updates the colours and sizes of one scatter
per panel. A GIF is written by Pillow with one fixed palette (:func:`gif_palette`), an
MP4 by ffmpeg when it is installed. :func:`main_animate` is ``python run.py animate``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.colors
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation as mpl_animation
from PIL import Image

from simulation.core.params import Params
from simulation.errors import ParameterError, WomsimError
from simulation.outputs.figures.style import STRATEGY_COLORS, STYLE
from simulation.outputs.layout import MAX_DRAWN, Drawing, drawing
from simulation.outputs.snapshots import (
    ATTITUDE_CMAP,
    ATTITUDE_NORM,
    INK,
    Frame,
    NetworkPanel,
    as_params,
    base_marker_size,
    check_strategies,
    format_metrics,
    legend_handles,
    shared_graph,
    step_together,
    strategy_models,
    wrap_caption,
)
from simulation.research.provenance import provenance, write_json

__all__ = ["DEFAULT_WEEKS", "GifWriter", "animate", "gif_palette", "main_animate"]

#: Weeks of an animation when neither ``steps`` nor the ``steps`` parameter is given.
DEFAULT_WEEKS = 52
#: Text colour of a strategy that has no colour of its own.


def _writer_for(out: Path, fps: int) -> mpl_animation.AbstractMovieWriter:
    """The writer for the suffix of ``out``; a :class:`~simulation.errors.WomsimError` for a
    format that cannot be written here."""
    suffix = out.suffix.lower()
    if suffix == ".gif":
        return GifWriter(fps=fps)
    if suffix == ".mp4":
        if not mpl_animation.writers.is_available("ffmpeg"):
            raise WomsimError(f"cannot write '{out}': ffmpeg is missing (not found on PATH), and "
                              f"MP4 needs it; install ffmpeg, or write a .gif instead (needs "
                              f"nothing else)")
        return mpl_animation.FFMpegWriter(fps=fps, codec="h264",
                                      extra_args=["-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    raise WomsimError(f"cannot write '{out}': unknown animation format '{out.suffix or '(none)'}'; "
                      f"use .gif (or .mp4 with ffmpeg installed)")


def gif_palette() -> list[int]:
    """One fixed 256-colour palette for every frame: the attitude colour map, greys, and
    the strategy colours faded toward white (antialiased text). Fixed, so colours neither
    flicker between frames nor depend on what happens to be frequent in one frame."""
    cmap = plt.get_cmap(ATTITUDE_CMAP)
    colours = [cmap(x)[:3] for x in np.linspace(0.0, 1.0, 120)]
    colours += [(g, g, g) for g in np.linspace(0.0, 1.0, 64)]
    for hexcolour in dict.fromkeys(STRATEGY_COLORS.values()):
        rgb = np.array(matplotlib.colors.to_rgb(hexcolour))
        colours += [tuple(a * rgb + (1 - a)) for a in (1.0, 0.8, 0.6, 0.4, 0.2)]
        colours += [tuple(a * rgb + (1 - a) * 0.95) for a in (0.7, 0.35)]  # on the caption band
    colours = colours[:256]
    colours += [(1.0, 1.0, 1.0)] * (256 - len(colours))
    return [round(255 * c) for rgb in colours for c in rgb]


class _NearestColour:
    """Index of the nearest palette colour of every pixel: exact (Pillow's quantize with
    a given palette turns white into light grey) and remembered per colour across frames,
    so each distinct colour of the whole animation is matched once."""

    def __init__(self, palette: list[int]) -> None:
        self.table = np.array(palette, dtype=np.int32).reshape(-1, 3)
        self.lut = np.zeros(1 << 24, dtype=np.uint8)
        self.known = np.zeros(1 << 24, dtype=bool)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        rgb = rgb.astype(np.int32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        new = np.unique(packed[~self.known[packed]])
        if len(new):
            cols = np.stack([new >> 16, (new >> 8) & 255, new & 255], axis=1)
            for a in range(0, len(new), 4096):
                diff = cols[a:a + 4096, None, :] - self.table[None, :, :]
                self.lut[new[a:a + 4096]] = np.argmin((diff * diff).sum(axis=2), axis=1)
            self.known[new] = True
        return self.lut[packed]


class GifWriter(mpl_animation.PillowWriter):
    """PillowWriter with one fixed palette (:func:`gif_palette`: no colour flicker between
    frames, no dithering) and the last frame held for ``hold`` seconds."""

    hold = 2.0

    def finish(self) -> None:
        if not self._frames:
            return
        palette = gif_palette()
        nearest = _NearestColour(palette)
        quantized = []
        for f in self._frames:
            q = Image.fromarray(nearest(np.asarray(f.convert("RGB"))), "P")
            q.putpalette(palette)
            quantized.append(q)
        step = round(1000 / self.fps)
        durations = [step] * len(quantized)
        durations[-1] = max(step, int(self.hold * 1000))
        quantized[0].save(self.outfile, save_all=True, append_images=quantized[1:],
                          duration=durations, loop=0, disposal=1)


class _AnimationFigure:
    """The fixed frame of the animation; :meth:`update` changes only colours and texts.

    Geometry is set in inches (no layout engine), so nothing moves between frames and the
    pixel size is even (as H.264 needs).
    """

    PANEL = 4.1  # inches per network panel

    def __init__(self, d: Drawing, strategies: list[str], weeks: int, p: Params, seed: int,
                 dpi: int) -> None:
        k = len(strategies)
        panel = self.PANEL if k <= 2 else 3.1
        margin, gap = 0.25, 0.3
        width = 2 * margin + k * panel + (k - 1) * gap
        # from the top: week header, time bar, panel titles, panels, metrics band,
        # legend + colour bar, footnote
        header, timebar, titles, band, legend, foot = 0.42, 0.12, 0.3, 0.42, 0.52, 0.3
        height = header + timebar + titles + panel + band + legend + foot
        width = math.ceil(width * dpi / 2) * 2 / dpi
        height = math.ceil(height * dpi / 2) * 2 / dpi
        self.weeks = weeks
        fig = self.fig = plt.figure(figsize=(width, height), dpi=dpi)

        def box(x, y_top, w, h):  # inches from the left and from the top -> fractions
            return (x / width, 1 - (y_top + h) / height, w / width, h / height)

        self.header = fig.text(0.5, 1 - 0.06 / height, "", ha="center", va="top", fontsize=15,
                               fontweight="bold", color=INK)
        tax = fig.add_axes(box(margin, header, width - 2 * margin, timebar * 0.45))
        tax.set_xlim(0, 1)
        tax.set_ylim(0, 1)
        tax.axis("off")
        tax.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, color="#E6E6E6", lw=0))
        self.time_fill = matplotlib.patches.Rectangle((0, 0), 0, 1, color="#777777", lw=0)
        tax.add_patch(self.time_fill)
        base = base_marker_size(len(d.nodes), panel * 0.95)
        top = header + timebar + titles
        fig.patches.append(matplotlib.patches.Rectangle(
            box(0, top + panel + 0.04, width, band - 0.08)[:2], 1, (band - 0.08) / height,
            transform=fig.transFigure, color="#F2F2F2", lw=0, zorder=0))
        self.panels, self.metric_texts = [], []
        for i, s in enumerate(strategies):
            x = margin + i * (panel + gap)
            ax = fig.add_axes(box(x, top, panel, panel))
            self.panels.append(NetworkPanel(ax, d, base, rasterize=False))
            fig.text((x + panel / 2) / width, 1 - (top - 0.04) / height, s, ha="center",
                     va="bottom", fontsize=13, fontweight="bold", color=STRATEGY_COLORS.get(s, INK))
            texts = []
            for j in range(4):
                texts.append(fig.text((x + (j + 0.5) * panel / 4) / width,
                                      1 - (top + panel + band / 2) / height, "", ha="center",
                                      va="center", fontsize=10, color=INK))
            self.metric_texts.append(texts)
        y_leg = top + panel + band
        cax = fig.add_axes(box(margin + 0.1, y_leg + 0.08, 2.1, 0.12))
        sm = plt.cm.ScalarMappable(norm=ATTITUDE_NORM, cmap=plt.get_cmap(ATTITUDE_CMAP))
        cbar = fig.colorbar(sm, cax=cax, orientation="horizontal")
        cbar.set_ticks([-1, -0.5, 0, 0.5, 1], labels=["-1", "-0.5", "0", "0.5", "1"])
        cbar.ax.tick_params(labelsize=8, length=2, pad=1)
        cbar.ax.grid(False)
        cbar.outline.set_linewidth(0.5)
        fig.text((margin + 2.3) / width, 1 - (y_leg + 0.14) / height, "attitude\n(-1..1)",
                 ha="left", va="center", fontsize=8, color=INK, linespacing=1.0)
        fig.legend(handles=legend_handles(base), loc="center left", ncols=5, frameon=False,
                   fontsize=8.5, handletextpad=0.25, columnspacing=1.1, borderaxespad=0,
                   bbox_to_anchor=((margin + 3.05) / width, 1 - (y_leg + 0.16) / height))
        note = (f"{d.caption}. {p.network}, budget {p.budget:g}, seed {seed}; same consumers, "
                f"layout and seed in every panel. Loyalty: mean over customers.")
        fig.text(0.5, 0.06 / height, wrap_caption(note, int(width * 17)), ha="center", va="bottom",
                 fontsize=7, color="#555555")

    def update(self, t: int, frames: list[Frame]) -> None:
        self.header.set_text(f"week {t} of {self.weeks}")
        self.time_fill.set_width(t / max(self.weeks, 1))
        for panel, texts, f in zip(self.panels, self.metric_texts, frames):
            panel.update(f)
            for text, value in zip(texts, format_metrics(f.metrics, "|").split("|")):
                text.set_text(value)


def animate(params: Params | Mapping[str, Any], seed: int, out_path: str | os.PathLike,
            steps: int | None = None, fps: int = 4,
            strategies: Sequence[str] = ("broadcast", "dialogue"), progress: bool = True,
            cache_dir: str | os.PathLike | None = None, max_nodes: int = MAX_DRAWN,
            dpi: int = 90) -> Path:
    """Animation of attitudes spreading over the network, strategies side by side.

    One frame per week, 0 (initial state) to ``steps``: ``steps + 1`` frames. Each panel
    is one strategy on the same consumers, layout and seed; a caption bar under the
    panels shows each one's awareness, loyalty (mean over customers), NPS and trust, from
    the model's own metrics, and the header the week. Colours, sizes and rings mean what
    they mean in :func:`simulation.outputs.snapshots.plot_network_snapshots`. Ties are
    drawn once; each frame only updates the colours and sizes of one scatter per panel.

    Parameters
    ----------
    params : Params or mapping
        Model parameters (validated); ``strategy`` is replaced per panel.
    seed : int
        Seed of the graph and of every model.
    out_path : path
        ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on PATH; otherwise a
        :class:`~simulation.errors.WomsimError`, raised before any work). A JSON file
        with the parameters, seed and package versions is written to ``out_path + ".json"``.
    steps : int, optional
        Weeks to show; default the ``steps`` parameter if ``params`` is a plain mapping
        that sets it, else :data:`DEFAULT_WEEKS` (52).
    fps : int
        Frames (weeks) per second; the last frame of a GIF is held for 2 s.
    strategies : sequence of str
        Panels, left to right (two is the intended use; one to four work).
    progress : bool
        Show a tqdm progress bar over the frames (on stderr).
    cache_dir, max_nodes, dpi
        Layout cache folder, most consumers drawn, pixels per inch (90: 810 x 558 px
        for two panels).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    out = Path(out_path)
    p = as_params(params)
    strategies = check_strategies(strategies)
    if steps is None:
        steps = int(params["steps"]) if isinstance(params, Mapping) and "steps" in params \
            and not isinstance(params, Params) else DEFAULT_WEEKS
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ParameterError(f"animation weeks = {steps!r}: allowed a whole number >= 1")
    if isinstance(fps, bool) or int(fps) != fps or fps < 1:
        raise ParameterError(f"fps = {fps!r}: allowed a whole number >= 1")
    steps, fps = int(steps), int(fps)
    writer = _writer_for(out, fps)  # fails fast on a format we cannot write

    from tqdm import tqdm  # noqa: PLC0415 - only animating needs the progress bar

    G, segment = shared_graph(p, seed)
    d = drawing(G, seed=seed, cache_dir=cache_dir, max_nodes=max_nodes)
    models = strategy_models(p, seed, (G, segment), strategies)
    out.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        anim = _AnimationFigure(d, strategies, steps, p, seed, dpi)
        bar = tqdm(total=steps + 1, desc=f"animate {out.name}", unit="frame", disable=not progress,
                   file=sys.stderr, leave=False)
        try:
            with writer.saving(anim.fig, str(out), dpi):
                for t, frames in step_together(models, steps, d.nodes):
                    anim.update(t, frames)
                    writer.grab_frame()
                    bar.update(1)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
            plt.close(anim.fig)
    write_json(Path(str(out) + ".json"), {
        "output": str(out),
        "what": "animation of attitudes on the network, one panel per strategy",
        "params": p.to_dict(), "seed": seed, "weeks": steps, "frames": steps + 1, "fps": fps,
        "strategies": strategies,
        "drawn": {"consumers": len(d.nodes), "of": int(d.n_total), "ties": len(d.edges),
                  "caption": d.caption},
        "provenance": provenance(),
    })
    return out


def main_animate(values: dict, seed: int, out: str, steps: int | None, fps: int,
                 progress: bool) -> int:
    """``run.py animate``: validate, animate, print where it wrote; returns the exit code.

    Raises :class:`~simulation.errors.ParameterError` (bad parameter) or
    :class:`~simulation.errors.WomsimError` (e.g. .mp4 without ffmpeg) for the CLI to
    turn into exit code 2.
    """
    p = Params(**values)
    if steps is None and "steps" in values:
        steps = p.steps
    path = animate(p, seed, out, steps=steps, fps=fps, progress=progress)
    print(f"wrote {path} ({(steps or DEFAULT_WEEKS) + 1} frames at {fps} fps) and {path}.json")
    return 0
