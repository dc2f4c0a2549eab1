"""What a signing event can be, and who can act in one: the one place these words live."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """The kinds of signing event (stored as their text, at most 32 characters)."""

    SENT = "sent"  # the preparer sent the document, asking for signatures
    OPENED = "opened"  # the signer opened the document's page or notice
    CONSENT_ACCEPTED = "consent_accepted"  # the electronic-records disclosure (ESIGN)
    CONSENT_DECLINED = "consent_declined"
    IDENTITY_PASSED = "identity_passed"  # the check at signing time, bound to this signing
    IDENTITY_FAILED = "identity_failed"
    IDENTITY_LOCKED = "identity_locked"  # too many failed checks: paper only for this signer
    VIEWED = "viewed"  # the signer viewed the document's content (View)
    SIGNED = "signed"  # the signer pressed Sign beside the declaration
    SEALED = "sealed"  # the signed file was sealed (hashes before and after, certificate)
    COMPLETED = "completed"  # every signer has signed
    VOIDED = "voided"  # a new version or the preparer voided the request
    REMINDED = "reminded"  # a reminder went to the signer
    DOWNLOADED = "downloaded"  # the signed file was downloaded


class Role(StrEnum):
    """Who acts in an event; NONE for the system (a job, a seal)."""

    TAXPAYER = "taxpayer"
    SPOUSE = "spouse"
    PREPARER = "preparer"
    NONE = ""


KINDS = frozenset(k.value for k in Kind)
ROLES = frozenset(r.value for r in Role)
