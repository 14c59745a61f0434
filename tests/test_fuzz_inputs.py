"""Property-based fuzzing of bad input: random invalid values, TOML files and graph files
always end in one line of the project's own error (a ``WomsimError``), never a traceback.

The library functions that read input (``Params``, ``Params.from_toml``, ``load_experiment``,
``build_graph``) get many examples (twice the profile's count: they are cheap); the command
line (``python run.py``, a subprocess of about half a second) a handful (3 per kind), which
check that such an error becomes exit code 2, one ``error: ...`` line and nothing written.
"Never a traceback" is checked as "never another exception type": ``ParameterError`` and
``GraphError`` are also ``ValueError``s, so the test is that the exception *is* a
``WomsimError``, not that it is not a ``ValueError``. What the fuzzing found in
``research/experiment.py`` (a two-line error for a key with a newline, an unchecked
``samples``, design points checked value by value) is fixed and pinned by the plain tests
at the end.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulation.core.network import build_graph
from simulation.core.params import GENERATED_NETWORKS, PARAMETERS, Params
from simulation.errors import GraphError, ParameterError, WomsimError
from simulation.research.experiment import load_experiment

from conftest import examples, run_cli, tree
from fuzzing import TOML_VALUES, invalid_values, toml_text, valid_params

NAMES = sorted(PARAMETERS)
# Names that are not parameters: near misses and any text.
NOT_NAMES = st.one_of(st.sampled_from(NAMES).map(lambda n: n + "x"), st.text(min_size=1, max_size=12)).filter(
    lambda n: n not in PARAMETERS)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert len(message.splitlines()) == 1 and message.strip(), repr(message)  # as stderr's lines split
    return message


def refused(call, kind: type[WomsimError] = WomsimError) -> str:
    """Call, expecting one of the project's errors of ``kind``; return its one-line message."""
    try:
        call()
    except WomsimError as exc:
        assert isinstance(exc, kind), f"{type(exc).__name__}: {exc}"
        return one_line(exc)
    raise AssertionError(f"accepted: {call}")


def accepted_or_refused(call, kind: type[WomsimError] = WomsimError):
    """Call; any exception must be one of the project's, with a one-line message."""
    try:
        return call()
    except WomsimError as exc:
        assert isinstance(exc, kind), f"{type(exc).__name__}: {exc}"
        one_line(exc)
        return None


@pytest.fixture(scope="module")
def folder():
    # hypothesis runs many examples per test call: one folder for the module, a file per example
    with tempfile.TemporaryDirectory(prefix="womsim-fuzz-inputs-") as path:
        yield Path(path)


def new_file(folder: Path, data, suffix: str) -> Path:
    return folder / f"f{data.draw(st.integers(0, 2**62), label='file')}{suffix}"


# --- parameter values --------------------------------------------------------------------


@st.composite
def broken_params(draw) -> tuple[dict, set[str]]:
    """A valid parameter set with one to four values replaced by invalid ones (the
    declared kinds of ``fuzzing.invalid_values``), or the shares' rule broken."""
    values = draw(valid_params())
    if draw(st.integers(0, 9)) == 0:  # the rule across parameters (Params._check_combinations)
        dialogue = draw(st.floats(0.0, 1.0))
        values["dialogue_share"] = dialogue
        values["fanpage_share"] = draw(st.floats(0.0, 1.0).filter(lambda f: dialogue + f > 1 + 1e-9))
        return values, {"dialogue_share", "fanpage_share"}
    broken = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    for name in broken:
        case = draw(st.sampled_from(invalid_values(PARAMETERS[name])))
        as_text = draw(st.booleans()) and not isinstance(case.value, list)  # as --set passes it
        values[name] = str(case.value).lower() if as_text and isinstance(case.value, bool) else (
            str(case.value) if as_text else case.value)
    order = draw(st.permutations(list(values)))
    return {k: values[k] for k in order}, set(broken)


@settings(max_examples=examples(2.0))
@given(broken_params())
def test_combinations_of_invalid_values_are_refused_naming_one(case):
    values, broken = case
    message = refused(lambda: Params(**values), ParameterError)
    assert any(f"'{name}'" in message for name in broken), message


@settings(max_examples=examples(2.0))
@given(st.dictionaries(st.one_of(st.sampled_from(NAMES), NOT_NAMES), TOML_VALUES, max_size=6))
def test_any_values_give_params_or_one_error_line(values):
    """Whatever the names and values (TOML's kinds of value, nested lists, NaN, huge ints,
    any text), Params is built or refuses with one line; unknown names are always refused."""
    params = accepted_or_refused(lambda: Params(**values), ParameterError)
    if any(name not in PARAMETERS for name in values):
        assert params is None


