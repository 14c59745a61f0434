"""Experiment files (``experiments/*.toml``): fixed parameters, a design, replicates.

Shape::

    [experiment]            # name, steps, replicates, seed: all required
    [base]                  # fixed parameters
    [sweep]
    design = "grid"         # grid | lhs | sobol | morris
    samples = 64            # lhs: points; sobol: N of Saltelli (N (D + 2) points); morris: trajectories
    baseline = false        # also run strategy "none" at every point, same seed (incremental ROI)
    [sweep.parameters]
    dialogue_share = [0.0, 0.5, 1.0]       # a list: crossed with everything else (grid)
    budget = { min = 0.5, max = 4.0 }      # a range: sampled by the design (lhs | sobol | morris)

Lists are crossed (full factorial) with the sampled points of the ranges, so
``strategy = [...]`` with ``budget = {min, max}`` runs every strategy at every sampled budget.

Events (docs/ODD.md 7.12): ``[[events]]`` tables at the top level apply to every run; named
event sets in ``[sweep.events]`` are one more design dimension, crossed with the rest (the
label ``events`` of a run names its set, and its events follow those of ``[[events]]``)::

    [[events]]                                  # in every run
    step = 30
    kind = "defect"
    size = 0.2
    [sweep.events]                              # one design point per named set
    scandal = [{ step = 52, kind = "scandal", size = 0.05, duration = 4 }]
    defect = [{ step = 52, kind = "defect", size = 0.5, duration = 8 }]

Seeds: a run's seed depends only on (experiment seed, scenario, replicate) where the
scenario is the design point *without* the strategy and the event set (numpy SeedSequence, see
:func:`simulation.research.tasks.run_seed`). All strategies of a scenario and replicate therefore
run on the same consumers and random numbers (common random numbers): differences between
strategies are paired, and the ``none`` baseline gives incremental ROI run by run. Never
on order or worker.

Every key is checked: an unknown section or key, a missing ``[experiment]`` key, a key in
the wrong table (``[base] seed``: "the seed goes in [experiment] seed"), a value of the
wrong TOML type (``n_consumers = "200"``), a name that is not a plain file name, or a bad
parameter value, is a one-line :class:`~simulation.errors.ParameterError` naming the file
and the key.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.core.events import make_events
from simulation.core.params import EVENTS, PARAMETERS, Params, check_typed, check_value, closest
from simulation.core.tomlfile import read_toml
from simulation.errors import ParameterError
from simulation.research.tasks import Task, run_seed

_SECTIONS = ("experiment", "base", "sweep", "events")
#: The keys of ``[experiment]``, all required.
EXPERIMENT_KEYS = ("name", "steps", "replicates", "seed")
_SWEEP_KEYS = ("design", "samples", "baseline", "parameters", "events")
DESIGNS = ("grid", "lhs", "sobol", "morris")
#: An experiment name is a plain file name: it names the folder ``results/<name>``.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
NAME_MAX = 100
# where each non-parameter key belongs, and words for messages about it
_HOME = {**{k: f"[experiment] {k}" for k in EXPERIMENT_KEYS},
         **{k: f"[sweep] {k}" for k in ("design", "samples", "baseline")},
         "parameters": "[sweep.parameters]"}
_WHAT = {"name": "the experiment's name", "steps": "the number of weeks", "replicates": "the number of replicates",
         "seed": "the seed", "design": "the design", "samples": "the number of samples",
         "baseline": "the baseline switch", "parameters": "the swept parameters"}
_MEANING = {"name": "it names the output folder results/<name>", "steps": "the weeks every run simulates",
            "replicates": "the runs per design point, each on its own seed",
            "seed": "every run's seed derives from it; a missing seed is not taken as 0"}
_EXAMPLE = {"name": '"my_experiment"', "steps": "104", "replicates": "10", "seed": "2026"}


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file: fixed parameters, the design, replicates and the seed."""

    name: str
    steps: int
    replicates: int
    seed: int
    base: dict[str, Any]
    grid: dict[str, list[Any]]
    path: str = ""
    design: str = "grid"
    samples: int = 0
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    baseline: bool = False
    events: tuple = ()  # of Event: in every run
    event_sets: dict[str, tuple] = field(default_factory=dict)  # name -> events, a design dimension

    # --- the design ---------------------------------------------------------------------
    def problem(self) -> dict[str, Any]:
        """The SALib problem of the ranged parameters."""
        names = list(self.ranges)
        return {"num_vars": len(names), "names": names, "bounds": [list(self.ranges[n]) for n in names]}

    def sample_matrix(self) -> np.ndarray:
        """Rows = sampled points of the ranged parameters (empty design: one empty row)."""
        if not self.ranges:
            return np.empty((1, 0))
        prob = self.problem()
        if self.design == "lhs":
            from scipy.stats import qmc  # noqa: PLC0415 - loaded only for this design

            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(2**31,)))
            unit = qmc.LatinHypercube(d=prob["num_vars"], rng=rng).random(self.samples)
            lo, hi = np.array(prob["bounds"]).T
            return qmc.scale(unit, lo, hi)
        if self.design == "sobol":
            from SALib.sample import sobol  # noqa: PLC0415 - loaded only for this design

            return sobol.sample(prob, self.samples, calc_second_order=False, seed=self.seed)
        if self.design == "morris":
            from SALib.sample import morris  # noqa: PLC0415 - loaded only for this design

            return morris.sample(prob, self.samples, num_levels=4, seed=self.seed)
        raise ParameterError(f"{self.path}: ranges need design = lhs | sobol | morris, not {self.design!r}")

    def strategies(self) -> list[str]:
        strategies = list(self.grid.get("strategy", [self.base.get("strategy", PARAMETERS["strategy"].default)]))
        if self.baseline and "none" not in strategies:
            strategies.append("none")
        return strategies

    def scenarios(self) -> list[dict[str, Any]]:
        """Design points without the strategy: grid combinations x sampled ranges."""
        return [dict(point) for point in self._scenarios]

    @functools.cached_property
    def _scenarios(self) -> tuple[dict[str, Any], ...]:
        # Sampled once per experiment: loading checks every point, then tasks() uses them.
        grid = {k: v for k, v in self.grid.items() if k != "strategy"}
        if self.event_sets:
            grid[EVENTS] = list(self.event_sets)
        combos = [dict(zip(grid, c)) for c in itertools.product(*grid.values())] or [{}]
        names = list(self.ranges)
        samples = self.sample_matrix()
        out = []
        for combo in combos:
            for row in samples:
                point = dict(combo)
                for name, value in zip(names, row):
                    point[name] = int(round(value)) if PARAMETERS[name].kind is int else float(value)
                out.append(point)
        return tuple(out)

    def points(self) -> list[dict[str, Any]]:
        """Every design point incl. the strategy."""
        return [{**s, "strategy": st} for s in self.scenarios() for st in self.strategies()]

    def run_values(self, point: dict[str, Any]) -> dict[str, Any]:
        """The parameter values of a design point: base, point, and the events of the file and
        of the point's event set (the label ``events`` names the set)."""
        values = {**self.base, **point}
        events = (*self.events, *self.event_sets.get(values.pop(EVENTS, None), ()))
        return {**values, EVENTS: events} if events else values

    def tasks(self) -> list[Task]:
        """One task per (scenario, strategy, replicate), seeds as in the module docstring."""
        out = []
        # Event sets share the seeds of their scenario (the point without its event set):
        # events draw nothing before they start, so runs of one scenario, strategy and
        # replicate are identical until the first event, and a run without events is the
        # exact counterfactual of one with them.
        seed_points: dict[tuple, int] = {}
        for k, scenario in enumerate(self.scenarios()):
            without = tuple((key, repr(v)) for key, v in scenario.items() if key != EVENTS)
            seed_point = seed_points.setdefault(without, k)
            for strategy in self.strategies():
                point = {**scenario, "strategy": strategy, "steps": self.steps}
                params = Params(**self.run_values(point)).to_dict()
                for r in range(self.replicates):
                    labels = {**scenario, "strategy": strategy, "replicate": r}
                    out.append(Task(params, run_seed(self.seed, r, point=seed_point), labels,
                                    run_id=f"p{k:05d}-{strategy}-r{r:03d}", point=k))
        return out

    def definition(self) -> dict[str, Any]:
        """What identifies the experiment (a run store belongs to exactly one)."""
        out = {"name": self.name, "steps": self.steps, "replicates": self.replicates, "seed": self.seed,
               "base": self.base, "grid": self.grid, "design": self.design, "samples": self.samples,
               "ranges": {k: list(v) for k, v in self.ranges.items()}, "baseline": self.baseline}
        if self.events:  # only when there are some: an experiment without events is defined as before
            out["events"] = [e.to_dict() for e in self.events]
        if self.event_sets:
            out["event_sets"] = {k: [e.to_dict() for e in v] for k, v in self.event_sets.items()}
        return out

    @classmethod
    def from_definition(cls, definition: dict[str, Any], path: str = "") -> Experiment:
        """The experiment of a :meth:`definition` (e.g. read back from ``sweep.json``): its inverse.

        ``path`` is where it came from (for messages); the definition does not hold it.
        """
        d = definition
        return cls(d["name"], d["steps"], d["replicates"], d["seed"], dict(d["base"]),
                   {k: list(v) for k, v in d["grid"].items()}, path, d.get("design", "grid"),
                   int(d.get("samples", 0)), {k: tuple(v) for k, v in d.get("ranges", {}).items()},
                   bool(d.get("baseline", False)), make_events(d.get("events", [])),
                   {k: make_events(v) for k, v in d.get("event_sets", {}).items()})


