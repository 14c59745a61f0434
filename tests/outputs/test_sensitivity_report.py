"""The sensitivity output: research computes the indices, outputs draws and prints them, and
says when the sample is too small for them to be trusted."""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.test_functions import Ishigami

from simulation.outputs import figures, sensitivity_report
from simulation.outputs.figures import indices
from simulation.research import sensitivity
from simulation.research.experiment import Experiment, load_experiment
from simulation.research.sweep import run_sweep

from conftest import DATA


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
    assert len(lines) == 4  # no warning given, none printed


def _footers(monkeypatch) -> list[str]:
    """Record the footnote of every index figure saved."""
    seen = []
    original = indices.save_figure

    def save(fig, path_stem):
        seen.append(fig._supxlabel.get_text() if fig._supxlabel is not None else "")
        return original(fig, path_stem)

    monkeypatch.setattr(indices, "save_figure", save)
    return seen


def test_a_tiny_sobol_sweep_is_warned_about_in_the_table_the_figure_and_stdout(tmp_path, monkeypatch, capsys):
    exp = load_experiment(DATA / "sweep_sobol.toml")  # N = 8, 2 parameters: 32 runs
    out = tmp_path / "out"
    run_sweep(exp, out, workers=1, progress=False)
    footers = _footers(monkeypatch)
    monkeypatch.setattr(sensitivity_report, "build_report", lambda *a, **k: None)  # the report is tested elsewhere
    assert sensitivity_report.main_sensitivity(exp, out) == 0
    stdout = capsys.readouterr().out
    warning = sensitivity.sample_warning(exp, pd.read_csv(out / "sensitivity_loyalty.csv"))
    assert warning.startswith("too few samples for these Sobol indices to be trusted: N = 8 base samples")
    assert "N (D + 2) runs" in warning and "power of 2" in warning
    assert f"warning: {warning}" in stdout.splitlines()  # one line under the table
    assert stdout.index("S1_conf") < stdout.index("warning: too few samples")
    table, again = sensitivity_report.sensitivity_report(exp, out)
    assert again == warning
    assert sensitivity_report.format_indices(table, warning).splitlines()[-1] == f"warning: {warning}"
    assert len(footers) == 2
    for footer in footers:
        text = " ".join(footer.split())  # the footnote is wrapped
        assert text.startswith("WARNING: too few samples for these Sobol indices") and "N (D + 2) runs" in text


def test_a_well_sampled_case_carries_no_warning(tmp_path, monkeypatch):
    exp = Experiment(name="ishigami", steps=1, replicates=1, seed=1, base={"strategy": "mixed"}, grid={},
                     design="sobol", samples=1024, ranges={f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
    x = exp.sample_matrix()
    finals = pd.DataFrame({"point": np.arange(len(x)), "strategy": "mixed", "loyalty": Ishigami.evaluate(x)})
    table = sensitivity.analyse(exp, finals)
    warning = sensitivity.sample_warning(exp, table)
    assert warning == ""
    footers = _footers(monkeypatch)
    figures.plot_indices(table, tmp_path / "ishigami", "loyalty", "Ishigami", warning)
    assert footers and "WARNING" not in footers[0] and "bootstrap confidence interval" in footers[0]
    assert "warning" not in sensitivity_report.format_indices(table, warning)
