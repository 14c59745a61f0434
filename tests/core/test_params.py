"""The parameter object: defaults, coercion, validation messages, TOML and --set."""

import pickle

import pytest

from simulation.core.params import PARAMETERS, STRATEGIES, Params
from simulation.errors import ParameterError


def test_every_default_is_valid_and_documented():
    p = Params()
    for name, spec in PARAMETERS.items():
        assert p[name] == spec.default
        assert spec.meaning and spec.source and spec.group, name
        if spec.low is not None and spec.kind in (int, float):
            assert spec.low <= spec.default <= spec.high, name


def test_fixed_names_exist():
    for name in ("n_consumers", "network", "steps", "strategy", "budget", "quality", "hype",
                 "honesty", "immigrant_share", "dialogue_share"):
        assert name in PARAMETERS
    assert STRATEGIES == ("none", "broadcast", "hype", "fanpage", "dialogue", "mixed")


def test_strings_from_the_command_line_are_coerced():
    p = Params(n_consumers="500", budget="2.5", quality=" -0.25 ", steps="10.0")
    assert p.n_consumers == 500 and isinstance(p.n_consumers, int)
    assert p.budget == 2.5 and p.quality == -0.25 and p.steps == 10


# Wrong types, NaN/inf, out-of-range values and near-miss choices of every parameter are
# generated from the declarations in test_param_validation.py; these are what they do not imply.
@pytest.mark.parametrize("key, value, fragment", [
    ("network", "barabasi", "did you mean 'barabasi_albert'"),  # a cut-off name, not a typo
    ("network", "file:/no/such/graph.txt", "does not exist"),
    ("network", "file:", "needs a path"),
])
def test_bad_values_name_the_parameter_and_what_is_allowed(key, value, fragment):
    with pytest.raises(ParameterError) as info:
        Params(**{key: value})
    msg = str(info.value)
    assert f"'{key}'" in msg and fragment in msg and "\n" not in msg


def test_unknown_key_suggests_the_closest_name():
    with pytest.raises(ParameterError, match=r"unknown parameter 'budjet' \(did you mean 'budget'\?\)"):
        Params(budjet=1)
    with pytest.raises(ParameterError, match="unknown parameter 'zzz'$"):
        Params(zzz=1)


def test_budget_shares_must_not_exceed_one():
    Params(strategy="mixed", dialogue_share=0.6, fanpage_share=0.4)
    with pytest.raises(ParameterError, match="'dialogue_share' \\+ 'fanpage_share' = 1.3 exceed 1"):
        Params(strategy="mixed", dialogue_share=0.8, fanpage_share=0.5)


def test_existing_graph_file_is_accepted(tmp_path):
    f = tmp_path / "g.txt"
    f.write_text("0 1\n")
    assert Params(network=f"file:{f}").network == f"file:{f}"


def test_immutable_replace_and_pickle():
    p = Params(budget=2)
    with pytest.raises(AttributeError):
        p.budget = 3
    q = p.replace(quality=-0.5)
    assert (p.quality, q.quality, q.budget) == (0.3, -0.5, 2.0)
    assert pickle.loads(pickle.dumps(q)) == q
    assert q.differing() == {"budget": 2.0, "quality": -0.5}
    with pytest.raises(ParameterError):
        p.replace(quality=5)


def test_toml_table_and_top_level(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[params]\nstrategy = "hype"\nbudget = 3\n')
    assert Params.from_toml(f).strategy == "hype"
    g = tmp_path / "q.toml"
    g.write_text('strategy = "fanpage"\n')
    assert Params.from_toml(g).strategy == "fanpage"


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[params]\nbugdet = 3\n')
    with pytest.raises(ParameterError, match=r"bad.toml: unknown parameter 'bugdet' \(did you mean 'budget'\?\)"):
        Params.from_toml(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text('[params\n')
    with pytest.raises(ParameterError, match="broken.toml' cannot be read"):
        Params.from_toml(broken)
    with pytest.raises(ParameterError, match="does not exist"):
        Params.from_toml(tmp_path / "missing.toml")


def test_parse_assignments():
    assert Params.parse_assignments(["budget=2", "strategy = hype"]) == {"budget": "2", "strategy": " hype"}
    with pytest.raises(ParameterError, match="key=value"):
        Params.parse_assignments(["budget"])
    with pytest.raises(ParameterError, match="did you mean 'quality'"):
        Params.parse_assignments(["qualty=1"])
