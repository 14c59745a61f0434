"""Recovery after an event: how deep sales and trust fall, and how soon half of it is back
(docs/ODD.md, 7.12 and 7.13).

For one run's weekly series x (focal sales, the metric ``sales``, or :func:`focal_sales`, or the mean
``trust`` in the focal brand) and an event starting in week s:

* the series is smoothed with a trailing mean over ``SMOOTH_WEEKS`` weeks (weekly sales are
  counts with sampling noise; a single bad week is not a crisis);
* the pre-event level L is the mean of x over the ``PRE_WEEKS`` weeks before s;
* the reference path r(t) is L, or, when the same run without the event is given
  (``reference``: the same seed, so identical before s because events draw nothing before
  they start), that run's smoothed series: then a trend (sales growing at a launch) is not
  mistaken for recovery;
* the gap g(t) = smoothed x(t) - r(t) for t >= s; the drop is D = max(0, -min g), reported
  relative to L (``drop`` = D / L: 0.2 = a fall of 20 % of the pre-event level);
* the weeks to half recovery are t* - s for the first week t* after the trough with
  g(t*) >= -D / 2; NaN if the run ends first (never recovered); 0 if there was no drop.

Examples
--------
>>> x = [10.0] * 10 + [5.0] * 4 + [10.0] * 10
>>> d, w = recovery(x, start=10, smooth=1)
>>> round(d, 3), w
(0.5, 4.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

PRE_WEEKS = 8
SMOOTH_WEEKS = 4
#: Recovery series: name in the output columns -> column of the timeseries (``sales``: :func:`focal_sales`).
RECOVERY_SERIES = {"sales": "sales", "trust": "trust"}


def focal_sales(timeseries: pd.DataFrame) -> pd.Series:
    """Focal purchases this week per consumer: ``market_share * category_purchases`` (a week
    without category purchases, market share NaN, sold nothing), for a timeseries without the
    metric ``sales`` (focal purchases a week); drops are relative, so the unit drops out."""
    return timeseries["market_share"].fillna(0.0) * timeseries["category_purchases"]


def with_sales(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The timeseries with the column ``sales`` (:func:`focal_sales`) if it has not one."""
    return timeseries if "sales" in timeseries else timeseries.assign(sales=focal_sales(timeseries))
#: The columns :func:`recovery_rows` adds per run.
RECOVERY_COLUMNS = tuple(f"{name}_{what}" for name in RECOVERY_SERIES for what in ("drop", "half_weeks"))


def _smooth(x: np.ndarray, weeks: int) -> np.ndarray:
    return pd.Series(x).rolling(weeks, min_periods=1).mean().to_numpy()


def recovery(values: Sequence[float], start: int, pre: int = PRE_WEEKS, smooth: int = SMOOTH_WEEKS,
             reference: Sequence[float] | None = None) -> tuple[float, float]:
    """(relative drop, weeks to half recovery) of a series indexed by week (module docstring).

    NaN for both when the run has fewer than ``pre`` weeks before ``start`` or none from it
    on, or the pre-event level is not positive.
    """
    x = np.asarray(values, dtype=float)
    if start < pre or start >= len(x):
        return float("nan"), float("nan")
    level = float(np.nanmean(x[start - pre:start]))
    if not np.isfinite(level) or level <= 0:
        return float("nan"), float("nan")
    path = _smooth(x, smooth)
    ref = np.full(len(x), level) if reference is None else _smooth(np.asarray(reference, dtype=float), smooth)
    gap = (path - ref)[start:]
    if not np.isfinite(gap).any():
        return float("nan"), float("nan")
    trough = int(np.nanargmin(gap))
    depth = max(0.0, -float(gap[trough]))
    if depth == 0.0:
        return 0.0, 0.0
    back = np.flatnonzero(gap[trough + 1:] >= -depth / 2)
    weeks = float(trough + 1 + back[0]) if len(back) else float("nan")
    return depth / level, weeks


def recovery_rows(timeseries: pd.DataFrame, keys: Sequence[str], start: int | Mapping[str, int],
                  event_column: str = "events", reference_set: str | None = None,
                  pre: int = PRE_WEEKS, smooth: int = SMOOTH_WEEKS) -> pd.DataFrame:
    """One row per run (``keys``, which identify a run, e.g. strategy and replicate) with the
    :data:`RECOVERY_COLUMNS`.

    ``start``: the event's first week, or per value of ``event_column`` (the event set a run
    belongs to; sets without an entry are left out). ``reference_set``: the value of
    ``event_column`` of the runs without events; each run is then measured against the run
    with the same other keys in that set (same seed), see :func:`recovery`.
    """
    keys = list(keys)
    timeseries = with_sales(timeseries)
    rows = []
    wide = {name: timeseries.pivot_table(index=keys, columns="step", values=metric, aggfunc="first")
            for name, metric in RECOVERY_SERIES.items() if metric in timeseries}
    if not wide:
        return pd.DataFrame(columns=[*keys, *RECOVERY_COLUMNS])
    index = next(iter(wide.values())).index
    at = keys.index(event_column) if event_column in keys else None
    for run in index:
        label = run if len(keys) > 1 else (run,)
        if isinstance(start, Mapping):
            if at is None or label[at] not in start:
                continue
            s = int(start[label[at]])
        else:
            s = int(start)
        row = dict(zip(keys, label))
        for name, table in wide.items():
            ref = None
            if reference_set is not None and at is not None:
                twin = tuple(reference_set if i == at else v for i, v in enumerate(label))
                ref = table.loc[twin if len(keys) > 1 else twin[0]].to_numpy() if twin in table.index else None
            drop, weeks = recovery(table.loc[run].to_numpy(), s, pre, smooth, ref)
            row[f"{name}_drop"], row[f"{name}_half_weeks"] = drop, weeks
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, *RECOVERY_COLUMNS])


def event_starts(experiment: Mapping) -> tuple[dict[str, int], str | None]:
    """From an experiment definition: the first week of each non-empty event set (with the
    file's ``[[events]]`` included), and the name of the set without events (or None)."""
    base = [e["step"] for e in experiment.get("events", [])]
    sets = experiment.get("event_sets", {})
    starts = {name: min([*base, *(e["step"] for e in events)]) for name, events in sets.items()
              if events or base}
    empty = next((name for name, events in sets.items() if not events and not base), None)
    return starts, empty