def _unknown_key(path: str, where: str, key: str, allowed) -> ParameterError:
    hint = closest(key, allowed)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    return ParameterError(f"{path}: unknown key {key!r} in [{where}]{suggestion}; "
                          f"allowed: {', '.join(sorted(allowed))}")


def _misplaced(path: str, where: str, key: str) -> ParameterError | None:
    """The error for a key that is valid in another table of the file, or None.

    ``[base] seed = 3`` is not an unknown parameter: the seed belongs in ``[experiment]``;
    saying where it goes is the fix.
    """
    at = f"top-level key {key}" if where == "top level" else f"[{where}] {key}"
    home = _HOME.get(key)
    if home is not None and not home.startswith(f"[{where}]"):
        return ParameterError(f"{path}: {at}: {_WHAT[key]} goes in {home}")
    if key in PARAMETERS and where in ("top level", "experiment", "sweep"):
        return ParameterError(f"{path}: {at} is a model parameter: it goes in [base] (one value "
                              "for every run) or [sweep.parameters] (values to sweep)")
    return None


def _whole(path: str, where: str, key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ParameterError(f"{path}: [{where}] {key} = {value!r}: allowed a whole number >= {low}")
    return value


def _required(path: str, exp: dict[str, Any]) -> None:
    """Every key of [experiment] must be given: none has a default that could surprise."""
    for key in EXPERIMENT_KEYS:
        if key not in exp:
            raise ParameterError(f"{path}: [experiment] {key} is missing ({_MEANING[key]}): add "
                                 f"{key} = {_EXAMPLE[key]} under [experiment]")


def _name(path: str, name: Any) -> str:
    """The experiment's name: it names the output folder ``results/<name>``, so it must be a
    plain file name (no path separator, no leading dot): never a way out of ``results/``."""
    if isinstance(name, str) and len(name) <= NAME_MAX and NAME_PATTERN.fullmatch(name):
        return name
    fixed = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).lstrip("._")[:NAME_MAX] if isinstance(name, str) else ""
    hint = f' (e.g. name = "{fixed}")' if fixed and NAME_PATTERN.fullmatch(fixed) else ""
    raise ParameterError(f"{path}: [experiment] name = {name!r}: allowed a string of letters, digits, "
                         f"'-', '_' and '.' (not first), at most {NAME_MAX} characters, as it names the "
                         f"output folder results/<name>{hint}")


