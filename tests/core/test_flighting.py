"""The focal brand's spend schedule (simulation/core/flighting.py, docs/ODD.md 7.13)."""

import numpy as np
import pandas as pd
import pytest

from simulation import WordOfMouthModel
from simulation.core.flighting import FlightPlan
from simulation.core.params import Params
from simulation.errors import ParameterError

SMALL = {"n_consumers": 300, "strategy": "mixed", "fanpage_share": 0.2}


def _schedule(params: dict, seed: int = 0, weeks: int = 40) -> list[float]:
    plan = FlightPlan(Params(**params), np.random.default_rng(seed))
    return [plan.on(t) for t in range(1, weeks + 1)]


def test_on_off_weeks_are_exact():
    assert _schedule({"flighting": "on_off", "flight_weeks": 3}, weeks=13) == \
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]
    assert _schedule({"flighting": "on_off", "flight_weeks": 1}, weeks=4) == [1, 0, 1, 0]
    assert _schedule({"flighting": "always"}, weeks=5) == [1] * 5


def test_always_and_on_off_touch_no_generator():
    for kind in ("always", "on_off"):
        rng = np.random.default_rng(4)
        state = rng.bit_generator.state
        plan = FlightPlan(Params(flighting=kind), rng)
        [plan.on(t) for t in range(1, 30)]
        assert rng.bit_generator.state == state
        assert rng.bit_generator.seed_seq.n_children_spawned == 0


def test_pulses_are_reproducible_by_seed_and_leave_the_model_stream_alone():
    params = {"flighting": "pulses", "pulse_prob": 0.3}
    assert _schedule(params, seed=1, weeks=200) == _schedule(params, seed=1, weeks=200)
    assert _schedule(params, seed=1, weeks=200) != _schedule(params, seed=2, weeks=200)
    # asking a week twice, or out of order, gives the same week
    plan = FlightPlan(Params(**params), np.random.default_rng(1))
    late, early = plan.on(50), plan.on(3)
    assert [plan.on(t) for t in (3, 50)] == [early, late] == [_schedule(params, 1, 50)[i] for i in (2, 49)]
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    FlightPlan(Params(**params), rng).on(100)
    assert rng.bit_generator.state == state  # only a spawn: no draw from the model's stream


def test_pulse_share_matches_pulse_prob():
    # 4,000 Bernoulli(0.3) weeks: sd of the share 0.0072; 5 sd tolerance
    weeks = _schedule({"flighting": "pulses", "pulse_prob": 0.3}, seed=7, weeks=4000)
    assert abs(np.mean(weeks) - 0.3) < 0.036


@pytest.mark.parametrize("flighting", [{"flighting": "pulses", "pulse_prob": 1.0},
                                       {"flighting": "on_off", "flight_weeks": 30}])
def test_a_schedule_that_is_always_on_is_the_unflighted_run(flighting):
    """Pulses with pulse_prob = 1 draw their weeks from their own stream: every other draw
    of the run is unchanged, so the run is the run without a schedule, number for number."""
    a = WordOfMouthModel(SMALL, rng=3)
    b = WordOfMouthModel({**SMALL, **flighting}, rng=3)
    a.run(20)
    b.run(20)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())


@pytest.mark.parametrize("pay_unused", [True, False])
def test_off_weeks_spend_nothing_on_any_channel(pay_unused):
    m = WordOfMouthModel({**SMALL, "flighting": "on_off", "flight_weeks": 2, "budget": 2.0,
                          "pay_unused_capacity": pay_unused}, rng=1)
    m.run(8)
    ts = m.timeseries()
    full = 2.0 * 300
    on = [False, True, True, False, False, True, True, False, False]
    assert (ts["spend_week"][[not x for x in on]] == 0).all()
    if not pay_unused:  # only what the channels used (docs/ODD.md 7.11): at most the budget
        assert ((ts["spend_week"][on] > 0) & (ts["spend_week"][on] <= full + 1)).all()
        return
    assert ts["spend_week"].tolist() == [0.0, full, full, 0, 0, full, full, 0, 0]
    assert ts["spend"].iloc[-1] == pytest.approx(4 * full)
    off = ts["spend_week"].iloc[1:] == 0
    assert (ts["replies"].iloc[1:][off] == 0).all()
    assert m.planned_brands[0].weekly_spend == pytest.approx(full)  # the plan keeps the full budget


def test_bad_flighting_names_the_closest_choice():
    with pytest.raises(ParameterError, match="did you mean 'on_off'"):
        Params(flighting="on-off")
    with pytest.raises(ParameterError, match="flight_weeks"):
        Params(flight_weeks=0)
