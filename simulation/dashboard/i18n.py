"""The dashboard's languages: English and German from one gettext catalogue.

Design: English is the source. Every message is an English sentence (the gettext msgid)
with named ``{placeholders}``; the German text is its msgstr in the one catalogue
``locale/de/LC_MESSAGES/womsim.po``, which is what a translator edits. "Both languages" is
therefore the msgid plus a non-empty German msgstr for every message extracted from the
code (``tests/dashboard/test_i18n.py`` checks exactly that, and that the catalogue has no
stale entries). The page reads the compiled ``womsim.mo`` beside the ``.po`` with the
standard library's :mod:`gettext` (no dependency at run time; the ``.mo`` is package data,
so an installed wheel has it); Babel is only the catalogue's tool (extract, update,
compile: README, "Translations") and the test's.

Mark a message where it is defined with :func:`N_` (constants, lessons) and translate it
where it is shown, with a literal string so that the extraction finds it::

    _ = translator(lang)
    _("Week {week} of {horizon}").format(week=3, horizon=104)

A German message missing from the catalogue is shown in English on a running dashboard
(gettext's fallback), but never silently in tests: under pytest (``PYTEST_CURRENT_TEST`` is
set, also in a server process a test starts) or with ``WOMSIM_I18N_STRICT=1`` the
translator raises :class:`MissingTranslation` instead. ``WOMSIM_I18N_STRICT=0`` turns that
off.

Examples
--------
>>> translator("en")("Strategy")
'Strategy'
>>> LANGUAGES
('en', 'de')
>>> translator("de") is translator("de")
True
>>> translator("dee")
Traceback (most recent call last):
...
simulation.errors.WomsimError: lang 'dee': allowed 'en', 'de' (did you mean 'de'?)
"""

from __future__ import annotations

import difflib
import functools
import gettext
import os
from collections.abc import Callable
from pathlib import Path

from simulation.errors import WomsimError

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "LANGUAGES", "LOCALE_DIR", "MissingTranslation", "N_", "check_language",
           "strict", "translator"]

#: The languages of the dashboard, the first is the default (and the msgid's language).
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: The gettext domain: ``locale/<lang>/LC_MESSAGES/womsim.po`` (and ``.mo``), ``locale/womsim.pot``.
DOMAIN = "womsim"
LOCALE_DIR = Path(__file__).resolve().with_name("locale")
#: ``1`` raises on a missing translation, ``0`` falls back to English; unset: strict under pytest only.
STRICT_VARIABLE = "WOMSIM_I18N_STRICT"


class MissingTranslation(LookupError):
    """A message without a translation in the catalogue (raised only in strict mode: a bug to fix
    in the ``.po``, not a user's mistake)."""


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translated when shown).

    >>> N_("Budget")
    'Budget'
    """
    return message


def check_language(lang: str, name: str = "lang") -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a one-line :class:`WomsimError` naming
    ``name``, the allowed values and the closest one.

    >>> check_language("de")
    'de'
    """
    if lang in LANGUAGES:
        return lang
    near = difflib.get_close_matches(str(lang).lower(), LANGUAGES, n=1, cutoff=0.5)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    allowed = ", ".join(f"'{code}'" for code in LANGUAGES)
    where = f"{name} " if name else ""  # "" where the caller names it (argparse: "argument --lang: ...")
    raise WomsimError(f"{where}{lang!r}: allowed {allowed}{hint}")


def strict() -> bool:
    """Whether a missing translation raises (:data:`STRICT_VARIABLE`, else: running under pytest)."""
    setting = os.environ.get(STRICT_VARIABLE, "").strip()
    if setting:
        return setting not in ("0", "false", "no")
    return "PYTEST_CURRENT_TEST" in os.environ


def translator(lang: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """The function translating a message into ``lang`` (one of :data:`LANGUAGES`), cached.

    Parameters
    ----------
    lang : str
        A language code of :data:`LANGUAGES`; anything else is a :class:`WomsimError`.

    Returns
    -------
    callable
        ``message -> text``: the identity for English (the msgid is English), the
        catalogue's msgstr otherwise; a message without one is English on a running
        dashboard and a :class:`MissingTranslation` in strict mode (:func:`strict`).

    Examples
    --------
    >>> _ = translator("en")
    >>> _("Week {week} of {horizon}").format(week=3, horizon=104)
    'Week 3 of 104'
    """
    return _translator(check_language(lang), strict())


@functools.cache
def _translator(lang: str, strict_mode: bool) -> Callable[[str], str]:
    if lang == DEFAULT_LANGUAGE:
        return _english
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with mo.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)
    if strict_mode:
        catalogue.add_fallback(_Refuse(lang, mo.with_suffix(".po")))

    def translate(message: str) -> str:
        # gettext("") is the catalogue's header, not a message
        return catalogue.gettext(message) if message else message

    return translate


def _english(message: str) -> str:
    return message


class _Refuse(gettext.NullTranslations):
    """The strict mode's fallback: gettext asks it only for a message the catalogue lacks."""

    def __init__(self, lang: str, po: Path) -> None:
        super().__init__()
        self.lang, self.po = lang, po

    def gettext(self, message: str) -> str:
        raise MissingTranslation(f"no {self.lang!r} translation of {message!r} in {self.po} (untranslated, fuzzy "
                                 "or not extracted: see the README's 'Translations')")
