"""The page language: the taxpayer's switch, their account, their return, else the browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp_jinja2
from aiohttp import web

from taxportal import i18n
from taxportal.services.accounts import taxpayers
from taxportal.web.cookies import LANGUAGE, cookie
from taxportal.web.keys import ACCOUNT, LANG, TAXPAYER_SESSION
from taxportal.web.request_text import read_form
from taxportal.web.security import Handler, is_tls

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxReturn

LANG_COOKIE = "tp_lang"
ONE_YEAR = 365 * 24 * 3600


@web.middleware
async def choose_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    account = request.get(ACCOUNT)
    request[LANG] = i18n.choose_language(
        chosen=cookie(request, LANG_COOKIE, LANGUAGE),
        account=account.language if account else None,
        tax_return=await taxpayers.return_language(request[TAXPAYER_SESSION]) if account else None,
        accept_language=request.headers.get("Accept-Language", ""),
    )
    return await handler(request)


def use_return_language(request: web.Request, tax_return: TaxReturn) -> None:
    """Pages reached before sign-in (the invitation) know the return: prefer its language."""
    if not cookie(request, LANG_COOKIE, LANGUAGE):
        request[LANG] = i18n.supported(tax_return.language) or request[LANG]
        # The templates' page context was filled in before the handler ran: update its lang.
        page = request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY)
        if page is not None:
            page["lang"] = request[LANG]


def chosen_language(request: web.Request) -> str:
    """The language the taxpayer picked with the switch ("" when they never did)."""
    return i18n.supported(request.cookies.get(LANG_COOKIE, "")) or ""


async def switch_language(request: web.Request) -> web.StreamResponse:
    """POST /language: remember the choice in a cookie and on the account."""
    form = await read_form(request)
    language = i18n.supported(str(form.get("lang", ""))) or i18n.DEFAULT_LANGUAGE
    back = str(form.get("next", "/portal/"))
    if not back.startswith("/") or back.startswith("//"):
        back = "/portal/"
    account = request.get(ACCOUNT)
    if account is not None:
        await taxpayers.set_language(account.id, language)
    response = web.HTTPSeeOther(back)
    remember_language(request, response, language)
    raise response


def remember_language(request: web.Request, response: web.StreamResponse, language: str) -> None:
    """The browser keeps the language (also after sign-out, when no account says it)."""
    response.set_cookie(
        LANG_COOKIE,
        language,
        max_age=ONE_YEAR,
        samesite="Lax",
        secure=is_tls(request),
        path="/",
        httponly=True,
    )
