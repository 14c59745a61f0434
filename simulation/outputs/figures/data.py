"""The data behind a figure: checks, ``where=`` selection, design columns, and the
numbers and counts its footnote states. Nothing here draws.

Sweep figures take the tidy ``finals`` table of :func:`simulation.research.store.load`
(one row per run, the varied parameters as columns). Design parameters that vary but
are not on an axis are pooled into the means, and :func:`pooled_note` names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.core.metrics import METRIC_NAMES
from simulation.outputs.figures.style import METRIC_LABELS, is_missing, is_number

#: Columns of a run table that are bookkeeping, never a design axis or a metric.
BOOKKEEPING = frozenset(
    {
        "run_id", "point", "replicate", "seed", "step", "status", "error", "started",
        "finished", "seconds", "versions", "git_commit", "params", "labels", "combo",
    }
)


def check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise if ``df`` is not a DataFrame or lacks one of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} has no column(s) {missing}; columns are {list(df.columns)}")


def as_list(metrics: str | Sequence[str]) -> list[str]:
    """One metric or several, as a non-empty list."""
    out = [metrics] if isinstance(metrics, str) else list(metrics)
    if not out:
        raise ValueError("at least one metric is needed")
    return out


def is_numeric_column(series: pd.Series) -> bool:
    """Numbers, not booleans."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def finite(values) -> np.ndarray:
    """``values`` as floats, with anything not finite (or not a number) as NaN."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(v), v, np.nan)


def match(series: pd.Series, value: object) -> np.ndarray:
    """Rows of ``series`` equal to ``value`` (floats: to 1e-9), or to any of a list."""
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
        mask = np.zeros(len(series), dtype=bool)
        for v in value:
            mask |= match(series, v)
        return mask
    if is_number(value) and is_numeric_column(series):
        return np.isclose(series.to_numpy(dtype=float), float(value), rtol=1e-9, atol=1e-12)
    if is_missing(value):
        return series.isna().to_numpy()
    return (series == value).to_numpy(dtype=bool)


def matching(df: pd.DataFrame, where: Mapping[str, object]) -> np.ndarray:
    """Boolean mask of the rows of ``df`` matching every ``column -> value(s)`` of ``where``."""
    mask = np.ones(len(df), dtype=bool)
    for col, value in where.items():
        mask &= match(df[col], value)
    return mask


def select(df: pd.DataFrame, where: Mapping[str, object] | None, what: str) -> pd.DataFrame:
    """Rows matching ``where`` (column -> value or list of values); raise if none."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    if where:
        if not isinstance(where, Mapping):
            raise TypeError(f"where must be a mapping column -> value(s), got {where!r}")
        check_columns(df, list(where), what)
        df = df.loc[matching(df, where)]
        if df.empty:
            raise ValueError(f"no row of {what} matches where={dict(where)!r}")
    if df.empty:
        raise ValueError(f"{what} has no rows (no finished run yet?): nothing to plot")
    return df


def _known_metrics() -> set[str]:
    return set(METRIC_NAMES) | set(METRIC_LABELS)


