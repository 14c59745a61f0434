"""Pinned numbers: every metric at every step of fixed small runs, exactly as stored.

The configurations are in ``tests/baseline.py``. A change that moves code must pass this
unchanged; a change that alters the model on purpose refreshes ``tests/data/baseline.json``
with ``python tests/update_baseline.py`` in a commit of its own that says why.
Floats compare to 1e-12 (absolute and relative): summation order may change when code moves,
a rule change moves them far more.
"""

import json

import pytest
from baseline import BASELINE_FILE, compare, compute


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return compute(tmp_path_factory.mktemp("baseline"))


@pytest.fixture(scope="module")
def stored():
    if not BASELINE_FILE.exists():
        pytest.fail(f"{BASELINE_FILE} is missing: run python tests/update_baseline.py")
    return json.loads(BASELINE_FILE.read_text())


@pytest.mark.parametrize("part", ["runs", "summaries", "sweep", "designs"])
def test_baseline_unchanged(part, computed, stored):
    diffs = compare(stored[part], computed[part], part)
    assert not diffs, (f"{len(diffs)}+ values differ from {BASELINE_FILE.name} (refresh on purpose "
                       "with python tests/update_baseline.py):\n" + "\n".join(diffs[:20]))


def test_compare_catches_a_change(stored):
    """The comparison itself can fail: one value nudged by 1e-9 is reported."""
    name = next(iter(stored["runs"]))
    changed = json.loads(json.dumps(stored["runs"][name]))
    changed["loyalty"][-1] += 1e-9
    assert compare(stored["runs"][name], changed)
    assert not compare(stored["runs"][name], stored["runs"][name])
