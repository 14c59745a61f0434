"""Experiment designs, seeds, sweeps on every executor, interruption and resume, sensitivity.

What is checked:

* Designs: grid crossing (counts), Latin hypercube (inside the bounds, one sample per
  stratum in every dimension), Sobol/Saltelli (N (D + 2) points) and Morris ((D + 1) N
  points); lists crossed with sampled ranges; ``baseline = true`` adds ``none`` runs.
* Seeds: derived from (experiment seed, scenario, replicate) with SeedSequence; all
  strategies of a scenario share the seed (common random numbers); distinct otherwise.
* Bad experiment files (``tests/data/sweep_*.toml``): a one-line ``ParameterError``
  naming the file and the key, with a suggestion for a misspelt key.
* Results are identical run by run whatever the executor: in-process, 2 local worker
  processes, a real dask ``LocalCluster`` (by address) and ``scheduler="local"``.
* ``kill -9`` of a real ``run.py sweep`` mid-way (the driver only): within 10 s no
  process of its session is left (workers, forkserver, resource tracker), the store opens
  fine, the same command resumes, no run is lost or duplicated, and the finals equal an
  uninterrupted sweep's exactly. Ctrl-C (SIGINT to the process group, as a terminal
  sends it) and SIGTERM (to the driver, as ``kill`` sends it, or to the group, as a batch
  scheduler does): exit 130 / 143 with the one-line "saved" message, nothing left
  running, only complete runs in the store, and the resumed sweep equals an
  uninterrupted one.
* A run whose model raises is ``failed`` with its error text, the others go on, the CLI
  exits 1; running again retries the failed runs only.
* ``run.py sensitivity`` on tiny Sobol and Morris experiments (table with confidence
  columns, CSV, PNG); the analysis lines outputs up with SALib's sample order; a misspelt
  ``--metric`` is refused with a suggestion.

Sizes are tiny (100 consumers x 5 weeks) except the interruption experiment (60 runs of
2000 x 52, ~13 s on 2 workers); the file takes ~1-1.5 min on 2 cores, most of it in the
``slow`` tests (interruptions, dask).
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from simulation.core.metrics import METRIC_NAMES
from simulation.errors import ParameterError
from simulation.research.experiment import load_experiment
from simulation.research.store import STORE_FILE, load
from simulation.research.sweep import run_sweep
from simulation.research.tasks import run_seed, run_simulation

from conftest import DATA, REPO, describe, needs_proc, run_cli, signal_group, wait_until_session_ends

TINY = DATA / "sweep_tiny.toml"
INTERRUPT = DATA / "sweep_interrupt.toml"
SOBOL = DATA / "sweep_sobol.toml"
MORRIS = DATA / "sweep_morris.toml"




def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def by_run(df: pd.DataFrame, keys=("run_id",)) -> pd.DataFrame:
    return df.sort_values(list(keys)).reset_index(drop=True)


def assert_same_results(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    """Finals and timeseries identical run by run (every label, seed and metric, exactly)."""
    pd.testing.assert_frame_equal(by_run(a["finals"]), by_run(b["finals"]))
    pd.testing.assert_frame_equal(by_run(a["timeseries"], ("run_id", "step")),
                                  by_run(b["timeseries"], ("run_id", "step")))
    cols = ["run_id", "point", "strategy", "replicate", "seed", "status"]
    pd.testing.assert_frame_equal(by_run(a["runs"][cols]), by_run(b["runs"][cols]))


# ----------------------------------------------------------------------------------------
# designs
# ----------------------------------------------------------------------------------------
def test_grid_crosses_every_list(tmp_path):
    exp = load_experiment(write(tmp_path / "g.toml", """
