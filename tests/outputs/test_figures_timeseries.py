"""Tests of the time-series figures (simulation.outputs.figures.timeseries) and of the
means and intervals behind their bands (simulation.research.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figures_data import assert_valid_figure, final_summary, load_rgb, make_ts
from scipy import stats as st

from simulation.core.metrics import metric_range
from simulation.outputs import figures
from simulation.outputs.figures import style
from simulation.research.stats import mean_ci, summarise, t_half_width


def test_mean_ci_hand_computation():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    half = st.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert m == pytest.approx(2.0)
    assert lo == pytest.approx(2.0 - half)
    assert hi == pytest.approx(2.0 + half)
    assert half == pytest.approx(2.4841, abs=1e-4)


def test_mean_ci_edge_cases():
    m, lo, hi = mean_ci([5.0])  # one value: a mean, no interval
    assert m == 5.0 and math.isnan(lo) and math.isnan(hi)
    assert all(math.isnan(v) for v in mean_ci([]))
    assert all(math.isnan(v) for v in mean_ci([np.nan, np.nan]))
    assert mean_ci([1.0, np.nan, 3.0, np.inf])[0] == pytest.approx(2.0)
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    m90 = mean_ci([1.0, 2.0, 3.0], confidence=0.9)
    m95 = mean_ci([1.0, 2.0, 3.0])
    assert m95[1] < m90[1] < 2.0 < m90[2] < m95[2]
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], confidence=1.5)


def test_t_half_width_vectorised():
    got = t_half_width([1.0, 2.0, 3.0, 1.0], [3, 5, 1, 0])
    assert got[0] == pytest.approx(st.t.ppf(0.975, 2) / math.sqrt(3))
    assert got[1] == pytest.approx(st.t.ppf(0.975, 4) * 2.0 / math.sqrt(5))
    assert math.isnan(got[2]) and math.isnan(got[3])  # n = 1: no spread, no interval


def test_summarise_matches_pandas_and_mean_ci():
    ts = make_ts()
    out = summarise(ts, ["strategy", "step"], ["awareness", "nps", "roi"])
    expected = ts.groupby(["strategy", "step"])[["awareness", "nps"]].mean().reset_index()
    merged = out.merge(expected, on=["strategy", "step"], suffixes=("", "_pd"))
    assert len(merged) == len(out) == 3 * 11
    np.testing.assert_allclose(merged["awareness_mean"], merged["awareness"])
    np.testing.assert_allclose(merged["nps_mean"], merged["nps"])
    for m in ("awareness", "nps"):
        assert (out[f"{m}_lo"] <= out[f"{m}_mean"] + 1e-12).all()
        assert (out[f"{m}_mean"] <= out[f"{m}_hi"] + 1e-12).all()
        assert (out[f"{m}_n"] == 3).all()
    # one group checked against mean_ci
    row = out[(out["strategy"] == "dialogue") & (out["step"] == 7)].iloc[0]
    vals = ts[(ts["strategy"] == "dialogue") & (ts["step"] == 7)]["nps"]
    m, lo, hi = mean_ci(vals, bounds=metric_range("nps"))
    assert (row["nps_mean"], row["nps_lo"], row["nps_hi"]) == pytest.approx((m, lo, hi))
    # roi is NaN for 'none': NaN mean/CI and n == 0
    none = out[out["strategy"] == "none"]
    assert none["roi_mean"].isna().all() and none["roi_lo"].isna().all()
    assert (none["roi_n"] == 0).all()
    assert list(out.columns[:2]) == ["strategy", "step"]


def test_summarise_single_group_key_and_single_replicate():
    ts = make_ts(replicates=1)
    out = summarise(ts, "strategy", "loyalty")
    expected = ["strategy", "loyalty_mean", "loyalty_lo", "loyalty_hi", "loyalty_n"]
    assert list(out.columns) == expected
    one = summarise(ts, ["strategy", "step"], ["loyalty"])
    assert (one["loyalty_n"] == 1).all()
    assert one["loyalty_lo"].isna().all() and one["loyalty_hi"].isna().all()  # no interval from one run
    with pytest.raises(ValueError, match="not in the data"):
        summarise(ts, "strategy", ["no_such_metric"])


def test_plot_timeseries_image(tmp_path):
    ts = make_ts()
    paths = figures.plot_timeseries(ts, "awareness", tmp_path / "ts", title="test scenario")
    colours = [style.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_different_inputs_give_different_images(tmp_path):
    a = figures.plot_timeseries(make_ts(slope=1.0), "awareness", tmp_path / "a")
    b = figures.plot_timeseries(make_ts(slope=0.4), "awareness", tmp_path / "b")
    again = figures.plot_timeseries(make_ts(slope=1.0), "awareness", tmp_path / "a2")
    img_a, img_b, img_again = (load_rgb(p[0]) for p in (a, b, again))
    assert img_a.shape != img_b.shape or not np.array_equal(img_a, img_b)
    np.testing.assert_array_equal(img_a, img_again)  # deterministic
    assert a[1].read_text() == again[1].read_text()  # reproducible SVG


def test_plot_small_multiples_image(tmp_path):
    ts = make_ts()
    paths = figures.plot_small_multiples(ts, style.DEFAULT_PANELS, tmp_path / "sm", title="test")
    colours = [style.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_single_replicate_does_not_crash(tmp_path):
    ts = make_ts(replicates=1)
    assert_valid_figure(figures.plot_timeseries(ts, "nps", tmp_path / "one_ts"))
    assert_valid_figure(figures.plot_small_multiples(ts, ["awareness", "roi"], tmp_path / "one_sm"))
    assert_valid_figure(figures.plot_final(final_summary(ts), ["profit", "roi"], tmp_path / "one_f"))


def test_all_nan_metric_and_other_group_column(tmp_path):
    ts = make_ts(strategies=("ba", "ws", "er"), by="network")
    ts["roi"] = np.nan
    assert_valid_figure(figures.plot_timeseries(ts, "roi", tmp_path / "nan_ts", by="network"))
    paths = figures.plot_small_multiples(
        ts, ["awareness", "profit", "trust", "nps"], tmp_path / "net_sm", by="network"
    )
    styles = style.group_styles(["ba", "ws", "er"])
    assert_valid_figure(paths, [s["color"] for s in styles.values()])
    last = ts[ts["step"] == ts["step"].max()]
    assert_valid_figure(
        figures.plot_final(last, ["awareness", "roi"], tmp_path / "net_final", by="network")
    )


def test_numeric_group_column_and_unknown_metric(tmp_path):
    ts = make_ts(strategies=(0.5, 1.0, 2.0), by="budget")
    ts["custom_metric"] = ts["awareness"] * 2
    assert_valid_figure(figures.plot_timeseries(ts, "custom_metric", tmp_path / "b", by="budget"))


def test_missing_column_raises(tmp_path):
    ts = make_ts()
    with pytest.raises(ValueError, match="no column"):
        figures.plot_timeseries(ts, "nope", tmp_path / "x")
    with pytest.raises(ValueError, match="no column"):
        figures.plot_final(final_summary(ts), ["profit"], tmp_path / "y", by="network")


# ------------------------------------------------------------------ compute, then draw


def test_timeseries_table_is_summarise_and_draws_nothing():
    import matplotlib.pyplot as plt

    ts = make_ts()
    before = plt.get_fignums()
    table = figures.timeseries_table(ts, ["awareness", "nps"])
    assert plt.get_fignums() == before  # computing makes no figure
    expected = summarise(ts, ["strategy", "step"], ["awareness", "nps", "profit"])
    merged = table.merge(expected, on=["strategy", "step"], suffixes=("", "_s"))
    assert len(merged) == len(table) == len(expected) == 3 * 11
    for c in ("awareness_mean", "awareness_lo", "awareness_hi", "nps_mean", "nps_lo", "nps_hi"):
        np.testing.assert_allclose(merged[c], merged[c + "_s"], rtol=0, atol=0)
    row = expected[(expected["strategy"] == "broadcast") & (expected["step"] == 5)].iloc[0]
    sel = (ts["strategy"] == "broadcast") & (ts["step"] == 5)
    # one cell by hand, profit (unbounded): mean +- t(0.975, n - 1) s / sqrt(n), to 1e-12
    v = ts.loc[sel, "profit"].to_numpy()
    half = st.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    assert row["profit_mean"] == pytest.approx(v.mean(), abs=1e-12)
    assert (row["profit_lo"], row["profit_hi"]) == pytest.approx((v.mean() - half, v.mean() + half), abs=1e-12)
    # nps (in [-100, 100]): the same t half-width on the logit of (mean + 100) / 200
    v = ts.loc[sel, "nps"].to_numpy()
    half = st.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    p = (v.mean() + 100) / 200
    dz = half / (200 * p * (1 - p))
    ends = [-100 + 200 / (1 + math.exp(-(math.log(p / (1 - p)) + s * dz))) for s in (-1, 1)]
    assert (row["nps_lo"], row["nps_hi"]) == pytest.approx(ends, abs=1e-10)


def test_draw_timeseries_on_a_given_axis_and_on_none():
    import matplotlib.pyplot as plt

    ts = make_ts()
    table = figures.timeseries_table(ts, "loyalty")
    fig, ax = plt.subplots()
    try:
        assert figures.draw_timeseries(ax, table, "loyalty") is ax
        assert len(ax.lines) == 3 and len(ax.collections) == 3  # a line and a band per strategy
        assert [line.get_color() for line in ax.lines] == [style.STRATEGY_COLORS[s] for s in ("none", "broadcast",
                                                                                               "dialogue")]
        dialogue = table[table["strategy"] == "dialogue"]
        np.testing.assert_array_equal(ax.lines[2].get_ydata(), dialogue["loyalty_mean"].to_numpy())
        assert ax.get_xlabel() == "week" and "loyalty" in ax.get_ylabel()
    finally:
        plt.close(fig)
    new = figures.draw_timeseries(None, table, "loyalty")
    try:
        assert new is not ax and new.figure is not fig and len(new.lines) == 3
    finally:
        plt.close(new.figure)


def _captions(monkeypatch, module):
    """Record the footnote of every figure the module saves."""
    seen = []
    original = module.save_figure

    def save(fig, path_stem):
        label = fig._supxlabel.get_text() if fig._supxlabel is not None else ""
        legends = [t.get_text() for lg in fig.legends for t in [lg.get_title()]]
        seen.append(" ".join([label, *legends]))
        return original(fig, path_stem)

    monkeypatch.setattr(module, "save_figure", save)
    return seen


def test_bands_of_a_share_near_zero_stay_inside_its_range():
    import matplotlib.collections
    import matplotlib.pyplot as plt

    ts = make_ts()
    ts["loyal_share"] = np.where(ts["step"] < 5, 0.0, 0.002) * (ts["replicate"] % 2) + 0.0005 * ts["replicate"]
    table = figures.timeseries_table(ts, "loyal_share")
    fig, ax = plt.subplots()
    try:
        figures.draw_timeseries(ax, table, "loyal_share")
        bands = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
        assert bands
        y = np.concatenate([p.vertices[:, 1] for c in bands for p in c.get_paths()])
        y = y[np.isfinite(y)]
        assert y.min() >= 0.0 and y.max() <= 1.0  # the t-band went below 0
    finally:
        plt.close(fig)


def test_one_replicate_draws_no_band_and_the_caption_says_so(tmp_path, monkeypatch):
    import matplotlib.collections
    import matplotlib.pyplot as plt

    from simulation.outputs.figures import finals, timeseries

    ts = make_ts(replicates=1)
    fig, ax = plt.subplots()
    try:
        figures.draw_timeseries(ax, figures.timeseries_table(ts, "awareness"), "awareness")
        assert not [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    finally:
        plt.close(fig)
    seen = _captions(monkeypatch, timeseries)
    figures.plot_timeseries(ts, "awareness", tmp_path / "one")
    figures.plot_small_multiples(ts, ["awareness", "nps"], tmp_path / "one_sm")
    seen_f = _captions(monkeypatch, finals)
    figures.plot_final(final_summary(ts), ["awareness"], tmp_path / "one_f")
    for text in seen + seen_f:
        assert "n = 1 replicate, so no interval is shown" in text, text
    assert "inside the metric's range" in seen[0]
