"""Server-side sessions for staff and taxpayers: revocable, rotated, idle and absolute limits."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from typing import Any

from taxportal.context import Core
from taxportal.crypto import token_digest
from taxportal.models import StaffUser, TaxpayerAccount, WebSession
from taxportal.sql import Sql, columns, model_from, timestamp

TOUCH_EVERY = dt.timedelta(minutes=1)  # one write a minute per session, not one per request


async def start(
    core: Core,
    *,
    staff: StaffUser | None = None,
    account: TaxpayerAccount | None = None,
    address: str = "",
    second_factor: bool = False,
) -> tuple[str, WebSession]:
    """A new session (always a new id: call it at sign-in and after every step-up)."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session = await WebSession.create(
        token_hash=token_digest(token),
        kind="staff" if staff is not None else "taxpayer",
        staff=staff,
        account=account,
        csrf_token=secrets.token_urlsafe(32),
        second_factor_at=now if second_factor else None,
        address=address[:64],
    )
    return token, session


@dataclass(frozen=True, slots=True)
class FrameReturn:
    """What every portal page shows or decides from the taxpayer's return: the header's
    names, who signs, the language. The rest of the return (its SSNs, its contact details)
    is not read for every request."""

    id: int
    tax_year: int
    return_type: str
    first_name: str
    last_name: str
    spouse_first_name: str
    spouse_last_name: str
    language: str


@dataclass(frozen=True, slots=True)
class FramePortal:
    """The signed-in taxpayer's portal, with its return as ``FrameReturn``."""

    id: int
    status: str
    tax_return: FrameReturn


@dataclass(slots=True)
class LiveSession:
    """A live session as each request sees it: the session row's columns, and the person
    (the staff user, or the taxpayer's account with their portal and return)."""

    id: int
    kind: str
    csrf_token: str
    second_factor_at: dt.datetime | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    address: str
    account_id: int | None
    staff_id: int | None
    staff: StaffUser | None = None
    account: TaxpayerAccount | None = None
    portal: FramePortal | None = None


async def lookup(core: Core, token: str, kind: str, *, touch: bool = True) -> LiveSession | None:
    """The live ``kind`` ("staff" or "taxpayer") session of a cookie value; idle or too old
    sessions are ended here. ``touch`` False: a page's own background request (polling),
    which is no sign of a person, leaves the idle clock running."""
    session = await _fetch(token_digest(token), kind)
    if session is None:
        return None
    if session.staff is not None and not session.staff.is_active:
        return None
    limits = core.config.core.sessions
    now = dt.datetime.now(dt.UTC)
    idle = now - session.last_seen_at > dt.timedelta(minutes=limits.idle_minutes)
    too_old = now - session.created_at > dt.timedelta(hours=limits.absolute_hours)
    if idle or too_old:
        await WebSession.filter(id=session.id).delete()
        return None
    if touch and now - session.last_seen_at > TOUCH_EVERY:
        await WebSession.filter(id=session.id).update(last_seen_at=now)
    return session


async def still_live(core: Core, token: str, kind: str) -> bool:
    """Whether the ``kind`` session of a cookie value is live with both factors passed, as
    ``lookup`` would find it, without extending it (a long-lived socket is no activity)."""
    limits = core.config.core.sessions
    now = dt.datetime.now(dt.UTC)
    query = WebSession.filter(
        token_hash=token_digest(token),
        kind=kind,
        second_factor_at__isnull=False,
        last_seen_at__gt=now - dt.timedelta(minutes=limits.idle_minutes),
        created_at__gt=now - dt.timedelta(hours=limits.absolute_hours),
    )
    if kind == "staff":
        query = query.filter(staff__is_active=True)
    return await query.exists()


SESSION_COLUMNS = (
    "s.id, s.kind, s.csrf_token, s.second_factor_at, s.created_at, s.last_seen_at, "
    "s.address, s.account_id, s.staff_id"
)
FRAME_COLUMNS = (
    "p.id AS p__id, p.status AS p__status, r.id AS r__id, r.tax_year AS r__tax_year, "
    "r.return_type AS r__return_type, r.first_name AS r__first_name, "
    "r.last_name AS r__last_name, r.spouse_first_name AS r__spouse_first_name, "
    "r.spouse_last_name AS r__spouse_last_name, r.language AS r__language"
)


