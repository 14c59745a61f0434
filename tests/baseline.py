"""The pinned configurations of ``tests/test_baselines.py`` and how their numbers are computed.

Shared by the test and by ``tests/update_baseline.py`` (the one way to refresh the stored
values, on purpose). Every configuration is small and fixed; together they touch every
process, both engines, both docking presets, the experiment designs and seeds, the run
store of a sweep and the summaries (confidence intervals, incremental ROI).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.metrics import METRIC_NAMES
from simulation.core.params import STRATEGIES
from simulation.core.presets import preset_values
from simulation.research.experiment import load_experiment
from simulation.research.store import load
from simulation.research.summaries import confidence_table, incremental_roi
from simulation.research.sweep import run_sweep
from simulation.research.tasks import final_rows, run_simulation

ROOT = Path(__file__).resolve().parents[1]
BASELINE_FILE = Path(__file__).resolve().parent / "data" / "baseline.json"
SEEDS = (0, 1)
SMALL = {"n_consumers": 300, "steps": 26}

# name -> (parameters, seeds); the strategy runs share seeds (common random numbers).
CASES: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {
    **{f"{s}": ({**SMALL, "strategy": s}, SEEDS) for s in STRATEGIES},
    "dialogue_watts_strogatz": ({**SMALL, "strategy": "dialogue", "network": "watts_strogatz"}, (2,)),
    "mixed_karate_reference": ({"strategy": "mixed", "network": "karate", "steps": 26,
                                "engine": "reference"}, (3,)),
    "broadcast_reference": ({**SMALL, "strategy": "broadcast", "steps": 12, "engine": "reference"}, (4,)),
    "bass": ({**preset_values("bass"), "n_consumers": 300}, (5,)),
    "bass_complete": ({**preset_values("bass"), "n_consumers": 300, "network": "complete"}, (6,)),
    "degroot": ({**preset_values("degroot"), "n_consumers": 300, "steps": 60}, (7,)),
    "friedkin_johnsen": ({**preset_values("friedkin_johnsen"), "network": "karate", "steps": 60}, (8,)),
    # the market (version 2): an established brand, rivals that answer posts, version 1 inside v2
    "established_dialogue": ({**SMALL, "strategy": "dialogue", "scenario": "established"}, (9,)),
    "established_broadcast": ({**SMALL, "strategy": "broadcast", "scenario": "established"}, (9,)),
    "rivals_dialogue": ({**SMALL, "strategy": "mixed", "n_brands": 4, "rival_strategy": "dialogue",
                         "rival_quality_spread": 0.3, "scenario": "established"}, (10,)),
    "established_reference": ({**SMALL, "strategy": "mixed", "steps": 12, "scenario": "established",
                               "engine": "reference"}, (11,)),
    "version1": ({**SMALL, **preset_values("version1"), "strategy": "mixed"}, (12,)),
}

SWEEP_TOML = """\
[experiment]
name = "baseline_sweep"
steps = 12
replicates = 2
seed = 11

[base]
n_consumers = 300

[sweep]
design = "grid"

[sweep.parameters]
strategy = ["dialogue", "broadcast"]
"""


def _series(df: pd.DataFrame) -> dict[str, list[float]]:
    return {m: [float(v) for v in df[m].to_numpy()] for m in ("step", *METRIC_NAMES)}


def _floats(values) -> list[float | None]:
    return [None if not math.isfinite(float(v)) else float(v) for v in values]


def _tasks_digest(path: Path) -> dict[str, Any]:
    """What a shipped experiment asks for: task count and a hash of every task's
    run id, seed, labels and parameters (pins designs, seeds and parameter resolution)."""
    tasks = load_experiment(path).tasks()
    blob = json.dumps([t.as_record() for t in tasks], sort_keys=True, default=str).encode()
    return {"tasks": len(tasks), "sha256": hashlib.sha256(blob).hexdigest()}


def compute(tmp: Path) -> dict[str, Any]:
    """Every pinned number, as plain JSON data. ``tmp``: a scratch folder for the sweep."""
    runs: dict[str, Any] = {}
    frames = []
    for name, (params, seeds) in CASES.items():
        for seed in seeds:
            df = run_simulation(params, seed)
            runs[f"{name}/seed{seed}"] = _series(df)
            if name in STRATEGIES:
                df = df.copy()
                df["strategy"], df["replicate"] = name, seeds.index(seed)
                frames.append(df)

    summary = final_rows(pd.concat(frames, ignore_index=True), ["strategy", "replicate", "seed"])
    summary["incremental_roi"] = incremental_roi(summary)
    table = confidence_table(summary, ["loyalty", "loyal_share", "nps", "profit", "incremental_roi"])
    summaries = {col: _floats(table[col]) for col in table.columns if col not in ("strategy", "n")}
    summaries["strategy"] = list(table["strategy"])

    toml = tmp / "baseline_sweep.toml"
    toml.write_text(SWEEP_TOML)
    result = run_sweep(load_experiment(toml), tmp / "sweep", workers=2, progress=False)
    assert result.done == 4 and result.failed == 0, result
    steps = load(tmp / "sweep")["timeseries"]
    sweep = {f"{run_id}": _series(g) for run_id, g in steps.groupby("run_id", sort=True)}

    designs = {p.name: _tasks_digest(p) for p in sorted((ROOT / "experiments").glob("*.toml"))}
    return {"runs": runs, "summaries": summaries, "sweep": sweep, "designs": designs}


def compare(expected: Any, actual: Any, where: str = "", tol: float = 1e-12) -> list[str]:
    """Differences between stored and computed data: exact for text and counts, within
    ``tol`` (absolute, and relative to the stored value) for floats, whose summation order
    may change when code moves."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            missing = set(expected) ^ set(actual if isinstance(actual, dict) else {})
            return [f"{where}: keys differ ({sorted(missing)[:5]})"]
        return [d for k in expected for d in compare(expected[k], actual[k], f"{where}/{k}", tol)]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return [f"{where}: length {len(expected)} stored, {len(actual)} now"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out += compare(e, a, f"{where}[{i}]", tol)
            if len(out) > 20:
                break
        return out
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        if not np.isclose(actual, expected, rtol=tol, atol=tol, equal_nan=True):
            return [f"{where}: stored {expected!r}, now {actual!r}"]
        return []
    return [] if expected == actual else [f"{where}: stored {expected!r}, now {actual!r}"]
