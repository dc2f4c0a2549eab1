"""Remembered devices: a taxpayer who passed a security code here is not asked again for a
while (``[accounts] remember_device_days``). The cookie holds a token; the row its digest."""

from __future__ import annotations

import datetime as dt
import secrets

from taxportal.crypto import token_digest
from taxportal.models import TrustedDevice


async def remember(account_id: int, days: float) -> str:
    """A new device token for the account, valid ``days``: the cookie's value."""
    token = secrets.token_urlsafe(32)
    await TrustedDevice.create(
        account_id=account_id,
        token_hash=token_digest(token),
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=days),
    )
    return token


async def is_trusted(account_id: int, token: str) -> bool:
    """The token names a live device of this account (another account's token never counts)."""
    return await TrustedDevice.filter(
        account_id=account_id,
        token_hash=token_digest(token),
        expires_at__gt=dt.datetime.now(dt.UTC),
    ).exists()
