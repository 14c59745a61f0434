"""The dashboard's languages: English and German from one gettext catalogue.

Messages are English sentences (the msgid) with named ``{placeholders}``; the German text
comes from the catalogue. Mark a message where it is defined with :func:`N_` (constants,
lessons) and translate it where it is shown::

    _ = translator(lang)
    _("Week {week} of {horizon}").format(week=3, horizon=104)

Examples
--------
>>> translator("en")("Strategy")
'Strategy'
>>> LANGUAGES
('en', 'de')
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "translator"]

#: The languages of the dashboard, the first is the default.
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = LANGUAGES[0]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translated when shown)."""
    return message


def translator(lang: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """The function translating a message into ``lang`` (one of :data:`LANGUAGES`)."""
    return lambda message: message