def design_columns(df: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Columns that describe the design (parameters, strategy) and take several values.

    Known metrics and bookkeeping columns never count. With a ``point`` column (a run
    store), a numeric column counts only if it is constant within each design point
    (parameters are, metrics are not); without one, only if it has at most half as many
    distinct values as rows.
    """
    skip = _known_metrics() | BOOKKEEPING | set(exclude)
    out = []
    for c in df.columns:
        if c in skip or str(c).startswith("_"):
            continue
        col = df[c]
        k = col.nunique(dropna=True)
        if k <= 1:
            continue
        if is_numeric_column(col):
            if "point" in df.columns:
                if (df.groupby("point", sort=False)[c].nunique(dropna=True) > 1).any():
                    continue
            elif 2 * k > len(df):
                continue
        out.append(c)
    return out


def pooled_note(df: pd.DataFrame, exclude: Iterable[str]) -> str:
    """Name the design columns that vary within the groups of ``exclude`` (the plotted
    keys): their values are pooled into one mean."""
    exclude = list(dict.fromkeys(exclude))
    cols = design_columns(df, exclude)
    keys = [c for c in exclude if c in df.columns]
    if cols and keys:
        within = df.groupby(keys, sort=False, observed=True, dropna=False)[cols].nunique().max()
        cols = [c for c in cols if within[c] > 1]
    if not cols:
        return ""
    parts = [f"{str(c).replace('_', ' ')} ({df[c].nunique()} values)" for c in cols]
    return "pooled over " + " and ".join(parts) + ", which are not on an axis"


def auto_facet(df: pd.DataFrame, exclude: Sequence[str], facet: str | bool | None) -> str | None:
    """The column to make panels by: as given, or the one other varied design column
    (if exactly one, with 2 to 8 values); ``False`` switches faceting off."""
    if facet is False:
        return None
    if isinstance(facet, str):
        check_columns(df, [facet], "data")
        return facet
    cols = design_columns(df, exclude)
    if len(cols) == 1 and 2 <= df[cols[0]].nunique() <= 8:
        return cols[0]
    return None


# ----------------------------------------------------------------- numbers in the text


def fmt_value(v: float, signed: bool = False) -> str:
    """Short number for labels: 3 significant figures, k / M for large values.

    Examples
    --------
    >>> fmt_value(12345.0), fmt_value(0.01234), fmt_value(-2.5, signed=True)
    ('12k', '0.012', '\u22122.50')
    """
    if v is None or not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        t = f"{v / 1e6:.2f}M"
    elif a >= 1e4:
        t = f"{v / 1e3:.0f}k"
    elif a >= 100:
        t = f"{v:.0f}"
    elif a >= 10:
        t = f"{v:.1f}"
    elif a >= 1:
        t = f"{v:.2f}"
    elif a >= 0.001 or a == 0:
        t = f"{v:.3f}"
    else:
        t = f"{v:.1e}"
    if signed and v > 0:
        t = "+" + t
    return t.replace("-", "\u2212")


def n_range(n) -> str:
    """"3" or "2-4": the range of the positive counts ``n``."""
    n = np.asarray(n, dtype=float)
    n = n[n > 0]
    if not n.size:
        return "0"
    lo, hi = int(n.min()), int(n.max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def n_text(n: np.ndarray, per: str) -> str:
    """How many runs each mean is over, and whether intervals are shown."""
    n = np.asarray(n, dtype=float)
    n = n[n > 0]
    if n.size == 0:
        return "no finite values"
    lo, hi = int(n.min()), int(n.max())
    if hi <= 1:
        return f"n = 1 run per {per}, so no interval is shown"
    text = f"n = {lo} runs per {per}" if lo == hi else f"n = {lo}-{hi} runs per {per}"
    return text + ("; no interval where n = 1" if lo <= 1 else "")


def n_replicates_note(df: pd.DataFrame, by: str) -> str:
    """How many replicates each group has, and whether intervals are shown."""
    if "replicate" in df.columns:
        n = df.groupby(by, observed=True)["replicate"].nunique()
    else:
        n = df.groupby(by, observed=True).size()
    if n.empty:
        return ""
    lo, hi = int(n.min()), int(n.max())
    if hi <= 1:
        return "n = 1 replicate, so no interval is shown"
    text = f"n = {lo} replicates" if lo == hi else f"n = {lo}-{hi} replicates"
    return text + ("; no interval where n = 1" if lo <= 1 else "")


def missing_text(no_run: int, nan_only: int, total: int, what: str) -> str:
    """Footnote on design points without a finished run, or without a finite value."""
    parts = []
    if no_run:
        parts.append(
            f"{no_run} of {total} {what} have no finished run yet (sweep in progress?) "
            "and are left as gaps"
        )
    if nan_only:
        parts.append(f"{nan_only} of {total} {what} have runs but no finite value (left blank)")
    return "; ".join(parts)


def pct(confidence: float) -> str:
    """A confidence level as the percentage shown in the text: 0.95 -> '95'."""
    return f"{100 * confidence:g}"

