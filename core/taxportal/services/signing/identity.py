"""Identity at signing: who is about to sign is checked again, bound to that signing.

Every ``SignerCheck`` offered through ``taxportal_signer_checks`` runs (the built-in code
and knowledge questions first, then any provider) and all must pass. One row of
``identity_check`` per signer (portal and role) keeps the live challenge's state on the
server, the failures and the lock. A submission takes one attempt in a single conditional
UPDATE before any answer is checked, so however many arrive at once, at most
``[signing] identity_attempts`` are checked; the one that used the last attempt and failed
locks e-signing for that signer and tells the preparer, once. A failure ends the challenge:
the next try starts with a fresh code. A pass is per role: the taxpayer's never counts for
the spouse.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from taxportal.context import Core
from taxportal.contracts import (
    Challenge,
    Question,
    SignerCheck,
    SignerFacts,
    SignerIdentity,
)
from taxportal.models import IdentityCheck, Portal, TaxpayerAccount
from taxportal.services import activity
from taxportal.services.documents.access import Principal
from taxportal.services.returns.fields import has_spouse
from taxportal.services.returns.signing_facts import NoSuchSigner, facts_for
from taxportal.services.signing import identity_notice, signer_codes
from taxportal.sql import Sql

log = logging.getLogger(__name__)
ROLES = ("taxpayer", "spouse")
MAX_ANSWER = 200  # longer is no code, date, amount or name: refused before any check
_KEY = re.compile(r"[a-z0-9_]{1,32}")


class NotFound(LookupError):
    """Not this principal's portal, or no such signer on the return: answered as 404."""


class Locked(Exception):
    """E-signing is stopped for this signer: they sign on paper."""


@dataclass(frozen=True)
class Field:
    """One input of the page: the form ``name``, its label and kind."""

    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class Started:
    method: str
    fields: tuple[Field, ...]
    sent_to: tuple[str, ...]  # masked contacts codes went to
    attempts_left: int


@dataclass(frozen=True)
class Status:
    started: bool  # a challenge is live
    fields: tuple[Field, ...]
    sent_to: tuple[str, ...]
    failures: int
    attempts_left: int
    passed_at: dt.datetime | None
    locked: bool


@dataclass(frozen=True)
class Outcome:
    passed: bool
    locked: bool
    attempts_left: int
    method: str
    expired: bool = False  # no live challenge (never started, failed before, too old)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _limit(core: Core) -> int:
    return core.config.core.signing.identity_attempts


def _lifetime(core: Core) -> dt.timedelta:
    return dt.timedelta(minutes=core.config.core.accounts.code_minutes)


def _portal_id(principal: Principal, portal_id: int | None, role: str) -> int:
    """The principal's own portal: a taxpayer acts only on theirs (staff never sign)."""
    if role not in ROLES:
        raise ValueError("role is taxpayer or spouse")
    own = principal.portal_id
    if principal.is_staff or own is None or (portal_id is not None and portal_id != own):
        raise NotFound("portal")
    return own


async def _row(portal_id: int, role: str) -> IdentityCheck:
    """The signer's row, made once: racing starts agree on one (the unique pair)."""
    try:
        row, _ = await IdentityCheck.get_or_create(portal_id=portal_id, role=role)
        return row
    except IntegrityError:  # another request made it first
        pass
    return await IdentityCheck.get(portal_id=portal_id, role=role)


async def _identity(core: Core, portal_id: int, role: str, language: str) -> SignerIdentity:
    portal = await Portal.get(id=portal_id).prefetch_related("tax_return")
    tax_return = portal.tax_return
    try:
        facts = facts_for(core, tax_return, role)  # type: ignore[arg-type]
    except NoSuchSigner:
        raise NotFound("signer") from None
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    contact = signer_codes.signer_contact(facts, account)
    prefix = "spouse_" if role == "spouse" else ""
    name = " ".join(
        part
        for part in (
            getattr(tax_return, prefix + "first_name"),
            getattr(tax_return, prefix + "last_name"),
        )
        if part
    )
    return SignerIdentity(
        portal_id=portal_id,
        return_id=tax_return.id,
        role=role,  # type: ignore[arg-type]
        name=name,
        channel=contact.channel if contact else "",
        masked_contact=signer_codes.masked(contact),
        language=language,
        facts=SignerFacts(facts.birth_date, facts.prior_year_agi),
    )


