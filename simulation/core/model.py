"""The word-of-mouth model: a Mesa model whose consumers live in numpy arrays.

Examples
--------
>>> from simulation import WordOfMouthModel
>>> model = WordOfMouthModel({"n_consumers": 300, "strategy": "dialogue"}, rng=1)
>>> model.run(10)
>>> df = model.timeseries()
>>> int(df["step"].iloc[-1]), bool(0.0 <= df["awareness"].iloc[-1] <= 1.0)
(10, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa
import networkx as nx
import numpy as np

from simulation.core import processes as proc
from simulation.core.agents import AGENT_REPORTERS
from simulation.core.brand import qualities
from simulation.core.flighting import FlightPlan
from simulation.core.inputs import model_inputs, resolve_params
from simulation.core.metrics import Tally, model_reporters
from simulation.core.params import Params
from simulation.core.progress import StageListener
from simulation.core.running import RunMixin
from simulation.core.views import LazyMesaView, cyclic_gc_paused


class WordOfMouthModel(LazyMesaView, RunMixin, mesa.Model):
    """Consumers on a social graph, brands competing for them, and a public record.

    Brand 0 is the focal brand (``self.brand``) whose strategy is compared; ``self.brands``
    holds all of them, focal first. Both are this week's: ``self.planned_brands`` with the
    focal budgets x on(t) of its spend schedule ``self.flights`` (docs/ODD.md, 7.14).

    Parameters
    ----------
    params : Params or mapping, optional
        Model parameters (validated; see ``python run.py params``). Missing ones default.
    rng : int, numpy Generator or SeedSequence, optional
        The only source of randomness: the graph, the segments and every process draw
        from ``self.rng``. The same seed gives the same run.
    collect_agents : bool
        Also collect agent-level data each step (expensive: N rows per step).
    graph : (networkx.Graph, segment array), optional
        A prepared graph with nodes 0..N-1 and its segments, to run several models on the
        same consumers (the dashboard does). Built from ``params`` when omitted.
    on_stage : callable, optional
        Told when each build stage (graph, tie strengths, initial state, agents) starts
        and ends (:mod:`simulation.core.progress`); default: the ambient listener, if any.
    **overrides
        Parameter values that take precedence over ``params``.
    """

    def __init__(self, params: Params | Mapping[str, Any] | None = None, *, rng=None,
                 collect_agents: bool = False, graph: tuple[nx.Graph, np.ndarray] | None = None,
                 on_stage: StageListener | None = None, **overrides: Any) -> None:
        super().__init__(rng=rng)
        self.params = p = resolve_params(params, overrides)
        with cyclic_gc_paused():  # millions of long-lived objects, no garbage (views.py)
            built, self.adjacency, self.state, self.brands = model_inputs(p, self.rng, graph, on_stage,
                                                                          lazy_graph=True)
        self.brand = self.brands[0]
        self.qualities = qualities(self.brands)
        # The survey's own stream, spawned from the model's Generator (no draw from it): how
        # many customers are asked changes no other random number of the run.
        self.survey_rng = self.rng.spawn(1)[0]
        # Adoption in the Goldenberg model has its own stream too (docs/ODD.md, 7.3): two runs
        # that differ in a seeding program or a rival use the same numbers for the same consumer
        # and week (common random numbers), whatever the other processes draw.
        self.adoption_rng = self.rng.spawn(1)[0] if p.purchase_model == "goldenberg" else None
        # The focal brand's spend schedule (docs/ODD.md, 7.14); "always" draws nothing.
        self.planned_brands = self.brands
        self.flights = FlightPlan(p, self.rng)
        self.online_prob = self.state.by_segment(p.online_native, p.online_immigrant)
        self.record = proc.PublicRecord(p.record_capacity, proc.reach_scale(self.adjacency.degree, p))
        self.tally = Tally()

        # The Mesa view (networkx graph, Network space, one FixedAgent per node) is made when
        # first asked for (docs/ODD.md, 2.1 "The Mesa view"); making it draws no random number.
        self._defer_mesa_view(built, on_stage)

        self.datacollector = mesa.DataCollector(
            model_reporters=model_reporters(),
            agent_reporters=AGENT_REPORTERS if collect_agents else None,
        )
        self.datacollector.collect(self)

    @property
    def n_consumers(self) -> int:
        return self.state.n

    def step(self) -> None:
        """One week. The processes run in this fixed order (docs/ODD.md, "Process overview"):

        1. broadcast and 2. fan page (each brand in turn, focal first), 3. purchase (category
        occasion, consulting the record, brand choice), 4. experience, 5. word of mouth, 6. public
        record (read last week's record, then post; then the posts of an active scandal), 7.
        dialogue (each brand), 8. forgetting, 9. NPS survey; then money flows (the focal brand's)
        and data collection.
        """
        p, s, rng, t = self.params, self.state, self.rng, self.steps
        tally = self.tally
        self.brands = self.flights.brands_at(self.planned_brands, t)  # focal budgets x on(t)
        self.brand = self.brands[0]
        s.online[:] = rng.random(s.n) < self.online_prob
        s.reinforced[:] = False
        for b, brand in enumerate(self.brands):
            delivered = proc.broadcast(s, p, brand.broadcast_budget, brand.ad_claim, rng, b,
                                       threshold=proc.reactance_threshold(p, b, t))
            if b == 0:
                tally.impressions = delivered
        for b, brand in enumerate(self.brands):
            page = proc.fanpage(s, p, brand.fanpage_budget, brand.quality, rng, b, brand.has_page)
            if b == 0:
                focal_paid_views = page.paid
                tally.organic_views, tally.page_followers = page.free, page.followers
        bought = proc.purchase(s, p, rng, self.adjacency, t, self.record, self.adoption_rng)
        tally.occasions, tally.consultations = bought.occasions, bought.consulted
        tally.purchases, tally.category_purchases = bought.focal, bought.category
        tally.repeat_purchases, tally.previous_focal = bought.repeat, bought.was_focal
        tally.defections = bought.defected
        proc.experience(s, p, proc.experienced_qualities(self.qualities, p, t), rng)
        impression, reported = proc.choose_talkers(s, p, rng)
        tally.wom_positive, tally.wom_negative = proc.word_of_mouth(s, self.adjacency, p, impression, reported, rng)
        proc.read_public_record(s, self.record, p, t, rng)
        focal_posts_before = self.record.brand_posts(0)
        proc.post_publicly(s, self.record, p, impression, reported, t, rng)
        proc.scandal_posts(s, self.record, p, t, rng)  # events (docs/ODD.md 7.12): no draw without one
        for b, brand in enumerate(self.brands):
            replies = proc.dialogue(s, self.record, p, brand.dialogue_budget, brand.reply_claim,
                                    brand.quality, t, rng, b)
            if b == 0:
                tally.replies = replies[0]
                tally.replies_total += replies[0]
                tally.capacity_total += replies[1]
        tally.posts = self.record.brand_posts(0) - focal_posts_before
        proc.forget(s, p, rng)
        if t % p.nps_every == 0:
            tally.nps, tally.nps_low, tally.nps_high, tally.nps_respondents = proc.nps_survey(s, p, self.survey_rng)
        tally.spend_week = self.brand.spent(focal_paid_views, tally.replies, p)  # used capacity only (ODD 9)
        tally.spend += tally.spend_week
        tally.revenue += p.margin * tally.purchases
        self.datacollector.collect(self)
