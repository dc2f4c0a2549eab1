"""A stored PDF streamed to the browser for View: inline, in a new tab, with safe headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from aiohttp import web

from taxportal.models import PreparerDocument

# The PDF gets no scripts, forms, plugins of its own or framing by others: a sandboxed
# document that only the browser's own PDF viewer renders.
PDF_CSP = "sandbox; default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def content_disposition(file_name: str, disposition: str = "inline") -> str:
    """RFC 6266: an ASCII fallback (quotes, backslashes, controls, non-ASCII replaced) and the
    exact name percent-encoded as UTF-8, so no name can break out of the header."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in file_name)
    encoded = quote(file_name, safe="")
    return f"{disposition}; filename=\"{fallback or 'document.pdf'}\"; filename*=UTF-8''{encoded}"


async def stream_pdf(
    request: web.Request, document: PreparerDocument, chunks: AsyncIterator[bytes]
) -> web.StreamResponse:
    # headers set here: the security middleware runs after prepare(), too late to add any
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": content_disposition(document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": PDF_CSP,
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
    )
    response.content_length = document.size
    await response.prepare(request)
    try:
        async for chunk in chunks:
            await response.write(chunk)
    except ConnectionResetError:  # the reader closed the tab: nothing to answer
        return response
    await response.write_eof()
    return response