def _stored(check: SignerCheck, challenge: Challenge) -> dict[str, Any]:
    """A challenge as the row keeps it; a check's malformed state is refused here."""
    state = challenge.state
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in state.items()):
        raise TypeError(f"{check.name}: a challenge's state is strings only")
    for question in challenge.questions:
        if not _KEY.fullmatch(question.key):
            raise ValueError(f"{check.name}: question key {question.key!r} is not a name")
    return {
        "name": check.name,
        "method": challenge.method,
        "state": dict(state),
        "questions": [[q.key, q.label, q.kind] for q in challenge.questions],
        "sent_to": challenge.sent_to,
    }


def _fields(stored: list[dict[str, Any]]) -> tuple[Field, ...]:
    return tuple(
        Field(f"c{i}_{key}", label, kind)
        for i, check in enumerate(stored)
        for key, label, kind in check["questions"]
    )


def _method(stored: list[dict[str, Any]]) -> str:
    return "+".join(check["method"] for check in stored)


def _live(core: Core, row: IdentityCheck) -> bool:
    return row.started_at is not None and row.started_at > _now() - _lifetime(core)


async def start(
    core: Core,
    principal: Principal,
    role: str,
    *,
    language: str = "en",
    portal_id: int | None = None,
) -> Started:
    """Start a check of ``role`` on the principal's portal: every check's challenge (the
    built-in sends a fresh code). NotFound, ValueError (role), Locked, SignerCheckError."""
    pid = _portal_id(principal, portal_id, role)
    who = await _identity(core, pid, role, language)
    row = await _row(pid, role)
    if row.locked_at is not None:
        raise Locked(role)
    stored = []
    for check in core.plugins.signer_checks(core):
        stored.append(_stored(check, await check.challenge(who)))
    started = await IdentityCheck.filter(id=row.id, locked_at__isnull=True).update(
        started_at=_now(), state={"checks": stored}, method=_method(stored)
    )
    if not started:
        raise Locked(role)
    await activity.record(
        "signing_identity_started",
        actor=principal.actor,
        subject=f"portal:{pid}",
        address=principal.address,
        role=role,
        method=_method(stored),
    )
    return Started(
        _method(stored),
        _fields(stored),
        tuple(s["sent_to"] for s in stored if s["sent_to"]),
        max(0, _limit(core) - row.failures),
    )


async def status(core: Core, portal_id: int, role: str) -> Status:
    """Where the signer's check stands (no row yet: nothing started, nothing failed)."""
    row = await IdentityCheck.get_or_none(portal_id=portal_id, role=role)
    if row is None:
        return Status(False, (), (), 0, _limit(core), None, False)
    stored = (row.state or {}).get("checks", []) if _live(core, row) else []
    return Status(
        started=bool(stored),
        fields=_fields(stored),
        sent_to=tuple(s["sent_to"] for s in stored if s["sent_to"]),
        failures=row.failures,
        attempts_left=max(0, _limit(core) - row.failures),
        passed_at=row.passed_at,
        locked=row.locked_at is not None,
    )


async def has_signer(portal_id: int, role: str) -> bool:
    """Whether the return of ``portal_id`` has this signer (a spouse only on a joint one)."""
    portal = await Portal.get_or_none(id=portal_id).prefetch_related("tax_return")
    if portal is None or role not in ROLES:
        return False
    tax_return = portal.tax_return
    return role == "taxpayer" or has_spouse(
        tax_return.spouse_first_name, tax_return.spouse_last_name
    )


async def passed_recently(portal_id: int, role: str, within: dt.timedelta) -> bool:
    """Whether this signer (and only this one) passed within ``within`` and is not locked:
    for the sign step and the spouse's drawing gate."""
    return await IdentityCheck.filter(
        portal_id=portal_id, role=role, passed_at__gte=_now() - within, locked_at__isnull=True
    ).exists()


async def passed_for_signing(core: Core, portal_id: int, role: str) -> bool:
    """``passed_recently`` within ``[signing] identity_valid_minutes``: the sign step's gate."""
    minutes = core.config.core.signing.identity_valid_minutes
    return await passed_recently(portal_id, role, dt.timedelta(minutes=minutes))


