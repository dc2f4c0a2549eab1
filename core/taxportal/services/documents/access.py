"""The one access check for documents, both ways, and its record in the activity log.

Every read, list, download, upload, send and delete of a file — the taxpayer's uploads
("My Files") and the preparer's documents ("Files From My Preparer") — calls ``check``
first. It decides from who is asking (``Principal``) and whose portal or return the file
belongs to; a refusal is ``Denied``, which callers answer with 404 so that one taxpayer
cannot even learn that another's file exists. The attempt is recorded — who, what, when
(the entry's time), from where — when it touches a file (read, download, upload, send,
delete, review) or is refused; an allowed list is not: it shows names and dates, no
content, and every visit to a files page would otherwise write a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from taxportal.models import Portal
from taxportal.services import activity

PrincipalKind = Literal["staff", "api", "taxpayer"]
Action = Literal["list", "read", "download", "upload", "send", "delete", "review"]
# taxpayer's upload | preparer's document | a signer's drawn signature (services/signing)
FileKind = Literal["upload", "document", "signature"]

# what a taxpayer may do to the files of their own portal
TAXPAYER_MAY = {
    "upload": {"list", "read", "download", "upload", "delete"},
    "document": {"list", "read", "download"},
    "signature": {"list", "read", "upload"},  # drawing again is an upload; none is deleted
}
# staff (console or API token) may do everything but remove a taxpayer's upload
STAFF_MAY = {
    "upload": {"list", "read", "download", "review"},
    "document": {"list", "read", "download", "upload", "send", "delete"},
    "signature": {"list", "read"},  # the preparer may look; only the signer draws
}


class Denied(LookupError):
    """Not this principal's to see or touch: answered as "not found"."""


@dataclass(frozen=True)
class Principal:
    """Who is asking. A taxpayer carries the id of the one portal they own."""

    kind: PrincipalKind
    id: int
    address: str = ""
    portal_id: int | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.kind in ("staff", "api")


def allowed(
    principal: Principal, action: Action, file_kind: FileKind, portal_id: int | None
) -> bool:
    if principal.is_staff:
        return action in STAFF_MAY[file_kind]
    own = portal_id is not None and principal.portal_id == portal_id
    return own and action in TAXPAYER_MAY[file_kind]


async def check(
    principal: Principal,
    action: Action,
    file_kind: FileKind,
    *,
    portal_id: int | None,
    file_id: int | None = None,
    return_id: int | None = None,
    found: bool = True,
) -> None:
    """Allow ``action`` on a file (or on the list, ``file_id`` None) of ``portal_id`` (None:
    a return with no portal yet, staff only), or raise ``Denied``; either way the attempt is
    written to the activity log.

    Callers find the file's row first and pass its real portal (and return), never the one
    a URL names. ``found`` False: no such file, or not where the URL puts it (another
    portal's or return's): denied for everybody, and logged against the portal given (the
    file's own when it exists, else the asker's). An allowed list is not logged."""
    ok = found and allowed(principal, action, file_kind, portal_id)
    if ok and action == "list":
        return  # names only: the content's reads are what the log keeps
    detail: dict[str, int | str] = {"file_kind": file_kind}
    if file_id is not None:
        detail["file_id"] = file_id
    if return_id is not None:
        detail["return_id"] = return_id
    if not ok:
        detail["wanted"] = action
    await activity.record(
        f"file_{action}" if ok else "file_access_denied",
        actor=principal.actor,
        subject=f"portal:{portal_id}" if portal_id is not None else f"return:{return_id}",
        address=principal.address,
        **detail,
    )
    if not ok:
        raise Denied(file_id)


async def portal_id_of(return_id: int) -> int | None:
    """The portal of a return, None while it has none (documents can be added before)."""
    ids = await Portal.filter(tax_return_id=return_id).limit(1).values_list("id", flat=True)
    return int(ids[0]) if ids else None
