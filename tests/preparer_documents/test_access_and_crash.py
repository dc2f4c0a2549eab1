"""The preparer's documents: every access checked against the document's real return and
portal (and logged), the spool inside the data directory and hashed off the event loop, and
an add cut short by a crash cleared by the start-up cleanup (bytes and row)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal.models import ActivityEntry, Portal, PreparerDocument, TaxReturn
from taxportal.services.documents import preparer as documents
from taxportal.services.documents import sent as sent_documents
from taxportal.services.documents import spool as document_spool
from taxportal.services.uploads.cleanup import remove_unfinished
from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import pdf
from tests.preparer_documents.test_service import PREPARER, chunked, owner


async def add(firm: Firm, name: str, data: bytes, return_id: int | None = None) -> Any:
    return await documents.add(
        firm.core, PREPARER, return_id or firm.return_id, name, chunked(data)
    )


async def other_client(firm: Firm) -> tuple[int, int]:
    """Another client's return and portal, with a document sent to them."""
    tax_return = await TaxReturn.create(tax_year=2025, last_name="Bell", first_name="Ana")
    portal = await Portal.create(tax_return=tax_return)
    row = await add(firm, "Ana 1040.pdf", pdf(1, "ana"), tax_return.id)
    await documents.send(firm.core, PREPARER, tax_return.id, [documents.Pick(row.id)])
    return tax_return.id, portal.id


async def denials() -> list[tuple[str, str, Any, Any]]:
    entries = await ActivityEntry.filter(action="file_access_denied").order_by("id")
    return [(e.actor, e.subject, e.detail.get("wanted"), e.detail.get("file_id")) for e in entries]


async def test_a_taxpayer_asking_for_anothers_document_is_denied_on_its_own_portal(
    firm: Firm,
) -> None:
    _, their_portal = await other_client(firm)
    [theirs] = await PreparerDocument.filter(file_name="Ana 1040.pdf")
    me = owner(firm)

    with pytest.raises(sent_documents.NotFound):
        await sent_documents.open_document(firm.core, me, theirs.id)
    with pytest.raises(sent_documents.NotFound):
        await sent_documents.open_document(firm.core, me, theirs.id + 1000)

    assert await denials() == [
        (me.actor, f"portal:{their_portal}", "read", theirs.id),
        (me.actor, f"portal:{firm.portal_id}", "read", theirs.id + 1000),  # no such document
    ]
    assert not await ActivityEntry.filter(actor=me.actor, action="file_read").exists()
    assert (await PreparerDocument.get(id=theirs.id)).viewed_at is None


async def test_staff_asking_through_another_return_find_nothing_and_are_logged(
    firm: Firm,
) -> None:
    their_return, their_portal = await other_client(firm)
    draft = await add(firm, "Ana 8879.pdf", pdf(2, "ana"), their_return)

    with pytest.raises(sent_documents.NotFound):  # the console's URL names the other return
        await sent_documents.open_document(firm.core, PREPARER, draft.id, return_id=firm.return_id)
    with pytest.raises(documents.NotFound):
        await documents.delete(firm.core, PREPARER, firm.return_id, draft.id)
    with pytest.raises(documents.NotFound):
        await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(draft.id)])
    with pytest.raises(documents.NotFound):
        await documents.documents_of_return(PREPARER, 999_999)

    assert await denials() == [
        (PREPARER.actor, f"portal:{their_portal}", "read", draft.id),
        (PREPARER.actor, f"portal:{their_portal}", "delete", draft.id),
        (PREPARER.actor, f"portal:{their_portal}", "send", draft.id),
        (PREPARER.actor, "return:999999", "list", None),
    ]
    kept = await PreparerDocument.get(id=draft.id)
    assert kept.deleted_at is None and kept.sent_at is None  # neither removed nor sent


async def test_sent_count_is_the_own_portals_and_writes_nothing(firm: Firm) -> None:
    await other_client(firm)
    entries = await ActivityEntry.all().count()
    assert await sent_documents.sent_count(owner(firm)) == 0  # Ana's is not counted
    assert await sent_documents.sent_count(PREPARER) == 0
    assert await ActivityEntry.all().count() == entries


