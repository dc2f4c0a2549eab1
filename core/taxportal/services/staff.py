"""Staff accounts, console sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from tortoise.exceptions import IntegrityError

from taxportal.context import Core
from taxportal.crypto import token_digest
from taxportal.models import ApiToken, StaffUser
from taxportal.services import activity
from taxportal.text import InvalidValue, normalize_email

ROLES = ("admin", "preparer")
MIN_STAFF_PASSWORD = 12


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
    if len(password) < MIN_STAFF_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_STAFF_PASSWORD} characters")
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


async def any_admin() -> bool:
    return await StaffUser.filter(role="admin", is_active=True).exists()


async def authenticate(core: Core, email: str, password: str, address: str) -> StaffUser | None:
    """The user when email and password match; the same cost and answer for unknown emails."""
    user = await StaffUser.get_or_none(email=email.strip().lower(), is_active=True)
    ok = await core.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        await activity.record(
            "staff_sign_in_failed", address=address, subject=f"staff:{user.id}" if user else ""
        )
        return None
    await activity.record("staff_signed_in", actor=f"staff:{user.id}", address=address)
    return user


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
