"""The dashboard's two languages: one catalogue, complete, current, and what the page reads.

Design under test (``simulation/dashboard/i18n.py``): English is the msgid, German is the
msgstr of ``locale/de/LC_MESSAGES/womsim.po``; "both languages" means every message that
the code marks (``_("...")``, ``N_("...")``, extracted with Babel exactly as the README's
"Translations" commands do) has a non-empty, reviewed German msgstr with the same
``{placeholders}``, and the catalogue holds nothing else. The compiled ``.mo`` the page reads
must say what the ``.po`` says. A failure names the messages and the command that fixes it.
"""

from __future__ import annotations

import ast
import re
import string
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from simulation.dashboard import i18n
from simulation.dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, MissingTranslation, translator
from simulation.errors import WomsimError

from conftest import REPO, describe, run_cli

DASHBOARD = REPO / "simulation" / "dashboard"
POT = LOCALE_DIR / f"{i18n.DOMAIN}.pot"
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
UPDATE = "the README's 'Translations' commands (pybabel extract, update, translate, compile)"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def read(path: Path, lang: str | None = None):
    with path.open("rb") as file:
        return read_po(file, locale=lang, domain=i18n.DOMAIN)


def extracted() -> dict[str, list[str]]:
    """msgid -> where it is, for every message marked in simulation/dashboard/*.py (the
    extraction of the README's ``pybabel extract -k N_``)."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            DASHBOARD, method_map=[("*.py", "python")], keywords={**DEFAULT_KEYWORDS, "N_": None}):
        assert isinstance(message, str), f"{filename}:{lineno}: plural forms are not used: {message!r}"
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def messages(catalogue) -> dict[str, object]:
    return {m.id: m for m in catalogue if m.id}


def fields(text: str) -> list[str]:
    return sorted(name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None)


# ----------------------------------------------------------------------------------------
# The catalogue against the code
# ----------------------------------------------------------------------------------------
def test_every_language_has_its_catalogue_and_no_other_is_there():
    assert LANGUAGES[0] == DEFAULT_LANGUAGE == "en"
    # English is the msgid: no English catalogue; every other language has its .po and .mo
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(TRANSLATED)
    for lang in TRANSLATED:
        assert po_path(lang).is_file() and po_path(lang).with_suffix(".mo").is_file()
        assert read(po_path(lang), lang).locale.language == lang


def test_the_template_and_each_catalogue_hold_exactly_the_messages_of_the_code():
    code = extracted()
    for path, lang in [(POT, None), *((po_path(lang), lang) for lang in TRANSLATED)]:
        catalogue = read(path, lang)
        held = set(messages(catalogue))
        missing = {m: code[m] for m in sorted(set(code) - held)}
        stale = sorted(held - set(code))
        assert not missing, f"{path.name} ({lang or 'template'}) lacks {missing}: run {UPDATE}"
        assert not stale, f"{path.name} ({lang or 'template'}) has messages no code uses: {stale}: run {UPDATE}"
        assert not catalogue.obsolete, f"{path.name}: obsolete (#~) entries {list(catalogue.obsolete)}: {UPDATE}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_both_languages_every_message_has_its_english_msgid_and_a_reviewed_translation(lang):
    catalogue = read(po_path(lang), lang)
    untranslated = [m.id for m in catalogue if m.id and not str(m.string).strip()]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{lang}: no translation of {untranslated} in {po_path(lang)}"
    assert not fuzzy, f"{lang}: fuzzy (unreviewed) translations of {fuzzy}: check them, remove '#, fuzzy'"
    english, other = translator(DEFAULT_LANGUAGE), translator(lang)
    for msgid, message in messages(catalogue).items():
        assert msgid.strip() == msgid and msgid, f"msgid {msgid!r}: no leading or trailing blanks"
        assert english(msgid) == msgid  # English is the msgid itself
        assert other(msgid) == message.string


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_the_same_in_msgid_and_msgstr(lang):
    wrong = {}
    for msgid, message in messages(read(po_path(lang), lang)).items():
        try:
            same = fields(msgid) == fields(message.string)
        except ValueError as exc:  # an unbalanced brace in either
            same = exc
        if same is not True:
            wrong[msgid] = (message.string, same)
    assert not wrong, f"{lang}: placeholders differ (msgid: (msgstr, why)): {wrong}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogue_passes_the_checks_of_pybabel_compile(lang):
    # Babel takes a msgid with '%' before a letter ("95 % interval") for a %-format: its msgstr
    # needs the same conversion ("95%iges Intervall"), or `pybabel compile` exits 1
    errors = {message.id: [str(e) for e in found] for message, found in read(po_path(lang), lang).check()}
    assert not errors, f"{lang}: pybabel compile would refuse {errors}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_mo_says_what_the_po_says(lang):
    # the messages, not the bytes: what the .po compiles to (translated, not fuzzy) against the .mo
    want = {m.id: m.string for m in read(po_path(lang), lang) if m.id and m.string and not m.fuzzy}
    with po_path(lang).with_suffix(".mo").open("rb") as file:
        have = {m.id: m.string for m in read_mo(file) if m.id}
    differ = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
    assert not differ, f"{lang}: womsim.mo is not the compiled womsim.po for {differ}: run pybabel compile ({UPDATE})"


def _text(node) -> bool:
    return isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and isinstance(node.value, str)


def _built(node) -> bool:
    """A message made at run time: an f-string, a string joined or %-formatted, or ``"...".format``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _text(node.left) or _text(node.right) or _built(node.left) or _built(node.right)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "join") and _text(node.func.value))