async def test_the_spool_is_in_the_data_directory_and_hashed_off_the_loop(
    firm: Firm, monkeypatch: Any
) -> None:
    spool = document_spool.spool_dir(firm.core.config.data_dir)
    threads: list[tuple[bool, int]] = []
    original = document_spool.hash_batch

    def watched(sha256: Any, batch: list[bytes]) -> None:
        threads.append((threading.current_thread() is threading.main_thread(), len(batch)))
        original(sha256, batch)

    seen_during_put: list[Any] = []
    storage = firm.core.plugins.storage
    put = storage.put

    async def watching_put(key: str, chunks: AsyncIterator[bytes]) -> int:
        seen_during_put.append(list(spool.iterdir()))
        row = await PreparerDocument.get(storage_key=key)
        seen_during_put.append(row.deleted_at)
        _, rows = await documents.documents_of_return(PREPARER, firm.return_id)
        seen_during_put.append(rows)
        return await put(key, chunks)

    monkeypatch.setattr(document_spool, "hash_batch", watched)
    monkeypatch.setattr(storage, "put", watching_put)
    monkeypatch.setattr(document_spool, "HASH_BATCH", 1024)  # batches of 1 KiB instead of a MiB
    data = pdf(40)
    assert len(data) > 3 * 1024

    row = await documents.add(firm.core, PREPARER, firm.return_id, "big.pdf", chunked(data, 256))

    assert row.sha256 == hashlib.sha256(data).hexdigest() and row.deleted_at is None
    assert threads and not any(on_main for on_main, _ in threads)  # a worker thread each time
    assert len(threads) >= 3 and max(n for _, n in threads) <= 4  # batch by batch
    [spooled], marker, listed = seen_during_put
    assert spooled.name.startswith("doc-") and stat.S_IMODE(spool.stat().st_mode) == 0o700
    assert marker == documents.ADDING and listed == []  # invisible until the bytes are in
    assert list(spool.iterdir()) == []  # the spool file went after the store
    assert (await PreparerDocument.get(id=row.id)).deleted_at is None


async def test_a_crash_during_an_add_is_cleared_at_the_next_start(firm: Firm) -> None:
    storage = firm.core.plugins.storage

    async def adding(name: str) -> PreparerDocument:
        """A row as an add makes it before the bytes are stored."""
        return await PreparerDocument.create(
            tax_return_id=firm.return_id,
            storage_key=f"d/{firm.return_id}/{name.lower()}",
            file_name=f"{name}.pdf",
            size=10,
            sha256="",
            deleted_at=documents.ADDING,
        )

    kept = await add(firm, "Form 1040.pdf", pdf(1))
    deleted = await add(firm, "Draft.pdf", pdf(2))
    await documents.delete(firm.core, PREPARER, firm.return_id, deleted.id)
    # what a kill between storing the bytes and clearing the mark leaves
    crashed = await adding("Crashed")
    await storage.put(crashed.storage_key, chunked(b"%PDF-1.7 half a return"))
    spool = document_spool.spool_dir(firm.core.config.data_dir)
    spool.mkdir(mode=0o700, parents=True, exist_ok=True)
    stale = spool / "doc-crashed"
    stale.write_bytes(b"%PDF-1.7 a whole return, SSN and all")
    then = dt.datetime.now(dt.UTC).timestamp() - 60
    os.utime(stale, (then, then))
    before = dt.datetime.now(dt.UTC)
    live = await adding("Live")  # an add of the running server, begun after the moment
    running = spool / "doc-live"
    running.write_bytes(b"%PDF-1.7 arriving")

    assert await remove_unfinished(firm.core, before) == 1

    assert not await PreparerDocument.exists(id=crashed.id)
    assert not await storage.exists(crashed.storage_key)
    assert not stale.exists() and running.exists()
    assert await PreparerDocument.exists(id=live.id)
    assert (await PreparerDocument.get(id=deleted.id)).deleted_at not in (None, documents.ADDING)
    assert await storage.exists(kept.storage_key)
    _, rows = await documents.documents_of_return(PREPARER, firm.return_id)
    assert [r.document.id for r in rows] == [kept.id]


async def test_a_failed_store_leaves_no_row_and_no_bytes(firm: Firm, monkeypatch: Any) -> None:
    storage = firm.core.plugins.storage

    async def failing_put(key: str, chunks: AsyncIterator[bytes]) -> int:
        async for _ in chunks:
            break
        raise ConnectionError("storage went away")

    monkeypatch.setattr(storage, "put", failing_put)
    with pytest.raises(documents.DocumentError) as refused:
        await add(firm, "Form 1040.pdf", pdf(1))
    assert refused.value.kind == "storage"
    assert await PreparerDocument.all().count() == 0
    assert firm.stored() == []
    assert list(document_spool.spool_dir(firm.core.config.data_dir).iterdir()) == []


async def test_names_lose_surrounding_white_space_like_uploads(firm: Firm) -> None:
    row = await add(firm, "  Form 1040.pdf  ", pdf(1))
    assert row.file_name == "Form 1040.pdf"
    with pytest.raises(documents.DocumentError) as refused:
        await add(firm, "   ", pdf(1))
    assert refused.value.kind == "name"