@functools.cache
def _select(kind: str) -> str:
    """Written once per process: building the column list is a loop over every model field.
    Each cookie names its kind, so a statement joins only that kind's rows."""
    if kind == "staff":
        return (
            f"SELECT {SESSION_COLUMNS}, {columns(StaffUser, 'u')} "  # noqa: S608
            "FROM web_session s JOIN staff_user u ON u.id = s.staff_id WHERE s.token_hash = "
        )
    return (
        f"SELECT {SESSION_COLUMNS}, {columns(TaxpayerAccount, 'a')}, {FRAME_COLUMNS} "  # noqa: S608
        "FROM web_session s "
        "JOIN taxpayer_account a ON a.id = s.account_id "
        "LEFT JOIN portal p ON p.id = a.portal_id "
        "LEFT JOIN tax_return r ON r.id = p.tax_return_id "
        "WHERE s.token_hash = "
    )


async def _fetch(token_hash: str, kind: str) -> LiveSession | None:
    """The session with its staff user, or its account with the account's portal and that
    portal's return (the few columns every page needs), in one statement: every request
    asks, and every portal page shows the return and speaks its language."""
    sql = Sql(bounded=True)  # by the token's unique index
    rows = await sql.rows(_select(kind) + sql.param(token_hash))
    if not rows:
        return None
    row = rows[0]
    session = LiveSession(
        row["id"],
        row["kind"],
        row["csrf_token"],
        timestamp(row["second_factor_at"]),
        timestamp(row["created_at"]),  # type: ignore[arg-type]  # NOT NULL
        timestamp(row["last_seen_at"]),  # type: ignore[arg-type]
        row["address"],
        row["account_id"],
        row["staff_id"],
    )
    if kind == "staff":
        session.staff = model_from(StaffUser, row, "u")
        return session
    session.account = model_from(TaxpayerAccount, row, "a")
    if row["p__id"] is not None and row["r__id"] is not None:
        session.portal = frame_portal(row)
    return session


def frame_portal(row: dict[str, Any]) -> FramePortal:
    """A row with ``FRAME_COLUMNS`` as the portal and return every page needs."""
    return FramePortal(
        row["p__id"],
        row["p__status"],
        FrameReturn(
            row["r__id"],
            row["r__tax_year"],
            row["r__return_type"],
            row["r__first_name"],
            row["r__last_name"],
            row["r__spouse_first_name"],
            row["r__spouse_last_name"],
            row["r__language"],
        ),
    )


async def frame_portal_of(portal_id: int) -> FramePortal | None:
    """``FramePortal`` of a portal by id, for a session whose statement found none."""
    sql = Sql()
    rows = await sql.rows(
        f"SELECT {FRAME_COLUMNS} FROM portal p JOIN tax_return r ON r.id = p.tax_return_id "  # noqa: S608
        f"WHERE p.id = {sql.param(portal_id)}"
    )
    return frame_portal(rows[0]) if rows else None


async def rotate(core: Core, old: LiveSession, *, second_factor: bool = False) -> str:
    """Replace a session by a new one for the same person (new id after a step-up)."""
    await WebSession.filter(id=old.id).delete()
    token, _ = await start(
        core,
        staff=old.staff,
        account=old.account,
        address=old.address,
        second_factor=second_factor or old.second_factor_at is not None,
    )
    return token


async def end(token: str) -> None:
    await WebSession.filter(token_hash=token_digest(token)).delete()


async def end_all(
    *,
    staff: StaffUser | None = None,
    account: TaxpayerAccount | None = None,
    keep: LiveSession | None = None,
) -> int:
    """End every session of one person (after a password change), except ``keep``."""
    query = (
        WebSession.filter(staff=staff) if staff is not None else WebSession.filter(account=account)
    )
    if keep is not None:
        query = query.exclude(id=keep.id)
    return await query.delete()
