"""The firm's ROI estimate (simulation/research/roi.py, docs/ODD.md 4.11)."""

import math

import numpy as np
import pandas as pd
import pytest

from simulation.research.roi import (
    CARRYOVER_GRID,
    OBSERVED,
    adstock,
    estimate_roi,
    firm_estimates,
    fit_mix,
    roi_comparison,
)
from simulation.research.tasks import run_simulation

T = 104
SPEND = np.where(((np.arange(1, T + 1) - 1) // 4) % 2 == 0, 1000.0, 0.0)  # 4 on, 4 off
MARGIN, BETA, CARRY = 100.0, 0.02, 0.6


def _true_roi(beta=BETA, carry=CARRY):
    return MARGIN * beta * adstock(SPEND, carry).sum() / SPEND.sum() - 1.0


def _sales(rng, sd=5.0, rho=0.0):
    """Synthetic weekly sales: 200 + 0.3 t + beta adstock + AR(1) noise with sd ``sd``."""
    e = rng.normal(0.0, sd, T)
    noise = np.empty(T)
    noise[0] = e[0]
    for t in range(1, T):
        noise[t] = rho * noise[t - 1] + math.sqrt(1 - rho**2) * e[t]
    return 200 + 0.3 * np.arange(1, T + 1) + BETA * adstock(SPEND, CARRY) + noise


def test_adstock_is_the_geometric_recursion():
    s = np.array([3.0, 0.0, 1.0, 0.0])
    expected, a = [], 0.0
    for x in s:
        a = x + 0.7 * a
        expected.append(a)
    np.testing.assert_allclose(adstock(s, 0.7), expected)
    np.testing.assert_allclose(adstock(s, 0.0), s)


def test_recovers_a_known_roi_without_noise():
    sales = 200 + 0.3 * np.arange(1, T + 1) + BETA * adstock(SPEND, CARRY)
    e = estimate_roi(sales, SPEND, MARGIN)
    assert e.carryover == pytest.approx(CARRY, abs=1e-3)
    assert e.roi == pytest.approx(_true_roi(), abs=1e-9)
    assert e.se < 1e-6


def test_recovers_a_known_roi_with_noise_and_covers_it():
    """200 noisy series (sd of the noise 5 sales a week around 200-270): the mean estimate is
    within 0.05 of the truth, and the 95 % intervals (carry-over uncertainty included) cover
    it in 88-99 % of the series (binomial sd of a 95 % coverage over 200 series: 1.5 points;
    an interval that ignored the carry-over's uncertainty covered 68 %)."""
    rng = np.random.default_rng(12)
    est = [estimate_roi(_sales(rng), SPEND, MARGIN) for _ in range(200)]
    truth = _true_roi()
    roi = np.array([e.roi for e in est])
    covered = np.mean([e.lo <= truth <= e.hi for e in est])
    assert abs(roi.mean() - truth) < 0.05, (roi.mean(), truth)
    assert 0.88 <= covered <= 0.99, covered


def test_autocorrelated_noise_keeps_the_estimate_unbiased():
    """AR(1) noise (rho 0.5): still unbiased (within 0.08 over 200 series); the HAC intervals
    cover the truth at least 80 % of the time (intervals from iid standard errors would be
    too narrow)."""
    rng = np.random.default_rng(13)
    est = [estimate_roi(_sales(rng, rho=0.5), SPEND, MARGIN) for _ in range(200)]
    truth = _true_roi()
    assert abs(np.mean([e.roi for e in est]) - truth) < 0.08
    assert np.mean([e.lo <= truth <= e.hi for e in est]) >= 0.80


def test_profile_picks_the_carryover_of_the_data():
    rng = np.random.default_rng(3)
    fits = [fit_mix(_sales(rng, sd=2.0), SPEND) for _ in range(20)]
    assert np.median([f.carryover for f in fits]) == pytest.approx(CARRY, abs=0.01)
    fixed = fit_mix(_sales(rng, sd=2.0), SPEND, carryover=0.3)
    assert fixed.carryover == 0.3 and fixed.cov[1, 1] == 0.0  # a fixed carry-over has no variance
    assert set(CARRYOVER_GRID) >= {0.0, 0.6, 0.95} and max(CARRYOVER_GRID) == 0.95


def test_spend_that_never_varies_gives_no_estimate():
    flat = np.full(T, 1000.0)
    e = estimate_roi(200 + 0.02 * adstock(flat, 0.5), flat, MARGIN)
    assert math.isnan(e.roi) and math.isnan(e.lo)
    assert math.isnan(estimate_roi(np.ones(T), np.zeros(T), MARGIN).roi)


def test_a_brand_that_sells_nothing_measures_roi_minus_one():
    e = estimate_roi(np.zeros(T), SPEND, MARGIN)
    assert e.roi == pytest.approx(-1.0) and e.se == pytest.approx(0.0, abs=1e-12)


@pytest.fixture(scope="module")
def runs():
    base = {"n_consumers": 300, "steps": 40, "flighting": "on_off", "flight_weeks": 4}
    frames = []
    for strategy in ("broadcast", "none"):
        for r, seed in enumerate((1, 2)):
            df = run_simulation({**base, "strategy": strategy}, seed)
            df.insert(0, "strategy", strategy)
            df.insert(1, "replicate", r)
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def test_the_estimate_reads_only_the_firms_observables(runs):
    """Same estimates when every other column is destroyed, and when the counterfactual
    runs (`none` on the same seeds) are removed: the firm cannot see them."""
    keys = ["strategy", "replicate"]
    est = firm_estimates(runs, keys, MARGIN)
    blind = runs[[*keys, "step", *OBSERVED]].copy()
    blind["profit"] = np.nan  # what the firm does not have cannot matter
    pd.testing.assert_frame_equal(firm_estimates(blind, keys, MARGIN), est)
    alone = firm_estimates(runs[runs["strategy"] == "broadcast"], keys, MARGIN)
    pd.testing.assert_frame_equal(alone, est[est["strategy"] == "broadcast"].reset_index(drop=True))
    with pytest.raises(KeyError):
        firm_estimates(runs.drop(columns="sales"), keys, MARGIN)
    # the firm's weekly sales and spend are the model's own books
    one = runs[(runs["strategy"] == "broadcast") & (runs["replicate"] == 0)]
    assert one["spend_week"].cumsum().iloc[-1] == pytest.approx(one["spend"].iloc[-1])
    assert (MARGIN * one["sales"]).cumsum().iloc[-1] == pytest.approx(one["revenue"].iloc[-1])
    assert est.loc[est["strategy"] == "none", "estimated_roi"].isna().all()  # no spend, no estimate


def test_comparison_measures_bias_spread_and_coverage():
    runs = pd.DataFrame({
        "strategy": ["a"] * 4 + ["b"] * 2,
        "estimated_roi": [1.0, 2.0, 3.0, 2.0, -1.0, np.nan],
        "estimated_roi_lo": [0.0, 1.5, 2.5, 1.0, -1.2, np.nan],
        "estimated_roi_hi": [2.0, 2.5, 3.5, 3.0, -0.8, np.nan],
        "incremental_roi": [1.0, 1.0, 1.0, 1.0, 0.5, 0.2],
        "carryover": [0.5, 0.5, 0.7, 0.7, 0.0, np.nan],
    })
    table = roi_comparison(runs, ["strategy"]).set_index("strategy")
    a = table.loc["a"]
    assert a["n"] == 4 and a["bias"] == pytest.approx(1.0)
    assert a["rmse"] == pytest.approx(math.sqrt((0 + 1 + 4 + 1) / 4))
    assert a["coverage"] == pytest.approx(0.5) and a["sign_right"] == 1.0
    assert a["sd_estimate"] == pytest.approx(np.std([1, 2, 3, 2], ddof=1))
    assert a["bias_lo"] < 1.0 < a["bias_hi"] and a["carryover"] == pytest.approx(0.6)
    b = table.loc["b"]
    assert b["n"] == 1 and b["coverage"] == 0.0 and b["sign_right"] == 0.0  # the NaN run is left out
