"""English and Spanish: gettext catalogs (compiled from .po at start), and language choice."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGES = {"en": "English", "es": "Español"}


@cache  # asked for every string of every page: one dict lookup
def translations(language: str) -> gettext.NullTranslations:
    """The core's catalog of a language; English is the source text, so it needs none."""
    return catalog(LOCALE_DIR, "messages", language)


@cache
def catalog(locale_dir: Path, domain: str, language: str) -> gettext.NullTranslations:
    """``<locale_dir>/<language>/LC_MESSAGES/<domain>.po``, compiled once per process."""
    return compile_catalog(locale_dir, domain, language)


def compile_catalog(locale_dir: Path, domain: str, language: str) -> gettext.NullTranslations:
    """A fresh catalog object from the .po file (for a plugin's, which falls back to ours)."""
    path = Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        entries = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, entries)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: str, message: str, **values: Any) -> str:
    text = translations(language).gettext(message)
    return text % values if values else text


def ngettext_for(language: str, singular: str, plural: str, n: int, **values: Any) -> str:
    text = translations(language).ngettext(singular, plural, n)
    values.setdefault("num", n)
    return text % values


def supported(language: str | None) -> str | None:
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else None


def from_accept_language(header: str) -> str | None:
    """The best supported language of an Accept-Language header, by q-value."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = supported(tag)
        if code and quality > 0:
            choices.append((-quality, position, code))
    return min(choices)[2] if choices else None


def choose_language(
    *, chosen: str | None, account: str | None, tax_return: str | None, accept_language: str
) -> str:
    """The taxpayer's switch, else their account's choice, else the return's, else the browser's."""
    for candidate in (chosen, account, tax_return):
        code = supported(candidate)
        if code:
            return code
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE


def install_gettext(env: jinja2.Environment) -> None:
    """`_()` and `{% trans %}` translate into the context's `lang` (one env, many languages),
    through the page's `plugin_catalog` first when a plugin's page brings its own: pages
    (web.rendering) and messages (services.messages) share it."""

    def _catalog(context: Any) -> Any:
        language = context.get("lang", DEFAULT_LANGUAGE)
        own = context.get("plugin_catalog")
        return own.translations(language) if own else translations(language)

    # Jinja's newstyle wrapper fills in %(name)s values itself: only translate here.
    @jinja2.pass_context
    def _gettext(context: Any, message: str) -> str:
        return _catalog(context).gettext(message)

    @jinja2.pass_context
    def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return _catalog(context).ngettext(singular, plural, n)

    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def N_(message: str) -> str:
    """Marks ``message`` for extraction into a catalog; it is translated where shown."""
    return message


def medium_date(value: dt.date | None, language: str) -> str:
    """ "Dec 2, 2026" / "2 dic 2026": a list's date column (a datetime shows its own date)."""
    if value is None:
        return ""
    return _medium_date(value.date() if isinstance(value, dt.datetime) else value, language)


@lru_cache(maxsize=4096)  # babel takes ~40 us a date; a list repeats a few days per page
def _medium_date(day: dt.date, language: str) -> str:
    from babel.dates import format_date

    return format_date(day, "medium", locale=language)
