"""The JSON shape of a return in the API: every plain field, never an SSN (only last four)."""

from __future__ import annotations

from typing import Any

from taxportal.services.returns import ClientRow, as_fields

# The File Viewer's "Email Sent" column, as API values.
EMAIL_SENT = {"Not Sent": "not_sent", "Sent": "sent", "Sent (text)": "sent_text"}


def return_json(row: ClientRow) -> dict[str, Any]:
    tax_return = row.tax_return
    return {
        "id": tax_return.id,
        **as_fields(tax_return),
        "ssn_last4": tax_return.ssn_last4,
        "spouse_ssn_last4": tax_return.spouse_ssn_last4,
        "portal_status": row.portal.status if row.portal is not None else "not_created",
        "email_sent": EMAIL_SENT[row.email_sent],
        "created_at": tax_return.created_at.isoformat(),
        "updated_at": tax_return.updated_at.isoformat(),
    }