[experiment]
name = "t"
seed = 0
steps = 5
replicates = 3
[base]
n_consumers = 100
[sweep.parameters]
strategy = ["broadcast", "dialogue"]
dialogue_share = [0.0, 0.5, 1.0]
budget = [0.5, 1.0]
quality = [0.1, 0.3, 0.5, 0.7]
"""))
    scenarios = exp.scenarios()
    assert len(scenarios) == 3 * 2 * 4
    assert len(exp.points()) == 3 * 2 * 4 * 2
    tasks = exp.tasks()
    assert len(tasks) == 3 * 2 * 4 * 2 * 3
    assert len({t.run_id for t in tasks}) == len(tasks)
    combos = {(s["dialogue_share"], s["budget"], s["quality"]) for s in scenarios}
    assert combos == set(itertools.product([0.0, 0.5, 1.0], [0.5, 1.0], [0.1, 0.3, 0.5, 0.7]))
    for t in tasks:  # the labels are what the run uses
        for key in ("dialogue_share", "budget", "quality", "strategy"):
            assert t.params[key] == t.labels[key]
        assert t.params["steps"] == 5 and t.params["n_consumers"] == 100


def test_no_sweep_section_is_one_point(tmp_path):
    exp = load_experiment(write(tmp_path / "one.toml", "[experiment]\nname = \"t\"\nsteps = 5\nreplicates = 4\n"
                                "seed = 0\n[base]\nn_consumers = 100\nstrategy = \"dialogue\"\n"))
    assert exp.scenarios() == [{}]
    assert [t.labels["strategy"] for t in exp.tasks()] == ["dialogue"] * 4


LHS = """
[experiment]
name = "t"
replicates = 1
steps = 5
seed = {seed}
[base]
n_consumers = 100
[sweep]
design = "lhs"
samples = {n}
[sweep.parameters]
budget = {{ min = 0.5, max = 4.0 }}
dialogue_share = {{ min = 0.0, max = 1.0 }}
quality = {{ min = -0.5, max = 0.9 }}
"""


@pytest.mark.parametrize("n", [5, 17])
def test_lhs_one_sample_per_stratum_within_bounds(tmp_path, n):
    exp = load_experiment(write(tmp_path / "lhs.toml", LHS.format(seed=3, n=n)))
    X = exp.sample_matrix()
    assert X.shape == (n, 3)
    for j, (lo, hi) in enumerate(exp.ranges.values()):
        assert np.all((X[:, j] >= lo) & (X[:, j] <= hi))
        strata = np.floor((X[:, j] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n)), f"column {j}: strata {sorted(strata)}"
    assert len(exp.scenarios()) == n and len(exp.tasks()) == n
    # the scenarios carry the sampled values
    got = np.array([[s[k] for k in exp.ranges] for s in exp.scenarios()])
    np.testing.assert_array_equal(got, X)
    # reproducible from the experiment seed, different for another seed
    again = load_experiment(write(tmp_path / "lhs2.toml", LHS.format(seed=3, n=n))).sample_matrix()
    np.testing.assert_array_equal(again, X)
    other = load_experiment(write(tmp_path / "lhs3.toml", LHS.format(seed=4, n=n))).sample_matrix()
    assert not np.array_equal(other, X)


def test_lhs_integer_parameter_is_rounded_within_bounds(tmp_path):
    exp = load_experiment(write(tmp_path / "int.toml", """
[experiment]
name = "t"
replicates = 1
seed = 0
steps = 5
[sweep]
design = "lhs"
samples = 6
[sweep.parameters]
n_consumers = { min = 100, max = 200 }
"""))
    values = [s["n_consumers"] for s in exp.scenarios()]
    assert all(isinstance(v, int) and 100 <= v <= 200 for v in values)
    assert [t.params["n_consumers"] for t in exp.tasks()] == values


RANGED = """
[experiment]
name = "t"
replicates = 1
steps = 5
seed = 1
[base]
n_consumers = 100
[sweep]
design = "{design}"
samples = {n}
[sweep.parameters]
{ranges}
"""
THREE_RANGES = ("budget = { min = 0.5, max = 4.0 }\ndialogue_share = { min = 0.0, max = 1.0 }\n"
                "hype = { min = 0.0, max = 1.0 }")


@pytest.mark.parametrize("design, n, expected", [
    ("sobol", 8, 8 * (3 + 2)),
    ("sobol", 16, 16 * (3 + 2)),
    ("morris", 4, (3 + 1) * 4),
    ("morris", 10, (3 + 1) * 10),
])
def test_sobol_and_morris_sample_counts(tmp_path, design, n, expected):
    exp = load_experiment(write(tmp_path / "d.toml", RANGED.format(design=design, n=n, ranges=THREE_RANGES)))
    X = exp.sample_matrix()
    assert X.shape == (expected, 3)
    for j, (lo, hi) in enumerate(exp.ranges.values()):
        assert np.all((X[:, j] >= lo) & (X[:, j] <= hi))
    assert len(exp.scenarios()) == expected
    assert len(exp.tasks()) == expected  # one strategy, one replicate
    assert exp.problem() == {"num_vars": 3, "names": ["budget", "dialogue_share", "hype"],
                             "bounds": [[0.5, 4.0], [0.0, 1.0], [0.0, 1.0]]}


def test_lists_are_crossed_with_sampled_ranges(tmp_path):
    exp = load_experiment(write(tmp_path / "x.toml", """
