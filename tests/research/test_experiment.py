"""Experiment.from_definition is the inverse of Experiment.definition (a sweep's report
rebuilds its experiment from sweep.json)."""

from __future__ import annotations

import json

import pytest

from simulation.research.experiment import Experiment, load_experiment

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


@pytest.mark.parametrize("text", [RANGED, "[experiment]\nname = 'plain'\nsteps = 3\n"])
def test_from_definition_inverts_definition(tmp_path, text):
    f = tmp_path / "e.toml"
    f.write_text(text)
    exp = load_experiment(f)
    back = Experiment.from_definition(json.loads(json.dumps(exp.definition())), path=str(f))
    assert back == exp  # frozen dataclass: every field equal, ranges back as tuples
    assert [t.seed for t in back.tasks()] == [t.seed for t in exp.tasks()]
    assert Experiment.from_definition(exp.definition()).path == ""
