"""The classroom dashboard: the sender/receiver world beside the networked world.

:mod:`.worlds` steps both worlds together (a Mesa model), :mod:`.drawing` draws them, and
:mod:`simulation.dashboard.app` is the Solara page (``python run.py viz``).
"""

from simulation.dashboard.worlds import CLASSROOM_PRESETS, CONTROLS, DEFAULTS, HORIZON, MAX_CONSUMERS, TwoWorlds

__all__ = ["CLASSROOM_PRESETS", "CONTROLS", "DEFAULTS", "HORIZON", "MAX_CONSUMERS", "TwoWorlds"]
