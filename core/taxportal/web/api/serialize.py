"""The JSON shape of a return in the API: every plain field, never an SSN (only last four)
nor a date of birth or AGI (only whether one is on file)."""

from __future__ import annotations

from typing import Any

from taxportal.services.returns.records import ClientRow, as_fields
from taxportal.services.returns.signing_facts import facts_on_file


def iso_time(value: Any) -> str | None:
    """A timestamp as the API writes it (ISO 8601), or null."""
    return value.isoformat() if value is not None else None


def return_json(row: ClientRow) -> dict[str, Any]:
    tax_return = row.tax_return
    return {
        "id": tax_return.id,
        **as_fields(tax_return),
        "ssn_last4": tax_return.ssn_last4,
        "spouse_ssn_last4": tax_return.spouse_ssn_last4,
        **{f"{name}_on_file": on for name, on in facts_on_file(tax_return).items()},
        "portal_status": row.portal.status if row.portal is not None else "not_created",
        "email_sent": email_sent(row),
        "created_at": tax_return.created_at.isoformat(),
        "updated_at": tax_return.updated_at.isoformat(),
    }


def email_sent(row: ClientRow) -> str:
    """The File Viewer's "Email Sent" column as an API value: not_sent, sent or sent_text."""
    invitation = row.invitation
    if invitation is None or invitation.sent_at is None:
        return "not_sent"
    return "sent" if invitation.channel == "email" else "sent_text"
