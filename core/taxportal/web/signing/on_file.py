"""The signature rows above Files From My Preparer: "Taxpayer:" and, on a joint return,
"Spouse:", each with "Click To Add Signature" or "Signature On File" and its image."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services.signing import signatures
from taxportal.web.access import taxpayer_principal
from taxportal.web.keys import TAXPAYER_SESSION
from taxportal.web.signing.pages import IMAGE, PAGE
from taxportal.web.taxpayer import portal_of

LABELS = {"taxpayer": N_("Taxpayer:"), "spouse": N_("Spouse:")}
ALTS = {
    "taxpayer": N_("The taxpayer's signature on file"),
    "spouse": N_("The spouse's signature on file"),
}


async def signature_rows(request: web.Request) -> list[dict[str, Any]]:
    """One row per signer of the return, for the page template."""
    principal = taxpayer_principal(request)
    portal = await portal_of(request[TAXPAYER_SESSION])
    on_file = await signatures.all_on_file(principal, int(portal.id))
    rows = []
    for role in signatures.signer_roles(portal.tax_return):
        kept = on_file.get(role)
        rows.append(
            {
                "role": role,
                "label": LABELS[role],
                "alt": ALTS[role],
                "edit": PAGE.format(role=role),
                "image": IMAGE.format(image_id=kept.id) if kept else "",
            }
        )
    return rows
