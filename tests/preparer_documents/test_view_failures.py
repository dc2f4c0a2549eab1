"""View of a sent PDF when its bytes are gone or stop coming: a 503 page before any header
of the file, or a cut connection, never a 200 whose body is not the whole PDF. And what the
query string and file names can put on the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import pdf
from tests.preparer_documents.test_pages import add_and_send, manager


async def test_view_of_a_pdf_whose_bytes_are_gone_is_a_503_page(firm: Firm) -> None:
    row = await add_and_send(firm, "Form 1040.pdf", pdf(2))
    await firm.core.plugins.storage.delete(row.storage_key)

    for client, path in (
        (firm.taxpayer, f"/portal/preparer-files/{row.id}"),
        (firm.staff, f"{manager(firm)}/{row.id}"),
    ):
        response = await client.get(path)
        assert response.status == 503, path
        assert response.content_type == "text/html"
        assert "Content-Disposition" not in response.headers
        assert "Something went wrong on our side" in await response.text()


async def test_bytes_that_stop_coming_cut_the_connection(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pdf(3)
    row = await add_and_send(firm, "Form 1040.pdf", data)
    storage = firm.core.plugins.storage

    async def broken(key: str) -> AsyncIterator[bytes]:
        yield data[:100]
        raise ConnectionResetError("storage endpoint went away")  # not the browser's

    monkeypatch.setattr(storage, "get", broken)
    for client, path in (
        (firm.taxpayer, f"/portal/preparer-files/{row.id}"),
        (firm.staff, f"{manager(firm)}/{row.id}"),
    ):
        response: Any = await client.get(path, timeout=aiohttp.ClientTimeout(total=30))
        assert response.status == 200 and response.headers["Content-Length"] == str(len(data))
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_only_a_number_from_the_query_reaches_the_page(firm: Firm) -> None:
    page = await (await firm.staff.get(manager(firm), params={"done": "sent", "n": "3"})).text()
    assert "3 documents sent" in page
    words = "Call 555-0100 to confirm your SSN"
    for done in ("sent", "added"):
        response = await firm.staff.get(manager(firm), params={"done": done, "n": words})
        assert response.status == 200 and words not in await response.text()


async def test_names_are_isolated_on_both_pages(firm: Firm) -> None:
    name = "invoice\u202efdp.exe.pdf"
    row = await add_and_send(firm, name, pdf(1))
    console = await (await firm.staff.get(manager(firm))).text()
    assert f'rel="noopener"><bdi>{name}</bdi></a>' in console
    listing = await (await firm.taxpayer.get("/portal/preparer-files")).text()
    assert f'<td class="file-name"><bdi>{name}</bdi></td>' in listing
    assert f'/portal/preparer-files/{row.id}"' in listing
