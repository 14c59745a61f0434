"""The import structure of ``simulation/``: layers, cycles, matplotlib, core's dependencies.

Read from the source with :mod:`ast` (nothing of the package is imported or run), every
import statement included: module level, inside functions, under ``if TYPE_CHECKING``.

Rules
-----
Layers, lowest first: ``simulation.errors`` < ``simulation.core`` < ``simulation.research``
< ``simulation.outputs`` < ``simulation.dashboard`` < ``simulation.cli``. A module may import
its own layer or a lower one, never a higher one.

The package root ``simulation/__init__.py`` is the public facade (``from simulation import
Params``) and ranks above every layer: it may import anything, and nothing inside the
package imports it, not even for ``__version__`` (the root imports ``core.params`` before it
defines ``__version__``, so ``from simulation import __version__`` in core would fail at
import time; ask ``importlib.metadata.version("womsim")`` instead).

Edges of the module graph: ``import a.b.c`` is an edge to ``a.b.c``; ``from a.b import c`` is
an edge to the submodule ``a.b.c`` when there is one, else to ``a.b`` (its ``__init__``).
Importing a module also runs its parents' ``__init__``, but that is not an edge here
(otherwise every module would depend on ``simulation/__init__.py``), so a package's
``__init__`` importing its own submodules is never a cycle by itself. A submodule that
imports a name from its package's ``__init__`` while that ``__init__`` imports the
submodule IS reported (``/work/shared/tools/layers.py`` drops ``__init__`` modules from
cycles and would not): it works only by the order of the ``__init__``'s lines.

Only ``simulation/outputs/`` and ``simulation/dashboard/`` import matplotlib. ``core/``
imports only the standard library (``sys.stdlib_module_names``), numpy, scipy, networkx,
mesa, ``simulation.errors`` and ``simulation.core``; a third-party import under
``if TYPE_CHECKING:`` is allowed there (``pandas`` for the type of the data frame that
Mesa's DataCollector returns): it is never run. The layer and cycle rules count such
imports like any other: a type annotation is a dependency too.

Why ast and not import-linter: the four rules fit in this file with no extra dependency,
and one run reports every finding with its ``file:line``.

``python tests/test_layers.py`` prints the module graph and every finding.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("errors", "core", "research", "outputs", "dashboard", "cli")
PLOTTING_LAYERS = ("outputs", "dashboard")
CORE_THIRD_PARTY = {"numpy", "scipy", "networkx", "mesa"}


@dataclass(frozen=True)
class Import:
    """One imported name: where it is written and which module it reaches."""

    file: str
    line: int
    importer: str
    imported: str  # the dotted name as written (resolved if relative)
    module: str | None  # the package's module it reaches, None if outside the package
    type_only: bool = False  # under ``if TYPE_CHECKING:``: read by type checkers, never run

    def __str__(self) -> str:
        return f"{self.file}:{self.line}  {self.importer} -> {self.module or self.imported}"


def discover(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name (``__init__`` as the package)."""
    mods = {}
    for f in sorted(root.rglob("*.py")):
        parts = f.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    while name:
        if name in mods:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def collect(root: Path) -> tuple[dict[str, Path], list[Import]]:
    """The modules of the package at ``root`` and every import statement in them."""
    mods = discover(root)
    found = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        rel = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(), filename=str(path))
        type_only = {id(n) for block in ast.walk(tree) if _is_type_checking(block)
                     for statement in block.body for n in ast.walk(statement)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            found += [Import(rel, node.lineno, name, t, _resolve(t, mods), id(node) in type_only)
                      for t in dict.fromkeys(targets)]
    return mods, found


def layer_rank(module: str, package: str) -> int:
    """Rank of a module's layer; the package root ranks above every layer."""
    if module == package:
        return len(LAYERS)
    return LAYERS.index(module.split(".")[1])


@dataclass
class Report:
    """Everything the checker found in one package."""

    modules: dict[str, Path]
    imports: list[Import]
    graph: nx.DiGraph
    upward: list[Import]
    cycles: list[list[Import]]  # per strongly connected component, the imports inside it
    matplotlib: list[Import]
    core_dependencies: list[Import]
    unknown_layer: list[str]

    def summary(self) -> str:
        return (f"layers: {len(self.modules)} modules, {self.graph.number_of_edges()} edges "
                f"({len(self.imports)} imported names), {len(self.cycles)} cycles, "
                f"{len(self.upward)} upward imports, {len(self.matplotlib)} matplotlib imports "
                f"outside {'/'.join(PLOTTING_LAYERS)}, {len(self.core_dependencies)} foreign "
                f"imports in core")

    def details(self) -> str:
        out = [self.summary()]
        out += [f"module outside every layer: {m}" for m in self.unknown_layer]
        out += [f"upward import:   {i}" for i in self.upward]
        for k, cycle in enumerate(self.cycles, 1):
            members = sorted({i.importer for i in cycle})
            out.append(f"import cycle {k} ({' <-> '.join(members)}):")
            out += [f"    {i}" for i in cycle]
        out += [f"matplotlib:      {i}" for i in self.matplotlib]
        out += [f"core imports:    {i}" for i in self.core_dependencies]
        return "\n".join(out)


def analyse(root: Path) -> Report:
    """Check the package whose directory is ``root`` (its name is the directory's name)."""
    package = root.name
    mods, imports = collect(root)
    unknown = [m for m in mods if m != package and m.split(".")[1] not in LAYERS]
    internal = [i for i in imports if i.module and i.module != i.importer]
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    graph.add_edges_from((i.importer, i.module) for i in internal)

    def rank(m: str) -> int:
        return -1 if m in unknown else layer_rank(m, package)

    upward = [i for i in internal if rank(i.module) > rank(i.importer)]
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycles.append(sorted((i for i in internal if i.importer in component and i.module in component),
                                 key=lambda i: (i.file, i.line)))
    cycles.sort(key=lambda c: c[0].importer)

    def layer_of(m: str) -> str | None:
        return None if m == package or m in unknown else m.split(".")[1]

    matplotlib = [i for i in imports if i.imported.split(".")[0] == "matplotlib"
                  and layer_of(i.importer) not in PLOTTING_LAYERS]
    allowed_core = CORE_THIRD_PARTY | set(sys.stdlib_module_names)
    core = [i for i in imports if layer_of(i.importer) == "core"
            and (layer_of(i.module) not in ("errors", "core") if i.module
                 else not i.type_only and i.imported.split(".")[0] not in allowed_core)]
    return Report(mods, imports, graph, upward, cycles, matplotlib, core, unknown)


@pytest.fixture(scope="module")
def report() -> Report:
    result = analyse(REPO / "simulation")
    print(result.summary())
    return result


def test_graph_is_read(report):
    assert report.summary()  # quoted by the integrator: run with -s, or the script below
    assert {"simulation", "simulation.errors", "simulation.core.params", "simulation.cli"} <= set(report.modules)
    assert report.graph.number_of_edges() > 50
    assert not report.unknown_layer, report.details()


def _fail_with(title: str, lines: list) -> None:
    if lines:  # pytest.fail, not assert: the message alone, without the repr of the report
        pytest.fail(f"{title}:\n" + "\n".join(map(str, lines)), pytrace=False)


def test_no_upward_import(report):
    _fail_with("imports from a lower layer to a higher one", report.upward)


def test_no_import_cycle(report):
    _fail_with("import cycles", [f"cycle {' <-> '.join(sorted({i.importer for i in c}))}:\n"
                                 + "\n".join(f"    {i}" for i in c) for c in report.cycles])


def test_matplotlib_only_in_outputs_and_dashboard(report):
    _fail_with("matplotlib outside simulation/outputs and simulation/dashboard", report.matplotlib)


def test_core_imports_only_numerics_and_itself(report):
    _fail_with("simulation/core imports beyond the standard library, numpy, scipy, networkx, mesa, "
               "simulation.errors and simulation.core", report.core_dependencies)


SYNTHETIC = {
    "__init__.py": "from pkg.core.a import A\n__version__ = '1'\n",
    "errors.py": "",
    "core/__init__.py": "",
    "core/a.py": ("import numpy\nimport json\nfrom pkg.errors import E\n\n"
                  "def f():\n    from ..research import b\n    import pandas\n    return b\n"),
    "core/b.py": "from pkg import __version__\n",
    "core/c.py": ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                  "    import pandas as pd\n    from pkg.outputs import fig\n"),
    "research/__init__.py": "",
    "research/b.py": "from pkg.research import c\nimport matplotlib.pyplot as plt\n",
    "research/c.py": "def g():\n    from pkg.research.b import x\n",
    "outputs/__init__.py": "import matplotlib\n",
    "outputs/fig/__init__.py": "from pkg.outputs.fig.style import S\n",
    "outputs/fig/style.py": "from pkg.outputs.fig import style as again\n",
    "dashboard/__init__.py": "from pkg.dashboard.app import run\n",
    "dashboard/app.py": "from pkg.dashboard import CONTROLS\n",
    "cli.py": "from pkg.dashboard.app import run\nfrom pkg.core import a\n",
}


