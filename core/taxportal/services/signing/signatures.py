"""The signature on file: drawn once per signer (taxpayer, spouse), kept, redrawn at will.

A redrawing adds a row and marks the previous one replaced in one transaction; the
partial unique index of migration 0015 keeps exactly one on file per (portal, role) even
when two Saves race. Replaced images stay: a signing points at the image it used, so a
new drawing applies only to documents signed afterwards.

Every read and write passes the documents access check (``file_kind`` "signature"), so one
taxpayer can never read or replace another's signature: ``NotFound``, answered 404.
The activity log gets the image's id, size and SHA-256, never its bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from taxportal.i18n import N_
from taxportal.limits import MAX_ID
from taxportal.models import SignatureImage, TaxReturn
from taxportal.services import activity
from taxportal.services.documents.access import Denied, Principal, check
from taxportal.services.returns.fields import has_spouse
from taxportal.services.signing.signature_png import CheckedImage, SignatureRefused, check_png
from taxportal.sql import Sql, timestamp

if TYPE_CHECKING:  # the portal pages pass the session's light return
    from taxportal.services.accounts.sessions import FrameReturn

__all__ = [
    "ROLES",
    "CheckedImage",
    "MayNotDraw",
    "NotFound",
    "OnFile",
    "SignatureRefused",
    "check_png",
    "image",
    "may_draw",
    "on_file",
    "save",
    "signer_roles",
]

Role = Literal["taxpayer", "spouse"]
ROLES: tuple[Role, ...] = ("taxpayer", "spouse")
LOCK_SPACE = 0x5167  # pg_advisory_xact_lock's first key: this module's (portal, role) locks
MAX_TRIES = 5  # lost races on SQLite's unique index before giving up (never seen past 2)
SPOUSE_FIRST = N_("The spouse confirms who they are first.")


class NotFound(LookupError):
    """No such signature, or not this principal's: answered as "not found"."""


class MayNotDraw(PermissionError):
    """This person may not draw this role's signature now; ``reason`` is a msgid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OnFile:
    """The signature on file for a role, without its bytes (the page shows it by id)."""

    id: int
    role: str
    sha256: str
    width: int
    height: int
    created_at: dt.datetime


def signer_roles(tax_return: TaxReturn | FrameReturn) -> tuple[Role, ...]:
    """Who signs this return: the taxpayer, and the spouse on a joint return (one that
    names a spouse)."""
    joint = has_spouse(tax_return.spouse_first_name, tax_return.spouse_last_name)
    return ROLES if joint else ROLES[:1]


def may_draw(principal: Principal, role: str, *, spouse_verified: bool = False) -> None:
    """Allow ``principal`` to draw ``role``'s signature, or raise ``MayNotDraw``.

    The signed-in taxpayer draws their own. The spouse's is drawn in the same portal, so
    the person at the screen must first pass the spouse's own identity check
    (``identity.passed_for_signing`` for "spouse"): the caller passes ``spouse_verified``
    True only then (the drawing page sends the spouse through that check first)."""
    if principal.kind != "taxpayer" or role not in ROLES:
        raise MayNotDraw(N_("Only the signer can draw this signature."))
    if role == "spouse" and not spouse_verified:
        raise MayNotDraw(SPOUSE_FIRST)


async def save(
    principal: Principal, role: str, data: bytes, *, spouse_verified: bool = False
) -> OnFile:
    """Check ``data`` and keep it as the signature on file for ``role`` in the principal's
    portal, replacing the one before. ``MayNotDraw``, ``SignatureRefused`` or ``NotFound``."""
    may_draw(principal, role, spouse_verified=spouse_verified)
    portal_id = principal.portal_id
    try:
        await check(principal, "upload", "signature", portal_id=portal_id)
    except Denied:
        raise NotFound() from None
    assert portal_id is not None  # check allows a taxpayer only their own portal
    # decoding a drawing takes 1-20 ms; Pillow lets go of the GIL while it decodes
    checked = await asyncio.to_thread(check_png, data)
    row = await _replace(portal_id, role, checked)
    await activity.record(
        "signature_saved",
        actor=principal.actor,
        subject=f"portal:{portal_id}",
        address=principal.address,
        role=role,
        image_id=row.id,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
    )
    return _on_file(row)


async def _replace(portal_id: int, role: str, checked: CheckedImage) -> SignatureImage:
    """Mark the one on file replaced and add the new one, in one transaction."""
    postgres = connections.get("default").capabilities.dialect == "postgres"
    for _ in range(MAX_TRIES):
        try:
            async with in_transaction() as conn:
                if postgres:  # Saves of one signer queue here instead of failing on the index
                    await conn.execute_query(
                        "SELECT pg_advisory_xact_lock($1, $2)",
                        [LOCK_SPACE, portal_id * len(ROLES) + ROLES.index(role)],  # type: ignore[arg-type]
                    )
                now = dt.datetime.now(dt.UTC)
                await (
                    SignatureImage.filter(portal_id=portal_id, role=role, replaced_at=None)
                    .using_db(conn)
                    .update(replaced_at=now)
                )
                return await SignatureImage.create(
                    portal_id=portal_id,
                    role=role,
                    png=checked.png,
                    sha256=checked.sha256,
                    width=checked.width,
                    height=checked.height,
                    using_db=conn,
                )
        except IntegrityError:
            continue  # another Save put its row on file first: replace that one
    raise RuntimeError("signature: gave up after repeated lost races")


async def on_file(principal: Principal, portal_id: int, role: str) -> OnFile | None:
    """The signature on file for ``role`` in ``portal_id``, None when none was drawn."""
    try:
        await check(principal, "list", "signature", portal_id=portal_id)
    except Denied:
        raise NotFound() from None
    row = (
        await SignatureImage.filter(portal_id=portal_id, role=role, replaced_at=None)
        .only("id", "role", "sha256", "width", "height", "created_at")
        .first()
    )
    return _on_file(row) if row is not None else None


async def all_on_file(principal: Principal, portal_id: int) -> dict[str, OnFile]:
    """Every role's signature on file in ``portal_id`` (a role without one is absent): one
    bounded read for the signature rows above Files From My Preparer."""
    try:
        await check(principal, "list", "signature", portal_id=portal_id)
    except Denied:
        raise NotFound() from None
    sql = Sql(bounded=True)  # the portal's one or two rows on file, by the partial index
    where = f"WHERE portal_id = {sql.param(portal_id)} AND replaced_at IS NULL"
    columns = "id, role, sha256, width, height, created_at"
    rows = await sql.rows(f"SELECT {columns} FROM signature_image {where}")  # noqa: S608
    return {
        row["role"]: OnFile(
            row["id"],
            row["role"],
            row["sha256"],
            row["width"],
            row["height"],
            timestamp(row["created_at"]),
        )
        for row in rows
    }


async def image(principal: Principal, image_id: int) -> SignatureImage:
    """One signature image with its PNG bytes (on file or replaced), or ``NotFound``."""
    row = None
    if type(image_id) is int and 1 <= image_id <= MAX_ID:
        row = await SignatureImage.get_or_none(id=image_id)
    portal_id = int(row.portal_id) if row is not None else principal.portal_id  # type: ignore[attr-defined]
    try:
        await check(
            principal,
            "read",
            "signature",
            portal_id=portal_id,
            file_id=image_id if row is not None else None,
            found=row is not None,
        )
    except Denied:
        raise NotFound() from None
    assert row is not None
    return row


def _on_file(row: SignatureImage) -> OnFile:
    return OnFile(row.id, row.role, row.sha256, row.width, row.height, row.created_at)
