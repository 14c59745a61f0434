"""Recovery metrics after an event (simulation/research/recovery.py, docs/ODD.md 7.13) and the
report's recovery table and figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.outputs.report import build_report
from simulation.research.experiment import load_experiment
from simulation.research.recovery import RECOVERY_COLUMNS, event_starts, focal_sales, recovery, recovery_rows
from simulation.research.sweep import run_sweep


def test_drop_and_half_recovery_of_a_step_dip():
    x = [10.0] * 10 + [4.0, 4.0, 6.0, 7.0, 8.0, 10.0]
    drop, weeks = recovery(x, start=10, smooth=1)
    assert drop == pytest.approx(0.6)
    assert weeks == 3.0  # week 13 (7.0) is the first at or above 10 - 6 / 2


def test_never_recovered_is_nan_and_no_drop_is_zero():
    drop, weeks = recovery([5.0] * 10 + [1.0] * 6, start=10, smooth=1)
    assert drop == pytest.approx(0.8) and math.isnan(weeks)
    assert recovery([5.0] * 10 + [6.0] * 6, start=10, smooth=1) == (0.0, 0.0)
    assert all(math.isnan(v) for v in recovery([5.0] * 6, start=3))  # fewer than 8 weeks before
    assert all(math.isnan(v) for v in recovery([0.0] * 20, start=10))  # no level to compare with


def test_a_reference_run_removes_the_trend():
    trend = np.linspace(1.0, 3.0, 30)
    hit = trend.copy()
    hit[15:18] -= 0.5
    drop, weeks = recovery(hit, start=15, smooth=1, reference=trend)
    level = trend[7:15].mean()
    assert drop == pytest.approx(0.5 / level) and weeks == 3.0
    # against the pre-event level alone, the growing trend hides part of the dip
    assert 0 < recovery(hit, start=15, smooth=1)[0] < 0.5 * drop


def test_smoothing_is_a_trailing_mean():
    x = [2.0] * 10 + [0.0] + [2.0] * 9
    drop, weeks = recovery(x, start=10, smooth=2)
    assert drop == pytest.approx(0.5) and weeks == 2.0


def test_rows_per_run_with_the_twin_without_events():
    rows = []
    for events, dip in (("none", 0.0), ("scandal", 0.3)):
        for r in range(2):
            for t in range(30):
                share = 0.5 - (dip if 12 <= t < 15 else 0.0)
                rows.append({"events": events, "strategy": "dialogue", "replicate": r, "step": t,
                             "market_share": share, "category_purchases": 0.2, "trust": 0.5})
    ts = pd.DataFrame(rows)
    out = recovery_rows(ts, ["events", "strategy", "replicate"], {"scandal": 12}, reference_set="none", smooth=1)
    assert list(out.columns) == ["events", "strategy", "replicate", *RECOVERY_COLUMNS]
    assert len(out) == 2 and set(out["events"]) == {"scandal"}
    assert out["sales_drop"].tolist() == pytest.approx([0.6, 0.6])
    assert out["sales_half_weeks"].tolist() == [3.0, 3.0]
    assert out["trust_drop"].tolist() == [0.0, 0.0]
    assert focal_sales(ts).iloc[0] == pytest.approx(0.1)


def test_event_starts_of_a_definition():
    definition = {"event_sets": {"none": [], "scandal": [{"step": 52}], "late": [{"step": 60}, {"step": 55}]}}
    assert event_starts(definition) == ({"scandal": 52, "late": 55}, "none")
    assert event_starts({"events": [{"step": 30}], "event_sets": {"none": [], "x": [{"step": 40}]}}) == (
        {"none": 30, "x": 30}, None)


CRISIS = """\
[experiment]
name = "mini_crisis"
steps = 30
replicates = 2
seed = 3

[base]
n_consumers = 200
scenario = "established"

[sweep.parameters]
strategy = ["none", "dialogue"]

[sweep.events]
none = []
scandal = [{ step = 12, kind = "scandal", size = 0.2, duration = 2 }]
"""


def test_sweep_report_has_the_recovery_table_and_the_event_figure(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(CRISIS)
    out = tmp_path / "out"
    result = run_sweep(load_experiment(path), out, workers=1, progress=False)
    assert result.done == 8
    paths = build_report(out, snapshots=False)
    md = paths["md"].read_text()
    assert "## Recovery after the event" in md and "| events | strategy | sales_drop |" in md
    section = md.split("## Recovery after the event")[1].split("##")[0]
    assert "| scandal | dialogue |" in section and "| none |" not in section.replace("| scandal | none |", "")
    assert (out / "figures" / "event_window.png").exists()
    assert "Focal sales around the event" in md
