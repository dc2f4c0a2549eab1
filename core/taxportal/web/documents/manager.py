"""The console's Signed Document Manager of a return: add PDFs, tick and send, view, remove."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp_jinja2
from aiohttp import BodyPartReader, web
from yarl import URL

from taxportal.services.documents import placement
from taxportal.services.documents import preparer as documents
from taxportal.services.documents import sent as sent_documents
from taxportal.services.documents.access import Denied
from taxportal.services.documents.preparer import is_joint
from taxportal.text import whole_number
from taxportal.web import file_download
from taxportal.web.access import staff_principal
from taxportal.web.auth import staff_required
from taxportal.web.ids import parse_id, path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import file_parts, read_form

FILE_FIELD = "file"
CHUNK = 64 * 1024
BASE = "/staff/returns/{return_id:\\d+}/documents"
MAX_PAGE = 100_000  # a page number past any real document's: the service says which exist


def routes() -> list[web.RouteDef]:
    return [
        web.get(BASE, manager_page),
        web.post(BASE, add_documents),
        web.post(BASE + "/send", send_documents),
        web.get(BASE + "/{document_id:\\d+}", view_document),
        web.post(BASE + "/{document_id:\\d+}/delete", delete_document),
    ]


async def render(
    request: web.Request, return_id: int, status: int = 200, **context: Any
) -> web.Response:
    principal = staff_principal(request)
    try:
        tax_return, rows = await documents.documents_of_return(principal, return_id)
    except (documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    values = {
        "tax_return": tax_return,
        "joint": is_joint(tax_return),
        "rows": rows,
        "has_portal": await sent_documents.portal_id_of(return_id) is not None,
        "max_mb": documents.MAX_BYTES // documents.MB,
        "places": placement.PRESETS,
        "added": [],
        "refused": [],
        "error": "",
        "done": request.query.get("done", ""),
        # only a number from the query reaches the page: no words typed into a URL
        "count": count if (count := request.query.get("n", "")).isdecimal() else "",
        "told": request.query.get("told", ""),
        "who": who if (who := request.query.get("who", "")) in ("taxpayer", "spouse") else "",
        "problem": "",
    }
    values.update(context)
    return aiohttp_jinja2.render_template("staff/documents.html", request, values, status=status)


@staff_required
async def manager_page(request: web.Request) -> web.Response:
    return await render(request, path_id(request, "return_id"))


@staff_required
async def add_documents(request: web.Request) -> web.Response:
    return_id = path_id(request, "return_id")
    if request.content_type != "multipart/form-data":
        return await render(request, return_id, 400, error="Choose PDF files with the form.")
    principal = staff_principal(request)
    added: list[str] = []
    refused: list[tuple[str, str]] = []
    async for part in file_parts(request, FILE_FIELD):
        try:
            name = browser_file_name(part.filename)
            row = await documents.add(request.app[CORE], principal, return_id, name, _chunks(part))
        except (documents.NotFound, Denied):
            raise web.HTTPNotFound() from None
        except documents.DocumentError as exc:
            refused.append((part.filename, exc.message))
            if exc.kind == "too_large":  # do not read on: answer now, the rest is dropped
                break
            await part.release()
            continue
        added.append(row.file_name)
    if not added and not refused:
        return await render(request, return_id, 400, error="Choose at least one PDF file.")
    if refused:
        return await render(request, return_id, 400, added=added, refused=refused)
    url = URL(f"/staff/returns/{return_id}/documents").with_query(done="added", n=len(added))
    raise web.HTTPSeeOther(url)


def browser_file_name(sent: str) -> str:
    """Browsers escape only these three in a multipart file name (HTML's form encoding)."""
    return sent.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


def _picks(form: Any) -> list[documents.Pick]:
    """The ticked "Send" boxes, each with its "Taxpayer signs" / "Spouse signs" boxes and,
    for a ticked signer, the place chosen for their signature (``<signer>_place_<id>``: a
    preset, empty for the automatic place; ``<signer>_page_<id>``: the page, from 1)."""
    taxpayer = set(form.getall("taxpayer_signs", []))
    spouse = set(form.getall("spouse_signs", []))
    picks = []
    for value in dict.fromkeys(form.getall("send", [])):  # once each, in the page's order
        document_id = parse_id(str(value))
        if document_id is None:  # no document can have it
            continue
        signers = tuple(
            signer
            for signer, ticked in (("taxpayer", taxpayer), ("spouse", spouse))
            if value in ticked
        )
        picks.append(documents.Pick(document_id, signers, _places(form, document_id, signers)))
    return picks


def _places(form: Any, document_id: int, signers: tuple[str, ...]) -> dict[str, placement.Chosen]:
    """The places chosen for the ticked signers of one document (the service checks them
    against the document's pages)."""
    places = {}
    for signer in signers:
        preset = str(form.get(f"{signer}_place_{document_id}", ""))
        if not preset:
            continue  # automatic: the PDF's field, Form 8879's line, or a block
        typed = str(form.get(f"{signer}_page_{document_id}", "")).strip()
        page = whole_number(typed, 1, MAX_PAGE)
        if page is None:
            raise documents.DocumentError(
                "box", f"Type the page for the {signer}'s signature as a number from 1."
            )
        places[signer] = placement.Chosen(page, preset)
    return places


@staff_required
async def send_documents(request: web.Request) -> web.Response:
    return_id = path_id(request, "return_id")
    form = await read_form(request)
    try:
        result = await documents.send(
            request.app[CORE], staff_principal(request), return_id, _picks(form)
        )
    except (documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    except documents.DocumentError as exc:
        return await render(request, return_id, 400, error=exc.message)
    if result.notice_retrying:  # not told yet: a job keeps trying, the page says so
        url = URL(f"/staff/returns/{return_id}/documents").with_query(
            done="sent", n=len(result.sent), told=f"retry-{result.notice_retrying}"
        )
        raise web.HTTPSeeOther(url)
    if result.notice_problem:  # sent, but the taxpayer was not told: say so on this page
        return await render(
            request,
            return_id,
            done="sent",
            count=str(len(result.sent)),
            problem=result.notice_problem,
        )
    url = URL(f"/staff/returns/{return_id}/documents").with_query(
        done="sent", n=len(result.sent), told=result.notified_by
    )
    raise web.HTTPSeeOther(url)


@staff_required
async def view_document(request: web.Request) -> web.StreamResponse:
    try:
        document, chunks = await sent_documents.open_document(
            request.app[CORE],
            staff_principal(request),
            path_id(request, "document_id"),
            return_id=path_id(request, "return_id"),
        )
    except (sent_documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    return await file_download.stream_file(
        request, chunks, "application/pdf", document.file_name, inline=True, size=document.size
    )


@staff_required
async def delete_document(request: web.Request) -> web.Response:
    return_id = path_id(request, "return_id")
    try:
        await documents.delete(
            request.app[CORE], staff_principal(request), return_id, path_id(request, "document_id")
        )
    except (documents.NotFound, Denied):
        raise web.HTTPNotFound() from None
    except documents.DocumentError as exc:
        return await render(request, return_id, 400, error=exc.message)
    url = URL(f"/staff/returns/{return_id}/documents").with_query(done="removed")
    raise web.HTTPSeeOther(url)
