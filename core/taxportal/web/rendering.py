"""Jinja2 set-up: core templates first, then plugins'; globals every page needs."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import jinja2.bccache
import phonenumbers
from aiohttp import web

from taxportal import i18n
from taxportal.web.keys import ACCOUNT, CORE, LANG, STAFF
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


_COMPILED = _CompiledTemplates()  # only for the environments setup_templates builds


def setup_templates(app: web.Application, plugin_dirs: list[str]) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader([str(TEMPLATES), *plugin_dirs]),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        context_processors=[page_context],
        filters={"phone": format_phone},
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # templates ship with the code: no stat() of each file per page
        bytecode_cache=_COMPILED,
    )
    i18n.install_gettext(env)


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
