"""Staff accounts, console sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from tortoise.exceptions import IntegrityError

from taxportal.context import Core
from taxportal.crypto import token_digest
from taxportal.models import ApiToken, StaffUser
from taxportal.services import activity
from taxportal.services.accounts import lock_notice, lockout, sessions
from taxportal.text import InvalidValue, normalize_email

ROLES = ("admin", "preparer")
MIN_STAFF_PASSWORD = 12
SIGN_IN_ATTEMPTS = 10  # wrong passwords or codes in a row, then the account is locked
LOCK_TIME = dt.timedelta(minutes=15)
# passwords, authenticator codes and recovery codes: one count, taken before each check
SIGN_IN_LIMIT = lockout.Limit(
    StaffUser,
    counter="failed_sign_ins",
    lock_column="locked_until",
    attempts=SIGN_IN_ATTEMPTS,
    lock_for=LOCK_TIME,
)


class StaffError(ValueError):
    """A staff account problem told to the person who can fix it."""


async def add_staff(
    core: Core,
    email: str,
    password: str,
    role: str = "preparer",
    name: str = "",
    actor: str = "cli",
) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"role must be one of: {', '.join(ROLES)}")
    try:
        address = normalize_email(email)
    except InvalidValue as exc:
        raise StaffError(str(exc)) from None
    check_password(password)
    if await StaffUser.exists(email=address):
        raise StaffError(f"{address} already has an account")
    try:
        user = await StaffUser.create(
            email=address,
            name=name.strip(),
            role=role,
            password_hash=await core.passwords.hash(password),
        )
    except IntegrityError:
        raise StaffError(f"{address} already has an account") from None
    await activity.record("staff_added", actor=actor, subject=f"staff:{user.id}", role=role)
    return user


def check_password(password: str) -> None:
    """The staff password policy."""
    if len(password) < MIN_STAFF_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_STAFF_PASSWORD} characters")


async def reset_password(core: Core, email: str, password: str, actor: str) -> StaffUser:
    """Server side, for a lost password: a new one, every session of the account ended.

    The lock and failure count go too: whoever runs this on the server is trusted.
    The activity log records the reset, never the password."""
    user = await StaffUser.get_or_none(email=email.strip().lower())
    if user is None:
        raise StaffError(f"no staff account {email.strip()}")
    check_password(password)
    password_hash = await core.passwords.hash(password)
    await StaffUser.filter(id=user.id).update(
        password_hash=password_hash, failed_sign_ins=0, locked_until=None
    )
    ended = await sessions.end_all(staff=user)
    await activity.record(
        "staff_password_reset", actor=actor, subject=f"staff:{user.id}", sessions_ended=ended
    )
    return user


async def any_admin() -> bool:
    return await StaffUser.filter(role="admin", is_active=True).exists()


async def authenticate(core: Core, email: str, password: str, address: str) -> StaffUser | None:
    """The user when email and password match and the account is not locked; None otherwise,
    with the same cost and answer for unknown emails, wrong passwords and locked accounts
    (whose password is not checked: the attempt is counted before the check)."""
    email = email.strip().lower()
    # an email longer than the column is nobody's (and tortoise refuses it as a filter)
    user = await StaffUser.get_or_none(email=email, is_active=True) if len(email) <= 254 else None
    if user is None:
        await core.passwords.verify(None, password)
        await activity.record("staff_sign_in_failed", address=address)
        return None
    try:
        slot = await lockout.reserve(SIGN_IN_LIMIT, user.id)
    except lockout.Locked:
        await core.passwords.verify(None, password)
        await activity.record(
            "staff_sign_in_locked",
            actor=f"staff:{user.id}",
            subject=f"staff:{user.id}",
            address=address,
        )
        return None
    if not await core.passwords.verify(user.password_hash, password):
        await activity.record("staff_sign_in_failed", subject=f"staff:{user.id}", address=address)
        await failed(core, user, slot, address, "too many wrong passwords")
        return None
    # The password gives back its attempt; the count is cleared when the second factor passes.
    await lockout.give_back(slot)
    await activity.record("staff_password_accepted", actor=f"staff:{user.id}", address=address)
    return user


def is_locked(user: StaffUser, now: dt.datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or dt.datetime.now(dt.UTC))


async def failed(
    core: Core, user: StaffUser, slot: lockout.Slot, address: str, reason: str
) -> None:
    """A wrong password or code spent ``slot``; the one that spent the last slot tells the lock."""
    if slot.locks:
        user.locked_until = slot.locked_until
        minutes = int(LOCK_TIME.total_seconds() // 60)
        await lock_notice.staff_locked(core, user, address, reason, minutes)


async def unlock(user: StaffUser, actor: str) -> None:
    """Admin: lift a lock and clear the failure count."""
    await StaffUser.filter(id=user.id).update(locked_until=None, failed_sign_ins=0)
    await activity.record("staff_unlocked", actor=actor, subject=f"staff:{user.id}")


def status(user: StaffUser, now: dt.datetime | None = None) -> str:
    """What the Staff page shows: "locked until 14:05 UTC", "no second factor" or "active"."""
    if not user.is_active:
        return "inactive"
    if is_locked(user, now) and user.locked_until is not None:
        return f"locked until {user.locked_until.astimezone(dt.UTC):%H:%M} UTC"
    if user.totp_enabled_at is None:
        return "no second factor"
    return "active"


async def set_upload_digest(user: StaffUser, on: bool, actor: str) -> None:
    """Whether the hourly "new uploads" email goes to this staff member."""
    await StaffUser.filter(id=user.id).update(notify_uploads=on)
    user.notify_uploads = on
    await activity.record(
        "staff_upload_digest_on" if on else "staff_upload_digest_off",
        actor=actor,
        subject=f"staff:{user.id}",
    )


async def issue_api_token(user: StaffUser, label: str = "") -> str:
    token = "tp_" + secrets.token_urlsafe(32)
    await ApiToken.create(staff=user, label=label[:100], token_hash=token_digest(token))
    await activity.record("api_token_issued", actor=f"staff:{user.id}", label=label[:100])
    return token


async def user_for_api_token(token: str) -> StaffUser | None:
    api_token = await ApiToken.get_or_none(
        token_hash=token_digest(token), revoked_at__isnull=True
    ).prefetch_related("staff")
    if api_token is None or not api_token.staff.is_active:
        return None
    return api_token.staff


async def list_staff() -> list[StaffUser]:
    return await StaffUser.all().order_by("email")


async def get_staff(user_id: int) -> StaffUser | None:
    return await StaffUser.get_or_none(id=user_id)


async def list_api_tokens(user: StaffUser) -> list[ApiToken]:
    return await ApiToken.filter(staff_id=user.id).order_by("-id")


async def revoke_api_token(user: StaffUser, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when there is no such live token."""
    revoked = await ApiToken.filter(id=token_id, staff_id=user.id, revoked_at__isnull=True).update(
        revoked_at=dt.datetime.now(dt.UTC)
    )
    if revoked:
        await activity.record(
            "api_token_revoked", actor=f"staff:{user.id}", subject=f"api_token:{token_id}"
        )
    return bool(revoked)
