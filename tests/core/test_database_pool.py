"""PostgreSQL's connection pool: a connection goes back clean, with one round trip less."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from tortoise import connections


async def test_a_transaction_left_open_is_rolled_back_before_the_next_caller(started, database):
    if not database.startswith("postgres"):
        pytest.skip("SQLite has no connection pool")
    await started()
    client = connections.get("default")
    await client.execute_script("CREATE TABLE pool_probe (n integer)")
    async with client.acquire_connection() as connection:  # as a caller that failed midway
        await connection.execute("BEGIN")
        await connection.execute("INSERT INTO pool_probe VALUES (1)")
    async with AsyncExitStack() as stack:  # every pooled connection at once: ours among them
        pooled = [
            await stack.enter_async_context(client.acquire_connection())
            for _ in range(client.pool_maxsize)
        ]
        assert not any(connection.is_in_transaction() for connection in pooled)
    assert await client.execute_query_dict("SELECT COUNT(*) AS n FROM pool_probe") == [{"n": 0}]
