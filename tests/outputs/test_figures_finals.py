"""Tests of the final-value figures: final values, incremental ROI (figures.finals) and
segments (figures.segments)."""

from __future__ import annotations

import numpy as np
import pytest
from figures_data import (
    assert_images_differ,
    assert_valid_figure,
    final_summary,
    make_ts,
    quality_runs,  # noqa: F401 - pytest fixture 'quality'
    split_runs,  # noqa: F401 - pytest fixture 'split'
    synthetic_finals,
)

from simulation.outputs import figures
from simulation.outputs.figures import style
from simulation.research.stats import mean_ci, summarise
from simulation.research.summaries import incremental_roi


def test_plot_final_image_with_nan(tmp_path):
    summary = final_summary(make_ts())
    paths = figures.plot_final(
        summary, ["profit", "roi", "incremental_roi", "nps"], tmp_path / "final", title="t"
    )
    colours = [style.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    assert_valid_figure(paths, colours)


def test_incremental_roi_from_real_runs(split, quality, tmp_path):
    from simulation.research.summaries import incremental_roi

    fq = quality["finals"].copy()
    fq["incremental_roi"] = incremental_roi(fq)
    colours = [style.STRATEGY_COLORS[s] for s in ("broadcast", "dialogue")]
    a = figures.plot_incremental_roi(fq, tmp_path / "roi_q", title="tiny quality")
    assert_valid_figure(a, colours)
    # without the column it is computed (paired on seed with the none baseline)
    b = figures.plot_incremental_roi(split["finals"], tmp_path / "roi_s", by="dialogue_share",
                                   facet="budget", sharey=False, title="tiny split")
    assert_valid_figure(b)
    assert_images_differ(a, b)


def test_segments_from_real_runs(split, quality, tmp_path):
    colours = [style.STRATEGY_COLORS[s] for s in ("none", "broadcast", "dialogue")]
    a = figures.plot_segments(quality["timeseries"], tmp_path / "seg_q", where={"quality": 0.5},
                            title="tiny quality")  # a timeseries: its last week is used
    assert_valid_figure(a, colours)
    b = figures.plot_segments(split["finals"], tmp_path / "seg_s",
                            where={"budget": 4.0, "dialogue_share": [0.0, 1.0]},
                            facet="dialogue_share", title="tiny split")
    assert_valid_figure(b, [style.STRATEGY_COLORS["mixed"]])
    assert_images_differ(a, b)


# ------------------------------------------------------------------ compute, then draw


def test_final_table_holds_summarise_and_the_replicates():
    import matplotlib.pyplot as plt

    summary = final_summary(make_ts())
    before = plt.get_fignums()
    table = figures.final_table(summary, ["profit", "roi"])
    assert plt.get_fignums() == before
    assert table["strategy"].tolist() == ["none", "broadcast", "dialogue"]  # drawing order
    expected = summarise(summary, "strategy", ["profit", "roi"]).set_index("strategy").loc[table["strategy"]]
    for c in ("profit_mean", "profit_lo", "profit_hi", "profit_n", "roi_n"):
        np.testing.assert_allclose(table[c].to_numpy(float), expected[c].to_numpy(float), rtol=0, atol=0)
    for s, values in zip(table["strategy"], table["roi_values"]):
        np.testing.assert_array_equal(values, summary.loc[summary["strategy"] == s, "roi"].to_numpy())  # NaN kept
    assert np.isnan(table["roi_mean"].iloc[0]) and table["roi_n"].iloc[0] == 0


def test_draw_final_on_a_given_axis():
    import matplotlib.pyplot as plt

    table = figures.final_table(final_summary(make_ts()), ["roi"])
    fig, ax = plt.subplots()
    try:
        assert figures.draw_final(ax, table, "roi") is ax
        assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "broadcast", "dialogue"]
        assert len(ax.containers) == 2  # mean and bar of broadcast and dialogue; 'none' has no finite ROI
        assert "n/a" in [t.get_text() for t in ax.texts]
        assert len(ax.collections) >= 2  # replicate points
    finally:
        plt.close(fig)


def test_incremental_roi_table_and_draw():
    import matplotlib.pyplot as plt

    df = synthetic_finals()
    table = figures.incremental_roi_table(df, facet=False)
    assert isinstance(table, figures.RoiTable) and table.facet is None and table.groups == ["mixed"]
    roi = summarise(df[df["strategy"] != "none"].assign(
        incremental_roi=incremental_roi(df)[df["strategy"] != "none"]), "strategy", "incremental_roi")
    assert table.stats.at["mixed", "incremental_roi_mean"] == pytest.approx(roi["incremental_roi_mean"].iloc[0],
                                                                            rel=1e-12)
    assert table.stats.at["mixed", "incremental_roi_values"].size == table.stats.at["mixed", "incremental_roi_n"]
    assert "Why ROI is hard to compute" in table.caption and "pooled over" in table.pooled
    fig, ax = plt.subplots()
    try:
        assert figures.draw_incremental_roi(ax, table) is ax
        assert len(ax.containers) == 1 and ax.get_xticklabels()[0].get_text() == "mixed"
    finally:
        plt.close(fig)


def test_segments_table_gap_is_paired_within_runs_and_draw():
    import matplotlib.pyplot as plt

    df = synthetic_finals()
    df["loyalty_immigrants"] += np.random.default_rng(1).normal(0, 0.01, len(df))
    table = figures.segments_table(df, where={"budget": 4.0}, facet=False)
    mixed = df[(df["strategy"] == "mixed") & (df["budget"] == 4.0)]
    gap = (mixed["loyalty_natives"] - mixed["loyalty_immigrants"]).to_numpy()
    m, lo, hi = mean_ci(gap)
    row = table.stats.loc["mixed"]
    assert (row["_gap_loyalty_mean"], row["_gap_loyalty_lo"], row["_gap_loyalty_hi"]) == pytest.approx(
        (m, lo, hi), abs=1e-12)
    assert row["loyalty_natives_mean"] == pytest.approx(mixed["loyalty_natives"].mean(), abs=1e-12)
    fig, ax = plt.subplots()
    try:
        assert figures.draw_segments(ax, table, "awareness") is ax
        assert len(ax.patches) == 2 * len(table.groups)  # natives and immigrants per strategy
        assert ax.get_title(loc="left") == "awareness"
        with pytest.raises(ValueError, match="panel must be"):
            figures.draw_segments(ax, table, "trust")
    finally:
        plt.close(fig)
