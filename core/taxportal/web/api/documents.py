"""REST API of the Signed Document Manager: a tax program adds PDFs to a return and sends them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taxportal.limits import MAX_ID
from taxportal.services.documents import placement
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Denied
from taxportal.services.returns.fields import field_errors
from taxportal.services.signing import retention
from taxportal.web.access import api_principal
from taxportal.web.api import document_files
from taxportal.web.api.body import json_object
from taxportal.web.api.handling import ApiError, api_view
from taxportal.web.api.serialize import iso_time
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.contracts import PlacementBox
    from taxportal.models import SignatureRequest, SignedCopy

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
        *document_files.routes(),
    ]


POINTS = 14400  # the largest page a PDF may have (PDF 1.7, Annex C), in points
SIDE = (placement.HEIGHT[0], placement.WIDTH[1])  # a box's side, before the page's check
Preset = Literal["bottom_left", "bottom_right", "top_left", "top_right"]


class BoxInput(BaseModel):
    """Where one signer's signature goes when the PDF has no field or printed line for
    them: page (from 1) and a preset corner, or a box in PDF points; checked against the
    real page by the service."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    page: int = Field(ge=1, le=MAX_ID)
    preset: Preset | None = None
    x: float | None = Field(default=None, ge=0, le=POINTS)
    y: float | None = Field(default=None, ge=0, le=POINTS)
    # either way round: a page turned a quarter shows the width as the height
    width: float | None = Field(default=None, ge=SIDE[0], le=SIDE[1])
    height: float | None = Field(default=None, ge=SIDE[0], le=SIDE[1])

    @model_validator(mode="after")
    def _one_way(self) -> BoxInput:
        given = [v is not None for v in (self.x, self.y, self.width, self.height)]
        if self.preset is None and not all(given):
            raise ValueError("give a preset, or all of x, y, width and height")
        if self.preset is not None and any(given):
            raise ValueError("give a preset or a box, not both")
        return self

    def chosen(self) -> placement.Chosen:
        return placement.Chosen(
            self.page, self.preset or "", self.x, self.y, self.width, self.height
        )


class SendItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1, le=MAX_ID)
    signers: list[Literal["taxpayer", "spouse"]] = Field(default_factory=list, max_length=2)
    boxes: dict[Literal["taxpayer", "spouse"], BoxInput] = Field(default_factory=dict)


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[SendItem] = Field(min_length=1, max_length=100)


def copy_json(copy: SignedCopy) -> dict[str, Any]:
    return {
        "id": copy.id,
        "signers": copy.signers.split("+") if copy.signers else [],
        "complete": copy.complete,
        "size": copy.size,
        "sha256_before": copy.sha256_before,
        "sha256_after": copy.sha256_after,
        "certificate_fingerprint": copy.certificate_fingerprint,
        "validation": copy.validation,
        "created_at": iso_time(copy.created_at),
    }


def box_json(box: PlacementBox | None) -> dict[str, Any] | None:
    """A chosen box as the API shows it: the page counted from 1, as it was given."""
    if box is None:
        return None
    return {"page": box.page + 1, "x": box.x, "y": box.y, "width": box.width, "height": box.height}


def request_json(
    status: str, request: SignatureRequest | None, box: PlacementBox | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "signed_at": iso_time(request.signed_at) if request is not None else None,
        "voided_at": iso_time(request.voided_at) if request is not None else None,
        "box": box_json(documents.chosen_box(request) if request is not None else box),
    }


def document_json(
    row: documents.DocumentRow,
    kept_until: dt.date | None = None,
    boxes: dict[tuple[int, str], PlacementBox] | None = None,
) -> dict[str, Any]:
    d = row.document
    boxes = boxes or {}

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
        "signature_requests": {
            role: request_json(status, row.requests.get(role), boxes.get((d.id, role)))
            for role, status in row.signatures.items()
        },
        "complete": row.complete,
        "signed_copies": [copy_json(c) for c in row.copies],
        "kept_until": kept_until.isoformat() if kept_until is not None else None,
    }


def _return_id(request: web.Request) -> int:
    return path_id(request, "return_id")  # checked by the ids middleware before this view


def _refusal(exc: documents.DocumentError) -> ApiError:
    return ApiError(STATUS.get(exc.kind, 422), exc.message, {"reason": exc.kind})


@api_view
async def list_documents(request: web.Request) -> web.Response:
    return_id = _return_id(request)
    try:
        tax_return, rows = await documents.documents_of_return(api_principal(request), return_id)
    except (documents.NotFound, Denied):
        raise ApiError(404, f"no return with id {return_id}") from None
    core, year = request.app[CORE], tax_return.tax_year
    items = [
        document_json(row, retention.copy_kept_until(core, year, next(iter(row.copies), None)))
        for row in rows
    ]
    return web.json_response({"items": items})


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
    picks = [
        documents.Pick(
            item.id,
            tuple(item.signers),
            {signer: box.chosen() for signer, box in item.boxes.items()},
        )
        for item in wanted.documents
    ]
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
                document_json(documents.DocumentRow(d, "sent", asked[d.id]), None, result.boxes)
                for d in result.sent
            ],
            "superseded": result.superseded,
            "voided_signature_requests": result.voided,
            "notified_by": result.notified_by or None,
            "notice_problem": result.notice_problem or None,
        }
    )
