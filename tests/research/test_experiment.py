"""Experiment files: the strict schema (issue 10, item 5) and Experiment.from_definition as
the inverse of Experiment.definition (a sweep's report rebuilds its experiment from sweep.json).

The schema: ``[experiment]`` is required with all of name, steps, replicates and seed (no
surprising default: a missing seed is not 0); values have the TOML type their declaration
asks for (``n_consumers = "200"`` is refused, although ``--set n_consumers=200`` is parsed);
the name is a plain file name (it names ``results/<name>``); a key in the wrong table says
where it belongs.
"""

from __future__ import annotations

import json

import pytest

from simulation.errors import ParameterError
from simulation.research.experiment import Experiment, load_experiment

from conftest import REPO

RANGED = """
[experiment]
name = "roundtrip"
steps = 5
replicates = 3
seed = 11
[base]
n_consumers = 80
[sweep]
design = "lhs"
samples = 4
baseline = true
[sweep.parameters]
strategy = ["hype", "dialogue"]
budget = { min = 0.5, max = 2.0 }
"""


@pytest.mark.parametrize("text", [RANGED, "[experiment]\nname = 'plain'\nsteps = 3\nreplicates = 1\nseed = 0\n"])
def test_from_definition_inverts_definition(tmp_path, text):
    f = tmp_path / "e.toml"
    f.write_text(text)
    exp = load_experiment(f)
    back = Experiment.from_definition(json.loads(json.dumps(exp.definition())), path=str(f))
    assert back == exp  # frozen dataclass: every field equal, ranges back as tuples
    assert [t.seed for t in back.tasks()] == [t.seed for t in exp.tasks()]
    assert Experiment.from_definition(exp.definition()).path == ""


# ----------------------------------------------------------------------------------------
# the strict schema
# ----------------------------------------------------------------------------------------
HEAD = {"name": '"strict"', "steps": "3", "replicates": "2", "seed": "7"}
EXPERIMENT_KEYS = tuple(HEAD)  # every key of [experiment] is required


def experiment_text(experiment=None, extra: str = "", drop: str = "") -> str:
    keys = {**HEAD, **(experiment or {})}
    lines = [f"{k} = {v}" for k, v in keys.items() if k != drop]
    return "[experiment]\n" + "\n".join(lines) + "\n[base]\nn_consumers = 50\n" + extra


