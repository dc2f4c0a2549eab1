"""The electronic-records disclosure (ESIGN, COMPLIANCE item 6): its text, version and hash.

The service renders the text and the page embeds exactly those characters, so the SHA-256
recorded with a decision is the SHA-256 of what the signer was shown, in their language.
Change the wording or its translation: change ``TEXT_VERSION`` too, so consents given to
the old text are asked again (``consent.required``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import jinja2

from taxportal import i18n
from taxportal.context import Core

TEXT_VERSION = "esign-2026.1"
_TEMPLATES = Path(__file__).resolve().parents[1] / "message_templates"


@dataclass(frozen=True)
class Disclosure:
    """The text as shown: ``html`` is embedded in the page as is; ``sha256`` is its hash."""

    version: str
    language: str
    html: str
    sha256: str


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,  # the firm's name and contacts come from configuration
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    i18n.install_gettext(env)
    return env


_env = _environment()


def render(core: Core, language: str, tax_year: int) -> Disclosure:
    """The disclosure for a return of ``tax_year`` in ``language`` (English if unknown)."""
    language = i18n.supported(language) or i18n.DEFAULT_LANGUAGE
    firm = core.config.core.firm
    html = _env.get_template("consent_disclosure.html").render(
        lang=language, firm=firm.name, phone=firm.phone, email=firm.email, tax_year=tax_year
    )
    html = html.strip()
    return Disclosure(
        TEXT_VERSION, language, html, hashlib.sha256(html.encode("utf-8")).hexdigest()
    )
