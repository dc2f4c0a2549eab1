"""REST API of the Signed Document Manager: a tax program adds PDFs to a return and sends them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taxportal.limits import MAX_ID
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Denied
from taxportal.services.returns.fields import field_errors
from taxportal.web.access import api_principal
from taxportal.web.api.body import json_object
from taxportal.web.api.handling import ApiError, api_view
from taxportal.web.api.serialize import iso_time
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE

CHUNK = 64 * 1024
BASE = "/api/v1/returns/{return_id:\\d+}/documents"
# DocumentError kind -> HTTP status; anything else is 422 (a request we understood but refuse)
STATUS = {
    "too_large": 413,
    "no_storage": 503,
    "storage": 503,
    "already_sent": 409,
    "no_portal": 409,
}


def routes() -> list[web.RouteDef]:
    return [
        web.get(BASE, list_documents),
        web.post(BASE, add_document),
        web.post(BASE + "/send", send_documents),
    ]


class SendItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1, le=MAX_ID)
    signers: list[Literal["taxpayer", "spouse"]] = Field(default_factory=list, max_length=2)


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[SendItem] = Field(min_length=1, max_length=100)


def document_json(row: documents.DocumentRow) -> dict[str, Any]:
    d = row.document

    return {
        "id": d.id,
        "file_name": d.file_name,
        "size": d.size,
        "sha256": d.sha256,
        "pages": d.pages,
        "state": row.state,
        "added_at": iso_time(d.added_at),
        "sent_at": iso_time(d.sent_at),
        "superseded_at": iso_time(d.superseded_at),
        "replaced_by": d.replaced_by_id,  # type: ignore[attr-defined]
        "viewed_at": iso_time(d.viewed_at),
        "signatures": row.signatures,
    }


def _return_id(request: web.Request) -> int:
    return path_id(request, "return_id")  # checked by the ids middleware before this view


def _refusal(exc: documents.DocumentError) -> ApiError:
    return ApiError(STATUS.get(exc.kind, 422), exc.message, {"reason": exc.kind})


@api_view
async def list_documents(request: web.Request) -> web.Response:
    return_id = _return_id(request)
    try:
        _, rows = await documents.documents_of_return(api_principal(request), return_id)
    except (documents.NotFound, Denied):
        raise ApiError(404, f"no return with id {return_id}") from None
    return web.json_response({"items": [document_json(row) for row in rows]})


def _file_name(request: web.Request) -> str:
    """From ``?file_name=`` or the ``X-File-Name`` header (percent-encoded UTF-8)."""
    name = request.query.get("file_name") or unquote(request.headers.get("X-File-Name", ""))
    if not name:
        raise ApiError(422, "name the file: ?file_name=Return.pdf or an X-File-Name header")
    return name


async def _body(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(CHUNK):
        yield chunk


@api_view
async def add_document(request: web.Request) -> web.Response:
    return_id = _return_id(request)
    if request.content_type != "application/pdf":
        raise ApiError(415, "send the PDF itself as the body (Content-Type: application/pdf)")
    name = _file_name(request)
    try:
        row = await documents.add(
            request.app[CORE], api_principal(request), return_id, name, _body(request)
        )
    except (documents.NotFound, Denied):
        raise ApiError(404, f"no return with id {return_id}") from None
    except documents.DocumentError as exc:
        raise _refusal(exc) from None
    body = document_json(documents.DocumentRow(row, "not_sent"))
    location = f"/api/v1/returns/{return_id}/documents"
    return web.json_response(body, status=201, headers={"Location": location})


@api_view
async def send_documents(request: web.Request) -> web.Response:
    return_id = _return_id(request)
    try:
        wanted = SendBody.model_validate(await json_object(request))
    except ValidationError as exc:
        raise ApiError(422, "the request is not valid", field_errors(exc)) from None
    picks = [documents.Pick(item.id, tuple(item.signers)) for item in wanted.documents]
    try:
        result = await documents.send(request.app[CORE], api_principal(request), return_id, picks)
    except documents.NotFound as exc:
        raise ApiError(404, f"no return {return_id} or no document {exc} on it") from None
    except Denied:
        raise ApiError(404, f"no return with id {return_id}") from None
    except documents.DocumentError as exc:
        raise _refusal(exc) from None
    asked = {pick.document_id: dict.fromkeys(pick.signers, "pending") for pick in picks}
    return web.json_response(
        {
            "sent": [
                document_json(documents.DocumentRow(d, "sent", asked[d.id])) for d in result.sent
            ],
            "superseded": result.superseded,
            "voided_signature_requests": result.voided,
            "notified_by": result.notified_by or None,
            "notice_problem": result.notice_problem or None,
        }
    )
