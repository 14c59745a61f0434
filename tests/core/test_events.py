"""Events (docs/ODD.md 7.12): the specification, its validation, the mechanisms in the engine,
and their way through the sweep into the stored parameters. The reference's agreement is
in tests/core/test_reference.py (the "events" case and the "purchases_events" setting);
recovery metrics in tests/research/test_recovery.py."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from simulation.core.events import Event, make_event, parse_event
from simulation.core.model import WordOfMouthModel
from simulation.core.params import Params
from simulation.core.processes import PublicRecord, experienced_qualities, reactance_threshold, scandal_trust_shock
from simulation.core.state import ConsumerState
from simulation.errors import ParameterError
from simulation.research.experiment import load_experiment
from simulation.research.store import load
from simulation.research.sweep import run_sweep

from conftest import run_cli

SCANDAL = {"step": 3, "kind": "scandal", "brand": 0, "size": 0.2, "duration": 2}
DEFECT = {"step": 4, "kind": "defect", "brand": 1, "size": 0.5, "duration": 3}
SMALL = {"n_consumers": 300, "steps": 10}


# --- specification and validation ------------------------------------------------------------
def test_parse_event_and_defaults():
    assert parse_event("step=52,kind=scandal,brand=1,size=0.05,duration=4") == Event(52, "scandal", 1, 0.05, 4)
    assert parse_event(" step = 3 , kind = defect , size = 1 ") == Event(3, "defect", 0, 1.0, 1)
    assert make_event(SCANDAL).to_dict() == SCANDAL


@pytest.mark.parametrize(("fields", "says"), [
    ({**SCANDAL, "sise": 1}, "unknown event field 'sise' (did you mean 'size'?)"),
    ({**SCANDAL, "kind": "scandel"}, "allowed defect | scandal (did you mean 'scandal'?)"),
    ({**SCANDAL, "kind": 3}, "event field 'kind' = 3 is not allowed: allowed defect | scandal"),
    ({k: v for k, v in SCANDAL.items() if k != "step"}, "event field 'step' is missing"),
    ({k: v for k, v in SCANDAL.items() if k != "size"}, "event field 'size' is missing"),
    ({**SCANDAL, "step": -1}, "event field 'step' = -1 is out of range: allowed 0 .. 100000"),
    ({**SCANDAL, "step": 2.5}, "event field 'step' = 2.5 is not a whole number"),
    ({**SCANDAL, "step": True}, "is a boolean"),
    ({**SCANDAL, "step": "soon"}, "event field 'step' = 'soon' is not a number"),
    ({**SCANDAL, "size": 0.0}, "event field 'size' = 0.0 is out of range for a scandal: allowed 0 (excluded) .. 1"),
    ({**SCANDAL, "size": 1.5}, "out of range for a scandal"),
    ({**DEFECT, "size": 2.5}, "out of range for a defect: allowed 0 (excluded) .. 2 (quality units)"),
    ({**SCANDAL, "size": float("nan")}, "is not a finite number"),
    ({**SCANDAL, "duration": 0}, "event field 'duration' = 0 is out of range: allowed 1 .. 100000 weeks"),
    ({**SCANDAL, "brand": -1}, "event field 'brand' = -1 is out of range"),
    ({**SCANDAL, "brand": 3}, "event field 'brand' = 3 is out of range: allowed 0 .. 2 (n_brands = 3)"),
])
def test_invalid_event_is_one_line_error_naming_the_field(fields, says):
    with pytest.raises(ParameterError) as info:
        Params(events=[fields])
    assert says in str(info.value) and "\n" not in str(info.value)


def test_brand_must_exist_in_the_market():
    assert Params(n_brands=4, events=[{**SCANDAL, "brand": 3}]).events[0].brand == 3
    with pytest.raises(ParameterError, match=r"allowed 0 \.\. 0 \(n_brands = 1\)"):
        Params(n_brands=1, events=[DEFECT])


def test_command_line_value_needs_key_value_pairs():
    with pytest.raises(ParameterError, match="is not of the form key=value"):
        parse_event("step=3,scandal")
    with pytest.raises(ParameterError, match="field 'step' given twice"):
        parse_event("step=3,step=4,kind=defect,size=1")


def test_params_without_events_are_unchanged():
    p = Params()
    assert p.events == () and "events" not in p and "events" not in p.to_dict() and "events" not in p.differing()


def test_events_are_in_the_parameters_sorted_and_survive_pickle_and_json():
    p = Params(events=[DEFECT, SCANDAL])
    assert [e.step for e in p.events] == [3, 4]
    assert p.to_dict()["events"] == [SCANDAL, DEFECT] == p.differing()["events"]
    assert pickle.loads(pickle.dumps(p)).events == p.events
    assert Params(**json.loads(json.dumps(p.to_dict()))).events == p.events
    assert p.replace(budget=2.0).events == p.events


def test_params_file_with_events_table(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[params]\nn_consumers = 200\n[[events]]\nstep = 2\nkind = "defect"\nsize = 0.4\n')
    assert Params.from_toml(path).events == (Event(2, "defect", 0, 0.4, 1),)
    path.write_text('n_consumers = 200\n[[events]]\nstep = 2\nkind = "defct"\nsize = 0.4\n')
    with pytest.raises(ParameterError, match=r"p\.toml: event field 'kind' .*did you mean 'defect'"):
        Params.from_toml(path)


EXPERIMENT = """\
[experiment]
name = "ev"
steps = 8
replicates = 2
seed = 5

