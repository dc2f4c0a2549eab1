"""The preparer's side of signing in the console: the signed PDF, the record page, Remind."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from taxportal.services.documents import download
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Denied
from taxportal.services.signing import evidence, reminders
from taxportal.web import file_download
from taxportal.web.access import staff_principal
from taxportal.web.auth import staff_required
from taxportal.web.documents import manager
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form

DOCUMENT = manager.BASE + "/{document_id:\\d+}"
# the record's kinds in the words a preparer reads
KIND_WORDS = {
    "sent": "Sent for signature",
    "opened": "Opened",
    "consent_accepted": "Agreed to sign electronically",
    "consent_declined": "Declined to sign electronically",
    "identity_passed": "Identity confirmed",
    "identity_failed": "Identity check failed",
    "identity_locked": "Identity checks stopped: paper only",
    "viewed": "Viewed the document",
    "signed": "Signed",
    "sealed": "Sealed with the firm's certificate",
    "completed": "Complete: every signer signed",
    "voided": "Request voided",
    "reminded": "Reminder sent",
    "downloaded": "Signed copy downloaded",
}
ROLE_WORDS = {"taxpayer": "Taxpayer", "spouse": "Spouse", "preparer": "Preparer", "": "System"}


def routes() -> list[web.RouteDef]:
    return [
        web.get(DOCUMENT + "/signed", download_newest),
        web.get(DOCUMENT + "/signed/{copy_id:\\d+}", download_copy),
        web.get(DOCUMENT + "/record", record_page),
        web.post(DOCUMENT + "/remind", remind),
    ]


def copy_name(file_name: str, complete: bool, signers: str) -> str:
    """ "Form 8879 (signed).pdf" for the complete copy, "Form 8879 (signed by taxpayer).pdf"
    for an earlier pass."""
    word = "signed" if complete else f"signed by {signers.replace('+', ' and ')}"
    return file_download.signed_name(file_name, word)


async def _download(request: web.Request, copy_id: int | None) -> web.StreamResponse:
    try:
        got = await download.signed_copy(
            request.app[CORE],
            staff_principal(request),
            path_id(request, "document_id"),
            copy_id,
            return_id=path_id(request, "return_id"),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except (download.NotFound, download.Unavailable, Denied):
        raise web.HTTPNotFound() from None
    name = copy_name(got.file_name, got.complete, got.signers)
    return await file_download.stream_file(
        request, got.chunks, "application/pdf", name, size=got.size
    )


@staff_required
async def download_newest(request: web.Request) -> web.StreamResponse:
    return await _download(request, None)


@staff_required
async def download_copy(request: web.Request) -> web.StreamResponse:
    return await _download(request, path_id(request, "copy_id"))


@staff_required
async def record_page(request: web.Request) -> web.Response:
    try:
        found = await evidence.evidence_of(
            staff_principal(request),
            path_id(request, "return_id"),
            path_id(request, "document_id"),
        )
    except (documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    values: dict[str, Any] = {
        "e": found,
        "kind_words": KIND_WORDS,
        "role_words": ROLE_WORDS,
        "download_name": lambda name, c: copy_name(name, c.complete, c.signers),
    }
    return aiohttp_jinja2.render_template("staff/signing_record.html", request, values)


@staff_required
async def remind(request: web.Request) -> web.Response:
    return_id = path_id(request, "return_id")
    form = await read_form(request)
    role = str(form.get("role", ""))
    if role not in ("taxpayer", "spouse"):
        raise web.HTTPNotFound()
    try:
        done = await reminders.remind(
            request.app[CORE],
            staff_principal(request),
            return_id,
            path_id(request, "document_id"),
            role,
        )
    except (documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    except reminders.ReminderRefused as exc:
        return await manager.render(request, return_id, 409, error=exc.message)
    told = done.notice.channel or f"retry-{done.notice.retrying}"
    url = URL(f"/staff/returns/{return_id}/documents").with_query(
        done="reminded", told=told, who=role
    )
    raise web.HTTPSeeOther(url)
