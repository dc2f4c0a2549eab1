"""The conversation's rules as the service keeps them, on both databases: ids in order,
read positions that only move forward, one conversation however many first messages
race, and the per-sender limit counted across requests in flight."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from taxportal.api import MessagePosted, hookimpl
from taxportal_chat import conversation
from taxportal_chat.conversation import Author, RateLimited
from taxportal_chat.models import ChatConversation, ChatMessage
from taxportal_chat.settings import ChatSettings
from taxportal_chat.text import MessageRefused
from tests.accounts import journey

PORTAL = 7
SHERRY = Author("taxpayer", 1, "Sherry Núñez")
ANA = Author("staff", 3, "Ana Ruiz")


@pytest.fixture
async def core(chat_app: Any) -> Any:
    client = await chat_app()
    return journey.core(client)


async def test_messages_come_back_oldest_first_and_each_side_reads_forward(core: Any) -> None:
    settings = ChatSettings()
    first = await conversation.post(
        core, settings, PORTAL, SHERRY, "  Hello, do you have my W-2?\r\n"
    )
    second = await conversation.post(core, settings, PORTAL, ANA, "Yes, thanks.")
    third = await conversation.post(core, settings, PORTAL, ANA, "We start this week.")
    assert first.body == "Hello, do you have my W-2?"  # trimmed, line ends made \n
    assert first.id < second.id < third.id
    assert [m.id for m in await conversation.latest(PORTAL, 2)] == [second.id, third.id]
    assert [m.id for m in await conversation.after(PORTAL, first.id, 10)] == [second.id, third.id]
    assert [m.id for m in await conversation.latest(PORTAL, 10, before_id=third.id)] == [
        first.id,
        second.id,
    ]

    # the taxpayer wrote first: read up to their own message; two of Ana's unread
    assert await conversation.unread(PORTAL, "taxpayer") == 2
    assert await conversation.unread(PORTAL, "staff") == 0
    assert await conversation.mark_read(core, PORTAL, "taxpayer", second.id)
    assert await conversation.unread(PORTAL, "taxpayer") == 1
    assert not await conversation.mark_read(core, PORTAL, "taxpayer", first.id)  # never back
    assert not await conversation.mark_read(core, PORTAL, "taxpayer", third.id + 1)  # nor past
    assert not await conversation.mark_read(core, PORTAL, "taxpayer", 2**63)  # nor out of range
    read = await conversation.positions(PORTAL)
    assert (read.taxpayer_read_id, read.staff_read_id, read.last_message_id) == (
        second.id,
        third.id,
        third.id,
    )
    assert await conversation.unread_for_staff([PORTAL, 99]) == {}
    await conversation.post(core, settings, PORTAL, SHERRY, "Great")
    assert await conversation.unread_for_staff([PORTAL, 99]) == {PORTAL: 1}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        ("x" * 5001, "too_long"),
        ("before\x00after", "control"),
        ("a \x1b[31m red", "control"),
    ],
)
async def test_a_refused_message_is_not_kept(core: Any, text: str, reason: str) -> None:
    with pytest.raises(MessageRefused) as refused:
        await conversation.post(core, ChatSettings(), PORTAL, SHERRY, text)
    assert refused.value.reason == reason
    assert await ChatMessage.all().count() == 0


async def test_many_first_messages_at_once_make_one_conversation(core: Any) -> None:
    settings = ChatSettings(posts_per_minute=100)
    authors = [Author("taxpayer", 1, "Sherry"), Author("staff", 3, "Ana")]
    posted = await asyncio.gather(
        *(conversation.post(core, settings, PORTAL, authors[i % 2], f"n{i}") for i in range(20))
    )
    assert await ChatConversation.filter(portal_id=PORTAL).count() == 1
    assert sorted(m.body for m in await conversation.after(PORTAL, 0, 100)) == sorted(
        f"n{i}" for i in range(20)
    )
    read = await conversation.positions(PORTAL)
    assert read.last_message_id == max(m.id for m in posted)


async def test_the_limit_per_sender_holds_for_requests_in_flight(core: Any) -> None:
    settings = ChatSettings(posts_per_minute=3)
    results = await asyncio.gather(
        *(conversation.post(core, settings, PORTAL, SHERRY, f"m{i}") for i in range(10)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 3
    assert all(isinstance(r, RateLimited) for r in results if isinstance(r, BaseException))
    # another sender has a count of their own
    await conversation.post(core, settings, PORTAL, ANA, "still open for me")
    assert await ChatMessage.filter(portal_id=PORTAL).count() == 4


class Heard:
    def __init__(self) -> None:
        self.events: list[MessagePosted] = []

    @hookimpl
    async def taxportal_event(self, event: Any) -> None:
        if isinstance(event, MessagePosted):
            self.events.append(event)


async def test_message_posted_fires_once_with_ids_only(build_app: Any, client_for: Any) -> None:
    heard = Heard()
    from tests.chat.conftest import PLUGINS

    client = await client_for(await build_app(heard, TAXPORTAL_PLUGINS__ENABLED=PLUGINS))
    message = await conversation.post(journey.core(client), ChatSettings(), PORTAL, ANA, "Hi")
    assert heard.events == [MessagePosted(PORTAL, message.id, "staff")]
