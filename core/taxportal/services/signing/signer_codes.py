"""The one-time code of the identity check at signing: fresh, to the signer's OWN contact.

The taxpayer's code goes to the return's primary email or mobile phone, the spouse's to
the spouse's email or mobile phone on the return (never the taxpayer's), on the channel the
account chose when the signer has that contact, else the other. Codes are the accounts'
one-time codes (``services/accounts/codes.py``: 10 minutes, single use, stored as an HMAC,
wrong tries counted on the account), with a purpose bound to signing and to the role, so a
code sent for one signer (or for sign-in) is never accepted for the other.
"""

from __future__ import annotations

from taxportal.context import Core
from taxportal.contracts import SignerCheckError
from taxportal.models import Portal, TaxpayerAccount
from taxportal.services.accounts import codes
from taxportal.services.accounts.codes import CodeError, Contact
from taxportal.services.returns.signing_facts import NoSuchSigner, SigningFacts, facts_for
from taxportal.text import mask_email, mask_phone

PURPOSES = {"taxpayer": "signing_taxpayer", "spouse": "signing_spouse"}


def signer_contact(facts: SigningFacts, account: TaxpayerAccount | None) -> Contact | None:
    """The signer's own contact on the chosen channel, else the other; None when none."""
    wanted = account.notify_channel if account and account.notify_channel == "sms" else "email"
    for channel in (wanted, "sms" if wanted == "email" else "email"):
        address = facts.email if channel == "email" else facts.phone
        if address:
            return Contact(channel, address)
    return None


def masked(contact: Contact | None) -> str:
    if contact is None:
        return ""
    return (
        mask_email(contact.address) if contact.channel == "email" else mask_phone(contact.address)
    )


async def _signer(
    core: Core, portal_id: int, return_id: int, role: str
) -> tuple[TaxpayerAccount, Contact]:
    portal = await Portal.get_or_none(id=portal_id).prefetch_related("tax_return")
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    if portal is None or account is None or portal.tax_return.id != return_id:
        raise SignerCheckError("no_signer")
    try:
        facts = facts_for(core, portal.tax_return, role)  # type: ignore[arg-type]
    except (NoSuchSigner, ValueError):
        raise SignerCheckError("no_signer") from None
    contact = signer_contact(facts, account)
    if contact is None:
        raise SignerCheckError("no_contact")
    return account, contact


async def send(
    core: Core, portal_id: int, return_id: int, role: str, language: str, address: str = ""
) -> str:
    """Send a fresh code to the signer's own contact; the masked contact it went to.
    SignerCheckError: ``cooldown`` (with seconds), ``delivery``, ``locked``, ``no_contact``."""
    account, contact = await _signer(core, portal_id, return_id, role)
    try:
        await codes.send(core, account, PURPOSES[role], contact, language, address)
    except CodeError as exc:
        raise SignerCheckError(exc.kind, exc.seconds) from None
    return masked(contact)


async def check(
    core: Core, portal_id: int, return_id: int, role: str, typed: str, address: str = ""
) -> str:
    """ "" when ``typed`` is the signer's live code (then used up), else why not:
    ``wrong_code``, ``expired_code``, ``code_locked``."""
    account, _ = await _signer(core, portal_id, return_id, role)
    try:
        await codes.check(core, account, PURPOSES[role], typed[:20], address)
    except CodeError as exc:
        return {"wrong": "wrong_code", "locked": "code_locked"}.get(exc.kind, "expired_code")
    return ""
