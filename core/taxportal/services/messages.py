"""Builds the texts the portal sends, in the taxpayer's language, from templates."""

from __future__ import annotations

from pathlib import Path

import jinja2

from taxportal.context import Core
from taxportal.contracts import OutgoingMessage
from taxportal.models import TaxReturn

_TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates" / "messages"
_env = jinja2.Environment(  # autoescape per template below
    loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

SUBJECTS = {
    "invitation": {
        "en": "Your secure portal has been created",
        "es": "Su portal seguro ha sido creado",
    }
}


def invitation_message(
    core: Core, tax_return: TaxReturn, channel: str, link: str
) -> OutgoingMessage:
    language = tax_return.language if tax_return.language in ("en", "es") else "en"
    firm = core.config.core.firm.name
    context = {
        "firm": firm,
        "link": link,
        "first_name": tax_return.first_name,
        "ttl_days": core.config.core.invitations.ttl_days,
    }
    if channel == "sms":
        text = _env.get_template(f"invitation.sms.{language}.txt").render(context).strip()
        return OutgoingMessage(
            channel="sms",
            to=tax_return.mobile_phone,
            text=text,
            sender_name=firm,
            purpose="invitation",
            language=language,
        )
    return OutgoingMessage(
        channel="email",
        to=tax_return.primary_email,
        subject=SUBJECTS["invitation"][language],
        text=_env.get_template(f"invitation.email.{language}.txt").render(context),
        html=_env.get_template(f"invitation.email.{language}.html").render(context),
        sender_name=firm,
        purpose="invitation",
        language=language,
    )
