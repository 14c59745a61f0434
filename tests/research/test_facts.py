"""Tests of simulation.research.facts: the stylized facts.

Facts 1-4 and the double-jeopardy measures are checked on synthetic data whose answer is
known exactly; the wear-out experiment and the double-jeopardy sweep run the real model on
tiny settings (a few seconds). The written report is
tested in tests/outputs/test_facts_report.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.core.metrics import brand_table
from simulation.errors import WomsimError
from simulation.research import facts as F
from simulation.research.stats import mean_ci
from simulation.research.tasks import create_model, run_seed


def rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("fact")


POOLED = "positive : negative WOM, all strategies"
EARLY = "hype - broadcast: customers, end of early window"
LATE = "hype - broadcast: share of negative WOM, late window"
TRUST = "hype - broadcast: trust, last week"


# ------------------------------------------------------------------ facts 1-4, known answers


def test_ratio_exactly_three_pooled_and_per_strategy():
    ts = F.synthetic_timeseries(replicates=4, weeks=30, ratio=3.0)
    out = F.stylized_facts(ts, early_weeks=(1, 5), late_weeks=(10, 30))
    assert list(out.columns) == F.FACT_COLUMNS
    r = rows(out)
    for fact in [POOLED] + [f"positive : negative WOM, {s}" for s in ("none", "broadcast", "hype")]:
        assert r.loc[fact, "measured"] == pytest.approx(3.0)
        assert r.loc[fact, "ci_lo"] == pytest.approx(3.0) and r.loc[fact, "ci_hi"] == pytest.approx(3.0)
        assert r.loc[fact, "consistent"] is True
        assert "includes 3" in r.loc[fact, "note"] and "n = 4 replicates" in r.loc[fact, "note"]
        assert r.loc[fact, "source"].startswith("East, Hammond & Wright 2007")
    # strategies in the package's drawing order
    assert [f for f in out["fact"] if f.startswith("positive") and f != POOLED] == [
        "positive : negative WOM, none", "positive : negative WOM, broadcast", "positive : negative WOM, hype"]


def test_ratio_pools_messages_not_ratios_and_ignores_step_zero():
    ts = F.synthetic_timeseries(replicates=3, weeks=10, ratio=3.0, neg_share=(0.5, 0.5))  # broadcast, hype 1:1
    ts.loc[ts["step"] == 0, ["wom_positive", "wom_negative"]] = [1000.0, 1.0]  # initial state: must be ignored
    r = rows(F.stylized_facts(ts, early_weeks=(1, 2), late_weeks=(5, 10)))
    # per replicate: pos = 3n + n + n, neg = 3n, with n the same in every strategy -> 5/3
    assert r.loc[POOLED, "measured"] == pytest.approx(5.0 / 3.0)
    assert r.loc["positive : negative WOM, hype", "measured"] == pytest.approx(1.0)
    assert r.loc["positive : negative WOM, hype", "consistent"] is None  # CI [1, 1] is not above 1
    assert "excludes 3" in r.loc[POOLED, "note"]


def test_ratio_below_one_is_inconsistent_and_no_negative_wom_is_nan():
    ts = F.synthetic_timeseries(replicates=3, weeks=10, ratio=0.5)
    r = rows(F.stylized_facts(ts, early_weeks=(1, 2), late_weeks=(5, 10)))
    assert r.loc["positive : negative WOM, none", "measured"] == pytest.approx(0.5)
    assert r.loc["positive : negative WOM, none", "consistent"] is False
    ts = F.synthetic_timeseries(replicates=3, weeks=10)
    ts["wom_negative"] = 0.0
    r = rows(F.stylized_facts(ts, early_weeks=(1, 2), late_weeks=(5, 10)))
    assert math.isnan(r.loc[POOLED, "measured"]) and r.loc[POOLED, "consistent"] is None
    assert "3 without a finite value left out" in r.loc[POOLED, "note"]


def test_hype_differences_are_paired_by_seed():
    ts = F.synthetic_timeseries(replicates=5, weeks=104, hype_customers=0.05, neg_share=(0.25, 0.4),
                                hype_trust=-0.04, noise=0.1)  # noise: same offset in both strategies of a seed
    r = rows(F.stylized_facts(ts))
    assert r.loc[EARLY, "measured"] == pytest.approx(0.05)
    assert r.loc[EARLY, "ci_hi"] - r.loc[EARLY, "ci_lo"] == pytest.approx(0.0, abs=1e-12)  # paired: no spread
    assert r.loc[LATE, "measured"] == pytest.approx(0.15)
    assert r.loc[TRUST, "measured"] == pytest.approx(-0.04)
    assert r.loc[[EARLY, LATE, TRUST], "consistent"].tolist() == [True, True, True]
    assert "weeks 1-13" in r.loc[EARLY, "note"] and "weeks 53-104" in r.loc[LATE, "note"]
    # shuffling rows changes nothing
    shuffled = rows(F.stylized_facts(ts.sample(frac=1.0, random_state=1)))
    pd.testing.assert_frame_equal(shuffled[["measured", "ci_lo", "ci_hi"]], r[["measured", "ci_lo", "ci_hi"]])


def test_interval_is_the_t_interval_of_the_per_replicate_differences():
    ts = F.synthetic_timeseries(replicates=4, weeks=20)
    delta = np.array([0.01, 0.03, 0.02, 0.06])
    hype = ts["strategy"] == "hype"
    ts.loc[hype & (ts["step"] == 13), "customers"] += delta[ts.loc[hype & (ts["step"] == 13), "replicate"]]
    r = rows(F.stylized_facts(ts, early_weeks=(1, 13), late_weeks=(14, 20)))
    m, lo, hi = mean_ci(0.05 + delta)
    assert (r.loc[EARLY, "measured"], r.loc[EARLY, "ci_lo"], r.loc[EARLY, "ci_hi"]) == pytest.approx((m, lo, hi))


def test_windows_select_the_right_weeks():
    ts = F.synthetic_timeseries(replicates=3, weeks=40)
    hype = ts["strategy"] == "hype"
    ts.loc[hype, "customers"] = ts.loc[~hype & (ts["strategy"] == "broadcast"), "customers"].to_numpy() + 0.01 * \
        ts.loc[hype, "step"].to_numpy()  # gap grows by 0.01 a week
    ts.loc[hype & (ts["step"] < 20), "wom_negative"] *= 50  # outside the late window: must not count
    r = rows(F.stylized_facts(ts, early_weeks=(1, 7), late_weeks=(20, 40)))
    assert r.loc[EARLY, "measured"] == pytest.approx(0.07)
    assert r.loc[LATE, "measured"] == pytest.approx(0.0, abs=1e-12)
    assert r.loc[LATE, "consistent"] is None  # a zero difference settles nothing


def test_window_beyond_the_data_gives_nan_and_says_so():
    ts = F.synthetic_timeseries(replicates=3, weeks=20)
    r = rows(F.stylized_facts(ts))  # late window 53-104
    assert math.isnan(r.loc[LATE, "measured"]) and r.loc[LATE, "consistent"] is None
    assert "beyond the data (last week 20)" in r.loc[LATE, "note"]
    r = rows(F.stylized_facts(ts, late_weeks=(10, 104)))
    assert "weeks 10-20 (asked 10-104; the data end at week 20)" in r.loc[LATE, "note"]


def test_trust_in_the_wrong_direction_is_inconsistent():
    r = rows(F.stylized_facts(F.synthetic_timeseries(replicates=3, weeks=20, hype_trust=0.02),
                              late_weeks=(10, 20)))
    assert r.loc[TRUST, "measured"] == pytest.approx(0.02)
    assert r.loc[TRUST, "consistent"] is False
    assert "not met" in r.loc[TRUST, "note"]


def test_one_replicate_never_decides():
    r = rows(F.stylized_facts(F.synthetic_timeseries(replicates=1, weeks=20), late_weeks=(10, 20)))
    assert r["consistent"].isna().all()


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda ts: ts.drop(columns="trust"), "missing column(s) trust"),
        (lambda ts: ts.loc[ts["strategy"] != "hype"], "no run of strategy hype"),
        (lambda ts: ts.assign(seed=np.where(ts["strategy"] == "hype", ts["seed"] + 1000, ts["seed"])),
         "share no seed"),
        (lambda ts: pd.concat([ts, ts]), "more than one run per strategy"),
    ],
)
def test_bad_timeseries_raise_womsim_error(mutate, message):
    with pytest.raises(WomsimError, match="run `python run.py` first|one run per strategy") as info:
        F.stylized_facts(mutate(F.synthetic_timeseries(replicates=2, weeks=5)))
    assert message in str(info.value)


@pytest.mark.parametrize("weeks", [(0, 5), (5, 1), (1,), "ab"])
def test_bad_window_raises(weeks):
    with pytest.raises(WomsimError, match="early_weeks"):
        F.stylized_facts(F.synthetic_timeseries(replicates=2, weeks=5), early_weeks=weeks)


# ------------------------------------------------------------------ wear-out


def test_wearout_curve_per_exposure_effect_falls():
    # With the default parameters (wearout = 3 exposures, reactance_threshold = 8, irritation
    # halving weekly) a budget of 4 impressions a week meets irritation of about 4-8, so each
    # exposure is worth exp(-r/3) of a fresh one or turns reactant, while at 0.5 a week most
    # exposures are fresh. This fails only if those parameters change so that repeated
    # exposures are no longer discounted (e.g. wearout -> 1000 and reactance off: then only
    # the slow saturation toward the claim remains, a few per cent, within sampling noise of
    # 300 consumers x 2 replicates) or if the run does not isolate ads (e.g. the wear-out base
    # parameters stop switching off word of mouth or purchases).
    curve = F.wearout_curve(budgets=(0.5, 4), n_consumers=300, weeks=4, replicates=2, seed=7)
    assert curve["budget"].tolist() == [0.5, 4.0]
    assert curve["exposures"].tolist() == [2.0, 16.0]
    assert (curve["n"] == 2).all()
    pe = curve["per_exposure_mean"].to_numpy()
    assert pe[0] > 0 and pe[1] < pe[0]
    assert curve["per_exposure_hi"].iloc[1] < curve["per_exposure_lo"].iloc[0]


def test_wearout_runs_are_paired_and_attitude_counts_everyone():
    runs = F.wearout_runs(budgets=(0.25, 1), n_consumers=200, weeks=2, replicates=2, seed=3, reference=True)
    assert len(runs) == 2 * 2 * 2
    assert set(runs["condition"]) == {"model", "wear-out and reactance off"}
    seeds = runs.groupby(["condition", "budget"])["seed"].apply(tuple)
    assert seeds.nunique() == 1 and seeds.iloc[0] == (run_seed(3, 0), run_seed(3, 1))
    np.testing.assert_allclose(runs["attitude"], runs["attitude_aware"] * runs["awareness"])
    np.testing.assert_allclose(runs["per_exposure"], runs["attitude"] / (runs["budget"] * 2))
    assert (runs["awareness"] < 1).any()  # at 0.25 a week some consumers see no ad at all


@pytest.mark.parametrize("kwargs", [{"budgets": ()}, {"budgets": (0, 1)}, {"weeks": 0}, {"replicates": 0}])
def test_wearout_rejects_bad_settings(kwargs):
    with pytest.raises(WomsimError, match="wear-out"):
        F.wearout_runs(**{"budgets": (1,), "n_consumers": 50, **kwargs})


def fake_runs(totals: dict[float, list[float]], weeks: int = 4) -> pd.DataFrame:
    """Wear-out runs with given total attitude per budget (one value per replicate)."""
    out = [{"condition": "model", "budget": b, "exposures": b * weeks, "replicate": r, "seed": 100 + r,
            "attitude": a, "per_exposure": a / (b * weeks), "attitude_aware": a, "awareness": 1.0, "trust": 0.5}
           for b, vals in totals.items() for r, a in enumerate(vals)]
    return pd.DataFrame(out)


def test_wearout_facts_inverted_u():
    runs = fake_runs({0.5: [0.010, 0.012], 1: [0.024, 0.026], 2: [0.015, 0.016], 4: [-0.10, -0.102]})
    r = rows(F.wearout_facts(runs))
    ratio = r.loc["ad effect per exposure, highest / lowest budget"]
    expected = mean_ci([-0.10 / 16 / (0.010 / 2), -0.102 / 16 / (0.012 / 2)])
    assert (ratio["measured"], ratio["ci_lo"], ratio["ci_hi"]) == pytest.approx(expected)
    assert ratio["consistent"] is True
    assert "does not fall at every step" in ratio["note"]  # 0.5 -> 1: the per-exposure effect rises
    peak = r.loc["total ad effect peaks at budget (inverted U)"]
    assert peak["measured"] == 1.0 and peak["consistent"] is True
    assert math.isnan(peak["ci_lo"]) and "= 4 exposures per consumer" in peak["note"]


def test_wearout_facts_monotone_rise_is_no_inverted_u():
    runs = fake_runs({0.5: [0.010, 0.011], 1: [0.015, 0.016], 2: [0.018, 0.019]})
    r = rows(F.wearout_facts(runs))
    assert r.loc["ad effect per exposure, highest / lowest budget", "consistent"] is True
    assert "falls at every step" in r.loc["ad effect per exposure, highest / lowest budget", "note"]
    peak = r.loc["total ad effect peaks at budget (inverted U)"]
    assert peak["measured"] == 2.0 and peak["consistent"] is False


# ------------------------------------------------------------------ double jeopardy

DJ_FREQ = "double jeopardy: penetration vs purchase frequency"
DJ_SCR = "double jeopardy: penetration vs SCR"


def fake_brands(runs: dict[tuple[float, int], tuple[list, list, list]]) -> pd.DataFrame:
    """Brand rows of double_jeopardy_runs with given (penetration, frequency, SCR) per run."""
    out = []
    for (spread, seed), (pen, freq, scr) in runs.items():
        for b, (x, w, s) in enumerate(zip(pen, freq, scr)):
            out.append({"spread": spread, "replicate": seed, "seed": seed, "brand": b, "quality": 0.1 * b,
                        "quality_rank": b, "penetration": x, "purchase_frequency": w, "scr": s})
    return pd.DataFrame(out)


def test_rank_correlations_per_run_exact():
    pen = [0.1, 0.2, 0.4, 0.8]
    brands = fake_brands({
        (0.2, 1): (pen, [x ** 0.5 for x in pen], [0.4, 0.3, 0.2, 0.1]),   # frequency = penetration^0.5
        (0.2, 2): (pen, [1.0, 3.0, 2.0, 4.0], [0.1, 0.2, np.nan, 0.3]),  # SCR of brand 2 undefined
        (0.4, 1): ([0.1, 0.2, np.nan, np.nan], [1.0, 2.0, np.nan, np.nan], [0.1, 0.2, np.nan, np.nan]),
    })
    c = F.rank_correlations(brands).set_index(["spread", "seed"])
    assert c.loc[(0.2, 1), "rho_purchase_frequency"] == pytest.approx(1.0)
    assert c.loc[(0.2, 1), "rho_scr"] == pytest.approx(-1.0)
    assert c.loc[(0.2, 1), "slope"] == pytest.approx(0.5)
    assert c.loc[(0.2, 2), "rho_purchase_frequency"] == pytest.approx(0.8)  # ranks 1,3,2,4 vs 1,2,3,4
    assert c.loc[(0.2, 2), "rho_scr"] == pytest.approx(1.0)  # the NaN brand is left out, 3 remain
    assert c.loc[(0.4, 1)].isna().all()  # only 2 brands with buyers: no correlation, no slope


def test_double_jeopardy_facts_direction_and_interval():
    pen = [0.1, 0.2, 0.3, 0.4, 0.5]
    brands = fake_brands({
        (0.1, 1): (pen, [1.0, 1.1, 1.2, 1.3, 1.4], [0.1, 0.2, 0.3, 0.4, 0.5]),
        (0.1, 2): (pen, [1.1, 1.0, 1.2, 1.3, 1.4], [0.5, 0.4, 0.3, 0.2, 0.1]),
        (0.3, 1): (pen, [1.0, 1.1, 1.3, 1.2, 1.4], [0.2, 0.1, 0.3, 0.5, 0.4]),
    })
    out = F.double_jeopardy_facts(brands)
    assert list(out.columns) == F.FACT_COLUMNS and out["fact"].tolist() == [DJ_FREQ, DJ_SCR]
    r = rows(out)
    rhos = [1.0, 0.9, 0.9]  # one swapped pair of ranks: 1 - 6 * 2 / (5 * 24)
    m, lo, hi = mean_ci(rhos, bounds=(-1.0, 1.0))
    assert (r.loc[DJ_FREQ, "measured"], r.loc[DJ_FREQ, "ci_lo"], r.loc[DJ_FREQ, "ci_hi"]) == pytest.approx((m, lo, hi))
    assert r.loc[DJ_FREQ, "ci_hi"] <= 1.0
    assert r.loc[DJ_FREQ, "consistent"] is True
    note = r.loc[DJ_FREQ, "note"]
    assert "mean per spread: 0.1: 0.95, 0.3: 0.90" in note and "n = 3 runs" in note
    assert "log-log slope" in note and "Ehrenberg" in r.loc[DJ_FREQ, "source"]
    # SCR: +1, -1, +0.8 -> the interval straddles 0, undetermined
    assert r.loc[DJ_SCR, "measured"] == pytest.approx((1.0 - 1.0 + 0.8) / 3)
    assert r.loc[DJ_SCR, "consistent"] is None and "log-log slope" not in r.loc[DJ_SCR, "note"]
    # the opposite pattern is reported as inconsistent
    flipped = brands.assign(purchase_frequency=-brands["purchase_frequency"] + 10)
    assert rows(F.double_jeopardy_facts(flipped)).loc[DJ_FREQ, "consistent"] is False


def test_double_jeopardy_runs_tiny_and_window():
    # 2 spreads x 2 seeds, 5 brands, 100 consumers, 6 weeks (window 4): a second or so
    runs = F.double_jeopardy_runs(spreads=(0.2, 0.6), n_consumers=100, weeks=6, window=4, replicates=2, seed=5)
    assert len(runs) == 2 * 2 * 5
    assert runs.columns[:6].tolist() == ["spread", "replicate", "seed", "brand", "quality", "quality_rank"]
    seeds = runs.groupby("spread")["seed"].apply(lambda s: tuple(s.unique()))
    assert seeds.nunique() == 1 and seeds.iloc[0] == (run_seed(5, 0), run_seed(5, 1))  # paired across spreads
    first = runs.loc[(runs["spread"] == 0.6) & (runs["replicate"] == 0)]
    np.testing.assert_allclose(first["quality"], [0.3, -0.3, 0.1, 0.5, 0.9])
    assert first["quality_rank"].tolist() == [2, 0, 1, 3, 4]
    # the window's counts are the last 4 weeks: the same seed run for 6 and for 2 weeks, subtracted
    p = {**F.DJ_BASE, "n_consumers": 100, "steps": 6, "rival_quality_spread": 0.6}
    full, head = create_model(p, rng=run_seed(5, 0)), create_model(p, rng=run_seed(5, 0))
    full.run(6)
    head.run(2)
    expected = brand_table(full, since=head.state.purchases)
    np.testing.assert_array_equal(first["purchases"], expected["purchases"])
    np.testing.assert_allclose(first["penetration"], expected["penetration"])
    # window = the whole run
    whole = F.double_jeopardy_runs(spreads=(0.6,), n_consumers=100, weeks=6, window=6, replicates=1, seed=5)
    np.testing.assert_array_equal(whole["purchases"], brand_table(full)["purchases"])


@pytest.mark.parametrize("kwargs", [{"spreads": ()}, {"window": 0}, {"weeks": 3, "window": 4},
                                    {"replicates": 0}, {"spreads": (float("nan"),)}])
def test_double_jeopardy_rejects_bad_settings(kwargs):
    with pytest.raises(WomsimError, match="double jeopardy"):
        F.double_jeopardy_runs(**{"n_consumers": 50, "weeks": 3, "window": 2, **kwargs})


def test_summarise_double_jeopardy():
    runs = F.double_jeopardy_runs(spreads=(0.4,), n_consumers=100, weeks=4, window=2, replicates=2, seed=1)
    s = F.summarise_double_jeopardy(runs)
    assert s["quality_rank"].tolist() == [0, 1, 2, 3, 4] and (s["n"] == 2).all()
    np.testing.assert_allclose(s["penetration_mean"], runs.groupby("quality_rank")["penetration"].mean())
    assert {"purchase_frequency_lo", "scr_hi", "market_share_mean", "loyalty_mean"} <= set(s.columns)


def test_the_facts_read_one_scenario_of_a_two_scenario_headline():
    ts = F.synthetic_timeseries(replicates=2, weeks=5)
    both = pd.concat([ts.assign(scenario="launch"), ts.assign(scenario="established", wom_positive=0)],
                     ignore_index=True)
    chosen = F.one_scenario(both)
    assert (chosen["scenario"] == F.FACTS_SCENARIO).all() and len(chosen) == len(ts)
    assert (chosen["wom_positive"] == 0).all()
    with pytest.raises(WomsimError, match="no run of scenario 'launch'"):
        F.one_scenario(chosen, "launch", "x.csv")
    assert F.one_scenario(ts) is ts  # a one-scenario (v1) timeseries is taken as it is
