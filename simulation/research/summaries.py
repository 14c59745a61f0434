"""Summaries of finished runs: paired incremental ROI and confidence-interval tables.

One place for the numbers that tables and figures show (docs/ODD.md, "Observation"):
the headline, the reports and the baseline test all read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.errors import WomsimError
from simulation.research.stats import summarise


def incremental_roi(summary: pd.DataFrame, baseline: str = "none", within: Sequence[str] = ()) -> pd.Series:
    """(profit - profit of the baseline on the same seed) / spend, per run.

    NaN for the baseline itself, for runs with no spend and for runs without a baseline
    run to pair with. Pairs by ``seed`` (common random numbers), so the interval across
    replicates measures what the strategy adds; ``within`` names design columns (e.g.
    ``["scenario"]``) whose values must match too, for designs that reuse one seed at
    several design points (the headline runs both scenarios of a replicate on one seed).

    Raises
    ------
    WomsimError
        If the baseline has more than one run per seed (and ``within`` values): the pairing
        would be ambiguous, so ``within`` is missing a design column.
    """
    keys = [*[c for c in within if c in summary.columns], "seed"]
    base = summary.loc[summary["strategy"] == baseline, [*keys, "profit"]]
    if base.empty:
        return pd.Series(np.nan, index=summary.index)
    if base.duplicated(keys).any():
        raise WomsimError(f"incremental ROI: more than one '{baseline}' run per {' and '.join(keys)}, so the "
                          "pairing is ambiguous; pair within the design columns that share seeds")
    paired = summary[keys].merge(base.rename(columns={"profit": "_base"}), on=keys, how="left")["_base"]
    spend = summary["spend"].where(summary["spend"] > 0)
    return (summary["profit"] - paired.to_numpy()) / spend


def confidence_table(summary: pd.DataFrame, metrics: Sequence[str],
                     by: str | Sequence[str] = "strategy", *, counts: bool = False,
                     bounds: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Per group (in order of appearance): ``n`` (runs), and the mean with its 95 % interval
    of each final metric (columns ``m``, ``m_lo``, ``m_hi``).

    The intervals are :func:`simulation.research.stats.summarise`'s: inside each metric's
    declared range (or the range ``bounds`` gives a derived column), NaN bounds (no
    interval) where a group has one finite value. ``by`` is one column or several (e.g.
    ``["budget", "strategy"]``: one row per combination); the group columns come first.
    ``counts``: also ``m_n``, the runs with a finite value (a run whose metric is undefined,
    NaN, is left out of the mean; this says how many were).
    """
    keys = [by] if isinstance(by, str) else list(by)
    stats = summarise(summary, keys, list(metrics), bounds=bounds)
    runs = summary.groupby(keys, sort=False, observed=True).size().rename("n").reset_index()
    table = runs.merge(stats, on=keys, how="left", sort=False)
    table = table.rename(columns={f"{m}_mean": m for m in metrics})
    suffixes = ("", "_lo", "_hi", "_n") if counts else ("", "_lo", "_hi")
    return table[[*keys, "n", *(f"{m}{s}" for m in metrics for s in suffixes)]]
