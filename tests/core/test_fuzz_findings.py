"""What the fuzz tests found, pinned as plain tests (the inputs hypothesis shrank them to).

The fuzz properties (``test_fuzz_model.py``, ``../test_fuzz_inputs.py``) may draw other
inputs in another hypothesis version; these stay.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.network import build_graph
from simulation.core.params import Params
from simulation.core.processes.public_record import PublicRecord
from simulation.errors import ParameterError


@pytest.mark.parametrize("homophily", [6.744771188046738e-22, 1e-300, 2.0**-54])
def test_stochastic_block_with_a_vanishing_tie_probability_builds(homophily):
    """Found: ZeroDivisionError in networkx's sampler (log(1 - p) = 0) when a block's tie
    probability is below 2**-54 (here: strong heterophily leaves the large segment only a
    homophily share of ~1e-22 of the ties). Such a block gets no ties (docs/ODD.md 5.1)."""
    p = Params(network="stochastic_block", n_consumers=20, immigrant_share=0.75, homophily=homophily,
               mean_degree=1.0)
    graph, segment = build_graph(p, np.random.default_rng(0))
    assert graph.number_of_nodes() == 20 and int(segment.sum()) == 15
    assert not any(segment[u] == segment[v] == 1 for u, v in graph.edges())  # no immigrant-immigrant tie


@pytest.mark.parametrize("call", [
    lambda: Params(**{"budget\n": 1}),  # a name with a newline (a TOML key may hold one)
    lambda: Params.parse_assignments(["bud\rget=1"]),
    lambda: Params(**{"line\u2028separator": 1}),  # str.splitlines() splits there too
    lambda: Params(network="file:no\nsuch.txt"),
], ids=["name", "set", "separator", "graph-path"])
def test_names_and_paths_with_control_characters_stay_on_one_line(call):
    """Found: "unknown parameter 'budget<newline>'" printed the name as is: a two-line error."""
    with pytest.raises(ParameterError) as info:
        call()
    message = str(info.value)
    assert len(message.splitlines()) == 1, message


def test_a_key_beside_the_params_table_with_a_newline_stays_on_one_line(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('"x\\ny" = 1\n[params]\nbudget = 2\n', encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        Params.from_toml(path)
    assert "\n" not in str(info.value) and "'x\\ny'" in str(info.value), str(info.value)


def _record(capacity: int, posts: list[tuple[int, int]], sentiment: float) -> PublicRecord:
    """A record after ``posts`` = [(week, how many)], every post of the same sentiment."""
    record = PublicRecord(capacity)
    for week, m in posts:
        record.append(np.zeros(m, dtype=np.int64), np.full(m, sentiment), np.zeros(m), week)
    return record


def test_public_sentiment_of_all_negative_posts_is_not_below_minus_one():
    """Found: -1.0000000000000002 (dot(w, s) and sum(w) round apart) after a ring-buffer wrap."""
    record = _record(10, [(3, 6), (4, 4), (5, 6)], -1.0)
    assert record.mean_sentiment(5, recency=1.0) >= -1.0


def test_public_sentiment_of_old_posts_is_a_number():
    """Found: NaN once every post is older than ~745 x recency weeks (exp underflows)."""
    record = _record(10, [(1, 1)], -0.5)
    assert not np.isnan(record.mean_sentiment(80, recency=0.1))
