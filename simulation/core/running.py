"""Running a model: ``run`` and ``timeseries``, the same for both engines.

The vectorised engine (:mod:`simulation.core.model`) and the per-agent reference
(:mod:`simulation.core.reference`) both mix this in, so they run and report alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the frame comes from Mesa's DataCollector; core does not import pandas itself
    import pandas as pd


class RunMixin:
    """``run`` and ``timeseries`` of a Mesa model with ``params`` and a ``datacollector``."""

    def run(self, steps: int | None = None) -> None:
        """Run ``steps`` weeks (default: ``params.steps``)."""
        for _ in range(self.params.steps if steps is None else steps):
            self.step()

    def timeseries(self) -> pd.DataFrame:
        """Model metrics, one row per step (step 0 = initial state)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "step", np.arange(len(df)))
        return df
