"""The facts a signer is asked about before signing (issue 11): how the return keeps them.

Dates of birth and prior-year AGIs are stored AES-GCM-encrypted like the SSN, each with its
field name as associated data; pages and the API only say whether one is on file. The AGI
is per signer, as in the IRS's e-file signature check: spouses who filed jointly last year
give the same amount twice, spouses who filed apart each their own. The signing flow calls
``facts_for`` and compares answers with ``fact_values.answer_matches``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidTag

from taxportal.context import Core
from taxportal.crypto import FieldCipher
from taxportal.models import TaxReturn
from taxportal.services.returns.fields import ReturnFields, has_spouse

log = logging.getLogger(__name__)

Role = Literal["taxpayer", "spouse"]
TAXPAYER_FACTS = ("birth_date", "prior_year_agi")
SPOUSE_FACTS = ("spouse_birth_date", "spouse_prior_year_agi")
FACTS = TAXPAYER_FACTS + SPOUSE_FACTS  # each stored in the column f"{name}_encrypted"


class NoSuchSigner(LookupError):
    """The spouse of a return that names no spouse: nobody to ask."""


@dataclass(frozen=True)
class SigningFacts:
    """What the preparer holds about one signer, decrypted. Dates and amounts stay out of
    ``repr``, so a stray log line of this object shows none of them."""

    role: Role
    birth_date: dt.date | None = field(repr=False)
    prior_year_agi: int | None = field(repr=False)  # whole dollars
    email: str  # the signer's own: the taxpayer's primary e-mail, the spouse's e-mail
    phone: str  # E.164: mobile_phone or spouse_mobile_phone ("" when none)


def _given(fields: ReturnFields) -> dict[str, str]:
    """fact -> the plain text to store: the facts given, and "" for a spouse's facts on a
    return without a spouse (no spouse, no facts). A fact left empty is not in it: it keeps
    the one on file, like the SSN."""
    plain: dict[str, str] = {}
    for name in FACTS:
        value = getattr(fields, name)
        if value not in ("", None):
            plain[name] = str(value)  # "YYYY-MM-DD" or whole dollars
    if not has_spouse(fields.spouse_first_name, fields.spouse_last_name):
        plain.update(dict.fromkeys(SPOUSE_FACTS, ""))
    return plain


def fact_columns(cipher: FieldCipher, fields: ReturnFields) -> dict[str, str]:
    """The encrypted columns to write for ``fields`` (records.column_values adds them)."""
    return {
        f"{name}_encrypted": cipher.encrypt(plain, name) if plain else ""
        for name, plain in _given(fields).items()
    }


def facts_changed(cipher: FieldCipher, existing: TaxReturn, fields: ReturnFields) -> bool:
    """Whether storing ``fields`` changes a fact on file (ciphertexts differ every time, so
    compare what they stand for)."""
    return any(_stored(cipher, existing, name) != plain for name, plain in _given(fields).items())


def facts_on_file(tax_return: TaxReturn) -> dict[str, bool]:
    """fact -> whether one is on file: all pages and the API show, never the value."""
    return {name: bool(getattr(tax_return, f"{name}_encrypted")) for name in FACTS}


def _stored(cipher: FieldCipher, tax_return: TaxReturn, name: str) -> str | None:
    """The plain text on file, "" for none, None when it cannot be decrypted (another key)."""
    token = getattr(tax_return, f"{name}_encrypted")
    if not token:
        return ""
    try:
        return cipher.decrypt(token, name)
    except (InvalidTag, ValueError):
        log.warning("return %s: the stored %s cannot be decrypted", tax_return.id, name)
        return None


def facts_for(core: Core, tax_return: TaxReturn, role: Role) -> SigningFacts:
    """The facts on file for the taxpayer or the spouse of ``tax_return``, decrypted; a fact
    not on file (or unreadable) is None. NoSuchSigner for the spouse of a return that names
    none; ValueError for any other role."""
    if role not in ("taxpayer", "spouse"):
        raise ValueError(f"unknown signer {role!r}: taxpayer or spouse")
    spouse = role == "spouse"
    if spouse and not has_spouse(tax_return.spouse_first_name, tax_return.spouse_last_name):
        raise NoSuchSigner(f"return {tax_return.id} names no spouse")
    prefix = "spouse_" if spouse else ""
    birth = _stored(core.cipher, tax_return, prefix + "birth_date")
    agi = _stored(core.cipher, tax_return, prefix + "prior_year_agi")
    contact: dict[str, Any] = (
        {"email": tax_return.spouse_email, "phone": tax_return.spouse_mobile_phone}
        if spouse
        else {"email": tax_return.primary_email, "phone": tax_return.mobile_phone}
    )
    return SigningFacts(
        role=role,
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        prior_year_agi=int(agi) if agi else None,
        **contact,
    )