[experiment]
name = "t"
seed = 0
steps = 5
replicates = 2
[base]
n_consumers = 100
[sweep]
design = "sobol"
samples = 4
[sweep.parameters]
strategy = ["broadcast", "dialogue", "mixed"]
quality = [0.2, 0.6]
budget = { min = 0.5, max = 4.0 }
dialogue_share = { min = 0.0, max = 1.0 }
"""))
    rows = 4 * (2 + 2)
    X = exp.sample_matrix()
    scenarios = exp.scenarios()
    assert len(scenarios) == 2 * rows
    assert len(exp.points()) == 2 * rows * 3
    assert len(exp.tasks()) == 2 * rows * 3 * 2
    # every sampled point is run at every list value, in the sample order (point = combo * rows + row)
    for combo, quality in enumerate([0.2, 0.6]):
        block = scenarios[combo * rows:(combo + 1) * rows]
        assert all(s["quality"] == quality for s in block)
        np.testing.assert_array_equal([[s["budget"], s["dialogue_share"]] for s in block], X)
    for task in exp.tasks():
        assert scenarios[task.point] == {k: v for k, v in task.labels.items() if k not in ("strategy", "replicate")}


def test_baseline_adds_none_runs_on_the_same_seeds():
    exp = load_experiment(TINY)
    assert exp.baseline and exp.strategies() == ["mixed", "none"]
    tasks = exp.tasks()
    assert len(tasks) == 4 * 2 * 2
    seeds = {(t.point, t.replicate, t.labels["strategy"]): t.seed for t in tasks}
    for (point, rep, _strategy), seed in seeds.items():
        assert seed == seeds[(point, rep, "mixed")]
    for t in tasks:
        assert t.params["strategy"] == t.labels["strategy"]


def test_baseline_does_not_duplicate_an_explicit_none(tmp_path):
    exp = load_experiment(write(tmp_path / "b.toml", """
[experiment]
name = "t"
replicates = 1
seed = 0
steps = 5
[sweep]
baseline = true
[sweep.parameters]
strategy = ["none", "dialogue"]
"""))
    assert exp.strategies() == ["none", "dialogue"]


def test_seeds_depend_on_experiment_seed_scenario_and_replicate_only(tmp_path):
    exp = load_experiment(write(tmp_path / "s.toml", """
[experiment]
name = "t"
steps = 5
replicates = 3
seed = 2026
[base]
n_consumers = 100
[sweep.parameters]
strategy = ["broadcast", "dialogue", "mixed"]
budget = [0.5, 1.0, 2.0]
"""))
    tasks = exp.tasks()
    groups: dict[tuple[int, int], set[int]] = {}
    for t in tasks:
        assert t.seed == run_seed(2026, t.replicate, point=t.point)
        groups.setdefault((t.point, t.replicate), set()).add(t.seed)
    # common random numbers: one seed per (scenario, replicate), shared by all strategies ...
    assert all(len(s) == 1 for s in groups.values())
    # ... and distinct across scenarios and replicates
    assert len({next(iter(s)) for s in groups.values()}) == 3 * 3
    # deterministic: reading the file again gives the same seeds
    assert [t.seed for t in load_experiment(exp.path).tasks()] == [t.seed for t in tasks]
    # another experiment seed changes every seed
    other = load_experiment(exp.path, seed=2027).tasks()
    assert not {t.seed for t in other} & {t.seed for t in tasks}


def test_reordering_list_values_keeps_the_set_of_seeds(tmp_path):
    """Reordering a list permutes the scenarios; the seeds are those of the scenario
    indices, so the set of (seed, replicate) pairs is the same. (Which scenario gets which
    seed does change: seeds follow the scenario index, not its values; see the report.)"""
    text = """
