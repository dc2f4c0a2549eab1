"""The place the preparer chose when sending: a plain PDF (no field, no 8879 line) gets each
signer's ink in their chosen box, on SQLite and PostgreSQL, with the real PDF signer."""

from __future__ import annotations

from pathlib import Path

from taxportal.contracts import PlacementBox
from taxportal.models import PreparerDocument, SignatureRequest, SignedCopy
from taxportal.services.documents import preparer
from taxportal.services.documents.placement import Chosen
from tests.signing_pdf.conftest import dark_pixels, render
from tests.signing_pdf.documents import plain_document
from tests.signing_step.conftest import chunks, ready_portal, ready_to_sign
from tests.signing_step.test_sign import copy_bytes, signs

PAGE_HEIGHT = 792.0
# where the plugin puts a signature block when nobody chose (the last page's foot)
TAXPAYER_BLOCK = PlacementBox(1, 54, 54, 200, 46)
SPOUSE_BLOCK = PlacementBox(1, 358, 54, 200, 46)
INK = 150  # dark pixels: a drawn signature leaves hundreds, an empty box none


async def send_with(r, pdf: bytes, signers: tuple[str, ...], boxes: dict) -> PreparerDocument:
    document = await preparer.add(r.core, r.staff, r.return_id, "Letter.pdf", chunks(pdf))
    pick = preparer.Pick(document.id, signers, boxes)
    await preparer.send(r.core, r.staff, r.return_id, [pick])
    return await PreparerDocument.get(id=document.id)


def ink(pdf: bytes, box: PlacementBox, tmp_path: Path) -> int:
    return dark_pixels(render(pdf, box.page, tmp_path), box, PAGE_HEIGHT)


async def test_the_taxpayer_signs_in_the_box_the_preparer_chose(database, signing_client, tmp_path):
    r = await ready_portal(await signing_client())
    pdf = plain_document(2)
    chosen = Chosen(page=1, x=300, y=40, width=240, height=60)
    document = await send_with(r, pdf, ("taxpayer",), {"taxpayer": chosen})
    request = await SignatureRequest.get(document_id=document.id, signer="taxpayer")
    box = preparer.chosen_box(request)
    assert box == PlacementBox(0, 300, 40, 240, 60)  # stored 0-based, as the contract says
    await ready_to_sign(r, "taxpayer", document.id)
    signed = await signs(r, document.id, "taxpayer")
    copy = await SignedCopy.get(id=signed.copy_id)
    out = await copy_bytes(r.core, copy)
    assert (await r.core.plugins.signer.validate(out)).passed
    assert ink(pdf, box, tmp_path) == 0
    assert ink(out, box, tmp_path) > INK  # on page 1, where the preparer put it
    assert ink(out, TAXPAYER_BLOCK, tmp_path) == 0  # not in the automatic block


async def test_each_signer_keeps_their_own_choice_through_the_later_pass(
    database, signing_client, tmp_path
):
    """The spouse's pass draws the taxpayer's mark again, in the taxpayer's chosen place."""
    r = await ready_portal(await signing_client())
    pdf = plain_document(2)
    boxes = {"taxpayer": Chosen(page=1, preset="top_right")}
    document = await send_with(r, pdf, ("taxpayer", "spouse"), boxes)
    taxpayer_box = preparer.chosen_box(
        await SignatureRequest.get(document_id=document.id, signer="taxpayer")
    )
    assert taxpayer_box == PlacementBox(0, 612 - 54 - 200, 792 - 54 - 46, 200, 46)
    spouse = await SignatureRequest.get(document_id=document.id, signer="spouse")
    assert preparer.chosen_box(spouse) is None  # automatic: the block on the last page
    await ready_to_sign(r, "taxpayer", document.id)
    await signs(r, document.id, "taxpayer")
    await ready_to_sign(r, "spouse", document.id)
    final = await signs(r, document.id, "spouse")
    assert final.complete
    out = await copy_bytes(r.core, await SignedCopy.get(id=final.copy_id))
    assert ink(out, taxpayer_box, tmp_path) > INK
    assert ink(out, SPOUSE_BLOCK, tmp_path) > INK
    assert ink(out, TAXPAYER_BLOCK, tmp_path) == 0
