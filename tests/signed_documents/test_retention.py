"""A signed document is kept until its retention date: nothing in the product removes it or
its signed copies' bytes before then; a new version is still allowed (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from taxportal.config import ConfigError, load_config
from taxportal.models import PreparerDocument, SignedCopy, TaxReturn
from taxportal.services.documents import preparer
from taxportal.services.signing import retention, sign, sweep
from tests.signed_documents.conftest import signs
from tests.signing_pdf.documents import plain_document
from tests.signing_step.conftest import chunks, ready_portal, ready_to_sign, send


def test_three_years_from_the_due_date_or_from_a_later_signing():
    early = dt.date(2025, 3, 1)
    assert retention.due_date(2024) == dt.date(2025, 4, 15)
    assert retention.kept_until(2024, early, 3) == dt.date(2028, 4, 15)
    assert retention.kept_until(2024, dt.date(2025, 10, 20), 3) == dt.date(2028, 10, 20)
    assert retention.kept_until(2024, early, 7) == dt.date(2032, 4, 15)
    assert retention.kept_until(2023, dt.date(2024, 2, 29), 3) == dt.date(2027, 4, 15)
    assert retention.kept_until(2022, dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    # a tax year edited back to long ago cannot bring the date before the signing's
    assert retention.kept_until(1990, dt.date(2026, 12, 2), 3) == dt.date(2029, 12, 2)


def test_the_setting_is_three_years_at_least(tmp_path: Path):
    path = tmp_path / "taxportal.toml"
    path.write_text("[signing]\n", encoding="utf-8")
    assert load_config(path, env={}).core.signing.retention_years == 3
    path.write_text("[signing]\nretention_years = 7\n", encoding="utf-8")
    assert load_config(path, env={}).core.signing.retention_years == 7
    path.write_text("[signing]\nretention_years = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[signing\] retention_years"):
        load_config(path, env={})


async def signed_document(r, name: str = "Form 8879.pdf") -> tuple[PreparerDocument, SignedCopy]:
    document = await send(r, name, plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    done = await signs(r, document.id, "taxpayer")
    return document, await SignedCopy.get(id=done.copy_id)


async def test_a_signed_document_cannot_be_removed_before_its_date(database, signing_client):
    r = await ready_portal(await signing_client(TAXPORTAL_SIGNING__RETENTION_YEARS="5"))
    document, copy = await signed_document(r)
    tax_year = (await TaxReturn.get(id=r.return_id)).tax_year
    start = max(retention.due_date(tax_year), copy.created_at.astimezone(dt.UTC).date())
    until = start.replace(year=start.year + 5)
    with pytest.raises(preparer.DocumentError) as refused:
        await preparer.delete(r.core, r.staff, r.return_id, document.id)
    assert refused.value.kind == "retained"
    assert refused.value.message == (
        f"Form 8879.pdf has a signed copy: it is kept until {until:%B} {until.day}, "
        f"{until.year} and cannot be removed or replaced before then."
    )
    assert (await PreparerDocument.get(id=document.id)).deleted_at is None
    assert await r.core.plugins.storage.exists(copy.storage_key)
    assert await r.core.plugins.storage.exists(document.storage_key)
    # the guard itself: refused the day before, allowed on the day
    with pytest.raises(retention.Retained):
        await retention.guard(r.core, document.id, "x", today=until - dt.timedelta(days=1))
    await retention.guard(r.core, document.id, "x", today=until)
    # a draft with no signed copy is removed as before
    draft = await preparer.add(r.core, r.staff, r.return_id, "Draft.pdf", chunks(plain_document()))
    await preparer.delete(r.core, r.staff, r.return_id, draft.id)
    # the database refuses to take the document's row from under its copies, whoever asks
    with pytest.raises(Exception):  # noqa: B017 (IntegrityError differs per backend)
        await PreparerDocument.filter(id=document.id).delete()
    assert await SignedCopy.filter(document_id=document.id).exists()


async def test_a_new_version_is_sent_and_the_signed_one_stays(database, signing_client):
    r = await ready_portal(await signing_client())
    document, copy = await signed_document(r)
    newer = await send(r, "FORM 8879.pdf", plain_document(3), "taxpayer")
    old = await PreparerDocument.get(id=document.id)
    assert old.superseded_at is not None and old.replaced_by_id == newer.id  # type: ignore[attr-defined]
    assert old.deleted_at is None and await r.core.plugins.storage.exists(copy.storage_key)


async def test_the_sweep_never_takes_a_signed_copys_bytes(database, signing_client):
    r = await ready_portal(await signing_client())
    document, copy = await signed_document(r)
    # a lease left lapsed under the very key the copy holds (a crash after the commit)
    lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await PreparerDocument.filter(id=document.id).update(
        signing_key=copy.storage_key, signing_until=lapsed
    )
    assert await sweep.sweep(r.core) == 1
    assert await r.core.plugins.storage.exists(copy.storage_key)
    assert (await PreparerDocument.get(id=document.id)).signing_key is None


class HeldSigner:
    """The real signer, held until the test lets it through."""

    def __init__(self, real) -> None:
        self.real, self.name = real, real.name
        self.entered, self.go = asyncio.Event(), asyncio.Event()

    async def sign(self, task):
        self.entered.set()
        await self.go.wait()
        return await self.real.sign(task)

    async def validate(self, pdf):
        return await self.real.validate(pdf)


async def test_a_signing_whose_lease_ran_out_lists_no_copy(database, signing_client):
    """Past its lease the sweep may be removing the signing's bytes: it must not finish."""
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    held = HeldSigner(r.core.plugins.signer)
    r.core.plugins.signer = held
    signing = asyncio.create_task(signs(r, document.id, "taxpayer"))
    await asyncio.wait_for(held.entered.wait(), 10)
    lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await PreparerDocument.filter(id=document.id).update(signing_until=lapsed)
    held.go.set()
    with pytest.raises(sign.Refused) as refused:
        await signing
    assert refused.value.reason == "busy"
    assert not await SignedCopy.filter(document_id=document.id).exists()
    key = (await PreparerDocument.get(id=document.id)).signing_key
    assert key is None  # released, its bytes removed
    r.core.plugins.signer = held.real
    assert (await signs(r, document.id, "taxpayer")).complete  # and signed again
