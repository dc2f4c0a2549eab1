"""The activity log: who did what, when, from where. Callers never pass secrets."""

from __future__ import annotations

from typing import Any

from taxportal.models import ActivityEntry


async def record(
    action: str, *, actor: str = "system", subject: str = "", address: str = "", **detail: Any
) -> None:
    await ActivityEntry.create(
        action=action, actor=actor, subject=subject, address=address, detail=detail
    )


async def recent(subject: str, limit: int = 50) -> list[ActivityEntry]:
    return await ActivityEntry.filter(subject=subject).order_by("-id").limit(limit)
