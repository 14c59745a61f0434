"""Validation from the declarations: every parameter is tried with every invalid value its
:class:`~simulation.core.params.Spec` implies.

The idea of scikit-learn's ``_param_validation`` (``generate_invalid_param_val``): the
invalid values are generated from what a parameter declares (kind, range, choices), not
picked by hand, so a parameter added to ``PARAMETERS`` is checked without a new test. The
hand-picked cases that remain in ``test_params.py`` and ``test_cli.py`` test what a
declaration does not say: graph files, TOML files, unknown names, the rule across shares.
The generator, :func:`fuzzing.invalid_values`, is shared with the fuzz tests, which draw
combinations of these values.
"""

from __future__ import annotations

import pytest

from simulation.core.params import PARAMETERS, Params, Spec
from simulation.errors import ParameterError

from conftest import run_cli, tree
from fuzzing import Invalid, invalid_values

CASES = [pytest.param(name, case, id=f"{name}-{case.label}")
         for name, spec in PARAMETERS.items() for case in invalid_values(spec)]


def check_message(message: str, spec: Spec, case: Invalid) -> None:
    """One line that names the parameter, says why and what is allowed (and the near choice)."""
    assert "\n" not in message, message
    assert f"parameter '{spec.name}'" in message, message
    assert f"allowed {spec.allowed()}" in message or f"in {spec.allowed()}" in message, message
    assert case.says in message, message
    if case.hint:
        assert f"(did you mean '{case.hint}'?)" in message, message


@pytest.mark.parametrize(("name", "case"), CASES)
def test_invalid_value_is_refused_with_a_one_line_message(name, case):
    with pytest.raises(ParameterError) as info:
        Params(**{name: case.value})
    check_message(str(info.value), PARAMETERS[name], case)


@pytest.mark.parametrize("name", PARAMETERS)
def test_every_parameter_has_generated_invalid_values(name):
    spec = PARAMETERS[name]
    labels = [c.label for c in invalid_values(spec)]
    assert len(labels) == len(set(labels))
    ids = [p.id for p in CASES if p.id.startswith(f"{name}-")]
    assert len(ids) == len(labels) >= 2
    if spec.kind in (int, float):
        assert {"text", "boolean", "nan", "inf"} <= set(labels)
        assert ("below_min" in labels) == (spec.low is not None)
        assert ("above_max" in labels) == (spec.high is not None)
    if spec.choices:
        assert {f"{how}_{c}" for c in spec.choices for how in ("typo", "drop")} <= set(labels)


def test_the_cases_cover_every_parameter():
    assert {p.values[0] for p in CASES} == set(PARAMETERS)


# The rules across parameters (dialogue_share + fanpage_share <= 1; the Bass purchase model
# needs one brand) are not what is tried here.
COMPANIONS = {"fanpage_share": {"dialogue_share": 0.0}, "purchase_model": {"n_brands": 1}}


@pytest.mark.parametrize("name", PARAMETERS)
def test_declared_bounds_and_choices_are_accepted(name):
    """The bounds are inclusive and every choice is valid: "just outside" above is outside."""
    spec = PARAMETERS[name]
    values = [v for v in (spec.low, spec.high) if v is not None] + list(spec.choices or ())
    for value in values:
        got = Params(**{name: spec.kind(value)}, **COMPANIONS.get(name, {}))[name]
        assert got == value and type(got) is spec.kind


def _first_of_each_kind() -> list:
    """For each declared kind (int, float, str), its first parameter with each kind of
    invalid value once (one typo; as text, ``nan`` and ``"nan"`` are one): the command
    line's share, kept to a few runs."""
    out, kinds = [], set()
    for name, spec in PARAMETERS.items():
        if spec.kind in kinds:
            continue
        kinds.add(spec.kind)
        seen = set()
        for case in invalid_values(spec):
            key = "typo" if case.hint else case.label
            if key not in seen and str(case.value) not in seen:
                seen |= {key, str(case.value)}
                out.append(pytest.param(name, case, id=f"{name}-{key}"))
    return out


QUICK = ("--set", "steps=1", "--set", "n_consumers=50")  # if a value were taken, a short run


@pytest.mark.parametrize(("name", "case"), _first_of_each_kind())
def test_invalid_value_on_the_command_line_is_one_error_line(tmp_path, name, case):
    text = str(case.value)  # what --set passes on: text, coerced by Params
    with pytest.raises(ParameterError):
        Params(**{name: text})
    out = tmp_path / "out"
    before = tree(tmp_path)
    result = run_cli("simulate", *QUICK, "--set", f"{name}={text}", "--no-progress", "--out", out, timeout=60)
    assert result.returncode == 2, f"exit {result.returncode}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: parameter "), result.stderr
    spec = PARAMETERS[name]
    assert f"'{name}'" in lines[0] and spec.allowed() in lines[0], lines[0]
    if case.hint:
        assert f"did you mean '{case.hint}'" in lines[0], lines[0]
    assert not out.exists() and tree(tmp_path) == before
