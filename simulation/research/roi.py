"""The firm's ROI estimate: a marketing-mix regression on what a firm observes (docs/ODD.md, 4.11).

The model knows the true incremental ROI of a run (its profit minus the profit of ``none`` on
the same seed, per unit spent: :func:`simulation.research.summaries.incremental_roi`); no firm
does. A firm has its own books: weekly sales (units, the metric ``sales``), weekly spend
(``spend_week``) and its margin. This module estimates ROI from those alone, the way a
marketing-mix model does, and compares the estimate with the truth over replicates.

The regression, for the weeks t = 1..T of one run::

    sales_t = a + g t + beta A_t(lambda) + e_t,    A_t = spend_t + lambda A_{t-1},  A_0 = 0

``A`` is the geometric adstock (Broadbent 1979; Hanssens, Parsons & Schultz 2001): spend keeps
acting, at rate ``lambda`` per week, after the week it is paid. ``lambda`` is estimated, since
nothing tells the firm its carry-over: profiled by least squares over the grid 0, 0.05, ..,
0.95 (OLS at every value, the smallest residual sum of squares wins), then refined between
the winner's grid neighbours by a bounded scalar minimisation (the same criterion; inside
[0, 0.95]). The linear trend ``g t`` is there because a launch's sales grow (and an
established brand's drift) whatever the week's spend: without it the slow growth would be
credited to the adstock. Estimated by numpy least squares, not statsmodels: the profile
needs some 30 small fits per run and hundreds of runs, and what statsmodels would add,
heteroscedasticity-and-autocorrelation consistent (HAC) standard errors, is a few lines
(:func:`newey_west`).

The estimate is defined to match the true incremental ROI term by term: the sales the
marketing added over the run are ``beta x sum_t A_t`` (the adstock of every week's spend,
counted in the weeks of the run, as the truth counts only the run's weeks), so

    estimated ROI = (margin x beta x sum_t A_t - sum_t spend_t) / sum_t spend_t

with a 95 % interval ``estimate +/- t_{0.975, T-4} x se``. ``se`` is the delta method on
(beta, lambda): their covariance is the Newey-West (1987) HAC sandwich of the non-linear
least-squares problem (Bartlett weights, ``floor(4 (T / 100)^(2/9))`` lags, Newey & West
1994), so the carry-over's uncertainty is in the interval (on synthetic data an interval
conditional on the chosen lambda covered the truth 68 % of the time, this one 96 %,
tests/research/test_roi.py). How often it covers the truth of the model is measured
(:func:`roi_comparison`, column ``coverage``), not assumed.

Without variation in spend (``flighting = "always"``: the same budget every week) there is
nothing to regress on: the estimate is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

from simulation.research.stats import summarise

#: Carry-over rates the profile tries (weekly adstock retention).
CARRYOVER_GRID = tuple(round(0.05 * k, 2) for k in range(20))
#: The firm's observables: the only columns of a run the estimate reads.
OBSERVED = ("sales", "spend_week")
CONFIDENCE = 0.95


class MixFit(NamedTuple):
    """One marketing-mix regression: coefficients, carry-over, and the HAC covariance of
    (beta, carry-over) with the sums the ROI and its gradient need."""

    intercept: float
    trend: float
    beta: float
    carryover: float
    cov: np.ndarray          # 2 x 2: (beta, carry-over)
    df: int
    adstock_total: float     # sum_t A_t
    slope_total: float       # sum_t dA_t / d carry-over


class RoiEstimate(NamedTuple):
    """The firm's ROI estimate of one run, with its 95 % interval and the fit behind it."""

    roi: float
    se: float
    lo: float
    hi: float
    beta: float
    carryover: float


NOT_ESTIMABLE = RoiEstimate(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)


def adstock(spend: np.ndarray, carryover: float) -> np.ndarray:
    """Geometric adstock A_t = spend_t + carryover x A_{t-1}, from A_0 = 0.

    Examples
    --------
    >>> adstock(np.array([1.0, 0.0, 0.0, 2.0]), 0.5).tolist()
    [1.0, 0.5, 0.25, 2.125]
    """
    return lfilter([1.0], [1.0, -float(carryover)], np.asarray(spend, dtype=float))


