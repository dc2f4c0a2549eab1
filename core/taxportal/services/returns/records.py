"""Returns: upsert keyed by tax year + SSN, edit, the year filter, and the client lists' row
types (the lists themselves are read in services.client_list)."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError

from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.events import ReturnImported
from taxportal.models import Invitation, Portal, TaxpayerAccount, TaxReturn
from taxportal.services import activity
from taxportal.services.returns.client_search import Digest
from taxportal.services.returns.fields import ReturnFields
from taxportal.services.returns.signing_facts import fact_columns, facts_changed
from taxportal.text import fold_name

PLAIN_FIELDS = (
    "tax_year return_type efile_status first_name last_name primary_email secondary_email "
    "mobile_phone address city state zip_code spouse_first_name spouse_last_name spouse_email "
    "spouse_mobile_phone language"
).split()


YEARS_TTL = 30.0  # seconds: a year another process adds shows within half a minute
_years_cache: tuple[int, float, list[int]] | None = None  # (connection, read at, years)


class ReturnNotFound(LookupError):
    pass


class ReturnConflict(RuntimeError):
    """The same return was written by another request at the same moment: send it again."""


class MissingSsn(ValueError):
    """Upserts from a tax program are keyed by SSN, so they must carry one."""


def column_values(core: Core, fields: ReturnFields) -> dict[str, Any]:
    """Every column a return's fields are stored in: plain fields, SSNs encrypted with their
    digest and last four, the signing facts encrypted, the search text and the folded name
    keys. Whoever writes returns (upsert, create, update, the CSV import's bulk writes)
    stores exactly these."""
    values: dict[str, Any] = {name: getattr(fields, name) for name in PLAIN_FIELDS}
    cipher = core.cipher
    if fields.ssn:
        values["ssn_encrypted"] = cipher.encrypt(fields.ssn, "ssn")
        values["ssn_digest"] = cipher.digest(fields.ssn, "ssn")
        values["ssn_last4"] = fields.ssn[-4:]
    if fields.spouse_ssn:
        values["spouse_ssn_encrypted"] = cipher.encrypt(fields.spouse_ssn, "spouse_ssn")
        values["spouse_ssn_last4"] = fields.spouse_ssn[-4:]
    values.update(fact_columns(cipher, fields))
    values["search_text"] = search_text(fields)
    values["last_name_key"] = fold_name(fields.last_name)[:100]
    values["first_name_key"] = fold_name(fields.first_name)[:100]
    return values


def search_text(fields: ReturnFields) -> str:
    parts = [
        fields.first_name,
        fields.last_name,
        fields.spouse_first_name,
        fields.spouse_last_name,
        fields.primary_email,
        fields.secondary_email,
        fields.spouse_email,
        *_phone_words(fields.mobile_phone),
        *_phone_words(fields.spouse_mobile_phone),
    ]
    return " ".join(p for p in parts if p).casefold()


def _phone_words(phone: str) -> tuple[str, str]:
    """An E.164 number as searched: all its digits, and without the US country code."""
    digits = phone.lstrip("+")
    return digits, digits[1:] if digits.startswith("1") else digits


def ssn_digest(core: Core, ssn: str) -> str:
    return core.cipher.digest(ssn, "ssn")


def ssn_digester(core: Core) -> Digest:
    """What the client lists need to find a full SSN: its digest, never a decryption."""
    return lambda ssn: ssn_digest(core, ssn)


async def find_by_key(core: Core, tax_year: int, ssn: str) -> TaxReturn | None:
    return await TaxReturn.get_or_none(tax_year=tax_year, ssn_digest=ssn_digest(core, ssn))


def has_changed(
    core: Core, existing: TaxReturn, values: dict[str, Any], fields: ReturnFields
) -> bool:
    """Whether storing ``values`` (``column_values(core, fields)``) would change ``existing``:
    an upsert of the same data is "unchanged" and writes nothing."""
    for name in PLAIN_FIELDS:
        if getattr(existing, name) != values[name]:
            return True
    # Encrypted values differ each time (random nonce): compare what they stand for.
    if fields.spouse_ssn and existing.spouse_ssn_last4 != fields.spouse_ssn[-4:]:
        return True
    return facts_changed(core.cipher, existing, fields)


async def upsert(core: Core, fields: ReturnFields, actor: str) -> tuple[TaxReturn, str]:
    """Create or update the return of (tax year, SSN).

    Returns it and what happened: "created", "updated" or "unchanged". Two upserts of one
    new return at once: the unique key lets one create it, and the other, refused, reads
    it again and updates it (PostgreSQL's row lock cannot hold a row that is not there yet).
    """
    if not fields.ssn:
        raise MissingSsn("ssn: required (returns are matched by tax year and SSN)")
    values = column_values(core, fields)
    try:
        tax_return, outcome = await _upsert_once(core, values, fields)
    except IntegrityError:  # created by another request since this one looked
        try:
            tax_return, outcome = await _upsert_once(core, values, fields)
        except IntegrityError:
            raise ReturnConflict(
                "this return was changed at the same time; send it again"
            ) from None
    if outcome != "unchanged":
        await activity.record(f"return_{outcome}", actor=actor, subject=f"return:{tax_return.id}")
        forget_tax_years()
        await core.plugins.emit(ReturnImported(tax_return.id, created=outcome == "created"))
    return tax_return, outcome


async def _upsert_once(
    core: Core, values: dict[str, Any], fields: ReturnFields
) -> tuple[TaxReturn, str]:
    values = dict(values)
    async with atomic():
        existing = await TaxReturn.select_for_update().get_or_none(
            tax_year=fields.tax_year, ssn_digest=values["ssn_digest"]
        )
        if existing is None:
            return await TaxReturn.create(**values), "created"
        if not has_changed(core, existing, values, fields):
            return existing, "unchanged"
        values.pop("ssn_encrypted")  # same SSN: keep the stored ciphertext
        await TaxReturn.filter(id=existing.id).update(**values)
        return await TaxReturn.get(id=existing.id), "updated"


async def create(core: Core, fields: ReturnFields, actor: str) -> TaxReturn:
    """Add one return from the console (the SSN may come later)."""
    duplicate = f"ssn: a {fields.tax_year} return with this SSN already exists"
    if fields.ssn and await find_by_key(core, fields.tax_year, fields.ssn):
        raise ValueError(duplicate)
    try:  # the unique key decides between two adds of one return at once
        tax_return = await TaxReturn.create(**column_values(core, fields))
    except IntegrityError:
        raise ValueError(duplicate) from None
    await activity.record("return_created", actor=actor, subject=f"return:{tax_return.id}")
    forget_tax_years()
    return tax_return


async def update(core: Core, return_id: int, fields: ReturnFields, actor: str) -> TaxReturn:
    """Replace one return's fields; an empty SSN, date of birth or AGI keeps the one on file."""
    tax_return = await get(return_id)
    values = column_values(core, fields)
    taken = f"ssn: another {fields.tax_year} return has this SSN"
    if fields.ssn:
        other = await find_by_key(core, fields.tax_year, fields.ssn)
        if other is not None and other.id != return_id:
            raise ValueError(taken)
    try:  # the unique key decides between two returns given one SSN at once
        await TaxReturn.filter(id=tax_return.id).update(**values)
    except IntegrityError:
        raise ValueError(taken) from None
    await activity.record("return_updated", actor=actor, subject=f"return:{return_id}")
    forget_tax_years()
    return await get(return_id)


async def get(return_id: int) -> TaxReturn:
    tax_return = await TaxReturn.get_or_none(id=return_id)
    if tax_return is None:
        raise ReturnNotFound(return_id)
    return tax_return


def as_fields(tax_return: TaxReturn) -> dict[str, Any]:
    """The return's editable fields, without any SSN (forms show only the last four) nor
    signing fact (shown only as on file)."""
    return {name: getattr(tax_return, name) for name in PLAIN_FIELDS}


@dataclass
class ClientRow:
    tax_return: TaxReturn
    portal: Portal | None
    invitation: Invitation | None  # the newest delivered one
    account: TaxpayerAccount | None = None
    new_uploads: int = 0  # stored files the preparer has not marked reviewed
    to_sign: int = 0  # signatures current sent documents still wait for
    signed: int = 0  # signatures given on current sent documents

    @property
    def signing(self) -> str:
        """The File Viewer's short signing status: "2 to sign", "Signed", or ""."""
        if self.to_sign:
            return f"{self.to_sign} to sign"
        return "Signed" if self.signed else ""

    @property
    def portal_state(self) -> str:
        """not created, invited, registered, verified or locked (what the preparer acts on)."""
        if self.portal is None:
            return "not created"
        now = dt.datetime.now(dt.UTC)
        account_locked = (
            self.account is not None
            and self.account.locked_until is not None
            and self.account.locked_until > now
        )
        if self.portal.locked_at is not None or account_locked:
            return "locked"
        if self.account is None:
            return "invited"
        return "verified" if self.account.verified_at is not None else "registered"

    @property
    def email_sent(self) -> str:
        if self.invitation is None or self.invitation.sent_at is None:
            return "Not Sent"
        return "Sent" if self.invitation.channel == "email" else "Sent (text)"


@dataclass
class ClientPage:
    rows: list[ClientRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


async def tax_years() -> list[int]:
    """The years in the year filter, newest first: read at most every 30 s per process
    (and at once after this process writes a return), as every console page asks."""
    global _years_cache
    conn, now = id(connections.get("default")), time.monotonic()
    cached = _years_cache
    if cached is None or cached[0] != conn or now - cached[1] > YEARS_TTL:
        years = (
            await TaxReturn.all()
            .distinct()
            .order_by("-tax_year")
            .values_list("tax_year", flat=True)
        )
        cached = _years_cache = (conn, now, [int(year) for year in years])
    return list(cached[2])


def forget_tax_years() -> None:
    """After writing returns: this process shows a new year in the filter at once."""
    global _years_cache
    _years_cache = None


async def client_row(tax_return: TaxReturn) -> ClientRow:
    """One return with its portal and newest delivered invitation (the File Viewer's row)."""
    portal = await Portal.get_or_none(tax_return_id=tax_return.id)
    invitation = None
    if portal is not None:
        invitation = (
            await Invitation.filter(portal_id=portal.id, sent_at__isnull=False)
            .order_by("-id")
            .first()
        )
    return ClientRow(tax_return, portal, invitation)
