"""Exception types of womsim.

Every error a user can cause (a bad parameter, an unreadable graph file, a malformed
experiment file) is a :class:`WomsimError`; the command line turns it into a one-line
message on stderr and exit code 2. Anything else is a bug and keeps its traceback.

Who raises what:

* :class:`ParameterError`: ``core`` (``params``, ``tomlfile``, ``network`` for
  ``weak_tie_strength``) and ``research.experiment`` (experiment files);
* :class:`GraphError`: ``core.network`` (a graph that cannot be built or read);
* :class:`StoreError`: ``research.store`` (a run store that is missing, damaged or of
  another experiment);
* :class:`WomsimError` itself: the command line (bad options), ``core.metrics`` (an
  unknown ``--metric``), ``research`` (inputs that do not fit: a headline folder without
  the facts' columns, a sensitivity run of a grid, an export format, a missing optional
  library), ``outputs`` (a folder with nothing to report, a missing ffmpeg) and
  ``dashboard`` (a port in use or an address it cannot listen on).
"""

from __future__ import annotations


class WomsimError(Exception):
    """Base class of the errors caused by user input."""


class ParameterError(WomsimError, ValueError):
    """A model parameter is unknown, of the wrong type, or out of its allowed range."""


class GraphError(WomsimError, ValueError):
    """A social graph cannot be built or read (bad file, too few nodes, ...)."""


class StoreError(WomsimError):
    """A file that is not a womsim store, or a store of another experiment."""
