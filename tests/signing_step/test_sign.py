"""The sign step through the service, with the real PDF signer (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from taxportal import hookimpl
from taxportal.events import DocumentSigned, listens_to
from taxportal.models import (
    PreparerDocument,
    SignatureRequest,
    SignedCopy,
    SigningEvent,
    TaxpayerAccount,
)
from taxportal.services.documents.access import Principal
from taxportal.services.signing import consent, records, sign, sweep
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_step.conftest import (
    consent_to_sign,
    draw,
    pass_identity,
    ready_portal,
    ready_to_sign,
    send,
    view,
)


async def copy_bytes(core, copy: SignedCopy) -> bytes:
    return b"".join([c async for c in core.plugins.storage.get(copy.storage_key)])


async def signs(r, document_id: int, role: str) -> sign.Signed:
    return await sign.sign(
        r.core, r.principal, document_id, role, ip="203.0.113.9", user_agent="UA"
    )


async def test_a_joint_8879_is_complete_once_both_have_signed(database, signing_client):
    r = await ready_portal(await signing_client())
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await ready_to_sign(r, "taxpayer", form.id)
    first = await signs(r, form.id, "taxpayer")
    assert not first.complete
    # the taxpayer's sealed copy validates on its own, and is kept
    copy = await SignedCopy.get(id=first.copy_id)
    check = await r.core.plugins.signer.validate(await copy_bytes(r.core, copy))
    assert check.passed and copy.signers == "taxpayer" and not copy.complete
    with pytest.raises(sign.Refused) as again:
        await signs(r, form.id, "taxpayer")
    assert again.value.reason == "signed"
    # the spouse confirms who they are, draws, signs: complete
    await view(r, form.id, "spouse")  # before the spouse's check: the account holder's View
    with pytest.raises(sign.Refused) as unseen:
        await ready_to_sign(r, "spouse")
        await signs(r, form.id, "spouse")
    assert unseen.value.reason == "view"  # the spouse reads it too, as the spouse
    await view(r, form.id, "spouse")
    second = await signs(r, form.id, "spouse")
    assert second.complete
    final = await SignedCopy.get(id=second.copy_id)
    final_pdf = await copy_bytes(r.core, final)
    assert (await r.core.plugins.signer.validate(final_pdf)).passed
    assert final.signers == "taxpayer+spouse" and final.complete
    assert final.sha256_before == form.sha256 == copy.sha256_before  # each pass: as sent
    assert await copy_bytes(r.core, copy) != final_pdf  # the first copy is still there
    statuses = await SignatureRequest.filter(document_id=form.id).values_list("status", flat=True)
    assert sorted(statuses) == ["signed", "signed"]
    kinds = [e.kind for e in await records.events_of(form.id)]
    assert kinds == [
        "sent",
        "viewed",
        "consent_accepted",
        "identity_passed",
        "signed",
        "sealed",
        "viewed",
        "consent_accepted",
        "identity_passed",
        "signed",
        "sealed",
        "completed",
    ]
    report = await records.verify(form.id)
    assert report.intact and report.events == 12, report


async def test_each_missing_step_is_named_in_order(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Return.pdf", plain_document(), "taxpayer")
    steps = []
    for do in (
        lambda: consent_to_sign(r, "taxpayer"),
        lambda: pass_identity(r, "taxpayer"),
        lambda: draw(r, "taxpayer"),
        lambda: view(r, document.id),
    ):
        with pytest.raises(sign.Refused) as refused:
            await signs(r, document.id, "taxpayer")
        steps.append(refused.value.reason)
        ready = await sign.readiness(r.core, r.principal, document.id, "taxpayer")
        assert ready.step == refused.value.reason
        await do()
    assert steps == ["consent", "identity", "signature", "view"]
    assert (await signs(r, document.id, "taxpayer")).complete
    assert not await SignedCopy.filter(document_id=document.id, complete=False).exists()


class HeldSigner:
    """The real signer, held at the door until the test lets it through."""

    def __init__(self, real) -> None:
        self.real, self.name = real, real.name
        self.entered, self.go = asyncio.Event(), asyncio.Event()

    async def sign(self, task):
        self.entered.set()
        await self.go.wait()
        return await self.real.sign(task)

    async def validate(self, pdf):
        return await self.real.validate(pdf)


async def test_parallel_signs_sign_once(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    outcomes = await asyncio.gather(
        *(signs(r, document.id, "taxpayer") for _ in range(8)), return_exceptions=True
    )
    done = [o for o in outcomes if isinstance(o, sign.Signed)]
    refused = {o.reason for o in outcomes if isinstance(o, sign.Refused)}
    assert len(done) == 1 and refused <= {"busy", "signed"}, outcomes
    assert await SignedCopy.filter(document_id=document.id).count() == 1
    assert await SigningEvent.filter(document_id=document.id, kind="signed").count() == 1


async def test_a_new_version_sent_mid_signing_voids_it_cleanly(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    held = HeldSigner(r.core.plugins.signer)
    r.core.plugins.signer = held
    signing = asyncio.create_task(signs(r, document.id, "taxpayer"))
    await asyncio.wait_for(held.entered.wait(), 10)
    claimed = await PreparerDocument.get(id=document.id)
    assert claimed.signing_key is not None
    newer = await send(r, "Form 8879.pdf", form_8879(return_pages=1), "taxpayer")
    held.go.set()
    with pytest.raises(sign.Refused) as refused:
        await signing
    assert refused.value.reason == "voided"
    # nothing signed, nothing kept, the lease released; the new version is pending
    assert not await SignedCopy.filter(document_id=document.id).exists()
    assert not await r.core.plugins.storage.exists(claimed.signing_key)
    assert (await PreparerDocument.get(id=document.id)).signing_key is None
    old = await SignatureRequest.get(document_id=document.id)
    assert old.status == "voided"
    assert (await SignatureRequest.get(document_id=newer.id)).status == "pending"
    kinds = [e.kind for e in await records.events_of(document.id)]
    assert kinds[-1] == "voided" and "signed" not in kinds


async def test_a_signing_lost_in_a_crash_leaves_nothing_and_is_swept(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    # what a process killed after storing its copy leaves behind: a lease and stray bytes
    key = f"s/{r.return_id}/{'0' * 32}"
    await r.core.plugins.storage.put(key, _one(b"%PDF- half done"))
    lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await PreparerDocument.filter(id=document.id).update(signing_key=key, signing_until=lapsed)
    assert (await SignatureRequest.get(document_id=document.id)).status == "pending"
    assert not await SignedCopy.filter(document_id=document.id).exists()
    assert await sweep.sweep(r.core) == 1
    assert not await r.core.plugins.storage.exists(key)
    assert (await PreparerDocument.get(id=document.id)).signing_until is None
    # a live lease is not touched, and blocks a second Sign until it ends
    live = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    await PreparerDocument.filter(id=document.id).update(signing_key=key, signing_until=live)
    assert await sweep.sweep(r.core) == 0
    with pytest.raises(sign.Refused) as busy:
        await signs(r, document.id, "taxpayer")
    assert busy.value.reason == "busy"
    # a lapsed lease is taken over, its stray bytes removed first (the sweep never sees its
    # key again once the new signing's replaces it)
    await r.core.plugins.storage.put(key, _one(b"%PDF- half done"))
    await PreparerDocument.filter(id=document.id).update(signing_until=lapsed)
    assert (await signs(r, document.id, "taxpayer")).complete
    assert not await r.core.plugins.storage.exists(key)


async def _one(data: bytes):
    yield data


async def test_signing_anothers_document_or_role_is_not_found(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Return.pdf", plain_document(), "taxpayer")
    stranger = Principal("taxpayer", 999, "127.0.0.1", portal_id=r.signers.portal_id + 1)
    staff = r.staff
    for who, document_id, role in (
        (stranger, document.id, "taxpayer"),
        (staff, document.id, "taxpayer"),
        (r.principal, document.id, "spouse"),  # not asked of the spouse
        (r.principal, document.id + 1000, "taxpayer"),
        (r.principal, 2**40, "taxpayer"),
        (r.principal, document.id, "preparer"),
    ):
        with pytest.raises(sign.NotFound):
            await sign.sign(r.core, who, document_id, role, ip="", user_agent="")


async def test_the_record_holds_every_field_the_irs_lists_for_a_remote_8879(
    database, signing_client
):
    """COMPLIANCE item 1: the final PDF, date and time of signing, IP address, login user
    name, identity method and result, method of signing; item 7: Sign is its own event."""
    r = await ready_portal(await signing_client())
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    done = await signs(r, form.id, "taxpayer")
    final = await SignedCopy.get(id=done.copy_id)
    assert (
        final.complete
        and (await r.core.plugins.signer.validate(await copy_bytes(r.core, final))).passed
    )
    events = {e.kind: e for e in await records.events_of(form.id)}
    signed, checked = events["signed"], events["identity_passed"]
    account = await TaxpayerAccount.get(portal_id=r.signers.portal_id)
    assert (
        signed.at.tzinfo is not None
        and abs((signed.at - dt.datetime.now(dt.UTC)).total_seconds()) < 120
    )
    assert signed.ip == "203.0.113.9" and signed.user_agent == "UA"
    assert signed.actor == account.username  # the login user name
    assert signed.details["signing_method"] == "drawn on screen"
    assert checked.details == {"identity_method": "code+kba", "identity_result": "passed"}
    assert events["consent_accepted"].details["consent_text_sha256"]
    assert events["sealed"].details["sha256_after"] == final.sha256_after


async def test_consent_withdrawn_mid_signing_leaves_the_acceptance_in_the_record(
    database, signing_client
):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    accepted = await consent.current(r.signers.portal_id, "taxpayer")
    held = HeldSigner(r.core.plugins.signer)
    r.core.plugins.signer = held
    signing = asyncio.create_task(signs(r, document.id, "taxpayer"))
    await asyncio.wait_for(held.entered.wait(), 10)
    await consent.withdraw(r.core, r.principal, "taxpayer", "es", ip="127.0.0.1")
    held.go.set()
    assert (await signing).complete  # pressed while the consent stood
    [agreed] = [e for e in await records.events_of(document.id) if e.kind == "consent_accepted"]
    assert agreed.details == {
        "consent_text_sha256": accepted.text_sha256,
        "language": "en",  # the acceptance's, not the withdrawal's
    }
    with pytest.raises(sign.Refused) as refused:  # the next Sign asks for consent again
        await signs(r, (await send(r, "Other.pdf", form_8879(), "taxpayer")).id, "taxpayer")
    assert refused.value.reason == "consent"


class SignedListener:
    """A plugin listening for ``document_signed``, as a third party's would."""

    def __init__(self) -> None:
        self.heard: list[DocumentSigned] = []

    @hookimpl
    @listens_to(DocumentSigned)
    def taxportal_event(self, event: DocumentSigned) -> None:
        self.heard.append(event)


async def test_document_signed_fires_once_per_signer_after_the_commit(database, signing_client):
    listener = SignedListener()
    r = await ready_portal(await signing_client(listener))
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await ready_to_sign(r, "taxpayer", form.id)
    await signs(r, form.id, "taxpayer")
    with pytest.raises(sign.Refused):  # a refused replay fires nothing
        await signs(r, form.id, "taxpayer")
    await ready_to_sign(r, "spouse", form.id)
    await signs(r, form.id, "spouse")
    portal = r.signers.portal_id
    assert listener.heard == [
        DocumentSigned(portal, form.id, "taxpayer"),
        DocumentSigned(portal, form.id, "spouse"),
    ]
