"""Shared data and image checks of the figure tests (tests/outputs/test_figures_*.py).

The figures are checked as images: both files exist, the PNG decodes, is not blank,
shows the strategy colours, and different data give different pixels.
The fixtures ``split`` and ``quality`` run two tiny sweeps through the store; a test
module imports ``split_runs`` / ``quality_runs`` to use them.
"""

from __future__ import annotations

import matplotlib
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

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


def assert_images_differ(a, b) -> None:
    ia, ib = load_rgb(a[0]), load_rgb(b[0])
    assert ia.shape != ib.shape or not np.array_equal(ia, ib)


def black_pixels(png) -> int:
    rgb = load_rgb(png)
    return int((rgb.max(axis=2) < 0.08).sum())


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
    df["loyalty"] = df["loyalty"].clip(0.0, 1.0)  # a mean loyalty, in [0, 1] (large budgets push it out)
    df["awareness"] = np.clip(0.5 + 0.1 * np.log2(df["budget"]) + rng.normal(0, 0.02, len(df)), 0, 1)
    df["profit"] = 1000 * df["loyalty"] - np.where(mixed, 100 * df["budget"], 0)
    df["spend"] = np.where(mixed, 100 * df["budget"], 0.0)
    for seg, k in (("natives", 1.1), ("immigrants", 0.9)):
        df[f"loyalty_{seg}"] = df["loyalty"] * k
        df[f"awareness_{seg}"] = np.clip(df["awareness"] * k, 0, 1)
    return df


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
# a known brand and replies it can afford, so that dialogue answers posts and spends (unused
# capacity is not spent: at a launch, or at the calibrated reply_cost, it would spend nothing)
scenario = "established"
reply_cost = 100.0
[sweep]
design = "grid"
[sweep.parameters]
quality = [-0.3, 0.5]
strategy = ["none", "broadcast", "dialogue"]
"""


def run_experiment(tmp_path_factory, name: str, text: str) -> dict:
    """Run the experiment TOML ``text`` through the store; its tables and the experiment."""
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


@pytest.fixture(scope="module", name="split")
def split_runs(tmp_path_factory):
    """2 budgets x 3 dialogue shares, strategy mixed + the none baseline, 2 replicates."""
    return run_experiment(tmp_path_factory, "split", GRID_2D)


@pytest.fixture(scope="module", name="quality")
def quality_runs(tmp_path_factory):
    """2 qualities x 3 strategies, 2 replicates."""
    return run_experiment(tmp_path_factory, "quality", GRID_1D)