[experiment]
name = "t"
steps = 5
replicates = 2
seed = 9
[base]
n_consumers = 100
[sweep.parameters]
budget = {budget}
"""
    a = load_experiment(write(tmp_path / "a.toml", text.format(budget="[0.5, 1.0, 2.0]"))).tasks()
    b = load_experiment(write(tmp_path / "b.toml", text.format(budget="[2.0, 0.5, 1.0]"))).tasks()
    assert sorted((t.seed, t.replicate) for t in a) == sorted((t.seed, t.replicate) for t in b)
    assert {t.labels["budget"] for t in a} == {t.labels["budget"] for t in b}


def test_steps_in_sweep_parameters_is_honoured_or_refused(tmp_path):
    path = write(tmp_path / "steps.toml", "[experiment]\nname = \"t\"\nsteps = 5\nreplicates = 1\nseed = 0\n"
                 "[base]\nn_consumers = 100\n[sweep.parameters]\nsteps = [3, 8]\n")
    try:
        exp = load_experiment(path)
    except ParameterError as exc:
        assert str(path) in str(exc) and "steps" in str(exc)
        return
    for task in exp.tasks():
        assert task.params["steps"] == task.labels["steps"]


def test_steps_in_base_is_honoured_or_refused(tmp_path):
    path = write(tmp_path / "steps.toml", "[experiment]\nname = \"t\"\nsteps = 5\nreplicates = 1\n"
                 "seed = 0\n[base]\nn_consumers = 100\nsteps = 7\n")
    try:
        exp = load_experiment(path)
    except ParameterError as exc:
        assert str(path) in str(exc) and "steps" in str(exc)
        return
    assert exp.steps == 7 and all(t.params["steps"] == 7 for t in exp.tasks())


# ----------------------------------------------------------------------------------------
# bad experiment files
# ----------------------------------------------------------------------------------------
BAD_FILES = [
    ("sweep_unknown_sweep_key.toml", ["desing", "[sweep]", "did you mean 'design'"]),
    ("sweep_unknown_parameter.toml", ["budgt", "[sweep.parameters]", "did you mean 'budget'"]),
    ("sweep_unknown_experiment_key.toml", ["replicate", "[experiment]", "did you mean 'replicates'"]),
    ("sweep_bad_design.toml", ["design", "sobl", "grid | lhs | sobol | morris", "did you mean 'sobol'"]),
    ("sweep_range_with_grid.toml", ["budget", "range", "lhs | sobol | morris"]),
    ("sweep_min_not_below_max.toml", ["budget", "min", "max"]),
    ("sweep_min_equals_max.toml", ["dialogue_share", "min", "max"]),
    ("sweep_range_bound_not_number.toml", ["budget", "number", "'low'"]),
    ("sweep_range_of_text_parameter.toml", ["network", "not numeric"]),
    ("sweep_lhs_without_samples.toml", ["samples"]),
    ("sweep_range_out_of_bounds.toml", ["dialogue_share", "1.5", "0 .. 1"]),
    ("sweep_sobol_without_range.toml", ["sobol", "range"]),
]


@pytest.mark.parametrize("name, expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_experiment_file_names_file_and_key(name, expected):
    path = DATA / name
    with pytest.raises(ParameterError) as info:
        load_experiment(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_bad_experiment_file_through_the_cli(tmp_path):
    out = tmp_path / "out"
    result = run_cli("sweep", DATA / "sweep_unknown_sweep_key.toml", "--out", out, "--no-progress")
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "did you mean 'design'" in lines[0]
    assert not out.exists()


# ----------------------------------------------------------------------------------------
# the same results on every executor
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny experiment run in this process (workers=1): the reference results."""
    out = tmp_path_factory.mktemp("ref")
    result = run_sweep(load_experiment(TINY), out, workers=1, progress=False)
    assert (result.total, result.done, result.failed, result.skipped) == (16, 16, 0, 0)
    return load(out)


