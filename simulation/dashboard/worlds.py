"""The two worlds of the classroom dashboard, stepped together as one Mesa model.

:class:`TwoWorlds` holds two :class:`~simulation.core.model.WordOfMouthModel` runs on the *same
consumers* (same N, same segments) with the *same seed* and the same strategy settings:

``sender``
    The sender/receiver world: the consumers without a social graph
    (``networkx.empty_graph(N)``) and without the public record (``post_prob = 0``,
    ``post_reach = 0``): the brand sends, consumers receive, nobody answers or talks to
    anybody else.
``networked``
    The networked world: the same consumers on the social graph, talking to their
    contacts and posting in public, where the brand can answer.

After each step it keeps what happened *this week*, for drawing: who was reached by ads,
who saw the fan page, who talked, and whose public post the brand answered.

Examples
--------
>>> w = TwoWorlds(n_consumers=60, network="watts_strogatz", strategy="broadcast", seed=3)
>>> w.step(); w.step()
>>> w.steps, w.sender.n_consumers == w.networked.n_consumers == 60
(2, True)
>>> bool((w.sender.state.segment == w.networked.state.segment).all())
True
>>> w.sender.graph.number_of_edges(), bool(w.events["sender"].ads.any())
(0, True)
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import mesa
import networkx as nx
import numpy as np

from simulation.core.model import WordOfMouthModel
from simulation.core.network import build_graph
from simulation.core.params import NETWORKS, PARAMETERS, STRATEGIES, Params

__all__ = ["CONTROLS", "DEFAULTS", "HORIZON", "MAX_CONSUMERS", "NETWORK_CHOICES", "TwoWorlds",
           "WeekEvents"]

#: Most consumers the dashboard simulates: above this drawing stops being fluid.
MAX_CONSUMERS = 500
#: Weeks shown (two years); the run stops there until Reset.
HORIZON = 104
#: Networks offered for the networked world ("empty" is the sender/receiver world itself).
NETWORK_CHOICES = tuple(n for n in NETWORKS if n != "empty")
#: Switch off every consumer-to-consumer channel in the sender/receiver world.
SENDER_ONLY = {"network": "empty", "post_prob": 0.0, "post_reach": 0.0}


@dataclass(frozen=True)
class Control:
    """One dashboard control: a model parameter with the bounds its slider gets.

    Bounds come from :data:`~simulation.core.params.PARAMETERS`, narrowed to a classroom range
    where the model allows far more (``budget`` up to 1,000, ``n_consumers`` up to 5
    million) so that the slider stays usable.
    """

    name: str
    label: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None


def _bounded(name: str, label: str, step: float, default: Any = None,
             high: float | None = None, low: float | None = None) -> Control:
    spec = PARAMETERS[name]
    lo = spec.low if low is None else max(low, spec.low)
    hi = spec.high if high is None else min(high, spec.high)
    return Control(name, label, spec.default if default is None else default, lo, hi, step)


#: The controls, in display order. ``seed`` is not a model parameter: it seeds the graph,
#: the segments and both models.
CONTROLS: dict[str, Control] = {c.name: c for c in [
    Control("strategy", "Strategy", "broadcast", choices=STRATEGIES),
    _bounded("budget", "Budget", 0.25, high=5.0),
    _bounded("quality", "Quality", 0.05),
    _bounded("hype", "Hype", 0.05),
    _bounded("honesty", "Honesty", 0.05),
    _bounded("immigrant_share", "Digital immigrants (share)", 0.05),
    Control("network", "Network type", "barabasi_albert", choices=NETWORK_CHOICES),
    _bounded("n_consumers", "Consumers", 10, default=300, low=20, high=MAX_CONSUMERS),
    Control("seed", "Seed", 0, 0, 99, 1),
]}
DEFAULTS: dict[str, Any] = {name: c.default for name, c in CONTROLS.items()}


@dataclass
class WeekEvents:
    """What happened to each consumer in the last step (all boolean arrays of length N)."""

    ads: np.ndarray        # reached by at least one ad impression
    fanpage: np.ndarray    # saw the brand's fan page
    talked: np.ndarray     # told their contacts (word of mouth)
    positive: np.ndarray   # ... and what they said was positive
    posted: np.ndarray     # wrote a public post
    replied: np.ndarray    # the brand answered one of their public posts

    @classmethod
    def none(cls, n: int) -> WeekEvents:
        z = np.zeros(n, dtype=bool)
        return cls(z, z.copy(), z.copy(), z.copy(), z.copy(), z.copy())


# Graphs are rebuilt only when what they depend on changes (Reset with the same network
# reuses the graph, and simulation.outputs.layout caches its positions by edge list).
_GRAPHS: OrderedDict[tuple, tuple[nx.Graph, np.ndarray]] = OrderedDict()


def _graph(p: Params, seed: int) -> tuple[nx.Graph, np.ndarray]:
    key = (p.network, p.n_consumers, p.mean_degree, p.rewire_p, p.triangle_p, p.homophily,
           p.immigrant_share, seed)
    if key not in _GRAPHS:
        _GRAPHS[key] = build_graph(p, np.random.default_rng(seed))
        while len(_GRAPHS) > 8:
            _GRAPHS.popitem(last=False)
    _GRAPHS.move_to_end(key)
    return _GRAPHS[key]


class TwoWorlds(mesa.Model):
    """The sender/receiver world and the networked world, on the same consumers.

    Keyword arguments are the dashboard controls (:data:`CONTROLS`), all other parameters
    keep their defaults. ``seed`` seeds the graph, the segments and both models. (No
    ``**kwargs``: Mesa's Reset passes exactly these names back.)
    """

    def __init__(self, *, strategy: str = DEFAULTS["strategy"], budget: float = DEFAULTS["budget"],
                 quality: float = DEFAULTS["quality"], hype: float = DEFAULTS["hype"],
                 honesty: float = DEFAULTS["honesty"],
                 immigrant_share: float = DEFAULTS["immigrant_share"],
                 network: str = DEFAULTS["network"], n_consumers: int = DEFAULTS["n_consumers"],
                 seed: int = DEFAULTS["seed"]) -> None:
        super().__init__(rng=int(seed))
        n_consumers = min(int(n_consumers), MAX_CONSUMERS)
        values = {"strategy": strategy, "budget": float(budget), "quality": float(quality),
                  "hype": float(hype), "honesty": float(honesty),
                  "immigrant_share": float(immigrant_share), "network": network,
                  "n_consumers": n_consumers,
                  # A brand the class already knows, beside its rivals: at a launch the
                  # focal brand starts unknown and a dialogue world has nothing to answer
                  # for weeks (the headline reports both scenarios).
                  "scenario": "established"}
        self.params = p = Params(**values)
        self.seed = int(seed)
        G, segment = _graph(p, self.seed)
        n = G.number_of_nodes()  # karate and les_miserables have their own size
        self.networked = WordOfMouthModel(p, rng=self.seed, graph=(G, segment))
        self.sender = WordOfMouthModel(p.replace(**SENDER_ONLY, n_consumers=n), rng=self.seed,
                                       graph=(nx.empty_graph(n), segment))
        self.events = {"sender": WeekEvents.none(n), "networked": WeekEvents.none(n)}
        self.running = True

    @property
    def worlds(self) -> dict[str, WordOfMouthModel]:
        return {"sender": self.sender, "networked": self.networked}

    def step(self) -> None:
        for key, model in self.worlds.items():
            self.events[key] = _step_and_watch(model)
        self.running = self.steps < HORIZON


def _step_and_watch(model: WordOfMouthModel) -> WeekEvents:
    """Step ``model`` once and return what happened to whom this week, about the focal brand
    (brand 0: the one whose strategy the class compares)."""
    s, record, p = model.state, model.record, model.params
    irritation = s.irritation[:, 0].copy()
    replied_before = record.replied.copy()
    total_before = record.total_posts
    model.step()
    # Ad impressions raise irritation by one each, then irritation fades by
    # irritation_decay (fan page views cause none): invert that to see who was reached.
    keep = 1.0 - p.irritation_decay
    now = s.irritation[:, 0]
    reached = (now / keep - irritation > 0.5) if keep > 0 else now > 0
    slots = record.slots()
    slots = slots[record.brand[slots] == 0]
    new_post = record.seq[slots] >= total_before
    fresh_reply = record.replied[slots] & (new_post | ~replied_before[slots])
    n = s.n
    posted = np.zeros(n, dtype=bool)
    posted[record.author[slots[new_post]]] = True
    replied = np.zeros(n, dtype=bool)
    replied[record.author[slots[fresh_reply]]] = True
    impression = np.where(s.bought & (s.choice == 0), s.satisfaction, s.attitude[:, 0])
    fan = s.follower[:, 0] & s.online if model.brand.has_page else np.zeros(n, dtype=bool)
    talked = s.talked & (s.topic == 0)
    return WeekEvents(ads=reached, fanpage=fan, talked=talked,
                      positive=talked & (impression > 0), posted=posted, replied=replied)
