"""Tests of simulation.outputs.facts_report: the stylized-facts report (facts.md, facts.csv,
facts.json, double_jeopardy.csv, the wear-out and double-jeopardy figures) and the table on
the command line.

The report runs the real model on tiny settings (a few seconds); the facts themselves are
tested in tests/research/test_facts.py.
"""

from __future__ import annotations

import json
import math

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from simulation.errors import WomsimError
from simulation.outputs import facts_report as R
from simulation.research import facts as F
from simulation.research.executors import run_tasks
from simulation.research.tasks import Task, run_seed

POOLED = "positive : negative WOM, all strategies"
EARLY = "hype - broadcast: customers, end of early window"
LATE = "hype - broadcast: share of negative WOM, late window"
TRUST = "hype - broadcast: trust, last week"
DJ_FREQ = "double jeopardy: penetration vs purchase frequency"
DJ_SCR = "double jeopardy: penetration vs SCR"


def rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("fact")


def test_format_facts_is_aligned():
    out = F.stylized_facts(F.synthetic_timeseries(replicates=3, weeks=20), late_weeks=(10, 20))
    text = R.format_facts(out)
    lines = text.splitlines()
    assert len(lines) == len(out) + 2
    assert lines[0].split()[:2] == ["fact", "measured"]
    col = lines[0].index("published")
    assert all(line[col - 2: col] == "  " for line in lines)  # every row leaves the column gap free
    assert "3 [3, 3]" in text and "yes" in text



@pytest.fixture(scope="module")
def tiny_headline(tmp_path_factory):
    """A real headline-like run: broadcast, hype, none; 200 consumers, 20 weeks, 2 replicates."""
    d = tmp_path_factory.mktemp("headline")
    tasks = [Task({"n_consumers": 200, "steps": 20, "strategy": s}, run_seed(11, r), {"strategy": s, "replicate": r})
             for s in ("none", "broadcast", "hype") for r in range(2)]
    ts = pd.concat(run_tasks(tasks, workers=1, progress=False), ignore_index=True)
    ts.to_csv(d / "timeseries.csv", index=False)
    return d


TINY_WEAROUT = {"budgets": (0.5, 4), "n_consumers": 300, "replicates": 2}
TINY_DJ = {"spreads": (0.2, 0.6), "n_consumers": 150, "weeks": 8, "window": 4, "replicates": 2, "seed": 3}


