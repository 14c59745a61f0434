"""Means over simulation replicates and their confidence intervals, inside each metric's range.

Replicates of one scenario are independent runs that differ only in their random seed. The
mean of a metric over ``n`` replicates (those with a finite value; NaN and +/-inf, e.g. the
ROI of the ``none`` strategy, which spends nothing, are left out of ``n``) gets a Student-t
interval, computed on a scale on which the metric's declared range
(:data:`simulation.core.metrics.METRICS`, ``range``) cannot be left:

* **unbounded** (profit, incremental ROI, any column that is not a metric):
  the t-interval ``mean +/- t * se`` with ``t = t_{(1 + confidence) / 2, n - 1}`` and
  ``se = s / sqrt(n)`` (``s`` the sample standard deviation, ``ddof=1``);
* **bounded on both sides** [L, U] (shares, loyalty, trust in [0, 1]; attitude and
  sentiment in [-1, 1]; NPS in [-100, 100]): the range-scaled mean ``p = (mean - L) / (U - L)``
  is moved to the logit scale, ``z = logit(p)``, whose standard error by the delta method is
  ``se_z = se / ((U - L) p (1 - p))``; the interval ``z +/- t * se_z`` is mapped back with
  ``L + (U - L) expit(.)``;
* **bounded on one side** (counts, spend, revenue >= 0; ROI >= -1): the same on the log
  scale of the distance to the bound, ``log(mean - L) +/- t * se / (mean - L)``.

Why this method: the interval is inside the range by construction (not clipped after the
fact), it is a t-interval (the right width for the 2-10 replicates of a typical experiment,
where a bootstrap is far too narrow), and away from the bounds it reduces to the plain
t-interval: to second order the ends move by ``(1 - 2p) h^2 / (2 p (1 - p))`` on the scaled
axis (``h`` the scaled t half-width), so when the t half-width is at most 2 % of the distance
from the mean to the nearer bound, both ends agree with the t-interval within 1 % of its
half-width. Near a bound it is asymmetric, longer on the open side: for skewed shares close
to 0 its coverage is closer to nominal than the t-interval's (tests/research/test_stats.py
measures both on Beta-distributed shares).

Edge cases, the same wherever an interval is computed (:func:`interval` is the only place):

* no finite value: mean, lower and upper bound are all NaN;
* exactly one finite value: the mean, and NaN bounds: no interval (the spread cannot be
  estimated from one run); tables print ``mean (n/a, 1 replicate)``, figures draw no band;
* all values equal (zero spread, including a mean exactly at a bound, e.g. every replicate
  fully aware): the interval is ``(mean, mean)``, the replicates show no variation;
* a mean at a bound with a non-zero spread can only come from rounding (values are checked
  against the range, see below): the t-interval clipped to the range.

Values outside a declared range (beyond a rounding tolerance) are an error
(:class:`~simulation.errors.WomsimError`, a one-line message on the command line): either
the data are not what the column name says, or the declaration is wrong; values within the
tolerance are clipped onto the range.

Examples
--------
>>> m, lo, hi = mean_ci([1.0, 2.0, 3.0])
>>> round(m, 3), round(lo, 3), round(hi, 3)
(2.0, -0.484, 4.484)
>>> m, lo, hi = mean_ci([0.01, 0.0, 0.03, 0.002], bounds=(0.0, 1.0))
>>> 0.0 < lo < m < hi < 1.0
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special as _sp
from scipy import stats as _st

from simulation.core.metrics import UNBOUNDED, metric_range
from simulation.errors import WomsimError

__all__ = ["check_range", "interval", "mean_ci", "summarise", "t_half_width"]

#: Relative tolerance (of the range's scale) for values just outside a declared range: the
#: model keeps its own metrics inside (``public_sentiment`` is clamped against rounding);
#: this is for data read from files written by other code or older versions.
RANGE_TOLERANCE = 1e-9


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return confidence


def _check_bounds(bounds) -> tuple[float, float]:
    lower, upper = (float(b) for b in bounds)
    if math.isnan(lower) or math.isnan(upper) or not lower < upper:
        raise ValueError(f"bounds must be (lower, upper) with lower < upper, got {bounds!r}")
    return lower, upper


def t_half_width(std, n, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the plain Student-t confidence interval of a mean, element-wise.

    This is the interval of an unbounded quantity (and of differences, e.g. the difference
    maps); :func:`interval` uses it and moves it onto a bounded metric's scale.

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
        ``t_{(1+confidence)/2, n-1} * std / sqrt(n)``; NaN where ``n < 2`` (no spread can
        be estimated from one value).

    Examples
    --------
    >>> t_half_width([1.0, 1.0, 5.0], [3, 1, 0]).round(4).tolist()
    [2.4841, nan, nan]
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
    return half


def interval(mean, std, n, bounds: tuple[float, float] = UNBOUNDED,
             confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a mean over ``n`` replicates, inside ``bounds``, element-wise.

    The one place where intervals are computed (:func:`mean_ci`, :func:`summarise` and
    :func:`simulation.research.summaries.confidence_table` call it); the method and its edge
    cases are described in the module docstring.

    Parameters
    ----------
    mean, std, n : array_like
        Means, sample standard deviations (``ddof=1``) and numbers of finite values.
    bounds : (float, float), default (-inf, inf)
        The declared range of the values (``math.inf`` for an open end), e.g.
        :func:`simulation.core.metrics.metric_range`.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds; NaN where ``n < 2`` or the mean is NaN, ``mean`` where the
        spread is 0.

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1) or ``bounds`` is not (lower, upper) with
        lower < upper.

    Examples
    --------
    >>> lo, hi = interval([0.02, 0.5], [0.02, 0.02], [5, 5], bounds=(0.0, 1.0))
    >>> bool(lo[0] > 0), [round(float(v), 4) for v in (lo[1], hi[1])]  # t: 0.5 -/+ 0.0248
    (True, [0.4752, 0.5248])
    >>> interval(3.0, 0.0, 4)  # no spread
    (array(3.), array(3.))
    """
    lower, upper = _check_bounds(bounds)
    mean = np.asarray(mean, dtype=float)
    mean, std, n = np.broadcast_arrays(mean, np.asarray(std, dtype=float), np.asarray(n, dtype=float))
    half = t_half_width(std, n, confidence)
    lo, hi = np.full(mean.shape, np.nan), np.full(mean.shape, np.nan)
    ok = np.isfinite(mean) & np.isfinite(half)
    flat = ok & (half == 0)
    lo[flat] = hi[flat] = mean[flat]
    spread = ok & (half > 0)
    lo[spread], hi[spread] = mean[spread] - half[spread], mean[spread] + half[spread]
    low_end, high_end = math.isfinite(lower), math.isfinite(upper)
    inside = spread & (mean > lower) & (mean < upper)
    m, h = mean[inside], half[inside]
    if low_end and high_end:
        # logit of the range-scaled mean; delta method: d logit(p) / dp = 1 / (p (1 - p))
        width = upper - lower
        p = (m - lower) / width
        dz = h / (width * p * (1.0 - p))
        z = _sp.logit(p)
        lo[inside] = lower + width * _sp.expit(z - dz)
        hi[inside] = lower + width * _sp.expit(z + dz)
    elif low_end or high_end:
        # log of the distance to the one bound; delta method: d log(d) / dd = 1 / d
        dist = m - lower if low_end else upper - m
        near, far = dist * np.exp(-h / dist), dist * np.exp(h / dist)
        lo[inside] = lower + near if low_end else upper - far
        hi[inside] = lower + far if low_end else upper - near
    # a mean on a bound with spread: rounding only (values are range-checked); clip the t-interval
    edge = spread & ~inside
    lo[edge], hi[edge] = np.clip(lo[edge], lower, upper), np.clip(hi[edge], lower, upper)
    return lo, hi


