"""Writing to the signing record as someone outside the product would: another connection
(a database tool, a script), with the append-only triggers on, or set aside for a test that
must forge a tampered row."""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import asyncpg

from taxportal.services.signing import records
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
