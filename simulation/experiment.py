"""Experiment files (``experiments/*.toml``): a base parameter set and a grid of variations.

This is the first version: grid designs. The shape is the one sweeps will extend::

    [experiment]            # name, steps, replicates, seed
    [base]                  # fixed parameters
    [sweep]                 # design = "grid"
    [sweep.parameters]      # name = [values ...]

Every key is checked: an unknown section or key, or a bad parameter value, is a one-line
:class:`~simulation.errors.ParameterError` naming the file and the key.
"""

from __future__ import annotations

import itertools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ParameterError
from .params import PARAMETERS, Params, closest
from .runner import Task, run_seed

_SECTIONS = {"experiment", "base", "sweep"}
_EXPERIMENT_KEYS = {"name": str, "steps": int, "replicates": int, "seed": int}
_SWEEP_KEYS = {"design", "parameters"}
_DESIGNS = ("grid",)


@dataclass(frozen=True)
class Experiment:
    name: str
    steps: int
    replicates: int
    seed: int
    base: dict[str, Any]
    grid: dict[str, list[Any]]
    path: str = ""

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the grid values (the design points), in file order."""
        names = list(self.grid)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.grid.values())] or [{}]

    def tasks(self) -> list[Task]:
        """One task per (design point, replicate).

        The seed depends on the replicate only, not on the design point: every point of a
        replicate sees the same graph and random numbers (common random numbers), which
        pairs each strategy with the ``none`` baseline for incremental ROI.
        """
        out = []
        for point in self.points():
            params = Params(**{**self.base, **point, "steps": self.steps}).to_dict()
            for r in range(self.replicates):
                out.append(Task(params, run_seed(self.seed, r), {**point, "replicate": r}))
        return out


def _unknown_key(path: str, where: str, key: str, allowed) -> ParameterError:
    hint = closest(key, allowed)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    return ParameterError(f"{path}: unknown key '{key}' in [{where}]{suggestion}; "
                          f"allowed: {', '.join(sorted(allowed))}")


def load_experiment(path: str | os.PathLike, **overrides: Any) -> Experiment:
    """Read and validate an experiment file; ``overrides`` replace [experiment] values."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ParameterError(f"experiment file '{path}' does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"experiment file '{path}' cannot be read: {exc}") from None
    for key in data:
        if key not in _SECTIONS:
            raise _unknown_key(path, "top level", key, _SECTIONS)
        if not isinstance(data[key], dict):
            raise ParameterError(f"{path}: '{key}' must be a table ([{key}]), got {data[key]!r}")
    exp = dict(data.get("experiment", {}))
    for key, value in exp.items():
        if key not in _EXPERIMENT_KEYS:
            raise _unknown_key(path, "experiment", key, _EXPERIMENT_KEYS)
    exp.update({k: v for k, v in overrides.items() if v is not None})
    name = str(exp.get("name", Path(path).stem))
    steps, replicates, seed = exp.get("steps", PARAMETERS["steps"].default), exp.get("replicates", 1), exp.get("seed", 0)
    for key, value, low in (("steps", steps, 1), ("replicates", replicates, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParameterError(f"{path}: [experiment] {key} = {value!r}: allowed a whole number >= {low}")
    base = dict(data.get("base", {}))
    sweep = dict(data.get("sweep", {}))
    for key in sweep:
        if key not in _SWEEP_KEYS:
            raise _unknown_key(path, "sweep", key, _SWEEP_KEYS)
    design = sweep.get("design", "grid")
    if design not in _DESIGNS:
        raise ParameterError(f"{path}: [sweep] design = {design!r}: allowed {' | '.join(_DESIGNS)}")
    grid = sweep.get("parameters", {})
    if not isinstance(grid, dict):
        raise ParameterError(f"{path}: [sweep] parameters must be a table of name = [values], got {grid!r}")
    grid = dict(grid)
    for key, values in grid.items():
        if key not in PARAMETERS:
            raise _unknown_key(path, "sweep.parameters", key, PARAMETERS)
        if not isinstance(values, list) or not values:
            raise ParameterError(f"{path}: [sweep.parameters] {key} must be a non-empty list of values")
    try:
        Params(**base)
        for key, values in grid.items():
            for v in values:
                Params(**{**base, key: v})
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    return Experiment(name, steps, replicates, seed, base, grid, path)
