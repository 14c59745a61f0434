"""docs/ODD.md must describe the code as it is: parameters, metrics, processes, step order.

These checks are fast (no simulation, no mesa import). They fail when a default, a
parameter, a metric or a process changes without the ODD being updated:

* the parameter table in the ODD is exactly ``parameter_table(markdown=True)``;
* every parameter, metric and process module is named in the text (parameters also
  outside the generated table, i.e. described somewhere in prose);
* every parameter's default is stated in the prose ("`name` = value"), and every such
  statement gives the current default;
* the process overview lists the process calls of ``WordOfMouthModel.step`` in the order
  the code runs them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from simulation.core.metrics import METRICS
from simulation.core.params import PARAMETERS
from simulation.outputs.tables import parameter_table

ROOT = Path(__file__).resolve().parents[1]
ODD_PATH = ROOT / "docs" / "ODD.md"
PROCESS_DIR = ROOT / "simulation" / "core" / "processes"
MODEL_PATH = ROOT / "simulation" / "core" / "model.py"

TABLE_HEADER = "| name | default | allowed | unit | meaning | source |"


@pytest.fixture(scope="module")
def odd() -> str:
    assert ODD_PATH.is_file(), "docs/ODD.md is missing"
    return ODD_PATH.read_text(encoding="utf-8")


def _table_block(text: str) -> tuple[str, int, int]:
    """The parameter table in the ODD (header + contiguous '|' lines) and its line span."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == TABLE_HEADER]
    assert len(starts) == 1, f"expected exactly one parameter table in the ODD, found {len(starts)}"
    start = end = starts[0]
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]), start, end


def _prose(text: str) -> str:
    """The ODD without the generated parameter table."""
    _, start, end = _table_block(text)
    lines = text.splitlines()
    return "\n".join(lines[:start] + lines[end:])


def _section(text: str, number: int) -> str:
    """Text of top-level section ``## <number>.`` up to the next ``## ``."""
    match = re.search(rf"^## {number}\.(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"section {number} not found in the ODD"
    return match.group(1)


def test_parameter_table_is_current(odd):
    block, _, _ = _table_block(odd)
    expected = parameter_table(markdown=True)
    assert block == expected, (
        "the parameter table in docs/ODD.md differs from simulation/core/params.py: regenerate "
        "it with `python run.py params --markdown` and update the prose where defaults changed")


def test_table_has_one_row_per_parameter(odd):
    block, _, _ = _table_block(odd)
    names = [row.split("|")[1].strip() for row in block.splitlines()[2:]]
    assert names == list(PARAMETERS)


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_parameter_is_described_in_prose(odd, name):
    assert f"`{name}`" in _prose(odd), (
        f"parameter '{name}' appears nowhere in docs/ODD.md outside the generated table")


@pytest.mark.parametrize("name", list(METRICS))
def test_every_metric_is_defined(odd, name):
    observation = _section(odd, 4)
    assert f"`{name}`" in observation, (
        f"metric '{name}' of simulation.core.metrics.METRICS is not defined in the ODD's "
        "design concepts (observation)")


def test_every_process_module_is_named(odd):
    modules = sorted(p.stem for p in PROCESS_DIR.glob("*.py") if p.stem != "__init__")
    assert modules, "no process modules found"
    submodels = _section(odd, 7)
    missing = [m for m in modules if f"{m}.py" not in submodels]
    assert not missing, f"process modules not named in the ODD's submodels: {missing}"


# "`name` = value" (may wrap across a line break); a number ends before a sentence's full stop.
_DEFAULT_CLAIM = re.compile(r"`([a-z_]+)`\s+=\s+(`[^`]+`|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?!\d|\.\d)")


def test_stated_defaults_match_the_code(odd):
    claims = [(m.group(1), m.group(2)) for m in _DEFAULT_CLAIM.finditer(_prose(odd))
              if m.group(1) in PARAMETERS]
    unstated = sorted(set(PARAMETERS) - {name for name, _ in claims})
    assert not unstated, f"the ODD's prose states no default (`name` = value) for: {unstated}"
    wrong = []
    for name, value in claims:
        default = PARAMETERS[name].default
        if value.startswith("`"):
            ok = value.strip("`") == str(default)
        else:
            ok = not isinstance(default, str) and math.isclose(float(value), float(default),
                                                               rel_tol=1e-12, abs_tol=1e-12)
        if not ok:
            wrong.append(f"{name}: ODD says {value}, code default is {default!r}")
    assert not wrong, "defaults in docs/ODD.md differ from simulation/core/params.py:\n" + "\n".join(wrong)


def test_step_order_matches_the_code(odd):
    source = MODEL_PATH.read_text(encoding="utf-8")
    start = source.index("    def step(self)")
    end = source.find("\n    def ", start + 1)
    body = source[start:end if end > 0 else len(source)]
    calls = re.findall(r"proc\.(\w+)\(", body)
    assert len(calls) >= 9, f"could not read the process calls of WordOfMouthModel.step: {calls}"
    overview = _section(odd, 3)
    positions = []
    for name in calls:
        where = overview.find(f"`{name}`")
        assert where >= 0, f"process '{name}' (called in WordOfMouthModel.step) missing from section 3"
        positions.append(where)
    assert positions == sorted(positions), (
        f"section 3 lists the processes in another order than WordOfMouthModel.step: {calls}")


README_PATH = ROOT / "README.md"
PACKAGE = ROOT / "simulation"


def _layout_paths(readme: str) -> tuple[set[str], set[str]]:
    """Paths named in README's ``## Layout`` table: (every path named, those that do not exist).

    Each row's first cell is a backticked path from the repository root (a file, or a
    folder ending in ``/``). The other cells name files and folders by backticked tokens
    ending in ``.py`` or ``/``, relative to the row's folder (``processes/broadcast.py`` in
    the row of ``simulation/core/``), or from the root when they start with the row's path.
    Other backticked words (``headline.toml``, ``broadcast``) are text, not paths.
    """
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, flags=re.S | re.M)
    assert match, "README.md has no '## Layout' section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")][2:]
    assert rows, "README.md's Layout section has no table"
    named = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        base = re.findall(r"`([^`]+)`", cells[0])
        assert len(base) == 1, f"the first cell of a Layout row names one path: {row}"
        base = base[0]
        folder = base if base.endswith("/") else base.rpartition("/")[0] + "/"
        named.add(base.rstrip("/"))
        for token in re.findall(r"`([^`\s]+(?:\.py|/))`", " ".join(cells[1:])):
            named.add((token if token.startswith(folder) else folder + token).rstrip("/"))
    missing = {p for p in named if not (ROOT / p).exists()}
    return named, missing


def test_readme_lists_every_module():
    """Every module and subpackage of simulation/ is in README's Layout table, and every path
    named there exists (``__init__.py`` files are the folder's own row or token)."""
    named, missing = _layout_paths(README_PATH.read_text(encoding="utf-8"))
    modules = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    packages = {p.parent.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("__init__.py")}
    absent = sorted((modules | packages) - named)
    assert not absent and not missing, (
        "README.md's Layout table is out of date:\n"
        + "".join(f"  not in the table: {p}\n" for p in absent)
        + "".join(f"  named but not there: {p}\n" for p in sorted(missing)))
