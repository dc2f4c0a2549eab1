"""The File Viewer: the client list with search, year filter, sorting and pages."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.services.accounts.portals import missing_for_portal
from taxportal.services.returns import client_list as client_list_service
from taxportal.services.returns import client_search
from taxportal.services.returns import records as returns_service
from taxportal.text import whole_number
from taxportal.web.auth import staff_required
from taxportal.web.keys import CORE
from taxportal.web.returns.client_rows import client_rows

PER_PAGE = 50
MAX_PAGE = 1_000_000  # also bounds a year: a number any database integer holds


def _int(value: str, default: int | None = None) -> int | None:
    # a page or a year: anything else (or past what a database integer holds) is the default
    return whole_number(value, 1, MAX_PAGE) or default


@staff_required
async def client_list(request: web.Request) -> web.Response:
    query = request.query
    search = query.get("q", "")[:100]
    year = _int(query.get("year", ""))
    sort = query.get("sort", "last_name")
    descending = query.get("dir") == "desc"
    page = _int(query.get("page", ""), 1) or 1
    result = await client_list_service.page(
        search=search,
        tax_year=year,
        sort=sort,
        descending=descending,
        page=page,
        per_page=PER_PAGE,
        ssn_digest=returns_service.ssn_digester(request.app[CORE]),
    )
    # plugins' marks beside the names (chat's unread count): one hook call per page
    portal_ids = [row.portal.id for row in result.rows if row.portal is not None]
    marks = await request.app[CORE].plugins.client_marks(portal_ids)
    return aiohttp_jinja2.render_template(
        "staff/clients.html",
        request,
        {
            "result": result,
            "client_rows": client_rows,
            "client_marks": marks,
            "search": client_search.masked(search),  # never an SSN on the page
            "year": year,
            "sort": sort,
            "descending": descending,
            "years": await returns_service.tax_years(),
            "missing_for_portal": missing_for_portal,
            "view": request.match_info.get("view", ""),
            "flash": request.query.get("done", ""),
        },
    )
