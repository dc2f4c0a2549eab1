"""Streamed downloads of uploaded files (one, or a zip): attachment headers safe for any name."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

from aiohttp import web

from taxportal.services.upload_review import safe_name

log = logging.getLogger(__name__)
SAFE_TYPES = ("application/pdf", "image/", "application/zip")  # uploads are sniffed on arrival
# the bytes are a download, never a page: no scripts, no framing, no referrer
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def attachment(file_name: str) -> str:
    """RFC 6266 ``attachment``: a plain-ASCII fallback and the name as UTF-8 in ``filename*``,
    both made from a name with no folders or controls, so no name can break the header."""
    name = safe_name(file_name)
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_headers(file_name: str, content_type: str) -> dict[str, str]:
    safe = content_type.startswith(SAFE_TYPES)
    # set before prepare(): the security middleware runs after it, too late to add any
    return {
        "Content-Type": content_type if safe else "application/octet-stream",
        "Content-Disposition": attachment(file_name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


async def stream(
    request: web.Request,
    chunks: AsyncIterator[bytes],
    *,
    file_name: str,
    content_type: str,
    size: int | None = None,
) -> web.StreamResponse:
    """Send ``chunks`` as they come; ``size`` None means chunked (a zip made on the fly)."""
    # the first chunk before the headers: a storage fault then is still an error page
    iterator = aiter(chunks)
    first = await anext(iterator, b"")
    response = web.StreamResponse(headers=download_headers(file_name, content_type))
    if size is not None:
        response.content_length = size
    await response.prepare(request)
    try:
        if first:
            await response.write(first)
        async for chunk in iterator:
            if chunk:
                await response.write(chunk)
    except ConnectionResetError:  # the browser went away: nothing left to answer
        return response
    except Exception:  # too late for an error page: cut the download short, log why
        log.exception("download of %s broke off", request.path)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