def check_range(values: np.ndarray, bounds: tuple[float, float], name: str = "values") -> np.ndarray:
    """``values`` (finite ones) checked against ``bounds``; those within the rounding
    tolerance :data:`RANGE_TOLERANCE` outside are clipped onto the range.

    Raises
    ------
    WomsimError
        If a finite value lies further outside, naming ``name`` and the range (data that
        are not the metric their column says, e.g. a foreign ``timeseries.csv``).
    """
    lower, upper = _check_bounds(bounds)
    if not (math.isfinite(lower) or math.isfinite(upper)):
        return values
    finite = values[np.isfinite(values)]
    if not finite.size:
        return values
    scale = max(1.0, *(abs(b) for b in (lower, upper) if math.isfinite(b)))
    tol = RANGE_TOLERANCE * scale
    vmin, vmax = float(finite.min()), float(finite.max())
    if vmin < lower - tol or vmax > upper + tol:
        raise WomsimError(f"{name} has values outside its declared range [{lower:g}, {upper:g}] "
                         f"(min {vmin:g}, max {vmax:g}): not the metric its name says, or its range "
                         "in simulation.core.metrics.METRICS is wrong")
    return np.clip(values, lower, upper) if vmin < lower or vmax > upper else values


def mean_ci(values: Iterable[float], confidence: float = 0.95,
            bounds: tuple[float, float] = UNBOUNDED) -> tuple[float, float, float]:
    """Mean of ``values`` and its confidence interval (:func:`interval`), ignoring NaN.

    Parameters
    ----------
    values : iterable of float
        Observations, typically one final metric value per replicate. NaN and
        infinite values are ignored.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.
    bounds : (float, float), default (-inf, inf)
        Declared range of the values, e.g. ``metric_range("awareness")``; the interval
        stays inside it.

    Returns
    -------
    tuple of float
        ``(mean, lower, upper)``. With exactly one finite value the bounds are NaN (no
        interval); with none, all three are NaN.

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1).
    WomsimError
        If a value lies outside ``bounds`` (:func:`check_range`).

    Examples
    --------
    >>> mean_ci([1, 2, 3])[0]
    2.0
    >>> m, lo, hi = mean_ci([1, 2, 3, float("nan")], confidence=0.9)
    >>> round(hi - m, 4)  # t_{0.95, 2} * 1 / sqrt(3)
    1.6859
    >>> mean_ci([4.0])
    (4.0, nan, nan)
    >>> mean_ci([])
    (nan, nan, nan)
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = check_range(x[np.isfinite(x)], bounds)
    if x.size == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else float("nan")
    lo, hi = interval(mean, std, x.size, bounds, confidence)
    return mean, float(lo), float(hi)


def summarise(
    df: pd.DataFrame,
    by: str | Sequence[str],
    metrics: str | Sequence[str],
    confidence: float = 0.95,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Per-group mean and confidence interval (:func:`interval`) of several metrics.

    The arithmetic is one vectorised ``groupby(...).agg(["mean", "std", "count"])``
    followed by the interval on whole arrays; there is no Python loop over groups.

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
    bounds : mapping, optional
        Range per column; a column not in it gets
        :func:`simulation.core.metrics.metric_range` of its name (the declared range of a
        metric, unbounded for anything else).

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by the group keys), the ``by`` columns followed by
        ``{metric}_mean``, ``{metric}_lo``, ``{metric}_hi`` and ``{metric}_n`` (int,
        the number of finite values) for each metric. Groups with one finite value
        have NaN bounds (no interval); groups with none have NaN in all three.

    Raises
    ------
    ValueError
        If a column is missing or ``confidence`` is not in (0, 1).
    WomsimError
        If a value is outside its column's range (:func:`check_range`).

    Examples
    --------
    >>> df = pd.DataFrame({"strategy": ["a", "a", "a", "b"],
    ...                    "x": [1.0, 2.0, 3.0, 5.0]})
    >>> s = summarise(df, "strategy", ["x"])
    >>> s[["strategy", "x_mean", "x_n"]].to_string(index=False)
    'strategy  x_mean  x_n\\n       a     2.0    3\\n       b     5.0    1'
    >>> s["x_hi"].round(3).tolist()
    [4.484, nan]
    """
    confidence = _check_confidence(confidence)
    by_list = [by] if isinstance(by, str) else list(by)
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    if not by_list:
        raise ValueError("summarise needs at least one grouping column")
    missing = [c for c in by_list + metric_list if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the data: {missing}; have {list(df.columns)}")
    ranges = {m: (bounds or {}).get(m) or metric_range(m) for m in metric_list}

    values = df[metric_list].apply(pd.to_numeric, errors="coerce").astype(float)
    values = values.where(np.isfinite(values.to_numpy()))
    for m in metric_list:
        values[m] = check_range(values[m].to_numpy(), ranges[m], f"column '{m}'")
    keys = [df[c] for c in by_list]
    agg = values.groupby(keys, sort=True, observed=True, dropna=False).agg(
        ["mean", "std", "count"]
    )

    out = pd.DataFrame(index=agg.index)
    for m in metric_list:
        mean = agg[(m, "mean")].to_numpy(dtype=float)
        n = agg[(m, "count")].to_numpy(dtype=int)
        lo, hi = interval(mean, agg[(m, "std")].to_numpy(dtype=float), n, ranges[m], confidence)
        out[f"{m}_mean"] = mean
        out[f"{m}_lo"] = lo
        out[f"{m}_hi"] = hi
        out[f"{m}_n"] = n
    return out.reset_index()
