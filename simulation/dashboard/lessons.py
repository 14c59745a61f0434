"""The lessons of the classroom dashboard: one per sentence of the source text, with what to watch.

A :class:`Lesson` is one step of the lesson plan in ``docs/teaching.md``: choosing it on the
page sets the dashboard controls (:data:`~simulation.dashboard.worlds.CONTROLS`; the ones a
lesson does not name get their defaults, :func:`lesson_controls`) and restarts both worlds;
its explanation says, in two sentences, what to watch and what the calibrated model shows
there. (Lessons are not the docking presets of :mod:`simulation.core.presets`, which set model
parameters for ``run.py simulate --preset``.)

Every claim of an explanation is measured by ``tests/dashboard/test_lessons.py`` on five
seeds at the lesson's settings (300 consumers, 104 weeks), with the rule stated there (a
direction that holds in at least 4 of 5 seeds, a range that holds in all of them); the
numbers in the texts are those ranges, not one seed's. What they rest on, in docs/ODD.md:

* ``fanpage``: the fan page (7.2): followers are aware consumers with a good attitude who
  are online, organic reach ``organic_reach`` of the online followers per post, paid views
  for followers only; unused page budget is not spent (7.11); awareness fades without
  reminders (7.9).
* ``crude_ads``: hype inflates the ad claim (2.3); experience below the expectation
  disappoints (7.4: satisfaction, trust, loyalty fall); NPS from a survey of recent
  customers (7.10); buyers consult the public record and its rating before buying (7.3).
* ``dialogue_good`` / ``dialogue_poor``: replies cost ``reply_cost`` each (7.8, calibrated
  to the 10-20 % of posts brands answer), so at classroom size a budget of 1 buys about one
  reply in 40 weeks; word of mouth (7.5) and posts (7.7) carry a good product.
* ``immigrants``: digital immigrants are online with ``online_immigrant``, give strangers'
  posts less weight and see more mass media (2.2, 7.1).
* ``scandal``: a scandal is an event on the public record (7.12): the sender/receiver world
  has none, so it is hit only in the networked world (``simulation.dashboard.worlds``);
  recovery as in 7.13.
* ``roi``: the true incremental ROI against the firm's marketing-mix estimate from its own
  weekly sales and spend (4.11, ``simulation.research.roi``); the flighted schedule (7.14)
  gives the regression on- and off-weeks to compare.
* ``channel_only``: the same strategy in both worlds (word of mouth and the public record
  only on the right).

Examples
--------
>>> lesson_controls("crude_ads")["strategy_networked"], lesson_controls("crude_ads")["same_strategy"]
('hype', True)
>>> list(LESSONS)[:2], len(LESSONS)
(['fanpage', 'dialogue_good'], 8)
>>> lesson_controls("fanpage")["n_consumers"]  # what a lesson does not set keeps its default
300
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.core.params import closest
from simulation.dashboard.i18n import N_
from simulation.dashboard.worlds import DEFAULTS, HORIZON
from simulation.errors import ParameterError

__all__ = ["LESSONS", "Lesson", "lesson_controls"]


@dataclass(frozen=True)
class Lesson:
    """One lesson: its name on the page, what to watch for, and the controls it sets.

    ``name`` and ``explanation`` are English msgids (translated where they are shown);
    ``values`` sets some controls (the others keep their defaults); ``week`` is the week the
    explanation is about: where the lesson plan pauses and its screenshot is taken.
    """

    name: str
    explanation: str  # two sentences: what to watch, and what it shows
    values: dict[str, Any] = field(default_factory=dict)
    week: int = HORIZON


#: The lessons of the lesson plan (docs/teaching.md), in its order: first broadcast on the
#: left against another strategy on the right, then the same strategy in both worlds.
LESSONS: dict[str, Lesson] = {
    "fanpage": Lesson(
        N_("A fan page that runs by itself"),
        N_("On the left the brand spends its budget on ads, on the right on a fan page whose "
           "posts reach followers for free (organic reach): watch followers, spending and "
           "awareness on the right. Only a few in a hundred consumers ever follow the page, and "
           "they drop out as they forget the brand, so the page spends less than a tenth of its "
           "budget and the brand is forgotten almost as if it did nothing, while the ads on the "
           "left keep about three in four consumers aware."),
        {"strategy_sender": "broadcast", "strategy_networked": "fanpage"}),
    "dialogue_good": Lesson(
        N_("Honest dialogue with a good product"),
        N_("On the right the brand answers public posts honestly about a good product, on the "
           "left it advertises it: watch the green rings of its replies, awareness and market "
           "share. A reply costs as much as 12,200 ad impressions, so the budget buys only a "
           "handful in two years and it is satisfied customers talking and posting who "
           "keep the brand known on the right; the ads on the left still win about twice its "
           "market share."),
        {"strategy_sender": "broadcast", "strategy_networked": "dialogue", "quality": 0.6}),
    "dialogue_poor": Lesson(
        N_("Honest dialogue with a poor product"),
        N_("The same honest replies, but the product is poor: watch the public rating and "
           "awareness on the right, and NPS on the left. Replies cannot fix the product: on "
           "the right the public record turns negative and the brand is almost forgotten "
           "within a year, while on the left the ads keep it known but its buyers are disappointed "
           "(NPS of -50 or lower)."),
        {"strategy_sender": "broadcast", "strategy_networked": "dialogue", "quality": -0.4},
        week=52),
    "immigrants": Lesson(
        N_("Digital immigrants"),
        N_("The good product again, but eight in ten consumers are digital immigrants "
           "(squares), rarely online and wary of strangers' posts: watch awareness and market "
           "share on the right and compare them with the lesson on honest dialogue with a good "
           "product. "
           "Word of mouth and the public record reach few of them, so on the right the talk "
           "about the product dies out and its market share falls to half or less, while the "
           "ads on the left reach immigrants too and sell as before."),
        {"strategy_sender": "broadcast", "strategy_networked": "dialogue", "quality": 0.6,
         "immigrant_share": 0.8}),
    "channel_only": Lesson(
        N_("The same ads, with and without word of mouth"),
        N_("Both worlds run the same honest ads for a good product, and only on the right do "
           "consumers also talk and post: watch awareness, loyalty and market share. "
           "Satisfied customers add to the ads: on the right more consumers know the brand, "
           "more are loyal, and its market share ends higher than on the left."),
        {"same_strategy": True, "strategy_networked": "broadcast", "quality": 0.6}),
    "crude_ads": Lesson(
        N_("Crude ads cause rejection"),
        N_("Both worlds run the same loud ads that promise far more than a mediocre product "
           "delivers: watch awareness, NPS and, on the right, the public rating and the feed. "
           "Everybody hears of the brand within weeks, but buyers are disappointed, so NPS "
           "is negative in both worlds; on the right their complaints are public and read "
           "before buying, and the brand's market share there is only about half of the "
           "left's."),
        {"same_strategy": True, "strategy_networked": "hype", "quality": 0.0, "hype": 0.8,
         "budget": 5.0}, week=52),
    "scandal": Lesson(
        N_("A scandal on the public record"),
        N_("In week 30 a scandal breaks: for four weeks consumers post about the firm's conduct, "
           "which only the right world can read (the left has no public record and goes on as "
           "before); watch the feed, the public rating and market share on the right, then turn "
           "on 'Same strategy in both worlds' with broadcast ads and run it again. The dialogue "
           "brand, which lives on what customers say, loses more than half of its sales and "
           "needs half a year or more to win half of them back; the advertiser loses less and "
           "recovers sooner, because its ads keep reminding consumers of it."),
        {"strategy_sender": "broadcast", "strategy_networked": "dialogue", "quality": 0.6,
         "crisis": "scandal", "crisis_week": 30}, week=60),
    "roi": Lesson(
        N_("Why ROI is hard"),
        N_("Both worlds advertise in flights, four weeks on and four off, so the firm can "
           "compare its sales in weeks with and without ads: watch the true ROI, which needs "
           "a twin market without the ads that no firm has, beside the firm's estimate and "
           "its interval. The firm sees only the short lift of each flight, not that without "
           "ads it would slowly be forgotten: its estimate stays far below the truth, and "
           "after two years even its 95 % interval misses the true return."),
        {"same_strategy": True, "strategy_networked": "broadcast", "flighting": "on_off",
         "roi": True}),
}


def lesson_controls(lesson_id: str) -> dict[str, Any]:
    """All control values of the lesson ``lesson_id`` (the controls it does not set: defaults).

    >>> c = lesson_controls("roi")
    >>> c["flighting"], c["roi"], c["budget"]
    ('on_off', True, 1.0)
    """
    if lesson_id not in LESSONS:
        match = closest(str(lesson_id), tuple(LESSONS))
        hint = f" (did you mean '{match}'?)" if match else ""
        raise ParameterError(f"lesson {lesson_id!r} does not exist: allowed {' | '.join(LESSONS)}{hint}")
    return {**DEFAULTS, **LESSONS[lesson_id].values}
