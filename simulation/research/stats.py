"""Means and Student-t confidence intervals over simulation replicates.

Replicates of one scenario are independent runs that differ only in their random seed,
so the mean of a metric over replicates has the usual Student-t confidence interval

    mean +/- t_{(1 + confidence) / 2, n - 1} * s / sqrt(n)

where ``s`` is the sample standard deviation (``ddof=1``) and ``n`` the number of
replicates with a finite value. Non-finite values (NaN, +/-inf; e.g. the ROI of the
``none`` strategy, which spends nothing) are left out of ``n``.

Edge cases, the same in :func:`mean_ci` and :func:`summarise`:

* no finite value: mean, lower and upper bound are all NaN;
* exactly one finite value: the interval collapses to ``(mean, mean)`` (no spread can
  be estimated from one run; the ``_n`` column of :func:`summarise` tells such rows
  apart from a genuine zero-width interval);
* all values equal: the interval is ``(mean, mean)``.

Examples
--------
>>> m, lo, hi = mean_ci([1.0, 2.0, 3.0])
>>> round(m, 3), round(lo, 3), round(hi, 3)
(2.0, -0.484, 4.484)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["mean_ci", "summarise", "t_half_width"]


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return confidence


def t_half_width(std, n, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the Student-t confidence interval of a mean, element-wise.

    Parameters
    ----------
    std : array_like
        Sample standard deviations (``ddof=1``).
    n : array_like
        Number of observations behind each standard deviation.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    numpy.ndarray
        ``t_{(1+confidence)/2, n-1} * std / sqrt(n)``; 0 where ``n == 1`` and NaN where
        ``n == 0``.

    Examples
    --------
    >>> t_half_width([1.0, 1.0, 5.0], [3, 1, 0]).round(4).tolist()
    [2.4841, 0.0, nan]
    """
    confidence = _check_confidence(confidence)
    std = np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    std, n = np.broadcast_arrays(std, n)
    half = np.full(std.shape, np.nan)
    many = n >= 2
    if np.any(many):
        q = _st.t.ppf(0.5 + confidence / 2.0, n[many] - 1.0)
        half[many] = q * np.nan_to_num(std[many], nan=0.0) / np.sqrt(n[many])
    half[n == 1] = 0.0
    return half


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` and its Student-t confidence interval, ignoring NaN.

    Parameters
    ----------
    values : iterable of float
        Observations, typically one final metric value per replicate. NaN and
        infinite values are ignored.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    tuple of float
        ``(mean, lower, upper)``. With exactly one finite value the interval is
        ``(mean, mean)``; with none, all three are NaN.

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> mean_ci([1, 2, 3])[0]
    2.0
    >>> m, lo, hi = mean_ci([1, 2, 3, float("nan")], confidence=0.9)
    >>> round(hi - m, 4)  # t_{0.95, 2} * 1 / sqrt(3)
    1.6859
    >>> mean_ci([4.0])
    (4.0, 4.0, 4.0)
    >>> mean_ci([])
    (nan, nan, nan)
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    if n == 1:
        return mean, mean, mean
    half = float(t_half_width(x.std(ddof=1), n, confidence))
    return mean, mean - half, mean + half


def summarise(
    df: pd.DataFrame,
    by: str | Sequence[str],
    metrics: str | Sequence[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per-group mean and Student-t confidence interval of several metrics.

    The arithmetic is one vectorised ``groupby(...).agg(["mean", "std", "count"])``
    followed by t quantiles on whole arrays; there is no Python loop over groups.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy data, e.g. a timeseries (one row per strategy, replicate and step) or a
        summary (one row per strategy and replicate).
    by : str or sequence of str
        Grouping column(s), e.g. ``"strategy"`` or ``["strategy", "step"]``.
    metrics : str or sequence of str
        Numeric column(s) to summarise. Non-finite values are ignored.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by the group keys), the ``by`` columns followed by
        ``{metric}_mean``, ``{metric}_lo``, ``{metric}_hi`` and ``{metric}_n`` (int,
        the number of finite values) for each metric. Groups with one finite value
        have ``lo == hi == mean``; groups with none have NaN in all three.

    Raises
    ------
    ValueError
        If a column is missing or ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> df = pd.DataFrame({"strategy": ["a", "a", "a", "b"],
    ...                    "x": [1.0, 2.0, 3.0, 5.0]})
    >>> s = summarise(df, "strategy", ["x"])
    >>> s[["strategy", "x_mean", "x_n"]].to_string(index=False)
    'strategy  x_mean  x_n\\n       a     2.0    3\\n       b     5.0    1'
    >>> s["x_hi"].round(3).tolist()
    [4.484, 5.0]
    """
    confidence = _check_confidence(confidence)
    by_list = [by] if isinstance(by, str) else list(by)
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    if not by_list:
        raise ValueError("summarise needs at least one grouping column")
    missing = [c for c in by_list + metric_list if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the data: {missing}; have {list(df.columns)}")

    values = df[metric_list].apply(pd.to_numeric, errors="coerce").astype(float)
    values = values.where(np.isfinite(values.to_numpy()))
    keys = [df[c] for c in by_list]
    agg = values.groupby(keys, sort=True, observed=True, dropna=False).agg(
        ["mean", "std", "count"]
    )

    out = pd.DataFrame(index=agg.index)
    for m in metric_list:
        mean = agg[(m, "mean")].to_numpy(dtype=float)
        n = agg[(m, "count")].to_numpy(dtype=int)
        half = t_half_width(agg[(m, "std")].to_numpy(dtype=float), n, confidence)
        out[f"{m}_mean"] = mean
        out[f"{m}_lo"] = mean - half
        out[f"{m}_hi"] = mean + half
        out[f"{m}_n"] = n
    return out.reset_index()
