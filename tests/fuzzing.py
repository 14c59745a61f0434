"""Inputs generated from the declarations in ``PARAMETERS``: invalid values (lists, for
``parametrize``) and hypothesis strategies of valid parameter sets, small graphs and graph
files.

Shared by ``core/test_param_validation.py`` (every declared kind of invalid value, once),
``core/test_fuzz_model.py`` (random valid sets keep every invariant) and
``test_fuzz_inputs.py`` (random invalid inputs give one error line). Like scikit-learn's
``_param_validation`` (``generate_invalid_param_val``), the values come from what a
parameter declares (kind, range, choices), so a parameter added to ``PARAMETERS`` is
fuzzed without a new test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from hypothesis import strategies as st

from simulation.core.params import ENGINES, PARAMETERS, Spec

# --- invalid values, one list per parameter ---------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """One invalid value for one parameter and what its error message must say."""

    label: str  # the kind of invalid value, e.g. "below_min"
    value: Any
    says: str  # the reason, as the message words it
    hint: str | None = None  # the valid choice a "did you mean" must name


def _typos(choice: str) -> dict[str, str]:
    """Near misses of ``choice``: its last letter doubled, its middle letter dropped."""
    middle = len(choice) // 2
    return {"typo": choice + choice[-1], "drop": choice[:middle] + choice[middle + 1:]}


def invalid_values(spec: Spec) -> list[Invalid]:
    """Every kind of invalid value that the declaration of ``spec`` implies.

    Parameters
    ----------
    spec
        A parameter's declaration: ``kind`` int, float, bool or str (str needs ``choices``),
        with optional ``low`` / ``high`` (inclusive bounds).

    Returns
    -------
    list of Invalid
        Labels are unique per parameter: they become the test ids.

    Raises
    ------
    TypeError
        For a declaration this generator does not understand: extend it, do not skip it.
    """
    if spec.kind is bool:
        return [Invalid("text", "maybe", "not a boolean"), Invalid("number", 2, "not a boolean")]
    if spec.kind is str:
        if not spec.choices:
            raise TypeError(f"{spec.name}: a text parameter without choices")
        return [Invalid("number", 3, "not a string"), Invalid("boolean", True, "not a string"),
                Invalid("empty", "", "is not allowed"),
                *(Invalid(f"{how}_{c}", text, "is not allowed", hint=c)
                  for c in spec.choices for how, text in _typos(c).items())]
    if spec.kind not in (int, float):
        raise TypeError(f"{spec.name}: kind {spec.kind!r} has no generator of invalid values")
    out = [Invalid("text", "abc", "not a number"),
           Invalid("boolean", True, "is a boolean"),  # bool is an int subclass, refused anyway
           Invalid("container", [spec.default], "not a number"),
           Invalid("nan", math.nan, "not a finite number"),
           Invalid("nan_text", "nan", "not a finite number"),  # as --set passes it
           Invalid("inf", math.inf, "not a finite number"),
           Invalid("minus_inf", -math.inf, "not a finite number"),
           Invalid("overflow", 10**400, "out of range")]  # no float holds it
    if spec.low is not None:
        out.append(Invalid("below_min", spec.low - 1, "out of range"))
        if spec.kind is float:  # the bound is inclusive: the next float below it is out
            out.append(Invalid("just_below_min", math.nextafter(spec.low, -math.inf), "out of range"))
    if spec.high is not None:
        out.append(Invalid("above_max", spec.high + 1, "out of range"))
        if spec.kind is float:
            out.append(Invalid("just_above_max", math.nextafter(spec.high, math.inf), "out of range"))
    if spec.kind is int:
        inside = spec.low if spec.low is not None else spec.default
        out.append(Invalid("not_whole", inside + 0.5, "not a whole number"))
        out.append(Invalid("not_whole_text", f"{inside}.5", "not a whole number"))
    return out


# --- valid parameter sets ----------------------------------------------------------------

# Declared ranges narrowed for the fuzz runs: the values are valid, but near the top of
# these ranges one example would cost seconds (work proportional to the value: more
# consumers, weeks, impressions, reads or ring-buffer slots). (low, high) per engine; the
# per-agent reference hands out impressions and reads one at a time, so it gets less.
CHEAP = {
    "vectorised": {"n_consumers": (20, 150), "steps": (1, 15), "budget": (0.0, 1000.0),
                   "rival_budget": (0.0, 1000.0), "post_reach": (0.0, 1000.0), "record_capacity": (10, 10_000),
                   "weak_contacts": (0, 50)},
    "reference": {"n_consumers": (20, 150), "steps": (1, 15), "budget": (0.0, 20.0), "rival_budget": (0.0, 20.0),
                  "n_brands": (1, 6), "post_reach": (0.0, 50.0), "record_capacity": (10, 10_000),
                  "fanpage_posts": (0, 20), "weak_contacts": (0, 50)},
}
# KNOWN (reported, issue 10 item 15): a positive budget below about margin x 1e-308 per
# consumer-week (1e-299 at the largest margin) makes roi = (revenue - spend) / spend overflow
# to inf. Valid, meaningless, and left out here: such a parameter is 0 or at least its floor.
FLOORS = {"budget": 1e-100, "rival_budget": 1e-100}
#: Parameters drawn by :func:`valid_params` itself (choices it makes, or rules across them).
_DRAWN_APART = {"engine", "network", "mean_degree", "dialogue_share", "fanpage_share"}


def value_of(spec: Spec, low=None, high=None) -> st.SearchStrategy:
    """Any valid value of one parameter (within ``low``..``high`` if given); floats include
    the bounds and subnormal numbers (except where :data:`FLOORS` says)."""
    if spec.choices:
        return st.sampled_from(spec.choices)
    if spec.kind is bool:
        return st.booleans()
    lo = spec.low if low is None else low
    hi = spec.high if high is None else high
    if spec.kind is int:
        return st.integers(int(lo), int(hi))
    if spec.name in FLOORS and lo == 0:
        return st.one_of(st.just(0.0), st.floats(FLOORS[spec.name], hi))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def valid_params(draw, engine: str | None = None, networks=None) -> dict[str, Any]:
    """A random valid parameter dict: every declared parameter drawn in its range.

    Rules across parameters, as ``Params`` checks them (``_check_combinations``):
    ``dialogue_share + fanpage_share <= 1``; the Bass purchase model has one brand. Generated graphs get a feasible
    ``mean_degree`` (below ``n_consumers - 1``: every generator can build it); the
    infeasible ones are the input fuzz's business. ``network`` is one of ``networks``
    (default: every generated and built-in graph; ``file:`` graphs are added by the
    caller, who owns the file).
    """
    engine = engine or draw(st.sampled_from(ENGINES))
    cheap = CHEAP[engine]
    out: dict[str, Any] = {"engine": engine}
    for name, spec in PARAMETERS.items():
        if name not in _DRAWN_APART:
            out[name] = draw(value_of(spec, *cheap.get(name, (None, None))))
    dialogue = draw(value_of(PARAMETERS["dialogue_share"]))
    out["dialogue_share"] = dialogue
    out["fanpage_share"] = draw(st.floats(0.0, 1.0 - dialogue))
    choices = networks or PARAMETERS["network"].choices
    out["network"] = draw(st.sampled_from(choices))
    out["mean_degree"] = draw(st.floats(1.0, min(PARAMETERS["mean_degree"].high, out["n_consumers"] - 2.0)))
    if out["purchase_model"] == "bass":
        out["n_brands"] = 1
    return out


# --- small graphs and graph files --------------------------------------------------------

GRAPH_FORMATS = ("edgelist", "csv", "graphml", "gml")


@st.composite
def small_graphs(draw, max_nodes: int = 40) -> nx.Graph | nx.MultiGraph:
    """A random small graph with at least one tie between two distinct nodes.

    May hold isolated nodes, self-loops and (as a multigraph) repeated ties: what a file
    from the wild holds, and what cleaning (docs/ODD.md 5.2) must fold away.
    """
    n = draw(st.integers(2, max_nodes))
    first = draw(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]))
    more = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    graph = nx.MultiGraph() if draw(st.booleans()) else nx.Graph()
    offset = draw(st.sampled_from((0, 1, 1000)))  # ids need not start at 0
    graph.add_nodes_from(range(offset, offset + n))
    graph.add_edges_from((u + offset, v + offset) for u, v in [first, *more])
    return graph


def write_graph(graph: nx.Graph, folder: Path, stem: str, fmt: str) -> tuple[Path, int, int]:
    """Write ``graph`` as ``fmt``; return (path, nodes and ties the model should get).

    An edge list cannot hold an isolated node (docs/ODD.md 5.1), so those count only for
    GraphML and GML; a node seen only in a self-loop stays (5.2).
    """
    ties = {frozenset((u, v)) for u, v in graph.edges() if u != v}
    if fmt in ("edgelist", "csv"):
        path = folder / f"{stem}.{'csv' if fmt == 'csv' else 'txt'}"
        sep = "," if fmt == "csv" else " "
        lines = ["# a random graph"] + [f"{u}{sep}{v}" for u, v in graph.edges()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        nodes = {x for e in graph.edges() for x in e}
        return path, len(nodes), len(ties)
    path = folder / f"{stem}.{fmt}"
    (nx.write_graphml if fmt == "graphml" else nx.write_gml)(graph, path)
    return path, graph.number_of_nodes(), len(ties)


# --- TOML documents ----------------------------------------------------------------------

# TOML values as tomllib returns them (no null, no dates: enough to be wrong in every way).
TOML_SCALARS = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=12))
TOML_VALUES = st.recursive(TOML_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def toml_text(doc: dict[str, Any]) -> str:
    """``doc`` (str keys; values bool, int, float, str, list, dict) as TOML text.

    Tables go after the plain keys of their level, as TOML needs; keys and strings are
    basic strings (quoted, escaped).
    """
    lines: list[str] = []
    _toml_table(doc, [], lines)
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    """A TOML basic string: quote and backslash escaped, control characters as \\uXXXX."""
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else
                         "\\" + c if c in '"\\' else c for c in key) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _toml_key(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table (inside a list, or a range {min, max})
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def _toml_table(table: dict[str, Any], where: list[str], lines: list[str]) -> None:
    tables = {k: v for k, v in table.items() if isinstance(v, dict) and v and not _is_inline(v)}
    for key, value in table.items():
        if key not in tables:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables.items():
        lines.append("[" + ".".join(_toml_key(k) for k in [*where, key]) + "]")
        _toml_table(value, [*where, key], lines)


def _is_inline(table: dict[str, Any]) -> bool:
    """A range ``{ min = ., max = . }`` reads better inline, as experiment files write it."""
    return set(table) <= {"min", "max"}
