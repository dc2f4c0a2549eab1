"""One-time security codes: 6 digits, 10 minutes, single use, bound to account and purpose."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from tortoise.expressions import F

from taxportal.context import Core
from taxportal.contracts import DeliveryError
from taxportal.models import OneTimeCode, TaxpayerAccount
from taxportal.services import activity
from taxportal.services.accounts import lock_notice, lockout
from taxportal.services.messages import code_message


class CodeError(Exception):
    """Why a code could not be sent or accepted; ``kind`` picks the message shown."""

    def __init__(self, kind: str, seconds: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind  # "cooldown" | "delivery" | "wrong" | "expired" | "locked"
        self.seconds = seconds


@dataclass(frozen=True)
class Contact:
    channel: str
    address: str


def _digest(core: Core, account: TaxpayerAccount, purpose: str, code: str) -> str:
    # Keyed: a leaked table does not let anyone try the million codes offline.
    return core.cipher.digest(f"{account.id}:{purpose}:{code}", "one-time-code")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_locked(account: TaxpayerAccount) -> bool:
    return account.locked_until is not None and account.locked_until > _now()


async def send(
    core: Core,
    account: TaxpayerAccount,
    purpose: str,
    contact: Contact,
    language: str,
    address: str = "",
) -> None:
    """Void earlier codes of this purpose and deliver a fresh one (after the cooldown)."""
    settings = core.config.core.accounts
    if is_locked(account):
        raise CodeError("locked")
    latest = await OneTimeCode.filter(account=account, purpose=purpose).order_by("-id").first()
    if latest is not None:
        waited = (_now() - latest.created_at).total_seconds()
        if waited < settings.code_resend_seconds:
            raise CodeError("cooldown", int(settings.code_resend_seconds - waited) + 1)
    code = f"{secrets.randbelow(1_000_000):06d}"
    await OneTimeCode.filter(
        account=account, purpose=purpose, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=_now())
    record = await OneTimeCode.create(
        account=account,
        purpose=purpose,
        channel=contact.channel,
        code_hash=_digest(core, account, purpose, code),
        expires_at=_now() + dt.timedelta(minutes=settings.code_minutes),
    )
    message = code_message(core, contact.channel, contact.address, code, language)
    try:
        await core.plugins.notify(message)
    except DeliveryError as exc:
        await OneTimeCode.filter(id=record.id).delete()
        await activity.record(
            "code_failed",
            actor=f"taxpayer:{account.id}",
            address=address,
            purpose=purpose,
            channel=contact.channel,
            reason=str(exc),
        )
        raise CodeError("delivery") from None
    await activity.record(
        "code_sent",
        actor=f"taxpayer:{account.id}",
        address=address,
        purpose=purpose,
        channel=contact.channel,
    )


def code_limit(core: Core) -> lockout.Limit:
    """Wrong codes of any purpose count on the account, across resends, then lock it."""
    settings = core.config.core.accounts
    return lockout.Limit(
        TaxpayerAccount,
        counter="failed_codes",
        lock_column="locked_until",
        attempts=settings.code_attempts,
        lock_for=dt.timedelta(minutes=settings.lock_minutes),
    )


async def check(
    core: Core, account: TaxpayerAccount, purpose: str, typed: str, address: str = ""
) -> None:
    """Accept the code or raise CodeError; each try is counted before it is checked."""
    if is_locked(account):
        raise CodeError("locked")
    code = (
        await OneTimeCode.filter(
            account=account, purpose=purpose, used_at__isnull=True, voided_at__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if code is None or code.expires_at <= _now():
        # a parallel try may have locked the account and voided the code: say locked
        locked = await TaxpayerAccount.filter(id=account.id, locked_until__gt=_now()).exists()
        raise CodeError("locked" if locked else "expired")
    try:
        slot = await lockout.reserve(code_limit(core), account.id)
    except lockout.Locked:
        raise CodeError("locked") from None
    await OneTimeCode.filter(id=code.id).update(attempts=F("attempts") + 1)
    candidate = _digest(core, account, purpose, "".join(c for c in typed if c.isdigit()))
    if hmac.compare_digest(candidate, code.code_hash):
        # conditional: of two right tries at once, one uses the code
        used = await OneTimeCode.filter(
            id=code.id, used_at__isnull=True, voided_at__isnull=True
        ).update(used_at=_now())
        if not used:
            await lockout.give_back(slot)
            raise CodeError("expired")
        await lockout.succeeded(slot)
        account.failed_codes = 0
        await activity.record(
            "code_accepted", actor=f"taxpayer:{account.id}", address=address, purpose=purpose
        )
        return
    await activity.record(
        "code_rejected",
        actor=f"taxpayer:{account.id}",
        address=address,
        purpose=purpose,
        failures=slot.number,
    )
    if slot.locks:
        await OneTimeCode.filter(id=code.id).update(voided_at=_now())
        account.locked_until = slot.locked_until
        await lock_notice.taxpayer_locked(core, account, address, "too many wrong codes")
        raise CodeError("locked")
    raise CodeError("wrong")
