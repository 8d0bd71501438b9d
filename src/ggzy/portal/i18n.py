"""The portal's languages: Chinese first, English second (DESIGN §1, 一网).

Templates are written in Chinese; the Chinese text is the message id, so the Chinese page needs no catalogue and a
reader of a template sees what the public sees. ``locale/en/LC_MESSAGES/messages.po`` translates it to English.
The catalogue is compiled from the ``.po`` file when first used (Babel), so ``make run`` needs no compile step and a
stale ``.mo`` can never be served. ``tests/portal/test_i18n.py`` extracts every message from the templates and the
page code and fails when one has no English translation.

A visitor picks a language with ``?lang=en`` (or ``zh``); the choice is kept in a cookie. Without a choice the page
is Chinese, whatever the browser asks for: the platform's language is Chinese.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from io import BytesIO
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Request

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"
LANGUAGE_COOKIE = "ggzy_lang"
CATALOGUE_DIR = files("ggzy.portal") / "locale"


def catalogue_path(language: Language) -> str:
    return str(CATALOGUE_DIR / language / "LC_MESSAGES" / "messages.po")


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (Chinese: the identity, the message ids are Chinese)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with open(catalogue_path(language), "rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class LanguageChoice:
    """The language of one response, and whether the visitor just chose it (then it is remembered in a cookie)."""

    language: Language
    chosen_now: bool


def choose_language(request: Request) -> LanguageChoice:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return LanguageChoice(asked, chosen_now=True)
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return LanguageChoice(remembered, chosen_now=False)
    return LanguageChoice(DEFAULT_LANGUAGE, chosen_now=False)


PORTAL_DIR = files("ggzy.portal")
_METHOD_MAP = [("templates/**.html", "jinja2"), ("**.py", "python")]
_OPTIONS_MAP = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
_KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}


def extract_messages() -> list[str]:
    """Every message id in the templates and the portal's Python code (``_``, ``gettext``, ``N_``), in order."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, None] = {}
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(PORTAL_DIR), method_map=_METHOD_MAP, options_map=_OPTIONS_MAP, keywords=_KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found[msgid] = None
    return list(found)


def update_catalogue(language: Language = "en") -> list[str]:
    """Add the new message ids to ``language``'s catalogue (untranslated) and drop unused ones; return the new ones.

    Run ``python -m ggzy.portal.i18n`` after changing a template, then translate the new entries.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = catalogue_path(language)
    try:
        with open(path, "rb") as po:
            old = read_po(po, locale=language)
    except FileNotFoundError:
        old = Catalog(locale=language)
    catalog = Catalog(
        locale=language,
        project="ggzy portal",
        version="1",
        header_comment=f"# The portal's {language} messages; the message ids are the Chinese of the templates.",
        last_translator="ggzy",
        language_team="ggzy",
        fuzzy=False,
    )
    added = []
    for msgid in extract_messages():
        existing = old.get(msgid)
        catalog.add(msgid, existing.string if existing is not None else "")
        if existing is None or not existing.string:
            added.append(msgid)
    with open(path, "wb") as po:
        write_po(po, catalog, width=120, omit_header=False, sort_output=False, no_location=True)
    return added


if __name__ == "__main__":
    for message in update_catalogue():
        print("untranslated:", message)
