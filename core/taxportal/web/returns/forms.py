"""Add or edit one return in the console."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from pydantic import ValidationError
from yarl import URL

from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import (
    US_STATES,
    ReturnFields,
    field_errors,
    has_ssn_like,
    redact_ssn_like,
)
from taxportal.services.returns.signing_facts import FACTS, facts_on_file
from taxportal.web.auth import actor, staff_required
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form

FORM_FIELDS = list(ReturnFields.model_fields)
NEVER_SHOWN_BACK = ("ssn", "spouse_ssn", *FACTS)  # typed, saved, then shown only as on file


def _render(
    request: web.Request,
    values: dict[str, Any],
    error: str,
    return_id: int | None,
    last4: str = "",
    status: int = 200,
    on_file: dict[str, bool] | None = None,
) -> web.Response:
    return aiohttp_jinja2.render_template(
        "staff/return_form.html",
        request,
        {
            "values": values,
            "error": error,
            "return_id": return_id,
            "states": sorted(US_STATES),
            "ssn_last4": last4,
            "on_file": on_file or {},
        },
        status=status,
    )


@staff_required
async def new_return_page(request: web.Request) -> web.Response:
    return _render(
        request,
        {"tax_year": dt.date.today().year - 1, "return_type": "1040", "language": "en"},
        "",
        None,
    )


@staff_required
async def edit_return_page(request: web.Request) -> web.Response:
    tax_return = await _get(request)
    return _render(
        request,
        returns_service.as_fields(tax_return),
        "",
        tax_return.id,
        tax_return.ssn_last4,
        on_file=facts_on_file(tax_return),
    )


async def _get(request: web.Request):  # type: ignore[no-untyped-def]
    try:
        return await returns_service.get(path_id(request, "return_id"))
    except returns_service.ReturnNotFound:
        raise web.HTTPNotFound() from None


@staff_required
async def save_return(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    values = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    existing = await _get(request) if "return_id" in request.match_info else None
    try:
        fields = ReturnFields.model_validate(values)
        core = request.app[CORE]
        if existing is None:
            saved = await returns_service.create(core, fields, actor(request))
        else:
            saved = await returns_service.update(core, existing.id, fields, actor(request))
    except ValidationError as exc:
        reasons = field_errors(exc)  # the same masked reasons as the API and the import
        return _retry(request, values, "; ".join(f"{f}: {r}" for f, r in reasons.items()), existing)
    except ValueError as exc:
        return _retry(request, values, redact_ssn_like(str(exc)), existing)
    raise web.HTTPSeeOther(URL("/staff/").with_query(q=saved.last_name, done="saved"))


def _retry(request: web.Request, values: dict[str, Any], error: str, existing: Any) -> web.Response:
    # Never echo an SSN, a date of birth or an AGI, nor an SSN typed into another field:
    # that field comes back empty.
    values = {k: v for k, v in values.items() if k not in NEVER_SHOWN_BACK and not has_ssn_like(v)}
    return _render(
        request,
        values,
        error,
        existing.id if existing else None,
        existing.ssn_last4 if existing else "",
        status=400,
        on_file=facts_on_file(existing) if existing else None,
    )
