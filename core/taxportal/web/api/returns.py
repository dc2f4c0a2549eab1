"""REST API for tax programs under /api/v1 (staff API tokens), and its OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from taxportal.services.returns import client_list
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields, field_errors
from taxportal.web.api import documents as api_documents
from taxportal.web.api.body import json_object
from taxportal.web.api.document import OPENAPI  # noqa: F401 - tests read the core's file here
from taxportal.web.api.handling import ApiError, api_actor, api_view, query_int, query_text
from taxportal.web.api.serialize import return_json
from taxportal.web.ids import path_id
from taxportal.web.keys import API_DOCUMENT, CORE

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxReturn

INVALID = "the return is not valid"


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/openapi.json", openapi_document),
        web.get("/api/v1/returns", list_returns),
        web.post("/api/v1/returns", upsert_return),
        web.get("/api/v1/returns/{return_id:\\d+}", get_return),
        web.put("/api/v1/returns/{return_id:\\d+}", update_return),
        *api_documents.routes(),
    ]


async def openapi_document(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[API_DOCUMENT])


@api_view
async def list_returns(request: web.Request) -> web.Response:
    result = await client_list.page(
        search=query_text(request, "q", 100),
        tax_year=query_int(request, "tax_year", None, 2000, 9999),
        page=query_int(request, "page", 1, 1, 1_000_000) or 1,
        per_page=query_int(request, "per_page", 50, 1, 200) or 50,
        ssn_digest=returns_service.ssn_digester(request.app[CORE]),
        full=True,
    )
    return web.json_response(
        {
            "items": [return_json(row) for row in result.rows],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
        }
    )


@api_view
async def upsert_return(request: web.Request) -> web.Response:
    fields = _fields(await json_object(request))
    if not fields.ssn:
        raise ApiError(422, INVALID, {"ssn": "required (returns are matched by tax year and SSN)"})
    try:
        tax_return, outcome = await returns_service.upsert(
            request.app[CORE], fields, api_actor(request)
        )
    except returns_service.ReturnConflict as exc:
        raise ApiError(409, str(exc)) from None
    body = {"outcome": outcome, "return": return_json(await returns_service.client_row(tax_return))}
    if outcome == "created":
        location = f"/api/v1/returns/{tax_return.id}"
        return web.json_response(body, status=201, headers={"Location": location})
    return web.json_response(body)


@api_view
async def get_return(request: web.Request) -> web.Response:
    tax_return = await _get(_return_id(request))
    return web.json_response(return_json(await returns_service.client_row(tax_return)))


@api_view
async def update_return(request: web.Request) -> web.Response:
    return_id = _return_id(request)
    fields = _fields(await json_object(request))
    await _get(return_id)
    try:
        saved = await returns_service.update(
            request.app[CORE], return_id, fields, api_actor(request)
        )
    except returns_service.ReturnNotFound:
        raise ApiError(404, f"no return with id {return_id}") from None
    except ValueError as exc:  # "ssn: another 2024 return has this SSN"
        field, _, reason = str(exc).partition(": ")
        raise ApiError(409, reason or field, {field: reason} if reason else None) from None
    return web.json_response(return_json(await returns_service.client_row(saved)))


def _fields(body: dict[str, Any]) -> ReturnFields:
    try:
        return ReturnFields.model_validate(body)
    except ValidationError as exc:
        raise ApiError(422, INVALID, field_errors(exc)) from None


def _return_id(request: web.Request) -> int:
    return path_id(request, "return_id")  # checked by the ids middleware before this view


async def _get(return_id: int) -> TaxReturn:
    try:
        return await returns_service.get(return_id)
    except returns_service.ReturnNotFound:
        raise ApiError(404, f"no return with id {return_id}") from None
