"""Figures of womsim: compute a table, then draw it.

Every figure kind has a table function that only aggregates (pandas, numpy, scipy;
means and intervals from :func:`simulation.research.stats.summarise`), a
``draw_*(ax, table, ...)`` that draws onto a given axis (a new one if ``ax`` is None)
and returns it, and a ``plot_*(..., path_stem)`` that computes the table, lays out the
figure, draws each panel and saves PNG + SVG.

Modules, lowest first (each imports only those above it, plus the lower layers named;
the table functions aggregate with ``research.stats``):

============== ============================================================== =====================
module         draws                                                          depends on
============== ============================================================== =====================
``style``      nothing: palette, strategy styles, labels, rc STYLE,           core.params,
               legend handles, notes, titles, :func:`save_figure`             core.metrics
``data``       nothing: column checks, ``where=``, design columns, the        style
               counts and numbers of the footnotes
``timeseries`` metrics over the weeks: mean line and CI band per group        style, data
``finals``     final values per group; incremental-ROI distributions          style, data,
                                                                              research.summaries
``segments``   digital natives vs. immigrants at the last week                style, data
``grids``      nothing alone: sweep axes, grid cells, labelled contours       style, data
``sweeps``     1-D sweeps (line and band) and heatmaps over 2-D sweeps        style, data, grids
``difference`` A minus B over a 2-D sweep, zero contour, Welch / paired CIs   style, data, grids,
                                                                              sweeps, scipy
``indices``    Sobol / Morris sensitivity index bars                          style, data
``recovery``   focal sales around an event per strategy (mean and CI band)    style, data,
                                                                              timeseries, research.recovery
``roi``        the firm's ROI estimate vs. the true incremental ROI, per run  style, data,
                                                                              research.roi
``checks``     the model's own checks: docking curves (Bass, DeGroot,         style,
               Friedkin-Johnsen) and the ad wear-out curve of the facts       research.facts
============== ============================================================== =====================
"""

from simulation.outputs.figures.difference import (
    DifferenceTable,
    difference_table,
    draw_difference,
    plot_difference,
    welch_half_width,
)
from simulation.outputs.figures.finals import (
    RoiTable,
    draw_final,
    draw_incremental_roi,
    final_table,
    incremental_roi_table,
    plot_final,
    plot_incremental_roi,
)
from simulation.outputs.figures.indices import draw_indices, indices_table, plot_indices
from simulation.outputs.figures.recovery import draw_event_window, event_window_table, plot_event_window
from simulation.outputs.figures.roi import (
    RoiEstimateTable,
    draw_roi_estimate,
    plot_roi_estimate,
    roi_estimate_table,
)
from simulation.outputs.figures.segments import (
    SegmentsTable,
    draw_segments,
    plot_segments,
    segments_table,
)
from simulation.outputs.figures.style import save_figure
from simulation.outputs.figures.sweeps import (
    HeatmapTable,
    SweepTable,
    draw_heatmap,
    draw_sweep_1d,
    heatmap_table,
    plot_heatmap,
    plot_sweep_1d,
    sweep_table,
)
from simulation.outputs.figures.timeseries import (
    draw_timeseries,
    plot_small_multiples,
    plot_timeseries,
    timeseries_table,
)

__all__ = [
    "DifferenceTable",
    "HeatmapTable",
    "RoiEstimateTable",
    "RoiTable",
    "SegmentsTable",
    "SweepTable",
    "difference_table",
    "draw_difference",
    "draw_event_window",
    "draw_final",
    "draw_heatmap",
    "draw_incremental_roi",
    "draw_roi_estimate",
    "draw_indices",
    "draw_segments",
    "draw_sweep_1d",
    "draw_timeseries",
    "event_window_table",
    "final_table",
    "heatmap_table",
    "incremental_roi_table",
    "indices_table",
    "plot_difference",
    "plot_event_window",
    "plot_final",
    "plot_heatmap",
    "plot_incremental_roi",
    "plot_indices",
    "plot_roi_estimate",
    "plot_segments",
    "plot_small_multiples",
    "plot_sweep_1d",
    "plot_timeseries",
    "roi_estimate_table",
    "save_figure",
    "segments_table",
    "sweep_table",
    "timeseries_table",
    "welch_half_width",
]
