"""The lazy Mesa view (simulation/core/views.py): made when asked for, then as before, and
looking changes no result (docs/ODD.md, 2.1 "The Mesa view")."""

from __future__ import annotations

import gc

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import Network

from simulation import WordOfMouthModel
from simulation.core.agents import Consumer
from simulation.core.views import cyclic_gc_paused

SMALL = {"n_consumers": 300, "strategy": "mixed"}


def _look(model) -> None:
    _ = model.graph, model.space, len(model.agents)


def test_nothing_is_made_until_asked_for_then_everything_is_there():
    model = WordOfMouthModel(SMALL, rng=2)
    assert model.mesa_view_made == {"graph": True, "space": False, "agents": False}  # networkx built it
    assert len(model.agents) == 300 and model.mesa_view_made["agents"] and model.mesa_view_made["space"]
    agents = list(model.agents)
    assert [a.unique_id for a in agents] == list(range(1, 301))
    assert [a.index for a in agents] == list(range(300))
    assert all(a.cell is model.space[a.index] and a in a.cell.agents for a in agents[:20])
    assert isinstance(model.space, Network) and model.space.G is model.graph
    assert model.agent_types == [Consumer] and len(model.agents_by_type[Consumer]) == 300
    # The agents are views on the arrays: writing one writes the state.
    agents[7].attitude = 0.25
    assert model.state.attitude[7, 0] == 0.25


def test_looking_at_any_time_changes_no_result():
    plain = WordOfMouthModel(SMALL, rng=5)
    looked = WordOfMouthModel(SMALL, rng=5)
    _look(looked)
    late = WordOfMouthModel(SMALL, rng=5)
    for t in range(8):
        for model in (plain, looked, late):
            model.step()
        if t == 3:
            _look(late)
            late.agents.select(lambda a: a.aware)
    pd.testing.assert_frame_equal(plain.timeseries(), looked.timeseries())
    pd.testing.assert_frame_equal(plain.timeseries(), late.timeseries())
    assert plain.rng.bit_generator.state == late.rng.bit_generator.state
    assert plain.random.getstate() == late.random.getstate()


def test_agent_reporters_new_agents_and_removal_work_through_the_view():
    model = WordOfMouthModel(SMALL, rng=1, collect_agents=True)
    model.run(2)
    df = model.datacollector.get_agent_vars_dataframe()
    assert len(df) == 3 * 300
    fresh = WordOfMouthModel(SMALL, rng=1)
    extra = mesa.Agent(fresh)  # registering another agent makes the consumers first
    assert extra.unique_id == 301 and len(fresh.agents) == 301
    fresh.remove_all_agents()
    assert len(fresh.agents) == 0


def test_a_large_model_s_networkx_graph_is_its_adjacency():
    model = WordOfMouthModel({"n_consumers": 100_000, "mean_degree": 4}, rng=3)
    assert model.mesa_view_made == {"graph": False, "space": False, "agents": False}
    G, adj = model.graph, model.adjacency
    assert G.number_of_nodes() == adj.n and G.number_of_edges() == adj.n_edges == 2 * (100_000 - 2)
    assert all(list(G[u]) == adj.indices[adj.indptr[u]:adj.indptr[u + 1]].tolist() for u in (0, 1, 77, 99_999))
    assert G.graph["source"] == "barabasi_albert" and nx.is_connected(G)


def test_gc_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()


@pytest.mark.slow
def test_a_million_consumers_are_mesa_agents_on_a_networkx_graph_when_looked_at():
    # Mean degree 2 (m = 1, a tree) keeps the test short; the view is made the same way.
    model = WordOfMouthModel({"n_consumers": 1_000_000, "mean_degree": 2, "steps": 1}, rng=1)
    assert model.mesa_view_made == {"graph": False, "space": False, "agents": False}
    model.step()
    assert len(model.agents) == 1_000_000
    G = model.graph
    assert isinstance(G, nx.Graph) and G.number_of_edges() == model.adjacency.n_edges == 1_000_000 - 1
    agent = model.agents_by_type[Consumer].to_list()[123_456]
    assert agent.index == 123_456 and agent.unique_id == 123_457
    assert agent.cell.coordinate == 123_456 and agent in agent.cell.agents
    assert sorted(c.coordinate for c in agent.cell.neighborhood) == sorted(G[123_456])
    assert agent.aware == bool(model.state.aware[123_456, 0])
    assert np.isclose(model.agents.agg("attitude", np.mean), model.state.attitude[:, 0].mean())
