"""End-to-end tests of the command line (``run.py``), run as real subprocesses.

What is checked:

* ``simulate`` writes a tidy ``timeseries.csv`` (steps + 1 rows per replicate), a
  ``summary.csv`` (one row per replicate: the final step) and a ``run.json`` (every
  parameter, seeds, package versions, git commit); metrics stay within their bounds;
  replicates get distinct seeds; outputs are byte-identical for the same seed and for any
  number of workers, and differ for another seed; ``--params`` files are read and
  ``--set`` overrides them.
* ``params`` lists every parameter of :data:`simulation.core.params.PARAMETERS`, also as a
  Markdown table.
* Bad input ends with exit code 2, exactly one ``error: ...`` line on stderr naming the
  parameter or file (with the closest valid name and the allowed range where there is
  one), no traceback, and nothing written to the ``--out`` folder.
* ``headline`` end to end on a tiny experiment: one table per scenario on stdout, CSVs,
  ``run.json`` (parameters per scenario and strategy), common seeds across strategies and
  scenarios, incremental ROI paired within a scenario, non-blank PNGs per scenario and
  ``report.md`` with both scenarios.
* ``run.json`` (``simulate``, ``headline``) and ``sweep.json`` record the graph actually used
  (measured counts, a file's sha256, the parameters its source ignores).

Sizes are tiny (a few hundred consumers, a few weeks): the whole file takes ~50 s on 2 cores (the
bad-input cases are ~0.5 s subprocesses each, run twice: fresh and existing --out).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from simulation.core.params import PARAMETERS, STRATEGIES

from conftest import DATA, REPO, describe, needs_proc, ok, run_cli, session_processes, tree, wait_until_session_ends

# ----------------------------------------------------------------------------------------
# simulate: outputs
# ----------------------------------------------------------------------------------------
STEPS = 20
N = 500


@pytest.fixture(scope="module")
def spec_run(tmp_path_factory):
    """The command of the spec, verbatim: dialogue, 500 consumers, 20 weeks, seed 1."""
    out = tmp_path_factory.mktemp("spec") / "out"
    result = ok(run_cli("simulate", "--set", "strategy=dialogue", "--set", f"n_consumers={N}",
                        "--steps", STEPS, "--seed", 1, "--out", out))
    return out, result


def test_simulate_writes_the_three_files(spec_run):
    out, result = spec_run
    assert sorted(os.listdir(out)) == ["run.json", "summary.csv", "timeseries.csv"]
    assert str(out) in result.stdout


def test_simulate_timeseries_is_tidy_and_bounded(spec_run):
    out, _ = spec_run
    ts = pd.read_csv(out / "timeseries.csv")
    for col in ("replicate", "seed", "step", "strategy", "awareness", "customers", "nps", "loyalty"):
        assert col in ts.columns
    assert len(ts) == STEPS + 1
    assert ts["step"].tolist() == list(range(STEPS + 1))
    assert (ts["replicate"] == 0).all() and ts["seed"].nunique() == 1
    assert (ts["strategy"] == "dialogue").all()
    assert not ts.duplicated(["replicate", "step"]).any()
    for col in ("awareness", "customers", "loyalty", "loyal_share"):
        assert ts[col].between(0, 1).all(), col
    survey = ts["nps_respondents"] > 0  # NPS is NaN exactly until the first survey with respondents
    assert ts.loc[survey, "nps"].between(-100, 100).all() and ts.loc[~survey, "nps"].isna().all()
    assert ts["awareness"].notna().all() and ts["customers"].notna().all()


def test_simulate_summary_is_the_final_step(spec_run):
    out, _ = spec_run
    ts = pd.read_csv(out / "timeseries.csv")
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["step"] == STEPS and row["strategy"] == "dialogue" and row["replicate"] == 0
    last = ts.loc[ts["step"] == STEPS].iloc[0]
    for col in ("awareness", "customers", "nps", "loyalty", "profit"):
        assert row[col] == pytest.approx(last[col]), col
    assert 0 <= row["awareness"] <= 1 and 0 <= row["customers"] <= 1 and -100 <= row["nps"] <= 100


def test_simulate_run_json_records_params_seeds_versions(spec_run):
    out, _ = spec_run
    meta = json.loads((out / "run.json").read_text())
    params = meta["params"]
    assert set(params) == set(PARAMETERS)
    assert params["strategy"] == "dialogue"
    assert params["n_consumers"] == N
    assert params["steps"] == STEPS
    for name, spec in PARAMETERS.items():
        if name not in ("strategy", "n_consumers", "steps"):
            assert params[name] == spec.default, name
    assert meta["base_seed"] == 1
    ts = pd.read_csv(out / "timeseries.csv")
    assert meta["seeds"] == [int(ts["seed"].iloc[0])]
    versions = meta["versions"]
    assert versions["mesa"] == metadata.version("mesa")
    assert versions["numpy"] == metadata.version("numpy")
    assert "git_commit" in meta


def test_simulate_run_json_records_the_graph_measured(spec_run):
    out, _ = spec_run
    meta = json.loads((out / "run.json").read_text())
    [graph] = meta["graphs"]
    # Barabasi-Albert, m = 3: 3 (N - 3) ties, measured on the run's own graph (its seed).
    assert (graph["source"], graph["nodes"], graph["edges"]) == ("barabasi_albert", N, 3 * (N - 3))
    assert graph["mean_degree"] == pytest.approx(2 * 3 * (N - 3) / N, abs=1e-6)
    assert graph["components"] == 1 and graph["random"] and graph["seed"] == meta["seeds"][0]
    assert graph["ignored"] == ["rewire_p", "triangle_p", "homophily", "clique_size"] and "file" not in graph


def test_simulate_on_a_file_graph_records_the_file(tmp_path):
    path = DATA / "gephi_edges.csv"
    out = tmp_path / "out"
    result = ok(run_cli("simulate", "--set", f"network=file:{path}", "--steps", 3, "--replicates", 2,
                        "--out", out, "--no-progress"))
    meta = json.loads((out / "run.json").read_text())
    [graph] = meta["graphs"]
    assert (graph["nodes"], graph["edges"], graph["components"], graph["runs"]) == (6, 7, 1, 2)
    assert graph["mean_degree"] == pytest.approx(14 / 6, abs=1e-6)
    assert graph["file"]["path"] == str(path)
    assert graph["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert graph["file"]["header"] == ["Source", "Target", "Weight"]
    assert graph["tie_strength"] == "file weights" and not graph["random"]
    # The parameters the file overrides are marked, not passed off as the graph's size.
    assert graph["ignored"] == ["n_consumers", "mean_degree", "rewire_p", "triangle_p", "homophily", "clique_size"]
    assert "graph file" in graph["ignored_reason"] and meta["params"]["n_consumers"] == 2000
    # The user is told what the weights mean, before the runs.
    assert "note: graph 'file:" in result.stderr and "weights used as tie strength" in result.stderr
    assert len(pd.read_csv(out / "timeseries.csv").query("step == 0")) == 2


SWEEP_OF_GRAPHS = """[experiment]
name = "graphs"
steps = 2
replicates = 2
seed = 5
[base]
n_consumers = 40
[sweep.parameters]
network = ["karate", "complete", "file:{path}"]
"""


def test_sweep_json_records_each_graph(tmp_path):
    path = DATA / "pajek_tiny.net"
    exp = tmp_path / "graphs.toml"
    exp.write_text(SWEEP_OF_GRAPHS.format(path=path))
    out = tmp_path / "out"
    ok(run_cli("sweep", exp, "--out", out, "--workers", 1, "--no-progress", "--no-report"))
    graphs = {g["source"]: g for g in json.loads((out / "sweep.json").read_text())["graphs"]}
    everything = ["n_consumers", "mean_degree", "rewire_p", "triangle_p", "homophily", "clique_size"]
    karate, complete, pajek = graphs["karate"], graphs["complete"], graphs[f"file:{path}"]
    assert (karate["nodes"], karate["edges"], karate["ignored"]) == (34, 78, everything)
    assert (complete["nodes"], complete["edges"], complete["components"]) == (40, 780, 1)
    assert complete["ignored"] == everything[1:] and "'complete'" in complete["ignored_reason"]
    assert (pajek["nodes"], pajek["edges"], pajek["ignored"]) == (5, 5, everything)
    assert pajek["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert pajek["file"]["format"] == "Pajek" and all(g["runs"] == 2 for g in graphs.values())


# ----------------------------------------------------------------------------------------
# simulate: replicates, seeds, workers
# ----------------------------------------------------------------------------------------
REP_ARGS = ("simulate", "--set", "n_consumers=300", "--steps", "8", "--replicates", "3", "--no-progress")


@pytest.fixture(scope="module")
def replicate_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("reps")
    runs = {}
    for key, extra in {"w1": ("--seed", "1", "--workers", "1"),
                       "w1_again": ("--seed", "1", "--workers", "1"),
                       "w2": ("--seed", "1", "--workers", "2"),
                       "seed2": ("--seed", "2", "--workers", "1")}.items():
        ok(run_cli(*REP_ARGS, *extra, "--out", root / key))
        runs[key] = root / key
    return runs


def test_replicates_have_distinct_seeds_and_all_rows(replicate_runs):
    out = replicate_runs["w1"]
    ts = pd.read_csv(out / "timeseries.csv")
    summary = pd.read_csv(out / "summary.csv")
    meta = json.loads((out / "run.json").read_text())
    assert len(ts) == 3 * (8 + 1)
    assert ts.groupby("replicate").size().to_dict() == {0: 9, 1: 9, 2: 9}
    assert ts.groupby("replicate")["seed"].nunique().eq(1).all()
    assert ts["seed"].nunique() == 3
    assert len(summary) == 3 and summary["seed"].nunique() == 3 and (summary["step"] == 8).all()
    assert sorted(summary["replicate"]) == [0, 1, 2]
    assert meta["seeds"] == summary.sort_values("replicate")["seed"].tolist()
    assert len(set(meta["seeds"])) == 3 and meta["replicates"] == 3


def test_same_seed_gives_byte_identical_csv(replicate_runs):
    a, b = replicate_runs["w1"], replicate_runs["w1_again"]
    assert (a / "timeseries.csv").read_bytes() == (b / "timeseries.csv").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


def test_other_seed_gives_other_csv(replicate_runs):
    a, c = replicate_runs["w1"], replicate_runs["seed2"]
    assert (a / "timeseries.csv").read_bytes() != (c / "timeseries.csv").read_bytes()
    seeds_a = set(pd.read_csv(a / "summary.csv")["seed"])
    seeds_c = set(pd.read_csv(c / "summary.csv")["seed"])
    assert not seeds_a & seeds_c


def test_number_of_workers_does_not_change_results(replicate_runs):
    a, b = replicate_runs["w1"], replicate_runs["w2"]
    assert (a / "timeseries.csv").read_bytes() == (b / "timeseries.csv").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


# ----------------------------------------------------------------------------------------
# simulate: --params files
# ----------------------------------------------------------------------------------------
def test_params_file_is_read_and_set_overrides_it(tmp_path):
    out = tmp_path / "out"
    ok(run_cli("simulate", "--params", DATA / "cli_params.toml", "--set", "budget=0.5",
               "--set", "n_consumers=200", "--no-progress", "--workers", "1", "--out", out))
    params = json.loads((out / "run.json").read_text())["params"]
    assert params["strategy"] == "hype"      # from the file
    assert params["quality"] == 0.1          # from the file
    assert params["steps"] == 4              # from the file
    assert params["budget"] == 0.5           # --set beats the file (2.0)
    assert params["n_consumers"] == 200      # --set beats the file (300)
    ts = pd.read_csv(out / "timeseries.csv")
    assert (ts["strategy"] == "hype").all() and len(ts) == 4 + 1


def test_params_file_top_level_keys(tmp_path):
    out = tmp_path / "out"
    ok(run_cli("simulate", "--params", DATA / "cli_params_toplevel.toml", "--steps", "2",
               "--no-progress", "--workers", "1", "--out", out))
    params = json.loads((out / "run.json").read_text())["params"]
    assert (params["strategy"], params["n_consumers"], params["honesty"]) == ("broadcast", 250, 0.5)
    assert params["steps"] == 2


# ----------------------------------------------------------------------------------------
# params
# ----------------------------------------------------------------------------------------
def test_params_lists_every_parameter():
    result = ok(run_cli("params"))
    assert not result.stderr
    listed = re.findall(r"^\s+([a-z_]+)\s", result.stdout, flags=re.M)
    assert set(PARAMETERS) <= set(listed)
    for name in PARAMETERS:
        assert re.search(rf"^\s+{name}\s", result.stdout, flags=re.M), name


def _markdown_cells(line: str) -> list[str]:
    """Cells of a Markdown table row; ``\\|`` is a literal pipe inside a cell."""
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def test_params_markdown_lists_every_parameter():
    result = ok(run_cli("params", "--markdown"))
    lines = result.stdout.strip().splitlines()
    assert _markdown_cells(lines[0])[:3] == ["name", "default", "allowed"]
    assert re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", lines[1])
    names = [_markdown_cells(line)[0] for line in lines[2:]]
    assert names == list(PARAMETERS)


def test_params_markdown_rows_have_header_width():
    lines = run_cli("params", "--markdown").stdout.strip().splitlines()
    width = len(_markdown_cells(lines[0]))
    for line in lines[2:]:
        cells = _markdown_cells(line)
        assert len(cells) == width, line
    rows = {(c := _markdown_cells(line))[0]: c for line in lines[2:]}
    assert rows["strategy"][2].replace("\\|", "|").split(" | ") == list(STRATEGIES)


# ----------------------------------------------------------------------------------------
# Bad input: exit 2, one "error:" line, no traceback, nothing written
# ----------------------------------------------------------------------------------------
MIXED = ("--set", "strategy=mixed")
BAD_INPUT = {
    # id: (arguments before --out, substrings the error line must contain)
    # A bad value of one parameter (type, NaN/inf, range, near-miss choice) is tried for each
    # kind of parameter in tests/core/test_param_validation.py; these are the other cases.
    "unknown_key": (("simulate", "--set", "budjet=1"), ["budjet", "'budget'"]),
    "unknown_network": (("simulate", "--set", "network=barabasi"), ["network", "barabasi_albert"]),
    "missing_graph_file": (("simulate", "--set", "network=file:/nonexistent.txt"), ["/nonexistent.txt"]),
    "malformed_edge_list": (("simulate", "--set", f"network=file:{DATA / 'cli_malformed_edges.txt'}"),
                            ["cli_malformed_edges.txt", "line 4"]),
    "one_node_edge_list": (("simulate", "--set", f"network=file:{DATA / 'cli_one_node.txt'}"),
                           ["cli_one_node.txt", "1 node"]),
    "one_node_graphml": (("simulate", "--set", f"network=file:{DATA / 'cli_one_node.graphml'}"),
                         ["cli_one_node.graphml", "1 node"]),
    "prose_graph_file": (("simulate", "--set", f"network=file:{DATA / 'prose.txt'}"),
                         ["prose.txt", "line 1", "4 columns"]),
    "graph_file_four_columns": (("simulate", "--set", f"network=file:{DATA / 'konect_four_columns.txt'}"),
                                ["konect_four_columns.txt", "line 3", "4 columns"]),
    "graph_weight_not_a_number": (("simulate", "--set", f"network=file:{DATA / 'weight_not_a_number.txt'}"),
                                  ["weight_not_a_number.txt", "line 4", "weight 'strong' is not a number"]),
    "graph_file_in_headline": (("headline", "--experiment", DATA / "cli_experiment_prose_graph.toml"),
                               ["prose.txt", "line 1", "4 columns"]),
    "set_without_equals": (("simulate", "--set", "budget"), ["budget", "key=value"]),
    "replicates_zero": (("simulate", "--replicates", "0"), ["--replicates", ">= 1"]),
    "steps_zero": (("simulate", "--steps", "0"), ["--steps", ">= 1"]),
    "shares_over_one": (("simulate", *MIXED, "--set", "dialogue_share=0.8", "--set", "fanpage_share=0.5"),
                        ["dialogue_share", "fanpage_share"]),
    "params_file_malformed": (("simulate", "--params", DATA / "cli_params_malformed.toml"),
                              ["cli_params_malformed.toml"]),
    "params_file_missing": (("simulate", "--params", DATA / "cli_no_such_file.toml"), ["cli_no_such_file.toml"]),
    "params_file_unknown_key": (("simulate", "--params", DATA / "cli_params_unknown_key.toml"),
                                ["cli_params_unknown_key.toml", "budjet", "'budget'"]),
    "unknown_option": (("simulate", "--bogus"), ["--bogus"]),
    "unknown_option_headline": (("headline", "--bogus"), ["--bogus"]),
    "experiment_unknown_key": (("headline", "--experiment", DATA / "cli_experiment_unknown_key.toml"),
                               ["cli_experiment_unknown_key.toml", "stepz", "'steps'"]),
    "experiment_base_unknown_key": (("headline", "--experiment", DATA / "cli_experiment_base_unknown_key.toml"),
                                    ["cli_experiment_base_unknown_key.toml", "n_consumer", "'n_consumers'"]),
    # Not in the listed cases, but the same contract:
    "experiment_section_not_a_table": (("headline", "--experiment", DATA / "cli_experiment_not_a_table.toml"),
                                       ["cli_experiment_not_a_table.toml", "experiment"]),
    # issue 10, item 5: a strict experiment schema (each ran before, with defaults or a string)
    "experiment_without_table": (("headline", "--experiment", DATA / "cli_experiment_without_table.toml"),
                                 ["cli_experiment_without_table.toml", "no [experiment] table", "seed = "]),
    "experiment_without_seed": (("headline", "--experiment", DATA / "cli_experiment_without_seed.toml"),
                                ["cli_experiment_without_seed.toml", "[experiment] seed is missing", "add seed = "]),
    "experiment_string_number": (("headline", "--experiment", DATA / "cli_experiment_string_number.toml"),
                                 ["cli_experiment_string_number.toml", "n_consumers", "is a string",
                                  "n_consumers = 50"]),
    "experiment_seed_in_base": (("headline", "--experiment", DATA / "cli_experiment_seed_in_base.toml"),
                                ["cli_experiment_seed_in_base.toml",
                                 "[base] seed: the seed goes in [experiment] seed"]),
    "experiment_name_is_a_path": (("headline", "--experiment", DATA / "cli_experiment_escape_name.toml"),
                                  ["cli_experiment_escape_name.toml", "name", "../../escape", "results/<name>"]),
    "params_file_string_number": (("simulate", "--params", DATA / "cli_params_string_number.toml"),
                                  ["cli_params_string_number.toml", "n_consumers", "is a string"]),
    # issue 10, item 6: every given value is checked, and two different values are refused
    "set_not_whole_then_option": (("simulate", "--set", "steps=10.5", "--steps", "3"),
                                  ["steps", "10.5", "whole number"]),
    "set_and_option_disagree": (("simulate", "--set", "steps=10", "--steps", "3"),
                                ["steps", "--set steps=10", "--steps 3", "twice"]),
    "set_twice_disagree": (("simulate", "--set", "budget=1", "--set", "budget=2"),
                           ["budget", "--set budget=1", "--set budget=2", "twice"]),
    "set_bad_then_good": (("simulate", "--set", "budget=abc", "--set", "budget=1"), ["budget", "abc"]),
    "option_twice_disagree": (("simulate", "--steps", "3", "--steps", "4"), ["--steps", "3", "4", "twice"]),
    "option_twice_headline": (("headline", "--replicates", "1", "--replicates", "2"), ["--replicates", "twice"]),
    "animate_set_and_option_disagree": (("animate", "--set", "steps=5", "--steps", "2"),
                                        ["--set steps=5", "--steps 2"]),
}
BUGS: dict[str, str] = {}  # known bugs as strict xfails (none open)


def _case(key):
    marks = [pytest.mark.xfail(strict=True, reason=BUGS[key])] if key in BUGS else []
    return pytest.param(*BAD_INPUT[key], marks=marks, id=key)


@pytest.mark.parametrize("out_state", ["fresh", "existing"])
@pytest.mark.parametrize(("args", "expected"), [_case(k) for k in BAD_INPUT])
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, args, expected, out_state):
    out = tmp_path / "out"
    if out_state == "existing":
        out.mkdir()
        (out / "keep.txt").write_text("precious\n")
    before = tree(tmp_path)
    result = run_cli(*args, "--out", out, "--no-progress")
    lines = result.stderr.splitlines()
    assert result.returncode == 2, f"exit {result.returncode}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    for text in expected:
        assert str(text) in lines[0], f"{text!r} not in {lines[0]!r}"
    assert tree(tmp_path) == before
    if out_state == "fresh":
        assert not out.exists()
    else:
        assert sorted(os.listdir(out)) == ["keep.txt"]
        assert (out / "keep.txt").read_text() == "precious\n"


# ----------------------------------------------------------------------------------------
# headline end to end
# ----------------------------------------------------------------------------------------
TINY_EXPERIMENT = """\
# headline.toml in miniature
[experiment]
name = "tiny"
steps = 10
replicates = 2
seed = 2026

