"""The focal brand's flighted spend schedule: which weeks it spends its budget (docs/ODD.md, 7.14 Flighting).

A firm that wants to learn what its marketing returns has to vary it: a budget spent the
same every week leaves a regression of sales on spend nothing to learn from. ``flighting``
sets the schedule of the focal brand (brand 0; rivals always spend): in week t its weekly
budget on every channel (broadcast, fan page, dialogue) is ``budget x on(t)`` with on(t) in
{0, 1}:

``always``
    on(t) = 1 every week (no schedule; draws no random number).
``on_off``
    ``flight_weeks`` weeks on, then ``flight_weeks`` weeks off, starting on at week 1:
    on(t) = 1 when floor((t - 1) / flight_weeks) is even. No random number.
``pulses``
    each week independently on with probability ``pulse_prob``: one uniform per week from
    the schedule's own stream, spawned from the model's Generator (a spawn draws nothing
    from it), so the schedule changes no other random number of the run.

The schedule is an input of the run, like the brands' budgets: the engine and the per-agent
reference both take it from :class:`FlightPlan`, so the same seed gives both the same weeks.

Examples
--------
>>> import numpy as np
>>> from simulation.core.params import Params
>>> plan = FlightPlan(Params(flighting="on_off", flight_weeks=2), np.random.default_rng(0))
>>> [plan.on(t) for t in range(1, 9)]
[1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simulation.core.brand import Brand
from simulation.core.params import Params


class FlightPlan:
    """on(t) of the focal brand, and the brands of week t with the focal budgets scaled by it.

    Parameters
    ----------
    params : Params
        Reads ``flighting``, ``flight_weeks`` and ``pulse_prob``.
    rng : numpy.random.Generator
        The model's Generator. Only ``pulses`` uses it, and only to spawn the schedule's own
        stream (after the survey's, in both engines); ``always`` and ``on_off`` never touch it.
    """

    def __init__(self, params: Params, rng: np.random.Generator) -> None:
        self.kind = params.flighting
        self.flight_weeks = int(params.flight_weeks)
        self.pulse_prob = float(params.pulse_prob)
        self._stream = rng.spawn(1)[0] if self.kind == "pulses" else None
        self._pulses: list[float] = []  # on(1), on(2), ...: drawn in week order, kept

    def on(self, t: int) -> float:
        """1.0 if the focal brand spends in week t (t >= 1, the first week is 1), else 0.0."""
        if self.kind == "always":
            return 1.0
        if self.kind == "on_off":
            return 1.0 if ((t - 1) // self.flight_weeks) % 2 == 0 else 0.0
        while len(self._pulses) < t:  # pulses: the same weeks however often a week is asked
            self._pulses.append(1.0 if self._stream.random() < self.pulse_prob else 0.0)
        return self._pulses[t - 1]

    def brands_at(self, brands: tuple[Brand, ...], t: int) -> tuple[Brand, ...]:
        """``brands`` with the focal brand's three channel budgets x on(t) (rivals unchanged)."""
        on = self.on(t)
        if on == 1.0:
            return brands
        focal = brands[0]
        week = dataclasses.replace(focal, broadcast_budget=focal.broadcast_budget * on,
                                   fanpage_budget=focal.fanpage_budget * on,
                                   dialogue_budget=focal.dialogue_budget * on)
        return (week, *brands[1:])