def runtime_messages(source: str) -> list[str]:
    """The ``_()`` / ``N_()`` calls in ``source`` whose message is built at run time."""
    return [f"{node.lineno}: {ast.unparse(node)}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
            and node.args and _built(node.args[0])]


def test_the_lint_of_built_messages_finds_them():
    bad = ['_(f"Week {w}")', '_("Week " + w)', '_("Week {w}".format(w=1))', '_("Week %s" % w)', 'N_(f"x{y}")']
    good = ['_("Week {week}")', "_(LABEL)", "_(NAMES.get(kind, kind))", "_(NAMES[kind]).format(week=w)"]
    assert [len(runtime_messages(code)) for code in bad + good] == [1] * len(bad) + [0] * len(good)


def test_messages_are_literal_strings_so_that_the_extraction_sees_them():
    # _(f"..."), _("a" + b), _("...".format(x)) or _("..." % x) would be translated at run time but
    # never extracted (the German page would show English); _(NAME) or _(NAMES[key]) of N_-marked
    # constants is fine
    bad = [f"{path.name}:{line}" for path in sorted(DASHBOARD.glob("*.py"))
           for line in runtime_messages(path.read_text(encoding="utf-8"))]
    assert not bad, f"a message built at run time cannot be extracted: {bad}"


# ----------------------------------------------------------------------------------------
# The translator
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_translator_substitutes_named_placeholders_in_every_message(lang):
    _ = translator(lang)
    with_fields = [m for m in messages(read(po_path(lang), lang)) if fields(m)]
    for msgid in with_fields:
        values = {name: f"<{i}>" for i, name in enumerate(fields(msgid))}
        text = _(msgid).format(**values)
        assert all(v in text for v in values.values()) and "{" not in text, (msgid, text)


def test_the_translator_is_cached_and_english_is_the_identity():
    assert translator("de") is translator("de")
    assert translator() is translator("en")
    assert translator("en")("Week {week} of {horizon}").format(week=3, horizon=104) == "Week 3 of 104"
    assert translator("de")("") == ""  # not gettext's header