def test_reference_matches_direct_runs(reference):
    """Each stored run equals running its task directly, and has steps + 1 rows."""
    exp = load_experiment(TINY)
    finals = reference["finals"].set_index("run_id")
    ts = reference["timeseries"]
    assert len(finals) == 16 and len(ts) == 16 * (exp.steps + 1)
    for task in exp.tasks()[::5]:
        direct = run_simulation(task.params, task.seed)
        stored = ts[ts["run_id"] == task.run_id].reset_index(drop=True)
        np.testing.assert_array_equal(stored["step"], direct["step"])
        for m in METRIC_NAMES:
            np.testing.assert_array_equal(stored[m].to_numpy(float), direct[m].to_numpy(float), err_msg=m)
        assert finals.loc[task.run_id, "seed"] == task.seed
        assert finals.loc[task.run_id, "step"] == exp.steps


def test_two_local_workers_give_identical_results(reference, tmp_path):
    result = run_sweep(load_experiment(TINY), tmp_path, workers=2, progress=False)
    assert (result.done, result.failed) == (16, 0)
    assert_same_results(reference, load(tmp_path))


def test_resume_of_a_finished_sweep_runs_nothing(tmp_path):
    exp = load_experiment(TINY)
    run_sweep(exp, tmp_path, workers=1, progress=False)
    first = load(tmp_path)
    again = run_sweep(exp, tmp_path, workers=1, progress=False)
    assert (again.total, again.skipped, again.done, again.failed) == (16, 16, 0, 0)
    pd.testing.assert_frame_equal(load(tmp_path)["runs"], first["runs"])


@pytest.mark.slow
def test_dask_cluster_and_local_scheduler_give_identical_results(reference, tmp_path):
    from distributed import LocalCluster

    exp = load_experiment(TINY)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_sweep(exp, tmp_path / "cluster", scheduler=cluster.scheduler_address, progress=False)
    assert (result.done, result.failed) == (16, 0)
    assert_same_results(reference, load(tmp_path / "cluster"))
    result = run_sweep(exp, tmp_path / "local", scheduler="local", workers=2, progress=False)
    assert (result.done, result.failed) == (16, 0)
    assert_same_results(reference, load(tmp_path / "local"))


# ----------------------------------------------------------------------------------------
# kill -9 and Ctrl-C of a real sweep, then resume
# ----------------------------------------------------------------------------------------
def sweep_cmd(path: Path, out: Path, *extra) -> list[str]:
    return [sys.executable, "run.py", "sweep", str(path), "--out", str(out), "--workers", "2",
            "--no-progress", *map(str, extra)]


def start_and_wait(cmd: list[str], out: Path, total: int, at_least: int = 3) -> tuple[subprocess.Popen, int]:
    """Start ``cmd`` in its own process group; return once ``at_least`` runs are stored."""
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    n = 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the sweep ended before it could be interrupted: {proc.communicate()}"
        if (out / STORE_FILE).exists():
            try:
                n = len(load(out)["runs"])  # read-only, while the sweep writes (WAL)
            except Exception:  # noqa: BLE001 - the store may not be created yet
                n = 0
        if n >= at_least:
            break
        time.sleep(0.1)
    assert at_least <= n < total, f"{n} of {total} runs when interrupting"
    return proc, n


def assert_complete_runs_only(out: Path, steps: int) -> dict[str, pd.DataFrame]:
    path = out / STORE_FILE
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tables = load(out)
    runs = tables["runs"]
    assert runs["run_id"].is_unique
    assert set(runs["status"]) <= {"done"}
    done = set(runs["run_id"])
    assert set(tables["finals"]["run_id"]) == done and tables["finals"]["run_id"].is_unique
    per_run = tables["timeseries"].groupby("run_id")["step"].agg(["count", "min", "max"])
    assert set(per_run.index) == done
    assert (per_run["count"] == steps + 1).all() and (per_run["min"] == 0).all()
    assert (per_run["max"] == steps).all()
    return tables


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    result = run_sweep(load_experiment(INTERRUPT), out, workers=2, progress=False)
    assert (result.done, result.failed) == (60, 0)
    return load(out)


