"""Taxpayer accounts: registration from an invitation, sign-in, recovery, staff unlock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.contracts import RegistrationAttempt, ReturnIdentity, VerificationResult
from taxportal.events import AccountRegistered, AccountVerified
from taxportal.models import Invitation, Portal, TaxpayerAccount, TaxReturn
from taxportal.services import activity
from taxportal.services.accounts import lock_notice, lockout, sessions
from taxportal.services.accounts.codes import Contact
from taxportal.services.accounts.password_policy import failed_rules
from taxportal.services.accounts.portals import LinkState, link_state
from taxportal.services.accounts.sessions import FramePortal, LiveSession
from taxportal.text import InvalidValue, normalize_email, normalize_phone

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


class AccountError(Exception):
    """A registration or sign-in problem; ``kind`` picks the (translated) message."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Registration:
    username: str
    password: str
    email: str
    phone: str
    last_name: str
    ssn_last4: str
    language: str = ""  # chosen on the pages before the account existed; "" = none


def username_key(username: str) -> str:
    return username.strip().casefold()


def check_username(username: str) -> str:
    key = username_key(username)
    if not 3 <= len(key) <= 64 or not set(key) <= USERNAME_CHARS:
        raise AccountError("username_format")
    return key


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def identity_of(tax_return: TaxReturn) -> ReturnIdentity:
    return ReturnIdentity(
        last_name=tax_return.last_name,
        ssn_last4=tax_return.ssn_last4,
        emails=(tax_return.primary_email, tax_return.secondary_email),
        phone=tax_return.mobile_phone,
    )


