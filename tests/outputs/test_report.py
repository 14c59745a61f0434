"""Reports: every figure listed is written and referenced, HTML opens offline, sweeps in
progress and failed runs are reported, empty inputs give a clear message."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from simulation.errors import WomsimError
from simulation.research.experiment import load_experiment
from simulation.outputs.report import build_report, read_output
from simulation.research.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[2]

SWEEP = """
[experiment]
name = "tiny_report"
steps = 6
replicates = 2
seed = 3
[base]
n_consumers = 100
[sweep]
design = "grid"
baseline = true
[sweep.parameters]
budget = [0.5, 2.0]
quality = [-0.2, 0.4]
strategy = ["broadcast", "dialogue"]
"""


def _nonblank(png: Path) -> None:
    img = image.imread(png)
    flat = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(flat[:: max(1, len(flat) // 20000)], axis=0)
    assert len(colours) > 30, f"{png.name} looks blank ({len(colours)} colours)"


def _check_report(d: Path) -> list[str]:
    md = (d / "report.md").read_text()
    html = (d / "report.html").read_text()
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert refs, "the report lists no figure"
    for ref in refs:
        assert (d / ref).is_file(), f"report.md references a missing figure {ref}"
        _nonblank(d / ref)
    # self-contained: every image embedded, nothing loaded from the network
    assert html.count("data:image/png;base64,") == len(refs)
    assert not re.search(r"""(src|href)=["']?https?:""", html)
    assert "<link" not in html and "<script" not in html
    return refs


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    f = d / "exp.toml"
    f.write_text(SWEEP)
    run_sweep(load_experiment(f), d / "out", workers=1, progress=False)
    return d / "out"


def test_sweep_report_has_the_sweep_figures(sweep_dir):
    build_report(sweep_dir, snapshots=False)
    refs = _check_report(sweep_dir)
    names = {Path(r).stem for r in refs}
    assert {"metrics", "final", "sweep_budget", "sweep_quality", "difference"} <= names
    assert any(n.startswith("heatmap_") for n in names)
    md = (sweep_dir / "report.md").read_text()
    assert "24 of 24 runs finished, 0 failed" in md and "How to read" in md


def test_simulate_report_and_network_snapshots(tmp_path):
    out = tmp_path / "sim"
    cmd = [sys.executable, "run.py", "simulate", "--set", "strategy=dialogue", "--set", "n_consumers=120",
           "--steps", "8", "--replicates", "2", "--out", str(out), "--no-progress"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    build_report(out)
    names = {Path(r).stem for r in _check_report(out)}
    assert {"metrics", "loyalty", "final", "segments"} <= names
    assert "network" in names  # dialogue run: snapshot of the network


def test_in_progress_and_failed_runs_are_reported(sweep_dir, tmp_path):
    # pretend the sweep had more tasks and one run failed
    meta = json.loads((sweep_dir / "sweep.json").read_text())
    meta["tasks"] = 30
    (sweep_dir / "sweep.json").write_text(json.dumps(meta))
    from simulation.research.store import RunStore

    store = RunStore.open(sweep_dir)
    store.record_failed({"run_id": "p00009-broadcast-r000", "point": 9, "replicate": 0, "seed": 1,
                         "labels": {"strategy": "broadcast"}, "params": {}},
                        "GraphError: boom", started=0.0, finished=1.0, versions={}, git_commit=None)
    store.close()
    build_report(sweep_dir, snapshots=False)
    md = (sweep_dir / "report.md").read_text()
    assert "24 of 30 runs finished, 1 failed" in md and "still in progress" in md
    assert "p00009-broadcast-r000" in md and "GraphError: boom" in md


def test_empty_or_failed_only_store_is_a_clear_error(tmp_path):
    from simulation.research.store import RunStore

    store = RunStore.create(tmp_path / "runs.sqlite", {"name": "x"})
    with pytest.raises(WomsimError, match="no finished runs"):
        read_output(tmp_path)
    store.record_failed({"run_id": "r1", "point": 0, "replicate": 0, "seed": 1, "labels": {}, "params": {}},
                        "ValueError: bad", started=0.0, finished=1.0, versions={}, git_commit=None)
    store.close()
    with pytest.raises(WomsimError, match="1 run\\(s\\) failed, e.g. r1: ValueError: bad"):
        read_output(tmp_path)
    result = subprocess.run([sys.executable, "run.py", "report", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_not_an_output_folder(tmp_path):
    with pytest.raises(WomsimError, match="holds no womsim output"):
        read_output(tmp_path)
    with pytest.raises(WomsimError, match="is not a folder"):
        read_output(tmp_path / "nope")
