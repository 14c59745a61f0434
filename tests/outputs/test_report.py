"""Reports: every figure listed is written and referenced, HTML opens offline, sweeps in
progress and failed runs are reported, empty inputs give a clear message."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from simulation.errors import WomsimError
from simulation.outputs import report as R
from simulation.outputs.report import build_report, read_output
from simulation.research.experiment import load_experiment
from simulation.research.store import load
from simulation.research.sweep import run_sweep

from conftest import tree

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
    # the same budget every week: nothing for a firm's regression to learn from
    assert "roi_estimate" not in names and R.ROI_ESTIMATE_HEADING not in md


FLIGHTED = """
[experiment]
name = "tiny_roi"
steps = 24
replicates = 2
seed = 5
[base]
n_consumers = 150
flighting = "on_off"
flight_weeks = 3
[sweep]
design = "grid"
baseline = true
[sweep.parameters]
scenario = ["launch", "established"]
strategy = ["broadcast", "mixed"]
"""


def test_flighted_sweep_reports_the_firms_estimate_against_the_truth(tmp_path):
    (tmp_path / "exp.toml").write_text(FLIGHTED)
    run_sweep(load_experiment(tmp_path / "exp.toml"), tmp_path / "out", workers=1, progress=False)
    build_report(tmp_path / "out", snapshots=False)
    names = {Path(r).stem for r in _check_report(tmp_path / "out")}
    assert "roi_estimate" in names
    md = (tmp_path / "out" / "report.md").read_text()
    section = md.split(f"## {R.ROI_ESTIMATE_HEADING}")[1].split("## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    # one row per scenario and strategy (not for the baseline), each with 2 runs
    assert len(rows) == 4 and all("| none |" not in r for r in rows)
    assert all(r.split("|")[3].strip() == "2" for r in rows), rows
    assert "firm's estimate" in section and "CI covers truth" in section
    data = R.read_output(tmp_path / "out")
    runs = data.roi_runs
    assert len(runs) == 8 and runs["estimated_roi"].notna().all() and runs["incremental_roi"].notna().all()


def test_simulate_report_and_network_snapshots(tmp_path):
    out = tmp_path / "sim"
    cmd = [sys.executable, "run.py", "simulate", "--set", "strategy=dialogue", "--set", "n_consumers=120",
           "--steps", "8", "--replicates", "2", "--out", str(out), "--no-progress"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    build_report(out)
    names = {Path(r).stem for r in _check_report(out)}
    assert {"metrics", "loyalty", "final", "segments"} <= names
    assert "network" in names  # dialogue run: snapshot of the network


def test_the_report_is_byte_identical_when_built_again(tmp_path):
    """Same data folder, run.json's time, command, commit, machine and timing changed (a re-run
    of the same command): every file but run.json comes out byte for byte the same."""
    from conftest import tree

    out = tmp_path / "sim"
    cmd = [sys.executable, "run.py", "simulate", "--set", "strategy=dialogue", "--set", "n_consumers=120",
           "--steps", "6", "--replicates", "2", "--out", str(out), "--no-progress"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    build_report(out)
    first = tree(out)
    meta = json.loads((out / "run.json").read_text())
    meta.update(created="2001-02-03T04:05:06+00:00", command="run.py elsewhere", timing_s=123.4,
                git_commit="0" * 40, machine={"platform": "other", "cpus": 64})
    (out / "run.json").write_text(json.dumps(meta))
    build_report(out)
    second = tree(out)
    assert sorted(first) == sorted(second)
    changed = [name for name in first if name != "run.json" and first[name] != second[name]]
    assert not changed, f"changed on the second build: {changed}"
    assert any(name.endswith(".svg") for name in first) and "report.html" in first


def test_in_progress_and_failed_runs_are_reported(sweep_dir, tmp_path):
    # pretend the sweep had more tasks and one run failed
    meta = json.loads((sweep_dir / "sweep.json").read_text())
    meta["tasks"] = 30
    (sweep_dir / "sweep.json").write_text(json.dumps(meta))
    from simulation.research.store import STORE_FILE, RunStore

    store = RunStore.create(sweep_dir / STORE_FILE, meta["experiment"])  # a writer (open() only reads)
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


# ------------------------------------------------------------------ the registry of figures

MAKERS = {m.name: m for m in R.FIGURES}


def fake_data(kind="runs", strategies=("broadcast", "dialogue"), varied=None, design="grid", n_consumers=100,
              roi=True, segments=False, timeseries_strategy=True) -> R.Data:
    """Data with two runs per strategy at every point of ``varied`` ({name: values})."""
    varied = varied or {}
    rows = []
    points = [dict(zip(varied, v)) for v in zip(*varied.values())] if varied else [{}]
    for point in points:
        for st in strategies:
            for r in range(2):
                rows.append({**point, "strategy": st, "seed": r, "loyalty": 0.1 * r, "profit": 1.0})
    finals = pd.DataFrame(rows)
    finals["incremental_roi"] = [0.5 if roi and s != "none" else np.nan for s in finals["strategy"]]
    if segments:
        finals["loyalty_natives"] = finals["loyalty_immigrants"] = 0.1
    ts = finals.assign(step=1)
    if not timeseries_strategy:
        ts = ts.drop(columns="strategy")
    if kind == "sweep":
        meta = {"experiment": {"name": "x", "design": design, "replicates": 2, "steps": 1}}
    else:
        meta = {"params": {"n_consumers": n_consumers, "steps": 4}}
    return R.Data(kind, Path("."), ts, finals, meta, list(varied))


def applying(data: R.Data) -> set[str]:
    return {m.name for m in R.FIGURES if m.applies(data)}


def test_every_maker_is_registered_once():
    assert list(MAKERS) == ["metrics", "loyalty", "final", "incremental_roi", "roi_estimate", "segments",
                            "sweep_1d", "heatmap", "difference", "sensitivity", "event_window", "network"]
    assert [m.name for m in R.FIGURES if m.reruns_model] == ["network"]


def test_time_and_final_figures_need_strategies():
    assert {"metrics", "loyalty", "final"} <= applying(fake_data())
    assert not {"metrics", "loyalty", "final"} & applying(fake_data(timeseries_strategy=False))


def test_roi_and_segments_need_their_columns():
    assert "incremental_roi" in applying(fake_data())
    assert "incremental_roi" not in applying(fake_data(roi=False))
    assert "segments" in applying(fake_data(segments=True))
    assert "segments" not in applying(fake_data())


def test_sweep_figures_need_varied_numeric_parameters():
    one = fake_data("sweep", varied={"budget": [0.5, 2.0]})
    assert "sweep_1d" in applying(one) and not {"heatmap", "difference"} & applying(one)
    assert one.numeric_varied == ["budget"]
    constant = fake_data("sweep", varied={"budget": [1.0, 1.0]})
    assert not {"sweep_1d", "heatmap"} & applying(constant)
    labels = fake_data("sweep", varied={"network": ["karate", "complete"]})
    assert "sweep_1d" not in applying(labels)
    two = fake_data("sweep", varied={"budget": [0.5, 2.0], "quality": [0.1, 0.2]})
    assert {"sweep_1d", "heatmap", "difference"} <= applying(two)


def test_difference_map_needs_two_strategies_or_a_grid():
    axes = {"budget": [0.5, 2.0], "quality": [0.1, 0.2]}
    assert "difference" in applying(fake_data("sweep", ("hype",), axes, design="grid"))
    assert "difference" not in applying(fake_data("sweep", ("hype",), axes, design="lhs"))
    assert "difference" in applying(fake_data("sweep", ("broadcast", "dialogue"), axes, design="lhs"))


def test_sensitivity_needs_a_sobol_or_morris_sweep():
    axes = {"budget": [0.5, 2.0]}
    for design, applies in (("sobol", True), ("morris", True), ("lhs", False), ("grid", False)):
        assert ("sensitivity" in applying(fake_data("sweep", varied=axes, design=design))) is applies, design
    assert "sensitivity" not in applying(fake_data())  # simulate / headline runs have no design


def test_network_snapshots_need_small_runs_of_broadcast_or_dialogue():
    assert "network" in applying(fake_data())
    assert "network" in applying(fake_data(strategies=("none", "broadcast")))
    assert "network" not in applying(fake_data(strategies=("hype",)))
    assert "network" not in applying(fake_data(n_consumers=50_000))
    assert "network" not in applying(fake_data("sweep"))


def test_build_figures_loops_over_the_registry(monkeypatch, tmp_path):
    made = []

    def maker(name, applies, reruns=False):
        return R.FigureMaker(name, lambda data: applies,
                             lambda data, out, metric: made.append((name, out, metric)) or [], reruns)

    monkeypatch.setattr(R, "FIGURES", (maker("a", True), maker("b", False), maker("c", True, reruns=True)))
    assert R.build_figures(fake_data(), tmp_path, metric="nps") == []
    assert made == [("a", tmp_path, "nps"), ("c", tmp_path, "nps")]
    made.clear()
    R.build_figures(fake_data(), tmp_path, snapshots=False)
    assert [m[0] for m in made] == ["a"]


def test_sensitivity_report_figure_and_summary_intervals(tmp_path):
    exp_file = tmp_path / "sob.toml"
    exp_file.write_text("""
