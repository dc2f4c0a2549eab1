"""One rule for taxpayer lockouts: count a failure; at the limit, lock for a while and log it."""

from __future__ import annotations

import datetime as dt

from taxportal.models import TaxpayerAccount
from taxportal.services import activity


async def count_failure(
    account: TaxpayerAccount,
    counter: str,
    limit: int,
    lock_minutes: float,
    address: str,
    reason: str,
) -> bool:
    """Add one to ``counter`` ("failed_codes", "failed_sign_ins"); True when this locks."""
    failures = getattr(account, counter) + 1
    updates: dict[str, object] = {counter: failures}
    locks = failures >= limit
    if locks:  # the count starts again after the lock, which staff can also lift
        updates = {
            counter: 0,
            "locked_until": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=lock_minutes),
        }
    await TaxpayerAccount.filter(id=account.id).update(**updates)
    for name, value in updates.items():
        setattr(account, name, value)
    if locks:
        await activity.record(
            "account_locked", actor=f"taxpayer:{account.id}", address=address, reason=reason
        )
    return locks
