"""The Signed Document Manager's place for each signature: Automatic by default, or a corner
of a chosen page; refusals say why on the page and send nothing."""

from __future__ import annotations

import re

import pytest

from taxportal.models import PreparerDocument, SignatureRequest
from taxportal.services.documents import preparer
from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import pdf
from tests.preparer_documents.test_pages import manager, send, upload


async def added(firm: Firm, name: str = "Engagement letter.pdf", pages: int = 3) -> int:
    assert (await upload(firm, (name, pdf(pages)))).status == 303
    return (await PreparerDocument.get(file_name=name)).id


async def test_the_page_offers_automatic_or_a_corner_of_a_page(firm: Firm) -> None:
    document = await added(firm)
    page = await (await firm.staff.get(manager(firm))).text()
    select = re.search(rf'<select name="taxpayer_place_{document}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert 'aria-label="Where the taxpayer signs Engagement letter.pdf"' in select.group(0)
    options = re.findall(r'<option value="(\w*)"( selected)?>([^<]+)</option>', select.group(1))
    assert options[0] == ("", " selected", "Automatic")  # the default stays automatic
    assert [words for _, _, words in options[1:]] == [
        "Bottom left",
        "Bottom right",
        "Top left",
        "Top right",
    ]
    # the page defaults to the last one, bounded by the document's pages
    assert re.search(
        rf'<input type="number" name="taxpayer_page_{document}" value="3" min="1" max="3"', page
    )
    assert "a signature field or an 8879 line still comes first" in page


async def test_a_chosen_corner_is_stored_and_shown_and_automatic_stays_empty(firm: Firm) -> None:
    chosen = await added(firm, "Engagement letter.pdf")
    automatic = await added(firm, "Form 1040.pdf")
    response = await send(
        firm,
        [
            ("send", str(chosen)),
            ("taxpayer_signs", str(chosen)),
            (f"taxpayer_place_{chosen}", "top_right"),
            (f"taxpayer_page_{chosen}", "2"),
            ("send", str(automatic)),
            ("taxpayer_signs", str(automatic)),
            (f"taxpayer_place_{automatic}", ""),
            (f"taxpayer_page_{automatic}", "3"),
        ],
    )
    assert response.status == 303, await response.text()
    box = preparer.chosen_box(await SignatureRequest.get(document_id=chosen))
    assert box is not None and (box.page, box.x, box.y) == (1, 358.0, 692.0)
    assert preparer.chosen_box(await SignatureRequest.get(document_id=automatic)) is None
    page = await (await firm.staff.get(response.headers["Location"])).text()
    assert page.count("(chosen place, page 2)") == 1


@pytest.mark.parametrize(
    ("place", "page_no", "words"),
    [
        ("bottom_left", "4", "cannot go on page 4: the document has 3 pages"),
        ("bottom_left", "0", "Type the page for the taxpayer&#39;s signature as a number"),
        ("bottom_left", "", "Type the page for the taxpayer&#39;s signature as a number"),
        ("bottom_left", "²", "Type the page"),
        ("bottom_left", "9" * 5000, "Type the page"),
        ("middle" * 1000, "1", "Unknown place"),
    ],
)
async def test_a_bad_place_is_refused_on_the_page_and_nothing_is_sent(
    firm: Firm, place: str, page_no: str, words: str
) -> None:
    document = await added(firm)
    response = await send(
        firm,
        [
            ("send", str(document)),
            ("taxpayer_signs", str(document)),
            (f"taxpayer_place_{document}", place),
            (f"taxpayer_page_{document}", page_no),
        ],
    )
    assert response.status == 400
    text = await response.text()
    assert words in text and 'role="alert"' in text
    assert (await PreparerDocument.get(id=document)).sent_at is None
    assert not await SignatureRequest.filter(document_id=document).exists()


async def test_a_place_for_a_signer_not_ticked_is_not_used(firm: Firm) -> None:
    """The select keeps its value when Taxpayer signs is unticked: no request, no box."""
    document = await added(firm)
    response = await send(
        firm,
        [
            ("send", str(document)),
            (f"taxpayer_place_{document}", "top_left"),
            (f"taxpayer_page_{document}", "1"),
        ],
    )
    assert response.status == 303
    assert not await SignatureRequest.filter(document_id=document).exists()
