"""Tests of simulation.stats (means and t-intervals) and simulation.plots (figures).

The figures are checked as images: both files exist, the PNG decodes, is not blank,
shows the strategy colours, and different data give different pixels.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from simulation import plots
from simulation.stats import mean_ci, summarise, t_half_width

METRICS = ["awareness", "loyalty", "nps", "trust", "public_sentiment", "profit", "roi"]


def make_ts(
    strategies=("none", "broadcast", "dialogue"),
    replicates=3,
    steps=10,
    slope=1.0,
    seed=0,
    by="strategy",
) -> pd.DataFrame:
    """Small tidy timeseries with a different trend per strategy."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, s in enumerate(strategies):
        for r in range(replicates):
            for t in range(steps + 1):
                x = t / steps
                rows.append(
                    {
                        by: s,
                        "replicate": r,
                        "seed": 1000 * k + r,
                        "step": t,
                        "awareness": min(1.0, slope * (0.2 + 0.3 * k) * x + 0.02 * rng.random()),
                        "loyalty": 0.3 + 0.1 * k * x + 0.02 * rng.random(),
                        "nps": -20 + 15 * k * x + 3 * rng.standard_normal(),
                        "trust": 0.5 + 0.05 * (k - 1) * x,
                        "public_sentiment": 0.2 * (k - 1) * x + 0.01 * rng.standard_normal(),
                        "profit": slope * 100 * (k - 0.5) * x + 5 * rng.standard_normal(),
                        "roi": np.nan if s == "none" else (k - 0.5) * x + 0.05 * rng.random(),
                    }
                )
    return pd.DataFrame(rows)


def final_summary(ts: pd.DataFrame) -> pd.DataFrame:
    last = ts[ts["step"] == ts["step"].max()].drop(columns="step").copy()
    last["incremental_roi"] = np.where(last["strategy"] == "none", np.nan, last["roi"] + 0.1)
    return last.reset_index(drop=True)


def load_rgb(path) -> np.ndarray:
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert img.shape[0] > 200 and img.shape[1] > 200
    return np.asarray(img[..., :3], dtype=np.float32)


def hex_rgb(color: str) -> np.ndarray:
    return np.array(matplotlib.colors.to_rgb(color))


def assert_valid_figure(paths, colours=()):
    png, svg = paths
    assert png.suffix == ".png" and svg.suffix == ".svg"
    assert png.exists() and svg.exists()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    head = svg.read_text(encoding="utf-8")[:2000]
    assert "<svg" in head
    rgb = load_rgb(png)
    background = rgb[0, 0]
    differs = np.abs(rgb - background).max(axis=2) > 0.05
    assert differs.mean() > 0.02, "image is (nearly) blank"
    q = np.round(rgb * 31).astype(np.int32)  # 32 levels per channel
    codes = ((q[..., 0] * 32 + q[..., 1]) * 32 + q[..., 2]).ravel()
    assert np.count_nonzero(np.bincount(codes, minlength=32**3)) >= 8, "too few colours"
    for c in colours:
        dist = np.abs(rgb - hex_rgb(c).astype(np.float32)).max(axis=2)
        assert (dist < 0.06).sum() >= 20, f"colour {c} not found in {png.name}"
    return rgb


# ----------------------------------------------------------------------------- stats


def test_mean_ci_hand_computation():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    half = st.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert m == pytest.approx(2.0)
    assert lo == pytest.approx(2.0 - half)
    assert hi == pytest.approx(2.0 + half)
    assert half == pytest.approx(2.4841, abs=1e-4)


def test_mean_ci_edge_cases():
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
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
    assert got[2] == 0.0 and math.isnan(got[3])


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
    m, lo, hi = mean_ci(vals)
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
    assert (one["loyalty_lo"] == one["loyalty_mean"]).all()
    assert (one["loyalty_hi"] == one["loyalty_mean"]).all()
    with pytest.raises(ValueError, match="not in the data"):
        summarise(ts, "strategy", ["no_such_metric"])


# ----------------------------------------------------------------------------- style


def test_style_constants():
    assert plots.STRATEGY_ORDER == ("none", "broadcast", "hype", "fanpage", "dialogue", "mixed")
    assert plots.STRATEGY_COLORS["none"] == "#999999"
    assert set(plots.STRATEGY_COLORS) == set(plots.STRATEGY_ORDER)
    colours = list(plots.STRATEGY_COLORS.values())
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(plots.OKABE_ITO.values())
    assert "#F0E442" not in colours  # plain yellow is unreadable as a line
    styles = [(str(s["linestyle"]), s["marker"]) for s in plots.STRATEGY_STYLES.values()]
    assert len(set(styles)) == len(styles)
    assert len({s["marker"] for s in plots.STRATEGY_STYLES.values()}) == len(styles)
    for metric in METRICS + ["step", "loyal_share", "spend", "revenue", "wom_positive"]:
        assert metric in plots.METRIC_LABELS
    assert plots.METRIC_LABELS["step"] == "week"


