"""Build stages: who wants to hear how far the building of a model has got.

Building a large model takes long before the first step (1,000,000 consumers on a
Barabasi-Albert graph: minutes; see benchmarks/bench_build.py). Core never prints, so it
only *announces* its stages to a listener: a callable ``listener(stage, seconds)``,
called with ``seconds = None`` when a stage starts and with the stage's duration in
seconds when it ends (also when it ends by an exception). What to show, and when, is the
listener's business (the command line prints a stage only once it has taken longer than
a second, so small runs stay quiet).

A model gets its listener from its ``on_stage=`` argument, or else from
:func:`listening` (a context variable: the command line sets it once around a command,
and every model built in that process, through any number of layers, reports to it;
worker processes start without one, so they never report).

Examples
--------
>>> heard = []
>>> with stage("counting", lambda name, seconds: heard.append((name, seconds is None))):
...     pass
>>> heard
[('counting', True), ('counting', False)]
>>> with listening(lambda name, seconds: heard.append(name)):
...     with stage("ambient"):
...         pass
>>> heard[-2:]
['ambient', 'ambient']
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class StageListener(Protocol):
    """Told when a build stage starts (``seconds is None``) and ends (its duration)."""

    def __call__(self, stage: str, seconds: float | None) -> None: ...


_LISTENER: ContextVar[StageListener | None] = ContextVar("womsim_stage_listener", default=None)


@contextmanager
def listening(listener: StageListener | None) -> Iterator[None]:
    """Within the block, stages without their own ``on_stage`` report to ``listener``."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


@contextmanager
def stage(name: str, on_stage: StageListener | None = None) -> Iterator[None]:
    """Announce the block as the build stage ``name`` to ``on_stage`` (or the ambient listener)."""
    listener = on_stage if on_stage is not None else _LISTENER.get()
    if listener is None:
        yield
        return
    listener(name, None)
    start = time.perf_counter()
    try:
        yield
    finally:
        listener(name, time.perf_counter() - start)