[experiment]
name = "sob"
steps = 3
replicates = 1
seed = 3
[base]
n_consumers = 60
[sweep]
design = "sobol"
samples = 4
[sweep.parameters]
budget = { min = 0.5, max = 2.0 }
quality = { min = -0.2, max = 0.4 }
""")
    exp = load_experiment(exp_file)
    run_sweep(exp, tmp_path / "out", workers=1, progress=False)
    data = read_output(tmp_path / "out")
    assert R.Experiment.from_definition(data.meta["experiment"]).definition() == exp.definition()
    figs = R.build_figures(data, tmp_path / "figs", snapshots=False)
    assert "sensitivity" in {f.name for f in figs}
    table = R.summary_table(data)
    assert list(table.columns[:3]) == ["budget", "quality", "strategy"] and table["n"].eq(1).all()
    assert table["budget"].map(float).is_monotonic_increasing  # design points in parameter order


# ------------------------------------------------------------------ input checked, --out (issue 10, item 8)
FOREIGN_CSVS = {
    "other_columns": ("timeseries.csv", "time,value\n1,2\n2,3\n", ["missing column(s)", "strategy", "step"]),
    "empty": ("timeseries.csv", "", ["cannot be read"]),
    "not_utf8": ("timeseries.csv", b"\xff\xfe\x00\x01", ["cannot be read"]),
    "foreign_summary": ("summary.csv", "a,b\n1,2\n", ["summary.csv", "missing column(s)", "strategy", "more"]),
}


@pytest.mark.parametrize("case", list(FOREIGN_CSVS))
def test_a_foreign_csv_is_a_one_line_error_naming_file_and_columns(tmp_path, case, sweep_dir):
    name, content, parts = FOREIGN_CSVS[case]
    if name == "summary.csv":  # a real timeseries beside a foreign summary
        load(sweep_dir)["timeseries"].to_csv(tmp_path / "timeseries.csv", index=False)
    target = tmp_path / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(WomsimError) as info:
        read_output(tmp_path)
    message = str(info.value)
    assert "\n" not in message and str(target) in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    result = subprocess.run([sys.executable, "run.py", "report", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and str(target) in result.stderr


def test_report_out_writes_elsewhere_and_leaves_the_data_folder(tmp_path, sweep_dir):
    before = tree(sweep_dir)
    out = tmp_path / "elsewhere"
    result = subprocess.run([sys.executable, "run.py", "report", str(sweep_dir), "--no-network", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert tree(sweep_dir) == before  # nothing written beside the data
    assert {"report.md", "report.html", "figures"} <= {p.name for p in out.iterdir()}
    _check_report(out)
    assert f"`{sweep_dir}`" in (out / "report.md").read_text()  # says which data it reports


def test_report_refuses_an_unwritable_out_before_drawing(tmp_path, sweep_dir, monkeypatch):
    import os

    monkeypatch.setattr(R, "build_figures", lambda *a, **k: pytest.fail("drew before checking --out"))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == sweep_dir and mode & os.W_OK
                        else real_access(p, mode, **kw))
    with pytest.raises(WomsimError, match="not writable.*give another path") as info:
        build_report(sweep_dir)
    assert "--out" in str(info.value)


# ------------------------------------------------------------------ the headline: two scenarios

HEADLINE = """
[experiment]
name = "mini_headline"
steps = 6
replicates = 2
seed = 5
[base]
n_consumers = 100
[sweep]
design = "grid"
[sweep.parameters]
scenario = ["launch", "established"]
strategy = ["none", "broadcast", "dialogue"]
"""


@pytest.fixture(scope="module")
def headline_dir(tmp_path_factory):
    from simulation.research.headline import run_headline

    d = tmp_path_factory.mktemp("headline")
    (d / "exp.toml").write_text(HEADLINE)
    run_headline(d / "out", load_experiment(d / "exp.toml"), workers=1, progress=False)
    build_report(d / "out", snapshots=False, figure_dir=".")
    return d / "out"


def test_scenario_parts_split_the_headline_and_nothing_else():
    data = fake_data(varied={"scenario": ["launch", "established"]})
    parts = R.scenario_parts(data)
    assert [p.part for p in parts] == [{"scenario": "launch"}, {"scenario": "established"}]
    assert all(set(p.finals["scenario"]) == set(p.part.values()) for p in parts)
    assert all(p.varied == [] and len(p.finals) == 4 for p in parts)
    budget = fake_data(varied={"budget": [0.5, 2.0]})
    assert len(R.scenario_parts(budget)) == 1 and R.scenario_parts(budget)[0] is budget
    assert len(R.scenario_parts(fake_data(kind="sweep", varied={"scenario": ["launch", "established"]}))) == 1


def test_headline_figures_repeat_per_scenario(headline_dir):
    names = {Path(r).stem for r in _check_report(headline_dir)}
    for fig in ("metrics", "loyalty", "final", "segments"):
        assert {f"{fig}_launch", f"{fig}_established"} <= names, fig
        assert fig not in names  # never pooled across scenarios
    assert "incremental_roi" in names  # one figure, a panel per scenario


def test_headline_report_has_one_table_per_scenario(headline_dir):
    md = (headline_dir / "report.md").read_text()
    html = (headline_dir / "report.html").read_text()
    assert md.index("## Headline: one table per scenario") < md.index("### scenario = launch") \
        < md.index("### scenario = established") < md.index("## Figures")
    assert "Launch: the focal brand is new" in md and "Established brand: all 3 brands" in md
    assert md.count("| strategy | market_share_13w | scr | loyal_share | nps | nps survey 95 % |") == 2
    assert html.count("<h3>scenario = ") == 2 and "Established brand: all 3 brands" in html
    assert (headline_dir / R.HEADLINE_FILE_MD).read_text().strip() in md
    # the full table of final values keeps the scenarios in the order they were run
    assert md.index("| launch | none |") < md.index("| established | none |")
    # figures of both scenarios are titled with their scenario
    assert "Main metrics over time (scenario = launch)" in md and "(scenario = established)" in md


def test_sync_readme_copies_the_headline_block_only_for_the_committed_folder(headline_dir, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{R.README_BEGIN}\nold table\n{R.README_END}\noutro\n")
    assert not R.sync_readme(headline_dir, readme, committed=tmp_path / "elsewhere")
    assert "old table" in readme.read_text()
    assert R.sync_readme(headline_dir, readme, committed=headline_dir)
    text = readme.read_text()
    block = (headline_dir / R.HEADLINE_FILE_MD).read_text().strip()
    assert text == f"intro\n{R.README_BEGIN}\n{block}\n{R.README_END}\noutro\n"
    assert not R.sync_readme(headline_dir, readme, committed=headline_dir)  # up to date: unchanged
