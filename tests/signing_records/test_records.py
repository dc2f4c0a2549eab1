"""The signing record on both databases: append, chain, verify, what details may hold, races."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from taxportal.models import SigningEvent
from taxportal.services.signing import chain, records
from taxportal.services.signing.verification import HASH_MISMATCH
from tests.signing_records.helpers import OutsideWriter, forge, next_event, signed_document

WHO: dict[str, Any] = {
    "role": "taxpayer",
    "actor": "ann.lee",
    "ip": "203.0.113.7",
    "user_agent": "UA",
}


async def test_a_signing_is_recorded_as_one_chain(started: Any) -> None:
    await started()
    await signed_document(7)
    await signed_document(8)

    events = await records.events_of(7)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.kind for e in events] == [
        "sent", "consent_accepted", "identity_passed", "viewed", "signed"
    ]  # fmt: skip
    assert events[0].prev_hash == chain.genesis(7)
    assert all(e.prev_hash == before.hash for before, e in itertools.pairwise(events))
    signed = events[-1]
    # COMPLIANCE item 1: time, address, login user name, identity method and result, method
    assert signed.at.tzinfo is not None and signed.at <= dt.datetime.now(dt.UTC)
    assert (signed.ip, signed.actor, signed.role) == ("203.0.113.7", "ann.lee", "taxpayer")
    assert signed.details == {"signing_method": "drawn on screen", "request_id": 4}
    assert events[2].details["identity_result"] == "passed"

    report = await records.verify()
    assert (report.documents, report.events, report.intact) == (2, 10, True)
    assert (await records.verify(8)).events == 5
    assert (await records.verify(999)).documents == 0


async def test_the_hash_covers_every_column_as_read_back(started: Any) -> None:
    await started()
    event = await records.append(3, "opened", **WHO, details={"channel": "sms"})
    stored = await SigningEvent.get(id=event.id)
    # what verify recomputes from the row equals what append hashed before writing it
    assert chain.hash_of_row(stored) == stored.hash == event.hash
    assert chain.utc_text(stored.at) == chain.utc_text(event.at)  # microseconds kept


@pytest.mark.parametrize(
    "details",
    [
        {"ssn": "123-45-6789"},
        {"code": "123456"},
        {"password": "hunter2"},
        {"identity_method": "code 123456"},  # an allowed key holding a code
        {"reason": "ssn 123-45-6789"},
        {"identity_attempts": "3"},  # a count given as text
        {"identity_attempts": True},
        {"sha256_before": "not a hash"},
        {"channel": {"nested": "value"}},
        {"validation": 1.5},
        {"123-45-6789": "passed"},  # the key itself: not repeated
    ],
)
async def test_details_outside_the_allow_list_are_refused(started: Any, details: Any) -> None:
    await started()
    with pytest.raises(ValueError) as refused:
        await records.append(5, "viewed", **WHO, details=details)
    assert "123" not in str(refused.value) and "hunter2" not in str(refused.value)
    key = next(iter(details))
    assert str(refused.value).startswith(
        "signing event details: " + ("a key" if key.startswith("1") else key)
    )
    assert await SigningEvent.filter(document_id=5).count() == 0


async def test_unknown_kinds_roles_and_ids_are_refused(started: Any) -> None:
    await started()
    with pytest.raises(ValueError):
        await records.append(5, "edited", **WHO)
    with pytest.raises(ValueError):
        await records.append(5, "viewed", **{**WHO, "role": "neighbour"})
    for document_id in (0, -1, 2**31):
        with pytest.raises(ValueError):
            await records.append(document_id, "viewed", **WHO)
    assert await records.events_of(2**40) == []
    assert await SigningEvent.all().count() == 0


async def test_long_or_odd_text_is_kept_bounded_and_printable(started: Any) -> None:
    await started()
    event = await records.append(
        9, "viewed", role="spouse", actor="bo\x00b", ip="198.51.100.1" * 9, user_agent="A\x1b" * 900
    )
    stored = await SigningEvent.get(id=event.id)
    assert (stored.actor, len(stored.ip), stored.user_agent) == ("bob", 64, "A" * 512)
    assert (await records.verify()).intact


async def test_twenty_appends_at_once_make_one_contiguous_chain(started: Any) -> None:
    """On PostgreSQL they run on tortoise's pool (up to five connections at once), each in
    a transaction of its own; on SQLite on one connection, in turns. Two real processes:
    test_two_processes.py."""
    await started()
    await asyncio.gather(*(records.append(11, "reminded", **WHO) for _ in range(20)))
    await asyncio.gather(*(records.append(12, "viewed", **WHO) for _ in range(5)))

    assert [e.seq for e in await records.events_of(11)] == list(range(1, 21))
    report = await records.verify()
    assert (report.documents, report.events, report.intact) == (2, 25, True)


async def test_appends_inside_a_callers_transaction(started: Any) -> None:
    await started()
    await records.append(13, "sent", **WHO)
    async with in_transaction():
        await records.append(13, "viewed", **WHO)
        await records.append(13, "signed", **WHO)
    with pytest.raises(RuntimeError):
        async with in_transaction():  # the signing failed after its event: both go
            await records.append(13, "completed", **WHO)
            raise RuntimeError("sealing failed")
    await records.append(13, "voided", **WHO)

    events = await records.events_of(13)
    assert [(e.seq, e.kind) for e in events] == [
        (1, "sent"),
        (2, "viewed"),
        (3, "signed"),
        (4, "voided"),
    ]  # fmt: skip: the rolled-back event left no hole
    assert (await records.verify()).intact


async def test_a_lost_race_is_tried_again_keeping_the_callers_work(
    started: Any, database: str
) -> None:
    """Another writer holds seq 2 uncommitted while this append reads seq 1 as the last:
    the INSERT waits, fails on the unique seq once the other commits, and is tried again
    linked to the other's row. On PostgreSQL inside a caller's transaction, whose own
    earlier append stays; on SQLite a caller's transaction that read first cannot wait for
    another process' write (see records.py), so the append runs on its own."""
    await started()
    first = await records.append(14, "sent", **WHO)
    postgres = database.startswith("postgres")
    other = await OutsideWriter.holding(database, next_event(first, "viewed"))

    async def append_in_a_callers_transaction() -> None:
        if not postgres:
            await records.append(14, "signed", **WHO)
            return
        async with in_transaction():
            await records.append(15, "sent", **WHO)
            await records.append(14, "signed", **WHO)

    racing = asyncio.create_task(append_in_a_callers_transaction())
    await asyncio.sleep(0.5)
    assert not racing.done()  # it read seq 1 as the last and waits on the other's seq 2
    await other.commit()
    await asyncio.wait_for(racing, 30)

    events = await records.events_of(14)
    assert [(e.seq, e.kind) for e in events] == [(1, "sent"), (2, "viewed"), (3, "signed")]
    assert events[2].prev_hash == events[1].hash
    assert [e.seq for e in await records.events_of(15)] == ([1] if postgres else [])
    assert (await records.verify()).intact


async def test_verify_names_an_edited_row_and_no_value(started: Any, database: str) -> None:
    await started()
    await signed_document(21)
    await signed_document(22)
    await forge(
        database, "UPDATE signing_event SET ip = '10.9.9.9' WHERE document_id = 21 AND seq = 3"
    )

    report = await records.verify()
    assert (report.documents, report.events) == (2, 10)
    assert [(b.document_id, b.seq, b.problem) for b in report.broken] == [(21, 3, HASH_MISMATCH)]
    assert "10.9.9.9" not in str(report.broken[0]) and "ann.lee" not in str(report.broken[0])
