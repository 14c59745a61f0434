"""Writing a sensitivity analysis (``python run.py sensitivity``): ``sensitivity_<metric>.csv``,
the figure of the indices, the sweep's report, and the table on the command line.

The indices are computed by :func:`simulation.research.sensitivity.analyse` (SALib).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.errors import WomsimError
from simulation.outputs import figures
from simulation.outputs.report import build_report
from simulation.outputs.tables import render_frame
from simulation.research.experiment import Experiment
from simulation.research.provenance import write_atomic
from simulation.research.sensitivity import analyse, sample_warning
from simulation.research.store import load


def sensitivity_report(exp: Experiment, out: Path, metric: str = "loyalty") -> tuple[pd.DataFrame, str]:
    """Indices of the finished runs in the store ``out``; writes ``out/sensitivity_<metric>.csv``
    and ``.png``/``.svg`` (whose footnote carries the warning); returns the table and its
    :func:`~simulation.research.sensitivity.sample_warning` ("" when the sample is large enough).

    Raises
    ------
    WomsimError
        If the store has no finished run, or a design point has none yet.
    """
    finals = load(out)["finals"]
    if finals.empty:
        raise WomsimError(f"no finished runs in '{out}': run the sweep first")
    table = analyse(exp, finals, metric)
    warning = sample_warning(exp, table)
    write_atomic(out / f"sensitivity_{metric}.csv", table.to_csv(index=False, float_format="%.5g"))
    kind = "Sobol indices (Saltelli)" if exp.design == "sobol" else "Morris screening"
    figures.plot_indices(table, out / f"sensitivity_{metric}", metric,
                         f"{kind} of final {metric}, {exp.name} ({exp.replicates} replicates per point)", warning)
    return table, warning


def format_indices(table: pd.DataFrame, warning: str = "") -> str:
    """The indices as an aligned text table (numbers to 3 decimals), without the grid-combination
    column; a ``warning`` (:func:`~simulation.research.sensitivity.sample_warning`) follows it as
    a line "warning: ..."."""
    text = render_frame(table.drop(columns="combo"))
    return text + (f"\nwarning: {warning}" if warning else "")


def main_sensitivity(exp: Experiment, out: Path, metric: str = "loyalty") -> int:
    """CLI end of ``python run.py sensitivity`` once the sweep has run: write the indices and the
    sweep's report, print the table, return 0."""
    table, warning = sensitivity_report(exp, out, metric)
    build_report(out, metric=metric)
    print(f"\nSensitivity of final {metric} ({exp.design}, 95 % confidence intervals):")
    print(format_indices(table, warning))
    print(f"\nWrote {out}/sensitivity_{metric}.csv and .png")
    return 0
