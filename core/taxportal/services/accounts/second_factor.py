"""Staff TOTP second factor: enrolment, codes accepted once, recovery codes, admin reset."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import io
import secrets
from dataclasses import dataclass

import pyotp
import segno

from taxportal.context import Core
from taxportal.models import StaffRecoveryCode, StaffUser
from taxportal.services import activity
from taxportal.services.accounts import lockout, sessions
from taxportal.services.accounts import staff as staff_service

CIPHER_CONTEXT = "totp"  # associated data of the encrypted secret
RECOVERY_CONTEXT = "staff_recovery_code"  # digest context of recovery codes
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
VALID_WINDOW = 1  # one 30-second step either side, for clocks a little off


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the QR code and the same secret as text."""

    uri: str
    qr_data_uri: str
    grouped_secret: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_enrolled(user: StaffUser) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret_encrypted)


async def ensure_pending_secret(core: Core, user: StaffUser) -> None:
    """Give a user without a second factor a secret to set up (kept until it is confirmed)."""
    if is_enrolled(user) or user.totp_secret_encrypted:
        return
    sealed = core.cipher.encrypt(pyotp.random_base32(), CIPHER_CONTEXT)
    # Only fill an empty slot: two sign-ins at once must not swap the secret being scanned.
    await StaffUser.filter(id=user.id, totp_secret_encrypted="").update(
        totp_secret_encrypted=sealed, totp_last_step=0
    )
    await user.refresh_from_db(fields=["totp_secret_encrypted", "totp_last_step"])


def enrolment(core: Core, user: StaffUser) -> Enrolment | None:
    """The pending set-up of a user not yet enrolled; None when there is nothing to set up."""
    if is_enrolled(user) or not user.totp_secret_encrypted:
        return None
    secret = core.cipher.decrypt(user.totp_secret_encrypted, CIPHER_CONTEXT)
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=core.config.core.firm.name
    )
    return Enrolment(uri=uri, qr_data_uri=qr_data_uri(uri), grouped_secret=group_in_fours(secret))


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI, for an <img> (the CSP allows img-src data:)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer, kind="svg", scale=5, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def group_in_fours(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code this is (within the window), so it can be accepted once."""
    totp = pyotp.TOTP(secret)
    if not totp.verify(code, for_time=now, valid_window=VALID_WINDOW):
        return None
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _clean_code(code: str) -> str:
    return "".join(code.split())


async def check_code(
    core: Core, user: StaffUser, code: str, address: str, now: float | None = None
) -> bool:
    """True once per time step for a right code; a wrong or reused one counts as a failure.
    Counted before it is checked: raises lockout.Locked when the account is locked."""
    slot = await lockout.reserve(staff_service.SIGN_IN_LIMIT, user.id)
    code = _clean_code(code)
    secret = (
        core.cipher.decrypt(user.totp_secret_encrypted, CIPHER_CONTEXT)
        if user.totp_secret_encrypted
        else ""
    )
    step = (
        _matching_step(secret, code, core.clock() if now is None else now)
        if secret and len(code) == 6 and code.isdigit()
        else None
    )
    reason = "wrong code"
    if step is not None:
        # A conditional update: two requests racing with one code cannot both pass.
        claimed = await StaffUser.filter(id=user.id, totp_last_step__lt=step).update(
            totp_last_step=step
        )
        if claimed:
            user.totp_last_step = step
            await lockout.succeeded(slot)
            return True
        reason = "code already used"
    await _failed(core, user, slot, address, reason)
    return False


async def confirm_enrolment(
    core: Core, user: StaffUser, code: str, address: str
) -> list[str] | None:
    """Turn the pending secret on when the code is right; the new recovery codes, or None."""
    if is_enrolled(user) or not user.totp_secret_encrypted:
        return None
    if not await check_code(core, user, code, address):
        return None
    await StaffUser.filter(id=user.id).update(totp_enabled_at=_now())
    await user.refresh_from_db(fields=["totp_enabled_at"])
    codes = await new_recovery_codes(core, user)
    await activity.record(
        "staff_second_factor_enrolled",
        actor=f"staff:{user.id}",
        subject=f"staff:{user.id}",
        address=address,
        recovery_codes=len(codes),
    )
    return codes


async def verify(core: Core, user: StaffUser, code: str, address: str) -> bool:
    """The sign-in check of an enrolled user's authenticator code."""
    if not is_enrolled(user):
        return False
    return await check_code(core, user, code, address)


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def _recovery_digest(core: Core, code: str) -> str:
    # Case, spaces and the dash do not matter when typed back.
    plain = "".join(c for c in code.lower() if c.isalnum())
    return core.cipher.digest(plain, RECOVERY_CONTEXT)


async def new_recovery_codes(core: Core, user: StaffUser) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned to be shown once."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    await StaffRecoveryCode.filter(staff_id=user.id).delete()
    await StaffRecoveryCode.bulk_create(
        [StaffRecoveryCode(staff_id=user.id, code_hash=_recovery_digest(core, c)) for c in codes]
    )
    return codes


async def use_recovery_code(core: Core, user: StaffUser, code: str, address: str) -> bool:
    """True when the code is one of the user's unused recovery codes; it is used up now.
    Counted before it is checked: raises lockout.Locked when the account is locked."""
    slot = await lockout.reserve(staff_service.SIGN_IN_LIMIT, user.id)
    used = 0
    if is_enrolled(user) and code.strip():
        used = await StaffRecoveryCode.filter(
            staff_id=user.id, code_hash=_recovery_digest(core, code), used_at__isnull=True
        ).update(used_at=_now())
    if not used:
        await _failed(core, user, slot, address, "wrong recovery code")
        return False
    await lockout.succeeded(slot)
    left = await StaffRecoveryCode.filter(staff_id=user.id, used_at__isnull=True).count()
    await activity.record(
        "staff_recovery_code_used",
        actor=f"staff:{user.id}",
        subject=f"staff:{user.id}",
        address=address,
        codes_left=left,
    )
    return True


async def recovery_codes_left(user: StaffUser) -> int:
    return await StaffRecoveryCode.filter(staff_id=user.id, used_at__isnull=True).count()


async def passed(user: StaffUser, address: str, method: str) -> None:
    """The sign-in is complete: clear the failure count and log it."""
    await StaffUser.filter(id=user.id).update(failed_sign_ins=0)
    await activity.record(
        "staff_signed_in", actor=f"staff:{user.id}", address=address, second_factor=method
    )


async def _failed(
    core: Core, user: StaffUser, slot: lockout.Slot, address: str, reason: str
) -> None:
    await activity.record(
        "staff_second_factor_failed",
        actor=f"staff:{user.id}",
        subject=f"staff:{user.id}",
        address=address,
        reason=reason,
    )
    await staff_service.failed(core, user, slot, address, "too many wrong second-factor codes")


async def reset(core: Core, user: StaffUser, actor: str) -> None:
    """Admin: forget the user's authenticator and recovery codes and end their sessions."""
    await StaffUser.filter(id=user.id).update(
        totp_secret_encrypted="", totp_enabled_at=None, totp_last_step=0
    )
    await StaffRecoveryCode.filter(staff_id=user.id).delete()
    ended = await sessions.end_all(staff=user)
    await activity.record(
        "staff_second_factor_reset",
        actor=actor,
        subject=f"staff:{user.id}",
        sessions_ended=ended,
    )