async def register(core: Core, token: str, form: Registration, address: str) -> TaxpayerAccount:
    """Create the account when the invitation is valid and every identity verifier passes."""
    state, invitation = await link_state(token)
    if state is not LinkState.VALID or invitation is None:
        raise AccountError(f"link_{state.value}")
    portal = await Portal.get(id=invitation.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    if portal.locked_at is not None:
        raise AccountError("invitation_locked")
    key = check_username(form.username)
    if await TaxpayerAccount.exists(username_key=key):
        raise AccountError("username_taken")  # said before anything else is checked
    broken = failed_rules(
        form.password,
        core.config.core.accounts.password_policy,
        also_refuse=(form.username, form.last_name),
    )
    if broken:
        raise AccountError("password", ", ".join(rule.key for rule in broken))
    attempt = RegistrationAttempt(
        last_name=form.last_name,
        ssn_last4=form.ssn_last4.strip(),
        email=form.email,
        phone=form.phone,
    )
    try:  # counted before the verifiers look, so requests at once cannot outrun the lock
        slot = await lockout.reserve(registration_limit(core), portal.id)
    except lockout.Locked:
        raise AccountError("invitation_locked") from None
    results = await core.plugins.verify_registration(attempt, identity_of(portal.tax_return))
    if not results or not all(r.passed for r in results):
        await _record_mismatch(portal, address, results, slot)
        raise AccountError("mismatch")
    try:
        account = await _create_account(core, portal, invitation, key, form)
    except AccountError:
        await lockout.give_back(slot)  # the identity matched: this was no wrong guess
        raise
    await lockout.succeeded(slot)
    await activity.record(
        "taxpayer_registered",
        actor=f"taxpayer:{account.id}",
        subject=f"portal:{portal.id}",
        address=address,
    )
    return account


def registration_limit(core: Core) -> lockout.Limit:
    """Identity mismatches count on the portal and lock its invitation until staff unlock."""
    return lockout.Limit(
        Portal,
        counter="failed_registrations",
        lock_column="locked_at",
        attempts=core.config.core.accounts.registration_attempts,
        lock_for=None,
    )


def sign_in_limit(core: Core) -> lockout.Limit:
    """Wrong passwords count on the account, then lock it for a while."""
    settings = core.config.core.accounts
    return lockout.Limit(
        TaxpayerAccount,
        counter="failed_sign_ins",
        lock_column="locked_until",
        attempts=settings.sign_in_attempts,
        lock_for=dt.timedelta(minutes=settings.lock_minutes),
    )


async def _record_mismatch(
    portal: Portal, address: str, results: list[VerificationResult], slot: lockout.Slot
) -> None:
    reasons = [f"{r.verifier}: {r.reason}" for r in results if not r.passed] or ["no verifier"]
    await activity.record(
        "registration_mismatch",
        subject=f"portal:{portal.id}",
        address=address,
        reasons=reasons,
        failures=slot.number,
    )
    if slot.locks:
        await activity.record("invitation_locked", subject=f"portal:{portal.id}", address=address)


async def _create_account(core, portal, invitation, key, form) -> TaxpayerAccount:  # type: ignore[no-untyped-def]
    try:
        email = normalize_email(form.email) if form.email.strip() else ""
    except InvalidValue:
        email = form.email.strip()[:254]
    try:
        phone = normalize_phone(form.phone) if form.phone.strip() else ""
    except InvalidValue:
        phone = ""
    try:
        async with atomic():
            used = await Invitation.filter(id=invitation.id, used_at__isnull=True).update(
                used_at=_now()
            )
            if not used:
                raise AccountError("link_used")
            account = await TaxpayerAccount.create(
                portal=portal,
                username=form.username.strip(),
                username_key=key,
                password_hash=await core.passwords.hash(form.password),
                email=email,
                phone=phone,
                language=form.language,
            )
            await Portal.filter(id=portal.id).update(status="registered", failed_registrations=0)
            await core.plugins.emit(AccountRegistered(portal.id, account.id))  # after the commit
    except IntegrityError:
        # Registered meanwhile through another link, or the name was taken meanwhile.
        registered = await TaxpayerAccount.exists(portal_id=portal.id)
        kind = f"link_{LinkState.REGISTERED.value}" if registered else "username_taken"
        raise AccountError(kind) from None
    return account


async def contacts(account: TaxpayerAccount) -> list[Contact]:
    """Where codes may go: only the email and phone the preparer put on the return."""
    portal = await Portal.get(id=account.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    tax_return = portal.tax_return
    found = []
    if tax_return.primary_email:
        found.append(Contact("email", tax_return.primary_email))
    if tax_return.mobile_phone:
        found.append(Contact("sms", tax_return.mobile_phone))
    return found


async def authenticate(core: Core, username: str, password: str, address: str) -> TaxpayerAccount:
    """The account for a user name and password, or AccountError("credentials"): the same
    answer, and one password hash's cost, for an unknown name, a wrong password and a
    locked account (whose password is not checked; the taxpayer is told by message)."""
    account = await TaxpayerAccount.get_or_none(username_key=username_key(username))
    if account is None:
        await core.passwords.verify(None, password)
        await activity.record("taxpayer_sign_in_failed", address=address)
        raise AccountError("credentials")
    try:
        slot = await lockout.reserve(sign_in_limit(core), account.id)
    except lockout.Locked:
        await core.passwords.verify(None, password)
        await activity.record(
            "taxpayer_sign_in_locked", actor=f"taxpayer:{account.id}", address=address
        )
        raise AccountError("credentials") from None
    if not await core.passwords.verify(account.password_hash, password):
        await activity.record(
            "taxpayer_sign_in_failed",
            actor=f"taxpayer:{account.id}",
            address=address,
            failures=slot.number,
        )
        if slot.locks:
            await lock_notice.taxpayer_locked(core, account, address, "too many wrong passwords")
        raise AccountError("credentials")
    await lockout.succeeded(slot)
    await activity.record("taxpayer_signed_in", actor=f"taxpayer:{account.id}", address=address)
    return account


async def check_current_password(
    core: Core, account: TaxpayerAccount, password: str, address: str
) -> bool:
    """A signed-in taxpayer's current password (to change it), counted like a sign-in."""
    try:
        slot = await lockout.reserve(sign_in_limit(core), account.id)
    except lockout.Locked:
        await core.passwords.verify(None, password)
        return False
    if await core.passwords.verify(account.password_hash, password):
        await lockout.succeeded(slot)
        return True
    await activity.record(
        "taxpayer_current_password_wrong",
        actor=f"taxpayer:{account.id}",
        address=address,
        failures=slot.number,
    )
    if slot.locks:
        await lock_notice.taxpayer_locked(core, account, address, "too many wrong passwords")
    return False


async def mark_verified(core: Core, account: TaxpayerAccount, address: str) -> None:
    if account.verified_at is None:
        first = await TaxpayerAccount.filter(id=account.id, verified_at__isnull=True).update(
            verified_at=_now()
        )
        await Portal.filter(id=account.portal_id).update(status="verified")  # type: ignore[attr-defined]
        await activity.record("taxpayer_verified", actor=f"taxpayer:{account.id}", address=address)
        if first:  # one event, however many codes raced
            await core.plugins.emit(AccountVerified(account.portal_id, account.id))  # type: ignore[attr-defined]


async def find_for_recovery(identifier: str) -> TaxpayerAccount | None:
    """A verified account by user name, email or phone on its return (never told to the asker)."""
    text = identifier.strip()
    if len(text) > 254:  # longer than any user name, email or phone: nobody's (not a query)
        return None
    key = username_key(text)
    account = await TaxpayerAccount.get_or_none(username_key=key) if len(key) <= 64 else None
    if account is None:
        returns = TaxReturn.filter(portal__account__verified_at__isnull=False)
        try:
            email = normalize_email(text)
            tax_return = await returns.filter(primary_email=email).first()
        except InvalidValue:
            try:
                tax_return = await returns.filter(mobile_phone=normalize_phone(text)).first()
            except InvalidValue:
                tax_return = None
        if tax_return is not None:
            portal = await Portal.get(tax_return_id=tax_return.id)
            account = await TaxpayerAccount.get_or_none(portal_id=portal.id)
    if account is None or account.verified_at is None:
        return None
    return account


async def change_password(
    core: Core, account: TaxpayerAccount, new_password: str, address: str
) -> None:
    portal = await Portal.get(id=account.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    broken = failed_rules(
        new_password,
        core.config.core.accounts.password_policy,
        also_refuse=(account.username, portal.tax_return.last_name),
    )
    if broken:
        raise AccountError("password", ", ".join(rule.key for rule in broken))
    await TaxpayerAccount.filter(id=account.id).update(
        password_hash=await core.passwords.hash(new_password),
        password_changed_at=_now(),
        failed_sign_ins=0,
        locked_until=None,
    )
    await activity.record(
        "taxpayer_password_changed", actor=f"taxpayer:{account.id}", address=address
    )


async def unlock_portal(portal_id: int, actor: str) -> None:
    """Staff: clear registration, code and sign-in lockouts of a portal."""
    await Portal.filter(id=portal_id).update(locked_at=None, failed_registrations=0)
    await TaxpayerAccount.filter(portal_id=portal_id).update(
        locked_until=None, failed_codes=0, failed_sign_ins=0
    )
    await activity.record("portal_unlocked", actor=actor, subject=f"portal:{portal_id}")


async def portal_of(session: LiveSession) -> FramePortal:
    """The signed-in taxpayer's portal with its return (the session's one statement loaded
    both, the columns every page needs)."""
    portal = session.portal
    if portal is None and session.account is not None:
        portal = await sessions.frame_portal_of(session.account.portal_id)  # type: ignore[attr-defined]
    if portal is None:  # an account always has its portal (NOT NULL, cascade): not a user's error
        raise LookupError(f"session {session.id} has no portal")
    return portal


async def return_language(session: LiveSession) -> str | None:
    """The language of the signed-in taxpayer's return, which their pages speak by default."""
    if session.portal is not None:
        return session.portal.tax_return.language  # the session's one statement loaded it
    portal = await portal_of(session) if session.account is not None else None
    return portal.tax_return.language if portal is not None else None


async def set_language(account_id: int, language: str) -> None:
    """The taxpayer picked a language with the switch: their notices speak it too."""
    await TaxpayerAccount.filter(id=account_id).update(language=language)
