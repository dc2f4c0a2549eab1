"""Events reach the one ``taxportal_event`` hook after their transaction commits: a listener
picks its types, a failing one is logged and stops nobody, and rolled-back work says nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from tortoise import connections

from taxportal import hookimpl
from taxportal.bus import atomic, prune
from taxportal.events import (
    BusMessage,
    DocumentsSent,
    EventError,
    FileUploaded,
    PortalCreated,
    decode,
    encode,
    listens_to,
)
from taxportal.models import EventLogEntry, TaxReturn


class Recorder:
    def __init__(self) -> None:
        self.heard: list[Any] = []

    @hookimpl
    @listens_to(FileUploaded)
    def taxportal_event(self, event: FileUploaded) -> None:
        self.heard.append(event)


class Everything:
    def __init__(self) -> None:
        self.heard: list[Any] = []

    @hookimpl
    async def taxportal_event(self, event: Any) -> None:
        self.heard.append(event)


class Broken:
    @hookimpl
    def taxportal_event(self, event: Any) -> None:
        raise RuntimeError("listener bug")


async def test_a_listener_gets_only_the_types_it_declares(started: Any) -> None:
    files, everything = Recorder(), Everything()
    core = await started(files, everything)
    await core.plugins.emit(PortalCreated(1, 2, "email"))
    await core.plugins.emit(FileUploaded(3, 4))
    assert files.heard == [FileUploaded(3, 4)]
    assert everything.heard == [PortalCreated(1, 2, "email"), FileUploaded(3, 4)]


async def test_a_failing_listener_is_logged_and_the_others_still_run(
    started: Any, caplog: pytest.LogCaptureFixture
) -> None:
    before, after = Everything(), Everything()
    core = await started(before, Broken(), after)
    with caplog.at_level(logging.ERROR, logger="taxportal.plugins"):
        await core.plugins.emit(FileUploaded(3, 4))
    assert before.heard == after.heard == [FileUploaded(3, 4)]
    failure = [r for r in caplog.records if r.name == "taxportal.plugins"]
    assert len(failure) == 1 and "Broken" in failure[0].getMessage()
    assert "FileUploaded" in failure[0].getMessage()


async def test_events_wait_for_the_commit_and_die_with_a_rollback(started: Any) -> None:
    listener = Everything()
    core = await started(listener)
    async with atomic():
        await TaxReturn.create(tax_year=2025, last_name="Kept")
        await core.plugins.emit(FileUploaded(1, 1))
        assert listener.heard == []  # not before the commit
    assert listener.heard == [FileUploaded(1, 1)]

    with pytest.raises(RuntimeError):
        async with atomic():
            await TaxReturn.create(tax_year=2025, last_name="Undone")
            await core.plugins.emit(FileUploaded(2, 2))
            raise RuntimeError("the work failed")
    assert listener.heard == [FileUploaded(1, 1)]
    assert not await TaxReturn.filter(last_name="Undone").exists()


async def test_a_rolled_back_savepoint_drops_only_its_own_events(started: Any) -> None:
    listener = Everything()
    core = await started(listener)
    async with atomic():
        await core.plugins.emit(FileUploaded(1, 1))
        with pytest.raises(RuntimeError):
            async with atomic():
                await core.plugins.emit(FileUploaded(2, 2))
                raise RuntimeError("inner work failed")
        async with atomic():
            await core.plugins.emit(FileUploaded(3, 3))
    assert listener.heard == [FileUploaded(1, 1), FileUploaded(3, 3)]


async def test_a_rolled_back_event_leaves_no_row_on_a_durable_bus(started: Any) -> None:
    core = await started(TAXPORTAL_BUS__BACKEND="poll")
    with pytest.raises(RuntimeError):
        async with atomic():
            await core.plugins.emit(FileUploaded(2, 2))
            raise RuntimeError("the work failed")
    await core.plugins.emit(FileUploaded(5, 6))
    rows = await EventLogEntry.all().values_list("topic", "data")
    assert rows == [("file_uploaded", '{"portal_id":5,"file_id":6}')]


def test_events_carry_ids_and_short_codes_never_text() -> None:
    sent = DocumentsSent(4, (7, 8))
    assert decode("documents_sent", encode(sent)) == sent
    own = BusMessage("chat.posted", {"portal_id": 4, "message_id": 9})
    assert decode("chat.posted", encode(own)) == own
    with pytest.raises(EventError):
        encode(BusMessage("chat.posted", {"text": "Hi Ana, your SSN 123-45-6789"}))
    with pytest.raises(EventError):
        encode(BusMessage("Not a topic!", {}))


async def test_the_event_log_is_pruned_by_size_and_age(started: Any) -> None:
    core = await started(TAXPORTAL_BUS__BACKEND="poll")
    for n in range(5):
        await core.plugins.emit(FileUploaded(n, n))
    await EventLogEntry.filter(id=(await EventLogEntry.all().order_by("id").first()).id).update(
        at=int(time.time()) - 8 * 86_400
    )
    await prune(keep_rows=3)
    assert [r.data for r in await EventLogEntry.all().order_by("id")] == [
        '{"portal_id":2,"file_id":2}',
        '{"portal_id":3,"file_id":3}',
        '{"portal_id":4,"file_id":4}',
    ]
    await prune()
    assert await EventLogEntry.all().count() == 3


async def test_a_reconnected_listener_catches_up_from_the_table(
    started: Any, database: str
) -> None:
    """NOTIFY has no replay: an event published while the LISTEN connection was down still
    arrives, read from the event log after the reconnection."""
    if not database.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    listener = Everything()
    core = await started(listener)
    backend = core.plugins.bus_backend
    assert backend.name == "postgres"
    first = backend.connection
    pid = first.get_server_pid()
    conn = connections.get("default")
    # published by "another process" whose notification never came: a row only. Written
    # before the cut, so only the read that follows the reconnection can find it (after
    # the cut, a reconnection that won the race would leave it to the 5 s safety read).
    await conn.execute_query(
        "INSERT INTO event_log (origin, topic, data, at) VALUES ($1, $2, $3, $4)",
        ["elsewhere", "file_uploaded", '{"portal_id":7,"file_id":8}', int(time.time())],
    )
    await conn.execute_query("SELECT pg_terminate_backend($1)", [pid])
    deadline = time.monotonic() + 3  # well before the 5 s safety read
    while listener.heard != [FileUploaded(7, 8)] and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert listener.heard == [FileUploaded(7, 8)]
    assert backend.connection is not first and not backend.connection.is_closed()


async def test_the_portal_journey_publishes_its_events(build_app: Any, client_for: Any) -> None:
    from taxportal.events import AccountRegistered, AccountVerified, InvitationSent, ReturnImported
    from taxportal.models import Invitation, Portal, TaxpayerAccount
    from tests.accounts.journey import (
        code_in,
        enter_code,
        invited,
        newest_sms_text,
        register,
        send_code,
    )

    listener = Everything()
    client = await client_for(await build_app(listener))
    link = await invited(client)
    assert (await register(client, link)).status == 303
    assert (await send_code(client, "sms")).status == 303
    assert (await enter_code(client, code_in(newest_sms_text(client)))).status == 303
    portal = await Portal.get()
    invitation = await Invitation.get()
    account = await TaxpayerAccount.get()
    assert listener.heard == [
        ReturnImported(portal.tax_return_id, created=True),  # type: ignore[attr-defined]
        PortalCreated(portal.id, portal.tax_return_id, "email"),  # type: ignore[attr-defined]
        InvitationSent(portal.id, invitation.id, "email"),
        AccountRegistered(portal.id, account.id),
        AccountVerified(portal.id, account.id),
    ]


async def test_a_resubscribed_redis_listener_catches_up_from_the_table(
    started: Any, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The same with Redis: pub/sub has no replay either."""
    if not database.startswith("postgres"):
        pytest.skip("once is enough: the catch-up reads the same table on both databases")
    import os

    import redis.asyncio as redis

    listener = Everything()
    core = await started(
        listener,
        TAXPORTAL_PLUGINS__ENABLED='["notify_email", "notify_sms", "storage_local", "bus_redis"]',
        TAXPORTAL_BUS__BACKEND="redis",
    )
    assert core.plugins.bus_backend.name == "redis"
    # a row whose notification never came, written before the cut (as in the test above)
    await connections.get("default").execute_query(
        "INSERT INTO event_log (origin, topic, data, at) VALUES ($1, $2, $3, $4)",
        ["elsewhere", "file_uploaded", '{"portal_id":7,"file_id":8}', int(time.time())],
    )
    admin = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        mine = [
            c["id"]
            for c in await admin.client_list(_type="pubsub")
            if c["name"] == f"taxportal_bus_{os.getpid()}"
        ]
        assert mine
        for client_id in mine:
            await admin.client_kill_filter(_id=client_id)
    finally:
        await admin.aclose()
    deadline = time.monotonic() + 3  # well before the 5 s safety read
    while listener.heard != [FileUploaded(7, 8)] and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert listener.heard == [FileUploaded(7, 8)]
    assert "bus connection to Redis lost" in caplog.text
