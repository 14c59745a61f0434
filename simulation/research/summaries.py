"""Summaries of finished runs: paired incremental ROI and confidence-interval tables.

One place for the numbers that tables and figures show (docs/ODD.md, "Observation"):
the headline, the reports and the baseline test all read them from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulation.research.stats import summarise


def incremental_roi(summary: pd.DataFrame, baseline: str = "none") -> pd.Series:
    """(profit - profit of the baseline on the same seed) / spend, per run.

    NaN for the baseline itself and for runs with no spend. Pairs by ``seed`` (common
    random numbers), so the interval across replicates measures what the strategy adds.
    """
    base = summary.loc[summary["strategy"] == baseline].set_index("seed")["profit"]
    if base.empty:
        return pd.Series(np.nan, index=summary.index)
    paired = summary["seed"].map(base)
    spend = summary["spend"].where(summary["spend"] > 0)
    return (summary["profit"] - paired) / spend


def confidence_table(summary: pd.DataFrame, metrics: Sequence[str],
                     by: str | Sequence[str] = "strategy") -> pd.DataFrame:
    """Per group (in order of appearance): ``n`` (runs), and the mean with its 95 % interval
    of each final metric (columns ``m``, ``m_lo``, ``m_hi``).

    The intervals are :func:`simulation.research.stats.summarise`'s: inside each metric's
    declared range, NaN bounds (no interval) where a group has one finite value.
    ``by`` is one column or several (e.g. ``["budget", "strategy"]``: one row per
    combination); the group columns come first.
    """
    keys = [by] if isinstance(by, str) else list(by)
    stats = summarise(summary, keys, list(metrics))
    runs = summary.groupby(keys, sort=False, observed=True).size().rename("n").reset_index()
    table = runs.merge(stats, on=keys, how="left", sort=False)
    table = table.rename(columns={f"{m}_mean": m for m in metrics})
    return table[[*keys, "n", *(f"{m}{s}" for m in metrics for s in ("", "_lo", "_hi"))]]