def newey_west(x: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """HAC covariance of OLS coefficients (Newey & West 1987): Bartlett weights 1 - l / (lags + 1),
    small-sample factor n / (n - k)."""
    n, k = x.shape
    score = x * resid[:, None]
    meat = score.T @ score
    for lag in range(1, lags + 1):
        gamma = score[lag:].T @ score[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    # pseudo-inverse: a column of zeros (beta dA/d lambda when beta = 0: sales that never
    # move) leaves its coefficient unidentified and gets variance 0, where it cannot matter
    bread = np.linalg.pinv(x.T @ x)
    return bread @ meat @ bread * n / (n - k)


def hac_lags(n: int) -> int:
    """Newey & West (1994) rule of thumb: floor(4 (n / 100)^(2/9)).

    >>> hac_lags(104)
    4
    """
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _design(spend: np.ndarray, carryover: float, trend: bool) -> tuple[np.ndarray, np.ndarray]:
    n = spend.size
    a = adstock(spend, carryover)
    cols = [np.ones(n), np.arange(1, n + 1, dtype=float), a] if trend else [np.ones(n), a]
    return np.column_stack(cols), a


def _rss(y: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    return float(resid @ resid), coef


def fit_mix(sales: np.ndarray, spend: np.ndarray, carryover: float | None = None,
            grid: Sequence[float] = CARRYOVER_GRID, trend: bool = True) -> MixFit | None:
    """Least squares of sales on intercept, (trend,) adstock(carry-over).

    ``carryover`` fixed, or profiled: the best value of ``grid``, refined by a bounded
    scalar minimisation of the residual sum of squares between its grid neighbours (inside
    the grid's range). The covariance of (beta, carry-over) is the Newey-West HAC sandwich of
    the non-linear least-squares problem (Jacobian: the regressors and beta dA/d carry-over),
    so the interval of the ROI includes the uncertainty of the carry-over (with a fixed one:
    of beta alone). None when no carry-over gives a design of full rank (e.g. spend that
    never varies).
    """
    y = np.asarray(sales, dtype=float)
    s = np.asarray(spend, dtype=float)
    n = y.size
    k = 3 if trend else 2
    if np.ptp(s) == 0 or n <= k + 1:
        return None
    candidates = [carryover] if carryover is not None else list(grid)
    scores = []
    for lam in candidates:
        x, _ = _design(s, lam, trend)
        scores.append(_rss(y, x)[0] if np.linalg.matrix_rank(x) == k else math.inf)
    best = int(np.argmin(scores))
    if not math.isfinite(scores[best]):
        return None
    lam = float(candidates[best])
    if carryover is None and len(candidates) > 1:
        lo, hi = candidates[max(best - 1, 0)], candidates[min(best + 1, len(candidates) - 1)]
        res = minimize_scalar(lambda v: _rss(y, _design(s, v, trend)[0])[0], bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-4})
        if res.success and res.fun < scores[best]:
            lam = float(res.x)
    x, a = _design(s, lam, trend)
    _, coef = _rss(y, x)
    resid = y - x @ coef
    beta = float(coef[-1])
    # dA_t/d lambda = A_{t-1} + lambda dA_{t-1}/d lambda
    slope = lfilter([1.0], [1.0, -lam], np.concatenate([[0.0], a[:-1]]))
    if carryover is None:
        jac = np.column_stack([x, beta * slope])
        cov = newey_west(jac, resid, hac_lags(n))[-2:, -2:]
    else:
        cov = np.zeros((2, 2))
        cov[0, 0] = newey_west(x, resid, hac_lags(n))[-1, -1]
    return MixFit(float(coef[0]), float(coef[1]) if trend else 0.0, beta, lam, cov,
                  n - x.shape[1] - (carryover is None), float(a.sum()), float(slope.sum()))


def estimate_roi(sales: np.ndarray, spend: np.ndarray, margin: float, confidence: float = CONFIDENCE,
                 **fit_options) -> RoiEstimate:
    """The firm's ROI estimate from its weekly sales and spend (module docstring); NaN if not estimable.

    Examples
    --------
    A known answer: 60 weeks of 3 on / 3 off at 10 a week, sales 5 + 0.4 x adstock(0.5),
    no noise, margin 2: ROI = 2 x 0.4 x sum A / sum spend - 1.

    >>> spend = np.tile([10.0, 10, 10, 0, 0, 0], 10)
    >>> sales = 5 + 0.4 * adstock(spend, 0.5)
    >>> e = estimate_roi(sales, spend, margin=2.0)
    >>> bool(np.isclose(e.roi, 2 * 0.4 * adstock(spend, 0.5).sum() / spend.sum() - 1)), e.carryover
    (True, 0.5)
    """
    spend = np.asarray(spend, dtype=float)
    total = float(spend.sum())
    fit = fit_mix(sales, spend, **fit_options) if total > 0 else None
    if fit is None:
        return NOT_ESTIMABLE
    roi = margin * fit.beta * fit.adstock_total / total - 1.0
    # delta method: ROI is a function of (beta, carry-over)
    grad = np.array([margin * fit.adstock_total / total, margin * fit.beta * fit.slope_total / total])
    se = float(math.sqrt(max(grad @ fit.cov @ grad, 0.0)))
    half = float(sps.t.ppf(0.5 + confidence / 2.0, fit.df)) * se
    return RoiEstimate(float(roi), float(se), float(roi - half), float(roi + half), fit.beta, fit.carryover)


def firm_estimates(timeseries: pd.DataFrame, keys: Sequence[str], margin: float | pd.Series,
                   confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The firm's ROI estimate of every run of a tidy timeseries, one row per run.

    Each run's estimate reads only its own ``sales`` and ``spend_week`` over weeks 1..T (step
    0 is the state before the first week) and the margin: nothing a firm could not see (no
    other metric, no other run, no counterfactual).

    Parameters
    ----------
    timeseries : pandas.DataFrame
        One row per (run, step) with ``step``, ``sales``, ``spend_week`` and the ``keys``.
    keys : sequence of str
        Columns that identify a run (e.g. ``["run_id"]`` or design columns, strategy, replicate).
    margin : float or pandas.Series
        The margin per unit sold; a Series gives it per run (indexed by the first key).

    Returns
    -------
    pandas.DataFrame
        ``keys`` and ``estimated_roi``, ``estimated_roi_se``, ``estimated_roi_lo``,
        ``estimated_roi_hi``, ``beta``, ``carryover`` (NaN where not estimable).
    """
    keys = list(keys)
    weeks = timeseries.loc[timeseries["step"] >= 1, [*keys, "step", *OBSERVED]]
    rows = []
    for key, run in weeks.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        run = run.sort_values("step")
        m = float(margin.loc[key[0]]) if isinstance(margin, pd.Series) else float(margin)
        e = estimate_roi(run["sales"].to_numpy(float), run["spend_week"].to_numpy(float), m, confidence)
        rows.append((*key, e.roi, e.se, e.lo, e.hi, e.beta, e.carryover))
    return pd.DataFrame(rows, columns=[*keys, "estimated_roi", "estimated_roi_se", "estimated_roi_lo",
                                       "estimated_roi_hi", "beta", "carryover"])


#: Columns of :func:`roi_comparison` after the group columns.
COMPARISON_COLUMNS = ("n", "estimated_roi", "estimated_roi_lo", "estimated_roi_hi", "incremental_roi",
                      "incremental_roi_lo", "incremental_roi_hi", "bias", "bias_lo", "bias_hi", "rmse",
                      "sd_estimate", "coverage", "sign_right", "carryover")


def roi_comparison(runs: pd.DataFrame, by: Sequence[str], confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Estimated against true ROI per group, over the runs (replicates) of each group.

    ``runs`` has one row per run with ``estimated_roi``, ``estimated_roi_lo``, ``_hi`` (from
    :func:`firm_estimates`) and the true ``incremental_roi``. Runs where either is NaN (the
    baseline, no spend, spend that never varies) are left out; ``n`` counts the rest.

    Per group: the mean estimate and the mean truth, each with its t-interval over runs;
    ``bias`` = mean(estimate - truth) with its paired t-interval; ``rmse`` = sqrt(mean((estimate
    - truth)^2)); ``sd_estimate`` = the standard deviation of the estimates over runs;
    ``coverage`` = share of runs whose own interval contains that run's true ROI;
    ``sign_right`` = share of runs where the estimate says what the truth says about
    paying off (both >= 0 or both < 0); ``carryover`` = mean chosen lambda.
    """
    by = list(by)
    df = runs[np.isfinite(runs["estimated_roi"]) & np.isfinite(runs["incremental_roi"])].copy()
    df["error"] = df["estimated_roi"] - df["incremental_roi"]
    df["covered"] = ((df["estimated_roi_lo"] <= df["incremental_roi"])
                     & (df["incremental_roi"] <= df["estimated_roi_hi"])).astype(float)
    df["sign"] = ((df["estimated_roi"] >= 0) == (df["incremental_roi"] >= 0)).astype(float)
    if df.empty:
        return pd.DataFrame(columns=[*by, *COMPARISON_COLUMNS])
    # unbounded columns: plain t-intervals (the ROI estimate can be below -1)
    free = {c: (-math.inf, math.inf) for c in ("estimated_roi", "incremental_roi", "error")}
    table = summarise(df, by, ["estimated_roi", "incremental_roi", "error"], confidence=confidence, bounds=free)
    table = table.rename(columns={"estimated_roi_mean": "estimated_roi", "incremental_roi_mean": "incremental_roi",
                                  "error_mean": "bias", "error_lo": "bias_lo", "error_hi": "bias_hi",
                                  "estimated_roi_n": "n"})
    grouped = df.groupby(by, sort=False, observed=True)
    extra = pd.DataFrame({
        "rmse": grouped["error"].apply(lambda e: float(np.sqrt(np.mean(np.square(e))))),
        "sd_estimate": grouped["estimated_roi"].std(ddof=1),
        "coverage": grouped["covered"].mean(),
        "sign_right": grouped["sign"].mean(),
        "carryover": grouped["carryover"].mean(),
    }).reset_index()
    return table.merge(extra, on=by, how="left")[[*by, *COMPARISON_COLUMNS]]
