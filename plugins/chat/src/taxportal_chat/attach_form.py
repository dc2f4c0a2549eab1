"""The taxpayer's Send form with a file (multipart, no JavaScript needed): the text first,
then the file streamed into My Files through ``taxportal.api.store_upload``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from taxportal.api import Core, Principal, StoredUpload, UploadRefused, store_upload
from taxportal_chat.text import MessageRefused, clean

CHUNK = 256 * 1024
FIELD_BYTES = 128 * 1024  # a text field: 5,000 characters of 4 UTF-8 bytes fit many times over


class BadForm(Exception):
    """The body is not the page's form (malformed multipart, a field too large)."""


@dataclass
class Sent:
    """What the form held: the text as typed, and the file stored (``None`` when none was
    picked, or when ``refusal`` says why it was not kept)."""

    text: str = ""
    upload: StoredUpload | None = None
    refusal: str = ""


async def _field(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        data += chunk
        if len(data) > FIELD_BYTES:
            raise BadForm("field too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadForm("not UTF-8") from None


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


async def read(
    request: web.Request, core: Core, principal: Principal, max_length: int, language: str
) -> Sent:
    """Read the multipart form; the file is stored only when the text before it could be
    posted with it (so a refused text leaves nothing in My Files)."""
    sent = Sent()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                await part.release()
            elif part.name == "body" and not part.filename:
                sent.text = await _field(part)
            elif part.name == "file" and part.filename and sent.upload is None:
                if _postable(sent.text, max_length):
                    sent.upload, sent.refusal = await _store(
                        core, principal, part, max_length, language
                    )
                else:
                    await part.release()
            else:
                await part.release()
    except (ValueError, LookupError, AssertionError) as exc:
        raise BadForm(type(exc).__name__) from None
    return sent


def _postable(text: str, max_length: int) -> bool:
    try:
        clean(text, max_length)
    except MessageRefused as refused:
        return refused.reason == "empty"  # a file alone is a message
    return True


async def _store(
    core: Core, principal: Principal, part: BodyPartReader, max_length: int, language: str
) -> tuple[StoredUpload | None, str]:
    assert principal.portal_id is not None
    name = (part.filename or "").replace("%22", '"')  # how browsers write " in a file name
    try:
        upload = await store_upload(
            core, principal, principal.portal_id, name, _chunks(part), language=language
        )
    except UploadRefused as refused:
        return None, refused.reason
    return upload, ""
