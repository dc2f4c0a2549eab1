"""The signatures service on a real core and both databases: save, redraw, races, access."""

from __future__ import annotations

import asyncio

import pytest

from taxportal.models import ActivityEntry, Portal, SignatureImage, TaxReturn
from taxportal.services.documents.access import Principal
from taxportal.services.signing import signatures
from taxportal.services.signing.signature_png import NO_INK
from tests.preparer_documents.conftest import Firm
from tests.signatures import pngs

PREPARER = Principal("staff", 1, "198.51.100.4")


def owner(firm: Firm) -> Principal:
    return Principal("taxpayer", 1, "203.0.113.9", portal_id=firm.portal_id)


async def other_portal(firm: Firm) -> Portal:
    tax_return = await TaxReturn.create(
        tax_year=2025, first_name="Ann", last_name="Other", ssn_digest="x" * 64
    )
    return await Portal.create(tax_return=tax_return, status="verified")


async def test_save_keeps_the_drawing_on_file_and_logs_it_without_the_bytes(firm: Firm) -> None:
    assert await signatures.on_file(owner(firm), firm.portal_id, "taxpayer") is None
    saved = await signatures.save(owner(firm), "taxpayer", pngs.drawing(600, 200))
    shown = await signatures.on_file(owner(firm), firm.portal_id, "taxpayer")
    assert shown == saved and (shown.width, shown.height) == (600, 200)
    row = await signatures.image(owner(firm), saved.id)
    assert row.png.startswith(b"\x89PNG") and row.replaced_at is None
    entry = await ActivityEntry.filter(action="signature_saved").get()
    assert entry.detail["image_id"] == saved.id and entry.detail["sha256"] == saved.sha256
    assert entry.subject == f"portal:{firm.portal_id}" and "png" not in str(entry.detail)
    assert await signatures.on_file(owner(firm), firm.portal_id, "spouse") is None


async def test_a_redrawing_replaces_and_the_old_image_stays_readable(firm: Firm) -> None:
    first = await signatures.save(owner(firm), "taxpayer", pngs.drawing(600, 200))
    second = await signatures.save(owner(firm), "taxpayer", pngs.drawing(700, 220))
    assert (await signatures.on_file(owner(firm), firm.portal_id, "taxpayer")) == second
    old = await signatures.image(owner(firm), first.id)  # a past signing still finds its image
    assert old.replaced_at is not None and old.width == 600


async def test_an_empty_box_is_refused_and_nothing_is_kept(firm: Firm) -> None:
    with pytest.raises(signatures.SignatureRefused) as refused:
        await signatures.save(owner(firm), "taxpayer", pngs.transparent())
    assert refused.value.reason == NO_INK
    assert await SignatureImage.all().count() == 0


async def test_ten_concurrent_saves_leave_exactly_one_on_file(firm: Firm) -> None:
    await signatures.save(owner(firm), "taxpayer", pngs.drawing(500, 150))
    drawings = [pngs.drawing(600 + i, 200) for i in range(10)]
    saved = await asyncio.gather(*(signatures.save(owner(firm), "taxpayer", d) for d in drawings))
    on_file = await SignatureImage.filter(
        portal_id=firm.portal_id, role="taxpayer", replaced_at=None
    )
    assert len(on_file) == 1 and on_file[0].id in {s.id for s in saved}
    assert await SignatureImage.filter(portal_id=firm.portal_id).count() == 11  # all kept


async def test_the_spouse_confirms_who_they_are_before_drawing(firm: Firm) -> None:
    with pytest.raises(signatures.MayNotDraw) as refused:
        await signatures.save(owner(firm), "spouse", pngs.drawing())
    assert refused.value.reason == "The spouse confirms who they are first."
    assert await SignatureImage.all().count() == 0
    saved = await signatures.save(owner(firm), "spouse", pngs.drawing(), spouse_verified=True)
    assert (await signatures.on_file(owner(firm), firm.portal_id, "spouse")) == saved
    assert await signatures.on_file(owner(firm), firm.portal_id, "taxpayer") is None


def test_may_draw_refuses_staff_and_unknown_roles() -> None:
    taxpayer = Principal("taxpayer", 1, portal_id=1)
    signatures.may_draw(taxpayer, "taxpayer")
    for principal, role in [(PREPARER, "taxpayer"), (taxpayer, "preparer"), (taxpayer, "")]:
        with pytest.raises(signatures.MayNotDraw):
            signatures.may_draw(principal, role)


async def test_another_portals_signature_is_not_found(firm: Firm) -> None:
    other = await other_portal(firm)
    stranger = Principal("taxpayer", 99, "192.0.2.7", portal_id=other.id)
    saved = await signatures.save(owner(firm), "taxpayer", pngs.drawing())
    with pytest.raises(signatures.NotFound):
        await signatures.image(stranger, saved.id)
    with pytest.raises(signatures.NotFound):
        await signatures.on_file(stranger, firm.portal_id, "taxpayer")
    for missing in (saved.id + 1000, 0, -1, 2**40):
        with pytest.raises(signatures.NotFound):
            await signatures.image(owner(firm), missing)
    # the stranger's own save lands in their own portal, never in the owner's
    theirs = await signatures.save(stranger, "taxpayer", pngs.drawing(650, 200))
    assert (await signatures.on_file(owner(firm), firm.portal_id, "taxpayer")) == saved
    assert (await SignatureImage.get(id=theirs.id)).portal_id == other.id  # type: ignore[attr-defined]
    denied = await ActivityEntry.filter(action="file_access_denied").count()
    assert denied >= 2


async def test_the_preparer_may_look_but_not_draw(firm: Firm) -> None:
    saved = await signatures.save(owner(firm), "taxpayer", pngs.drawing())
    assert (await signatures.image(PREPARER, saved.id)).id == saved.id
    with pytest.raises(signatures.MayNotDraw):
        await signatures.save(PREPARER, "taxpayer", pngs.drawing())


async def test_the_database_itself_refuses_a_second_signature_on_file(firm: Firm) -> None:
    from tortoise.exceptions import IntegrityError

    saved = await signatures.save(owner(firm), "taxpayer", pngs.drawing())
    row = await SignatureImage.get(id=saved.id)
    with pytest.raises(IntegrityError):
        await SignatureImage.create(
            portal_id=firm.portal_id,
            role="taxpayer",
            png=row.png,
            sha256=row.sha256,
            width=row.width,
            height=row.height,
        )
