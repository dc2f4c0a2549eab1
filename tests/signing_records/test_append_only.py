"""The database itself refuses to change or remove a signing event, whoever asks; a row
forged with the triggers set aside is named by verify, an edit or a removal alike."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import BaseORMException

from taxportal.models import SigningEvent
from taxportal.services.signing import records
from taxportal.services.signing.verification import (
    GAP,
    HASH_MISMATCH,
    MISSING_GENESIS,
    PREV_HASH_MISMATCH,
)
from tests.signing_records.helpers import forge, outside_write, signed_document

REFUSED = ("UPDATE", "DELETE")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE signing_event SET ip = '10.0.0.1' WHERE seq = 2",
        "UPDATE signing_event SET details = '{}'",
        "DELETE FROM signing_event WHERE seq = 5",
        "DELETE FROM signing_event",
    ],
)
async def test_update_and_delete_are_refused_by_the_database(
    started: Any, database: str, statement: str
) -> None:
    await started()
    await signed_document(1)
    before = [(e.seq, e.ip, e.details) for e in await records.events_of(1)]

    with pytest.raises(Exception, match="append-only") as outside:
        await outside_write(database, statement)  # a database tool on its own connection
    assert any(word in str(outside.value) for word in REFUSED)
    with pytest.raises(BaseORMException, match="append-only"):
        await connections.get("default").execute_script(statement)  # the app's own connection

    assert [(e.seq, e.ip, e.details) for e in await records.events_of(1)] == before
    assert (await records.verify()).intact


async def test_truncate_is_refused_on_postgres(started: Any, database: str) -> None:
    if not database.startswith("postgres"):
        pytest.skip("SQLite has no TRUNCATE (a DELETE without WHERE is refused above)")
    await started()
    await signed_document(1)
    with pytest.raises(Exception, match="append-only"):
        await outside_write(database, "TRUNCATE signing_event")
    with pytest.raises(Exception, match="append-only"):
        await outside_write(database, "TRUNCATE tax_return, signing_event CASCADE")
    assert len(await records.events_of(1)) == 5


async def test_the_model_refuses_to_save_or_delete_a_stored_event(started: Any) -> None:
    await started()
    event = await records.append(1, "viewed", role="", actor="", ip="", user_agent="")
    event.ip = "10.0.0.1"
    with pytest.raises(BaseORMException, match="append-only"):
        await event.save()
    with pytest.raises(BaseORMException, match="append-only"):
        await event.delete()
    assert (await SigningEvent.get(id=event.id)).ip == ""


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        # an edited column: that row's own hash no longer fits
        ("UPDATE signing_event SET actor = 'mallory' WHERE document_id = 2 AND seq = 4",
         (2, 4, HASH_MISMATCH)),
        ("UPDATE signing_event SET details = '{\"identity_result\":\"failed\"}'"
         " WHERE document_id = 2 AND seq = 3", (2, 3, HASH_MISMATCH)),
        # an edited row whose hash was made again: the next row no longer links to it
        # (the first hex digit changed, whatever it was: 'f' over an 'f' changed nothing)
        ("UPDATE signing_event SET hash = (CASE WHEN hash LIKE 'f%' THEN 'e' ELSE 'f' END)"
         " || substr(hash, 2) WHERE document_id = 2 AND seq = 2",
         (2, 2, HASH_MISMATCH)),
        ("UPDATE signing_event SET prev_hash = (SELECT hash FROM signing_event s"
         " WHERE s.document_id = 2 AND s.seq = 1) WHERE document_id = 2 AND seq = 3",
         (2, 3, HASH_MISMATCH)),
        # a removed middle row: a gap; a removed first row: no genesis
        ("DELETE FROM signing_event WHERE document_id = 2 AND seq = 3", (2, 3, GAP)),
        ("DELETE FROM signing_event WHERE document_id = 2 AND seq = 1", (2, 1, MISSING_GENESIS)),
        # a row moved to another document
        ("UPDATE signing_event SET document_id = 9 WHERE document_id = 2 AND seq = 1",
         (2, 1, MISSING_GENESIS)),
    ],
)  # fmt: skip
async def test_verify_names_the_first_broken_link(
    started: Any, database: str, statement: str, named: tuple[int, int, str]
) -> None:
    await started()
    for document_id in (1, 2, 3):
        await signed_document(document_id)
    await forge(database, statement)

    report = await records.verify()
    broken = [(b.document_id, b.seq, b.problem) for b in report.broken]
    assert broken[0] == named
    assert all(document_id not in (1, 3) for document_id, _, _ in broken)


async def test_a_rehashed_edit_breaks_the_next_link(started: Any, database: str) -> None:
    """Someone who knows the hashing can make an edited row's own hash fit again; the next
    event still links to the old hash."""
    await started()
    await signed_document(2)
    row = (await records.events_of(2))[1]
    from taxportal.services.signing.chain import event_hash

    forged = event_hash(
        document_id=2, seq=2, at=row.at, kind=row.kind, role=row.role, actor="mallory",
        ip=row.ip, user_agent=row.user_agent, details=row.details, prev_hash=row.prev_hash,
    )  # fmt: skip
    await forge(
        database,
        f"UPDATE signing_event SET actor = 'mallory', hash = '{forged}' WHERE id = {row.id}",  # noqa: S608
    )

    report = await records.verify()
    assert [(b.document_id, b.seq, b.problem) for b in report.broken] == [
        (2, 3, PREV_HASH_MISMATCH)
    ]


async def test_the_reset_between_tests_empties_the_record(started: Any) -> None:
    """Runs after the tests above on the same PostgreSQL schema (the spare, emptied with
    the triggers off) and on a fresh SQLite copy: no event is left over."""
    await started()
    assert await SigningEvent.all().count() == 0
    await signed_document(1)
    assert (await records.verify()).intact