async def _reserve(row_id: int, limit: int) -> int | None:
    """Take one attempt before any answer is checked: the attempt's number, or None when
    none is left (locked, or the last ones are being checked right now)."""
    sql = Sql()
    statement = (
        "UPDATE identity_check SET failures = failures + 1 "  # noqa: S608 (values bound)
        f"WHERE id = {sql.param(row_id)} AND locked_at IS NULL "
        f"AND failures < {sql.param(limit)} RETURNING failures"
    )
    rows = await sql.rows(statement)
    return int(rows[0]["failures"]) if rows else None


async def answer(
    core: Core,
    principal: Principal,
    role: str,
    answers: Mapping[str, str],
    ip: str,
    ua: str,
    *,
    language: str = "en",
    portal_id: int | None = None,
) -> Outcome:
    """Check the answers to the live challenge (form name -> text). NotFound, ValueError
    (a bad role, an answer over 200 characters)."""
    pid = _portal_id(principal, portal_id, role)
    if any(len(value) > MAX_ANSWER for value in answers.values()):
        raise ValueError("answer too long")
    who = await _identity(core, pid, role, language)
    limit = _limit(core)
    row = await IdentityCheck.get_or_none(portal_id=pid, role=role)
    if row is None or row.locked_at is not None or not _live(core, row):
        locked = row is not None and row.locked_at is not None
        left = 0 if locked or row is None else max(0, limit - row.failures)
        return Outcome(False, locked, limit if row is None else left, "", expired=not locked)
    stored: list[dict[str, Any]] = (row.state or {}).get("checks", [])
    method = _method(stored)
    number = await _reserve(row.id, limit)
    if number is None:
        fresh = await IdentityCheck.get(id=row.id)
        return Outcome(False, fresh.locked_at is not None, 0, method)
    passed, details = await _verify(core, who, stored, answers)
    base = {"role": role, "method": method, "attempt": number, "user_agent": ua[:200]}
    if passed:
        await IdentityCheck.filter(id=row.id).update(
            failures=0, passed_at=_now(), started_at=None, state={}, method=method
        )
        await _log(principal, pid, ip, "passed", base, details)
        return Outcome(True, False, limit, method)
    if number >= limit:
        locked = await IdentityCheck.filter(id=row.id, locked_at__isnull=True).update(
            locked_at=_now(), started_at=None, state={}
        )
        await _log(principal, pid, ip, "locked", base, details)
        if locked:  # only the attempt that set the lock tells the preparer
            await activity.record("signing_identity_locked", subject=f"portal:{pid}", role=role)
            await identity_notice.signer_locked(pid, role)
        return Outcome(False, True, 0, method)
    # this challenge is over: the next try starts with a fresh code
    await IdentityCheck.filter(id=row.id, started_at=row.started_at).update(
        started_at=None, state={}
    )
    await _log(principal, pid, ip, "failed", base, details)
    return Outcome(False, False, max(0, limit - number), method)


async def _verify(
    core: Core, who: SignerIdentity, stored: list[dict[str, Any]], answers: Mapping[str, str]
) -> tuple[bool, list[str]]:
    """Every check judges its own answers, all of them even after one failed (no hint of
    which one failed in the time taken); all must pass, and every offered check must have
    been asked (a check added since the challenge fails it)."""
    checks = {check.name: check for check in core.plugins.signer_checks(core)}
    if [s["name"] for s in stored] != list(checks):
        return False, ["checks_changed"]
    passed, details = True, []
    for i, s in enumerate(stored):
        challenge = Challenge(
            s["method"],
            tuple(Question(k, label, kind) for k, label, kind in s["questions"]),
            dict(s["state"]),
            s["sent_to"],
        )
        own = {k: str(answers.get(f"c{i}_{k}", "")) for k, _, _ in s["questions"]}
        try:
            result = await checks[s["name"]].verify(who, challenge, own)
        except Exception:  # a provider that breaks fails the check, never the page
            log.exception("signer check %s failed to verify", s["name"])
            passed = False
            details.append(f"{s['name']}:error")
            continue
        passed = passed and result.passed
        details.append(f"{s['name']}:{'ok' if result.passed else result.detail or 'failed'}")
    return passed, details


async def _log(
    principal: Principal, pid: int, ip: str, result: str, base: dict[str, Any], details: list[str]
) -> None:
    await activity.record(
        "signing_identity_checked",
        actor=principal.actor,
        subject=f"portal:{pid}",
        address=ip,
        result=result,
        checks=[d[:64] for d in details],
        **base,
    )