def test_the_checker_reports_what_it_should(tmp_path):
    root = tmp_path / "pkg"
    for rel, text in SYNTHETIC.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    r = analyse(root)
    print(r.details())
    assert len(r.modules) == len(SYNTHETIC)
    # a function-local relative import, the root imported from below, a type-only import
    assert [str(i) for i in r.upward] == ["pkg/core/a.py:6  pkg.core.a -> pkg.research.b",
                                          "pkg/core/b.py:1  pkg.core.b -> pkg",
                                          "pkg/core/c.py:5  pkg.core.c -> pkg.outputs.fig"]
    # b <-> c (one side function-local); dashboard's __init__ <-> app, which takes a name
    # from it; fig/__init__ -> fig.style -> fig.style is no cycle (style only names itself)
    assert [[str(i) for i in c] for c in r.cycles] == [
        ["pkg/dashboard/__init__.py:1  pkg.dashboard -> pkg.dashboard.app",
         "pkg/dashboard/app.py:1  pkg.dashboard.app -> pkg.dashboard"],
        ["pkg/research/b.py:1  pkg.research.b -> pkg.research.c",
         "pkg/research/c.py:2  pkg.research.c -> pkg.research.b"],
    ]
    assert [str(i) for i in r.matplotlib] == ["pkg/research/b.py:2  pkg.research.b -> matplotlib.pyplot"]
    assert [str(i) for i in r.core_dependencies] == [
        "pkg/core/a.py:6  pkg.core.a -> pkg.research.b",
        "pkg/core/a.py:7  pkg.core.a -> pandas",
        "pkg/core/b.py:1  pkg.core.b -> pkg",
        "pkg/core/c.py:5  pkg.core.c -> pkg.outputs.fig",  # pandas above it: type-only, allowed
    ]


if __name__ == "__main__":
    found = analyse(REPO / "simulation")
    print(found.details())
    sys.exit(1 if (found.upward or found.cycles or found.matplotlib or found.core_dependencies) else 0)