def _check_table(path: str, where: str, table: dict[str, Any], allowed) -> None:
    for key in table:
        if key not in allowed:
            raise _misplaced(path, where, key) or _unknown_key(path, where, key, allowed)


def load_experiment(path: str | os.PathLike, events: tuple | list = (), **overrides: Any) -> Experiment:
    """Read and validate an experiment file; ``overrides`` replace [experiment] values;
    ``events`` (e.g. from ``--event``) are added to the file's ``[[events]]``.

    The file must have an ``[experiment]`` table with every key of
    :data:`EXPERIMENT_KEYS`; values have the TOML type their declaration asks for (no
    ``n_consumers = "200"``); a key in the wrong table is refused with where it belongs.
    """
    path = os.fspath(path)
    data = read_toml(path, "experiment file")
    _check_table(path, "top level", data, _SECTIONS)
    for key in data:
        if key != EVENTS and not isinstance(data[key], dict):
            raise ParameterError(f"{path}: '{key}' must be a table ([{key}]), got {data[key]!r}")
    if "experiment" not in data:
        raise ParameterError(f"{path}: no [experiment] table: add one with "
                             + ", ".join(f"{k} = {_EXAMPLE[k]}" for k in EXPERIMENT_KEYS))
    exp = dict(data["experiment"])
    _check_table(path, "experiment", exp, EXPERIMENT_KEYS)
    _required(path, exp)
    exp.update({k: v for k, v in overrides.items() if v is not None})
    name = _name(path, exp["name"])
    steps = _whole(path, "experiment", "steps", exp["steps"], 1)
    replicates = _whole(path, "experiment", "replicates", exp["replicates"], 1)
    seed = _whole(path, "experiment", "seed", exp["seed"], 0)
    base = dict(data.get("base", {}))
    for key, value in base.items():
        if (error := _misplaced(path, "base", key)) is not None:
            raise error
        if key == EVENTS:
            raise ParameterError(f"{path}: [base] events: events go in [[events]] tables at the top level "
                                 "(every run) or in [sweep.events] (named sets to sweep)")
        _typed(path, key, value, " in [base]")
    sweep = dict(data.get("sweep", {}))
    _check_table(path, "sweep", sweep, _SWEEP_KEYS)
    design = sweep.get("design", "grid")
    if design not in DESIGNS:
        hint = closest(str(design), DESIGNS)
        raise ParameterError(f"{path}: [sweep] design = {design!r}: allowed {' | '.join(DESIGNS)}"
                             + (f" (did you mean '{hint}'?)" if hint else ""))
    baseline = sweep.get("baseline", False)
    if not isinstance(baseline, bool):
        raise ParameterError(f"{path}: [sweep] baseline = {baseline!r}: allowed true | false")
    parameters = sweep.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ParameterError(f"{path}: [sweep] parameters must be a table of name = [values] or "
                             f"name = {{ min = ., max = . }}, got {parameters!r}")
    grid, ranges = {}, {}
    for key, spec in parameters.items():
        if key == "steps":
            raise ParameterError(f"{path}: [sweep.parameters] steps cannot be swept: the number of "
                                 "weeks is [experiment] steps (one per experiment)")
        if key not in PARAMETERS:
            raise _misplaced(path, "sweep.parameters", key) or _unknown_key(path, "sweep.parameters", key, PARAMETERS)
        if isinstance(spec, list) and spec:
            for value in spec:
                _typed(path, key, value, " in [sweep.parameters]")
            grid[key] = spec
        elif isinstance(spec, dict) and set(spec) == {"min", "max"}:
            ranges[key] = _range(path, key, spec)
        else:
            raise ParameterError(f"{path}: [sweep.parameters] {key} must be a non-empty list of values "
                                 "or a range { min = ., max = . }")
    samples = sweep.get("samples", 0)
    if ranges:
        if design == "grid":
            raise ParameterError(f"{path}: [sweep.parameters] {next(iter(ranges))} is a range: ranges need "
                                 "design = lhs | sobol | morris (grid takes lists)")
        samples = _whole(path, "sweep", "samples", samples, 2)
    elif "samples" in sweep:
        raise ParameterError(f"{path}: [sweep] samples = {samples!r}: only a sampled design (lhs | sobol | "
                             "morris, with a range parameter) takes samples; remove it for a grid")
    elif design != "grid":
        raise ParameterError(f"{path}: [sweep] design = {design!r} needs at least one range "
                             "parameter (name = { min = ., max = . })")
    try:
        Params(**base)
        for key, values in grid.items():  # each value on its own first: the message names it
            for v in values:
                check_value(key, v)
        for key, (lo, hi) in ranges.items():
            check_value(key, lo)
            check_value(key, hi)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    try:
        file_events = make_events(data.get(EVENTS, []), where=" in [[events]]")
        file_events = tuple(sorted((*file_events, *make_events(list(events))), key=lambda e: e.step))
        event_sets = _event_sets(sweep.get("events", {}))
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    exp = Experiment(name, steps, replicates, seed, base, grid, path, design, int(samples or 0),
                     ranges, baseline, file_events, event_sets)
    _check_points(exp)
    return exp


