"""The signer's consent to electronic records and signatures: accepted, declined, withdrawn.

One row of ``signing_consent`` per decision, never an update: a signer's current decision
is their newest row (the highest id). Two submissions at once (two tabs, a double click)
are each one INSERT, both recorded, and the newest wins; no state can be half of one and
half of the other. Consent is per signer (portal and role), not per document, so it is not
a ``signing_event``: the signing flow copies ``text_sha256`` into each document's chain.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Literal

from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.models import Portal, SigningConsent
from taxportal.services import activity
from taxportal.services.documents.access import Principal
from taxportal.services.documents.preparer import is_joint
from taxportal.services.signing import consent_notice, identity
from taxportal.services.signing.disclosure import TEXT_VERSION, Disclosure, render

Role = Literal["taxpayer", "spouse"]
Decision = Literal["accepted", "declined", "withdrawn"]
ROLES: tuple[str, ...] = ("taxpayer", "spouse")
DECISIONS: tuple[str, ...] = ("accepted", "declined", "withdrawn")


class NotFound(LookupError):
    """No such signer on this portal (an unknown role, or a spouse on a single return)."""


class TextChanged(ValueError):
    """The text shown is no longer the text (configuration or version changed): show it again."""


class IdentityFirst(PermissionError):
    """The spouse's consent is theirs to give: after the spouse's own identity check."""


async def signer_disclosure(core: Core, portal_id: int, role: str, language: str) -> Disclosure:
    """The disclosure as ``role`` of ``portal_id`` is shown it; ``NotFound`` for no such signer."""
    portal = await Portal.get_or_none(id=portal_id).prefetch_related("tax_return")
    if portal is None or role not in ROLES:
        raise NotFound(role)
    if role == "spouse" and not is_joint(portal.tax_return):
        raise NotFound(role)
    return render(core, language, portal.tax_return.tax_year)


async def current(portal_id: int, role: str) -> SigningConsent | None:
    """The signer's newest decision, or None before any."""
    return await SigningConsent.filter(portal_id=portal_id, role=role).order_by("-id").first()


async def required(portal_id: int, role: str) -> bool:
    """True until the signer has accepted the current version of the text (and again after
    they decline or withdraw, or when the text's version changes)."""
    newest = await current(portal_id, role)
    return not (
        newest is not None and newest.decision == "accepted" and newest.text_version == TEXT_VERSION
    )


async def record(
    core: Core,
    principal: Principal,
    role: str,
    decision: str,
    language: str,
    user_agent: str = "",
    *,
    ip: str | None = None,
    shown_sha256: str | None = None,
) -> SigningConsent:
    """Record the signed-in taxpayer's ``decision`` as ``role`` on their own portal.

    The text is rendered again here in ``language`` and its hash stored; ``shown_sha256``
    (what the page said it showed) must equal it, else ``TextChanged``. A decline or a
    withdrawal tells the preparer (by email; retried by a job if the mail is down), unless
    the signer had already turned to paper."""
    if principal.kind != "taxpayer" or principal.portal_id is None:
        raise NotFound(role)  # staff never decide for a signer
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    shown = await signer_disclosure(core, principal.portal_id, role, language)
    if (
        role == "spouse"
        and decision == "accepted"  # a "no" only turns to paper; a "yes" lets a signing happen
        and not await identity.passed_for_signing(core, principal.portal_id, role)
    ):
        raise IdentityFirst(role)  # else the taxpayer could agree in the spouse's name
    if shown_sha256 is not None and shown_sha256 != shown.sha256:
        raise TextChanged(role)
    previous = await current(principal.portal_id, role)
    async with atomic():  # the decision and its activity entry: both or neither
        consent = await SigningConsent.create(
            portal_id=principal.portal_id,
            role=role,
            decision=decision,
            text_version=shown.version,
            text_sha256=shown.sha256,
            language=shown.language,
            at=dt.datetime.now(dt.UTC),
            ip=_text(principal.address if ip is None else ip, 64),
            user_agent=_text(user_agent, 512),
        )
        await activity.record(
            f"signing_consent_{decision}",
            actor=principal.actor,
            subject=f"portal:{principal.portal_id}",
            address=consent.ip,
            role=role,
            language=consent.language,
            text_version=consent.text_version,
            text_sha256=consent.text_sha256,
            consent_id=consent.id,
        )
    # the preparer hears when the signer turns to paper, not again for each later "no"
    if decision != "accepted" and (previous is None or previous.decision == "accepted"):
        await consent_notice.tell_preparer(core, consent.id)
    return consent


async def withdraw(
    core: Core,
    principal: Principal,
    role: str,
    language: str,
    user_agent: str = "",
    *,
    ip: str | None = None,
) -> SigningConsent | None:
    """Withdraw an accepted consent (a new "withdrawn" row); None when it was not accepted,
    so withdrawing twice records once. Signatures already made stay made."""
    if principal.portal_id is None:
        raise NotFound(role)
    await signer_disclosure(core, principal.portal_id, role, language)  # the signer exists
    newest = await current(principal.portal_id, role)
    if newest is None or newest.decision != "accepted":
        return None
    return await record(core, principal, role, "withdrawn", language, user_agent, ip=ip)


def _text(value: str, limit: int) -> str:
    """Printable text only, cut to ``limit``: a header can carry anything."""
    kept = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C")
    return kept.strip()[:limit]
