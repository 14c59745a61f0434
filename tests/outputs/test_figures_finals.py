"""Tests of the final-value figures: final values, incremental ROI (figures.finals) and
segments (figures.segments)."""

from __future__ import annotations

import pytest
from figures_data import (
    GRID_1D,
    GRID_2D,
    assert_images_differ,
    assert_valid_figure,
    final_summary,
    make_ts,
    run_experiment,
)

from simulation.outputs import figures
from simulation.outputs.figures import style


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """2 budgets x 3 dialogue shares, strategy mixed + the none baseline, 2 replicates."""
    return run_experiment(tmp_path_factory, "split", GRID_2D)


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    """2 qualities x 3 strategies, 2 replicates."""
    return run_experiment(tmp_path_factory, "quality", GRID_1D)



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