def _event_sets(table: Any) -> dict[str, tuple]:
    """The named event sets of ``[sweep.events]``: name = [ {event}, ... ] (an empty list: no event)."""
    if not isinstance(table, dict):
        raise ParameterError(f"[sweep] events must be a table of name = [{{ step = ., kind = ., ... }}], got {table!r}")
    sets = {}
    for name, events in table.items():
        if not isinstance(events, list):
            raise ParameterError(f"[sweep.events] {name} must be a list of event tables, got {events!r}")
        sets[name] = make_events(events, where=f" in [sweep.events] {name}")
    return sets


def _check_points(exp: Experiment) -> None:
    """Every design point is a valid parameter set, rules between parameters included
    (two swept budget shares are fine alone and may break their sum together; an event's
    brand must exist in the point's market)."""
    for point in exp.points():
        try:
            Params(**exp.run_values(point))
        except ParameterError as exc:
            shown = ", ".join(f"{k} = {v!r}" for k, v in point.items() if k != "strategy") or "the base"
            raise ParameterError(f"{exp.path}: the design point {shown}: {exc}") from None


def _typed(path: str, key: str, value: Any, where: str) -> None:
    try:
        check_typed(key, value, where)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None


def _range(path: str, key: str, spec: dict) -> tuple[float, float]:
    kind = PARAMETERS[key].kind
    if kind not in (int, float):
        raise ParameterError(f"{path}: [sweep.parameters] {key} is not numeric: give a list of values")
    lo, hi = spec["min"], spec["max"]
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParameterError(f"{path}: [sweep.parameters] {key} range bounds must be numbers, got {v!r}")
    if not lo < hi:
        raise ParameterError(f"{path}: [sweep.parameters] {key}: min = {lo} must be below max = {hi}")
    return float(lo), float(hi)
