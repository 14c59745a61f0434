"""The lessons of the classroom dashboard: named settings of every control, with what to watch.

A :class:`Lesson` is one step of the lesson plan in ``docs/teaching.md``: choosing it on
the page sets every dashboard control (:data:`~simulation.dashboard.worlds.CONTROLS`) and
restarts both worlds; its explanation says what the class should see. (Lessons are not
the docking presets of :mod:`simulation.core.presets`, which set model parameters for
``run.py simulate --preset``.)

Examples
--------
>>> lesson_controls("Crude ads")["strategy"], len(LESSONS)
('hype', 5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.dashboard.worlds import DEFAULTS

__all__ = ["LESSONS", "Lesson", "lesson_controls"]


@dataclass(frozen=True)
class Lesson:
    """One lesson: its name on the page, what to watch for, and the controls it sets."""

    name: str
    explanation: str  # two sentences: what to watch for
    values: dict[str, Any]


#: The lessons of the lesson plan (docs/teaching.md), in its order. Each sets every control.
LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in [
    Lesson(
        "Fan page that runs by itself",
        "The brand spends its whole budget on a fan page and never answers: on the left only "
        "the few who knew the brand at the start can follow it, so awareness stays at 2 % for "
        "two years. On the right the very same page takes off only because consumers tell "
        "each other (blue lines): awareness passes 50 % around week 45.",
        {"strategy": "fanpage", "budget": 1.0, "quality": 0.3, "hype": 0.4, "honesty": 1.0,
         "immigrant_share": 0.3, "network": "barabasi_albert", "n_consumers": 300, "seed": 0}),
    Lesson(
        "Crude ads",
        "Loud, inflated ads (hype 0.8 on a mediocre product, budget 3) make everybody aware "
        "within weeks, but the product cannot keep the promise, so buyers are disappointed "
        "and trust falls. Watch both worlds turn red, and on the right the complaints travel "
        "along the ties (red lines) and drag public sentiment down to about -0.9.",
        {"strategy": "hype", "budget": 3.0, "quality": 0.0, "hype": 0.8, "honesty": 1.0,
         "immigrant_share": 0.3, "network": "barabasi_albert", "n_consumers": 300, "seed": 0}),
    Lesson(
        "Honest dialogue, good product",
        "The brand answers public posts honestly and the product is good: in the sender/"
        "receiver world there is nobody to answer, so awareness never leaves 2 %. On the "
        "right satisfied customers talk, the green rings show the brand's replies, and "
        "awareness passes 50 % around week 20 while loyalty and NPS climb.",
        {"strategy": "dialogue", "budget": 1.0, "quality": 0.6, "hype": 0.4, "honesty": 1.0,
         "immigrant_share": 0.3, "network": "barabasi_albert", "n_consumers": 300, "seed": 0}),
    Lesson(
        "Honest dialogue, poor product",
        "The same honest dialogue, but the product is poor (quality -0.4): replies can "
        "resolve single complaints, they cannot fix the product. Watch the bad news spread "
        "along the ties (red lines; awareness passes 50 % around week 50), consumers turn "
        "pale red, and NPS stays at -100 however many replies the brand writes.",
        {"strategy": "dialogue", "budget": 1.0, "quality": -0.4, "hype": 0.4, "honesty": 1.0,
         "immigrant_share": 0.3, "network": "barabasi_albert", "n_consumers": 300, "seed": 0}),
    Lesson(
        "Digital immigrants",
        "The good-product dialogue again, but eight in ten consumers are digital immigrants "
        "(squares): rarely online, they seldom post or read, and trust strangers' posts less. "
        "Word of mouth and replies spread about twice as slowly (awareness passes 50 % around "
        "week 43 instead of 20) and loyalty ends lower; switch the strategy to broadcast to "
        "see ads reach them anyway.",
        {"strategy": "dialogue", "budget": 1.0, "quality": 0.6, "hype": 0.4, "honesty": 1.0,
         "immigrant_share": 0.8, "network": "barabasi_albert", "n_consumers": 300, "seed": 0}),
]}



def lesson_controls(name: str) -> dict[str, Any]:
    """All control values of the lesson ``name``."""
    return {**DEFAULTS, **LESSONS[name].values}
