"""womsim: an agent-based simulation of word of mouth vs. broadcast on a social graph."""

from simulation.errors import GraphError, ParameterError, WomsimError
from simulation.core.params import PARAMETERS, STRATEGIES, Params

__all__ = [
    "PARAMETERS",
    "STRATEGIES",
    "GraphError",
    "ParameterError",
    "Params",
    "WomsimError",
    "WordOfMouthModel",
]

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy: importing mesa costs time that `python run.py params` should not pay.
    if name == "WordOfMouthModel":
        from simulation.core.model import WordOfMouthModel

        return WordOfMouthModel
    raise AttributeError(name)
