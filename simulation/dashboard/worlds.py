"""The two worlds of the classroom dashboard, stepped together as one Mesa model.

:class:`TwoWorlds` holds two :class:`~simulation.core.model.WordOfMouthModel` runs on the *same
consumers* (same N, same segments), with the *same seed*, the same budget and the same market
(``n_brands`` brands, brand 0 focal, its rivals broadcasting, docs/ODD.md 7.10), each with its own
strategy for the focal brand:

``sender``
    The sender/receiver world: the consumers without a social graph
    (``networkx.empty_graph(N)``) and without the public record (``post_prob = 0``,
    ``post_reach = 0``): the brands send, consumers receive, nobody answers or talks to
    anybody else. The rivals are there too: they broadcast, which needs no graph
    (:data:`MARKET_NOTE`).
``networked``
    The networked world: the same consumers on the social graph, talking to their
    contacts and posting in public, where the brands can answer.

By default the sender world runs ``broadcast`` and the networked world ``dialogue``;
``same_strategy=True`` runs the networked world's strategy in both (the "channel only"
comparison: the same strategy, with and without the consumers' own channels).

Crises (docs/ODD.md 7.12)
-------------------------
``crisis="scandal"`` or ``"defect"`` schedules that event for the focal brand at
``crisis_week``, with the sizes of ``experiments/crisis.toml`` (:data:`SCANDAL`, :data:`DEFECT`);
:meth:`TwoWorlds.scandal_now` and :meth:`TwoWorlds.defect_now` add the same event live, starting
with the next step. Both only add an event to ``params.events`` of each model, which the model
reads anew every week (``experienced_qualities``, ``reactance_threshold`` and ``scandal_posts``
take ``self.params`` each step; nothing caches the events), and events draw no random number
before they start: a scandal pressed in week k gives exactly the run scheduled for week k.

What each world shows:

* A **defect** hits both worlds alike: buyers experience a product worse by 0.5 for 8 weeks
  (section 7.4's disconfirmation: satisfaction, trust, loyalty fall). In the networked world
  the disappointed also tell their contacts and post; in the sender world each buyer learns
  it only by buying.
* A **scandal** is, in the model, an event *on the public record*: online consumers post
  about the firm's conduct (``scandal_posts``, whatever ``post_prob``), readers of those
  posts lose trust, and the brand's ads meet primed persuasion knowledge while it lasts.
  The sender world has no public record, so the scandal is not scheduled there: its
  posts would give that world a record (consumers consulting it before buying, a dialogue
  brand answering it). The sender world therefore shows what the brand's week looks like
  when nobody can read about the scandal: the same run as without it. The class sees
  the scandal only where consumers publish (``w.crises`` still lists it for both worlds'
  plots, with its kind, so the mark says what happened in the world next door).

Return on marketing (docs/ODD.md 4.11)
--------------------------------------
With ``roi=True`` each world also steps a counterfactual twin (focal strategy ``none``, the
same seed and consumers, the same events): :meth:`TwoWorlds.roi` gives the true incremental
ROI, (profit - the twin's profit) / spend (as
:func:`simulation.research.summaries.incremental_roi`), beside the estimate a firm would make
from its own weekly sales and spend (:func:`simulation.research.roi.estimate_roi`). The estimate
needs variation in spend (docs/ODD.md 7.14): with ``flighting="always"`` a broadcast, hype or
fan page brand spends the same every week, a regression of sales on spend has nothing to
learn from and the estimate stays NaN; a dialogue brand pays per reply written, so its spend
varies by itself. The ROI lesson therefore needs ``flighting="on_off"`` (``flight_weeks`` = 4
weeks on, 4 off) or ``"pulses"``; in the first weeks the interval is too wide to read.

After each step :attr:`TwoWorlds.events` keeps what happened to the focal brand *this week*, for
drawing: who was reached by ads, who saw the fan page, who talked, and whose public post the
brand answered.

Examples
--------
>>> w = TwoWorlds(n_consumers=60, network="watts_strogatz", seed=3)
>>> w.strategies
{'sender': 'broadcast', 'networked': 'dialogue'}
>>> w.step(); w.step()
>>> w.steps, w.sender.n_consumers == w.networked.n_consumers == 60
(2, True)
>>> bool((w.sender.state.segment == w.networked.state.segment).all())
True
>>> w.sender.graph.number_of_edges(), bool(w.events["sender"].ads.any())
(0, True)
>>> h = w.history("networked")
>>> list(h["step"]), [c for c in h.columns if c.startswith("share_")]
([0, 1, 2], ['share_0', 'share_1', 'share_2'])
>>> w.scandal_now(); w.step(); w.crises
[(3, 'scandal')]
>>> TwoWorlds(strategy_networked="dialog")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simulation.errors.ParameterError: parameter 'strategy_networked' = 'dialog' is not allowed: ... 'dialogue'?)
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from simulation.core.events import Event
from simulation.core.model import WordOfMouthModel
from simulation.core.network import build_graph
from simulation.core.params import FLIGHTINGS, NETWORKS, PARAMETERS, STRATEGIES, Params, check_value, closest
from simulation.dashboard.i18n import N_
from simulation.errors import ParameterError
from simulation.research.roi import estimate_roi

__all__ = ["CONTROLS", "CRISES", "DEFAULTS", "DEFECT", "HORIZON", "MARKET_NOTE", "MAX_CONSUMERS",
           "NETWORK_CHOICES", "NETWORK_LABELS", "SCANDAL", "TwoWorlds", "WeekEvents"]

#: Most consumers the dashboard simulates: above this drawing stops being fluid.
MAX_CONSUMERS = 500
#: Weeks shown (two years); the run stops there until Reset.
HORIZON = 104
#: Networks offered for the networked world ("empty" is the sender/receiver world itself).
NETWORK_CHOICES = tuple(n for n in NETWORKS if n != "empty")
#: Switch off every consumer-to-consumer channel in the sender/receiver world.
SENDER_ONLY = {"network": "empty", "post_prob": 0.0, "post_reach": 0.0}
#: The world keys, left to right on the page.
WORLDS = ("sender", "networked")
#: The crises of experiments/crisis.toml, for brand 0 (docs/ODD.md 7.12): a scandal (for 4
#: weeks each week 5 % of the online consumers post about the brand's practices) and a
#: product defect (the experienced quality falls by 0.5 for 8 weeks).
SCANDAL = {"kind": "scandal", "brand": 0, "size": 0.05, "duration": 4}
DEFECT = {"kind": "defect", "brand": 0, "size": 0.5, "duration": 8}
CRISES = ("none", "scandal", "defect")
_CRISIS_EVENTS = {"scandal": SCANDAL, "defect": DEFECT}
#: What the page says about the market of the two worlds.
MARKET_NOTE = N_("Both worlds have the same rival brands: they broadcast, which needs no social graph.")

#: Labels of the choices (msgids), for the controls that offer them.
STRATEGY_LABELS = {"none": N_("No marketing"), "broadcast": N_("Broadcast ads"), "hype": N_("Hype ads"),
                   "fanpage": N_("Fan page"), "dialogue": N_("Honest dialogue"), "mixed": N_("Mixed")}
CRISIS_LABELS = {"none": N_("No crisis"), "scandal": N_("Scandal"), "defect": N_("Product defect")}
FLIGHTING_LABELS = {"always": N_("Every week"), "on_off": N_("On and off"), "pulses": N_("Random pulses")}
NETWORK_LABELS = {"barabasi_albert": N_("Scale-free (Barabasi-Albert)"),
                  "watts_strogatz": N_("Small world (Watts-Strogatz)"),
                  "erdos_renyi": N_("Random (Erdos-Renyi)"),
                  "powerlaw_cluster": N_("Scale-free with clusters (Holme-Kim)"),
                  "stochastic_block": N_("Two communities (stochastic block)"),
                  "complete": N_("Everyone knows everyone"), "cliques": N_("Separate cliques"),
                  "karate": N_("Karate club (34 people)"), "les_miserables": N_("Les Miserables (77 characters)")}


@dataclass(frozen=True)
class Control:
    """One dashboard control: a constructor argument of :class:`TwoWorlds`.

    ``kind`` is ``"slider"`` (numeric, ``low``..``high`` in steps of ``step``), ``"choice"``
    (one of ``choices``; ``choice_labels`` maps each to its msgid, if it has one) or
    ``"bool"`` (a checkbox). ``label`` is an ``N_`` msgid. Bounds come from
    :data:`~simulation.core.params.PARAMETERS`, narrowed to a classroom range where the model
    allows far more (``budget`` up to 1,000, ``n_consumers`` up to 20 million) so that the
    slider stays usable.
    """

    name: str
    label: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None
    kind: str = "slider"
    choice_labels: dict[str, str] | None = None


def _bounded(name: str, label: str, step: float, default: Any = None,
             high: float | None = None, low: float | None = None, param: str | None = None) -> Control:
    spec = PARAMETERS[param or name]
    lo = spec.low if low is None else max(low, spec.low)
    hi = spec.high if high is None else min(high, spec.high)
    return Control(name, label, spec.default if default is None else default, lo, hi, step)


def _choice(name: str, label: str, default: str, choices: tuple[str, ...],
            labels: dict[str, str] | None = None) -> Control:
    return Control(name, label, default, choices=tuple(choices), kind="choice", choice_labels=labels)


#: The controls, in display order: every constructor argument of :class:`TwoWorlds`. ``seed``
#: is not a model parameter: it seeds the graph, the segments and every model.
CONTROLS: dict[str, Control] = {c.name: c for c in [
    _choice("strategy_sender", N_("Strategy (sender/receiver world)"), "broadcast", STRATEGIES, STRATEGY_LABELS),
    _choice("strategy_networked", N_("Strategy (networked world)"), "dialogue", STRATEGIES, STRATEGY_LABELS),
    Control("same_strategy", N_("Same strategy in both worlds"), False, kind="bool"),
    # up to 50: a reply costs 12,200 impression units (the calibrated reply_cost) and budget 1
    # at N = 300 is 300 units a week, 0.025 replies; at N = 300 a dialogue brand answers most
    # of its posts from budget 25 on (reply rate 0.88-1.0 after 104 weeks, 3 seeds)
    _bounded("budget", N_("Budget"), 0.25, high=50.0),
    _bounded("quality", N_("Quality"), 0.05),
    _bounded("hype", N_("Hype"), 0.05),
    _bounded("honesty", N_("Honesty"), 0.05),
    _bounded("immigrant_share", N_("Digital immigrants (share)"), 0.05),
    _choice("network", N_("Network type"), "barabasi_albert", NETWORK_CHOICES, NETWORK_LABELS),
    _bounded("n_consumers", N_("Consumers"), 10, default=300, low=20, high=MAX_CONSUMERS),
    Control("seed", N_("Seed"), 0, 0, 99, 1),
    _bounded("n_brands", N_("Brands in the market"), 1, high=5),
    _choice("flighting", N_("Spend schedule"), PARAMETERS["flighting"].default, FLIGHTINGS, FLIGHTING_LABELS),
    _choice("crisis", N_("Crisis"), "none", CRISES, CRISIS_LABELS),
    Control("crisis_week", N_("Crisis week"), 30, 1, HORIZON, 1),
    Control("roi", N_("True and estimated ROI"), False, kind="bool"),
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


def _checked_choice(name: str, value: Any, allowed: tuple[str, ...], param: str | None = None) -> str:
    """``value`` if allowed, else the model's one-line ParameterError naming ``name``."""
    if param is not None:  # the model's own check and message, under the control's name
        try:
            return check_value(param, value)
        except ParameterError as exc:
            raise ParameterError(str(exc).replace(f"'{param}'", f"'{name}'", 1)) from None
    if value in allowed:
        return value
    match = closest(str(value), allowed)
    hint = f" (did you mean '{match}'?)" if match else ""
    raise ParameterError(f"parameter '{name}' = {value!r} is not allowed: allowed {' | '.join(allowed)}{hint}")


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)) or float(value) != int(value):
        raise ParameterError(f"parameter '{name}' = {value!r} is not a whole number: allowed {low} .. {high}")
    if not low <= int(value) <= high:
        raise ParameterError(f"parameter '{name}' = {value!r} is out of range: allowed {low} .. {high}")
    return int(value)


