"""The files of a run folder: ``timeseries.csv``, ``summary.csv`` and ``run.json``.

``simulate`` and the headline write their results here, in one format: tidy CSVs with
six significant digits, and the run's description with its provenance as JSON. Every
file is written atomically (:func:`~simulation.research.provenance.write_atomic`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.research.provenance import provenance, write_atomic, write_json

TIMESERIES_FILE = "timeseries.csv"
SUMMARY_FILE = "summary.csv"
RUN_FILE = "run.json"
FLOAT_FORMAT = "%.6g"


def write_run_outputs(out: str | Path, timeseries: pd.DataFrame, summary: pd.DataFrame,
                      meta: Mapping[str, Any]) -> Path:
    """Write the three files into ``out`` (created if needed); return ``out``.

    ``meta`` describes the runs (parameters, seeds, timing); the provenance (time,
    command, versions, git commit, machine) is added to it in ``run.json``.
    """
    out = Path(out)
    write_atomic(out / TIMESERIES_FILE, timeseries.to_csv(index=False, float_format=FLOAT_FORMAT))
    write_atomic(out / SUMMARY_FILE, summary.to_csv(index=False, float_format=FLOAT_FORMAT))
    write_json(out / RUN_FILE, {**meta, **provenance()})
    return out
