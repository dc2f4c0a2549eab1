"""The taxpayer's "Files From My Preparer": the signatures on file, then File Name, Date
Sent, View; and the channel choice."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from taxportal.i18n import N_, medium_date, translations
from taxportal.services.documents import download
from taxportal.services.documents import notice as document_notice
from taxportal.services.documents import sent as sent_documents
from taxportal.services.documents.access import Denied
from taxportal.services.signing import sign_states
from taxportal.web import file_download
from taxportal.web.access import taxpayer_principal
from taxportal.web.ids import path_id
from taxportal.web.keys import ACCOUNT, CORE, LANG
from taxportal.web.request_text import read_form
from taxportal.web.signing.on_file import signature_rows
from taxportal.web.taxpayer import render_signed_in, taxpayer_required

PAGE = "/portal/preparer-files"
SIGNED = PAGE + "/{document_id}/signed"
SIGNED_WORD = N_("signed")  # in a signed copy's file name: "Form 8879 (signed).pdf"
SIGN_COLUMNS = {"taxpayer": N_("Taxpayer Sign Document"), "spouse": N_("Spouse Sign Document")}


def routes() -> list[web.RouteDef]:
    """The routes of this page."""
    return [
        web.get(PAGE, files_page),
        web.post(PAGE + "/notify", choose_channel),
        web.get(PAGE + "/{document_id:\\d+}", view_file),
        web.get(PAGE + "/{document_id:\\d+}/signed", download_signed_copy),
    ]


async def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    principal = taxpayer_principal(request)
    rows = await sent_documents.listed(principal, request[ACCOUNT].portal_id)  # type: ignore[attr-defined]
    language = request[LANG]
    states = await sign_states.request_states([row.document.id for row in rows])
    documents = [
        {
            "id": d.id,
            "name": d.file_name,
            "date": medium_date(d.sent_at, language),
            "iso": d.sent_at.isoformat() if d.sent_at else "",
            "sign": states.get(d.id, {}),
            "replaced": row.superseded,  # listed only because it was signed
            "signed_copy": SIGNED.format(document_id=d.id) if row.signed_copy_id else "",
        }
        for row in rows
        for d in (row.document,)
    ]
    # a "... Sign Document" column per signer asked to sign any of these documents
    asked = {role for state in states.values() for role in state}
    values = {
        "documents": documents,
        "sign_roles": [role for role in SIGN_COLUMNS if role in asked],
        "sign_columns": SIGN_COLUMNS,
        "just_signed": request.query.get("signed", ""),
        "signatures": await signature_rows(request),
        "channel": request[ACCOUNT].notify_channel,
        "saved": request.query.get("saved") == "1",
        "error": "",
    }
    values.update(context)
    return await render_signed_in(request, "preparer_files.html", values, status=status)


@taxpayer_required
async def files_page(request: web.Request) -> web.Response:
    return await _page(request)


@taxpayer_required
async def choose_channel(request: web.Request) -> web.Response:
    form = await read_form(request)
    try:
        await document_notice.set_channel(taxpayer_principal(request), str(form.get("channel")))
    except document_notice.ChannelError:
        return await _page(request, 400, error=N_("Choose Email or Text message."))
    raise web.HTTPSeeOther(PAGE + "?saved=1")


@taxpayer_required
async def view_file(request: web.Request) -> web.StreamResponse:
    try:
        document, chunks = await sent_documents.open_document(
            request.app[CORE],
            taxpayer_principal(request),
            path_id(request, "document_id"),
            user_agent=request.headers.get("User-Agent", ""),
            signer="spouse" if request.query.get("signer") == "spouse" else "taxpayer",
        )
    except (sent_documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    return await file_download.stream_file(
        request, chunks, "application/pdf", document.file_name, inline=True, size=document.size
    )


@taxpayer_required
async def download_signed_copy(request: web.Request) -> web.StreamResponse:
    """The newest signed copy of a document sent to this portal (a replaced one's too)."""
    try:
        got = await download.signed_copy(
            request.app[CORE],
            taxpayer_principal(request),
            path_id(request, "document_id"),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except (download.NotFound, download.Unavailable):
        raise web.HTTPNotFound() from None
    word = translations(request[LANG]).gettext(SIGNED_WORD)
    name = file_download.signed_name(got.file_name, word)
    return await file_download.stream_file(
        request, got.chunks, "application/pdf", name, size=got.size
    )
