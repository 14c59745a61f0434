"""The sensitivity output: research computes the indices, outputs draws and prints them."""

from __future__ import annotations

import pandas as pd

from simulation.outputs import figures, sensitivity_report
from simulation.research import sensitivity


def test_indices_are_drawn_by_the_figures_package_not_by_research():
    # replaces the check that research.sensitivity re-exported plots.plot_indices
    assert not hasattr(sensitivity, "plot_indices")
    assert sensitivity_report.figures is figures and callable(figures.plot_indices)


def test_format_indices_drops_the_combination_and_aligns_numbers():
    table = pd.DataFrame({"strategy": ["hype", "hype"], "combo": [0, 0], "parameter": ["budget", "quality"],
                          "S1": [0.0271, 0.5], "S1_conf": [0.8312, 2.079], "ST": [0.2, float("nan")],
                          "ST_conf": [0.286, 1.698]})
    lines = sensitivity_report.format_indices(table).splitlines()
    assert lines[0].split() == ["strategy", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert lines[2].split() == ["hype", "budget", "0.027", "0.831", "0.200", "0.286"]
    assert lines[3].split()[4] == "-"
    assert lines[2].index("0.027") + 5 == lines[0].index(" S1 ") + 3  # numbers right-aligned under their header
