"""Events: a product defect or a scandal hitting one brand at a given week (docs/ODD.md, 7.12).

An event is part of a run's parameters: :class:`~simulation.core.params.Params` holds a
tuple of :class:`Event` (``params.events``, empty by default), so events reach every task of
a sweep, every worker (they pickle), the stored parameters and the provenance of a run like
any other parameter. They are given as ``[[events]]`` tables in a params or experiment file,
or on the command line::

    python run.py simulate --event step=52,kind=scandal,brand=0,size=0.05,duration=4

Fields
------
``step``      week the event starts (int >= 0)
``kind``      ``"defect"``: brand ``brand``'s experienced quality is lowered by ``size``
              (quality units, 0 < size <= 2) in the weeks ``step .. step + duration - 1``;
              ``"scandal"``: in each of those weeks every online consumer writes a negative
              post about the brand's practices with probability ``size`` (0 < size <= 1,
              a share of the online consumers per week)
``brand``     the brand hit (0 = focal, default 0; must be < n_brands)
``size``      as above (required)
``duration``  weeks the event lasts (int >= 1, default 1)

Examples
--------
>>> parse_event("step=52,kind=scandal,size=0.05,duration=4")
Event(step=52, kind='scandal', brand=0, size=0.05, duration=4)
>>> parse_event("step=52,kind=scandel,size=0.05")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simulation.errors.ParameterError: event field 'kind' ... allowed defect | scandal (did you mean 'scandal'?)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from simulation.errors import ParameterError

EVENT_KINDS = ("defect", "scandal")
EVENT_FIELDS = ("step", "kind", "brand", "size", "duration")
_REQUIRED = ("step", "kind", "size")
_DEFAULTS = {"brand": 0, "duration": 1}
#: Largest ``size`` per kind: a quality drop spans at most the quality scale -1..1; a
#: scandal's size is a weekly posting probability.
SIZE_MAX = {"defect": 2.0, "scandal": 1.0}
_UNIT = {"defect": "quality units", "scandal": "share of online consumers posting per week"}
STEP_MAX = 100_000  # as the 'steps' parameter


@dataclass(frozen=True)
class Event:
    """One event (immutable, hashable, picklable); see the module docstring for the fields."""

    step: int
    kind: str
    brand: int
    size: float
    duration: int

    def active(self, week: int) -> bool:
        """True in the weeks ``step <= week < step + duration``."""
        return self.step <= week < self.step + self.duration

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready), the inverse of :func:`make_event`."""
        return asdict(self)


def _closest(name: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _number(name: str, value: Any, kind: type, where: str) -> float | int:
    bad = f"event field '{name}'{where} = {value!r}"
    if isinstance(value, bool):
        raise ParameterError(f"{bad} is a boolean, expected a number")
    if isinstance(value, str):
        try:
            value = int(value.strip()) if kind is int and value.strip().lstrip("+-").isdigit() else float(value)
        except ValueError:
            raise ParameterError(f"{bad} is not a number") from None
    if not isinstance(value, (int, float)):
        raise ParameterError(f"{bad} is not a number")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ParameterError(f"{bad} is not a finite number")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ParameterError(f"{bad} is not a whole number")
        return int(value)
    return float(value)


def make_event(fields: Mapping[str, Any] | Event, where: str = "", n_brands: int | None = None) -> Event:
    """An :class:`Event` from a mapping (a TOML table, a parsed ``--event``), checked.

    ``where`` is added to messages (e.g. ``" in --event"``); with ``n_brands`` the brand is
    checked against the market. Raises a one-line ParameterError naming the field, what is
    allowed and, for a typo, the closest valid name.
    """
    if isinstance(fields, Event):
        fields = fields.to_dict()
    if not isinstance(fields, Mapping):
        raise ParameterError(f"an event{where} must be a table of {', '.join(EVENT_FIELDS)}, got {fields!r}")
    for key in fields:
        if key not in EVENT_FIELDS:
            raise ParameterError(f"unknown event field {key!r}{where}{_closest(str(key), EVENT_FIELDS)}: "
                                 f"allowed {', '.join(EVENT_FIELDS)}")
    for key in _REQUIRED:
        if key not in fields:
            raise ParameterError(f"event field '{key}'{where} is missing: an event needs "
                                 f"{', '.join(_REQUIRED)} (brand defaults to 0, duration to 1)")
    values = {**_DEFAULTS, **fields}
    kind = values["kind"]
    if not isinstance(kind, str) or kind.strip() not in EVENT_KINDS:
        hint = _closest(kind.strip(), EVENT_KINDS) if isinstance(kind, str) else ""
        raise ParameterError(f"event field 'kind'{where} = {kind!r} is not allowed: allowed "
                             f"{' | '.join(EVENT_KINDS)}{hint}")
    kind = kind.strip()
    step = _number("step", values["step"], int, where)
    brand = _number("brand", values["brand"], int, where)
    size = _number("size", values["size"], float, where)
    duration = _number("duration", values["duration"], int, where)
    if not 0 <= step <= STEP_MAX:
        raise ParameterError(f"event field 'step'{where} = {step!r} is out of range: allowed 0 .. {STEP_MAX}")
    if not 0 < size <= SIZE_MAX[kind]:
        raise ParameterError(f"event field 'size'{where} = {size!r} is out of range for a {kind}: allowed "
                             f"0 (excluded) .. {SIZE_MAX[kind]:g} ({_UNIT[kind]})")
    if not 1 <= duration <= STEP_MAX:
        raise ParameterError(f"event field 'duration'{where} = {duration!r} is out of range: allowed "
                             f"1 .. {STEP_MAX} weeks")
    high = "n_brands - 1" if n_brands is None else f"{n_brands - 1} (n_brands = {n_brands})"
    if brand < 0 or (n_brands is not None and brand >= n_brands):
        raise ParameterError(f"event field 'brand'{where} = {brand!r} is out of range: allowed 0 .. {high}")
    return Event(step, kind, brand, size, duration)


def parse_event(text: str) -> Event:
    """An :class:`Event` from a command-line ``--event`` value ``key=value,key=value,...``."""
    fields: dict[str, str] = {}
    for item in str(text).split(","):
        if "=" not in item:
            raise ParameterError(f"--event {text!r}: {item.strip()!r} is not of the form key=value "
                                 f"(e.g. --event step=52,kind=scandal,brand=0,size=0.05,duration=4)")
        key, value = (part.strip() for part in item.split("=", 1))
        if key in fields:
            raise ParameterError(f"--event {text!r}: field '{key}' given twice")
        fields[key] = value
    return make_event(fields, " in --event")


def make_events(values: Any, n_brands: int | None = None, where: str = "") -> tuple[Event, ...]:
    """A tuple of checked events from a list of tables / Events / ``--event`` strings, in
    order of their start (events sharing a week keep their given order)."""
    if values is None:
        return ()
    if isinstance(values, (str, Mapping, Event)):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise ParameterError(f"'events'{where} must be a list of event tables ([[events]]), got {values!r}")
    out = [parse_event(v) if isinstance(v, str) else v if isinstance(v, Event) else make_event(v, where)
           for v in values]
    if n_brands is not None:
        out = [make_event(e, where, n_brands) for e in out]
    return tuple(sorted(out, key=lambda e: e.step))


def active_events(events: Iterable[Event], week: int, kind: str, brand: int | None = None) -> list[Event]:
    """The events of ``kind`` (about ``brand``, if given) active in ``week``."""
    return [e for e in events if e.kind == kind and e.active(week) and (brand is None or e.brand == brand)]