@settings(max_examples=examples(2.0))
@given(st.lists(st.text(max_size=20), max_size=4))
def test_set_assignments_parse_or_one_error_line(items):
    accepted_or_refused(lambda: Params(**Params.parse_assignments(items)), ParameterError)


# --- generated graphs --------------------------------------------------------------------


@settings(max_examples=examples(2.0))
@given(params=valid_params(networks=GENERATED_NETWORKS), n=st.integers(2, 60),
       degree=st.floats(1.0, PARAMETERS["mean_degree"].high), seed=st.integers(0, 2**32))
def test_generators_build_a_clean_graph_or_refuse_in_one_line(params, n, degree, seed):
    """Any generator at any valid size and degree, including the ones it cannot build
    (m >= N, k >= N, mean_degree > N - 1): a clean graph of N nodes, or a GraphError."""
    p = Params(**{**params, "n_consumers": n, "mean_degree": degree})
    built = accepted_or_refused(lambda: build_graph(p, np.random.default_rng(seed)), GraphError)
    if built is not None:
        graph, segment = built
        assert list(graph) == list(range(n)) and len(segment) == n
        assert not graph.is_directed() and not graph.is_multigraph() and nx_selfloops(graph) == 0


def nx_selfloops(graph) -> int:
    return sum(1 for u, v in graph.edges() if u == v)


# --- graph files -------------------------------------------------------------------------

GRAPH_SUFFIXES = (".txt", ".csv", ".tsv", ".edges", ".graphml", ".gml", ".net", "")
TOKENS = st.one_of(st.integers(-5, 50).map(str), st.sampled_from(["a", "b", "Source", "Target", "Weight",
                                                                  "*Vertices", "*Edges", "1.5", "nan", "#",
                                                                  "%", "<graphml>", "graph [", "]", '"x"']),
                   st.text(max_size=6))


@st.composite
def graph_file_text(draw) -> bytes:
    """Random lines of graph-ish tokens, random separators, any encoding mishap."""
    lines = draw(st.lists(st.tuples(st.lists(TOKENS, max_size=5), st.sampled_from([" ", ",", "\t", ";", ", "])),
                          max_size=8))
    text = "\n".join(sep.join(tokens) for tokens, sep in lines)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])), errors="surrogatepass")


@settings(max_examples=examples(2.0))
@given(content=st.one_of(graph_file_text(), st.binary(max_size=200)), suffix=st.sampled_from(GRAPH_SUFFIXES),
       seed=st.integers(0, 2**32), data=st.data())
def test_any_graph_file_gives_a_clean_graph_or_one_error_line(folder, content, suffix, seed, data):
    path = new_file(folder, data, suffix)
    path.write_bytes(content)
    try:
        p = Params(network=f"file:{path}")
        built = accepted_or_refused(lambda: build_graph(p, np.random.default_rng(seed)), GraphError)
    finally:
        path.unlink()
    if built is not None:
        graph, segment = built
        n = graph.number_of_nodes()
        assert n >= 2 and list(graph) == list(range(n)) and len(segment) == n
        assert not graph.is_directed() and not graph.is_multigraph() and nx_selfloops(graph) == 0


# Files that no reader may take: not UTF-8, nothing but comments and blank lines, or one id.
NOT_UTF8 = st.binary(max_size=50).map(lambda b: b + b"\xff\xfe\xfa" + b)  # 0xFF never occurs in UTF-8
EMPTY = st.lists(st.sampled_from(["", "# comment", "% comment", "   "]), max_size=5).map(
    lambda lines: "\n".join(lines).encode())
ONE_ID = st.integers(0, 99).map(lambda i: f"{i}\n".encode())


@settings(max_examples=examples(2.0))
@given(content=st.one_of(NOT_UTF8, EMPTY, ONE_ID), suffix=st.sampled_from((".txt", ".csv", ".graphml", ".gml")),
       data=st.data())
def test_graph_files_without_a_graph_are_refused_in_one_line(folder, content, suffix, data):
    path = new_file(folder, data, suffix)
    path.write_bytes(content)
    try:
        p = Params(network=f"file:{path}")
        message = refused(lambda: build_graph(p, np.random.default_rng(0)), GraphError)
    finally:
        path.unlink()
    assert str(path) in message, message