def assert_resume_completes_like_uninterrupted(out: Path, before: dict[str, pd.DataFrame], uninterrupted) -> None:
    """The same command again runs exactly the missing runs, keeps the stored ones, and
    ends with the uninterrupted sweep's results."""
    exp = load_experiment(INTERRUPT)
    total, n_before = len(exp.tasks()), len(before["runs"])
    result = run_cli(*sweep_cmd(INTERRUPT, out)[2:], "--no-report")  # the report is not under test
    assert result.returncode == 0, describe(result)
    assert f"{n_before} run(s) already in the store, {total - n_before} done now, 0 failed" in result.stdout
    after = assert_complete_runs_only(out, exp.steps)
    assert len(after["runs"]) == total
    assert set(after["runs"]["run_id"]) == {t.run_id for t in exp.tasks()}
    # the runs finished before the interruption were kept, not redone
    kept = before["runs"].set_index("run_id")["started"]
    np.testing.assert_array_equal(after["runs"].set_index("run_id").loc[kept.index, "started"], kept)
    pd.testing.assert_frame_equal(by_run(after["finals"]), by_run(uninterrupted["finals"]))
    pd.testing.assert_frame_equal(by_run(after["timeseries"], ("run_id", "step")),
                                  by_run(uninterrupted["timeseries"], ("run_id", "step")))


@pytest.mark.slow
@needs_proc
def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path, uninterrupted):
    exp = load_experiment(INTERRUPT)
    total = len(exp.tasks())
    out = tmp_path / "killed"
    proc, _ = start_and_wait(sweep_cmd(INTERRUPT, out), out, total)
    os.kill(proc.pid, signal.SIGKILL)  # the driver only: its workers and forkserver must follow
    proc.wait(timeout=30)  # not communicate(): a survivor would hold the pipes open
    survivors = wait_until_session_ends(proc, timeout=10)
    assert survivors == [], f"still running 10 s after kill -9 of the driver: {survivors}"
    assert proc.returncode == -signal.SIGKILL
    before = assert_complete_runs_only(out, exp.steps)  # the killed store opens fine
    assert 0 < len(before["runs"]) < total
    assert_resume_completes_like_uninterrupted(out, before, uninterrupted)


INTERRUPTIONS = {"ctrl-c": (signal.SIGINT, "group"),  # what Ctrl-C in a terminal does
                 "sigterm": (signal.SIGTERM, "driver"),  # kill PID
                 "sigterm-group": (signal.SIGTERM, "group")}  # Slurm's scancel, systemd's stop


@pytest.fixture(scope="module", params=list(INTERRUPTIONS))
def interrupted(request, tmp_path_factory):
    """A real sweep sent a signal mid-way, to the driver alone or to its process group;
    returns what it left, its exit code and output, and any process still running 10 s on."""
    sig, target = INTERRUPTIONS[request.param]
    out = tmp_path_factory.mktemp(request.param) / "out"
    proc, _ = start_and_wait(sweep_cmd(INTERRUPT, out), out, len(load_experiment(INTERRUPT).tasks()))
    if target == "driver":
        os.kill(proc.pid, sig)
    else:
        signal_group(proc, sig)
    try:
        proc.wait(timeout=60)  # not communicate(): a survivor would hold the pipes open
    finally:
        survivors = wait_until_session_ends(proc, timeout=10)
    stdout, stderr = proc.communicate(timeout=10)
    return sig, out, proc.returncode, stdout, stderr, survivors


@pytest.mark.slow
@needs_proc
def test_interrupt_exits_128_plus_signal_saying_work_is_saved(interrupted):
    sig, _, code, stdout, stderr, survivors = interrupted
    assert code == 128 + sig, f"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "Everything finished so far is saved; run the same command again to resume."]
    assert f"interrupted ({'Ctrl-C' if sig == signal.SIGINT else sig.name})" in stdout
    assert survivors == [], f"still running 10 s after the sweep ended: {survivors}"


@pytest.mark.slow
def test_interrupt_keeps_finished_runs_and_resume_equals_uninterrupted(interrupted, uninterrupted):
    out = interrupted[1]
    before = assert_complete_runs_only(out, load_experiment(INTERRUPT).steps)
    assert 0 < len(before["runs"])
    assert_resume_completes_like_uninterrupted(out, before, uninterrupted)