def _shares(model: WordOfMouthModel) -> np.ndarray:
    """Each brand's share of this week's category purchases (NaN without purchases): the
    metric ``market_share`` (focal purchases / category purchases) for every brand."""
    choice = model.state.choice
    counts = np.bincount(choice[choice >= 0], minlength=model.state.n_brands).astype(float)
    total = counts.sum()
    return counts / total if total else np.full(len(counts), np.nan)


class TwoWorlds(mesa.Model):
    """The sender/receiver world and the networked world, on the same consumers.

    Keyword arguments are the dashboard controls (:data:`CONTROLS`, module docstring); all other
    parameters keep their defaults, and the focal brand is an established one (the headline's
    ``scenario = "established"``: at a launch it is unknown and a dialogue world has nothing
    to answer for weeks). ``seed`` seeds the graph, the segments and every model. (No
    ``**kwargs``: Mesa's Reset passes exactly these names back.)

    Raises
    ------
    ParameterError
        One line naming the argument, what is allowed and, for a typo, the closest name.
    """

    def __init__(self, *, strategy_sender: str = DEFAULTS["strategy_sender"],
                 strategy_networked: str = DEFAULTS["strategy_networked"],
                 same_strategy: bool = DEFAULTS["same_strategy"], budget: float = DEFAULTS["budget"],
                 quality: float = DEFAULTS["quality"], hype: float = DEFAULTS["hype"],
                 honesty: float = DEFAULTS["honesty"], immigrant_share: float = DEFAULTS["immigrant_share"],
                 network: str = DEFAULTS["network"], n_consumers: int = DEFAULTS["n_consumers"],
                 seed: int = DEFAULTS["seed"], n_brands: int = DEFAULTS["n_brands"],
                 flighting: str = DEFAULTS["flighting"], crisis: str = DEFAULTS["crisis"],
                 crisis_week: int = DEFAULTS["crisis_week"], roi: bool = DEFAULTS["roi"]) -> None:
        seed = _whole("seed", seed, 0, 2**32 - 1)
        super().__init__(rng=seed)
        networked = _checked_choice("strategy_networked", strategy_networked, STRATEGIES, "strategy")
        sender = _checked_choice("strategy_sender", strategy_sender, STRATEGIES, "strategy")
        if not isinstance(same_strategy, (bool, np.bool_)) or not isinstance(roi, (bool, np.bool_)):
            name = "same_strategy" if not isinstance(same_strategy, (bool, np.bool_)) else "roi"
            raise ParameterError(f"parameter '{name}' = {locals()[name]!r} is not a boolean: allowed True | False")
        sender = networked if same_strategy else sender
        self.crisis = _checked_choice("crisis", crisis, CRISES)
        self.crisis_week = _whole("crisis_week", crisis_week, 1, HORIZON)
        self.same_strategy, self.with_roi = bool(same_strategy), bool(roi)
        values = {"strategy": networked, "budget": budget, "quality": quality, "hype": hype,
                  "honesty": honesty, "immigrant_share": immigrant_share, "network": network,
                  "n_consumers": min(check_value("n_consumers", n_consumers), MAX_CONSUMERS),
                  "n_brands": n_brands, "flighting": flighting,
                  "scenario": "established"}
        p = Params(**values)  # the model's checks and messages for the rest
        self.seed = seed
        G, segment = _graph(p, self.seed)
        n = G.number_of_nodes()  # karate and les_miserables have their own size
        sender_p = p.replace(**SENDER_ONLY, n_consumers=n, strategy=sender)
        graphs = {"sender": (nx.empty_graph(n), segment), "networked": (G, segment)}
        self._params = {"sender": sender_p, "networked": p}
        self.worlds = {key: WordOfMouthModel(self._params[key], rng=self.seed, graph=graphs[key])
                       for key in WORLDS}
        self.twins = ({key: WordOfMouthModel(self._params[key].replace(strategy="none"), rng=self.seed,
                                             graph=graphs[key]) for key in WORLDS} if self.with_roi else {})
        self.events = {key: WeekEvents.none(n) for key in WORLDS}
        self._shares = {key: [_shares(m)] for key, m in self.worlds.items()}
        self.crises: list[tuple[int, str]] = []
        if self.crisis != "none":
            self._add_crisis(self.crisis, self.crisis_week)
        self.running = True

    # --- the worlds --------------------------------------------------------------------
    @property
    def sender(self) -> WordOfMouthModel:
        return self.worlds["sender"]

    @property
    def networked(self) -> WordOfMouthModel:
        return self.worlds["networked"]

    @property
    def params(self) -> Params:
        """The networked world's parameters (with the events added so far)."""
        return self.networked.params

    @property
    def strategies(self) -> dict[str, str]:
        """The focal brand's strategy in each world."""
        return {key: m.params.strategy for key, m in self.worlds.items()}

    def step(self) -> None:
        for key, model in self.worlds.items():
            self.events[key] = _step_and_watch(model)
            self._shares[key].append(_shares(model))
        for twin in self.twins.values():
            twin.step()
        self.running = self.steps < HORIZON

    # --- crises ------------------------------------------------------------------------
    def _add_crisis(self, kind: str, week: int) -> None:
        """Add the ``kind`` event for the focal brand starting in ``week`` to every model
        (the sender world and its twin get no scandal: module docstring)."""
        event = Event(step=int(week), **_CRISIS_EVENTS[kind])
        for key in WORLDS:
            if key == "sender" and kind == "scandal":
                continue
            for model in (self.worlds[key], self.twins.get(key)):
                if model is not None:
                    # The model reads params.events every week and caches nothing derived
                    # from them, so replacing its (immutable) params is the whole change.
                    model.params = model.params.replace(events=(*model.params.events, event))
        self.crises.append((int(week), kind))

    def scandal_now(self) -> None:
        """A scandal about the focal brand (:data:`SCANDAL`), from the next week on."""
        self._add_crisis("scandal", self.steps + 1)

    def defect_now(self) -> None:
        """A product defect of the focal brand (:data:`DEFECT`), from the next week on."""
        self._add_crisis("defect", self.steps + 1)

    # --- what the page draws -----------------------------------------------------------
    def history(self, key: str) -> pd.DataFrame:
        """World ``key``'s weeks so far: one row per collected week (step 0 = the start), the
        model's timeseries columns and ``share_0 .. share_{B-1}``, each brand's share of that
        week's category purchases (NaN in a week without purchases; ``share_0`` is the metric
        ``market_share``)."""
        model = self.worlds[_checked_choice("world", key, WORLDS)]
        df = model.timeseries()
        shares = np.array(self._shares[key])
        for b in range(shares.shape[1]):
            df[f"share_{b}"] = shares[:, b]
        return df

    def roi(self, key: str) -> tuple[float, float, float, float]:
        """World ``key``'s (true ROI, estimated ROI, low, high) so far; NaN until defined.

        The true ROI is the incremental one, (profit - the twin's profit) / spend (NaN
        before any spend, and without ``roi=True``); the estimate and its 95 % interval are
        the firm's marketing-mix regression on the world's weekly ``sales`` and
        ``spend_week`` (NaN without variation in spend: module docstring).
        """
        model = self.worlds[_checked_choice("world", key, WORLDS)]
        twin = self.twins.get(key)
        true = math.nan
        if twin is not None and model.tally.spend > 0:
            profit, base = (m.datacollector.model_vars["profit"][-1] for m in (model, twin))
            true = (profit - base) / model.tally.spend
        data = model.datacollector.model_vars
        estimate = estimate_roi(np.asarray(data["sales"][1:], float), np.asarray(data["spend_week"][1:], float),
                                model.params.margin)
        return float(true), estimate.roi, estimate.lo, estimate.hi


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
