"""Builds the messages the portal sends, in the taxpayer's language, from gettext templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from taxportal import i18n
from taxportal.context import Core
from taxportal.contracts import OutgoingMessage
from taxportal.i18n import N_
from taxportal.models import TaxpayerAccount, TaxReturn

_TEMPLATES = Path(__file__).resolve().parent / "message_templates"  # staff/ holds English ones
SUBJECTS = {
    "invitation": N_("Your secure portal has been created"),
    "code": N_("Your security code"),
    "username": N_("Your portal user name"),
    "documents": N_("New documents from your preparer"),
    "locked": N_("Your portal account is locked for a while"),
    "sign_in_reminder": N_("How to sign in to your portal"),
    "signing_reminder": N_("Documents are waiting for your signature"),
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(  # HTML templates are autoescaped below
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    i18n.install_gettext(env)
    return env


_env = _environment()


def _build(
    core: Core, kind: str, channel: str, to: str, language: str, context: dict[str, Any]
) -> OutgoingMessage:
    language = i18n.supported(language) or i18n.DEFAULT_LANGUAGE
    firm = core.config.core.firm.name
    values = {"firm": firm, "lang": language, **context}
    if channel == "sms":
        text = _env.get_template(f"{kind}.sms.txt").render(values).strip()
        return OutgoingMessage(
            channel="sms", to=to, text=text, sender_name=firm, purpose=kind, language=language
        )
    html_name = f"{kind}.email.html"
    html = (
        _env.get_template(html_name).render(values) if (_TEMPLATES / html_name).exists() else None
    )
    return OutgoingMessage(
        channel="email",
        to=to,
        subject=i18n.gettext_for(language, SUBJECTS[kind]),
        text=_env.get_template(f"{kind}.email.txt").render(values),
        html=html,
        sender_name=firm,
        purpose=kind,
        language=language,
    )


def signing_reminder_message(
    core: Core,
    channel: str,
    to: str,
    language: str,
    *,
    first_name: str,
    count: int,
    names: list[str],
) -> OutgoingMessage:
    """``count`` documents in "Files From My Preparer" still wait to be signed (``names``:
    the first names of who still signs, on a joint return; else empty): a link to the
    page, never a secret."""
    link = f"{core.config.base_url}/portal/preparer-files"
    context = {"first_name": first_name, "count": count, "names": names, "link": link}
    return _build(core, "signing_reminder", channel, to, language, context)


def contact_of(tax_return: TaxReturn, channel: str) -> str:
    """Where a message on ``channel`` goes: the return's email, or its mobile phone."""
    return tax_return.primary_email if channel == "email" else tax_return.mobile_phone


def invitation_message(
    core: Core, tax_return: TaxReturn, channel: str, link: str
) -> OutgoingMessage:
    return _build(
        core,
        "invitation",
        channel,
        contact_of(tax_return, channel),
        tax_return.language,
        {
            "link": link,
            "first_name": tax_return.first_name,
            "ttl_days": core.config.core.invitations.ttl_days,
        },
    )


def notice_language(tax_return: TaxReturn, account: TaxpayerAccount | None) -> str:
    """The taxpayer's own choice once they have made one, else the return's language."""
    return (account.language if account is not None else "") or tax_return.language


def sign_in_reminder_message(
    core: Core, tax_return: TaxReturn, account: TaxpayerAccount, channel: str
) -> OutgoingMessage:
    """For a portal that has its account: the sign-in page and the user name, no secret."""
    return _build(
        core,
        "sign_in_reminder",
        channel,
        contact_of(tax_return, channel),
        notice_language(tax_return, account),
        {
            "link": f"{core.config.base_url}/portal/login",
            "first_name": tax_return.first_name,
            "username": account.username,
        },
    )


def code_message(core: Core, channel: str, to: str, code: str, language: str) -> OutgoingMessage:
    return _build(
        core,
        "code",
        channel,
        to,
        language,
        {"code": code, "minutes": core.config.core.accounts.code_minutes},
    )


def locked_message(core: Core, channel: str, to: str, language: str) -> OutgoingMessage:
    """The account was locked after too many wrong tries: how to get back in, nothing secret."""
    context = {
        "minutes": core.config.core.accounts.lock_minutes,
        "link": f"{core.config.base_url}/portal/forgot-password",
        "phone": core.config.core.firm.phone,
    }
    return _build(core, "locked", channel, to, language, context)


def username_message(
    core: Core, channel: str, to: str, username: str, language: str
) -> OutgoingMessage:
    return _build(core, "username", channel, to, language, {"username": username})


def documents_message(
    core: Core, channel: str, to: str, language: str, *, first_name: str, count: int, sign: bool
) -> OutgoingMessage:
    """Documents are waiting in "Files From My Preparer": a link to the page, never a secret."""
    link = f"{core.config.base_url}/portal/preparer-files"
    context = {"first_name": first_name, "count": count, "sign": sign, "link": link}
    return _build(core, "documents", channel, to, language, context)
