"""Jinja2 set-up: core templates first, then plugins'; globals every page needs."""

from __future__ import annotations

import functools
import types
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import jinja2.bccache
import phonenumbers
from aiohttp import web

from taxportal import i18n
from taxportal.web.folded_text import FoldedTranslations
from taxportal.web.keys import ACCOUNT, CORE, LANG, STAFF
from taxportal.web.nav import menu_html
from taxportal.web.security import CSRF_FIELD, csrf_token_for

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the process: every app's environment (same options)
    compiles a template once. Jinja keys a bucket by file and checks the source's checksum."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


# What ``getattr(a_dict, name)`` finds on a plain dict: its methods, nothing else.
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _getattr_dict_first(environment: jinja2.Environment, obj: Any, attribute: str) -> Any:
    """Jinja's ``environment.getattr`` (``{{ row.name }}``) with the same answers, but a
    plain dict's key is read without first raising and catching AttributeError, about a
    microsecond per value: the pages' rows are dicts (a list page reads hundreds)."""
    if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
        try:
            return obj[attribute]
        except KeyError:
            return environment.undefined(obj=obj, name=attribute)
    return jinja2.Environment.getattr(environment, obj, attribute)


def _fast_getattr(environment: jinja2.Environment) -> None:
    environment.getattr = types.MethodType(_getattr_dict_first, environment)  # type: ignore[method-assign]


_COMPILED = _CompiledTemplates()  # only for the environments setup_templates builds
# The portal's environments, one per language: their compiled code holds translated text.
PORTAL_TEMPLATES = {
    language: web.AppKey(f"portal_templates_{language}", jinja2.Environment)
    for language in i18n.LANGUAGES
}
_FOLDED_COMPILED = {language: _CompiledTemplates() for language in i18n.LANGUAGES}


def setup_templates(app: web.Application, plugin_dirs: list[str]) -> None:
    """The console's environment (aiohttp_jinja2's default key: text translated as pages
    render), and the portal's, one per language (``folded_text``)."""
    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader([str(TEMPLATES), *plugin_dirs]),
        "autoescape": jinja2.select_autoescape(default=True),
        "undefined": jinja2.StrictUndefined,
        "filters": {"phone": format_phone},
        "auto_reload": False,  # templates ship with the code: no stat() of each file per page
        "cache_size": -1,  # a plain dict of every template: no LRU bookkeeping under a lock
    }
    menus = {"menu": menu_html}
    env = aiohttp_jinja2.setup(
        app,
        context_processors=[page_context],
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=_COMPILED,
        **options,
    )
    env.globals.update(menus)
    _fast_getattr(env)
    i18n.install_gettext(env)
    for language, key in PORTAL_TEMPLATES.items():
        folded = aiohttp_jinja2.setup(
            app,
            app_key=key,
            extensions=["jinja2.ext.i18n", FoldedTranslations],
            bytecode_cache=_FOLDED_COMPILED[language],
            **options,
        )
        folded.globals.update(menus)
        _fast_getattr(folded)
        folded.folded_language = language  # type: ignore[attr-defined]
        folded.folded_root = str(TEMPLATES)  # type: ignore[attr-defined]
        i18n.install_gettext(folded)


def render_portal_page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A taxpayer's page, by the environment of the page's language."""
    language = request.get(LANG, i18n.DEFAULT_LANGUAGE)
    key = PORTAL_TEMPLATES.get(language) or PORTAL_TEMPLATES[i18n.DEFAULT_LANGUAGE]
    return aiohttp_jinja2.render_template(template, request, context, app_key=key, status=status)


@functools.lru_cache(maxsize=50_000)  # a list page formats the same numbers again and again
def format_phone(e164: str) -> str:
    """'+17065550197' -> '(706) 555-0197' for US numbers; others in international form."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


async def page_context(request: web.Request) -> dict[str, Any]:
    core = request.app[CORE]
    return {
        "firm_name": core.config.core.firm.name,
        "firm": core.config.core.firm,
        "account": request.get(ACCOUNT),
        "staff": request.get(STAFF),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token_for(request),
        "nav_items": core.plugins.nav_items("staff"),
        "portal_nav_items": core.plugins.nav_items("taxpayer"),
        "request_path": request.path,
        "lang": request.get(LANG, i18n.DEFAULT_LANGUAGE),
        "languages": i18n.LANGUAGES,
    }