# ----------------------------------------------------------------------------------------
# failing runs
# ----------------------------------------------------------------------------------------
FAILING = """
[experiment]
name = "failing"
steps = 5
replicates = 2
seed = 3
[base]
n_consumers = 100
strategy = "dialogue"
[sweep.parameters]
network = ["barabasi_albert", "file:{graph}"]
"""


def test_failing_runs_are_recorded_and_retried(tmp_path):
    """A graph file of one node passes validation but the model raises: those runs are
    failed with the error, the others done, exit 1; once the file is fixed, running again
    retries only the failed runs."""
    graph = tmp_path / "graph.txt"
    graph.write_text("# one node, only a self-loop\n7 7\n")
    path = write(tmp_path / "failing.toml", FAILING.format(graph=graph))
    out = tmp_path / "out"
    result = run_cli("sweep", path, "--out", out, "--workers", 2, "--no-progress")
    assert result.returncode == 1, describe(result)
    assert "2 done now, 2 failed" in result.stdout
    said = result.stdout + result.stderr  # one line per failed run (tqdm.write: on stdout)
    assert said.count(" failed: ") == 2 and "GraphError" in said
    runs = load(out)["runs"].set_index("run_id")
    failed = runs[runs["status"] == "failed"]
    assert list(failed.index) == ["p00001-dialogue-r000", "p00001-dialogue-r001"]
    assert all("GraphError" in e and "at least 2" in e for e in failed["error"])
    assert runs.loc[runs["status"] == "done", "error"].isna().all()
    tables = load(out)
    assert set(tables["finals"]["run_id"]) == {"p00000-dialogue-r000", "p00000-dialogue-r001"}
    assert set(tables["timeseries"]["run_id"]) == set(tables["finals"]["run_id"])

    graph.write_text("".join(f"{i} {(i + 1) % 30}\n" for i in range(30)))  # a ring of 30
    result = run_cli("sweep", path, "--out", out, "--workers", 1, "--no-progress")
    assert result.returncode == 0, describe(result)
    assert "2 run(s) already in the store, 2 done now, 0 failed" in result.stdout
    again = load(out)["runs"].set_index("run_id")
    assert (again["status"] == "done").all() and again["error"].isna().all() and len(again) == 4
    done_before = runs.index[runs["status"] == "done"]
    np.testing.assert_array_equal(again.loc[done_before, "started"], runs.loc[done_before, "started"])


def test_a_raising_run_in_process_is_failed_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import simulation.research.tasks as tasks_module

    exp = load_experiment(TINY)
    victim = exp.tasks()[5]
    real = tasks_module.run_simulation

    def flaky(params, seed, labels=None):
        if seed == victim.seed and params["strategy"] == victim.params["strategy"]:
            raise RuntimeError("boom in the model")
        return real(params, seed, labels)

    # run_task_safely calls run_simulation by its name in simulation.research.tasks
    monkeypatch.setattr(tasks_module, "run_simulation", flaky)
    result = run_sweep(exp, tmp_path, workers=1, progress=False)
    assert (result.done, result.failed, result.interrupted) == (15, 1, False)
    runs = load(tmp_path)["runs"].set_index("run_id")
    assert runs.loc[victim.run_id, "status"] == "failed"
    assert runs.loc[victim.run_id, "error"].startswith("RuntimeError: boom in the model")
    assert "Traceback" in runs.loc[victim.run_id, "error"]
    monkeypatch.setattr(tasks_module, "run_simulation", real)
    again = run_sweep(exp, tmp_path, workers=1, progress=False)
    assert (again.skipped, again.done, again.failed) == (15, 1, 0)
    assert (load(tmp_path)["runs"]["status"] == "done").all()


# ----------------------------------------------------------------------------------------
# sensitivity
# ----------------------------------------------------------------------------------------
def _table_header(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("Sensitivity of final"))
    return lines[i + 1].split()


def _png_is_an_image(path: Path) -> None:
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01  # not blank