def test_facts_report_writes_everything(tiny_headline, tmp_path):
    out = tmp_path / "facts"
    facts = R.facts_report(tiny_headline, out, progress=False, early_weeks=(1, 5), late_weeks=(10, 20),
                           wearout=TINY_WEAROUT, double_jeopardy=TINY_DJ)
    for name in ("facts.csv", "facts.md", "facts.json", "wearout.csv", "wearout.png", "wearout.svg",
                 "double_jeopardy.csv", "double_jeopardy.png", "double_jeopardy.svg"):
        assert (out / name).is_file(), name
    assert len(facts) == 1 + 3 + 3 + 2 + 2
    on_disk = pd.read_csv(out / "facts.csv")
    assert on_disk["fact"].tolist() == facts["fact"].tolist()
    r = rows(facts)
    assert np.isfinite(r.loc[[POOLED, EARLY, LATE, TRUST], "measured"]).all()
    assert facts["consistent"].map(lambda c: c is None or isinstance(c, bool)).all()
    md = (out / "facts.md").read_text()
    assert "not tuned" in md and "How to read" in md and "![Advertising wear-out](wearout.png)" in md
    meta = json.loads((out / "facts.json").read_text())
    assert {"created", "versions", "git_commit", "command"} <= set(meta)
    assert meta["wearout"]["budgets"] == [0.5, 4] and meta["wearout"]["params"]["network"] == "empty"
    assert len(meta["input"]["sha256"]) == 64 and meta["input"]["replicates"] == 2
    # double jeopardy: the rows are the sweep's brands, measured as the sweep's own functions do
    brands = pd.read_csv(out / "double_jeopardy.csv")
    assert len(brands) == 2 * 2 * 5 and set(brands["spread"]) == {0.2, 0.6}
    expected = F.double_jeopardy_facts(brands).set_index("fact")
    for fact in (DJ_FREQ, DJ_SCR):
        assert r.loc[fact, "measured"] == pytest.approx(expected.loc[fact, "measured"], abs=1e-5)  # csv: 6 digits
        assert r.loc[fact, "consistent"] is expected.loc[fact, "consistent"]
        assert "Ehrenberg" in r.loc[fact, "source"] and "n = 4 runs" in r.loc[fact, "note"]
    assert "## Double jeopardy: the brands" in md and "![Double jeopardy](double_jeopardy.png)" in md
    assert md.count("| 0.6 |") == 5  # one table row per brand of the spread
    assert meta["double_jeopardy"]["spreads"] == [0.2, 0.6] and meta["double_jeopardy"]["params"]["n_brands"] == 5
    assert meta["double_jeopardy"]["seeds"] == [run_seed(3, 0), run_seed(3, 1)]
    dj = mpimg.imread(out / "double_jeopardy.png")[..., :3]
    assert dj.shape[1] > 600 and dj.std() > 0.05
    vermillion = np.array([0xD5, 0x5E, 0x00]) / 255  # the lowest-quality brand's markers
    assert (np.abs(dj - vermillion).max(axis=-1) < 0.08).sum() > 20
    img = mpimg.imread(out / "wearout.png")
    assert img.shape[0] > 300 and img.shape[1] > 600
    rgb = img[..., :3]
    assert rgb.std() > 0.05 and (rgb < 0.5).any()  # not blank: dark strokes on white
    blue = np.array([0x00, 0x72, 0xB2]) / 255  # the broadcast colour draws the model curve
    assert (np.abs(rgb - blue).max(axis=-1) < 0.08).sum() > 200


def test_facts_report_default_out_dir_and_main(tiny_headline, monkeypatch, capsys):
    monkeypatch.setattr(F, "WEAROUT_DEFAULTS", {**F.WEAROUT_DEFAULTS, **TINY_WEAROUT})
    monkeypatch.setattr(F, "DJ_DEFAULTS", {**F.DJ_DEFAULTS, **TINY_DJ})
    assert R.main_facts(str(tiny_headline), None, False) == 0
    printed = capsys.readouterr().out
    assert "positive : negative WOM, all strategies" in printed and "consistent" in printed
    assert DJ_FREQ in printed and "double_jeopardy.png" in printed
    assert (tiny_headline / "facts" / "facts.csv").is_file()
    # late window (53-104) lies beyond the 20 weeks: reported as such, not an error
    facts = pd.read_csv(tiny_headline / "facts" / "facts.csv").set_index("fact")
    assert math.isnan(facts.loc[LATE, "measured"]) and "beyond the data" in facts.loc[LATE, "note"]


def test_missing_timeseries_names_the_path(tmp_path):
    with pytest.raises(WomsimError) as info:
        R.facts_report(tmp_path / "nowhere", progress=False)
    assert str(tmp_path / "nowhere" / "timeseries.csv") in str(info.value)
    assert "python run.py" in str(info.value)
    assert not (tmp_path / "nowhere").exists()  # nothing written


def test_unusable_timeseries_names_the_path(tmp_path):
    (tmp_path / "timeseries.csv").write_text("")
    with pytest.raises(WomsimError, match="not a readable timeseries CSV"):
        R.facts_report(tmp_path, progress=False)
    F.synthetic_timeseries(replicates=2, weeks=5).query("strategy != 'broadcast'").to_csv(
        tmp_path / "timeseries.csv", index=False)
    with pytest.raises(WomsimError) as info:
        R.facts_report(tmp_path, progress=False)
    assert str(tmp_path / "timeseries.csv") in str(info.value) and "broadcast" in str(info.value)
