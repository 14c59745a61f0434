"""Confidence intervals that respect each metric's declared range (simulation.research.stats).

The interval is computed in one place, :func:`simulation.research.stats.interval`: a
t-interval on the logit (two bounds) or log (one bound) scale of the range-scaled mean, so
it cannot leave the range; away from the bounds it is the plain t-interval; with one
replicate there is none.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from simulation.core.metrics import METRICS, metric_range
from simulation.errors import WomsimError
from simulation.outputs.tables import NO_INTERVAL, confidence_cells, format_confidence
from simulation.research.stats import interval, mean_ci, summarise, t_half_width
from simulation.research.summaries import confidence_table

#: Replicate values of a share close to 0 (e.g. loyal share early in a launch): the plain
#: t-interval of their mean is [-0.0059, 0.0155], below 0.
NEAR_ZERO = [0.001, 0.0, 0.02, 0.003, 0.0]


def test_every_metric_declares_its_range():
    for name, spec in METRICS.items():
        lo, hi = spec.range
        assert lo < hi, name
        if spec.unit in ("share", "0..1"):
            assert spec.range == (0.0, 1.0), name
        elif spec.unit == "-1..1":
            assert spec.range == (-1.0, 1.0), name
    assert metric_range("nps") == (-100.0, 100.0)
    assert metric_range("wom_positive") == (0.0, math.inf) == metric_range("spend")
    assert metric_range("profit") == (-math.inf, math.inf) == metric_range("incremental_roi")
    assert metric_range("roi") == (-1.0, math.inf)  # revenue >= 0


def test_share_near_zero_gets_an_interval_inside_the_unit_range():
    summary = pd.DataFrame({"strategy": "none", "seed": range(5), "loyal_share": NEAR_ZERO,
                            "awareness": [0.97, 1.0, 0.99, 1.0, 0.995]})
    t_half = st.t.ppf(0.975, 4) * np.std(NEAR_ZERO, ddof=1) / math.sqrt(5)
    assert np.mean(NEAR_ZERO) - t_half < 0  # the interval that used to be printed
    table = confidence_table(summary, ["loyal_share", "awareness"])
    for m in ("loyal_share", "awareness"):
        lo, mean, hi = (float(table[f"{m}{s}"].iloc[0]) for s in ("_lo", "", "_hi"))
        assert 0.0 <= lo < mean < hi <= 1.0, (m, lo, mean, hi)
    s = summarise(summary, "strategy", ["loyal_share"])
    assert 0.0 <= s["loyal_share_lo"].iloc[0] and s["loyal_share_hi"].iloc[0] <= 1.0
    m, lo, hi = mean_ci(NEAR_ZERO, bounds=(0.0, 1.0))
    assert 0.0 < lo < m < hi < 1.0


def test_bounded_scales_of_every_kind_stay_inside():
    cases = {"nps": [-99.0, -97.0, -100.0, -92.0], "mean_attitude": [0.99, 0.97, 1.0],
             "posts": [0.0, 0.0, 3.0, 1.0], "roi": [-0.99, -0.95, -1.0, -0.9]}
    for metric, values in cases.items():
        lo_b, hi_b = metric_range(metric)
        m, lo, hi = mean_ci(values, bounds=(lo_b, hi_b))
        assert lo_b <= lo < m < hi <= hi_b, (metric, lo, m, hi)


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (-100.0, 100.0), (0.0, math.inf), (-math.inf, 5.0)])
def test_away_from_the_bounds_the_interval_is_the_t_interval(bounds):
    """Tolerance: where the t half-width is at most 2 % of the distance from the mean to the
    nearer bound, both ends are within 1 % of the t half-width of the t-interval's ends."""
    rng = np.random.default_rng(7)
    lower, upper = bounds
    span = (upper - lower) if math.isfinite(upper - lower) else 100.0
    for _ in range(200):
        n = int(rng.integers(2, 12))
        if math.isfinite(lower) and math.isfinite(upper):
            mean = lower + span * rng.uniform(0.05, 0.95)
        elif math.isfinite(lower):
            mean = lower + rng.uniform(0.5, 1000.0)
        else:
            mean = upper - rng.uniform(0.5, 1000.0)
        dist = min(mean - lower, upper - mean)
        std = 0.02 * dist * rng.uniform(0.05, 1.0) * math.sqrt(n) / st.t.ppf(0.975, n - 1)
        half = float(t_half_width(std, n))
        assert half <= 0.02 * dist * (1 + 1e-12)
        lo, hi = interval(mean, std, n, bounds)
        assert abs(float(lo) - (mean - half)) <= 1e-2 * half
        assert abs(float(hi) - (mean + half)) <= 1e-2 * half


def test_unbounded_is_exactly_the_t_interval():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    half = st.t.ppf(0.975, 2) / math.sqrt(3)
    assert (lo, hi) == pytest.approx((2.0 - half, 2.0 + half), abs=1e-12)


