"""When are sensitivity indices to be trusted? (simulation.research.sensitivity.sample_warning)

The well-sampled cases use SALib's Ishigami test function (no model runs): its Sobol indices
are known (S1 = 0.31, 0.44, 0; ST = 0.56, 0.44, 0.24), so a large N must give them without
a warning, and a small N must be warned about.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from simulation.research.experiment import Experiment
from simulation.research.sensitivity import SOBOL_MIN_N, analyse, sample_warning

RANGES = {"x1": (-np.pi, np.pi), "x2": (-np.pi, np.pi), "x3": (-np.pi, np.pi)}


def ishigami(design: str, samples: int) -> tuple[Experiment, pd.DataFrame]:
    """An experiment over the three Ishigami inputs and its indices, from the function itself."""
    exp = Experiment(name="ishigami", steps=1, replicates=1, seed=1, base={"strategy": "mixed"}, grid={},
                     design=design, samples=samples, ranges=RANGES)
    x = exp.sample_matrix()
    finals = pd.DataFrame({"point": np.arange(len(x)), "strategy": "mixed", "loyalty": Ishigami.evaluate(x)})
    return exp, analyse(exp, finals)


def test_well_sampled_sobol_indices_carry_no_warning():
    exp, table = ishigami("sobol", 1024)
    t = table.set_index("parameter")
    assert t["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert t["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert sample_warning(exp, table) == ""


def test_well_sampled_morris_carries_no_warning():
    exp, table = ishigami("morris", 20)
    assert sample_warning(exp, table) == ""


def test_a_small_sobol_sample_is_warned_about_with_the_salib_rule():
    exp, table = ishigami("sobol", 16)
    text = sample_warning(exp, table)
    assert text.startswith("too few samples for these Sobol indices to be trusted")
    assert f"N = 16 base samples is below {SOBOL_MIN_N}" in text
    assert "N (D + 2) runs" in text and "power of 2" in text and "several hundred to a thousand" in text
    assert "16 x (3 + 2) = 80 runs" in text and "raise [sweep] samples to 512" in text
    with pytest.warns(UserWarning, match="power of 2"):  # scipy says so too
        exp, table = ishigami("sobol", 1000)  # large, but not a power of 2
    text = sample_warning(exp, table)
    assert "N = 1000 is not a power of 2" in text and "raise [sweep] samples to 1024" in text


def test_indices_outside_the_unit_interval_beyond_their_ci_and_wide_cis_are_named():
    exp, table = ishigami("sobol", 1024)
    bad = table.copy()
    bad.loc[0, ["S1", "S1_conf"]] = [1.24, 0.08]
    text = sample_warning(exp, bad)
    assert "1 S1 values lie outside [0, 1] beyond their CI (e.g. S1 of x1 for mixed = 1.24 +/- 0.08)" in text
    assert "N = 1024" not in text  # N itself is fine
    wide = table.copy()
    wide.loc[2, "ST_conf"] = 0.3
    assert "95 % CI half-widths reach 0.30 (> 0.1)" in sample_warning(exp, wide)
    inside = table.copy()
    inside.loc[0, ["S1", "S1_conf"]] = [1.04, 0.08]  # above 1, but not beyond its CI
    assert sample_warning(exp, inside) == ""


def test_few_morris_trajectories_are_warned_about():
    exp, table = ishigami("morris", 4)
    text = sample_warning(exp, table)
    assert "r = 4 trajectories is below 10" in text and "r (D + 1) runs" in text
    assert "raise [sweep] samples to 10" in text
