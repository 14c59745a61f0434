"""The headline's numbers (simulation.research.headline): common seeds across strategies and
scenarios, the pooled late market share, ROI paired within a scenario, the leaders from the
numbers, and the parameters of each scenario."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.errors import WomsimError
from simulation.research import headline as H
from simulation.research.experiment import load_experiment
from simulation.research.summaries import incremental_roi

EXPERIMENT = """
[experiment]
name = "mini"
steps = 8
replicates = 3
seed = 11
[base]
n_consumers = 120
[sweep]
design = "grid"
[sweep.parameters]
scenario = ["launch", "established"]
strategy = ["none", "broadcast", "dialogue"]
"""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    f = tmp_path_factory.mktemp("exp") / "mini.toml"
    f.write_text(EXPERIMENT)
    return load_experiment(f)


@pytest.fixture(scope="module")
def headline(experiment, tmp_path_factory):
    out = tmp_path_factory.mktemp("headline")
    return H.run_headline(out, experiment, workers=1, progress=False)


def test_the_shipped_headline_runs_both_scenarios():
    exp = load_experiment(H.HEADLINE_FILE)
    assert exp.grid["scenario"] == ["launch", "established"]
    assert len(exp.grid["strategy"]) == 6 and H.design_columns(exp) == ["scenario"]


def test_one_seed_per_replicate_for_every_strategy_and_scenario(experiment):
    tasks = H.paired_tasks(experiment)
    assert len(tasks) == 2 * 3 * 3
    seeds = pd.DataFrame([{**t.labels, "seed": t.seed} for t in tasks])
    assert seeds.groupby("replicate")["seed"].nunique().eq(1).all()
    assert seeds.groupby("replicate")["seed"].first().nunique() == 3
    # the run ids still tell the scenarios apart (a run store or a report needs them unique)
    assert len({t.run_id for t in tasks}) == len(tasks)
    assert {t.params["scenario"] for t in tasks} == {"launch", "established"}


def _ts(weekly: list[tuple[float, float]], run: dict) -> pd.DataFrame:
    """A timeseries of one run: (market_share, category_purchases) per week from step 1."""
    rows = [{**run, "step": 0, "market_share": math.nan, "category_purchases": 0.0}]
    rows += [{**run, "step": t + 1, "market_share": ms, "category_purchases": cp} for t, (ms, cp) in enumerate(weekly)]
    return pd.DataFrame(rows)


def test_late_share_pools_the_purchases_of_the_last_13_weeks():
    run = {"strategy": "broadcast", "replicate": 0, "seed": 1}
    # 20 weeks: the first 7 at share 1.0 are outside the window; inside, a week without
    # category purchases (share NaN) weighs nothing, and weeks are weighted by purchases
    weekly = [(1.0, 0.2)] * 7 + [(0.5, 0.1)] * 6 + [(math.nan, 0.0)] + [(0.2, 0.3)] * 6
    share = H.late_share(_ts(weekly, run), ["strategy", "replicate", "seed"])
    expected = (6 * 0.5 * 0.1 + 6 * 0.2 * 0.3) / (6 * 0.1 + 6 * 0.3)
    assert share[H.SHARE_COLUMN].tolist() == pytest.approx([expected])
    assert expected != pytest.approx(np.nanmean([0.5] * 6 + [0.2] * 6))  # not the mean of weekly shares


def test_late_share_is_nan_without_category_purchases_and_uses_short_runs_whole():
    keys = ["strategy", "replicate", "seed"]
    empty = _ts([(math.nan, 0.0)] * 15, {"strategy": "none", "replicate": 0, "seed": 1})
    assert math.isnan(H.late_share(empty, keys)[H.SHARE_COLUMN].iloc[0])
    short = _ts([(0.1, 0.2), (0.3, 0.2)], {"strategy": "none", "replicate": 0, "seed": 1})
    assert H.late_share(short, keys)[H.SHARE_COLUMN].iloc[0] == pytest.approx(0.2)


def test_run_headline_tables_and_provenance(headline, experiment):
    ts, summary, table = headline
    assert len(summary) == 2 * 3 * 3
    assert table[["scenario", "strategy"]].values.tolist() == [
        [sc, st] for sc in ("launch", "established") for st in ("none", "broadcast", "dialogue")]
    for m in H.TABLE_METRICS:
        assert {m, f"{m}_lo", f"{m}_hi", f"{m}_n"} <= set(table.columns), m
    # the counts are of runs with a value: at most n, and `none` has no incremental ROI
    assert (table["scr_n"] <= table["n"]).all()
    assert table.loc[table["strategy"] == "none", "incremental_roi_n"].eq(0).all()
    shares = table[H.SHARE_COLUMN].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()


def test_incremental_roi_pairs_within_the_scenario(headline):
    _, summary, _ = headline
    base = summary[summary["strategy"] == "none"].set_index(["scenario", "seed"])["profit"]
    runs = summary[summary["strategy"] != "none"]
    # undefined (NaN) for a run that spent nothing: a dialogue brand nobody posts about
    # answers nothing and so spends nothing (unused capacity is not spent, ODD section 9)
    expected = [(p - base.loc[(sc, sd)]) / s if s > 0 else math.nan for p, sc, sd, s in
                zip(runs["profit"], runs["scenario"], runs["seed"], runs["spend"])]
    assert runs["incremental_roi"].tolist() == pytest.approx(expected, nan_ok=True)
    # pairing by seed alone is ambiguous here (one seed per replicate in both scenarios)
    with pytest.raises(WomsimError, match="ambiguous"):
        incremental_roi(summary)


def test_leaders_come_from_paired_differences():
    rows = []
    for seed, (a, b, c) in enumerate([(0.50, 0.40, 0.1), (0.52, 0.41, 0.1), (0.55, 0.43, 0.1)]):
        rows += [{"scenario": "launch", "strategy": s, "seed": seed, "x": v}
                 for s, v in (("none", c), ("broadcast", b), ("dialogue", a))]
        # established: the two leaders swap from replicate to replicate
        rows += [{"scenario": "established", "strategy": s, "seed": seed, "x": v}
                 for s, v in (("none", c), ("broadcast", 0.5 + 0.1 * (-1) ** seed), ("dialogue", 0.5))]
    lead = H.leaders(pd.DataFrame(rows), ["scenario"], ["x"]).set_index("scenario")
    launch, est = lead.loc["launch"], lead.loc["established"]
    assert (launch["first"], launch["second"], launch["pairs"]) == ("dialogue", "broadcast", 3)
    assert launch["diff"] == pytest.approx(np.mean([0.10, 0.11, 0.12])) and launch["separated"]
    assert est["first"] == "broadcast" and not est["separated"] and est["diff_lo"] < 0 < est["diff_hi"]


def test_scenario_text_says_what_each_scenario_means():
    launch = H.scenario_text({"scenario": "launch", "n_brands": 3, "initial_awareness": 0.02,
                              "known_awareness": 0.75})
    assert launch.startswith("Launch: the focal brand is new (2 % of consumers") and "2 rivals" in launch
    assert "75 %" in launch
    est = H.scenario_text({"scenario": "established", "n_brands": 4, "known_awareness": 0.6})
    assert est.startswith("Established brand: all 4 brands") and "60 %" in est
    alone = H.scenario_text({"scenario": "launch", "n_brands": 1})
    assert "alone in its category" in alone


def test_point_params_reads_the_nested_provenance():
    params = {"launch": {"none": {"scenario": "launch", "strategy": "none"}},
              "established": {"none": {"scenario": "established", "strategy": "none"}}}
    assert H.point_params(params, {"scenario": "established"})["scenario"] == "established"
    assert H.point_params(params, {})["scenario"] == "launch"  # the first point
    assert H.point_params({"n_consumers": 5}, {}) == {"n_consumers": 5}  # simulate: flat


def test_leaders_need_values_in_half_the_runs_and_keep_differences_in_range():
    # 4 replicates: `rare` has a huge NPS in one run only, `a` and `b` in all four
    rows = []
    for seed in range(4):
        rows += [{"strategy": "a", "seed": seed, "nps": 10.0 + seed}, {"strategy": "b", "seed": seed, "nps": 5.0},
                 {"strategy": "rare", "seed": seed, "nps": 90.0 if seed == 0 else np.nan}]
    lead = H.leaders(pd.DataFrame(rows), [], ["nps"]).iloc[0]
    assert (lead["first"], lead["second"]) == ("a", "b") and lead["pairs"] == 4
    pairs = [(100, -100), (-100, 90)]
    wild = pd.DataFrame([{"strategy": s, "seed": seed, "nps": v} for seed, (x, y) in enumerate(pairs)
                         for s, v in (("a", x), ("b", y))])
    lead = H.leaders(wild, [], ["nps"]).iloc[0]
    assert -200 <= lead["diff_lo"] <= lead["diff_hi"] <= 200  # a difference of two NPS values
    # the pooled late share is derived (DERIVED_RANGES, not a model metric): its difference stays in [-1, 1]
    share = pd.DataFrame([{"strategy": s, "seed": seed, H.SHARE_COLUMN: v}
                          for seed, (x, y) in enumerate([(1.0, 0.0), (0.0, 0.9)]) for s, v in (("a", x), ("b", y))])
    lead = H.leaders(share, [], [H.SHARE_COLUMN]).iloc[0]
    assert -1 <= lead["diff_lo"] <= lead["diff_hi"] <= 1