[base]
n_consumers = 150

[sweep.parameters]
strategy = ["dialogue", "broadcast"]

[[events]]
step = 6
kind = "defect"
size = 0.3

[sweep.events]
calm = []
scandal = [{ step = 4, kind = "scandal", size = 0.1, duration = 2 }]
"""


def test_experiment_events_reach_every_task_and_share_seeds(tmp_path):
    path = tmp_path / "ev.toml"
    path.write_text(EXPERIMENT)
    exp = load_experiment(path, events=[parse_event("step=7,kind=scandal,brand=2,size=0.5")])
    tasks = exp.tasks()
    assert len(tasks) == 2 * 2 * 2
    for task in tasks:
        kinds = [(e["step"], e["kind"]) for e in task.params["events"]]
        expected = [(4, "scandal")] if task.labels["events"] == "scandal" else []
        assert kinds == sorted([*expected, (6, "defect"), (7, "scandal")])
    seeds = {(t.labels["events"], t.labels["strategy"], t.replicate): t.seed for t in tasks}
    assert seeds["calm", "dialogue", 0] == seeds["scandal", "dialogue", 0] != seeds["calm", "dialogue", 1]
    assert len({t.run_id for t in tasks}) == len(tasks)
    again = type(exp).from_definition(json.loads(json.dumps(exp.definition())))
    assert [t.params for t in again.tasks()] == [t.params for t in tasks]


@pytest.mark.parametrize(("text", "says"), [
    ("[sweep.events]\nx = [{ step = 1, kind = \"scandal\", size = 0.1, duraton = 2 }]\n",
     "unknown event field 'duraton' in [sweep.events] x (did you mean 'duration'?)"),
    ("[sweep.events]\nx = 3\n", "[sweep.events] x must be a list of event tables"),
    ("[[events]]\nstep = 1\nkind = \"defect\"\nsize = 0.1\nbrand = 5\n",
     "event field 'brand' = 5 is out of range: allowed 0 .. 2 (n_brands = 3)"),
    ("[base]\nevents = 3\n", "[base] events: events go in [[events]] tables"),
])
def test_experiment_event_errors_name_the_file_and_the_table(tmp_path, text, says):
    path = tmp_path / "bad.toml"
    path.write_text('[experiment]\nname = "b"\nsteps = 4\nreplicates = 1\nseed = 1\n' + text)
    with pytest.raises(ParameterError) as info:
        load_experiment(path)
    assert str(info.value).startswith(str(path)) and says in str(info.value), str(info.value)


def test_events_survive_the_sweep_into_the_stored_parameters(tmp_path):
    path = tmp_path / "ev.toml"
    path.write_text(EXPERIMENT)
    result = run_sweep(load_experiment(path), tmp_path / "out", workers=2, progress=False)
    assert result.failed == 0 and result.done == 8
    runs = load(tmp_path / "out")["runs"]
    for row in runs.itertuples():
        events = json.loads(row.params)["events"]
        assert {"step": 6, "kind": "defect", "brand": 0, "size": 0.3, "duration": 1} in events
        assert any(e["kind"] == "scandal" for e in events) == (row.events == "scandal")
    finals = load(tmp_path / "out")["finals"]
    assert set(finals["events"]) == {"calm", "scandal"}


def test_command_line_event_errors_exit_2(tmp_path):
    out = tmp_path / "o"
    r = run_cli("simulate", "--event", "step=2,kind=scandal,size=2", "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "error: event field 'size' in --event = 2.0 is out of range for a scandal" in r.stderr
    r = run_cli("simulate", "--event", "step=2,kid=scandal", "--out", str(out))
    assert r.returncode == 2 and "(did you mean 'kind'?)" in r.stderr
    r = run_cli("sweep", "tests/data/cli_experiment_unknown_key.toml", "--event", "step=1,kind=defect,size=1,brand=9")
    assert r.returncode == 2


def test_command_line_event_reaches_the_run(tmp_path):
    out = tmp_path / "o"
    r = run_cli("simulate", "--set", "n_consumers=150", "--steps", "6", "--no-progress", "--out", str(out),
                "--event", "step=2,kind=scandal,size=0.3,duration=2", "--event", "step=1,kind=defect,size=0.2")
    assert r.returncode == 0, r.stderr
    run = json.loads((out / "run.json").read_text())
    assert [e["kind"] for e in run["params"]["events"]] == ["defect", "scandal"]
    assert run["changed"]["events"] == run["params"]["events"]


# --- mechanisms --------------------------------------------------------------------------------
def test_defect_lowers_experienced_quality_exactly_for_its_weeks():
    p = Params(**SMALL, n_brands=1, scenario="established", quality=0.3, quality_noise=0.0, purchase_freq=1.0,
               events=[{"step": 4, "kind": "defect", "size": 0.5, "duration": 3}])
    model = WordOfMouthModel(p, rng=3)
    seen = {}
    for _ in range(9):
        model.step()
        x = model.state.experience[model.state.bought]
        assert len(x) > 0
        seen[model.steps] = set(np.round(x, 12).tolist())
    for week, values in seen.items():
        assert values == ({-0.2} if 4 <= week < 7 else {0.3}), week
    base = np.array([0.3, 0.1])
    assert experienced_qualities(base, p, 3) is base  # no copy when nothing is active
    low = Params(events=[{"step": 0, "kind": "defect", "size": 2.0}, {"step": 0, "kind": "defect", "size": 1.0}])
    assert experienced_qualities(np.array([0.3, 0.3, 0.3]), low, 0).tolist() == [-1.0, 0.3, 0.3]


def test_scandal_puts_negative_posts_on_the_record_and_costs_readers_trust():
    params = {**SMALL, "scenario": "established", "strategy": "none"}
    calm = WordOfMouthModel(params, rng=7)
    hit = WordOfMouthModel({**params, "events": [{**SCANDAL, "size": 0.3}]}, rng=7)
    calm.run(2)
    hit.run(2)
    np.testing.assert_array_equal(calm.state.trust, hit.state.trust)  # nothing before the event
    hit.step()  # week 3: the scandal's posts
    rec = hit.record
    mine = rec.scandal[:rec.size]
    online = hit.state.online.sum()
    assert 0.15 * online < mine.sum() < 0.45 * online
    assert (rec.sentiment[:rec.size][mine] == -hit.params.scandal_sentiment).all()
    assert (rec.brand[:rec.size][mine] == 0).all()
    assert not rec.scandal[:rec.size][rec.step[:rec.size] != 3].any()
    hit.run(3)
    calm.run(4)
    assert hit.state.trust[:, 0].mean() < calm.state.trust[:, 0].mean() - 0.02
    assert hit.timeseries()["trust"].iloc[-1] < calm.timeseries()["trust"].iloc[-1]


def test_scandal_trust_shock_per_read_post():
    p = Params(n_brands=2, scandal_trust_hit=0.1, resolved_damping=0.5)
    state = ConsumerState.initial(np.zeros(3, dtype=np.int8), p, np.array([0.3, 0.3]), np.random.default_rng(0))
    state.trust[:] = 0.5
    record = PublicRecord(10)
    record.append(np.array([0, 1]), np.array([-0.8, -0.8]), np.zeros(2), 1, 0, scandal=True)
    record.append(np.array([2]), np.array([-0.5]), np.zeros(1), 1, 1)
    record.resolved[1] = True
    # reader 0 reads slot 0 twice and slot 1 once (about brand 0), reader 2 reads slot 2 (not a scandal)
    key = np.array([0, 0, 0, 4])
    post = np.array([0, 0, 1, 2])
    scandal_trust_shock(state, record, key, post, p)
    assert state.trust[0, 0] == pytest.approx(0.5 * 0.9 ** 2 * (1 - 0.1 * 0.5), abs=1e-15)
    assert state.trust[0, 1] == 0.5 and (state.trust[1:] == 0.5).all()


def test_reactance_threshold_is_lower_only_for_the_brand_in_scandal_while_it_lasts():
    p = Params(reactance_threshold=8.0, scandal_reactance=0.5, events=[SCANDAL])
    assert [reactance_threshold(p, 0, t) for t in (2, 3, 4, 5)] == [8.0, 4.0, 4.0, 8.0]
    assert reactance_threshold(p, 1, 3) == 8.0


def test_broadcast_meets_more_reactance_during_a_scandal():
    """The broadcaster keeps advertising: with a lower threshold, more noticed exposures are
    reactant, so trust in the brand falls further than the scandal's posts alone do (same seed,
    no reading: post_reach = 0 leaves the ads as the only difference)."""
    base = {**SMALL, "strategy": "broadcast", "budget": 8.0, "post_reach": 0.0, "steps": 6}
    runs = {}
    for factor in (1.0, 0.25):
        model = WordOfMouthModel({**base, "scandal_reactance": factor,
                                  "events": [{**SCANDAL, "duration": 3}]}, rng=11)
        model.run()
        runs[factor] = model.state.trust[:, 0].mean()
    assert runs[0.25] < runs[1.0] - 0.01


def test_no_event_no_draw_and_identical_until_the_event():
    late = WordOfMouthModel({**SMALL, "events": [{**SCANDAL, "step": 50}, {**DEFECT, "step": 50}]}, rng=2)
    plain = WordOfMouthModel(SMALL, rng=2)
    late.run()
    plain.run()
    assert late.timeseries().equals(plain.timeseries())
    assert late.rng.random() == plain.rng.random()
