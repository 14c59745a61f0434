"""Tests of simulation.outputs.figures.style: palette, strategy styles, labels, saving."""

from __future__ import annotations

import matplotlib
from figures_data import METRICS

from simulation.outputs.figures import style


def test_style_constants():
    assert style.STRATEGY_ORDER == ("none", "broadcast", "hype", "fanpage", "dialogue", "mixed")
    assert style.STRATEGY_COLORS["none"] == "#999999"
    assert set(style.STRATEGY_COLORS) == set(style.STRATEGY_ORDER)
    colours = list(style.STRATEGY_COLORS.values())
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(style.OKABE_ITO.values())
    assert "#F0E442" not in colours  # plain yellow is unreadable as a line
    styles = [(str(s["linestyle"]), s["marker"]) for s in style.STRATEGY_STYLES.values()]
    assert len(set(styles)) == len(styles)
    assert len({s["marker"] for s in style.STRATEGY_STYLES.values()}) == len(styles)
    for metric in METRICS + ["step", "loyal_share", "spend", "revenue", "wom_positive"]:
        assert metric in style.METRIC_LABELS
    assert style.METRIC_LABELS["step"] == "week"


def test_group_styles_deterministic_and_distinct():
    assert style.order_groups(["mixed", "none", "hype"]) == ["none", "hype", "mixed"]
    a = style.group_styles(["ws", "ba", "er"])
    b = style.group_styles(["er", "ws", "ba"])
    assert a == b
    assert len({s["color"] for s in a.values()}) == 3
    mixed = style.group_styles(["none", "dialogue", "custom"])
    assert mixed["dialogue"]["color"] == style.STRATEGY_COLORS["dialogue"]
    assert mixed["custom"]["color"] not in style.STRATEGY_COLORS.values()
    many = style.group_styles(list(range(12)))
    assert len({(s["color"], str(s["linestyle"])) for s in many.values()}) == 12


def test_save_figure_writes_png_and_svg(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = style.save_figure(fig, tmp_path / "deep" / "dir" / "fig_0.5")
    assert [p.name for p in paths] == ["fig_0.5.png", "fig_0.5.svg"]
    assert all(p.exists() for p in paths)
    assert not plt.fignum_exists(fig.number)
    assert matplotlib.get_backend().lower() == "agg"


# ------------------------------------------------------------------ derived, exported


def test_strategy_order_and_labels_derive_from_the_model():
    from simulation.core.metrics import METRICS as MODEL_METRICS
    from simulation.core.params import STRATEGIES

    assert style.STRATEGY_ORDER == tuple(STRATEGIES)
    assert set(style.STRATEGY_COLORS) == set(STRATEGIES) == set(style.STRATEGY_STYLES)
    assert set(style.METRIC_LABELS) == {"step", "incremental_roi", *MODEL_METRICS}
    # a metric without curated axis wording is labelled from METRICS: "<meaning> (<unit>)"
    unit, meaning = MODEL_METRICS["mean_attitude"].unit, MODEL_METRICS["mean_attitude"].meaning
    label = "mean attitude to the focal brand of those aware of it (-1..1)"
    assert style.METRIC_LABELS["mean_attitude"] == f"{meaning} ({unit})" == label


def test_package_exports_every_kind_and_plots_is_gone():
    import importlib.util

    from simulation.outputs import figures

    for name in figures.__all__:
        assert getattr(figures, name) is not None, name
    for kind in ("timeseries", "final", "incremental_roi", "segments", "sweep_1d", "heatmap", "difference",
                 "indices"):
        assert callable(getattr(figures, f"plot_{kind}")) and callable(getattr(figures, f"draw_{kind}"))
    for table in ("timeseries_table", "final_table", "incremental_roi_table", "segments_table", "sweep_table",
                  "heatmap_table", "difference_table", "indices_table"):
        assert callable(getattr(figures, table))
    assert importlib.util.find_spec("simulation.outputs.plots") is None
