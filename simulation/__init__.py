"""womsim: an agent-based simulation of word of mouth vs. broadcast on a social graph.

The package is in layers; each imports only the ones below it (``tests/test_layers.py``):

1. :mod:`simulation.errors`     every exception type
2. :mod:`simulation.core`       the model: parameters, graph, state, processes, both engines, metrics
3. :mod:`simulation.research`   many runs: tasks, executors, experiments, run store, sweeps, summaries
4. :mod:`simulation.outputs`    figures, tables, reports, snapshots, animation (the only matplotlib)
5. :mod:`simulation.dashboard`  the classroom app
6. :mod:`simulation.cli`        the commands of ``python run.py``

Importing the package loads only the first two layers' parameter module (fast: no mesa).
"""

from simulation.errors import GraphError, ParameterError, WomsimError  # noqa: I001 - layer order
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
        from simulation.core.model import WordOfMouthModel  # noqa: PLC0415 - lazy: mesa loads on first use

        return WordOfMouthModel
    raise AttributeError(name)
