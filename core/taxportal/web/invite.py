"""The page behind an invitation link (registration itself comes with accounts)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.services.portals import link_state


async def invitation_page(request: web.Request) -> web.Response:
    state, invitation = await link_state(request.match_info["token"])
    status = 200 if state.value == "valid" else 410 if invitation else 404
    return aiohttp_jinja2.render_template(
        "invite.html",
        request,
        {"state": state.value, "expires_at": invitation.expires_at if invitation else None},
        status=status,
    )
