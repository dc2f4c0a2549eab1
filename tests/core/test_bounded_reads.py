"""Bounded reads (``Sql(bounded=True)``) answer like any other read: they see every
committed write at once, and inside a transaction its own uncommitted rows."""

from __future__ import annotations

from typing import Any

from taxportal.bus import atomic
from taxportal.models import TaxReturn
from taxportal.sql import Sql, _reader


async def names(bounded: bool) -> list[str]:
    sql = Sql(bounded=bounded)
    rows = await sql.rows(f"SELECT last_name FROM tax_return WHERE tax_year = {sql.param(2025)}")  # noqa: S608
    return sorted(row["last_name"] for row in rows)


async def test_a_bounded_read_sees_each_commit_at_once(started: Any, database: str) -> None:
    await started()
    assert await names(bounded=True) == []
    await TaxReturn.create(tax_year=2025, last_name="Alvarez")
    assert await names(bounded=True) == ["Alvarez"]
    await TaxReturn.filter(last_name="Alvarez").update(last_name="Baker")
    assert await names(bounded=True) == await names(bounded=False) == ["Baker"]
    reader = _reader(Sql().conn)
    assert (reader is not None) == database.startswith("sqlite")  # PostgreSQL: as always


async def test_inside_a_transaction_it_reads_the_transaction(started: Any) -> None:
    await started()
    async with atomic():
        await TaxReturn.create(tax_year=2025, last_name="Uncommitted")
        assert _reader(Sql().conn) is None
        assert await names(bounded=True) == ["Uncommitted"]
    assert await names(bounded=True) == ["Uncommitted"]
