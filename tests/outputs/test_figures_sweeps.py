"""Tests of the sweep figures: 1-D sweeps and heatmaps (figures.sweeps) and difference
maps (figures.difference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figures_data import (
    assert_images_differ,
    assert_valid_figure,
    black_pixels,
    hex_rgb,
    load_rgb,
    quality_runs,  # noqa: F401 - pytest fixture 'quality'
    split_runs,  # noqa: F401 - pytest fixture 'split'
    synthetic_finals,
)

from simulation.outputs import figures
from simulation.outputs.figures import grids, style
from simulation.research.stats import summarise


def test_sweep_1d_from_real_runs(split, quality, tmp_path):
    fq = quality["finals"]
    colours = [style.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    a = figures.plot_sweep_1d(fq, "quality", "loyalty", tmp_path / "q", title="tiny quality")
    assert_valid_figure(a, colours)
    # another scenario: the 2-D split sweep against the dialogue share, one line per budget
    b = figures.plot_sweep_1d(split["finals"], "dialogue_share", "loyalty", tmp_path / "s",
                            by="budget", where={"strategy": "mixed"}, title="tiny split")
    assert_valid_figure(b)
    assert_images_differ(a, b)


def test_heatmap_from_real_runs(split, tmp_path):
    fb = split["finals"]
    both = figures.plot_heatmap(fb, "budget", "dialogue_share", "loyalty", tmp_path / "h",
                              title="tiny split, all strategies")
    assert_valid_figure(both)
    mixed = figures.plot_heatmap(fb, "budget", "dialogue_share", "awareness", tmp_path / "m",
                               strategy="mixed", title="tiny split, mixed")
    rgb = assert_valid_figure(mixed)
    assert_images_differ(both, mixed)
    # a viridis heatmap has many distinct colours
    q = np.round(rgb * 31).astype(np.int32)
    assert len(np.unique((q[..., 0] * 32 + q[..., 1]) * 32 + q[..., 2])) >= 20


def test_difference_from_real_runs(split, tmp_path):
    fb = split["finals"]
    pinned = figures.plot_difference(fb, "budget", "dialogue_share", "loyalty", tmp_path / "d1",
                                   a="mixed", b={"dialogue_share": 0.0}, title="tiny split vs broadcast")
    assert_valid_figure(pinned)
    baseline = figures.plot_difference(fb, "budget", "dialogue_share", "loyalty", tmp_path / "d2",
                                     a="mixed", b="none", title="tiny split vs none")
    assert_valid_figure(baseline)
    assert_images_differ(pinned, baseline)


def test_difference_zero_contour_is_drawn_where_the_sign_flips(tmp_path):
    df = synthetic_finals()
    flip = figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "flip",
                                 a="mixed", b={"dialogue_share": 0.0}, annotate=False)
    # same layout, but A is higher everywhere: no zero contour
    up = df.copy()
    up.loc[up["dialogue_share"] > 0, "loyalty"] += 1.0
    none = figures.plot_difference(up, "budget", "dialogue_share", "loyalty", tmp_path / "noflip",
                                 a="mixed", b={"dialogue_share": 0.0}, annotate=False)
    assert black_pixels(flip[0]) > black_pixels(none[0]) + 300  # the bold line
    # selector forms: a string is a strategy; a key only one side gives (strategy) is shared
    same = figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "flip2",
                                 a={"strategy": "mixed"}, b={"strategy": "mixed", "dialogue_share": 0.0},
                                 annotate=False)
    np.testing.assert_array_equal(load_rgb(flip[0]), load_rgb(same[0]))


def test_difference_selectors_and_errors(tmp_path):
    df = synthetic_finals()
    with pytest.raises(ValueError, match="same runs"):
        figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b="mixed")
    with pytest.raises(ValueError, match="matches no finished run"):
        figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b="hype")
    with pytest.raises(TypeError, match="strategy name or"):
        figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x", a="mixed", b=3)


def test_sweep_figures_with_one_replicate_and_nan(tmp_path):
    df = synthetic_finals(replicates=1, budgets=(0.5, 4.0))
    df.loc[df.sample(frac=0.2, random_state=1).index, "loyalty"] = np.nan
    assert_valid_figure(figures.plot_sweep_1d(df, "budget", "loyalty", tmp_path / "one_1d"))
    assert_valid_figure(figures.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "one_h",
                                           annotate=False))
    assert_valid_figure(figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "one_d",
                                              a="mixed", b={"dialogue_share": 0.0}, annotate=False,
                                              expected={"dialogue_share": [0.0, 0.5, 1.0, 2.0]}))
    assert_valid_figure(figures.plot_incremental_roi(df, tmp_path / "one_roi", facet="budget"))
    assert_valid_figure(figures.plot_segments(df, tmp_path / "one_seg", where={"budget": 4.0}, facet=False))


def test_all_nan_metric_and_a_nan_group(tmp_path):
    df = synthetic_finals()
    df["roi"] = np.where(df["strategy"] == "none", np.nan, 1.0 + df["budget"])
    paths = figures.plot_sweep_1d(df, "budget", "roi", tmp_path / "roi")  # 'none' left out, noted
    assert_valid_figure(paths, [style.STRATEGY_COLORS["mixed"]])
    df["loyalty"] = np.nan
    assert_valid_figure(figures.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "nan_h",
                                           strategy="mixed"))


def test_sweep_in_progress_leaves_gaps(tmp_path):
    df = synthetic_finals()
    done = df[~((df["budget"] == 4.0) & (df["dialogue_share"] >= 0.5))]  # 2 points not run yet
    grid = {"budget": [0.5, 1.0, 4.0], "dialogue_share": [0.0, 0.5, 1.0, 1.5]}  # and a row not started
    full = figures.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "full", strategy="mixed",
                              annotate=False)
    part = figures.plot_heatmap(done, "budget", "dialogue_share", "loyalty", tmp_path / "part",
                              strategy="mixed", annotate=False, expected=grid)
    assert_valid_figure(part)
    assert_images_differ(full, part)
    # the hatched background shows through the missing cells: its grey is present
    grey = np.abs(load_rgb(part[0]) - hex_rgb(grids.MISSING_FACE).astype(np.float32)).max(axis=2) < 0.02
    grey_full = np.abs(load_rgb(full[0]) - hex_rgb(grids.MISSING_FACE).astype(np.float32)).max(axis=2) < 0.02
    assert grey.sum() > grey_full.sum() + 1000


def test_groups_other_than_strategies(tmp_path):
    df = synthetic_finals(strategies=("mixed",))
    df["network"] = np.where(df["replicate"] % 2, "ws", "ba")
    paths = figures.plot_sweep_1d(df, "budget", "awareness", tmp_path / "net", by="network")
    assert_valid_figure(paths, [s["color"] for s in style.group_styles(["ba", "ws"]).values()])
    # a categorical x axis: points with error bars
    assert_valid_figure(figures.plot_sweep_1d(df, "network", "awareness", tmp_path / "cat", by="budget"))


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
    assert_valid_figure(figures.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "lhs"))
    paths = figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "lhs_d",
                                  a="dialogue", b="broadcast")
    assert_valid_figure(paths)
    assert black_pixels(paths[0]) > 300
    with pytest.raises(ValueError, match="grid design"):
        figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "x",
                              a="dialogue", b={"dialogue_share": 0.0})


def test_empty_or_mismatched_input_raises(tmp_path):
    df = synthetic_finals()
    with pytest.raises(ValueError, match="no column"):
        figures.plot_sweep_1d(df, "nope", "loyalty", tmp_path / "x")
    with pytest.raises(ValueError, match="no rows"):
        figures.plot_heatmap(df.iloc[:0], "budget", "dialogue_share", "loyalty", tmp_path / "x")
    with pytest.raises(ValueError, match="matches where"):
        figures.plot_sweep_1d(df, "budget", "loyalty", tmp_path / "x", where={"strategy": "hype"})
    with pytest.raises(ValueError, match="only runs of the baseline"):
        figures.plot_incremental_roi(df.assign(incremental_roi=np.nan), tmp_path / "x", where={"strategy": "none"})


def test_large_sweep_plots_in_seconds(tmp_path):
    import time

    df = synthetic_finals(replicates=125, budgets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
                          shares=(0.0, 0.25, 0.5, 0.75, 1.0))  # 8 x 5 x 2 x 125 = 10,000 runs
    assert len(df) == 10_000
    start = time.perf_counter()
    figures.plot_heatmap(df, "budget", "dialogue_share", "loyalty", tmp_path / "big2")
    figures.plot_difference(df, "budget", "dialogue_share", "loyalty", tmp_path / "big3", a="mixed", b="none")
    assert time.perf_counter() - start < 15


# ------------------------------------------------------------------ compute, then draw


def test_sweep_table_is_summarise_over_the_full_design():
    import matplotlib.pyplot as plt

    df = synthetic_finals()
    before = plt.get_fignums()
    table = figures.sweep_table(df, "budget", "loyalty", expected={"budget": [0.5, 1.0, 4.0, 8.0]})
    assert plt.get_fignums() == before
    assert table.groups == ["none", "mixed"] and list(table.x.values) == [0.5, 1.0, 4.0, 8.0]
    assert table.no_run == 2 and table.nan_only == 0  # budget 8 has no run for either strategy
    expected = summarise(df, ["strategy", "budget"], "loyalty").set_index(["strategy", "budget"])
    got = table.stats.loc[expected.index]
    for c in ("loyalty_mean", "loyalty_lo", "loyalty_hi", "loyalty_n"):
        np.testing.assert_allclose(got[c].to_numpy(float), expected[c].to_numpy(float), rtol=0, atol=0)
    assert table.stats.loc[("mixed", 8.0)].isna().all()
    assert "dialogue share (3 values)" in table.pooled


def test_heatmap_table_cells_and_missing_counts():
    df = synthetic_finals()
    done = df[~((df["budget"] == 4.0) & (df["dialogue_share"] >= 0.5))]
    table = figures.heatmap_table(done, "budget", "dialogue_share", "loyalty", strategy="mixed",
                                  expected={"budget": [0.5, 1.0, 4.0], "dialogue_share": [0.0, 0.5, 1.0, 1.5]})
    assert table.grid and table.panels == ["mixed"]
    Z = table.matrix("mixed")
    assert Z.shape == (4, 3)  # (y, x)
    means = done[done["strategy"] == "mixed"].groupby(["dialogue_share", "budget"])["loyalty"].mean()
    assert Z[1, 0] == pytest.approx(means[(0.5, 0.5)], abs=1e-12)
    assert np.isnan(Z[2, 2]) and np.isnan(Z[3]).all()
    assert (table.no_run, table.nan_only, table.total) == (2 + 3, 0, 12)
    finite = Z[np.isfinite(Z)]
    assert (table.vmin, table.vmax) == (finite.min(), finite.max())


def test_difference_table_significance_agrees_with_scipy_welch():
    from scipy import stats as st

    df = synthetic_finals(replicates=4)
    table = figures.difference_table(df, "budget", "dialogue_share", "loyalty", a="mixed", b={"dialogue_share": 0.0})
    cells = table.cells
    # the reference lies at another design point, with other seeds: unpaired, Welch
    assert not cells.loc[~cells["reference"], "paired"].any()
    assert cells["reference"].to_numpy().tolist() == (cells["dialogue_share"] == 0.0).tolist()
    flags = []
    for _, c in cells[~cells["reference"]].iterrows():
        mixed = df[df["strategy"] == "mixed"]
        a = mixed.loc[(mixed["budget"] == c["budget"]) & (mixed["dialogue_share"] == c["dialogue_share"]), "loyalty"]
        b = mixed.loc[(mixed["budget"] == c["budget"]) & (mixed["dialogue_share"] == 0.0), "loyalty"]
        res = st.ttest_ind(a, b, equal_var=False)
        lo, hi = res.confidence_interval(0.95)
        assert c["diff"] == pytest.approx(a.mean() - b.mean(), abs=1e-12)
        assert c["half"] == pytest.approx((hi - lo) / 2, rel=1e-9)
        assert bool(c["unsure"]) == bool(res.pvalue >= 0.05)
        flags.append(bool(c["unsure"]))
    assert True in flags and False in flags  # both outcomes are checked (budget 1: log2 = 0, no effect)


def test_difference_table_pairs_on_seed():
    from scipy import stats as st

    df = synthetic_finals(replicates=4)
    table = figures.difference_table(df, "budget", "dialogue_share", "loyalty", a="mixed", b="none")
    c = table.cells.set_index(["dialogue_share", "budget"]).loc[(1.0, 4.0)]
    assert c["paired"] and c["count_d"] == 4
    at = df[(df["budget"] == 4.0) & (df["dialogue_share"] == 1.0)].sort_values("seed")
    a = at.loc[at["strategy"] == "mixed", "loyalty"].to_numpy()
    b = at.loc[at["strategy"] == "none", "loyalty"].to_numpy()
    lo, hi = st.ttest_rel(a, b).confidence_interval(0.95)
    assert c["diff"] == pytest.approx((a - b).mean(), abs=1e-12)
    assert c["half"] == pytest.approx((hi - lo) / 2, rel=1e-9)
    assert table.flips and not table.cells["reference"].any()


def test_draw_sweep_heatmap_and_difference_on_a_given_axis():
    import matplotlib.pyplot as plt
    from matplotlib.collections import QuadMesh
    from matplotlib.contour import ContourSet

    df = synthetic_finals()
    fig, axes = plt.subplots(1, 3)
    try:
        sweep = figures.sweep_table(df, "budget", "loyalty")
        assert figures.draw_sweep_1d(axes[0], sweep) is axes[0]
        assert len(axes[0].lines) == 2 and axes[0].get_legend() is not None
        heat = figures.heatmap_table(df, "budget", "dialogue_share", "loyalty")
        assert figures.draw_heatmap(axes[1], heat, "mixed", colorbar=False) is axes[1]
        assert any(isinstance(c, QuadMesh) for c in axes[1].collections)
        assert len(axes[1].texts) >= 9  # the 3 x 3 cell values
        diff = figures.difference_table(df, "budget", "dialogue_share", "loyalty", a="mixed",
                                        b={"dialogue_share": 0.0})
        assert figures.draw_difference(axes[2], diff) is axes[2]
        zero = [c for c in axes[2].collections if isinstance(c, ContourSet) and list(c.levels) == [0.0]]
        assert len(zero) == 1  # the bold line where the answer flips
        assert len(fig.axes) == 4  # the difference map's colour bar
    finally:
        plt.close(fig)
    ax = figures.draw_heatmap(None, heat, "none")
    try:
        assert len(ax.figure.axes) == 2 and ax.get_title(loc="left") == "strategy: none"
    finally:
        plt.close(ax.figure)
