"""Redis pub/sub as taxportal's bus: one subscribing connection per process, re-made
when it drops; the core reads the event log after each (re)subscription."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
SAFETY_POLL = 5.0  # seconds: the core reads the event log this often anyway
RETRY_MAX = 5.0


class RedisBus:
    name = "redis"
    durable = True
    poll_seconds = SAFETY_POLL

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self.client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._up = False  # subscribed, and the last read did not fail

    def connected(self) -> bool:
        return self._up

    async def start(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        # named, so an operator (or a test) can tell this process' subscription in CLIENT LIST
        self.client = redis.Redis.from_url(
            self.url, decode_responses=True, client_name=f"taxportal_bus_{os.getpid()}"
        )
        pubsub = await self._subscribe()  # the first subscription must work: fail the start-up
        reconnected()
        self._task = asyncio.create_task(
            self._listen(pubsub, received, reconnected), name="bus-redis"
        )

    async def _subscribe(self) -> Any:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)
        self._up = True
        return pubsub

    async def _listen(
        self, pubsub: Any, received: Callable[[str], None], reconnected: Callable[[], None]
    ) -> None:
        delay = 0.1
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] == "message":
                    received(message["data"])
                delay = 0.1
            except (RedisError, OSError) as exc:
                self._up = False
                log.warning("bus connection to Redis lost (%s); reconnecting", type(exc).__name__)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                try:
                    pubsub = await self._subscribe()
                except (RedisError, OSError):
                    continue
                reconnected()  # pub/sub has no replay: read the rows published meanwhile

    async def announce(self, payloads: list[str]) -> None:
        if not payloads:
            return
        if len(payloads) == 1:
            await self.client.publish(self.channel, payloads[0])
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.publish(self.channel, payload)
            await pipe.execute()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.client is not None:
            await self.client.aclose()
