"""argon2id hashing off the event loop, with a bound on how many run at once."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

# A real hash to verify against when the account does not exist: same cost, no hint.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


class PasswordHasher:
    """argon2id (about 100 ms and 64 MiB each): at most ``concurrency`` in flight."""

    def __init__(self, concurrency: int = 2, fast_for_tests: bool = False) -> None:
        self._argon = (
            _Argon2(time_cost=1, memory_cost=8, parallelism=1) if fast_for_tests else _Argon2()
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            stored_hash = self._dummy_hash or await self.hash(_DUMMY_PASSWORD)
            self._dummy_hash = stored_hash
            await self._check(stored_hash, password)
            return False
        return await self._check(stored_hash, password)

    async def _check(self, stored_hash: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._argon.verify, stored_hash, password)
            except (VerificationError, InvalidHashError):
                return False