[base]
n_consumers = 200
network = "barabasi_albert"
budget = 1.0
reply_cost = 100.0  # replies a brand of 200 can afford in 10 weeks (unused capacity is not spent)

[sweep]
design = "grid"

[sweep.parameters]
scenario = ["launch", "established"]
strategy = ["none", "broadcast", "hype", "fanpage", "dialogue", "mixed"]
"""
SCENARIOS = ("launch", "established")
PER_SCENARIO_FIGURES = ("loyalty", "final", "metrics")


@pytest.fixture(scope="module")
def headline_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("headline")
    exp = root / "tiny.toml"
    exp.write_text(TINY_EXPERIMENT)
    out = root / "out"
    result = ok(run_cli("headline", "--experiment", exp, "--out", out, "--workers", "2"))
    return out, result


def test_headline_prints_one_table_per_scenario(headline_run):
    _, result = headline_run
    lines = result.stdout.splitlines()
    titles = [i for i, line in enumerate(lines) if line.startswith("scenario = ")]
    assert [lines[i].split(":")[0] for i in titles] == [f"scenario = {s}" for s in SCENARIOS]
    for start, end in zip(titles, [*titles[1:], len(lines)]):
        block = lines[start:end]
        header = next(line for line in block if line.startswith("strategy "))
        for column in ("market_share_13w", "scr", "loyal_share", "nps", "nps survey 95 %", "respondents",
                       "trust", "incremental_roi"):
            assert column in header, column
        rows = [line.split()[0] for line in block if line.split() and line.split()[0] in STRATEGIES]
        assert rows[:len(STRATEGIES)] == list(STRATEGIES)
    assert "Launch: the focal brand is new" in result.stdout and "Established brand: all 3 brands" in result.stdout


def test_headline_writes_all_outputs(headline_run):
    out, _ = headline_run
    names = ["timeseries.csv", "summary.csv", "run.json", "report.md", "report.html", "headline.md",
             "incremental_roi.png", *(f"{f}_{s}.png" for f in PER_SCENARIO_FIGURES for s in SCENARIOS)]
    for name in names:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not (out / "loyalty.png").exists()  # strategies are never pooled across scenarios
    ts = pd.read_csv(out / "timeseries.csv")
    assert len(ts) == len(SCENARIOS) * len(STRATEGIES) * 2 * (10 + 1)
    assert set(ts["strategy"]) == set(STRATEGIES) and set(ts["scenario"]) == set(SCENARIOS)
    meta = json.loads((out / "run.json").read_text())
    assert meta["experiment"]["steps"] == 10 and meta["experiment"]["replicates"] == 2
    assert "mesa" in meta["versions"] and "numpy" in meta["versions"] and "git_commit" in meta
    # parameters per scenario and strategy
    assert sorted(meta["params"]) == sorted(SCENARIOS)
    for scenario in SCENARIOS:
        assert sorted(meta["params"][scenario]) == sorted(STRATEGIES)
        for strategy, params in meta["params"][scenario].items():
            assert (params["scenario"], params["strategy"]) == (scenario, strategy)
    [graph] = meta["graphs"]  # one generator setting for all 24 runs, measured on the first seed
    assert (graph["nodes"], graph["edges"], graph["runs"]) == (200, 3 * 197, 24)
    assert graph["seed"] == meta["runs"][0]["seed"]


def test_headline_summary_incremental_roi(headline_run):
    out, _ = headline_run
    summary = pd.read_csv(out / "summary.csv")
    assert {"incremental_roi", "market_share_13w"} <= set(summary.columns)
    assert len(summary) == len(SCENARIOS) * len(STRATEGIES) * 2
    roi = summary.set_index("strategy")["incremental_roi"]
    assert roi.loc["none"].isna().all()
    others = summary[summary["strategy"] != "none"]
    # defined for every run that spent something (a dialogue brand nobody posts about, as at a
    # launch, answers nothing and spends nothing: its ROI is undefined)
    spent = others["spend"] > 0
    assert len(others) == 20 and spent.sum() >= 16
    assert all(math.isfinite(x) for x in others.loc[spent, "incremental_roi"])
    assert others.loc[~spent, "incremental_roi"].isna().all()
    # common random numbers: every strategy and scenario of a replicate has the same seed ...
    assert summary.groupby("replicate")["seed"].nunique().eq(1).all()
    assert summary["seed"].nunique() == 2
    # ... and the ROI pairs with the `none` run of the same scenario, not the other one
    none = summary[summary["strategy"] == "none"].set_index(["scenario", "seed"])["profit"]
    expected = (others["profit"] - [none.loc[(sc, sd)] for sc, sd in zip(others["scenario"], others["seed"])]) \
        / others["spend"].where(spent)
    assert np.allclose(others["incremental_roi"], expected, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_headline_report_shows_both_scenarios(headline_run):
    out, _ = headline_run
    report = (out / "report.md").read_text()
    for name in (f"{f}_{s}.png" for f in PER_SCENARIO_FIGURES for s in SCENARIOS):
        assert f"]({name})" in report, name
    assert "### scenario = launch" in report and "### scenario = established" in report
    assert report.index("### scenario = launch") < report.index("### scenario = established")
    for strategy in STRATEGIES:
        assert report.count(f"| {strategy} |") >= 2, strategy
    assert (out / "headline.md").read_text().strip() in report


@pytest.mark.parametrize("name", [f"{f}_{s}.png" for f in PER_SCENARIO_FIGURES for s in SCENARIOS])
def test_headline_pngs_are_real_images(headline_run, name):
    out, _ = headline_run
    assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(out / name)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    rgb = np.round(img[..., :3] * 255).astype(np.uint32)  # PNGs load as floats in 0..1
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    distinct = len(np.unique(packed))
    assert distinct > 50, f"{name}: only {distinct} distinct colours"
    assert (packed != packed.flat[0]).mean() > 0.01, f"{name}: almost all one colour"


# ----------------------------------------------------------------------------------------
# animate and viz
# ----------------------------------------------------------------------------------------
def test_animate_writes_a_gif_and_its_provenance(tmp_path):
    out = tmp_path / "anim" / "spread.gif"
    result = ok(run_cli("animate", "--set", "n_consumers=60", "--steps", "2", "--fps", "4",
                        "--seed", "1", "--out", out, "--no-progress"))
    assert str(out) in result.stdout
    with Image.open(out) as im:
        assert im.n_frames == 3  # weeks 0..2
    meta = json.loads(Path(str(out) + ".json").read_text())
    assert meta["seed"] == 1 and meta["frames"] == 3 and meta["params"]["n_consumers"] == 60


@pytest.mark.parametrize(("args", "expected"), [
    (("animate", "--steps", "2", "--no-progress", "--out", "a.avi"), ["a.avi", ".gif"]),
    (("animate", "--fps", "0", "--out", "a.gif"), ["--fps"]),
    (("viz", "--port", "70000"), ["--port", "1 .. 65535"]),
], ids=["animate_unknown_format", "animate_fps_zero", "viz_bad_port"])
def test_animate_and_viz_bad_input_is_one_error_line(tmp_path, args, expected):
    args = [str(tmp_path / a) if a.endswith((".avi", ".gif")) else a for a in args]
    result = run_cli(*args)
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), describe(result)
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------
# build progress: slow build stages are shown on stderr, quick ones and workers stay quiet
# ----------------------------------------------------------------------------------------
STAGE_WORDS = ("building graph", "tie strengths", "initial state", "agents (")


def test_a_slow_build_stage_is_shown_on_stderr(tmp_path, monkeypatch, capsys):
    import time

    import simulation.core.inputs as inputs
    from simulation.cli import main

    real = inputs.to_adjacency

    def slow(*args, **kwargs):
        time.sleep(1.6)  # longer than the printer's 1 s
        return real(*args, **kwargs)

    monkeypatch.setattr(inputs, "to_adjacency", slow)
    code = main(["simulate", "--set", "n_consumers=100", "--steps", "1", "--workers", "1",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert re.search(r"tie strengths \(\d+ ties\)\.\.\.", err), err
    assert re.search(r"tie strengths \(\d+ ties\): 1\.\d s", err), err
    assert "building graph" not in err  # the quick stages print nothing


def test_the_stage_printer_shows_slow_stages_only_in_order():
    import io
    import time

    from simulation.cli import StagePrinter

    buf = io.StringIO()
    printer = StagePrinter(after=0.1, stream=buf)
    printer("quick", None)
    printer("quick", 0.01)
    printer("slow", None)
    time.sleep(0.5)
    printer("slow", 0.5)
    printer("quick again", None)
    printer("quick again", 0.0)
    assert buf.getvalue() == "  slow...\n  slow: 0.5 s\n"


def test_a_small_run_prints_no_build_stage(tmp_path):
    result = ok(run_cli("simulate", "--set", "n_consumers=200", "--steps", "2", "--workers", "1",
                        "--out", tmp_path / "out"))
    assert not [w for w in STAGE_WORDS if w in result.stderr], result.stderr


_WORKER_PROBE = """
import sys
from simulation.core.progress import listening
from simulation.research.executors import run_tasks
from simulation.research.tasks import Task
tasks = [Task({"n_consumers": 50, "steps": 1}, seed) for seed in (1, 2)]
with listening(lambda stage, seconds: print("STAGE", stage, file=sys.stderr, flush=True)):
    run_tasks(tasks, workers=int(sys.argv[1]), progress=False)
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_build_stages_are_heard_in_this_process_only(workers):
    """Workers start without the listener: models built there announce nothing."""
    import subprocess
    import sys

    from conftest import REPO

    result = subprocess.run([sys.executable, "-c", _WORKER_PROBE, str(workers)], cwd=REPO,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, describe(result)
    stages = [line for line in result.stderr.splitlines() if line.startswith("STAGE")]
    # graph, tie strengths, initial state (the Mesa agents are made only when asked for)
    assert len(stages) == (2 * 2 * 3 if workers == 1 else 0), result.stderr


@pytest.mark.slow
@needs_proc
def test_sigterm_of_simulate_is_exit_143_with_one_line_and_nothing_left(tmp_path):
    """SIGTERM to the driver while its workers run: stopped like Ctrl-C (one line, nothing
    written), exit 128 + 15, and no worker or forkserver left behind."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "run.py", "simulate", "--replicates", "200", "--set",
                             "n_consumers=5000", "--workers", "2", "--no-progress", "--out", str(out)],
                            cwd=REPO, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while sum("forkserver" in p for p in session_processes(proc.pid)) < 3:  # the server, 2 workers
            assert proc.poll() is None and time.monotonic() < deadline, "no workers started"
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        survivors = wait_until_session_ends(proc, timeout=10)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 143, f"exit {proc.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    assert stderr.splitlines() == ["interrupted (SIGTERM): nothing more was written; run the same "
                                   "command again to start over"]
    assert survivors == [] and not out.exists()


# The output location is checked before anything runs (issue 10, item 7)
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulate_dir(tmp_path_factory):
    """A small simulate output folder (input of report)."""
    out = tmp_path_factory.mktemp("sim") / "out"
    ok(run_cli("simulate", "--set", "n_consumers=50", "--steps", "2", "--workers", "1", "--no-progress",
               "--out", out))
    return out


def _writing_commands(simulate_dir):
    """Every command that writes, with the arguments it needs before ``--out``."""
    return {
        "simulate": ("simulate", "--set", "n_consumers=50", "--steps", "2", "--no-progress"),
        "headline": ("headline", "--experiment", DATA / "sweep_tiny.toml", "--no-progress"),
        "sweep": ("sweep", DATA / "sweep_tiny.toml", "--no-progress"),
        "sensitivity": ("sensitivity", DATA / "sweep_sobol.toml", "--no-progress"),
        "export": ("export", simulate_dir),
        "report": ("report", simulate_dir, "--no-network"),
        "animate": ("animate", "--set", "n_consumers=50", "--steps", "2", "--no-progress"),
        "validate": ("validate", "--quick", "--no-progress"),
        "facts": ("facts", simulate_dir, "--no-progress"),
        "calibrate": ("calibrate", "--check", "--quick", "--no-progress"),
        "robustness": ("robustness", "--quick", "--no-progress"),
    }


COMMANDS_THAT_WRITE = ["simulate", "headline", "sweep", "sensitivity", "export", "report", "animate",
                       "validate", "facts", "calibrate", "robustness"]


@pytest.mark.parametrize("where", ["existing_file", "under_a_file"])
@pytest.mark.parametrize("command", COMMANDS_THAT_WRITE)
def test_output_location_is_checked_before_running(tmp_path, simulate_dir, command, where, capsys):
    """--out at an existing file or below one: one error line, exit 2, nothing run or
    written (before: FileExistsError / NotADirectoryError tracebacks, for simulate and
    headline after every run had finished)."""
    blocker = tmp_path / ("out.gif" if command == "animate" else "out")
    blocker.write_text("a file, not a folder\n")
    out = blocker if where == "existing_file" and command != "animate" else blocker / "sub.gif"
    if command == "animate" and where == "existing_file":
        out = tmp_path  # animate writes a file: an existing folder is the wrong kind
    before, data_before = tree(tmp_path), tree(simulate_dir)
    from simulation import cli  # in this process (fast): the check comes before any run

    code = cli.main([str(a) for a in (*_writing_commands(simulate_dir)[command], "--out", out)])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--out" in lines[0], captured
    assert str(out) in lines[0] and ("is a" in lines[0] or "cannot be created" in lines[0]), lines[0]
    assert not captured.out.strip(), captured  # nothing ran: no table, no "wrote"
    assert tree(tmp_path) == before and tree(simulate_dir) == data_before


def test_unwritable_output_folder_is_refused_before_running(tmp_path, monkeypatch, capsys):
    """A folder without write permission (os.access mocked: the tests run as root, for whom
    permission bits do not stop writes): one error line, exit 2, no run."""
    from simulation import cli
    from simulation.research import executors

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked and mode & os.W_OK
                        else real_access(p, mode, **kw))
    monkeypatch.setattr(executors, "run_tasks", lambda *a, **k: pytest.fail("ran before checking --out"))
    code = cli.main(["simulate", "--steps", "2", "--no-progress", "--out", str(locked / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and err.startswith("error: --out")
    assert "not writable" in err and str(locked) in err
    assert list(locked.iterdir()) == []


def _chattr(flag: str, path: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


def test_immutable_output_folder_is_refused_before_running(tmp_path):
    """A really unwritable folder (``chattr +i``: even root cannot create files in it)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    if not _chattr("+i", locked):
        pytest.skip("chattr +i is not available here")
    try:
        result = run_cli("simulate", "--steps", "2", "--no-progress", "--out", locked / "run")
        assert result.returncode == 2, describe(result)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "not writable" in lines[0] and str(locked) in lines[0], describe(result)
    finally:
        _chattr("-i", locked)
    assert list(locked.iterdir()) == []


# ----------------------------------------------------------------------------------------
# large runs (issue 14): the vectorised graph, the lazy Mesa view, run.json without a rebuild
# ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_simulate_200k_consumers_end_to_end(tmp_path):
    """The reduced form of the 1M benchmark (benchmarks/profile_cli.py) that CI runs: the
    real command at 200,000 consumers x 10 weeks, on the vectorised generator's graph."""
    out = tmp_path / "out"
    ok(run_cli("simulate", "--set", "n_consumers=200000", "--steps", 10, "--out", out, "--no-progress",
               timeout=600))
    meta = json.loads((out / "run.json").read_text())
    [graph] = meta["graphs"]
    # Measured on the run's own graph (its CSR), not rebuilt: BA with m = 3, one component.
    assert (graph["source"], graph["nodes"], graph["edges"], graph["components"]) == (
        "barabasi_albert", 200_000, 3 * (200_000 - 3), 1)
    assert graph["seed"] == meta["seeds"][0] and graph["runs"] == 1 and "measured" not in graph
    ts = pd.read_csv(out / "timeseries.csv")
    summary = pd.read_csv(out / "summary.csv")
    assert ts["step"].tolist() == list(range(11)) and len(summary) == 1
    assert 0 < ts["awareness"].iloc[-1] <= 1 and ts["awareness"].is_monotonic_increasing is not None


def test_a_large_generated_graph_is_checked_not_built_before_the_runs(monkeypatch):
    import simulation.research.provenance as provenance
    from simulation.research.tasks import Task

    def no_build(*args, **kwargs):
        raise AssertionError("graphs_used built a large generated graph")

    monkeypatch.setattr(provenance, "build_graph", no_build)
    tasks = [Task({"n_consumers": 1_000_000}, 5, {}), Task({"n_consumers": 1_000_000}, 6, {})]
    [entry] = provenance.graphs_used(tasks)
    counts = (entry["nodes"], entry["edges"], entry["components"], entry["measured"])
    assert counts == (1_000_000, 3 * 999_997, 1, False)
    assert (entry["seed"], entry["runs"]) == (5, 2)
    [ws] = provenance.graphs_used([Task({"n_consumers": 100_000, "network": "erdos_renyi"}, 1, {})])
    assert ws["edges"] is None and ws["components"] is None
    # (At 100,000 consumers every allowed mean_degree <= 1000 can be built; the setting is
    # still checked by generator_setting, and small graphs are built as before.)
