"""Tests of the sensitivity-index figure (simulation.outputs.figures.indices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figures_data import assert_valid_figure

from simulation.outputs import figures
from simulation.outputs.figures import style


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_plot_indices(tmp_path, kind):
    params = ["quality", "budget", "hype"]
    rows = []
    for strategy in ("mixed", "dialogue"):
        for i, p in enumerate(params):
            if kind == "sobol":
                rows.append({"strategy": strategy, "combo": 0, "parameter": p, "S1": 0.6 / (i + 1) - 0.02,
                             "S1_conf": 0.05, "ST": 0.7 / (i + 1), "ST_conf": np.nan if i == 2 else 0.04})
            else:
                rows.append({"strategy": strategy, "combo": 0, "parameter": p, "mu_star": 0.3 / (i + 1),
                             "mu_star_conf": 0.02, "sigma": 0.1})
    paths = figures.plot_indices(pd.DataFrame(rows), tmp_path / kind, "loyalty", f"{kind} test")
    assert_valid_figure(paths, [style.STRATEGY_COLORS["mixed"], style.STRATEGY_COLORS["dialogue"]])


def test_indices_table_orders_parameters_and_draw_indices():
    import matplotlib.pyplot as plt

    rows = [{"strategy": s, "parameter": p, "S1": v / 2, "S1_conf": 0.01, "ST": v, "ST_conf": 0.02}
            for s in ("mixed", "dialogue") for p, v in (("quality", 0.6), ("budget", 0.1), ("hype", 0.3))]
    table = figures.indices_table(pd.DataFrame(rows))
    assert (table["combo"] == 0).all()
    assert table.drop_duplicates("parameter").set_index("parameter")["row"].to_dict() == {
        "budget": 0, "hype": 1, "quality": 2}  # largest total index on top
    with pytest.raises(ValueError, match="empty"):
        figures.indices_table(pd.DataFrame(rows).iloc[:0])
    fig, ax = plt.subplots()
    try:
        assert figures.draw_indices(ax, table, "mixed", "loyalty") is ax
        assert len(ax.patches) == 2 * 3  # ST and S1 per parameter
        assert [t.get_text() for t in ax.get_yticklabels()] == ["budget", "hype", "quality"]
        assert ax.patches[0].get_facecolor()[:3] == pytest.approx(
            tuple(int(style.STRATEGY_COLORS["mixed"][i:i + 2], 16) / 255 for i in (1, 3, 5)))
    finally:
        plt.close(fig)
