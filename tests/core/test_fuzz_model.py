"""Property-based fuzzing of the model: random valid parameter sets and random small graphs
keep every invariant of docs/ODD.md at every step, for every strategy and both engines.

The parameter sets come from the declarations in ``PARAMETERS`` (``fuzzing.valid_params``);
the invariants are those the ODD states (sections 2.1, 2.3, 4.11, 5.1, 5.2, 7), checked on
the state arrays after every step and on the collected metrics of the whole run. Example
counts follow the hypothesis profile (tests/conftest.py): few in CI, many with
``HYPOTHESIS_PROFILE=deep``; the per-agent reference costs more, so it gets fewer.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core.metrics import METRICS
from simulation.core.model import WordOfMouthModel
from simulation.core.params import STRATEGIES, Params
from simulation.core.reference import ReferenceModel
from simulation.core.state import IMMIGRANT, NATIVE

from conftest import examples
from fuzzing import GRAPH_FORMATS, small_graphs, valid_params, write_graph

ENGINE = {"vectorised": WordOfMouthModel, "reference": ReferenceModel}
SEEDS = st.integers(0, 2**63 - 1)

# Bounds of every metric, by its declared unit (metrics.METRICS): a metric with a new unit
# fails test_every_metric_unit_has_bounds until its bounds are written here.
COUNT = (0.0, math.inf)  # and whole
UNIT_BOUNDS = {
    "share": (0.0, 1.0), "0..1": (0.0, 1.0), "-1..1": (-1.0, 1.0), "-100..100": (-100.0, 100.0),
    "messages/week": COUNT, "posts/week": COUNT, "replies/week": COUNT, "purchases/week": COUNT,
    "impression units/week": (0.0, math.inf),  # spend_week: >= 0, not whole
    "impression units": (-math.inf, math.inf),  # spend and revenue >= 0, checked on their own
    "ratio": (-math.inf, math.inf),  # roi
    "per consumer": (0.0, 1.0),  # at most one category purchase a week each
    "respondents": COUNT,
}
# Never decreasing (4.11: cumulative money; 2.1: purchases only grow). Awareness can be lost
# (7.9), so it is not here.
CUMULATIVE = ("spend", "revenue", "customers", "adopters", "repeat_customers")
# Metrics that are NaN exactly when their denominator is empty (4.11), by the column that says so.
NAN_WHEN = {
    "roi": lambda ts, m: ts["spend"] == 0,
    "market_share": lambda ts, m: ts["category_purchases"] == 0,
    "nps": lambda ts, m: ts["nps_respondents"] == 0,
    "nps_low": lambda ts, m: ts["nps_respondents"] == 0,
    "nps_high": lambda ts, m: ts["nps_respondents"] == 0,
    "rival_awareness": lambda ts, m: pd.Series(m.params.n_brands == 1, index=ts.index),
    "reply_rate": lambda ts, m: ts["posts"].cumsum() == 0,  # no post about the focal brand yet
}
# NaN when nobody bought the focal brand recently / this week, or nobody had a purchase
# occasion this week (consulted; not visible in the series), or the focal page had no followers
# when it posted (organic_reach_rate; checked against the followers left after forgetting below).
MAY_BE_NAN = ("scr", "repeat_rate", "defection_rate", "resolution_rate", "dialogue_utilisation", "consulted",
              "organic_reach_rate")


def test_every_metric_unit_has_bounds():
    assert {m.unit for m in METRICS.values()} <= set(UNIT_BOUNDS)
    # counts are per week (reset every week), money accumulates: the declarations say so
    for name in CUMULATIVE[:2]:
        assert "cumulative" in METRICS[name].meaning, name
    for name, m in METRICS.items():
        if UNIT_BOUNDS[m.unit] is COUNT:
            assert (m.unit.endswith("/week") or m.unit == "respondents") and "cumulative" not in m.meaning, name
        # the declared range of each metric (metrics.metric_range) lies inside its unit's bounds
        lo, hi = UNIT_BOUNDS[m.unit]
        assert lo <= m.range[0] <= m.range[1] <= hi, (name, m.range)


# --- the checks ------------------------------------------------------------------------


def check_state(model, week: int, before) -> None:
    """Every consumer attribute in its declared range (docs/ODD.md 2.1, core/state.py)."""
    s, p = model.state, model.params
    assert set(np.unique(s.segment)) <= {NATIVE, IMMIGRANT}
    for name in ("attitude0", "attitude", "expectation"):
        x = getattr(s, name)
        assert np.isfinite(x).all() and (x >= -1).all() and (x <= 1).all(), (name, x.min(), x.max())
    for name in ("trust", "loyalty"):
        x = getattr(s, name)
        assert np.isfinite(x).all() and (x >= 0).all() and (x <= 1).all(), (name, x.min(), x.max())
    assert np.isfinite(s.irritation).all() and (s.irritation >= 0).all()
    # at most one purchase a week; the Bass mode knows first purchases only (7.3)
    total = s.purchases.sum(axis=1)
    assert (s.purchases >= 0).all() and (total <= (1 if p.purchase_model == "bass" else week)).all()
    assert ((s.choice >= 0) == s.bought).all() and (s.choice < s.n_brands).all()
    window = np.stack([(s.history == b).sum(axis=0) for b in range(s.n_brands)], axis=1)
    assert (s.recent == window).all()  # the rolling window holds exactly its weeks' purchases
    # experience and satisfaction: NaN exactly for this week's non-buyers (2.1), else in [-1, 1]
    for name in ("experience", "satisfaction"):
        x = getattr(s, name)
        assert (np.isnan(x) == ~s.bought).all(), name
        assert (np.abs(x[s.bought]) <= 1).all(), name
    # this week's buyers know the brand they bought (7.3) and talkers have a topic (7.5);
    # followers are aware and, after forgetting, not negative (7.2, 7.9)
    buyers, talkers = np.flatnonzero(s.bought), np.flatnonzero(s.talked)
    assert s.aware[buyers, s.choice[buyers]].all() and s.reinforced[buyers, s.choice[buyers]].all()
    assert (s.topic[talkers] >= 0).all()  # a talker knew the brand when talking (7.9 may forget it since)
    assert s.aware[s.follower].all() and (s.attitude[s.follower] >= 0).all()
    for b, brand in enumerate(model.planned_brands):  # an off week of the schedule keeps the page's followers
        if not brand.has_page or (brand.fanpage_budget <= 0 and model.params.organic_reach == 0):
            assert not s.follower[:, b].any()  # 7.2: no following without a page (or a dormant one)
    if before is not None:
        aware0, purchases0 = before
        lost = aware0 & ~s.aware  # only what nothing recalled this week is forgotten (7.9)
        assert not (lost & s.reinforced).any() and (p.awareness_decay > 0 or not lost.any())
        bought = np.zeros_like(purchases0)
        bought[buyers, s.choice[buyers]] = 1
        assert (s.purchases == purchases0 + bought).all()  # this week's buyers, one each
    if week == 0:
        assert not s.bought.any() and not s.follower.any() and not s.purchases.any()


def check_series(ts: pd.DataFrame, model, purchases_total: list[int]) -> None:
    """Every metric of every step (docs/ODD.md 4.11) within its bounds and definitions."""
    p, n, steps = model.params, model.n_consumers, model.params.steps
    assert list(ts["step"]) == list(range(steps + 1))
    for name, m in METRICS.items():
        lo, hi = m.range  # the declared range (metrics.METRICS), tighter than the unit's bounds
        unit = m.unit
        x = ts[name].to_numpy(dtype=float)
        if name in NAN_WHEN:  # NaN exactly when the denominator is empty (4.11), else a number
            assert (np.isnan(x) == NAN_WHEN[name](ts, model).to_numpy()).all(), (name, ts[name])
            x = x[~np.isnan(x)]
        elif name in MAY_BE_NAN:
            x = x[~np.isnan(x)]
        assert np.isfinite(x).all(), (name, x)
        assert ((x >= lo) & (x <= hi)).all(), (name, x.min(), x.max())
        if UNIT_BOUNDS[unit] is COUNT:
            assert (x == np.round(x)).all(), name
    # forgetting only removes followers (7.9): followers left at a week's end were posted to that
    # week, unless the page was dormant (an off week of the schedule without organic reach, 7.2)
    posted_to = (ts["step"] >= 1) & (ts["followers"] > 0) & (p.fanpage_posts > 0) & (p.organic_reach > 0)
    assert ts.loc[posted_to, "organic_reach_rate"].notna().all()
    for name in CUMULATIVE:
        assert (np.diff(ts[name]) >= 0).all(), (name, ts[name].tolist())
    # money (2.3, 7.11, 7.14): with pay_unused_capacity budget x N x on(t) every week for every
    # strategy but none, which spends 0; else the broadcast budget x on(t), the page's paid views
    # and reply_cost per reply (ODD section 9); revenue = margin x purchases so far. abs_tol: a
    # subnormal budget rounds in the split.
    weekly = 0.0 if p.strategy == "none" else p.budget * n
    on = np.array([0.0] + [model.flights.on(t) for t in range(1, steps + 1)])
    paid = np.cumsum(weekly * on)
    planned = model.planned_brands[0]
    used = np.cumsum(planned.broadcast_budget * on) + p.reply_cost * ts["replies"].cumsum().to_numpy()
    np.testing.assert_allclose(ts["spend_week"].cumsum(), ts["spend"], rtol=1e-9, atol=1e-300)
    for t, (spend, revenue, profit) in enumerate(ts[["spend", "revenue", "profit"]].itertuples(index=False)):
        if p.pay_unused_capacity:
            assert math.isclose(spend, paid[t], rel_tol=1e-9, abs_tol=1e-300), (t, spend, weekly)
        elif planned.fanpage_budget <= 0:
            assert math.isclose(spend, used[t], rel_tol=1e-9, abs_tol=1e-300), (t, spend, used[t])
        else:  # paid page views are not in the time series: at least the rest, and whole views
            extra = spend - used[t]
            assert extra >= -1e-6 * max(1.0, spend) and abs(extra - round(extra)) <= 1e-6 * max(1.0, spend)
        assert math.isclose(revenue, p.margin * purchases_total[t], rel_tol=1e-9), (t, revenue)
        assert profit == revenue - spend
    # shares of the same population, nested as the ODD defines them
    assert (ts["customers"] == ts["adopters"]).all()
    assert (ts["repeat_customers"] <= ts["customers"]).all()
    survey = ts[ts["nps_respondents"] > 0]
    assert ((survey["nps_low"] <= survey["nps"]) & (survey["nps"] <= survey["nps_high"])).all()
    assert (ts["nps_respondents"] <= p.nps_sample).all()
    assert (ts["followers"] <= ts["awareness"]).all()
    if p.purchase_model == "bass":
        assert (ts["repeat_customers"] == 0).all()  # first purchases only (7.3)
    # mean(empty) = 0 (4.11)
    nobody_aware, no_customer = ts["awareness"] == 0, ts["customers"] == 0
    assert (ts.loc[nobody_aware, ["mean_attitude"]] == 0).all().all()
    assert (ts.loc[no_customer, ["loyalty", "loyalty_natives", "loyalty_immigrants"]] == 0).all().all()
    for segment, label in ((NATIVE, "natives"), (IMMIGRANT, "immigrants")):
        if not (model.state.segment == segment).any():  # an empty segment (immigrant_share 0 or 1)
            assert (ts[[f"awareness_{label}", f"loyalty_{label}"]] == 0).all().all(), label
    # channels without a budget do nothing (7.2, 7.8); a reply costs reply_cost (7.8)
    planned = model.planned_brands[0]  # model.brand is the last week's, maybe an off week (7.12)
    capacity = planned.dialogue_budget / p.reply_cost
    assert (ts["replies"] <= math.floor(capacity) + 1).all()
    if not planned.has_page or (planned.fanpage_budget <= 0 and p.organic_reach == 0):
        assert (ts["followers"] == 0).all()
    # only used capacity is spent: never more than the budget, up to one unit of rounding a
    # week for the page's paid views and one reply for the dialogue (ODD section 9)
    slack = (planned.fanpage_budget > 0) + (planned.dialogue_budget > 0) * p.reply_cost
    assert (ts["spend"].diff().dropna() <= planned.weekly_spend + slack + 1e-9).all()
    # a talker reaches each neighbour at most once a week (7.5); each online talker posts at
    # most once, plus one backlash post per reply exposed as spin (7.7, 7.8)
    assert (ts["wom_positive"] + ts["wom_negative"] <= 2 * model.adjacency.n_edges).all()
    assert (ts["posts"] <= n + ts["replies"]).all()
    # the lasting layer: every reply answers a post about the focal brand, written by now
    assert (ts["replies"].cumsum() <= ts["posts"].cumsum()).all()
    t = model.record.totals(0)
    assert t.posts == ts["posts"].sum() and t.answered == ts["replies"].sum() and t.resolved <= t.complaints
    first = ts.iloc[0]  # step 0: the initial state, nothing happened yet
    assert first["spend"] == first["revenue"] == first["customers"] == first["followers"] == 0
    assert first["wom_positive"] == first["wom_negative"] == first["posts"] == first["replies"] == 0
    assert first["public_sentiment"] == 0  # an empty record


def run_checked(params: dict, seed: int):
    """Run week by week, checking the state after each; then check the collected series."""
    model = ENGINE[params["engine"]](Params(**params), rng=seed)
    check_state(model, 0, None)
    purchases_total = [int(model.state.purchases[:, 0].sum())]  # revenue: the focal brand's
    for week in range(1, model.params.steps + 1):
        before = (model.state.aware.copy(), model.state.purchases.copy())
        model.step()
        check_state(model, week, before)
        purchases_total.append(int(model.state.purchases[:, 0].sum()))
    check_series(model.timeseries(), model, purchases_total)
    return model


# --- the properties ----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=examples(1.0))
@given(params=valid_params(engine="vectorised"), seed=SEEDS)
def test_vectorised_run_keeps_every_invariant(strategy, params, seed):
    run_checked({**params, "strategy": strategy}, seed)


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=examples(0.25))
@given(params=valid_params(engine="reference"), seed=SEEDS)
def test_reference_run_keeps_every_invariant(strategy, params, seed):
    run_checked({**params, "strategy": strategy}, seed)


@pytest.fixture(scope="module")
def graph_folder():
    # hypothesis runs many examples per test call: a function-scoped tmp_path would be shared
    # by all of them anyway, so the folder is the module's, and each example names its file.
    with tempfile.TemporaryDirectory(prefix="womsim-fuzz-graphs-") as folder:
        yield Path(folder)


@settings(max_examples=examples(1.0))
@given(graph=small_graphs(), fmt=st.sampled_from(GRAPH_FORMATS), params=valid_params(networks=("empty",)),
       seed=SEEDS, data=st.data())
def test_file_graph_run_keeps_every_invariant(graph_folder, graph, fmt, params, seed, data):
    """A random small graph written to a file is read with its own size (5.1, 5.2) and runs."""
    stem = f"g{data.draw(st.integers(0, 2**62), label='file')}"
    path, nodes, ties = write_graph(graph, graph_folder, stem, fmt)
    try:
        model = run_checked({**params, "network": f"file:{path}"}, seed)
    finally:
        path.unlink()
    assert model.n_consumers == nodes and model.adjacency.n_edges == ties