# --- TOML files: parameter files ---------------------------------------------------------

TOML_DOCS = st.dictionaries(st.text(max_size=8), st.one_of(TOML_VALUES, st.dictionaries(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), TOML_VALUES, max_size=4)), max_size=4)


@st.composite
def wrong_params_documents(draw) -> dict:
    """Valid TOML that no parameter file may be: an unknown name, an invalid value, a key
    beside the [params] table, or a table where a value belongs."""
    good = draw(st.dictionaries(st.sampled_from(NAMES), st.just(None), max_size=3))
    doc = {name: PARAMETERS[name].default for name in good}
    if "dialogue_share" in doc or "fanpage_share" in doc:
        doc.pop("fanpage_share", None)
    how = draw(st.sampled_from(["unknown", "invalid", "beside", "table"]))
    if how == "unknown":
        doc[draw(NOT_NAMES)] = draw(TOML_VALUES)
    elif how == "invalid":
        name = draw(st.sampled_from(NAMES))
        value = draw(st.sampled_from(invalid_values(PARAMETERS[name]))).value
        assume(not (isinstance(value, int) and abs(value) >= 2**63))  # TOML integers are 64-bit
        doc[name] = value
    elif how == "table":
        doc[draw(st.sampled_from(NAMES))] = draw(st.dictionaries(st.text(min_size=1, max_size=5), TOML_SCALARS_SMALL,
                                                                 min_size=1, max_size=2))
    if how == "beside":
        return {"params": doc, draw(st.text(max_size=8).filter(lambda k: k != "params")): draw(TOML_VALUES)}
    return {"params": doc} if draw(st.booleans()) else doc


TOML_SCALARS_SMALL = st.one_of(st.booleans(), st.integers(-10, 10), st.text(max_size=5))


def write_toml(folder: Path, data, doc: dict) -> Path:
    import tomllib

    path = new_file(folder, data, ".toml")
    text = toml_text(doc)
    back = tomllib.loads(text)  # the writer is part of the test: it must say what it means
    assert _same(back, doc), (text, back, doc)
    path.write_text(text, encoding="utf-8")
    return path


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=examples(2.0))
@given(doc=wrong_params_documents(), data=st.data())
def test_wrong_parameter_files_are_refused_in_one_line(folder, doc, data):
    path = write_toml(folder, data, doc)
    try:
        message = refused(lambda: Params.from_toml(path), ParameterError)
    finally:
        path.unlink()
    assert str(path) in message, message


@settings(max_examples=examples(2.0))
@given(content=st.one_of(st.binary(max_size=100), TOML_DOCS.map(lambda d: toml_text(d).encode())), data=st.data())
def test_any_parameter_file_gives_params_or_one_error_line(folder, content, data):
    path = new_file(folder, data, ".toml")
    path.write_bytes(content)
    try:
        accepted_or_refused(lambda: Params.from_toml(path), ParameterError)
    finally:
        path.unlink()


# --- TOML files: experiment files --------------------------------------------------------

EXPERIMENT_KEYS = ("name", "steps", "replicates", "seed")
DESIGNS = ("grid", "lhs", "sobol", "morris")
SMALL_INTS = st.integers(-3, 70)
RANGES = st.fixed_dictionaries({"min": st.one_of(SMALL_INTS, st.floats(-2, 5)),
                                "max": st.one_of(SMALL_INTS, st.floats(-2, 5))})


PRINTABLE_KEYS = st.text(max_size=6)  # control characters too: the messages show them with repr
PRINTABLE_NOT_NAMES = NOT_NAMES


@st.composite
def experiment_documents(draw) -> dict:
    """Valid TOML in the experiment files' vocabulary, right or wrong in any part."""
    doc: dict = {}
    key_or_any = lambda keys: st.one_of(st.sampled_from(keys), PRINTABLE_KEYS)  # noqa: E731
    if draw(st.booleans()):
        doc["experiment"] = draw(st.dictionaries(key_or_any(EXPERIMENT_KEYS), st.one_of(SMALL_INTS, TOML_VALUES),
                                                 max_size=4))
    if draw(st.booleans()):
        doc["base"] = draw(st.dictionaries(st.one_of(st.sampled_from(NAMES), NOT_NAMES), TOML_VALUES, max_size=3))
    if draw(st.booleans()):
        sweep = draw(st.fixed_dictionaries({}, optional={
            "design": st.one_of(st.sampled_from(DESIGNS), TOML_VALUES),
            "samples": st.one_of(SMALL_INTS, TOML_VALUES),
            "baseline": st.one_of(st.booleans(), TOML_VALUES)}))
        if draw(st.booleans()):
            sweep["parameters"] = draw(st.dictionaries(
                st.one_of(st.sampled_from(NAMES), PRINTABLE_NOT_NAMES),
                st.one_of(st.lists(TOML_VALUES, max_size=3), RANGES, TOML_VALUES), max_size=3))
        doc["sweep"] = sweep
    if draw(st.integers(0, 9)) == 0:
        doc[draw(PRINTABLE_KEYS)] = draw(st.one_of(TOML_VALUES, st.just({})))
    return doc


