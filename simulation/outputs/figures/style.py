"""Figure style (temporary shim while plots.py is split): colours, labels, saving."""

from simulation.outputs.plots import (  # noqa: F401
    DEFAULT_PANELS, METRIC_LABELS, OKABE_ITO, STRATEGY_COLORS, STRATEGY_ORDER, STRATEGY_STYLES,
    STYLE, group_styles, metric_label, order_groups, save_figure, style_for,
)