def test_one_replicate_gives_no_interval_and_the_tables_say_so():
    m, lo, hi = mean_ci([0.362], bounds=(0.0, 1.0))
    assert m == pytest.approx(0.362) and math.isnan(lo) and math.isnan(hi)
    summary = pd.DataFrame({"strategy": ["a", "b", "b"], "seed": [0, 0, 1], "awareness": [0.362, 0.4, 0.5]})
    table = confidence_table(summary, ["awareness"])
    assert math.isnan(table["awareness_lo"].iloc[0]) and math.isnan(table["awareness_hi"].iloc[0])
    cells = confidence_cells(table, ["awareness"])
    assert cells["awareness"].iloc[0] == "0.362 (n/a, 1 replicate)" == f"0.362 {NO_INTERVAL}"
    assert "[" in cells["awareness"].iloc[1]
    assert "0.362 (n/a, 1 replicate)" in format_confidence(table)
    assert "0.362 (n/a, 1 replicate)" in format_confidence(table, markdown=True)
    s = summarise(summary, "strategy", "awareness")
    assert s["awareness_n"].tolist() == [1, 2] and s["awareness_lo"].isna().tolist() == [True, False]


def test_zero_spread_and_means_at_a_bound():
    assert mean_ci([0.0, 0.0, 0.0], bounds=(0.0, 1.0)) == (0.0, 0.0, 0.0)
    assert mean_ci([1.0, 1.0], bounds=(0.0, 1.0)) == (1.0, 1.0, 1.0)
    assert mean_ci([-100.0] * 4, bounds=(-100.0, 100.0)) == (-100.0, -100.0, -100.0)
    assert mean_ci([0.4, 0.4], bounds=(0.0, 1.0)) == (0.4, 0.4, 0.4)
    assert mean_ci([0.0, 0.0], bounds=(0.0, math.inf)) == (0.0, 0.0, 0.0)
    # a mean on the bound with spread is only rounding: the clipped t-interval, still inside
    lo, hi = interval(1.0, 0.01, 3, (0.0, 1.0))
    assert 0.0 <= float(lo) < 1.0 == float(hi)
    # one value at the bound, the others inside: a proper interval, inside
    m, lo, hi = mean_ci([1.0, 0.999, 1.0, 0.98], bounds=(0.0, 1.0))
    assert 0.0 < lo < m < hi <= 1.0


def test_values_outside_the_declared_range_are_an_error():
    bad = pd.DataFrame({"strategy": "a", "awareness": [0.5, 1.2]})
    with pytest.raises(WomsimError, match=r"column 'awareness'.*\[0, 1\]"):
        summarise(bad, "strategy", "awareness")
    with pytest.raises(WomsimError, match="declared range"):
        mean_ci([-0.1, 0.2], bounds=(0.0, 1.0))
    # rounding just past a bound is clipped, not an error
    assert mean_ci([1.0 + 1e-15, 1.0], bounds=(0.0, 1.0))[0] == 1.0
    with pytest.raises(ValueError, match="lower < upper"):
        interval(0.5, 0.1, 3, (1.0, 0.0))


def test_summarise_mean_ci_and_confidence_table_give_the_same_interval():
    rng = np.random.default_rng(3)
    summary = pd.DataFrame({"strategy": np.repeat(["a", "b"], 6), "seed": np.tile(range(6), 2),
                            "loyalty": rng.beta(2, 8, 12), "profit": rng.normal(0, 100, 12)})
    table = confidence_table(summary, ["loyalty", "profit"]).set_index("strategy")
    s = summarise(summary, "strategy", ["loyalty", "profit"]).set_index("strategy")
    for g, grp in summary.groupby("strategy"):
        for m in ("loyalty", "profit"):
            expect = mean_ci(grp[m], bounds=metric_range(m))
            assert (table.at[g, m], table.at[g, f"{m}_lo"], table.at[g, f"{m}_hi"]) == pytest.approx(expect)
            assert (s.at[g, f"{m}_mean"], s.at[g, f"{m}_lo"], s.at[g, f"{m}_hi"]) == pytest.approx(expect)


@pytest.mark.parametrize(("a", "b"), [(2.0, 30.0), (0.5, 20.0), (5.0, 5.0), (30.0, 2.0)])
def test_coverage_on_beta_distributed_shares(a, b):
    """2,000 seeded samples of n = 5 Beta(a, b) shares: the empirical coverage of the 95 %
    interval of their mean is in [0.90, 0.99] (measured 0.943, 0.921, 0.953, 0.939), and every
    interval is inside [0, 1]. On the same samples the plain t-interval covers 0.912, 0.835,
    0.945, 0.914, and leaves [0, 1] in 18 %, 82 %, 0 %, 18 % of them. Takes ~0.05 s."""
    rng = np.random.default_rng(20261201)
    x = rng.beta(a, b, size=(2000, 5))
    lo, hi = interval(x.mean(axis=1), x.std(axis=1, ddof=1), 5, (0.0, 1.0))
    mu = a / (a + b)
    coverage = float(np.mean((lo <= mu) & (mu <= hi)))
    assert 0.90 <= coverage <= 0.99, coverage
    assert (lo >= 0.0).all() and (hi <= 1.0).all()


def test_the_odd_states_each_declared_range():
    """docs/ODD.md, 4.11: the "range" column of the metric table is METRICS' ranges."""
    from conftest import REPO

    odd = (REPO / "docs" / "ODD.md").read_text(encoding="utf-8")
    start = odd.index("| metric | range | definition |")
    table = odd[start:odd.index("\n\n", start)]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \| ", table, flags=re.M))

    def text(lo: float, hi: float) -> str:
        if math.isinf(lo) and math.isinf(hi):
            return "unbounded"
        return f">= {lo:g}" if math.isinf(hi) else f"[{lo:g}, {hi:g}]"

    assert {name: text(*spec.range) for name, spec in METRICS.items()} == {n: rows.get(n) for n in METRICS}
