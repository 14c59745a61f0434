"""Tests of simulation.research.stats (means and t-intervals) and simulation.outputs.plots (figures).

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

from simulation.outputs import plots
from simulation.research.stats import mean_ci, summarise, t_half_width

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
    sub = rgb[::2, ::2]
    background = rgb[0, 0]
    differs = np.abs(sub - background).max(axis=2) > 0.05
    assert differs.mean() > 0.02, "image is (nearly) blank"
    q = np.round(sub * 31).astype(np.int32)  # 32 levels per channel
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


# ------------------------------------------------------------------ sweep figures (real runs)

GRID_2D = """
[experiment]
name = "tiny_split"
steps = 8
replicates = 2
seed = 11
[base]
n_consumers = 100
network = "barabasi_albert"
strategy = "mixed"
[sweep]
design = "grid"
baseline = true
[sweep.parameters]
budget = [0.5, 4.0]
dialogue_share = [0.0, 0.5, 1.0]
"""

GRID_1D = """
[experiment]
name = "tiny_quality"
steps = 8
replicates = 2
seed = 12
[base]
n_consumers = 100
network = "barabasi_albert"
[sweep]
design = "grid"
[sweep.parameters]
quality = [-0.3, 0.5]
strategy = ["none", "broadcast", "dialogue"]
"""


def _run(tmp_path_factory, name: str, text: str) -> dict:
    from simulation.research.experiment import load_experiment
    from simulation.research.store import load
    from simulation.research.sweep import run_sweep

    root = tmp_path_factory.mktemp(name)
    path = root / f"{name}.toml"
    path.write_text(text)
    exp = load_experiment(path)
    result = run_sweep(exp, root / "out", workers=1, progress=False)
    assert result.failed == 0 and result.done == len(exp.tasks())
    data = load(root / "out")
    data["exp"] = exp
    return data


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """2 budgets x 3 dialogue shares, strategy mixed + the none baseline, 2 replicates."""
    return _run(tmp_path_factory, "split", GRID_2D)


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    """2 qualities x 3 strategies, 2 replicates."""
    return _run(tmp_path_factory, "quality", GRID_1D)


def assert_images_differ(a, b) -> None:
    ia, ib = load_rgb(a[0]), load_rgb(b[0])
    assert ia.shape != ib.shape or not np.array_equal(ia, ib)


def test_sweep_1d_from_real_runs(split, quality, tmp_path):
    fq = quality["finals"]
    colours = [plots.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    a = plots.plot_sweep_1d(fq, "quality", "loyalty", tmp_path / "q", title="tiny quality")
    assert_valid_figure(a, colours)
    # another scenario: the 2-D split sweep against the dialogue share, one line per budget
    b = plots.plot_sweep_1d(split["finals"], "dialogue_share", "loyalty", tmp_path / "s",
                            by="budget", where={"strategy": "mixed"}, title="tiny split")
    assert_valid_figure(b)
    assert_images_differ(a, b)


def test_heatmap_from_real_runs(split, tmp_path):
    fb = split["finals"]
    both = plots.plot_heatmap(fb, "budget", "dialogue_share", "loyalty", tmp_path / "h",
                              title="tiny split, all strategies")
    assert_valid_figure(both)
    mixed = plots.plot_heatmap(fb, "budget", "dialogue_share", "awareness", tmp_path / "m",
                               strategy="mixed", title="tiny split, mixed")
    rgb = assert_valid_figure(mixed)
    assert_images_differ(both, mixed)
    # a viridis heatmap has many distinct colours
    q = np.round(rgb * 31).astype(np.int32)
    assert len(np.unique((q[..., 0] * 32 + q[..., 1]) * 32 + q[..., 2])) >= 20


def test_difference_from_real_runs(split, tmp_path):
    fb = split["finals"]
    pinned = plots.plot_difference(fb, "budget", "dialogue_share", "loyalty", tmp_path / "d1",
                                   a="mixed", b={"dialogue_share": 0.0}, title="tiny split vs broadcast")
    assert_valid_figure(pinned)
    baseline = plots.plot_difference(fb, "budget", "dialogue_share", "loyalty", tmp_path / "d2",
                                     a="mixed", b="none", title="tiny split vs none")
    assert_valid_figure(baseline)
    assert_images_differ(pinned, baseline)



def test_incremental_roi_from_real_runs(split, quality, tmp_path):
    from simulation.research.summaries import incremental_roi

    fq = quality["finals"].copy()
    fq["incremental_roi"] = incremental_roi(fq)
    colours = [plots.STRATEGY_COLORS[s] for s in ("broadcast", "dialogue")]
    a = plots.plot_incremental_roi(fq, tmp_path / "roi_q", title="tiny quality")
    assert_valid_figure(a, colours)
    # without the column it is computed (paired on seed with the none baseline)
    b = plots.plot_incremental_roi(split["finals"], tmp_path / "roi_s", by="dialogue_share",
                                   facet="budget", sharey=False, title="tiny split")
    assert_valid_figure(b)
    assert_images_differ(a, b)


def test_segments_from_real_runs(split, quality, tmp_path):
    colours = [plots.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    a = plots.plot_segments(quality["timeseries"], tmp_path / "seg_q", where={"quality": 0.5},
                            title="tiny quality")  # a timeseries: its last week is used
    assert_valid_figure(a, colours)
    b = plots.plot_segments(split["finals"], tmp_path / "seg_s",
                            where={"budget": 4.0, "dialogue_share": [0.0, 1.0]},
                            facet="dialogue_share", title="tiny split")
    assert_valid_figure(b, [plots.STRATEGY_COLORS["mixed"]])
    assert_images_differ(a, b)


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_plot_indices(tmp_path, kind):
    params = ["quality", "budget", "hype"]
    rows = []
    for strategy in ("mixed", "dialogue"):
        for i, p in enumerate(params):
            if kind == "sobol":
                rows.append({"strategy": strategy, "combo": 0, "parameter": p, "S1": 0.6 / (i + 1) - 0.02,
                             "S1_conf": 0.05, "ST": 0.7 / (i + 1), "ST_conf": np.nan if i == 2 else 0.04})
            else:
                rows.append({"strategy": strategy, "combo": 0, "parameter": p, "mu_star": 0.3 / (i + 1),
                             "mu_star_conf": 0.02, "sigma": 0.1})
    paths = plots.plot_indices(pd.DataFrame(rows), tmp_path / kind, "loyalty", f"{kind} test")
    assert_valid_figure(paths, [plots.STRATEGY_COLORS["mixed"], plots.STRATEGY_COLORS["dialogue"]])


# ---------------------------------------------------------------- sweep figures (edge cases)


def synthetic_finals(replicates=3, budgets=(0.5, 1.0, 4.0), shares=(0.0, 0.5, 1.0),
                     strategies=("mixed", "none"), seed=0) -> pd.DataFrame:
    """One row per run; loyalty of mixed rises with the share at high budgets only."""
    rng = np.random.default_rng(seed)
    b, d, s, r = np.meshgrid(budgets, shares, strategies, range(replicates), indexing="ij")
    df = pd.DataFrame({"budget": b.ravel(), "dialogue_share": d.ravel(), "strategy": s.ravel(),
                       "replicate": r.ravel()})
    df["point"] = df.groupby(["budget", "dialogue_share"], sort=False).ngroup()
    df["seed"] = df["point"] * 1000 + df["replicate"]
    mixed = df["strategy"] == "mixed"
    df["loyalty"] = 0.3 + np.where(mixed, (df["dialogue_share"] - 0.5) * np.log2(df["budget"]) * 0.2, 0.0)
    df["loyalty"] += rng.normal(0, 0.01, len(df))
    df["awareness"] = np.clip(0.5 + 0.1 * np.log2(df["budget"]) + rng.normal(0, 0.02, len(df)), 0, 1)
    df["profit"] = 1000 * df["loyalty"] - np.where(mixed, 100 * df["budget"], 0)
    df["spend"] = np.where(mixed, 100 * df["budget"], 0.0)
    for seg, k in (("natives", 1.1), ("immigrants", 0.9)):
        df[f"loyalty_{seg}"] = df["loyalty"] * k
        df[f"awareness_{seg}"] = np.clip(df["awareness"] * k, 0, 1)
    return df


def _black_pixels(png) -> int:
    rgb = load_rgb(png)
    return int((rgb.max(axis=2) < 0.08).sum())


def test_difference_zero_contour_is_drawn_where_the_sign_flips(tmp_path):
    df = synthetic_finals()
    flip = plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "flip",
                                 a="mixed", b={"dialogue_share": 0.0}, annotate=False)
    # same layout, but A is higher everywhere: no zero contour
    up = df.copy()
    up.loc[up["dialogue_share"] > 0, "loyalty"] += 1.0
    none = plots.plot_difference(up, "budget", "dialogue_share", "loyalty", tmp_path / "noflip",
                                 a="mixed", b={"dialogue_share": 0.0}, annotate=False)
    assert _black_pixels(flip[0]) > _black_pixels(none[0]) + 300  # the bold line
    # selector forms: a string is a strategy; a key only one side gives (strategy) is shared
    same = plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "flip2",
                                 a={"strategy": "mixed"}, b={"strategy": "mixed", "dialogue_share": 0.0},
                                 annotate=False)
    np.testing.assert_array_equal(load_rgb(flip[0]), load_rgb(same[0]))


def test_difference_selectors_and_errors(tmp_path):
    df = synthetic_finals()
    with pytest.raises(ValueError, match="same runs"):
        plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b="mixed")
    with pytest.raises(ValueError, match="matches no finished run"):
        plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b="hype")
    with pytest.raises(TypeError, match="strategy name or"):
        plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b=3)


def test_sweep_figures_with_one_replicate_and_nan(tmp_path):
    df = synthetic_finals(replicates=1, budgets=(0.5, 4.0))
    df.loc[df.sample(frac=0.2, random_state=1).index, "loyalty"] = np.nan
    assert_valid_figure(plots.plot_sweep_1d(df, "budget", "loyalty", tmp_path / "one_1d"))
    assert_valid_figure(plots.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "one_h",
                                           annotate=False))
    assert_valid_figure(plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "one_d",
                                              a="mixed", b={"dialogue_share": 0.0}, annotate=False,
                                              expected={"dialogue_share": [0.0, 0.5, 1.0, 2.0]}))
    assert_valid_figure(plots.plot_incremental_roi(df, tmp_path / "one_roi", facet="budget"))
    assert_valid_figure(plots.plot_segments(df, tmp_path / "one_seg", where={"budget": 4.0}, facet=False))


def test_all_nan_metric_and_a_nan_group(tmp_path):
    df = synthetic_finals()
    df["roi"] = np.where(df["strategy"] == "none", np.nan, 1.0 + df["budget"])
    paths = plots.plot_sweep_1d(df, "budget", "roi", tmp_path / "roi")  # 'none' left out, noted
    assert_valid_figure(paths, [plots.STRATEGY_COLORS["mixed"]])
    df["loyalty"] = np.nan
    assert_valid_figure(plots.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "nan_h",
                                           strategy="mixed"))


def test_sweep_in_progress_leaves_gaps(tmp_path):
    df = synthetic_finals()
    done = df[~((df["budget"] == 4.0) & (df["dialogue_share"] >= 0.5))]  # 2 points not run yet
    grid = {"budget": [0.5, 1.0, 4.0], "dialogue_share": [0.0, 0.5, 1.0, 1.5]}  # and a row not started
    full = plots.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "full", strategy="mixed",
                              annotate=False)
    part = plots.plot_heatmap(done, "budget", "dialogue_share", "loyalty", tmp_path / "part",
                              strategy="mixed", annotate=False, expected=grid)
    assert_valid_figure(part)
    assert_images_differ(full, part)
    # the hatched background shows through the missing cells: its grey is present
    grey = np.abs(load_rgb(part[0]) - hex_rgb(plots._MISSING_FACE).astype(np.float32)).max(axis=2) < 0.02
    grey_full = np.abs(load_rgb(full[0]) - hex_rgb(plots._MISSING_FACE).astype(np.float32)).max(axis=2) < 0.02
    assert grey.sum() > grey_full.sum() + 1000



def test_groups_other_than_strategies(tmp_path):
    df = synthetic_finals(strategies=("mixed",))
    df["network"] = np.where(df["replicate"] % 2, "ws", "ba")
    paths = plots.plot_sweep_1d(df, "budget", "awareness", tmp_path / "net", by="network")
    assert_valid_figure(paths, [s["color"] for s in plots.group_styles(["ba", "ws"]).values()])
    # a categorical x axis: points with error bars
    assert_valid_figure(plots.plot_sweep_1d(df, "network", "awareness", tmp_path / "cat", by="budget"))



def test_sampled_design_heatmap_and_difference(tmp_path):
    rng = np.random.default_rng(3)
    n = 40
    x, y = rng.uniform(0.25, 4, n), rng.uniform(0, 1, n)
    rows = pd.DataFrame({"budget": np.repeat(x, 2), "dialogue_share": np.repeat(y, 2),
                         "point": np.repeat(np.arange(n), 2), "replicate": np.tile([0, 1], n)})
    rows["seed"] = rows["point"] * 10 + rows["replicate"]
    a = rows.assign(strategy="dialogue", loyalty=0.5 * rows["dialogue_share"] + rng.normal(0, 0.01, 2 * n))
    b = rows.assign(strategy="broadcast", loyalty=0.25 + rng.normal(0, 0.01, 2 * n))
    df = pd.concat([a, b], ignore_index=True)
    assert_valid_figure(plots.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "lhs"))
    paths = plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "lhs_d",
                                  a="dialogue", b="broadcast")
    assert_valid_figure(paths)
    assert _black_pixels(paths[0]) > 300
    with pytest.raises(ValueError, match="grid design"):
        plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x",
                              a="dialogue", b={"dialogue_share": 0.0})


def test_empty_or_mismatched_input_raises(tmp_path):
    df = synthetic_finals()
    with pytest.raises(ValueError, match="no column"):
        plots.plot_sweep_1d(df, "nope", "loyalty", tmp_path / "x")
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_heatmap(df.iloc[:0], "budget", "dialogue_share", "loyalty", tmp_path / "x")
    with pytest.raises(ValueError, match="matches where"):
        plots.plot_sweep_1d(df, "budget", "loyalty", tmp_path / "x", where={"strategy": "hype"})
    with pytest.raises(ValueError, match="only runs of the baseline"):
        plots.plot_incremental_roi(df.assign(incremental_roi=np.nan), tmp_path / "x", where={"strategy": "none"})


def test_large_sweep_plots_in_seconds(tmp_path):
    import time

    df = synthetic_finals(replicates=125, budgets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
                          shares=(0.0, 0.25, 0.5, 0.75, 1.0))  # 8 x 5 x 2 x 125 = 10,000 runs
    assert len(df) == 10_000
    start = time.perf_counter()
    plots.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "big2")
    plots.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "big3", a="mixed", b="none")
    assert time.perf_counter() - start < 15
