"""The signature pages over HTTP: save, on file, redraw, CSRF, refusals, other portals."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from taxportal.models import ActivityEntry, SignatureImage, TaxReturn
from tests.preparer_documents.conftest import Firm
from tests.signatures import pngs

FILES = "/portal/preparer-files"
EDIT = "/portal/signature/taxpayer"


async def token(client: TestClient) -> str:
    page = await (await client.get(EDIT)).text()
    match = re.search(r'<script type="application/json" id="signature-data">(.*?)</script>', page)
    assert match, page
    return str(json.loads(match.group(1))["csrf"])


async def post(
    client: TestClient, body: bytes, path: str = EDIT, csrf: str | None = None
) -> tuple[int, dict]:
    headers = {"Content-Type": "image/png", "Accept": "application/json"}
    if csrf != "":
        headers["X-CSRF-Token"] = csrf or await token(client)
    response = await client.post(path, data=body, headers=headers)
    text = await response.text()
    return response.status, (json.loads(text) if text.startswith("{") else {"text": text})


async def test_draw_save_and_the_list_shows_it_on_file_then_a_redrawing(firm: Firm) -> None:
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Taxpayer:" in page and "Click To Add Signature" in page
    assert 'href="/portal/signature/taxpayer"' in page and "Spouse:" not in page

    edit = await firm.taxpayer.get(EDIT)
    text = await edit.text()
    assert edit.status == 200 and "<h1>Edit Taxpayer Signature</h1>" in text
    assert (
        'aria-label="Signature drawing box"' in text
        and '<script type="module" src="/static/signature.js">' in text
    )
    assert ">Back<" in text and ">Clear<" in text and ">Save<" in text
    assert "script-src 'self'" in edit.headers["Content-Security-Policy"]

    status, answer = await post(firm.taxpayer, pngs.drawing(900, 300))
    assert (status, answer["status"], answer["message"]) == (
        201,
        "saved",
        "Your signature was saved.",
    )
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Signature On File" in page and "Click To Add Signature" not in page
    first = re.search(r'src="(/portal/signature/image/\d+)"', page).group(1)  # type: ignore[union-attr]
    image = await firm.taxpayer.get(first)
    assert image.status == 200 and image.content_type == "image/png"
    assert (await image.read()).startswith(b"\x89PNG")

    status, answer = await post(firm.taxpayer, pngs.drawing(800, 250))
    assert status == 201
    page = await (await firm.taxpayer.get(FILES)).text()
    second = re.search(r'src="(/portal/signature/image/\d+)"', page).group(1)  # type: ignore[union-attr]
    assert second != first and answer["image"] == second
    assert (await firm.taxpayer.get(first)).status == 200  # the replaced one is kept
    assert await SignatureImage.filter(replaced_at=None).count() == 1
    assert await ActivityEntry.filter(action="signature_saved").count() == 2


async def test_a_data_url_body_is_decoded_and_checked_too(firm: Firm) -> None:
    body = b"data:image/png;base64," + base64.b64encode(pngs.drawing())
    assert (await post(firm.taxpayer, body))[0] == 201
    status, answer = await post(firm.taxpayer, b"data:image/png;base64,@@not base64@@")
    assert status == 422 and "could not be read as a PNG" in answer["message"]


async def test_an_empty_box_or_a_non_png_is_refused_with_words_for_the_user(firm: Firm) -> None:
    status, answer = await post(firm.taxpayer, pngs.transparent())
    assert status == 422 and answer["message"].startswith("The box is empty.")
    status, answer = await post(firm.taxpayer, pngs.jpeg_renamed())
    assert status == 422 and "PNG" in answer["message"]
    status, answer = await post(firm.taxpayer, b"\x00" * 1000)
    assert status == 422
    status, answer = await post(firm.taxpayer, b"\x89PNG" + b"\x00" * (10 * 1024 * 1024))
    assert status == 413 and "too large" in answer["message"]
    assert await SignatureImage.all().count() == 0
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Click To Add Signature" in page


async def test_save_needs_the_csrf_token(firm: Firm) -> None:
    assert (await post(firm.taxpayer, pngs.drawing(), csrf=""))[0] == 403
    assert (await post(firm.taxpayer, pngs.drawing(), csrf="forged"))[0] == 403
    assert await SignatureImage.all().count() == 0


async def test_in_spanish(staff_client: TestClient, client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.preparer_documents.conftest import firm_with_taxpayer

    firm = await firm_with_taxpayer(staff_client, client_for, "es")
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Contribuyente:" in page and "Haga clic para agregar su firma" in page
    text = await (await firm.taxpayer.get(EDIT)).text()
    assert (
        "Editar la firma del contribuyente" in text and ">Borrar<" in text and ">Guardar<" in text
    )
    status, answer = await post(firm.taxpayer, pngs.drawing())
    assert status == 201 and answer["message"] == "Su firma se guardó."
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Firma en archivo" in page


async def test_a_joint_return_has_a_spouse_row_that_waits_for_the_spouse(firm: Firm) -> None:
    await TaxReturn.filter(id=firm.return_id).update(
        spouse_first_name="Luis", spouse_last_name="Núñez"
    )
    page = await (await firm.taxpayer.get(FILES)).text()
    assert "Spouse:" in page and 'href="/portal/signature/spouse"' in page
    # the drawing page sends the spouse to their own identity check first, and back after
    response = await firm.taxpayer.get("/portal/signature/spouse", allow_redirects=False)
    assert response.status == 303
    where = urlsplit(response.headers["Location"])
    assert where.path == "/portal/signing/identity"
    assert parse_qs(where.query) == {
        "role": ["spouse"],
        "next": ["/portal/signature/spouse?next=%2Fportal%2Fpreparer-files"],
    }
    status, answer = await post(firm.taxpayer, pngs.drawing(), "/portal/signature/spouse")
    assert status == 403 and answer["message"] == "The spouse confirms who they are first."
    assert await SignatureImage.all().count() == 0


async def test_no_spouse_page_on_a_single_return_and_other_portals_images_are_404(
    firm: Firm,
    staff_client: TestClient,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    assert (await firm.taxpayer.get("/portal/signature/spouse")).status == 404
    assert (await firm.taxpayer.get("/portal/signature/preparer")).status == 404
    assert (await post(firm.taxpayer, pngs.drawing()))[0] == 201
    own = await SignatureImage.get()
    # (another portal's image is 404 too: tests/signatures/test_service.py)
    for path in (f"/portal/signature/image/{own.id + 1}", "/portal/signature/image/99999999999"):
        assert (await firm.taxpayer.get(path)).status == 404
    stranger = await client_for(firm.staff.app)
    response = await stranger.get(f"/portal/signature/image/{own.id}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/portal/login"


async def test_the_module_is_served_as_javascript(firm: Firm) -> None:
    response = await firm.taxpayer.get("/static/vendor/signature_pad.js")
    assert response.status == 200 and response.content_type == "text/javascript"
    assert "export" in await response.text()
    assert (await firm.taxpayer.get("/static/vendor/..%2Fpackage.json")).status == 404
    assert (await firm.taxpayer.get("/static/vendor/signature_pad.min.js")).status == 404
    assert (await firm.taxpayer.get("/static/signature.js")).status == 200


async def test_ten_saves_at_once_over_http_leave_one_on_file(firm: Firm) -> None:
    import asyncio

    csrf = await token(firm.taxpayer)
    answers = await asyncio.gather(
        *(post(firm.taxpayer, pngs.drawing(600 + i, 200), csrf=csrf) for i in range(10))
    )
    assert [status for status, _ in answers] == [201] * 10
    on_file = await SignatureImage.filter(replaced_at=None)
    assert len(on_file) == 1 and await SignatureImage.all().count() == 10
    page = await (await firm.taxpayer.get(FILES)).text()
    assert f'src="/portal/signature/image/{on_file[0].id}"' in page
