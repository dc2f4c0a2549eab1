"""One mechanism for every failure limit: an attempt is counted before its guess is checked.

``reserve`` takes one of the ``attempts`` slots of a row (a taxpayer account, a portal, a
staff user) in a single conditional ``UPDATE ... RETURNING``: it adds one to the count, and
the slot that reaches the limit locks the row in the same statement. A row that is locked
gives no slot (``Locked``), so however many requests run at once, in however many
processes, at most ``attempts`` guesses are checked. Then the caller checks the guess:
right, ``succeeded`` starts the count again (and lifts the lock this slot set), or
``give_back`` returns just this slot; wrong, the slot stays spent, and the holder of the
last slot (``slot.locks``) is the one that reports the lock, so it is reported once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.expressions import F
from tortoise.models import Model

from taxportal.sql import Sql


class Locked(Exception):
    """The row is locked: no guess may be checked now."""


@dataclass(frozen=True)
class Limit:
    """A failure count and the lock it leads to, on one table's rows.

    ``lock_for`` None: the lock holds until staff lift it (``lock_column`` says since when);
    otherwise it lifts itself after that long (``lock_column`` says until when)."""

    model: type[Model]
    counter: str
    lock_column: str
    attempts: int
    lock_for: dt.timedelta | None

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)


@dataclass(frozen=True)
class Slot:
    """One reserved attempt: ``number`` of ``limit.attempts``; ``locks`` when it was the last."""

    limit: Limit
    row_id: int
    number: int
    locked_until: dt.datetime | None  # the lock this slot set (the last one), else None

    @property
    def locks(self) -> bool:
        return self.locked_until is not None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_condition(limit: Limit, sql: Sql, now: dt.datetime) -> str:
    lock = limit.lock_column
    if limit.lock_for is None:
        return f"{lock} IS NULL"
    return f"({lock} IS NULL OR {lock} <= {sql.param(now)})"


async def reserve(limit: Limit, row_id: int, now: dt.datetime | None = None) -> Slot:
    """Take one attempt of the row's limit before a guess is checked; Locked when none is left."""
    now = now or _now()
    lock_value = now if limit.lock_for is None else now + limit.lock_for
    sql = Sql()
    counter, lock = limit.counter, limit.lock_column
    # Every right-hand side reads the row as it was: the slot that reaches the limit sets
    # the lock and starts the count again, in the one statement that took it. Names come
    # from the code's Limits; every value is bound.
    reaches = f"{counter} + 1 >= {sql.param(limit.attempts)}"
    new_count = f"CASE WHEN {reaches} THEN 0 ELSE {counter} + 1 END"
    reaches_again = f"{counter} + 1 >= {sql.param(limit.attempts)}"
    new_lock = f"CASE WHEN {reaches_again} THEN {sql.param(lock_value)} ELSE {lock} END"
    rows = await sql.rows(
        f"UPDATE {limit.table} SET {counter} = {new_count}, {lock} = {new_lock} "  # noqa: S608
        f"WHERE id = {sql.param(row_id)} AND {_open_condition(limit, sql, now)} "
        f"RETURNING {counter}"
    )
    if not rows:
        raise Locked(limit.table)
    number = int(rows[0][counter])
    if number == 0:  # the count starts again only when this slot locked the row
        return Slot(limit, row_id, limit.attempts, lock_value)
    return Slot(limit, row_id, number, None)


async def succeeded(slot: Slot) -> None:
    """The guess was right: the count starts again, and a lock this slot set is lifted."""
    updates: dict[str, object] = {slot.limit.counter: 0}
    if slot.locks:
        updates[slot.limit.lock_column] = None
    await slot.limit.model.filter(id=slot.row_id).update(**updates)


async def give_back(slot: Slot) -> None:
    """The guess was right but the sign-in goes on (a second step): return only this slot."""
    limit = slot.limit
    if slot.locks:  # undo the lock this slot set, as if it had not been taken
        await limit.model.filter(id=slot.row_id, **{limit.lock_column: slot.locked_until}).update(
            **{limit.counter: limit.attempts - 1, limit.lock_column: None}
        )
        return
    await limit.model.filter(id=slot.row_id, **{f"{limit.counter}__gt": 0}).update(
        **{limit.counter: F(limit.counter) - 1}
    )
