"""What made an output: package versions, git commit, command line, time, the graphs used."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from simulation.core.network import (
    GRAPH_PARAMETERS,
    build_graph,
    describe_adjacency,
    describe_graph,
    description_of,
    ignored_parameters,
    uses_numpy_graph,
)
from simulation.core.network.generators import generator_setting
from simulation.core.params import Params
from simulation.errors import WomsimError

PACKAGES = ("womsim", "mesa", "numpy", "scipy", "pandas", "networkx", "matplotlib", "tqdm")
REPO_ROOT = Path(__file__).resolve().parents[2]


def display_path(path: str | os.PathLike) -> str:
    """A path relative to the repository when inside it (outputs should not leak /home/...)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str | None:
    """HEAD of the checkout the package runs from, with '+dirty' if it has local changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "simulation"],
                               capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }


MAX_GRAPHS = 20  # distinct graphs described in one metadata file (each is built once here)


def graphs_used(tasks: Iterable[Any], *, strict: bool = True,
                say: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Describe the graph(s) that ``tasks`` run on, as ``"graphs"`` of the run metadata.

    Tasks whose graph parameters agree (only those the source uses, see
    :func:`~simulation.core.network.ignored_parameters`) share one entry, built here once
    with the seed of the first of them and measured by
    :func:`~simulation.core.network.describe_graph`, plus ``runs`` (how many tasks use
    it) and ``seed``. The same seed gives the run's graph exactly (the graph is the first
    draw of a run, docs/ODD.md 5.3), so for a file, a built-in graph, ``complete`` or
    ``empty`` this is the graph of every run; a random generator (``random`` true) draws
    a new graph per seed, and the counts are those of the graph of ``seed``.

    A graph of the vectorised generators (:func:`~simulation.core.network.uses_numpy_graph`,
    100,000 consumers and more) is not built here (that took 38 s at a million nodes): its
    setting is checked (the same :class:`~simulation.errors.GraphError` as building) and the
    entry holds what the parameters fix, ``"measured": false``, with ``edges`` (exact for
    Barabasi-Albert and Watts-Strogatz, null for Erdos-Renyi) and ``components`` (1 for
    Barabasi-Albert, else null). ``simulate`` replaces it by the measured graph of its
    first run (:func:`describe_run_graph`).

    Parameters
    ----------
    tasks : iterable of Task
        Anything with ``params`` (a mapping) and ``seed``.
    strict : bool
        Raise the :class:`~simulation.errors.GraphError` (a file that cannot be read...)
        before any run starts; otherwise record it as the entry's ``error`` (a sweep
        records such runs as failed).
    say : callable, optional
        Called with each note on a file's tie weights (``"note: graph 'file:PATH':
        weights used as tie strength ..."``), so the user is told before the runs.

    Returns
    -------
    list of dict
        At most ``MAX_GRAPHS`` entries; if there were more distinct graphs, a last entry
        ``{"not_described": k}``.
    """
    defaults = Params().to_dict()
    groups: dict[tuple, dict[str, Any]] = {}
    for task in tasks:
        values = {**defaults, **task.params}  # validated once per group, below
        network = values["network"]
        ignored, _ = ignored_parameters(network)
        key = (network, values["immigrant_share"] if network == "stochastic_block" else None,
               *(values[name] for name in GRAPH_PARAMETERS if name not in ignored))
        if key in groups:
            groups[key]["runs"] += 1
        else:
            groups[key] = {"values": values, "seed": int(task.seed), "runs": 1}
    described = []
    for group in list(groups.values())[:MAX_GRAPHS]:
        try:
            params = Params(**group["values"])
            if uses_numpy_graph(params):
                described.append({**_planned(params), "seed": group["seed"], "runs": group["runs"]})
                continue
            graph, _ = build_graph(params, np.random.default_rng(group["seed"]))
        except WomsimError as exc:  # a bad graph file, or one that has gone since validation
            if strict:
                raise
            described.append({"source": group["values"]["network"], "error": str(exc),
                              "runs": group["runs"]})
            continue
        entry = {**describe_graph(graph), "seed": group["seed"], "runs": group["runs"]}
        for note in entry.get("notes", []) if say else []:
            say(f"note: graph '{params.network}': {note}")
        described.append(entry)
    if len(groups) > MAX_GRAPHS:
        described.append({"not_described": len(groups) - MAX_GRAPHS})
    return described


def _planned(params: Params) -> dict[str, Any]:
    """The description of a large generated graph from its parameters alone (see graphs_used)."""
    n, source = params.n_consumers, params.network
    setting = generator_setting(source, params)  # raises for a setting that cannot be built
    edges = {"barabasi_albert": setting * (n - setting), "watts_strogatz": n * setting // 2}.get(source)
    components = 1 if source == "barabasi_albert" else None  # every newcomer ties to earlier nodes
    return {**description_of({"source": source}, n, edges, components), "measured": False}


def describe_run_graph(model) -> dict[str, Any]:
    """The measured description of the graph a model ran on, from its CSR adjacency (no
    networkx graph is made for it: ``describe_adjacency``, components by scipy)."""
    made = getattr(model, "mesa_view_made", {"graph": True})
    attributes = model.graph.graph if made["graph"] else {"source": model.params.network}
    return describe_adjacency(model.adjacency, attributes)


def check_output(path: str | os.PathLike, *, file: bool = False, option: str = "--out") -> Path:
    """Refuse an output location that cannot be written, before any work is done.

    ``path`` is a folder (``file=False``: it may exist as a folder or not yet exist) or a
    file to (over)write (``file=True``: it must not be a folder). The nearest existing
    folder on the way must be a folder, not a file, and writable by this process
    (``os.access``, which also sees read-only file systems and immutable folders). The
    error is one line naming ``option`` and the path, so a command fails in a second,
    not after its runs with the results lost.

    Examples
    --------
    >>> import tempfile
    >>> notes = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = notes.write_text("not a folder")
    >>> check_output(notes / "sub")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simulation.errors.WomsimError: --out '.../notes.txt/sub' cannot be created: '.../notes.txt' is a file, not a folder
    """
    path = Path(path)
    if path.is_dir() if file else (path.exists() and not path.is_dir()):
        kind = "a folder, not a file" if file else "a file, not a folder"
        raise WomsimError(f"{option} '{path}' is {kind}: give another path")
    folder = path.parent if file else path
    nearest = folder
    while not nearest.exists() and nearest != nearest.parent:  # the first ancestor that exists
        nearest = nearest.parent
    if not nearest.is_dir():
        raise WomsimError(f"{option} '{path}' cannot be created: '{nearest}' is a file, not a folder")
    if not os.access(nearest, os.W_OK | os.X_OK) or (file and path.exists() and not os.access(path, os.W_OK)):
        where = path if file and path.exists() else nearest
        raise WomsimError(f"{option} '{path}' is not writable (no permission to write in '{where}', or a "
                          "read-only file system): give another path")
    return path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path`` and rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode) as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")


def _jsonable(x):
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