@settings(max_examples=examples(2.0))
@given(doc=experiment_documents(), data=st.data())
def test_any_experiment_file_loads_or_gives_one_error_line(folder, doc, data):
    """load_experiment takes it or refuses in one line naming the file; what it takes
    yields valid runs (the points of a small design are all valid parameter sets)."""
    path = write_toml(folder, data, doc)
    try:
        exp = accepted_or_refused(lambda: load_experiment(path), ParameterError)
    finally:
        path.unlink()
    if exp is None or exp.samples > 64 or math.prod(len(v) for v in exp.grid.values()) > 64:
        return
    assert exp.tasks()


EXPERIMENT = "[experiment]\nname = 'e'\nsteps = 1\nreplicates = 1\nseed = 1\n"
SHARES = EXPERIMENT + "[base]\nstrategy = 'mixed'\n[sweep.parameters]\n"


def test_a_design_whose_points_break_the_shares_rule_is_refused_by_load_experiment(tmp_path):
    path = tmp_path / "e.toml"  # every point: 0.6 + 0.45 > 1; each value alone passes
    path.write_text(SHARES + "dialogue_share = [0.6]\nfanpage_share = [0.45]\n", encoding="utf-8")
    assert str(path) in one_line(pytest.raises(ParameterError, load_experiment, path).value)


def test_a_design_whose_points_keep_the_shares_rule_is_accepted(tmp_path):
    path = tmp_path / "e.toml"  # every point: 0.4 + 0.55 <= 1; 0.55 with the default 0.5 would not be
    path.write_text(SHARES + "dialogue_share = [0.4]\nfanpage_share = [0.55]\n", encoding="utf-8")
    assert load_experiment(path).tasks()


def test_unknown_experiment_key_with_a_newline_is_one_line(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT + '"a\\nb" = 1\n', encoding="utf-8")
    one_line(pytest.raises(ParameterError, load_experiment, path).value)


@pytest.mark.parametrize("samples", ['"many"', "[1]"])
def test_samples_that_are_not_a_number_are_one_error_line(tmp_path, samples):
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT + f"[sweep]\nsamples = {samples}\n", encoding="utf-8")
    one_line(pytest.raises(ParameterError, load_experiment, path).value)


