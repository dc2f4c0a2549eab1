"""The default identity verifier: last name, last four of the SSN, and phone or email."""

from __future__ import annotations

import hmac

from taxportal.api import (
    InvalidValue,
    RegistrationAttempt,
    ReturnIdentity,
    VerificationResult,
    fold_name,
    hookimpl,
    normalize_phone,
)

NAME = "identity_match"


@hookimpl(trylast=True)
def taxportal_verify_registration(
    attempt: RegistrationAttempt, identity: ReturnIdentity
) -> VerificationResult:
    if not _same(fold_name(attempt.last_name), fold_name(identity.last_name)):
        return VerificationResult(NAME, False, "last name differs")
    if not _same(attempt.ssn_last4.strip(), identity.ssn_last4):
        return VerificationResult(NAME, False, "last four of the SSN differ")
    email = attempt.email.strip().casefold()
    email_ok = bool(email) and any(_same(email, e.casefold()) for e in identity.emails if e)
    if email_ok or _same_phone(attempt.phone, identity.phone):
        return VerificationResult(NAME, True)
    return VerificationResult(NAME, False, "neither phone nor email matches")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())  # constant time: no timing hints


def _same_phone(typed: str, on_file: str) -> bool:
    if not typed.strip() or not on_file:
        return False
    try:
        return _same(normalize_phone(typed), on_file)
    except InvalidValue:
        return False
