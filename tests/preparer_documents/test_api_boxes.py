"""The documents API's chosen places: a signer may come with a box (page and preset, or a
box in points), checked against the real page; every refusal a clear 4xx, nothing sent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfWriter

from taxportal.models import PreparerDocument, SignatureRequest
from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import pdf
from tests.preparer_documents.test_api import DOCS, add, call, conforms, token  # noqa: F401

SEND = DOCS + "/send"


def pages_of(*shapes: tuple[float, float, int]) -> bytes:
    """A PDF with one blank page per (width, height, rotate)."""
    writer = PdfWriter()
    for width, height, rotate in shapes:
        page = writer.add_blank_page(width, height)
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def send(firm: Firm, token: str, body: Any) -> tuple[int, Any]:  # noqa: F811
    return await call(firm, token, "POST", SEND.format(return_id=firm.return_id), **body)


async def added(firm: Firm, token: str, data: bytes, name: str = "Letter.pdf") -> int:  # noqa: F811
    status, created = await add(firm, token, name, data)
    assert status == 201, created
    return created["id"]


async def test_a_preset_and_a_box_are_stored_and_listed(firm: Firm, token: str) -> None:  # noqa: F811
    first = await added(firm, token, pdf(2), "Engagement letter.pdf")
    second = await added(firm, token, pages_of((612, 1008, 0)), "Legal.pdf")
    status, sent = await send(
        firm,
        token,
        {
            "json": {
                "documents": [
                    {
                        "id": first,
                        "signers": ["taxpayer"],
                        "boxes": {"taxpayer": {"page": 2, "preset": "bottom_right"}},
                    },
                    {  # high on a legal page: past a letter page's top
                        "id": second,
                        "signers": ["taxpayer"],
                        "boxes": {
                            "taxpayer": {"page": 1, "x": 72, "y": 900, "width": 250, "height": 50}
                        },
                    },
                ]
            }
        },
    )
    assert status == 200, sent
    conforms(sent, SEND, "post", 200)
    boxes = {d["id"]: d["signature_requests"]["taxpayer"]["box"] for d in sent["sent"]}
    assert boxes[first] == {"page": 2, "x": 358.0, "y": 54.0, "width": 200.0, "height": 46.0}
    assert boxes[second] == {"page": 1, "x": 72.0, "y": 900.0, "width": 250.0, "height": 50.0}
    status, listed = await call(firm, token, "GET", DOCS.format(return_id=firm.return_id))
    conforms(listed, DOCS, "get", 200)
    assert {d["id"]: d["signature_requests"]["taxpayer"]["box"] for d in listed["items"]} == boxes
    request = await SignatureRequest.get(document_id=first)
    assert (request.box_page, request.box_x, request.box_y) == (1, 358.0, 54.0)  # 0-based


async def test_without_a_box_the_place_stays_automatic(firm: Firm, token: str) -> None:  # noqa: F811
    document = await added(firm, token, pdf(1))
    status, sent = await send(
        firm, token, {"json": {"documents": [{"id": document, "signers": ["taxpayer"]}]}}
    )
    assert status == 200 and sent["sent"][0]["signature_requests"]["taxpayer"]["box"] is None
    request = await SignatureRequest.get(document_id=document)
    assert request.box_page is None and request.box_x is None


async def test_a_preset_on_a_turned_page_is_in_its_corner_as_shown(firm: Firm, token: str) -> None:  # noqa: F811
    document = await added(firm, token, pages_of((612, 792, 90)))
    body = {"id": document, "signers": ["taxpayer"]}
    body["boxes"] = {"taxpayer": {"page": 1, "preset": "bottom_left"}}
    status, sent = await send(firm, token, {"json": {"documents": [body]}})
    assert status == 200, sent
    # shown 792 wide and 612 high; its bottom left is the unturned page's right edge, bottom
    box = sent["sent"][0]["signature_requests"]["taxpayer"]["box"]
    assert box == {"page": 1, "x": 612 - 54 - 46, "y": 54.0, "width": 46.0, "height": 200.0}


BAD_BOXES = [
    # (box, where the reason is, words it says)
    ({"page": 3, "preset": "top_left"}, "reason", "the document has 2 pages"),
    ({"page": 1, "x": 500, "y": 40, "width": 200, "height": 40}, "reason", "does not fit"),
    ({"page": 1, "x": 10, "y": 780, "width": 200, "height": 40}, "reason", "does not fit"),
    ({"page": 1, "x": 10, "y": 10, "width": 500, "height": 310}, "reason", "300 points high"),
    ({"page": 1, "x": 10, "y": 10, "width": 20, "height": 40}, "reason", "36 to 600 points wide"),
    ({"page": 1, "x": 10, "y": 10, "width": 8, "height": 40}, "field", "greater than or equal"),
    ({"page": 1, "x": -1, "y": 10, "width": 200, "height": 40}, "field", "greater than or equal"),
    ({"page": 0, "preset": "top_left"}, "field", "greater than or equal"),
    ({"page": 10**30, "preset": "top_left"}, "field", ""),
    ({"page": 1, "preset": "middle"}, "field", ""),
    ({"page": 1}, "field", "give a preset"),
    ({"page": 1, "x": 10, "y": 10}, "field", "give a preset"),
    ({"page": 1, "preset": "top_left", "x": 10}, "field", "not both"),
    ({"page": 1, "preset": "top_left", "colour": "red"}, "field", ""),
    ({"page": "1\x00", "preset": "top_left"}, "field", ""),
    ("bottom", "field", ""),
]


@pytest.mark.parametrize(("box", "where", "words"), BAD_BOXES)
async def test_a_bad_box_is_a_clear_422_and_nothing_is_sent(
    firm: Firm,
    token: str,  # noqa: F811
    box: Any,
    where: str,
    words: str,
) -> None:
    document = await added(firm, token, pdf(2))
    item = {"id": document, "signers": ["taxpayer"], "boxes": {"taxpayer": box}}
    status, refused = await send(firm, token, {"json": {"documents": [item]}})
    assert status == 422, refused
    conforms(refused, SEND, "post", 422)
    if where == "reason":
        assert refused["fields"]["reason"] == "box"
        assert words in refused["error"]
    else:
        assert any(words in text for text in refused["fields"].values()), refused
    assert (await PreparerDocument.get(id=document)).sent_at is None
    assert not await SignatureRequest.filter(document_id=document).exists()


async def test_non_finite_numbers_and_a_box_for_a_signer_not_asked(firm: Firm, token: str) -> None:  # noqa: F811
    document = await added(firm, token, pdf(1))
    box = '{"page": 1, "x": NaN, "y": Infinity, "width": 200, "height": 40}'
    item = f'{{"id": {document}, "signers": ["taxpayer"], "boxes": {{"taxpayer": {box}}}}}'
    raw = f'{{"documents": [{item}]}}'
    status, refused = await send(
        firm, token, {"data": raw, "headers": {"Content-Type": "application/json"}}
    )
    assert status == 422 and refused["fields"], refused
    item = {"id": document, "signers": [], "boxes": {"taxpayer": {"page": 1, "preset": "top_left"}}}
    status, refused = await send(firm, token, {"json": {"documents": [item]}})
    assert status == 422 and refused["fields"]["reason"] == "box"
    assert "not asked to sign" in refused["error"]
    assert (await PreparerDocument.get(id=document)).sent_at is None


async def test_the_real_page_size_is_what_counts(firm: Firm, token: str) -> None:  # noqa: F811
    small = await added(firm, token, pages_of((300, 300, 0)), "Small.pdf")
    item = {
        "id": small,
        "signers": ["taxpayer"],
        "boxes": {"taxpayer": {"page": 1, "x": 200, "y": 20, "width": 200, "height": 40}},
    }
    status, refused = await send(firm, token, {"json": {"documents": [item]}})
    assert status == 422 and "x 0 to 300" in refused["error"]
    item["boxes"] = {"taxpayer": {"page": 1, "preset": "top_right"}}  # a preset shrinks to fit
    status, sent = await send(firm, token, {"json": {"documents": [item]}})
    assert status == 200, sent
    box = sent["sent"][0]["signature_requests"]["taxpayer"]["box"]
    assert box["x"] + box["width"] <= 300 and box["y"] + box["height"] <= 300
    assert box["x"] >= 0 and box["y"] >= 0