def refused(tmp_path, text: str, *parts: str) -> str:
    f = tmp_path / "e.toml"
    f.write_text(text)
    with pytest.raises(ParameterError) as info:
        load_experiment(f)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(f)), message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def test_a_complete_file_loads(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text(experiment_text())
    exp = load_experiment(f)
    assert (exp.name, exp.steps, exp.replicates, exp.seed) == ("strict", 3, 2, 7)


def test_the_experiment_table_is_required(tmp_path):
    message = refused(tmp_path, "[base]\nn_consumers = 50\n", "no [experiment] table")
    for key in EXPERIMENT_KEYS:
        assert f"{key} = " in message  # says what to add


@pytest.mark.parametrize("key", EXPERIMENT_KEYS)
def test_every_experiment_key_is_required(tmp_path, key):
    refused(tmp_path, experiment_text(drop=key), f"[experiment] {key} is missing", f"add {key} = ")


def test_a_missing_seed_is_not_zero(tmp_path):
    refused(tmp_path, experiment_text(drop="seed"), "not taken as 0")


@pytest.mark.parametrize("text, parts", [
    (experiment_text(extra='budget = "1.5"\n'), ["budget", "in [base]", "is a string", "without quotes: budget = 1.5"]),
    (experiment_text().replace("n_consumers = 50", 'n_consumers = "200"'), ["n_consumers", "is a string"]),
    (experiment_text().replace("n_consumers = 50", "n_consumers = 200.0"),
     ["n_consumers", "decimal point", "whole number"]),
    (experiment_text(extra="strategy = 3\n"), ["strategy", "is a number", "expected a string"]),
    (experiment_text(extra='[sweep.parameters]\nn_consumers = [100, "200"]\n'),
     ["n_consumers", "in [sweep.parameters]", "is a string"]),
    (experiment_text({"steps": '"3"'}), ["[experiment] steps", "whole number"]),
    (experiment_text({"seed": "1.0"}), ["[experiment] seed", "whole number"]),
    (experiment_text({"replicates": "true"}), ["[experiment] replicates", "whole number"]),
], ids=["string_for_float", "string_for_int", "float_for_int", "number_for_string", "string_in_grid",
        "string_steps", "float_seed", "bool_replicates"])
def test_values_have_the_toml_type_of_their_declaration(tmp_path, text, parts):
    refused(tmp_path, text, *parts)


def test_integers_are_numbers(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text(experiment_text(extra="budget = 2\n"))
    assert load_experiment(f).tasks()[0].params["budget"] == 2.0


@pytest.mark.parametrize("name", ["../../escape", "a/b", "/abs", ".hidden", "..", "", "a b", "a\\\\b", "x" * 101, 5])
def test_the_name_is_a_plain_file_name(tmp_path, name):
    value = f'"{name}"' if isinstance(name, str) else str(name)
    refused(tmp_path, experiment_text({"name": value}), "[experiment] name", "results/<name>")


def test_a_path_name_suggests_a_plain_one(tmp_path):
    refused(tmp_path, experiment_text({"name": '"../../escape"'}), 'e.g. name = "escape"')


@pytest.mark.parametrize("name", ["budget_split", "run-2.b", "A1", "-x", "x" * 100])
def test_plain_names_are_accepted(tmp_path, name):
    f = tmp_path / "e.toml"
    f.write_text(experiment_text({"name": f'"{name}"'}))
    assert load_experiment(f).name == name


MISPLACED = [
    # (where the key is, the key, value, what the message must say)
    ("base", "seed", "3", "[base] seed: the seed goes in [experiment] seed"),
    ("base", "replicates", "3", "[base] replicates: the number of replicates goes in [experiment] replicates"),
    ("base", "name", '"x"', "[base] name: the experiment's name goes in [experiment] name"),
    ("base", "steps", "3", "[base] steps: the number of weeks goes in [experiment] steps"),
    ("base", "design", '"lhs"', "[base] design: the design goes in [sweep] design"),
    ("base", "samples", "8", "[base] samples: the number of samples goes in [sweep] samples"),
    ("sweep", "seed", "3", "[sweep] seed: the seed goes in [experiment] seed"),
    ("sweep", "replicates", "3", "[sweep] replicates: the number of replicates goes in [experiment] replicates"),
    ("sweep", "strategy", '["none"]', "[sweep] strategy is a model parameter: it goes in [base]"),
    ("sweep.parameters", "seed", "[1, 2]", "[sweep.parameters] seed: the seed goes in [experiment] seed"),
    ("sweep.parameters", "design", '["lhs"]', "[sweep.parameters] design: the design goes in [sweep] design"),
    ("experiment", "design", '"lhs"', "[experiment] design: the design goes in [sweep] design"),
    ("experiment", "samples", "8", "[experiment] samples: the number of samples goes in [sweep] samples"),
    ("experiment", "budget", "2", "[experiment] budget is a model parameter: it goes in [base]"),
    ("top", "seed", "3", "top-level key seed: the seed goes in [experiment] seed"),
    ("top", "n_consumers", "50", "top-level key n_consumers is a model parameter: it goes in [base]"),
]


@pytest.mark.parametrize("where, key, value, expected", MISPLACED, ids=[f"{m[0]}-{m[1]}" for m in MISPLACED])
def test_a_key_in_the_wrong_table_says_where_it_belongs(tmp_path, where, key, value, expected):
    if where == "top":
        text = f"{key} = {value}\n" + experiment_text()
    elif where == "experiment":
        text = experiment_text({key: value})
    elif where == "base":
        text = experiment_text(extra=f"{key} = {value}\n")
    else:
        text = experiment_text(extra=f"[{where}]\n{key} = {value}\n")
    refused(tmp_path, text, expected)


def test_overrides_replace_file_values_but_not_missing_ones(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text(experiment_text())
    assert load_experiment(f, replicates=5, steps=9).replicates == 5
    f.write_text(experiment_text(drop="steps"))
    with pytest.raises(ParameterError, match="steps is missing"):
        load_experiment(f, steps=9)  # the file is the record of the experiment: it must be complete


def test_every_shipped_experiment_loads():
    for path in sorted((REPO / "experiments").glob("*.toml")):
        exp = load_experiment(path)
        assert exp.name == path.stem
