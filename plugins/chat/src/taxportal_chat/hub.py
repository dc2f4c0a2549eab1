"""This process' open conversation sockets, and the listener that pushes to them.

Every server process holds only its own sockets (portal id -> sockets); a message or read
mark reaches every process through the bus, and each one pushes to its own. Nothing here
is needed by another process: the database holds the messages and read positions.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from taxportal.api import BusMessage, Event, MessagePosted
from taxportal_chat import conversation
from taxportal_chat.views import message_view

log = logging.getLogger(__name__)
SEND_SECONDS = 5.0  # a client that takes longer to take a frame is dropped, not waited for


@dataclass(eq=False)
class Listener:
    """One open page: its side and language decide how a message is shown to it."""

    side: str
    language: str
    socket: web.WebSocketResponse
    portal_id: int = field(default=0)


class Hub:
    def __init__(self) -> None:
        self._by_portal: dict[int, set[Listener]] = defaultdict(set)

    def add(self, listener: Listener) -> None:
        self._by_portal[listener.portal_id].add(listener)

    def remove(self, listener: Listener) -> None:
        held = self._by_portal.get(listener.portal_id)
        if held is not None:
            held.discard(listener)
            if not held:
                del self._by_portal[listener.portal_id]

    def of(self, portal_id: int) -> list[Listener]:
        return list(self._by_portal.get(portal_id, ()))

    def count(self) -> int:
        return sum(len(held) for held in self._by_portal.values())


HUB = Hub()
_SENDING: set[asyncio.Task[None]] = set()  # held so they are not collected mid-send


async def _send(listener: Listener, frame: str) -> None:
    try:
        await asyncio.wait_for(listener.socket.send_str(frame), SEND_SECONDS)
    except (ConnectionError, RuntimeError, TimeoutError):
        HUB.remove(listener)  # gone or stuck: its page reconnects and catches up by id
        await listener.socket.close()


def _send_apart(sends: list[tuple[Listener, str]]) -> None:
    """Send without holding the caller: the bus delivers events one after another, and a
    stuck client must not hold up the others (nor the request that posted)."""
    if sends:
        task = asyncio.create_task(_send_all(sends))
        _SENDING.add(task)
        task.add_done_callback(_SENDING.discard)


async def _send_all(sends: list[tuple[Listener, str]]) -> None:
    await asyncio.gather(*(_send(listener, frame) for listener, frame in sends))


async def push_message(portal_id: int, message_id: int) -> None:
    """Read the message once, show it to each side and language once, push it to every
    socket of this process on that conversation."""
    listeners = HUB.of(portal_id)
    if not listeners:
        return  # no page of this conversation open here: no query
    message = await conversation.one(portal_id, message_id)
    if message is None:
        return
    read = await conversation.positions(portal_id)
    frames: dict[tuple[str, str], str] = {}
    for listener in listeners:
        key = (listener.side, listener.language)
        if key not in frames:
            view = message_view(message, listener.side, read, listener.language)
            frames[key] = json.dumps({"type": "message", "message": view})
    _send_apart([(x, frames[(x.side, x.language)]) for x in listeners])


async def push_read(values: dict[str, Any]) -> None:
    """A side read up to an id: the other side's pages mark their messages seen."""
    portal_id, side, read_id = values.get("portal_id"), values.get("side"), values.get("read_id")
    if not isinstance(portal_id, int) or side not in conversation.SIDES:
        return
    if not isinstance(read_id, int):
        return
    frame = json.dumps({"type": "read", "side": side, "read_id": read_id})
    _send_apart([(x, frame) for x in HUB.of(portal_id)])


async def hear(event: Event) -> None:
    """The plugin's ``taxportal_event`` for a message or a read mark, in every process."""
    if isinstance(event, MessagePosted):
        await push_message(event.portal_id, event.message_id)
    elif isinstance(event, BusMessage) and event.name == conversation.READ_TOPIC:
        await push_read(dict(event.values))
