"""Every file the portal hands out, in one place: the Content-Disposition header (any name,
RFC 6266/5987) and the streamed response with its security headers. My Files, View
Documents (one file and the zip), the API's downloads and both PDF Views use it."""

from __future__ import annotations

import logging
import string
from collections.abc import AsyncIterable
from urllib.parse import quote

from aiohttp import web

from taxportal.services.uploads.file_names import safe_name

log = logging.getLogger(__name__)
SAFE_TYPES = ("application/pdf", "image/", "application/zip")  # uploads are sniffed on arrival
# The bytes are a file, never a page: no scripts, forms, plugins or framing by anyone; an
# inline PDF is rendered by the browser's own viewer only.
CSP = "sandbox; default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
# what the ASCII fallback keeps; anything else (quotes, %, ;, \, controls, non-ASCII) is "_"
FALLBACK_CHARS = frozenset(string.ascii_letters + string.digits + " .-_()+,=@[]~")


def content_disposition(name: str, inline: bool = False, content_type: str = "") -> str:
    """``inline`` or ``attachment`` with an ASCII fallback of safe characters only and the
    name as UTF-8 in ``filename*`` (percent-encoded): no name can break out of the header."""
    shown = safe_name(name, content_type)  # the separators "_"; the rest is encoded below
    fallback = "".join(c if c in FALLBACK_CHARS else "_" for c in shown)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(shown, safe='')}"


def signed_name(file_name: str, word: str = "signed") -> str:
    """``Form 8879.pdf`` -> ``Form 8879 (signed).pdf``: a sealed copy is not the file as
    sent (``word`` in the page's language for a taxpayer). ``content_disposition`` still
    makes the result safe."""
    stem, dot, extension = file_name.rpartition(".")
    if not dot or extension.casefold() != "pdf" or not stem:
        return f"{file_name} ({word})"
    return f"{stem} ({word}).{extension}"


def download_headers(name: str, content_type: str, inline: bool = False) -> dict[str, str]:
    """Set before prepare(): the security middleware runs after it, too late to add any."""
    safe = content_type.startswith(SAFE_TYPES)
    sent_type = content_type if safe else "application/octet-stream"
    return {
        "Content-Type": sent_type,
        "Content-Disposition": content_disposition(name, inline, sent_type),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": CSP,
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


class StorageUnavailable(web.HTTPServiceUnavailable):
    """The first bytes could not be read: nothing was sent, an error page still can be."""


async def stream_file(
    request: web.Request,
    chunks: AsyncIterable[bytes],
    content_type: str,
    name: str,
    inline: bool = False,
    size: int | None = None,
) -> web.StreamResponse:
    """Send ``chunks`` as they come; ``size`` None means chunked (a zip made on the fly).

    The first chunk is read before the headers go out, so a storage fault then is a 503
    page (``StorageUnavailable``), never a 200 with an error page for a body. A fault after
    that closes the connection: the browser sees a broken download, never a short file
    that looks whole."""
    if request.method == "HEAD":  # the headers only: no byte is read, so nothing is "opened"
        return await _headers_only(request, chunks, content_type, name, inline, size)
    iterator = aiter(chunks)
    try:
        first = await anext(iterator, b"")
    except Exception:
        log.exception("the bytes for %s could not be read from storage", request.path)
        raise StorageUnavailable() from None  # the error page says it in the page's words
    response = web.StreamResponse(headers=download_headers(name, content_type, inline))
    if size is not None:
        response.content_length = int(size)
    await response.prepare(request)
    chunk: bytes | None = first
    while chunk is not None:
        if chunk:
            try:
                await response.write(chunk)
            except ConnectionResetError:  # the browser went away: nothing left to answer
                return response
        try:
            chunk = await anext(iterator, None)
        except Exception:  # a storage fault (even a reset connection to S3): cut it short
            log.exception("the bytes for %s stopped coming from storage", request.path)
            if request.transport is not None:
                request.transport.close()
            return response
    await response.write_eof()
    return response


async def _headers_only(
    request: web.Request,
    chunks: AsyncIterable[bytes],
    content_type: str,
    name: str,
    inline: bool,
    size: int | None,
) -> web.StreamResponse:
    close = getattr(chunks, "aclose", None)
    if close is not None:  # a generator never started: closing it runs none of its code
        await close()
    response = web.StreamResponse(headers=download_headers(name, content_type, inline))
    if size is not None:
        response.content_length = int(size)
    await response.prepare(request)
    await response.write_eof()
    return response
