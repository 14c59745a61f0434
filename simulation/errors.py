"""Exception types of womsim.

Every error a user can cause (a bad parameter, an unreadable graph file, a malformed
experiment file) is a :class:`WomsimError`; the command line turns it into a one-line
message on stderr and exit code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class WomsimError(Exception):
    """Base class of the errors caused by user input."""


class ParameterError(WomsimError, ValueError):
    """A model parameter is unknown, of the wrong type, or out of its allowed range."""


class GraphError(WomsimError, ValueError):
    """A social graph cannot be built or read (bad file, too few nodes, ...)."""
