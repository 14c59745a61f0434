"""Figures (being split out of ``simulation/outputs/plots.py``): every ``plot_*`` name.

Temporary shim while the split is under way; replaced by the real modules.
"""

from simulation.outputs.plots import *  # noqa: F401,F403
from simulation.outputs.plots import (  # noqa: F401
    plot_difference, plot_final, plot_heatmap, plot_incremental_roi, plot_indices, plot_segments,
    plot_small_multiples, plot_sweep_1d, plot_timeseries,
)