def test_group_styles_deterministic_and_distinct():
    assert plots.order_groups(["mixed", "none", "hype"]) == ["none", "hype", "mixed"]
    a = plots.group_styles(["ws", "ba", "er"])
    b = plots.group_styles(["er", "ws", "ba"])
    assert a == b
    assert len({s["color"] for s in a.values()}) == 3
    mixed = plots.group_styles(["none", "dialogue", "custom"])
    assert mixed["dialogue"]["color"] == plots.STRATEGY_COLORS["dialogue"]
    assert mixed["custom"]["color"] not in plots.STRATEGY_COLORS.values()
    many = plots.group_styles(list(range(12)))
    assert len({(s["color"], str(s["linestyle"])) for s in many.values()}) == 12


# ----------------------------------------------------------------------------- figures


def test_save_figure_writes_png_and_svg(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = plots.save_figure(fig, tmp_path / "deep" / "dir" / "fig_0.5")
    assert [p.name for p in paths] == ["fig_0.5.png", "fig_0.5.svg"]
    assert all(p.exists() for p in paths)
    assert not plt.fignum_exists(fig.number)
    assert matplotlib.get_backend().lower() == "agg"


def test_plot_timeseries_image(tmp_path):
    ts = make_ts()
    paths = plots.plot_timeseries(ts, "awareness", tmp_path / "ts", title="test scenario")
    colours = [plots.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_different_inputs_give_different_images(tmp_path):
    a = plots.plot_timeseries(make_ts(slope=1.0), "awareness", tmp_path / "a")
    b = plots.plot_timeseries(make_ts(slope=0.4), "awareness", tmp_path / "b")
    again = plots.plot_timeseries(make_ts(slope=1.0), "awareness", tmp_path / "a2")
    img_a, img_b, img_again = (load_rgb(p[0]) for p in (a, b, again))
    assert img_a.shape != img_b.shape or not np.array_equal(img_a, img_b)
    np.testing.assert_array_equal(img_a, img_again)  # deterministic
    assert a[1].read_text() == again[1].read_text()  # reproducible SVG


def test_plot_small_multiples_image(tmp_path):
    ts = make_ts()
    paths = plots.plot_small_multiples(ts, plots.DEFAULT_PANELS, tmp_path / "sm", title="test")
    colours = [plots.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_plot_final_image_with_nan(tmp_path):
    summary = final_summary(make_ts())
    paths = plots.plot_final(
        summary, ["profit", "roi", "incremental_roi", "nps"], tmp_path / "final", title="t"
    )
    colours = [plots.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_single_replicate_does_not_crash(tmp_path):
    ts = make_ts(replicates=1)
    assert_valid_figure(plots.plot_timeseries(ts, "nps", tmp_path / "one_ts"))
    assert_valid_figure(plots.plot_small_multiples(ts, ["awareness", "roi"], tmp_path / "one_sm"))
    assert_valid_figure(plots.plot_final(final_summary(ts), ["profit", "roi"], tmp_path / "one_f"))


def test_all_nan_metric_and_other_group_column(tmp_path):
    ts = make_ts(strategies=("ba", "ws", "er"), by="network")
    ts["roi"] = np.nan
    assert_valid_figure(plots.plot_timeseries(ts, "roi", tmp_path / "nan_ts", by="network"))
    paths = plots.plot_small_multiples(
        ts, ["awareness", "profit", "trust", "nps"], tmp_path / "net_sm", by="network"
    )
    styles = plots.group_styles(["ba", "ws", "er"])
    assert_valid_figure(paths, [s["color"] for s in styles.values()])
    last = ts[ts["step"] == ts["step"].max()]
    assert_valid_figure(
        plots.plot_final(last, ["awareness", "roi"], tmp_path / "net_final", by="network")
    )


def test_numeric_group_column_and_unknown_metric(tmp_path):
    ts = make_ts(strategies=(0.5, 1.0, 2.0), by="budget")
    ts["custom_metric"] = ts["awareness"] * 2
    assert_valid_figure(plots.plot_timeseries(ts, "custom_metric", tmp_path / "b", by="budget"))


def test_missing_column_raises(tmp_path):
    ts = make_ts()
    with pytest.raises(ValueError, match="no column"):
        plots.plot_timeseries(ts, "nope", tmp_path / "x")
    with pytest.raises(ValueError, match="no column"):
        plots.plot_final(final_summary(ts), ["profit"], tmp_path / "y", by="network")