@pytest.mark.parametrize(("lang", "line"), [
    ("dee", "lang 'dee': allowed 'en', 'de' (did you mean 'de'?)"),
    ("EN", "lang 'EN': allowed 'en', 'de' (did you mean 'en'?)"),
    ("fr", "lang 'fr': allowed 'en', 'de'"),
])
def test_an_unknown_language_is_one_line_naming_the_parameter_the_values_and_the_closest(lang, line):
    with pytest.raises(WomsimError) as error:
        translator(lang)
    assert str(error.value) == line


@pytest.fixture
def tiny_catalogue(tmp_path, monkeypatch):
    """A German catalogue of one message, compiled into a temporary locale folder."""
    from babel.messages.catalog import Catalog

    catalogue = Catalog(locale="de", domain=i18n.DOMAIN)
    catalogue.add("Budget", "Budget (de)")
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.mo").open("wb") as file:
        write_mo(file, catalogue)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translator.cache_clear()
    yield
    i18n._translator.cache_clear()


def test_a_missing_translation_raises_under_pytest(tiny_catalogue, monkeypatch):
    monkeypatch.delenv(i18n.STRICT_VARIABLE, raising=False)
    assert i18n.strict()  # PYTEST_CURRENT_TEST is set
    _ = translator("de")
    assert _("Budget") == "Budget (de)"
    with pytest.raises(MissingTranslation, match=r"no 'de' translation of 'Not in the catalogue'"):
        _("Not in the catalogue")


def test_a_missing_translation_falls_back_to_english_in_production(tiny_catalogue, monkeypatch):
    monkeypatch.setenv(i18n.STRICT_VARIABLE, "0")
    _ = translator("de")
    assert (_("Budget"), _("Not in the catalogue")) == ("Budget (de)", "Not in the catalogue")
    monkeypatch.setenv(i18n.STRICT_VARIABLE, "1")
    with pytest.raises(MissingTranslation):
        translator("de")("Not in the catalogue")


# ----------------------------------------------------------------------------------------
# Packaging, command line, documents
# ----------------------------------------------------------------------------------------
def test_every_catalogue_file_is_package_data():
    # an installed wheel must carry the .mo the page reads (and the .po / .pot it comes from)
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = globs["simulation.dashboard"]
    files = [p.relative_to(DASHBOARD).as_posix() for p in LOCALE_DIR.rglob("*") if p.is_file()]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns) for f in files), (files, patterns)
    assert any(f.endswith(".mo") for f in files)


def test_viz_refuses_a_language_typo_in_one_line_with_the_closest():
    result = run_cli("viz", "--lang", "dee", timeout=60)
    assert result.returncode == 2, describe(result)
    assert result.stdout == "" and result.stderr.count("\n") == 1, describe(result)
    assert "--lang" in result.stderr and "'en', 'de'" in result.stderr and "did you mean 'de'?" in result.stderr


def test_viz_help_lists_the_languages():
    result = run_cli("viz", "--help", timeout=60)
    assert result.returncode == 0 and re.search(r"--lang \{en,de\}", result.stdout), describe(result)


@pytest.mark.parametrize("name", ["teaching", "worksheet"])
def test_the_lesson_plan_and_worksheet_exist_in_german_with_the_same_structure(name):
    english, german = REPO / "docs" / f"{name}.md", REPO / "docs" / f"{name}.de.md"
    assert english.is_file() and german.is_file()
    texts = [p.read_text(encoding="utf-8") for p in (english, german)]
    heading_levels = [[len(h) for h in re.findall(r"^(#+) ", t, flags=re.M)] for t in texts]
    assert heading_levels[0] == heading_levels[1], "the German document has other sections than the English"
    images = [re.findall(r"!\[[^\]]*\]\(([^)\s]+)", t) for t in texts]
    assert len(images[0]) == len(images[1]), "the German document shows another number of screenshots"
    for image in images[1]:
        assert (german.parent / image).is_file(), f"{german.name}: missing image {image}"