@pytest.mark.parametrize("path, columns, n_runs", [
    (SOBOL, ["S1", "S1_conf", "ST", "ST_conf"], 8 * (2 + 2)),
    (MORRIS, ["mu_star", "mu_star_conf", "sigma"], (2 + 1) * 8),
], ids=["sobol", "morris"])
def test_sensitivity_command(tmp_path, path, columns, n_runs):
    out = tmp_path / "out"
    result = run_cli("sensitivity", path, "--out", out, "--workers", 1, "--no-progress")
    assert result.returncode == 0, describe(result)
    assert f"{n_runs} done now, 0 failed" in result.stdout
    assert _table_header(result.stdout) == ["strategy", "parameter", *columns]
    # 8 base samples / trajectories: too few to trust, and the command line says so under the table
    assert f"warning: too few samples for these {path.stem.split('_')[1].capitalize()} indices" in result.stdout
    table = pd.read_csv(out / "sensitivity_loyalty.csv")
    assert list(table.columns) == ["strategy", "combo", "parameter", *columns]
    assert list(table["parameter"]) == ["budget", "dialogue_share"]
    assert (table["strategy"] == "mixed").all()
    assert np.isfinite(table[columns].to_numpy(float)).all()
    assert (table[[c for c in columns if c.endswith("_conf")]] >= 0).all().all()
    _png_is_an_image(out / "sensitivity_loyalty.png")
    assert len(load(out)["finals"]) == n_runs


def test_sensitivity_misspelt_metric_is_refused(tmp_path):
    out = tmp_path / "out"
    result = run_cli("sensitivity", SOBOL, "--out", out, "--metric", "lyalty")
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "lyalty" in lines[0] and "did you mean 'loyalty'" in lines[0]
    assert not out.exists()


def test_sensitivity_of_a_grid_experiment_is_refused(tmp_path):
    result = run_cli("sensitivity", TINY, "--out", tmp_path / "out")
    assert result.returncode == 2, describe(result)
    assert "sobol | morris" in result.stderr and len(result.stderr.strip().splitlines()) == 1


SYNTHETIC = """
[experiment]
name = "t"
steps = 5
replicates = 2
seed = 4
[base]
n_consumers = 100
[sweep]
design = "{design}"
samples = {n}
[sweep.parameters]
strategy = ["broadcast", "dialogue"]
quality = [0.2, 0.6]
budget = {{ min = 0.5, max = 4.0 }}
dialogue_share = {{ min = 0.0, max = 1.0 }}
"""


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_analysis_lines_outputs_up_with_the_sample_order(tmp_path, design):
    """A made-up output that depends on one parameter only (budget for broadcast at quality
    0.2, dialogue_share otherwise) gives that parameter all the effect and the other none,
    for every strategy and grid combination: the design points are read in SALib's order."""
    from simulation.research.sensitivity import analyse

    exp = load_experiment(write(tmp_path / "s.toml", SYNTHETIC.format(design=design, n=64)))
    rows = []
    for t in exp.tasks():
        key = "budget" if (t.labels["strategy"] == "broadcast" and t.labels["quality"] == 0.2) else "dialogue_share"
        y = t.labels[key] ** 2 + t.replicate * 1e-9
        rows.append({"run_id": t.run_id, "point": t.point, "replicate": t.replicate, **t.labels, "loyalty": y})
    table = analyse(exp, pd.DataFrame(rows), "loyalty")
    assert len(table) == 2 * 2 * 2  # strategies x combos x parameters
    for (strategy, combo), t in table.groupby(["strategy", "combo"]):
        active = "budget" if (strategy == "broadcast" and combo == 0) else "dialogue_share"
        t = t.set_index("parameter")
        idle = ({"budget", "dialogue_share"} - {active}).pop()
        if design == "sobol":
            assert t.loc[idle, "ST"] == pytest.approx(0, abs=1e-6)
            assert t.loc[idle, "S1"] == pytest.approx(0, abs=1e-6)
            assert t.loc[active, "ST"] > 0.5 and t.loc[active, "S1"] > 0.5
        else:
            assert t.loc[idle, "mu_star"] == pytest.approx(0, abs=1e-6)
            assert t.loc[active, "mu_star"] > 0.1


def test_analysis_refuses_an_incomplete_sweep(tmp_path):
    from simulation.errors import WomsimError
    from simulation.research.sensitivity import analyse

    exp = load_experiment(SOBOL)
    rows = [{"point": t.point, "strategy": t.labels["strategy"], "loyalty": 0.5} for t in exp.tasks()[:-3]]
    with pytest.raises(WomsimError, match="no finished run"):
        analyse(exp, pd.DataFrame(rows), "loyalty")
