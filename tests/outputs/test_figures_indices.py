"""Tests of the sensitivity-index figure (simulation.outputs.figures.indices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figures_data import assert_valid_figure

from simulation.outputs import figures
from simulation.outputs.figures import style


def test_sensitivity_module_uses_plot_indices_from_figures():
    from simulation.research import sensitivity

    assert sensitivity.plot_indices is figures.plot_indices


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
