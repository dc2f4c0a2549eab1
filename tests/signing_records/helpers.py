"""Writing to the signing record as someone outside the product would: another connection
(a database tool, a script), with the append-only triggers on, or set aside for a test that
must forge a tampered row."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sqlite3
from typing import Any

import asyncpg

from taxportal.services.signing import chain, records
from tests.conftest import POSTGRES_URL

MIGRATION = importlib.import_module("taxportal.migrations.0014_signing_events")
TRIGGERS = ("signing_event_no_update", "signing_event_no_delete")


async def outside_write(database: str, statement: str) -> None:
    """One statement on a connection of its own, triggers and all."""
    if database.startswith("postgres"):
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
        return
    connection = sqlite3.connect(database.removeprefix("sqlite://"))
    try:
        with connection:
            connection.execute(statement)
    finally:
        connection.close()


async def forge(database: str, statement: str) -> None:
    """Run ``statement`` with the triggers set aside, then put them back as migrated: what
    only someone holding the table owner's rights (or the file) could do."""
    if database.startswith("postgres"):
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                await connection.execute(statement)
        finally:
            await connection.close()
        return
    connection = sqlite3.connect(database.removeprefix("sqlite://"))
    try:
        with connection:
            for name in TRIGGERS:
                connection.execute(f"DROP TRIGGER {name}")
            connection.execute(statement)
            for trigger in MIGRATION.SQLITE:
                connection.execute(trigger)
    finally:
        connection.close()


async def signed_document(document_id: int, **overrides: Any) -> None:
    """The events of one taxpayer's signing, as the flow will append them."""
    who = {
        "role": "taxpayer",
        "actor": "ann.lee",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone)",
    }
    who.update(overrides)
    await records.append(
        document_id,
        "sent",
        role="preparer",
        actor="prep@firm.test",
        ip="",
        user_agent="",
        details={"sha256_before": "ab" * 32, "channel": "email"},
    )
    await records.append(
        document_id,
        "consent_accepted",
        **who,
        details={"consent_text_sha256": "cd" * 32, "language": "en"},
    )
    await records.append(
        document_id,
        "identity_passed",
        **who,
        details={
            "identity_method": "code_sms",
            "identity_result": "passed",
            "identity_attempts": 1,
        },
    )
    await records.append(document_id, "viewed", **who)
    await records.append(
        document_id, "signed", **who, details={"signing_method": "drawn on screen", "request_id": 4}
    )


def next_event(last: Any, kind: str) -> dict[str, Any]:
    """The columns of a well-chained event after ``last``, made outside ``append``."""
    values: dict[str, Any] = {
        "document_id": last.document_id,
        "seq": last.seq + 1,
        "at": dt.datetime.now(dt.UTC),
        "kind": kind,
        "role": "",
        "actor": "tool",
        "ip": "",
        "user_agent": "",
        "details": {},
        "prev_hash": last.hash,
    }
    return {**values, "hash": chain.event_hash(**values)}


class OutsideWriter:
    """Another process' transaction that has INSERTed an event and not yet committed."""

    def __init__(self, commit: Any, close: Any) -> None:
        self._commit, self._close = commit, close

    @classmethod
    async def holding(cls, database: str, event: dict[str, Any]) -> OutsideWriter:
        names = ", ".join(event)
        if database.startswith("postgres"):
            connection = await asyncpg.connect(POSTGRES_URL)
            transaction = connection.transaction()
            await transaction.start()
            marks = ", ".join(f"${n}" for n in range(1, len(event) + 1))
            values = [json.dumps(v) if k == "details" else v for k, v in event.items()]
            await connection.execute(
                f"INSERT INTO signing_event ({names}) VALUES ({marks})",  # noqa: S608
                *values,
            )
            return cls(transaction.commit, connection.close)
        path = database.removeprefix("sqlite://")
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("BEGIN IMMEDIATE")
        values = [
            json.dumps(v) if k == "details" else str(v) if k == "at" else v
            for k, v in event.items()
        ]  # as tortoise writes them: JSON text, the time as str(datetime)
        connection.execute(
            f"INSERT INTO signing_event ({names}) VALUES ({', '.join('?' * len(event))})",  # noqa: S608
            values,
        )

        async def commit() -> None:
            connection.execute("COMMIT")

        async def close() -> None:
            connection.close()

        return cls(commit, close)

    async def commit(self) -> None:
        try:
            await self._commit()
        finally:
            await self._close()
