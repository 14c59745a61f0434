"""The classroom dashboard: the sender/receiver world beside the networked world, live.

Modules, lowest first (each imports only those above it, plus the lower layers):

:mod:`.i18n`
    English and German messages from one catalogue (stdlib only).
:mod:`.worlds`
    :class:`~simulation.dashboard.worlds.TwoWorlds`, both worlds stepped together as one
    Mesa model, the dashboard's controls and what happened to whom each week
    (``simulation.core`` and mesa; no plotting).
:mod:`.lessons`
    The lessons of the lesson plan (``docs/teaching.md``): named settings of every
    control (:mod:`.worlds`).
:mod:`.drawing`
    The two worlds as matplotlib figures and their metrics as SVG (:mod:`.worlds`;
    positions from :mod:`simulation.outputs.layout`, colours from
    :mod:`simulation.outputs.figures.style` and :mod:`simulation.outputs.snapshots`).
:mod:`.app`
    The Solara page and its server, ``python run.py viz`` (:mod:`.worlds`,
    :mod:`.lessons`, :mod:`.drawing`; Solara and Mesa's SolaraViz parts).
"""
