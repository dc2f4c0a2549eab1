"""The signed-in user's API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from taxportal.services.accounts import staff as staff_service
from taxportal.web.auth import current_staff, staff_required
from taxportal.web.ids import path_id
from taxportal.web.request_text import read_form


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/tokens", tokens_page),
        web.post("/staff/tokens", create_token),
        web.post("/staff/tokens/{token_id:\\d+}/revoke", revoke_token),
    ]


async def _render(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    user = current_staff(request)
    assert user is not None  # staff_required ran
    values = {"new_token": "", "new_label": "", "done": "", "error": ""}
    values.update(context)
    values["tokens"] = await staff_service.list_api_tokens(user)
    return aiohttp_jinja2.render_template("staff/tokens.html", request, values, status=status)


@staff_required
async def tokens_page(request: web.Request) -> web.Response:
    return await _render(request, done=request.query.get("done", ""))


@staff_required
async def create_token(request: web.Request) -> web.Response:
    user = current_staff(request)
    assert user is not None
    label = str((await read_form(request)).get("label", "")).strip()[:100]
    token = await staff_service.issue_api_token(user, label)
    # Shown in this response only (never stored in plain, never in a URL); no-store is set.
    return await _render(request, 201, new_token=token, new_label=label)


@staff_required
async def revoke_token(request: web.Request) -> web.StreamResponse:
    user = current_staff(request)
    assert user is not None
    if not await staff_service.revoke_api_token(user, path_id(request, "token_id")):
        return await _render(request, 404, error="No such active token of yours.")
    raise web.HTTPSeeOther("/staff/tokens?done=revoked")