@st.composite
def wrong_experiment_documents(draw) -> dict:
    """A small valid experiment with one thing broken (each one an error of the file)."""
    doc = {"experiment": {"name": "fuzz", "steps": 2, "replicates": 1, "seed": 0},
           "base": {"n_consumers": 30}, "sweep": {"parameters": {"strategy": ["none", "dialogue"]}}}
    how = draw(st.sampled_from(["section", "experiment_key", "sweep_key", "whole", "design", "base_name",
                                "base_value", "base_steps", "sweep_name", "sweep_steps", "empty_list",
                                "range_order", "range_text", "range_bound", "range_in_grid", "no_samples"]))
    sweep, parameters = doc["sweep"], doc["sweep"]["parameters"]
    if how == "section":
        doc[draw(PRINTABLE_KEYS.filter(lambda k: k not in doc))] = draw(st.one_of(TOML_VALUES, st.just({})))
    elif how == "experiment_key":
        doc["experiment"][draw(PRINTABLE_KEYS.filter(lambda k: k not in EXPERIMENT_KEYS))] = 1
    elif how == "sweep_key":
        sweep[draw(PRINTABLE_KEYS.filter(lambda k: k not in ("design", "samples", "baseline", "parameters")))] = 1
    elif how == "whole":  # steps, replicates, seed: whole numbers (>= 1; seed >= 0)
        key = draw(st.sampled_from(("steps", "replicates", "seed")))
        doc["experiment"][key] = draw(st.one_of(st.integers(-(2**63), -1), st.floats(), st.text(max_size=4),
                                                st.booleans(), st.lists(SMALL_INTS, max_size=2)))
    elif how == "design":
        sweep["design"] = draw(st.one_of(st.text(max_size=6), TOML_VALUES).filter(lambda d: d not in DESIGNS))
    elif how == "base_name":
        doc["base"][draw(NOT_NAMES)] = draw(TOML_VALUES)
    elif how in ("base_value", "sweep_name"):
        name = draw(st.sampled_from(NAMES))
        value = draw(st.sampled_from(invalid_values(PARAMETERS[name]))).value
        assume(not (isinstance(value, int) and abs(value) >= 2**63))  # TOML integers are 64-bit
        if how == "base_value":
            doc["base"][name] = value
        else:
            parameters[name] = [value]
    elif how == "base_steps":
        doc["base"]["steps"] = draw(SMALL_INTS)
    elif how == "sweep_steps":
        parameters["steps"] = [draw(SMALL_INTS)]
    elif how == "empty_list":
        parameters[draw(st.sampled_from(NAMES))] = []
    elif how.startswith("range"):
        name = draw(st.sampled_from([n for n in NAMES if PARAMETERS[n].kind is float]))
        sweep.update(design="lhs", samples=4)
        lo = draw(st.floats(PARAMETERS[name].low, PARAMETERS[name].high))
        if how == "range_order":
            parameters[name] = {"min": lo, "max": draw(st.floats(max_value=lo))}
        elif how == "range_text":
            parameters["strategy"] = {"min": 0, "max": 1}
        elif how == "range_bound":
            parameters[name] = {"min": lo, "max": draw(st.one_of(st.text(max_size=3), st.booleans()))}
        else:  # a range needs a sampling design
            parameters[name] = {"min": 0.0, "max": 1.0} if PARAMETERS[name].high >= 1 else {"min": 0.0, "max": 0.5}
            sweep["design"] = "grid"
    elif how == "no_samples":
        parameters["budget"] = {"min": 0.5, "max": 2.0}
        sweep["design"] = draw(st.sampled_from(DESIGNS[1:]))
    return doc


@settings(max_examples=examples(2.0))
@given(doc=wrong_experiment_documents(), data=st.data())
def test_wrong_experiment_files_are_refused_in_one_line(folder, doc, data):
    path = write_toml(folder, data, doc)
    try:
        message = refused(lambda: load_experiment(path), ParameterError)
    finally:
        path.unlink()
    assert str(path) in message, message


# --- the command line: a handful of subprocesses ------------------------------------------

QUICK = ("--set", "steps=1", "--set", "n_consumers=30", "--no-progress")


@st.composite
def bad_command_lines(draw, kind: str, folder: Path) -> tuple[list[str], Path | None]:
    """(arguments before --out, the input file written): one bad input of ``kind``."""
    if kind == "set":
        name = draw(st.sampled_from(NAMES))
        case = draw(st.sampled_from(invalid_values(PARAMETERS[name])))
        text = str(case.value).lower() if isinstance(case.value, bool) else str(case.value)
        return ["simulate", *QUICK, "--set", f"{name}={text}"], None
    data = draw(st.data())
    if kind == "params":
        path = write_toml(folder, data, draw(wrong_params_documents()))
        return ["simulate", *QUICK, "--params", str(path)], path
    if kind == "experiment":
        path = write_toml(folder, data, draw(wrong_experiment_documents()))
        return ["sweep", str(path), "--no-progress"], path
    path = new_file(folder, data, draw(st.sampled_from((".txt", ".csv", ".graphml", ".gml"))))
    path.write_bytes(draw(st.one_of(NOT_UTF8, EMPTY, ONE_ID)))
    return ["simulate", *QUICK, "--set", f"network=file:{path}"], path


@pytest.mark.parametrize("kind", ["set", "params", "graph", "experiment"])
@settings(max_examples=examples(0.1))
@given(data=st.data())
def test_bad_input_on_the_command_line_is_one_error_line_and_exit_2(tmp_path_factory, kind, data):
    folder = tmp_path_factory.mktemp("cli")
    args, path = data.draw(bad_command_lines(kind, folder), label="command")
    out = folder / "out"
    before = tree(folder)
    result = run_cli(*args, "--out", out, timeout=60)
    assert result.returncode == 2, f"{args}: exit {result.returncode}\nstderr:\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    if path is not None:
        assert str(path) in lines[0], lines[0]
    assert not out.exists() and tree(folder) == before
