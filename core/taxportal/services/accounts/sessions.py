"""Server-side sessions for staff and taxpayers: revocable, rotated, idle and absolute limits."""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from taxportal.context import Core
from taxportal.crypto import token_digest
from taxportal.models import Portal, StaffUser, TaxpayerAccount, TaxReturn, WebSession
from taxportal.sql import Sql, columns, model_from

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


async def lookup(core: Core, token: str, kind: str, *, touch: bool = True) -> WebSession | None:
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


@functools.cache
def _select(kind: str) -> str:
    """Written once per process: building the column list is a loop over every model field.
    Each cookie names its kind, so a statement joins only that kind's rows."""
    if kind == "staff":
        return (
            f"SELECT {columns(WebSession, 's')}, {columns(StaffUser, 'u')} "  # noqa: S608
            "FROM web_session s JOIN staff_user u ON u.id = s.staff_id WHERE s.token_hash = "
        )
    return (
        f"SELECT {columns(WebSession, 's')}, {columns(TaxpayerAccount, 'a')}, "  # noqa: S608
        f"{columns(Portal, 'p')}, {columns(TaxReturn, 'r')} "
        "FROM web_session s "
        "JOIN taxpayer_account a ON a.id = s.account_id "
        "LEFT JOIN portal p ON p.id = a.portal_id "
        "LEFT JOIN tax_return r ON r.id = p.tax_return_id "
        "WHERE s.token_hash = "
    )


async def _fetch(token_hash: str, kind: str) -> WebSession | None:
    """The session with its staff user, or its account with the account's portal and that
    portal's return, in one statement: every request asks, and every portal page shows the
    return and speaks its language."""
    sql = Sql(bounded=True)  # by the token's unique index
    rows = await sql.rows(_select(kind) + sql.param(token_hash))
    if not rows:
        return None
    row = rows[0]
    session = model_from(WebSession, row, "s")
    # what select_related("staff", "account__portal__tax_return") would have set
    if kind == "staff":
        session.staff, session.account = model_from(StaffUser, row, "u"), None
        return session
    session.staff = None
    session.account = account = model_from(TaxpayerAccount, row, "a")
    account.portal = portal = model_from(Portal, row, "p")
    if portal is not None:
        portal.tax_return = model_from(TaxReturn, row, "r")
    return session


async def rotate(core: Core, old: WebSession, *, second_factor: bool = False) -> str:
    """Replace a session by a new one for the same person (new id after a step-up)."""
    await WebSession.filter(id=old.id).delete()
    staff = await old.staff if old.staff_id else None  # type: ignore[attr-defined]
    account = await old.account if old.account_id else None  # type: ignore[attr-defined]
    token, _ = await start(
        core,
        staff=staff,
        account=account,
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
    keep: WebSession | None = None,
) -> int:
    """End every session of one person (after a password change), except ``keep``."""
    query = (
        WebSession.filter(staff=staff) if staff is not None else WebSession.filter(account=account)
    )
    if keep is not None:
        query = query.exclude(id=keep.id)
    return await query.delete()
