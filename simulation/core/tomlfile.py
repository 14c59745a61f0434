"""Reading a TOML input file (parameters, experiments) with one error mapping.

Any problem with the file itself (missing, unreadable, not UTF-8, not valid TOML) is a
one-line :class:`~simulation.errors.ParameterError` naming the file; what the contents
mean is checked by the caller.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from simulation.errors import ParameterError


def read_toml(path: str | os.PathLike, what: str) -> dict[str, Any]:
    """The parsed contents of the TOML file ``path``; ``what`` names it in errors.

    Examples
    --------
    >>> read_toml("/no/such/file.toml", "parameter file")
    Traceback (most recent call last):
    ...
    simulation.errors.ParameterError: parameter file '/no/such/file.toml' does not exist
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ParameterError(f"{what} '{path}' does not exist") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{what} '{path}' cannot be read: {exc}") from None
